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

use bitpacking::{BitPacker, BitPacker4x};

use crate::bm25::{Bm25, TermWeight};
use crate::format::{read_vint_u32, write_vint, BLOCK_LEN};

/// The document id a cursor reports once it is exhausted.
pub const TERMINATED: u32 = u32::MAX;

/// Most points kept in one score frontier.
pub const MAX_FRONTIER: usize = 8;

/// Number of blocks for `doc_freq` documents.
pub fn block_count(doc_freq: u32) -> usize {
    (doc_freq as usize).div_ceil(BLOCK_LEN)
}

/// True when a term of `doc_freq` documents starts with skip data.
pub fn has_skip_data(doc_freq: u32) -> bool {
    doc_freq as usize >= BLOCK_LEN
}

/// True when block `b` of a term of `doc_freq` documents is full (bit-packed).
fn is_full(doc_freq: u32, b: usize) -> bool {
    (b + 1) * BLOCK_LEN <= doc_freq as usize
}

/// Bytes of a bit-packed block of `bits`-wide integers.
fn packed_len(bits: u8) -> usize {
    BLOCK_LEN * bits as usize / 8
}

/// The score frontier of `(tf, len)` points: sorted by increasing length
/// and increasing frequency, at most [`MAX_FRONTIER`] points.
///
/// A larger frontier is cut down by merging neighbours `(tf1, len1)`,
/// `(tf2, len2)` (`tf1 < tf2`, `len1 < len2`) into `(tf2, len1)`, which
/// dominates both, so the bound stays valid for every parameter choice.
/// Each merge picks the pair whose merged point scores lowest under the
/// default BM25 parameters with field length average `avg_len`, so the
/// bound stays as tight as it can where it matters most.
pub fn frontier(points: impl IntoIterator<Item = (u32, u32)>, avg_len: f64) -> Vec<(u32, u32)> {
    let mut all: Vec<(u32, u32)> = points.into_iter().collect();
    // Shortest first; among equal lengths, highest frequency first.
    all.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (tf, len) in all {
        if out.last().is_none_or(|&(best, _)| tf > best) {
            out.push((tf, len));
        }
    }
    let weight = TermWeight::new(Bm25::default(), 1.0, 1.0, avg_len);
    while out.len() > MAX_FRONTIER {
        let merged_score = |i: usize| weight.score(out[i + 1].0, out[i].1);
        let i = (0..out.len() - 1)
            .min_by(|&a, &b| merged_score(a).total_cmp(&merged_score(b)))
            .expect("at least two points");
        let merged = (out[i + 1].0, out[i].1);
        out.splice(i..i + 2, [merged]);
    }
    out
}

fn write_frontier(out: &mut Vec<u8>, points: &[(u32, u32)]) {
    write_vint(out, points.len() as u64);
    let (mut tf0, mut len0) = (0u32, 0u32);
    for &(tf, len) in points {
        write_vint(out, u64::from(tf - tf0));
        write_vint(out, u64::from(len - len0));
        (tf0, len0) = (tf, len);
    }
}

/// Encodes one term's postings and positions.
///
/// `docs` are strictly increasing document ids, `freqs[i]` the number of
/// positions of `docs[i]`, `positions` all positions, document after
/// document, increasing within each document, `lengths[doc]` the field
/// length of every document and `avg_len` their average (it only steers
/// which frontier points are merged). Appends to both outputs.
pub fn write_term(
    docs: &[u32],
    freqs: &[u32],
    positions: &[u32],
    lengths: &[u32],
    avg_len: f64,
    postings_out: &mut Vec<u8>,
    positions_out: &mut Vec<u8>,
) {
    debug_assert_eq!(docs.len(), freqs.len());
    debug_assert_eq!(
        freqs.iter().map(|&f| f as usize).sum::<usize>(),
        positions.len()
    );
    let packer = BitPacker4x::new();
    let mut blocks = Vec::new();
    // The skip arrays (see FORMAT.md), filled per block, and the frontiers.
    let mut skip = SkipColumns::default();
    let mut frontiers = Vec::new();
    let positions_start = positions_out.len();
    let mut prev_last: Option<u32> = None;
    let mut pos_at = 0usize;
    let point = |i: usize| (freqs[i], lengths[docs[i] as usize]);
    for (b, (chunk_docs, chunk_freqs)) in docs
        .chunks(BLOCK_LEN)
        .zip(freqs.chunks(BLOCK_LEN))
        .enumerate()
    {
        let last = *chunk_docs.last().expect("chunks are not empty");
        let (mut doc_bits, mut tf_bits) = (0u8, 0u8);
        if chunk_docs.len() == BLOCK_LEN {
            let mut buf = [0u8; 4 * BLOCK_LEN];
            doc_bits = packer.num_bits_strictly_sorted(prev_last, chunk_docs);
            let n = packer.compress_strictly_sorted(prev_last, chunk_docs, &mut buf, doc_bits);
            blocks.extend_from_slice(&buf[..n]);
            let tfs: Vec<u32> = chunk_freqs.iter().map(|&f| f - 1).collect();
            tf_bits = packer.num_bits(&tfs);
            let n = packer.compress(&tfs, &mut buf, tf_bits);
            blocks.extend_from_slice(&buf[..n]);
        } else {
            let mut prev = prev_last.unwrap_or(0);
            for &doc in chunk_docs {
                write_vint(&mut blocks, u64::from(doc - prev));
                prev = doc;
            }
            for &freq in chunk_freqs {
                write_vint(&mut blocks, u64::from(freq));
            }
        }
        for &freq in chunk_freqs {
            let mut prev = 0u32;
            for &p in &positions[pos_at..pos_at + freq as usize] {
                write_vint(positions_out, u64::from(p - prev));
                prev = p;
            }
            pos_at += freq as usize;
        }
        let start = b * BLOCK_LEN;
        write_frontier(
            &mut frontiers,
            &frontier((start..start + chunk_docs.len()).map(point), avg_len),
        );
        // Offsets are u32 (a term's postings and positions stay under
        // 4 GiB; FORMAT.md).
        let u32_of = |n: usize| u32::try_from(n).expect("a term's data fits in 4 GiB");
        skip.last_doc.extend_from_slice(&last.to_le_bytes());
        skip.blocks_end
            .extend_from_slice(&u32_of(blocks.len()).to_le_bytes());
        skip.positions_end
            .extend_from_slice(&u32_of(positions_out.len() - positions_start).to_le_bytes());
        skip.frontier_end
            .extend_from_slice(&u32_of(frontiers.len()).to_le_bytes());
        skip.doc_bits.push(doc_bits);
        skip.tf_bits.push(tf_bits);
        prev_last = Some(last);
    }
    if has_skip_data(docs.len() as u32) {
        let mut head = Vec::new();
        write_frontier(&mut head, &frontier((0..docs.len()).map(point), avg_len));
        for column in [
            &skip.last_doc,
            &skip.blocks_end,
            &skip.positions_end,
            &skip.frontier_end,
            &skip.doc_bits,
            &skip.tf_bits,
            &frontiers,
        ] {
            head.extend_from_slice(column);
        }
        write_vint(postings_out, head.len() as u64);
        postings_out.extend_from_slice(&head);
    } else if docs.len() >= 2 {
        // A small term keeps its frontier too, so its maximum score needs
        // no field length lookups.
        write_frontier(postings_out, &frontier((0..docs.len()).map(point), avg_len));
    }
    postings_out.extend_from_slice(&blocks);
}

