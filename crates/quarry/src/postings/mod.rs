//! Postings (document ids and term frequencies) and positions of one term.
//!
//! A term's postings are cut into blocks of [`BLOCK_LEN`] documents. Full
//! blocks are bit-packed: the document-id deltas minus one, then the term
//! frequencies minus one, each at the smallest bit width that holds the
//! block's largest value (SIMD through the `bitpacking` crate). A last,
//! partial block is LEB128-coded: deltas, then frequencies.
//!
//! A term with at least one full block starts with skip data: the term's
//! score frontier, then fixed-width arrays with one entry per block (last
//! document id, where the block's postings, positions and frontier end, bit
//! widths), so that the block holding a document is found by a search and
//! any block's entry is read in constant time, then the blocks' score
//! frontiers. A *score
//! frontier* is the set of `(term frequency, field length)` pairs of the
//! block that no other pair beats on both counts. BM25 grows with the
//! frequency and shrinks with the length for every `k1 >= 0` and
//! `0 <= b <= 1`, so the best score in a block is reached at one of these
//! points, whatever the query's parameters and boosts: the maximum over
//! the frontier is the block's exact maximum score, computed at query time.
//! Frontiers are capped at [`MAX_FRONTIER`] points by replacing the two
//! weakest points by one that dominates both, which keeps the bound valid.
//!
//! Positions live in their own section, LEB128 deltas per document, and are
//! decoded only on request.

mod block_buf;
mod cursor;
mod frontier;
mod positions;
mod skip;
mod write;

pub use cursor::PostingsCursor;
pub use frontier::{frontier, Frontier};
pub use positions::read_doc_positions;
pub(crate) use write::BLOCKS_HELD;
pub use write::{write_term, TermEncoder};

pub(crate) use frontier::write_frontier;
pub(crate) use positions::skip_vints;
pub(crate) use skip::{u32_at, SkipData, SkipEntry};

use crate::format::BLOCK_LEN;

/// The document id a cursor reports once it is exhausted.
pub const TERMINATED: u32 = u32::MAX;

/// Most points kept in one score frontier.
pub const MAX_FRONTIER: usize = 8;

/// Blocks per group: a term of more blocks than this also keeps the score
/// frontier of every group of this many consecutive blocks, so that
/// pruning can pass over a group at once.
pub const GROUP_BLOCKS: usize = 16;

/// Number of groups of blocks a term of `doc_freq` documents keeps
/// frontiers for: none unless it has more than [`GROUP_BLOCKS`] blocks.
pub fn group_count(doc_freq: u32) -> usize {
    let blocks = block_count(doc_freq);
    if blocks > GROUP_BLOCKS {
        blocks.div_ceil(GROUP_BLOCKS)
    } else {
        0
    }
}

/// Number of blocks for `doc_freq` documents.
pub fn block_count(doc_freq: u32) -> usize {
    (doc_freq as usize).div_ceil(BLOCK_LEN)
}

/// True when a term of `doc_freq` documents starts with skip data.
pub fn has_skip_data(doc_freq: u32) -> bool {
    doc_freq as usize >= BLOCK_LEN
}

/// True when block `b` of a term of `doc_freq` documents is full (bit-packed).
pub(crate) fn is_full(doc_freq: u32, b: usize) -> bool {
    (b + 1) * BLOCK_LEN <= doc_freq as usize
}

/// Bytes of a bit-packed block of `bits`-wide integers.
pub(crate) fn packed_len(bits: u8) -> usize {
    BLOCK_LEN * bits as usize / 8
}

/// True when a term of `doc_freq` documents without skip data starts with
/// its frontier.
pub(crate) fn has_small_frontier(doc_freq: u32) -> bool {
    !has_skip_data(doc_freq) && doc_freq >= 2
}

#[cfg(test)]
mod tests;
