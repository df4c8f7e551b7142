//! Postings (document ids and term frequencies) and positions of one term.
//!
//! A term's postings are cut into blocks of [`BLOCK_LEN`] documents. A term
//! with more than one block starts with a skip table, one 12-byte entry per
//! block: the block's last document id, where the block ends (relative to
//! the first block) and where the positions of its first document start
//! (relative to the term's positions). Each block holds its document-id
//! deltas, then its term frequencies, as LEB128 integers. Positions live in
//! their own section and are decoded only on request.
//!
//! The cursor decodes a whole block at a time into fixed arrays, so a later
//! format can change how a block is packed (bit-packing) and what a skip
//! entry carries (block maximum scores) without touching its callers.

use byteorder::{ByteOrder, LittleEndian};

use crate::format::{read_vint_u32, write_vint, BLOCK_LEN};

/// The document id a cursor reports once it is exhausted.
pub const TERMINATED: u32 = u32::MAX;

/// Bytes per skip table entry.
pub const SKIP_ENTRY_LEN: usize = 12;

/// Number of blocks for `doc_freq` documents.
pub fn block_count(doc_freq: u32) -> usize {
    (doc_freq as usize).div_ceil(BLOCK_LEN)
}

/// Encodes one term's postings and positions.
///
/// `docs` are strictly increasing document ids, `freqs[i]` the number of
/// positions of `docs[i]`, and `positions` all positions, document after
/// document, increasing within each document. Appends to both outputs.
pub fn write_term(
    docs: &[u32],
    freqs: &[u32],
    positions: &[u32],
    postings_out: &mut Vec<u8>,
    positions_out: &mut Vec<u8>,
) {
    debug_assert_eq!(docs.len(), freqs.len());
    debug_assert_eq!(
        freqs.iter().map(|&f| f as usize).sum::<usize>(),
        positions.len()
    );
    let positions_base = positions_out.len();
    let mut blocks = Vec::new();
    let mut skips = Vec::new();
    let mut prev_doc = 0u32;
    let mut pos_at = 0usize;
    for (chunk_docs, chunk_freqs) in docs.chunks(BLOCK_LEN).zip(freqs.chunks(BLOCK_LEN)) {
        let block_positions_start = (positions_out.len() - positions_base) as u32;
        for &doc in chunk_docs {
            write_vint(&mut blocks, u64::from(doc - prev_doc));
            prev_doc = doc;
        }
        for &freq in chunk_freqs {
            write_vint(&mut blocks, u64::from(freq));
        }
        for &freq in chunk_freqs {
            let mut prev = 0u32;
            for &p in &positions[pos_at..pos_at + freq as usize] {
                write_vint(positions_out, u64::from(p - prev));
                prev = p;
            }
            pos_at += freq as usize;
        }
        let mut entry = [0u8; SKIP_ENTRY_LEN];
        LittleEndian::write_u32(&mut entry[0..4], prev_doc);
        LittleEndian::write_u32(&mut entry[4..8], blocks.len() as u32);
        LittleEndian::write_u32(&mut entry[8..12], block_positions_start);
        skips.extend_from_slice(&entry);
    }
    if docs.len() > BLOCK_LEN {
        postings_out.extend_from_slice(&skips);
    }
    postings_out.extend_from_slice(&blocks);
}

/// Iterates one term's postings in document order, with skipping.
///
/// Malformed bytes never panic: the cursor stops (reports [`TERMINATED`])
/// and [`PostingsCursor::is_corrupt`] turns true, which the caller turns
/// into an error.
pub struct PostingsCursor<'a> {
    skips: &'a [u8],
    blocks: &'a [u8],
    doc_freq: u32,
    block_count: usize,
    /// Index of the decoded block.
    block: usize,
    /// Documents in the decoded block.
    len: usize,
    /// Index of the current document within the block.
    at: usize,
    docs: [u32; BLOCK_LEN],
    freqs: [u32; BLOCK_LEN],
    doc: u32,
    corrupt: bool,
}