/// The fixed-width arrays of a term's skip data, as written.
#[derive(Default)]
struct SkipColumns {
    last_doc: Vec<u8>,
    blocks_end: Vec<u8>,
    positions_end: Vec<u8>,
    frontier_end: Vec<u8>,
    doc_bits: Vec<u8>,
    tf_bits: Vec<u8>,
}

/// True when a term of `doc_freq` documents without skip data starts with
/// its frontier.
fn has_small_frontier(doc_freq: u32) -> bool {
    !has_skip_data(doc_freq) && doc_freq >= 2
}

/// The points of a score frontier, decoded from skip data. Stops early
/// (and [`Frontier::is_corrupt`] turns true) on malformed bytes.
#[derive(Clone)]
pub struct Frontier<'a> {
    bytes: &'a [u8],
    at: usize,
    left: u32,
    tf: u32,
    len: u32,
    corrupt: bool,
}

impl<'a> Frontier<'a> {
    /// Reads a frontier at `*at`, leaving `*at` after it; `None` when
    /// malformed.
    fn read(bytes: &'a [u8], at: &mut usize) -> Option<Frontier<'a>> {
        let f = Frontier::lazy(bytes, *at);
        let count = read_vint_u32(bytes, at)?;
        if count == 0 || count as usize > MAX_FRONTIER {
            return None;
        }
        for _ in 0..2 * count {
            read_vint_u32(bytes, at)?;
        }
        Some(f)
    }

    /// A frontier at `at`, checked only as it is read: malformed bytes end
    /// it early and turn [`Frontier::is_corrupt`] true.
    fn lazy(bytes: &'a [u8], at: usize) -> Frontier<'a> {
        let mut at = at;
        let (left, corrupt) = match read_vint_u32(bytes, &mut at) {
            Some(n) if n >= 1 && n as usize <= MAX_FRONTIER => (n, false),
            _ => (0, true),
        };
        Frontier {
            bytes,
            at,
            left,
            tf: 0,
            len: 0,
            corrupt,
        }
    }

    /// True when the points did not decode.
    pub fn is_corrupt(&self) -> bool {
        self.corrupt
    }
}

impl Iterator for Frontier<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let dtf = read_vint_u32(self.bytes, &mut self.at);
        let dlen = read_vint_u32(self.bytes, &mut self.at);
        let point = dtf
            .zip(dlen)
            .and_then(|(dtf, dlen)| Some((self.tf.checked_add(dtf)?, self.len.checked_add(dlen)?)));
        match point {
            Some((tf, len)) => {
                (self.tf, self.len) = (tf, len);
                Some((tf, len))
            }
            None => {
                self.corrupt = true;
                self.left = 0;
                None
            }
        }
    }
}

/// One block's skip entry.
#[derive(Clone, Copy, Debug, Default)]
struct SkipEntry {
    /// The previous block's last document (`None` for the first block).
    prev_last: Option<u32>,
    last_doc: u32,
    doc_bits: u8,
    tf_bits: u8,
    /// Start and end of the block in the blocks region.
    offset: usize,
    end: usize,
    /// Start of the block's positions in the term's positions.
    positions: usize,
}

/// Bytes per block of the fixed-width skip arrays: last document, blocks
/// end, positions end, frontier end (u32 each), doc bits, tf bits (u8).
const SKIP_ENTRY_LEN: usize = 18;

/// A term's skip data: fixed-width arrays indexed by block, so that any
/// block's entry is read in constant time and the block holding a
/// document is found by a search (see FORMAT.md).
#[derive(Clone, Copy)]
struct SkipData<'a> {
    /// The skip data (after its length), starting with the term frontier.
    bytes: &'a [u8],
    block_count: usize,
    doc_freq: u32,
    last_doc: &'a [u8],
    blocks_end: &'a [u8],
    positions_end: &'a [u8],
    frontier_end: &'a [u8],
    doc_bits: &'a [u8],
    tf_bits: &'a [u8],
    frontiers: &'a [u8],
}

