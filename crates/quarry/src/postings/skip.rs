//! Skip data: fixed-width per-block arrays, read in constant time.

use crate::format::read_vint_u32;

use super::*;

/// One block's skip entry.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SkipEntry {
    /// The previous block's last document (`None` for the first block).
    pub(crate) prev_last: Option<u32>,
    pub(crate) last_doc: u32,
    pub(crate) doc_bits: u8,
    pub(crate) tf_bits: u8,
    /// Start and end of the block in the blocks region.
    pub(crate) offset: usize,
    pub(crate) end: usize,
    /// Start of the block's positions in the term's positions.
    pub(crate) positions: usize,
}

/// Bytes per block of the fixed-width skip arrays: last document, blocks
/// end, positions end, frontier end (u32 each), doc bits, tf bits (u8).
pub(crate) const SKIP_ENTRY_LEN: usize = 18;

/// A term's skip data: fixed-width arrays indexed by block, so that any
/// block's entry is read in constant time and the block holding a
/// document is found by a search (see FORMAT.md).
#[derive(Clone, Copy)]
pub(crate) struct SkipData<'a> {
    /// The skip data (after its length), starting with the term frontier.
    pub(crate) bytes: &'a [u8],
    pub(crate) block_count: usize,
    pub(crate) doc_freq: u32,
    pub(crate) last_doc: &'a [u8],
    pub(crate) blocks_end: &'a [u8],
    pub(crate) positions_end: &'a [u8],
    pub(crate) frontier_end: &'a [u8],
    pub(crate) doc_bits: &'a [u8],
    pub(crate) tf_bits: &'a [u8],
    pub(crate) frontiers: &'a [u8],
    /// Frontiers of the groups of blocks ([`group_count`] of them), and
    /// where each ends in `groups`.
    pub(crate) group_count: usize,
    pub(crate) groups: &'a [u8],
    pub(crate) group_end: &'a [u8],
}

/// The `i`-th little-endian u32 of `column` (0 when out of range, which
/// the callers' bounds rule out).
#[inline]
pub(crate) fn u32_at(column: &[u8], i: usize) -> u32 {
    column
        .get(4 * i..4 * i + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl<'a> SkipData<'a> {
    /// Reads the skip data at the start of `bytes`; returns it and the
    /// length of the skip data, or `None` when malformed.
    pub(crate) fn new(bytes: &'a [u8], doc_freq: u32) -> Option<(SkipData<'a>, usize)> {
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
        // Then the blocks' frontiers, the groups' frontiers and the
        // groups' end column, which ends the skip data.
        let rest = &skip[first + columns.len()..];
        let group_count = group_count(doc_freq);
        let (rest, group_end) = rest.split_at(rest.len().checked_sub(4 * group_count)?);
        let (frontiers, groups) =
            rest.split_at_checked(u32_at(frontier_end, block_count - 1) as usize)?;
        if group_count > 0 && u32_at(group_end, group_count - 1) as usize != groups.len() {
            return None;
        }
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
            group_count,
            groups,
            group_end,
        };
        // Without groups, the blocks' frontiers end the skip data.
        (group_count > 0 || groups.is_empty()).then_some((data, end))
    }

    /// The last document of block `b`.
    #[inline]
    pub(crate) fn last_doc(&self, b: usize) -> u32 {
        u32_at(self.last_doc, b)
    }

    /// Where block `b`'s positions end, relative to the term's positions
    /// bytes (`b` below the block count).
    #[inline]
    pub(crate) fn positions_end(&self, b: usize) -> usize {
        u32_at(self.positions_end, b) as usize
    }

    /// The entry of block `b`; `None` when malformed (or no such block).
    pub(crate) fn entry(&self, b: usize) -> Option<SkipEntry> {
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
    pub(crate) fn find(&self, from: usize, target: u32) -> usize {
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
    pub(crate) fn frontier(&self, b: usize) -> Frontier<'a> {
        let start = if b == 0 {
            0
        } else {
            u32_at(self.frontier_end, b - 1) as usize
        };
        Frontier::lazy(self.frontiers, start)
    }

    /// The group of blocks holding block `b`, its last document and its
    /// score frontier; `None` for a term without groups.
    pub(crate) fn group_of(&self, b: usize) -> Option<(u32, Frontier<'a>)> {
        if self.group_count == 0 {
            return None;
        }
        let g = b / GROUP_BLOCKS;
        let last_block = ((g + 1) * GROUP_BLOCKS).min(self.block_count) - 1;
        let start = if g == 0 {
            0
        } else {
            u32_at(self.group_end, g - 1) as usize
        };
        Some((
            self.last_doc(last_block),
            Frontier::lazy(self.groups, start),
        ))
    }

    /// The score frontier of the whole term.
    pub(crate) fn term_frontier(&self) -> Frontier<'a> {
        Frontier::lazy(self.bytes, 0)
    }
}
