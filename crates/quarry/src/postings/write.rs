//! Encoding one term's postings, skip data and positions.
//!
//! [`TermEncoder`] takes a term's documents one at a time and writes their
//! positions at once, so it holds only the term's skip data (about a
//! fifth of a byte per document) and its encoded blocks (about two
//! bytes per document; past a megabyte, they go to a spill file if it has
//! one), never its positions or the documents' field lengths: a merge of
//! any size encodes its largest term in bounded memory.

use std::io::{self, Read, Seek, SeekFrom, Write};

use bitpacking::{BitPacker, BitPacker4x};

use crate::format::{write_vint, BLOCK_LEN};
use crate::sections::ScratchFile;

use super::frontier::pareto;
use super::*;

/// Encodes one term's postings and positions into in-memory outputs.
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
    let mut term = TermEncoder::new(avg_len);
    let mut at = 0usize;
    for (&doc, &freq) in docs.iter().zip(freqs) {
        let end = at + freq as usize;
        term.push(
            doc,
            &positions[at..end],
            lengths[doc as usize],
            positions_out,
        )
        .expect("writes to memory cannot fail");
        at = end;
    }
    term.finish(postings_out)
        .expect("writes to memory cannot fail");
}

/// One term's postings, encoded as its documents arrive in increasing
/// order (see the module documentation).
pub struct TermEncoder {
    avg_len: f64,
    packer: BitPacker4x,
    /// The documents of the block being filled, their frequencies and
    /// `(frequency, field length)` points.
    block_docs: Vec<u32>,
    block_freqs: Vec<u32>,
    block_points: Vec<(u32, u32)>,
    /// Points of the whole term that may lie on its frontier.
    term_points: Vec<(u32, u32)>,
    /// Points of the group of blocks being filled (see [`GROUP_BLOCKS`]),
    /// the frontiers of the groups already full, and where each ends.
    group_points: Vec<(u32, u32)>,
    groups: Vec<u8>,
    group_end: Vec<u8>,
    doc_count: u32,
    /// Encoded blocks, skip arrays and block frontiers so far.
    blocks: Vec<u8>,
    skip: SkipColumns,
    frontiers: Vec<u8>,
    prev_last: Option<u32>,
    /// Bytes of positions written for this term.
    positions_len: u64,
    scratch: Vec<u8>,
    /// Where the term's first encoded blocks went, if it has such a file.
    spill: Option<Spill>,
}

/// A scratch file holding the first encoded blocks of a large term.
struct Spill {
    file: Box<dyn ScratchFile>,
    /// Bytes of this term's blocks in it, from its start.
    len: u64,
    /// Bytes of blocks held in memory before they are moved to it.
    held: usize,
}

/// Bytes of encoded blocks held in memory before they go to the spill
/// file, if the encoder has one.
pub(crate) const BLOCKS_HELD: usize = 1 << 20;

/// Points gathered for the term's frontier before they are reduced to the
/// ones no other beats.
const TERM_POINTS_HELD: usize = 4096;

impl TermEncoder {
    /// A term with no documents yet; `avg_len` is the field's average
    /// length (it steers which frontier points are merged).
    pub fn new(avg_len: f64) -> Self {
        TermEncoder {
            avg_len,
            packer: BitPacker4x::new(),
            block_docs: Vec::with_capacity(BLOCK_LEN),
            block_freqs: Vec::with_capacity(BLOCK_LEN),
            block_points: Vec::with_capacity(BLOCK_LEN),
            term_points: Vec::new(),
            group_points: Vec::new(),
            groups: Vec::new(),
            group_end: Vec::new(),
            doc_count: 0,
            blocks: Vec::new(),
            skip: SkipColumns::default(),
            frontiers: Vec::new(),
            prev_last: None,
            positions_len: 0,
            scratch: Vec::new(),
            spill: None,
        }
    }

    /// [`TermEncoder::new`] that keeps a large term's encoded blocks in
    /// `spill` (an empty scratch file) as they are made, once `held` bytes
    /// of them are held (a merge holds a megabyte), instead of in memory.
    /// After an error the encoder is in no known state: drop it.
    pub fn with_spill(avg_len: f64, spill: Box<dyn ScratchFile>, held: usize) -> Self {
        let mut term = Self::new(avg_len);
        term.spill = Some(Spill {
            file: spill,
            len: 0,
            held,
        });
        term
    }