/// The `i`-th little-endian u32 of `column` (0 when out of range, which
/// the callers' bounds rule out).
#[inline]
fn u32_at(column: &[u8], i: usize) -> u32 {
    column
        .get(4 * i..4 * i + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl<'a> SkipData<'a> {
    /// Reads the skip data at the start of `bytes`; returns it and the
    /// length of the skip data, or `None` when malformed.
    fn new(bytes: &'a [u8], doc_freq: u32) -> Option<(SkipData<'a>, usize)> {
        let mut at = 0;
        let len = read_vint_u32(bytes, &mut at)? as usize;
        let end = at.checked_add(len)?;
        let skip = bytes.get(at..end)?;
        let mut first = 0;
        Frontier::read(skip, &mut first)?;
        let block_count = block_count(doc_freq);
        let columns = skip.get(first..first.checked_add(SKIP_ENTRY_LEN * block_count)?)?;
        let (last_doc, rest) = columns.split_at(4 * block_count);
        let (blocks_end, rest) = rest.split_at(4 * block_count);
        let (positions_end, rest) = rest.split_at(4 * block_count);
        let (frontier_end, rest) = rest.split_at(4 * block_count);
        let (doc_bits, tf_bits) = rest.split_at(block_count);
        let frontiers = &skip[first + columns.len()..];
        let data = SkipData {
            bytes: skip,
            block_count,
            doc_freq,
            last_doc,
            blocks_end,
            positions_end,
            frontier_end,
            doc_bits,
            tf_bits,
            frontiers,
        };
        // The frontiers end the skip data.
        (u32_at(frontier_end, block_count - 1) as usize == frontiers.len()).then_some((data, end))
    }

    /// The last document of block `b`.
    #[inline]
    fn last_doc(&self, b: usize) -> u32 {
        u32_at(self.last_doc, b)
    }

    /// The entry of block `b`; `None` when malformed (or no such block).
    fn entry(&self, b: usize) -> Option<SkipEntry> {
        if b >= self.block_count {
            return None;
        }
        let last_doc = self.last_doc(b);
        let prev = |column: &[u8]| {
            if b == 0 {
                0
            } else {
                u32_at(column, b - 1) as usize
            }
        };
        let entry = SkipEntry {
            prev_last: (b > 0).then(|| self.last_doc(b - 1)),
            last_doc,
            doc_bits: self.doc_bits[b],
            tf_bits: self.tf_bits[b],
            offset: prev(self.blocks_end),
            end: u32_at(self.blocks_end, b) as usize,
            positions: prev(self.positions_end),
        };
        let full = is_full(self.doc_freq, b);
        let ordered = entry.prev_last.is_none_or(|p| p < last_doc)
            && last_doc != TERMINATED
            && entry.offset <= entry.end
            && entry.positions <= u32_at(self.positions_end, b) as usize
            && prev(self.frontier_end) <= u32_at(self.frontier_end, b) as usize;
        let widths = !full || (entry.doc_bits <= 32 && entry.tf_bits <= 32);
        (ordered && widths).then_some(entry)
    }

    /// The first block from `from` on whose last document is `>= target`
    /// (`block_count` when none): galloping, then binary search.
    #[inline]
    fn find(&self, from: usize, target: u32) -> usize {
        let mut lo = from;
        let mut step = 1;
        let mut hi = from;
        while hi < self.block_count && self.last_doc(hi) < target {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        let mut hi = hi.min(self.block_count);
        // Now every block before `lo` ends before `target`, and `hi` is
        // the block count or ends at or after it.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.last_doc(mid) < target {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The score frontier of block `b`.
    fn frontier(&self, b: usize) -> Frontier<'a> {
        let start = if b == 0 {
            0
        } else {
            u32_at(self.frontier_end, b - 1) as usize
        };
        Frontier::lazy(self.frontiers, start)
    }

    /// The score frontier of the whole term.
    fn term_frontier(&self) -> Frontier<'a> {
        Frontier::lazy(self.bytes, 0)
    }
}

/// Iterates one term's postings in document order, with skipping.
///
/// Besides the current document, the cursor keeps a *shallow* position:
/// the block [`PostingsCursor::shallow_seek`] last moved to, whose last
/// document and score frontier bound what lies ahead without decoding the
/// block. Both searches gallop over the skip data's array of last
/// documents, so a far target costs a few reads, not one per block.
///
/// Malformed bytes never panic: the cursor stops (reports [`TERMINATED`])
/// and [`PostingsCursor::is_corrupt`] turns true, which the caller turns
/// into an error.
#[derive(Clone)]
pub struct PostingsCursor<'a> {
    /// The whole term's postings bytes, skip data included.
    bytes: &'a [u8],
    /// The blocks region (after the skip data).
    blocks: &'a [u8],
    skip: Option<SkipData<'a>>,
    /// The block at the shallow position.
    shallow: usize,
    doc_freq: u32,
    block_count: usize,
    /// Index of the decoded block.
    block: usize,
    /// Where the decoded block's positions start.
    block_positions: usize,
    /// Where the decoded block's packed frequencies start; `None` once
    /// they are decoded.
    pending_freqs: Option<(usize, u8)>,
    /// Documents in the decoded block.
    len: usize,
    /// Index of the current document within the block.
    at: usize,
    docs: [u32; BLOCK_LEN],
    freqs: [u32; BLOCK_LEN],
    doc: u32,
    /// The last document of a term without skip data.
    tail_last: u32,
    /// Where the positions of a document of a block start, once known:
    /// (block, index in the block, offset).
    positions_mark: Option<(usize, usize, usize)>,
    corrupt: bool,
    packer: BitPacker4x,
}

impl<'a> PostingsCursor<'a> {
    /// A cursor on the first document of a term's postings bytes.
    pub fn new(bytes: &'a [u8], doc_freq: u32) -> PostingsCursor<'a> {
        let mut c = PostingsCursor {
            bytes,
            blocks: bytes,
            skip: None,
            shallow: 0,
            doc_freq,
            block_count: block_count(doc_freq),
            block: 0,
            block_positions: 0,
            pending_freqs: None,
            len: 0,
            at: 0,
            docs: [0; BLOCK_LEN],
            freqs: [0; BLOCK_LEN],
            doc: TERMINATED,
            tail_last: 0,
            positions_mark: None,
            corrupt: false,
            packer: BitPacker4x::new(),
        };
        if doc_freq == 0 {
            c.fail();
            return c;
        }
        if has_skip_data(doc_freq) {
            match SkipData::new(bytes, doc_freq) {
                // The last block ends the term's bytes.
                Some((skip, end))
                    if u32_at(skip.blocks_end, skip.block_count - 1) as usize
                        == bytes.len() - end =>
                {
                    c.blocks = &bytes[end..];
                    c.skip = Some(skip);
                }
                _ => {
                    c.fail();
                    return c;
                }
            }
        } else if has_small_frontier(doc_freq) {
            let mut at = 0;
            if Frontier::read(bytes, &mut at).is_none() {
                c.fail();
                return c;
            }
            c.blocks = &bytes[at..];
        }
        c.load_next_block(0);
        c
    }

    /// Number of documents in the postings.
    pub fn doc_freq(&self) -> u32 {
        self.doc_freq
    }

    /// The current document, or [`TERMINATED`].
    #[inline]
    pub fn doc(&self) -> u32 {
        self.doc
    }

    /// The term frequency in the current document (decodes the block's
    /// frequencies on first use).
    #[inline]
    pub fn freq(&mut self) -> u32 {
        if self.pending_freqs.is_some() {
            self.decode_freqs();
        }
        self.freqs[self.at.min(BLOCK_LEN - 1)]
    }

    /// True once malformed bytes were met.
    pub fn is_corrupt(&self) -> bool {
        self.corrupt
    }

    /// Moves to the next document and returns it.
    #[inline]
    pub fn advance(&mut self) -> u32 {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.at += 1;
        if self.at < self.len {
            self.doc = self.docs[self.at];
        } else {
            self.load_next_block(self.block + 1);
        }
        self.doc
    }

    /// Moves to the first document `>= target` and returns it (never backwards).
    pub fn seek(&mut self, target: u32) -> u32 {
        if self.doc >= target {
            return self.doc;
        }
        if self.docs[self.len - 1] < target {
            let b = self
                .skip
                .as_ref()
                .map_or(self.block_count, |s| s.find(self.block + 1, target));
            if b >= self.block_count {
                self.exhaust();
                return TERMINATED;
            }
            if !self.load_next_block(b) {
                return TERMINATED;
            }
        }
        // The block's last document is >= target, so this stops in the
        // block. Far targets are found by binary search, near ones by a
        // short scan.
        if self.at + 8 < self.len && self.docs[self.at + 8] < target {
            self.at += 8 + self.docs[self.at + 8..self.len].partition_point(|&d| d < target);
            if self.at >= self.len {
                self.fail();
                return TERMINATED;
            }
        }
        while self.docs[self.at] < target {
            self.at += 1;
            if self.at == self.len {
                self.fail();
                return TERMINATED;
            }
        }
        self.doc = self.docs[self.at];
        self.doc
    }

    /// Moves the shallow position to the block that holds the first
    /// document `>= target`, without decoding it, and returns that block's
    /// last document. A result `< target` means no document is left.
    pub fn shallow_seek(&mut self, target: u32) -> u32 {
        let Some(skip) = self.skip.as_ref() else {
            return self.tail_last;
        };
        let last = skip.last_doc(self.shallow);
        if last >= target {
            return last;
        }
        let b = skip.find(self.shallow + 1, target);
        self.shallow = b.min(self.block_count - 1);
        skip.last_doc(self.shallow)
    }

    /// The smallest document the block at the shallow position can hold
    /// (one past the previous block's last document; 0 for the first block
    /// or without skip data).
    pub fn shallow_block_start(&self) -> u32 {
        match &self.skip {
            Some(s) if self.shallow > 0 => s.last_doc(self.shallow - 1).saturating_add(1),
            _ => 0,
        }
    }

    /// The documents of the decoded block (the current one at index
    /// [`PostingsCursor::position`]`.1`).
    #[inline]
    pub fn block_docs(&self) -> &[u32] {
        &self.docs[..self.len]
    }

    /// Moves to the document at index `i` of the decoded block (not
    /// before the current one), or, for `i` past the block, to the first
    /// document of the next block; returns the new document.
    #[inline]
    pub fn advance_to_index(&mut self, i: usize) -> u32 {
        if self.doc == TERMINATED || i <= self.at {
            return self.doc;
        }
        if i < self.len {
            self.at = i;
            self.doc = self.docs[i];
        } else {
            self.at = self.len - 1;
            self.advance();
        }
        self.doc
    }

    /// The last document of the decoded block.
    #[inline]
    pub fn block_last(&self) -> u32 {
        self.docs[self.len - 1]
    }

    /// Calls `visit` with the score frontier of every block from the
    /// shallow position up to the one holding `hi` (or the last), without
    /// moving the shallow position. `false` when that would take more than
    /// `limit` blocks, or there is no skip data: the visits made, if any,
    /// then cover only part of the range.
    pub fn frontiers_until(
        &self,
        hi: u32,
        limit: usize,
        mut visit: impl FnMut(Frontier<'a>),
    ) -> bool {
        let Some(skip) = self.skip.as_ref() else {
            return false;
        };
        let mut b = self.shallow;
        visit(skip.frontier(b));
        while skip.last_doc(b) < hi && b + 1 < self.block_count {
            if b + 1 - self.shallow == limit {
                return false;
            }
            b += 1;
            visit(skip.frontier(b));
        }
        true
    }

    /// The score frontier of the block at the shallow position, or of the
    /// whole term when it has a single block and no skip data (`None`:
    /// use [`PostingsCursor::block_points`]).
    pub fn shallow_frontier(&self) -> Option<Frontier<'a>> {
        let skip = self.skip.as_ref()?;
        Some(skip.frontier(self.shallow))
    }

    /// The score frontier of the whole term; `None` for a term of one
    /// document.
    pub fn term_frontier(&self) -> Option<Frontier<'a>> {
        match &self.skip {
            Some(s) => Some(s.term_frontier()),
            None if has_small_frontier(self.doc_freq) && !self.corrupt => {
                Some(Frontier::lazy(self.bytes, 0))
            }
            None => None,
        }
    }

    /// Documents and frequencies of the decoded block (for terms without
    /// skip data: the whole term).
    pub fn block_points(&mut self) -> (&[u32], &[u32]) {
        if self.pending_freqs.is_some() {
            self.decode_freqs();
        }
        (&self.docs[..self.len], &self.freqs[..self.len])
    }

    /// Where the positions of the current document start, relative to the
    /// term's positions bytes; `None` on malformed bytes.
    ///
    /// Skips the positions of the block's earlier documents, resuming from
    /// the last document read in the same block, so reading the positions
    /// of many documents of a block costs one pass over them.
    pub fn positions_offset(&mut self, positions: &[u8]) -> Option<usize> {
        if self.pending_freqs.is_some() {
            self.decode_freqs();
        }
        let (mut idx, mut at) = match self.positions_mark {
            Some((block, idx, at)) if block == self.block && idx <= self.at => (idx, at),
            _ => (0, self.block_positions),
        };
        let skip: u64 = self.freqs[idx..self.at].iter().map(|&f| u64::from(f)).sum();
        at = skip_vints(positions, at, skip)?;
        idx = self.at;
        self.positions_mark = Some((self.block, idx, at));
        Some(at)
    }

    /// Appends the positions of the current document to `out`.
    /// `false` (and nothing appended) on malformed bytes.
    pub fn read_positions(&mut self, positions: &[u8], out: &mut Vec<u32>) -> bool {
        match self.positions_offset(positions) {
            Some(mut at) => {
                let freq = self.freq();
                let ok = read_doc_positions(positions, &mut at, freq, out);
                if ok {
                    self.positions_mark = Some((self.block, self.at + 1, at));
                }
                ok
            }
            None => false,
        }
    }

    /// The decoded block's index in the term, and the current document's
    /// index in that block.
    #[inline]
    pub fn position(&self) -> (usize, usize) {
        (self.block, self.at)
    }

    /// True when the current document is the first of its block.
    pub fn is_block_start(&self) -> bool {
        self.at == 0
    }

    /// Where the positions of the decoded block start, relative to the
    /// term's positions bytes.
    pub fn block_positions_start(&self) -> usize {
        self.block_positions
    }

    /// Length of the term's skip data (0 without), for verification.
    pub fn skip_data_len(&self) -> usize {
        self.bytes.len() - self.blocks.len()
    }

    fn exhaust(&mut self) {
        self.doc = TERMINATED;
        self.len = 1;
        self.at = 0;
        self.docs[0] = TERMINATED;
        self.freqs[0] = 0;
        self.pending_freqs = None;
    }

    fn fail(&mut self) {
        self.corrupt = true;
        self.tail_last = 0;
        self.exhaust();
    }

    fn decode_freqs(&mut self) {
        let Some((start, bits)) = self.pending_freqs.take() else {
            return;
        };
        // Lengths were checked when the block was loaded.
        self.packer
            .decompress(&self.blocks[start..], &mut self.freqs, bits);
        let mut wrapped = false;
        for f in &mut self.freqs {
            *f = f.wrapping_add(1);
            wrapped |= *f == 0;
        }
        // A stored 2^32 - 1 would be a frequency of 0.
        self.corrupt |= wrapped;
    }

    /// Decodes block `b` and moves to its first document; the shallow
    /// position moves there too. `false` when there is no such block (the
    /// cursor is then exhausted) or it is malformed.
    fn load_next_block(&mut self, b: usize) -> bool {
        if b >= self.block_count {
            self.exhaust();
            return false;
        }
        let entry = match &self.skip {
            None => SkipEntry {
                end: self.blocks.len(),
                ..SkipEntry::default()
            },
            Some(skip) => match skip.entry(b) {
                Some(entry) => entry,
                None => {
                    self.fail();
                    return false;
                }
            },
        };
        self.shallow = b;
        self.decode_block(b, entry)
    }

    fn decode_block(&mut self, b: usize, entry: SkipEntry) -> bool {
        let ok = if is_full(self.doc_freq, b) {
            self.decode_packed(entry)
        } else {
            self.decode_tail(b, entry)
        };
        if !ok {
            self.fail();
            return false;
        }
        self.block = b;
        self.block_positions = entry.positions;
        self.at = 0;
        self.doc = self.docs[0];
        true
    }

    fn decode_packed(&mut self, entry: SkipEntry) -> bool {
        let prev_last = entry.prev_last;
        let docs_len = packed_len(entry.doc_bits);
        let tfs_len = packed_len(entry.tf_bits);
        // The block spans exactly what its skip entry says.
        if entry.offset + docs_len + tfs_len != entry.end {
            return false;
        }
        let Some(bytes) = self.blocks.get(entry.offset..entry.end) else {
            return false;
        };
        self.packer
            .decompress_strictly_sorted(prev_last, bytes, &mut self.docs, entry.doc_bits);
        self.pending_freqs = Some((entry.offset + docs_len, entry.tf_bits));
        self.len = BLOCK_LEN;
        // Deltas add with wrap-around: damaged bytes could make ids go
        // backwards, which the cursor's contract rules out. Each of the
        // 128 steps adds at most 2^doc_bits, so unless that could pass
        // 2^32 from the previous block's last document, nothing wrapped
        // and the ids increase; otherwise they are compared (over two
        // shifted slices, not `windows`, so that it compiles to vector
        // compares).
        // (The first block starts from 2^32 - 1 by design: its first
        // document is its first delta, below 2^doc_bits.)
        let reach = u64::from(prev_last.unwrap_or(0)) + ((BLOCK_LEN as u64) << entry.doc_bits);
        let increasing = reach <= u64::from(u32::MAX)
            || self.docs[1..]
                .iter()
                .zip(&self.docs[..BLOCK_LEN - 1])
                .fold(0u32, |bad, (&next, &prev)| bad | u32::from(next <= prev))
                == 0;
        increasing
            && self.docs[BLOCK_LEN - 1] == entry.last_doc
            && prev_last.is_none_or(|p| self.docs[0] > p)
    }

    fn decode_tail(&mut self, b: usize, entry: SkipEntry) -> bool {
        let prev_last = entry.prev_last;
        let n = self.doc_freq as usize - b * BLOCK_LEN;
        let Some(bytes) = self.blocks.get(entry.offset..entry.end) else {
            return false;
        };
        let mut at = 0;
        let mut prev = prev_last.unwrap_or(0);
        for i in 0..n {
            let first_of_term = b == 0 && i == 0;
            match read_vint_u32(bytes, &mut at) {
                Some(d) if d > 0 || first_of_term => match prev.checked_add(d) {
                    Some(doc) if doc != TERMINATED => {
                        self.docs[i] = doc;
                        prev = doc;
                    }
                    _ => return false,
                },
                _ => return false,
            }
        }
        for i in 0..n {
            match read_vint_u32(bytes, &mut at) {
                Some(f) if f > 0 => self.freqs[i] = f,
                _ => return false,
            }
        }
        self.pending_freqs = None;
        self.len = n;
        self.tail_last = prev;
        at == bytes.len() && (self.skip.is_none() || entry.last_doc == prev)
    }
}

/// The offset after `n` LEB128 integers starting at `at`; `None` if the
/// bytes end first.
fn skip_vints(bytes: &[u8], at: usize, n: u64) -> Option<usize> {
    let mut left = n;
    let mut i = at;
    // Eight bytes at a time while they end fewer integers than are left:
    // a byte below 0x80 ends one.
    while left >= 8 {
        let Some(chunk) = bytes.get(i..i + 8) else {
            break;
        };
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let ends = u64::from((!word & 0x8080_8080_8080_8080).count_ones());
        if ends > left {
            break;
        }
        left -= ends;
        i += 8;
    }
    while left > 0 {
        let b = *bytes.get(i)?;
        i += 1;
        left -= u64::from(b < 0x80);
    }
    Some(i)
}

/// Reads one document's `freq` positions from `positions` at `*at`,
/// advancing `*at` and appending them to `out`. `false` (and nothing
/// appended) unless they decode and increase strictly.
pub fn read_doc_positions(positions: &[u8], at: &mut usize, freq: u32, out: &mut Vec<u32>) -> bool {
    let start = out.len();
    let mut prev: Option<u32> = None;
    for _ in 0..freq {
        let next = read_vint_u32(positions, at).and_then(|d| match prev {
            None => Some(d),
            Some(_) if d == 0 => None,
            Some(p) => p.checked_add(d),
        });
        match next {
            Some(p) => {
                prev = Some(p);
                out.push(p);
            }
            None => {
                out.truncate(start);
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Random postings: strictly increasing docs, freqs mostly small,
    /// positions increasing per doc, and a length for every document.
    #[allow(clippy::type_complexity)]
    fn postings() -> impl Strategy<Value = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<u32>)> {
        (1usize..700, any::<u64>()).prop_map(|(n, seed)| {
            let mut rng = seed | 1;
            let mut next = move || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            let mut docs = Vec::new();
            let mut freqs = Vec::new();
            let mut positions = Vec::new();
            let mut doc = (next() % 5) as u32;
            for _ in 0..n {
                docs.push(doc);
                let f = if next() % 50 == 0 {
                    1 + (next() % 3000) as u32
                } else {
                    1 + (next() % 5) as u32
                };
                freqs.push(f);
                let mut p = (next() % 3) as u32;
                for _ in 0..f {
                    positions.push(p);
                    p += 1 + (next() % 40) as u32;
                }
                doc += 1 + (next() % if next() % 4 == 0 { 1000 } else { 3 }) as u32;
            }
            let lengths = (0..=doc).map(|_| (next() % 500) as u32).collect();
            (docs, freqs, positions, lengths)
        })
    }

    fn encode(
        docs: &[u32],
        freqs: &[u32],
        positions: &[u32],
        lengths: &[u32],
    ) -> (Vec<u8>, Vec<u8>) {
        let mut p = vec![0xAA; 3]; // data of earlier terms
        let mut q = vec![0xBB; 5];
        write_term(docs, freqs, positions, lengths, 20.0, &mut p, &mut q);
        (p[3..].to_vec(), q[5..].to_vec())
    }

    fn dominated(points: impl Iterator<Item = (u32, u32)> + Clone, tf: u32, len: u32) -> bool {
        points.clone().any(|(t, l)| t >= tf && l <= len)
    }

    proptest! {
        #[test]
        fn next_yields_every_posting_with_positions((docs, freqs, positions, lengths) in postings()) {
            let (p, q) = encode(&docs, &freqs, &positions, &lengths);
            let mut c = PostingsCursor::new(&p, docs.len() as u32);
            let mut got_docs = Vec::new();
            let mut got_positions = Vec::new();
            let mut got_freqs = Vec::new();
            while c.doc() != TERMINATED {
                got_docs.push(c.doc());
                got_freqs.push(c.freq());
                prop_assert!(c.read_positions(&q, &mut got_positions));
                c.advance();
            }
            prop_assert!(!c.is_corrupt());
            prop_assert_eq!(got_docs, docs);
            prop_assert_eq!(got_freqs, freqs);
            prop_assert_eq!(got_positions, positions);
        }

        #[test]
        fn frontiers_until_bound_every_posting_of_the_range(
            (docs, freqs, positions, lengths) in postings(),
            pick in any::<proptest::sample::Index>(),
            span in 0u32..5_000,
            limit in 1usize..6,
        ) {
            prop_assume!(has_skip_data(docs.len() as u32));
            let (p, _) = encode(&docs, &freqs, &positions, &lengths);
            let mut c = PostingsCursor::new(&p, docs.len() as u32);
            let from = docs[pick.index(docs.len())];
            let last = c.shallow_seek(from);
            let hi = from.saturating_add(span);
            let mut points = Vec::new();
            let read = c.frontiers_until(hi, limit, |f| points.extend(f));
            // The shallow position stays where it was.
            prop_assert_eq!(c.shallow_seek(from), last);
            let blocks: std::collections::BTreeSet<usize> = docs
                .iter()
                .enumerate()
                .filter(|&(_, &d)| d >= from && d <= hi)
                .map(|(i, _)| i / BLOCK_LEN)
                .collect();
            if read {
                for (i, &d) in docs.iter().enumerate() {
                    if d >= from && d <= hi {
                        let len = lengths[d as usize];
                        prop_assert!(dominated(points.iter().copied(), freqs[i], len));
                    }
                }
            } else {
                // The walk may end on the block after the range.
                prop_assert!(blocks.len() + 1 > limit);
            }
        }

        #[test]
        fn seek_finds_the_first_doc_at_or_after_target(
            (docs, freqs, positions, lengths) in postings(),
            targets in proptest::collection::vec(0u32..400_000, 1..40),
            shallow_first in any::<bool>(),
        ) {
            let (p, q) = encode(&docs, &freqs, &positions, &lengths);
            let mut targets = targets;
            targets.sort_unstable();
            let mut c = PostingsCursor::new(&p, docs.len() as u32);
            for t in targets {
                if shallow_first {
                    c.shallow_seek(t);
                }
                let got = c.seek(t);
                let want = docs.iter().copied().find(|&d| d >= t).unwrap_or(TERMINATED);
                prop_assert_eq!(got, want);
                if got != TERMINATED {
                    let i = docs.binary_search(&got).unwrap();
                    prop_assert_eq!(c.freq(), freqs[i]);
                    let start: usize = freqs[..i].iter().map(|&f| f as usize).sum();
                    let mut out = Vec::new();
                    prop_assert!(c.read_positions(&q, &mut out));
                    prop_assert_eq!(&out[..], &positions[start..start + freqs[i] as usize]);
                }
            }
            prop_assert!(!c.is_corrupt());
        }

        /// Every posting's (tf, length) is dominated by its block's frontier
        /// and by the term's; a shallow seek never loses the current doc.
        #[test]
        fn frontiers_bound_every_posting(
            (docs, freqs, positions, lengths) in postings(),
            targets in proptest::collection::vec(0u32..400_000, 1..20),
        ) {
            let (p, _) = encode(&docs, &freqs, &positions, &lengths);
            let mut c = PostingsCursor::new(&p, docs.len() as u32);
            if let Some(term) = c.term_frontier() {
                for (&d, &f) in docs.iter().zip(&freqs) {
                    prop_assert!(dominated(term.clone(), f, lengths[d as usize]));
                }
            } else {
                prop_assert_eq!(docs.len(), 1);
            }
            let mut targets = targets;
            targets.sort_unstable();
            for t in targets {
                let before = c.doc();
                let last = c.shallow_seek(t);
                prop_assert_eq!(c.doc(), before);
                let in_block: Vec<usize> = (0..docs.len()).filter(|&i| docs[i] >= t && docs[i] <= last).collect();
                let want_last = docs.iter().copied().find(|&d| d >= t);
                match want_last {
                    Some(d) => prop_assert!(last >= d),
                    None => prop_assert!(last < t),
                }
                if let Some(front) = c.shallow_frontier() {
                    for i in in_block {
                        prop_assert!(dominated(front.clone(), freqs[i], lengths[docs[i] as usize]));
                    }
                }
                c.seek(t);
            }
            prop_assert!(!c.is_corrupt());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000), df in 0u32..400, targets in proptest::collection::vec(any::<u32>(), 0..8)) {
            let mut c = PostingsCursor::new(&bytes, df);
            let mut steps = 0;
            while c.doc() != TERMINATED && steps < 1000 {
                let mut out = Vec::new();
                c.read_positions(&bytes, &mut out);
                if let Some(f) = c.shallow_frontier() { f.count(); }
                c.advance();
                steps += 1;
            }
            let mut c = PostingsCursor::new(&bytes, df);
            for t in targets { c.shallow_seek(t); c.seek(t); c.freq(); }
        }

        #[test]
        fn frontier_is_the_pareto_set(points in proptest::collection::vec((1u32..20, 0u32..50), 1..60)) {
            let f = frontier(points.iter().copied(), 10.0);
            prop_assert!(!f.is_empty() && f.len() <= MAX_FRONTIER);
            for &(tf, len) in &points {
                prop_assert!(dominated(f.iter().copied(), tf, len));
            }
            // Every point of a small frontier is an input point.
            let exact = frontier_uncapped(&points);
            if exact.len() <= MAX_FRONTIER {
                prop_assert_eq!(f, exact);
            }
        }
    }

    fn frontier_uncapped(points: &[(u32, u32)]) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = points
            .iter()
            .copied()
            .filter(|&(t, l)| {
                !points
                    .iter()
                    .any(|&(t2, l2)| (t2 >= t && l2 <= l) && (t2, l2) != (t, l))
            })
            .collect();
        out.sort_unstable_by_key(|&(t, l)| (l, t));
        out.dedup();
        out
    }

    #[test]
    fn small_terms_have_no_skip_data() {
        let (p, _) = encode(&[3, 9], &[1, 2], &[0, 1, 5], &[0; 10]);
        // frontier: 1 point (tf 2, length 0); deltas 3, 6; freqs 1, 2
        assert_eq!(p, vec![1, 2, 0, 3, 6, 1, 2]);
        let c = PostingsCursor::new(&p, 2);
        assert_eq!(c.term_frontier().unwrap().collect::<Vec<_>>(), [(2, 0)]);
        assert_eq!(c.skip_data_len(), 3);
        let (p, _) = encode(&[7], &[3], &[0, 1, 5], &[0; 10]);
        assert_eq!(p, vec![7, 3], "one document: no frontier");
        assert!(PostingsCursor::new(&p, 1).term_frontier().is_none());
    }

    #[test]
    fn full_blocks_are_bit_packed() {
        // 256 docs two apart (delta - 1 = 1: one bit each), all tf 1 (0 bits).
        let docs: Vec<u32> = (0..256).map(|i| i * 2 + 1).collect();
        let (p, _) = encode(&docs, &[1; 256], &[0; 256], &[7; 600]);
        let c = PostingsCursor::new(&p, 256);
        let skip = c.skip_data_len();
        // Block 0 starts at doc 1 from "no previous" (delta - 1 = 1 too).
        assert_eq!(p.len() - skip, 2 * 16);
        assert_eq!(c.term_frontier().unwrap().collect::<Vec<_>>(), [(1, 7)]);
    }

    #[test]
    fn seeking_behind_a_shallow_seek_finds_the_skipped_blocks() {
        let docs: Vec<u32> = (0..512).collect();
        let (p, _) = encode(&docs, &[1; 512], &[0; 512], &[5; 512]);
        let mut c = PostingsCursor::new(&p, 512);
        assert_eq!(c.shallow_seek(400), 511);
        assert_eq!(c.seek(200), 200);
        assert_eq!(c.advance(), 201);
        assert_eq!(c.seek(300), 300);
        assert!(!c.is_corrupt());
    }

    /// Damaged bytes whose deltas wrap around 2^32, or a stored frequency
    /// that wraps to 0, are reported, not turned into decreasing ids.
    /// A term's postings bytes with skip data for one full block, laid
    /// out by hand: the term and block frontier `(tf 1, length 0)`, the
    /// given last document, positions length and widths, and `block` as
    /// the block.
    fn one_block_term(
        last_doc: u32,
        positions_len: u32,
        (doc_bits, tf_bits): (u8, u8),
        block: &[u8],
    ) -> Vec<u8> {
        let frontier = [1u8, 1, 0];
        let mut skip = frontier.to_vec();
        skip.extend_from_slice(&last_doc.to_le_bytes());
        skip.extend_from_slice(&(block.len() as u32).to_le_bytes()); // blocks end
        skip.extend_from_slice(&positions_len.to_le_bytes()); // positions end
        skip.extend_from_slice(&(frontier.len() as u32).to_le_bytes()); // frontier end
        skip.extend_from_slice(&[doc_bits, tf_bits]);
        skip.extend_from_slice(&frontier);
        let mut p = Vec::new();
        write_vint(&mut p, skip.len() as u64);
        p.extend_from_slice(&skip);
        p.extend_from_slice(block);
        p
    }

    #[test]
    fn hand_built_skip_data_reads_as_written() {
        let docs: Vec<u32> = (0..128).map(|d| 3 * d).collect();
        let (p, _) = encode(&docs, &[1; 128], &[0; 128], &[0; 384]);
        let packer = BitPacker4x::new();
        let mut packed = [0u8; 4 * BLOCK_LEN];
        let bits = packer.num_bits_strictly_sorted(None, &docs);
        let n = packer.compress_strictly_sorted(None, &docs, &mut packed, bits);
        // Frequencies 1 are stored as 0 at width 0: no bytes.
        assert_eq!(p, one_block_term(381, 128, (bits, 0), &packed[..n]));
    }

    /// Damaged bytes whose deltas wrap around 2^32, or a stored frequency
    /// that wraps to 0, are reported, not turned into decreasing ids.
    #[test]
    fn wrapping_packed_values_are_corrupt() {
        let packer = BitPacker4x::new();
        let mut deltas = [0u32; BLOCK_LEN];
        deltas[0] = 10; // doc 10
        deltas[1] = 0xFFFF_FFFA; // doc 10 + 0xFFFFFFFA + 1 = 5 (wrapped)
        let mut packed = [0u8; 4 * BLOCK_LEN];
        let n = packer.compress(&deltas, &mut packed, 32);
        let p = one_block_term(5 + 126, 0, (32, 0), &packed[..n]);
        let c = PostingsCursor::new(&p, 128);
        assert!(c.is_corrupt());
        assert_eq!(c.doc(), TERMINATED);
        // The same bytes without the wrap decode.
        deltas[1] = 0;
        packer.compress(&deltas, &mut packed, 32);
        let p = one_block_term(10 + 127, 0, (32, 0), &packed[..n]);
        let c = PostingsCursor::new(&p, 128);
        assert!(!c.is_corrupt());
        assert_eq!(c.doc(), 10);

        // Frequencies stored as 2^32 - 1 (32-bit width).
        let p = one_block_term(127, 0, (0, 32), &[0xFF; 16 * 32]);
        let mut c = PostingsCursor::new(&p, 128);
        assert_eq!(c.doc(), 0);
        assert!(!c.is_corrupt());
        c.freq();
        assert!(c.is_corrupt());
    }

    #[test]
    fn skipping_integers_matches_reading_them() {
        let mut bytes = Vec::new();
        for v in 0..300u64 {
            write_vint(&mut bytes, v * v * 37);
        }
        for n in 0..300u64 {
            let mut at = 0;
            for _ in 0..n {
                read_vint_u32(&bytes, &mut at).unwrap();
            }
            assert_eq!(skip_vints(&bytes, 0, n), Some(at), "n = {n}");
        }
        assert_eq!(skip_vints(&bytes, 0, 301), None);
    }

    #[test]
    fn zero_width_blocks_decode() {
        // Consecutive docs, all tf 1: both widths 0, blocks take no bytes.
        let docs: Vec<u32> = (0..384).collect();
        let (p, _) = encode(&docs, &[1; 384], &[0; 384], &[3; 384]);
        let mut c = PostingsCursor::new(&p, 384);
        assert_eq!(p.len(), c.skip_data_len());
        let mut n = 0;
        while c.doc() != TERMINATED {
            assert_eq!((c.doc(), c.freq()), (n, 1));
            n += 1;
            c.advance();
        }
        assert!(!c.is_corrupt());
        assert_eq!(n, 384);
    }

    #[test]
    fn truncated_postings_are_reported_corrupt() {
        let docs: Vec<u32> = (0..300).collect();
        let (p, _) = encode(&docs, &[1; 300], &[0; 300], &[1; 300]);
        for cut in [0, 5, 36, p.len() - 1] {
            let mut c = PostingsCursor::new(&p[..cut], 300);
            while c.advance() != TERMINATED {}
            assert!(c.is_corrupt(), "cut at {cut}");
        }
    }
}