impl<'a> PostingsCursor<'a> {
    /// A cursor on the first document of a term's postings bytes.
    pub fn new(bytes: &'a [u8], doc_freq: u32) -> PostingsCursor<'a> {
        let block_count = block_count(doc_freq);
        let skip_len = if block_count > 1 {
            block_count * SKIP_ENTRY_LEN
        } else {
            0
        };
        let mut c = PostingsCursor {
            skips: &[],
            blocks: &[],
            doc_freq,
            block_count,
            block: 0,
            len: 0,
            at: 0,
            docs: [0; BLOCK_LEN],
            freqs: [0; BLOCK_LEN],
            doc: TERMINATED,
            corrupt: false,
        };
        if bytes.len() < skip_len || doc_freq == 0 {
            c.corrupt = doc_freq == 0 || bytes.len() < skip_len;
            return c;
        }
        c.skips = &bytes[..skip_len];
        c.blocks = &bytes[skip_len..];
        c.load_block(0);
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

    /// The term frequency in the current document.
    #[inline]
    pub fn freq(&self) -> u32 {
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
            self.load_block(self.block + 1);
        }
        self.doc
    }

    /// Moves to the first document `>= target` and returns it (never backwards).
    pub fn seek(&mut self, target: u32) -> u32 {
        if self.doc >= target {
            return self.doc;
        }
        if self.docs[self.len - 1] < target {
            // Skip whole blocks by their last document id.
            let mut b = self.block + 1;
            while b < self.block_count && self.skip_last_doc(b) < target {
                b += 1;
            }
            if !self.load_block(b) {
                return TERMINATED;
            }
        }
        while self.docs[self.at] < target {
            self.at += 1;
            if self.at == self.len {
                // Only reachable when the skip table lies about the block.
                self.fail();
                return TERMINATED;
            }
        }
        self.doc = self.docs[self.at];
        self.doc
    }

    /// True when the current document is the first of its block.
    pub fn is_block_start(&self) -> bool {
        self.at == 0
    }

    /// Where the positions of the current block's first document start,
    /// relative to the term's positions bytes (from the skip table).
    pub fn block_positions_start(&self) -> usize {
        if self.block_count > 1 {
            LittleEndian::read_u32(&self.skips[self.block * SKIP_ENTRY_LEN + 8..]) as usize
        } else {
            0
        }
    }

    /// Where the positions of the current document start, relative to the
    /// term's positions bytes; `None` on malformed bytes.
    pub fn positions_offset(&self, positions: &[u8]) -> Option<usize> {
        let mut at = self.block_positions_start();
        for &f in &self.freqs[..self.at] {
            for _ in 0..f {
                read_vint_u32(positions, &mut at)?;
            }
        }
        Some(at)
    }

    /// Appends the positions of the current document to `out`.
    /// `false` (and nothing appended) on malformed bytes.
    pub fn read_positions(&self, positions: &[u8], out: &mut Vec<u32>) -> bool {
        match self.positions_offset(positions) {
            Some(mut at) => read_doc_positions(positions, &mut at, self.freq(), out),
            None => false,
        }
    }

    fn skip_last_doc(&self, block: usize) -> u32 {
        LittleEndian::read_u32(&self.skips[block * SKIP_ENTRY_LEN..])
    }

    fn skip_end(&self, block: usize) -> usize {
        LittleEndian::read_u32(&self.skips[block * SKIP_ENTRY_LEN + 4..]) as usize
    }

    fn fail(&mut self) {
        self.corrupt = true;
        self.doc = TERMINATED;
        self.len = 1;
        self.at = 0;
        self.docs[0] = TERMINATED;
        self.freqs[0] = 0;
    }

    /// Decodes block `b` and moves to its first document. `false` when
    /// there is no such block (the cursor is then exhausted) or it is malformed.
    fn load_block(&mut self, b: usize) -> bool {
        if b >= self.block_count {
            self.doc = TERMINATED;
            self.len = 1;
            self.at = 0;
            self.docs[0] = TERMINATED;
            return false;
        }
        let (start, end, mut prev) = if self.block_count == 1 {
            (0, self.blocks.len(), 0)
        } else if b == 0 {
            (0, self.skip_end(0), 0)
        } else {
            (
                self.skip_end(b - 1),
                self.skip_end(b),
                self.skip_last_doc(b - 1),
            )
        };
        let n = if b + 1 == self.block_count {
            self.doc_freq as usize - b * BLOCK_LEN
        } else {
            BLOCK_LEN
        };
        let Some(bytes) = self.blocks.get(start..end) else {
            self.fail();
            return false;
        };
        let mut at = 0;
        for i in 0..n {
            let delta = read_vint_u32(bytes, &mut at);
            let first_of_term = b == 0 && i == 0;
            match delta.and_then(|d| prev.checked_add(d)) {
                Some(doc) if (d_ok(delta, first_of_term)) && doc != TERMINATED => {
                    self.docs[i] = doc;
                    prev = doc;
                }
                _ => {
                    self.fail();
                    return false;
                }
            }
        }
        for i in 0..n {
            match read_vint_u32(bytes, &mut at) {
                Some(f) if f > 0 => self.freqs[i] = f,
                _ => {
                    self.fail();
                    return false;
                }
            }
        }
        if at != bytes.len() || (self.block_count > 1 && self.skip_last_doc(b) != prev) {
            self.fail();
            return false;
        }
        self.block = b;
        self.len = n;
        self.at = 0;
        self.doc = self.docs[0];
        true
    }
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

/// Deltas after the first document of a term must be positive.
#[inline]
fn d_ok(delta: Option<u32>, first_of_term: bool) -> bool {
    first_of_term || delta.is_some_and(|d| d > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Random postings: strictly increasing docs, freqs 1..=5, positions increasing per doc.
    fn postings() -> impl Strategy<Value = (Vec<u32>, Vec<u32>, Vec<u32>)> {
        (1usize..700, any::<u64>()).prop_map(|(n, seed)| {
            let mut rng = seed;
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
                let f = 1 + (next() % 5) as u32;
                freqs.push(f);
                let mut p = (next() % 3) as u32;
                for _ in 0..f {
                    positions.push(p);
                    p += 1 + (next() % 40) as u32;
                }
                doc += 1 + (next() % if next() % 4 == 0 { 1000 } else { 3 }) as u32;
            }
            (docs, freqs, positions)
        })
    }

    fn encode(docs: &[u32], freqs: &[u32], positions: &[u32]) -> (Vec<u8>, Vec<u8>) {
        let mut p = vec![0xAA; 3]; // data of earlier terms
        let mut q = vec![0xBB; 5];
        write_term(docs, freqs, positions, &mut p, &mut q);
        (p[3..].to_vec(), q[5..].to_vec())
    }

    proptest! {
        #[test]
        fn next_yields_every_posting_with_positions((docs, freqs, positions) in postings()) {
            let (p, q) = encode(&docs, &freqs, &positions);
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
        fn seek_finds_the_first_doc_at_or_after_target(
            (docs, freqs, positions) in postings(),
            targets in proptest::collection::vec(0u32..400_000, 1..40),
        ) {
            let (p, _) = encode(&docs, &freqs, &positions);
            let mut targets = targets;
            targets.sort_unstable();
            let mut c = PostingsCursor::new(&p, docs.len() as u32);
            for t in targets {
                let got = c.seek(t);
                let want = docs.iter().copied().find(|&d| d >= t).unwrap_or(TERMINATED);
                prop_assert_eq!(got, want);
                if got != TERMINATED {
                    let i = docs.binary_search(&got).unwrap();
                    prop_assert_eq!(c.freq(), freqs[i]);
                }
            }
            prop_assert!(!c.is_corrupt());
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), df in 0u32..400, targets in proptest::collection::vec(any::<u32>(), 0..8)) {
            let mut c = PostingsCursor::new(&bytes, df);
            let mut steps = 0;
            while c.doc() != TERMINATED && steps < 1000 {
                let mut out = Vec::new();
                c.read_positions(&bytes, &mut out);
                c.advance();
                steps += 1;
            }
            let mut c = PostingsCursor::new(&bytes, df);
            for t in targets { c.seek(t); }
        }
    }

    #[test]
    fn small_terms_have_no_skip_table() {
        let (p, _) = encode(&[3, 9], &[1, 2], &[0, 1, 5]);
        // deltas 3, 6; freqs 1, 2
        assert_eq!(p, vec![3, 6, 1, 2]);
        let docs: Vec<u32> = (0..300).map(|i| i * 2).collect();
        let freqs = vec![1; 300];
        let positions = vec![0; 300];
        let (p, _) = encode(&docs, &freqs, &positions);
        assert_eq!(LittleEndian::read_u32(&p[0..4]), 254); // last doc of block 0
        assert_eq!(LittleEndian::read_u32(&p[12..16]), 510); // last doc of block 1
    }

    #[test]
    fn truncated_postings_are_reported_corrupt() {
        let docs: Vec<u32> = (0..300).collect();
        let (p, _) = encode(&docs, &vec![1; 300], &vec![0; 300]);
        for cut in [0, 5, 36, p.len() - 1] {
            let mut c = PostingsCursor::new(&p[..cut], 300);
            while c.advance() != TERMINATED {}
            assert!(c.is_corrupt(), "cut at {cut}");
        }
    }
}