    /// Bytes of encoded blocks of this term so far, spilled or held.
    fn blocks_len(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.len) + self.blocks.len() as u64
    }

    /// Moves the blocks held to the spill file, if there is one and
    /// enough are held.
    fn spill_blocks(&mut self) -> io::Result<()> {
        if let Some(s) = &mut self.spill {
            if self.blocks.len() >= s.held {
                s.file.write_all(&self.blocks)?;
                s.len += self.blocks.len() as u64;
                self.blocks.clear();
            }
        }
        Ok(())
    }

    /// Adds the next document: `doc` above every one before, its
    /// `positions` (increasing, at least one) and its field length `len`.
    /// Its positions are written to `positions_out` at once.
    ///
    /// # Errors
    /// Any error of `positions_out`.
    pub fn push(
        &mut self,
        doc: u32,
        positions: &[u32],
        len: u32,
        positions_out: &mut impl Write,
    ) -> io::Result<()> {
        let freq = positions.len() as u32;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let mut prev = 0u32;
        for &p in positions {
            write_vint(&mut scratch, u64::from(p - prev));
            prev = p;
        }
        let pushed = self.push_encoded(doc, freq, &scratch, len, positions_out);
        self.scratch = scratch;
        pushed
    }

    /// [`TermEncoder::push`] of a document whose `freq` positions are
    /// already encoded as they are written: `positions` holds each gap
    /// from the one before (the first from 0) as a LEB128, the shortest.
    ///
    /// # Errors
    /// Any error of `positions_out`.
    pub fn push_encoded(
        &mut self,
        doc: u32,
        freq: u32,
        positions: &[u8],
        len: u32,
        positions_out: &mut impl Write,
    ) -> io::Result<()> {
        debug_assert!(self.block_docs.last().or(self.prev_last.as_ref()) < Some(&doc));
        debug_assert!(freq >= 1);
        positions_out.write_all(positions)?;
        self.positions_len += positions.len() as u64;
        self.block_docs.push(doc);
        self.block_freqs.push(freq);
        self.block_points.push((freq, len));
        self.doc_count += 1;
        if self.block_docs.len() == BLOCK_LEN {
            self.end_block()?;
        }
        Ok(())
    }

    /// Encodes the block being filled and its skip entry.
    ///
    /// # Errors
    /// Any error of the spill file.
    fn end_block(&mut self) -> io::Result<()> {
        let (docs, freqs) = (&self.block_docs, &self.block_freqs);
        let Some(&last) = docs.last() else {
            return Ok(());
        };
        let (mut doc_bits, mut tf_bits) = (0u8, 0u8);
        if docs.len() == BLOCK_LEN {
            let mut buf = [0u8; 4 * BLOCK_LEN];
            let packer = &self.packer;
            doc_bits = packer.num_bits_strictly_sorted(self.prev_last, docs);
            let n = packer.compress_strictly_sorted(self.prev_last, docs, &mut buf, doc_bits);
            self.blocks.extend_from_slice(&buf[..n]);
            let mut tfs = [0u32; BLOCK_LEN];
            for (t, &f) in tfs.iter_mut().zip(freqs) {
                *t = f - 1;
            }
            tf_bits = packer.num_bits(&tfs);
            let n = packer.compress(&tfs, &mut buf, tf_bits);
            self.blocks.extend_from_slice(&buf[..n]);
        } else {
            let mut prev = self.prev_last.unwrap_or(0);
            for &doc in docs {
                write_vint(&mut self.blocks, u64::from(doc - prev));
                prev = doc;
            }
            for &freq in freqs {
                write_vint(&mut self.blocks, u64::from(freq));
            }
        }
        let block_frontier = frontier(self.block_points.iter().copied(), self.avg_len);
        write_frontier(&mut self.frontiers, &block_frontier);
        // Offsets are u32 (a term's postings and positions stay under
        // 4 GiB; FORMAT.md).
        let u32_of = |n: u64| u32::try_from(n).expect("a term's data fits in 4 GiB");
        let blocks_end = u32_of(self.blocks_len());
        let skip = &mut self.skip;
        skip.last_doc.extend_from_slice(&last.to_le_bytes());
        skip.blocks_end.extend_from_slice(&blocks_end.to_le_bytes());
        skip.positions_end
            .extend_from_slice(&u32_of(self.positions_len).to_le_bytes());
        skip.frontier_end
            .extend_from_slice(&u32_of(self.frontiers.len() as u64).to_le_bytes());
        skip.doc_bits.push(doc_bits);
        skip.tf_bits.push(tf_bits);
        self.prev_last = Some(last);
        self.group_points.extend_from_slice(&self.block_points);
        if self.skip.doc_bits.len() % GROUP_BLOCKS == 0 {
            self.end_group();
        } else if self.group_points.len() > TERM_POINTS_HELD {
            pareto(&mut self.group_points);
        }
        self.term_points.append(&mut self.block_points);
        if self.term_points.len() > TERM_POINTS_HELD {
            // The frontier of all points is the frontier of those no
            // other point beats, so the rest can go now.
            pareto(&mut self.term_points);
        }
        self.block_docs.clear();
        self.block_freqs.clear();
        self.spill_blocks()
    }

    /// Writes the frontier of the group of blocks being filled.
    fn end_group(&mut self) {
        if self.group_points.is_empty() {
            return;
        }
        let points = self.group_points.drain(..);
        write_frontier(&mut self.groups, &frontier(points, self.avg_len));
        let end = u32::try_from(self.groups.len()).expect("a term's data fits in 4 GiB");
        self.group_end.extend_from_slice(&end.to_le_bytes());
    }

    /// Empties the encoder, keeping its buffers.
    fn reset(&mut self) {
        self.block_docs.clear();
        self.block_freqs.clear();
        self.block_points.clear();
        self.term_points.clear();
        self.doc_count = 0;
        self.blocks.clear();
        for column in [
            &mut self.skip.last_doc,
            &mut self.skip.blocks_end,
            &mut self.skip.positions_end,
            &mut self.skip.frontier_end,
            &mut self.skip.doc_bits,
            &mut self.skip.tf_bits,
            &mut self.frontiers,
            &mut self.groups,
            &mut self.group_end,
        ] {
            column.clear();
        }
        self.group_points.clear();
        self.prev_last = None;
        self.positions_len = 0;
    }

    /// Bytes of positions written for this term so far.
    pub fn positions_len(&self) -> u64 {
        self.positions_len
    }

    /// Documents pushed so far.
    pub fn doc_count(&self) -> u32 {
        self.doc_count
    }

    /// Writes the term's postings (skip data, then blocks) to
    /// `postings_out` and returns their length. The encoder is then empty,
    /// ready for the next term of the same field.
    ///
    /// # Errors
    /// Any error of `postings_out` or of the spill file.
    pub fn finish(&mut self, postings_out: &mut impl Write) -> io::Result<u64> {
        self.end_block()?;
        let n = self.doc_count;
        let mut head = Vec::new();
        if n >= 2 {
            // Every term with at least two documents keeps its frontier
            // (a small one too, so its maximum score needs no field
            // length lookups).
            let points = self.term_points.iter().copied();
            write_frontier(&mut head, &frontier(points, self.avg_len));
        }
        let mut len = 0u64;
        if has_skip_data(n) {
            for column in [
                &self.skip.last_doc,
                &self.skip.blocks_end,
                &self.skip.positions_end,
                &self.skip.frontier_end,
                &self.skip.doc_bits,
                &self.skip.tf_bits,
                &self.frontiers,
            ] {
                head.extend_from_slice(column);
            }
            if group_count(n) > 0 {
                self.end_group();
                head.extend_from_slice(&self.groups);
                head.extend_from_slice(&self.group_end);
            }
            let mut prefix = Vec::new();
            write_vint(&mut prefix, head.len() as u64);
            postings_out.write_all(&prefix)?;
            len += prefix.len() as u64;
        }
        postings_out.write_all(&head)?;
        if let Some(s) = self.spill.as_mut().filter(|s| s.len > 0) {
            s.file.seek(SeekFrom::Start(0))?;
            let copied = io::copy(&mut (&mut s.file).take(s.len), postings_out)?;
            if copied != s.len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "a spill file of encoded postings came back short",
                ));
            }
            // The next large term writes over this one's blocks.
            s.file.seek(SeekFrom::Start(0))?;
            len += s.len;
            s.len = 0;
        }
        postings_out.write_all(&self.blocks)?;
        len += (head.len() + self.blocks.len()) as u64;
        self.reset();
        Ok(len)
    }
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
