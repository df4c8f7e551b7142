//! The merged dictionary cut into key ranges merged side by side, and
//! what a range leaves for the dictionary.
//!
//! Every term's postings depend only on that term, so ranges of keys
//! merge independently: the first writes the dictionary as it goes; each
//! later one writes its postings and positions to scratch files of its
//! own and its terms' keys and lengths to a keys file, replayed into the
//! dictionary once the ranges before it are done. The bytes are those of
//! one merge in key order, however the keys were cut.

use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use fst::Streamer;

use super::{fst_error, MergeError};
use crate::format::{write_vint, SectionKind};
use crate::index::Index;
use crate::termdict::TermInfoWriter;

/// Where a merged term goes: its key, document frequency and the lengths
/// of its encoded postings and positions, in key order.
pub(super) trait TermSink {
    fn term(
        &mut self,
        key: &[u8],
        doc_freq: u32,
        postings: u64,
        positions: u64,
    ) -> Result<(), MergeError>;
}

/// The dictionary and term records themselves. The records' full blocks
/// go to two scratch files as they fill (headers, records), so that a
/// dictionary of any size is merged in bounded memory.
pub(super) struct DictSink<W: Write, S: Write> {
    pub(super) dict: fst::MapBuilder<W>,
    pub(super) infos: TermInfoWriter,
    pub(super) info_files: (BufWriter<S>, BufWriter<S>),
    ord: u64,
    pub(super) postings_len: u64,
    pub(super) positions_len: u64,
}

/// Bytes of term records held before they go to the scratch files.
const INFOS_HELD: usize = 1 << 16;

impl<W: Write, S: Write> DictSink<W, S> {
    pub(super) fn new(out: W, headers: S, records: S) -> Result<Self, MergeError> {
        Ok(DictSink {
            dict: fst::MapBuilder::new(out).map_err(fst_error)?,
            infos: TermInfoWriter::new(),
            info_files: (
                BufWriter::with_capacity(INFOS_HELD, headers),
                BufWriter::with_capacity(INFOS_HELD, records),
            ),
            ord: 0,
            postings_len: 0,
            positions_len: 0,
        })
    }

    /// Adds the terms a [`KeysSink`] recorded, in their order.
    pub(super) fn replay(&mut self, keys: impl Read + Seek) -> Result<(), MergeError> {
        let mut keys = BufReader::with_capacity(1 << 16, keys);
        keys.seek(SeekFrom::Start(0))?;
        let mut key = Vec::new();
        while let Some(len) = read_vint(&mut keys, true)? {
            key.resize(usize::try_from(len).map_err(io::Error::other)?, 0);
            keys.read_exact(&mut key)?;
            let doc_freq = read_vint(&mut keys, false)?.unwrap_or(0);
            let postings = read_vint(&mut keys, false)?.unwrap_or(0);
            let positions = read_vint(&mut keys, false)?.unwrap_or(0);
            let doc_freq = u32::try_from(doc_freq).map_err(io::Error::other)?;
            self.term(&key, doc_freq, postings, positions)?;
        }
        Ok(())
    }
}

impl<W: Write, S: Write> TermSink for DictSink<W, S> {
    fn term(
        &mut self,
        key: &[u8],
        doc_freq: u32,
        postings: u64,
        positions: u64,
    ) -> Result<(), MergeError> {
        self.infos
            .push(doc_freq, self.postings_len, self.positions_len);
        if self.infos.held_bytes() >= INFOS_HELD {
            let (headers, records) = &mut self.info_files;
            self.infos.drain(headers, records)?;
        }
        self.postings_len += postings;
        self.positions_len += positions;
        // The dictionary writes as it goes: a full disk fails here.
        self.dict.insert(key, self.ord).map_err(fst_error)?;
        self.ord += 1;
        Ok(())
    }
}

/// A later range's terms, recorded for [`DictSink::replay`]: per term
/// the key's length and bytes, then the document frequency and the two
/// lengths, each a LEB128 number.
pub(super) struct KeysSink<S: Write> {
    pub(super) out: BufWriter<S>,
    buf: Vec<u8>,
}

impl<S: Write> KeysSink<S> {
    pub(super) fn new(out: S) -> Self {
        KeysSink {
            out: BufWriter::with_capacity(1 << 16, out),
            buf: Vec::new(),
        }
    }
}

impl<S: Write> TermSink for KeysSink<S> {
    fn term(
        &mut self,
        key: &[u8],
        doc_freq: u32,
        postings: u64,
        positions: u64,
    ) -> Result<(), MergeError> {
        self.buf.clear();
        write_vint(&mut self.buf, key.len() as u64);
        self.buf.extend_from_slice(key);
        for v in [u64::from(doc_freq), postings, positions] {
            write_vint(&mut self.buf, v);
        }
        self.out.write_all(&self.buf)?;
        Ok(())
    }
}

/// One LEB128 number from `r`; `None` at a clean end of input when
/// `end_ok`, an error at any other end.
fn read_vint(r: &mut impl Read, end_ok: bool) -> io::Result<Option<u64>> {
    let mut v = 0u64;
    for i in 0..10 {
        let mut b = [0u8];
        if r.read(&mut b)? == 0 {
            return if i == 0 && end_ok {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        v |= u64::from(b[0] & 0x7f) << (7 * i);
        if b[0] < 0x80 {
            return Ok(Some(v));
        }
    }
    Err(io::Error::other("a keys file number runs past 64 bits"))
}

/// Keys that cut the dictionary of `m` (the member with the most postings
/// and positions) into up to `ranges` ranges of about equal bytes: each
/// the first key of its range, in order. Fewer when `m` has few terms or
/// its records do not read (the merge itself then reports the damage).
pub(super) fn split_keys(m: &Index, ranges: usize) -> Vec<Vec<u8>> {
    let Ok(dict) = m.dict() else {
        return Vec::new();
    };
    let Ok(infos) = m.term_infos() else {
        return Vec::new();
    };
    let terms = infos.len();
    let weight = |ord: u64| infos.get(ord).map(|i| i.postings.0 + i.positions.0);
    let total =
        (m.section(SectionKind::Postings).len() + m.section(SectionKind::Positions).len()) as u64;
    let mut cuts = Vec::new();
    for r in 1..ranges as u64 {
        let target = total / ranges as u64 * r;
        // The first ordinal whose data starts at or past `target`.
        let (mut lo, mut hi) = (0u64, terms);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match weight(mid) {
                Some(w) if w < target => lo = mid + 1,
                Some(_) => hi = mid,
                None => return Vec::new(),
            }
        }
        if lo > 0 && lo < terms && cuts.last() != Some(&lo) {
            cuts.push(lo);
        }
    }
    let mut keys = Vec::with_capacity(cuts.len());
    let mut stream = dict.stream();
    let mut next = cuts.iter().peekable();
    while let (Some(&&cut), Some((key, ord))) = (next.peek(), stream.next()) {
        if ord == cut {
            keys.push(key.to_vec());
            next.next();
        }
    }
    keys
}
