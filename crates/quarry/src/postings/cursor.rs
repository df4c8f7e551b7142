//! The postings cursor: documents and frequencies in order, with (shallow) seeks.

use bitpacking::{BitPacker, BitPacker4x};

use crate::format::{read_vint_u32, BLOCK_LEN};
use crate::pages::PageGuard;

use super::block_buf::BlockBuf;

use super::*;

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
    /// The decoded block's documents and frequencies, on the heap so that
    /// a cursor (and each scorer holding one) stays small to move
    /// ([`BlockBuf`]).
    buf: BlockBuf,
    doc: u32,
    /// The last document of a term without skip data.
    tail_last: u32,
    /// Where the positions of a document of a block start, once known:
    /// (block, index in the block, offset).
    positions_mark: Option<(usize, usize, usize)>,
    corrupt: bool,
    packer: BitPacker4x,
    /// Checks the pages of the bytes before they are decoded, when the
    /// bytes are an index file's ([`crate::Index::postings_of`]).
    guard: Option<PageGuard<'a>>,
    /// Bytes whose pages the guard has passed, around the last block.
    checked: (usize, usize),
}

impl<'a> PostingsCursor<'a> {
    /// A cursor on the first document of a term's postings bytes.
    pub fn new(bytes: &'a [u8], doc_freq: u32) -> PostingsCursor<'a> {
        Self::with_guard(bytes, doc_freq, None)
    }

    /// A cursor whose bytes' pages are checked by `guard` before they are
    /// decoded: the skip data at once, each block as it is first decoded,
    /// so a query that skips most blocks checks only what it reads. A
    /// page that fails makes the cursor corrupt (and is recorded by the
    /// guard).
    pub(crate) fn with_guard(
        bytes: &'a [u8],
        doc_freq: u32,
        guard: Option<PageGuard<'a>>,
    ) -> PostingsCursor<'a> {
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
            buf: BlockBuf::new(),
            doc: TERMINATED,
            tail_last: 0,
            positions_mark: None,
            corrupt: false,
            packer: BitPacker4x::new(),
            guard,
            checked: (0, 0),
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
        // Everything before the blocks (skip data, frontier) is read from
        // here on: its pages first.
        let skip_end = bytes.len() - c.blocks.len();
        if c.guard.as_ref().is_some_and(|g| !g.check(0, skip_end)) {
            c.fail();
            return c;
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
        self.decoded_freq()
    }

    /// The current document's frequency, once the block's frequencies are
    /// decoded.
    #[inline]
    fn decoded_freq(&self) -> u32 {
        self.buf.freqs()[self.at.min(BLOCK_LEN - 1)]
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
            self.doc = self.buf.docs()[self.at];
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
        if self.buf.docs()[self.len - 1] < target {
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
        if self.at + 8 < self.len && self.buf.docs()[self.at + 8] < target {
            self.at += 8 + self.buf.docs()[self.at + 8..self.len].partition_point(|&d| d < target);
            if self.at >= self.len {
                self.fail();
                return TERMINATED;
            }
        }
        while self.buf.docs()[self.at] < target {
            self.at += 1;
            if self.at == self.len {
                self.fail();
                return TERMINATED;
            }
        }
        self.doc = self.buf.docs()[self.at];
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
        &self.buf.docs()[..self.len]
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
            self.doc = self.buf.docs()[i];
        } else {
            self.at = self.len - 1;
            self.advance();
        }
        self.doc
    }

    /// The last document of the decoded block.
    #[inline]
    pub fn block_last(&self) -> u32 {
        self.buf.docs()[self.len - 1]
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

    /// The group of blocks (see [`super::GROUP_BLOCKS`]) holding the
    /// shallow position: its last document and its score frontier. `None`
    /// for a term without groups.
    pub fn shallow_group(&self) -> Option<(u32, Frontier<'a>)> {
        self.skip.as_ref()?.group_of(self.shallow)
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
        (&self.buf.docs()[..self.len], &self.buf.freqs()[..self.len])
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
        let skip: u64 = self.buf.freqs()[idx..self.at]
            .iter()
            .map(|&f| u64::from(f))
            .sum();
        at = skip_vints(positions, at, skip)?;
        idx = self.at;
        self.positions_mark = Some((self.block, idx, at));
        Some(at)
    }

    /// Appends the positions of the current document to `out`.
    /// `false` (and nothing appended) on malformed bytes.
    #[inline]
    pub fn read_positions(&mut self, positions: &[u8], out: &mut Vec<u32>) -> bool {
        match self.positions_offset(positions) {
            Some(mut at) => {
                // positions_offset decoded the frequencies.
                let freq = self.decoded_freq();
                let ok = read_doc_positions(positions, &mut at, freq, out);
                if ok {
                    self.positions_mark = Some((self.block, self.at + 1, at));
                }
                ok
            }
            None => false,
        }
    }

    /// The bytes the decoded block's positions lie in, relative to the
    /// term's positions bytes of length `len`: what reading any of its
    /// documents' positions ([`PostingsCursor::read_positions`]) may touch.
    /// Malformed skip data gives a range the reads then fail on, never a
    /// panic.
    #[inline]
    pub fn block_positions_range(&self, len: usize) -> (usize, usize) {
        let end = match &self.skip {
            Some(skip) if self.block < self.block_count => skip.positions_end(self.block),
            _ => len,
        };
        let end = end.min(len);
        (self.block_positions.min(end), end)
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
        self.buf.docs_mut()[0] = TERMINATED;
        self.buf.freqs_mut()[0] = 0;
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
            .decompress(&self.blocks[start..], self.buf.freqs_mut(), bits);
        let mut wrapped = false;
        for f in self.buf.freqs_mut() {
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
        let base = self.bytes.len() - self.blocks.len();
        let (start, end) = (base + entry.offset, base + entry.end);
        let sound = match &self.guard {
            None => true,
            Some(_) if self.checked.0 <= start && end <= self.checked.1 => true,
            Some(g) => match g.check_span(start, end) {
                Some(span) => {
                    self.checked = span;
                    true
                }
                None => false,
            },
        };
        let ok = sound
            && if is_full(self.doc_freq, b) {
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
        self.doc = self.buf.docs()[0];
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
        self.packer.decompress_strictly_sorted(
            prev_last,
            bytes,
            self.buf.docs_mut(),
            entry.doc_bits,
        );
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
            || self.buf.docs()[1..]
                .iter()
                .zip(&self.buf.docs()[..BLOCK_LEN - 1])
                .fold(0u32, |bad, (&next, &prev)| bad | u32::from(next <= prev))
                == 0;
        increasing
            && self.buf.docs()[BLOCK_LEN - 1] == entry.last_doc
            && prev_last.is_none_or(|p| self.buf.docs()[0] > p)
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
                        self.buf.docs_mut()[i] = doc;
                        prev = doc;
                    }
                    _ => return false,
                },
                _ => return false,
            }
        }
        for i in 0..n {
            match read_vint_u32(bytes, &mut at) {
                Some(f) if f > 0 => self.buf.freqs_mut()[i] = f,
                _ => return false,
            }
        }
        self.pending_freqs = None;
        self.len = n;
        self.tail_last = prev;
        at == bytes.len() && (self.skip.is_none() || entry.last_doc == prev)
    }
}
