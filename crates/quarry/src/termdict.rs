//! The term dictionary: an `fst::Map` from field-qualified term to ordinal
//! (TERMDICT), and a table of bit-packed records by ordinal (TERMINFO).

use crate::pages::PageGuard;
use byteorder::{ByteOrder, LittleEndian};
use std::io::{self, Write};

/// Records per TERMINFO block: each block shares one header.
pub const TERM_INFO_BLOCK: usize = 64;

/// Bytes per TERMINFO block header.
pub const TERM_INFO_HEADER_LEN: usize = 24;

/// Where a term's data lies, as read from its TERMINFO record and the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermInfo {
    /// Number of documents whose field contains the term.
    pub doc_freq: u32,
    /// Byte range of the term's postings in POSTINGS.
    pub postings: (u64, u64),
    /// Byte range of the term's positions in POSITIONS.
    pub positions: (u64, u64),
}

/// Number of bits needed to write `v`.
fn bits_for(v: u64) -> u8 {
    (64 - v.leading_zeros()) as u8
}

/// Builds TERMINFO: records `(doc_freq, postings start, positions start)`
/// by ordinal, bit-packed in blocks of [`TERM_INFO_BLOCK`].
#[derive(Default)]
pub struct TermInfoWriter {
    /// Records of the block being filled (fewer than [`TERM_INFO_BLOCK`]).
    records: Vec<(u32, u64, u64)>,
    count: u64,
    /// Block headers and bit-packed records of the blocks already full
    /// (since the last [`TermInfoWriter::drain`]).
    headers: Vec<u8>,
    data: Vec<u8>,
    /// Bytes of records drained before `data`.
    data_drained: u64,
}

/// A TERMINFO section in parts, as [`TermInfoWriter::finish_parts`]
/// leaves it: `head`, then the headers drained, then `headers`, then the
/// records drained, then `data`.
pub struct TermInfoParts {
    /// The number of terms.
    pub head: [u8; 8],
    /// Block headers not drained.
    pub headers: Vec<u8>,
    /// Bit-packed records not drained.
    pub data: Vec<u8>,
}

impl TermInfoWriter {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the record of the next ordinal.
    pub fn push(&mut self, doc_freq: u32, postings_start: u64, positions_start: u64) {
        self.count += 1;
        self.records
            .push((doc_freq, postings_start, positions_start));
        if self.records.len() == TERM_INFO_BLOCK {
            self.encode_block();
        }
    }

    /// Encodes the records held as one block.
    fn encode_block(&mut self) {
        let block = &self.records;
        let (_, p0, q0) = block[0];
        let df_bits = bits_for(block.iter().map(|r| u64::from(r.0)).max().unwrap_or(0));
        let p_bits = bits_for(block.iter().map(|r| r.1 - p0).max().unwrap_or(0));
        let q_bits = bits_for(block.iter().map(|r| r.2 - q0).max().unwrap_or(0));
        let mut header = [0u8; TERM_INFO_HEADER_LEN];
        LittleEndian::write_u64(&mut header[0..8], p0);
        LittleEndian::write_u64(&mut header[8..16], q0);
        let offset = self.data_drained + self.data.len() as u64;
        LittleEndian::write_u32(&mut header[16..20], offset as u32);
        header[20] = df_bits;
        header[21] = p_bits;
        header[22] = q_bits;
        self.headers.extend_from_slice(&header);
        let mut bits = BitWriter::new(&mut self.data);
        for &(df, p, q) in block {
            bits.write(u64::from(df), df_bits);
            bits.write(p - p0, p_bits);
            bits.write(q - q0, q_bits);
        }
        bits.flush();
        self.records.clear();
    }

    /// Bytes of full blocks held (headers and records).
    pub fn held_bytes(&self) -> usize {
        self.headers.len() + self.data.len()
    }

    /// Writes the headers and records of the full blocks held to
    /// `headers` and `data`, which gather them in order, and forgets them:
    /// a table of any size is then written in bounded memory.
    ///
    /// # Errors
    /// Any error of either output.
    pub fn drain(&mut self, headers: &mut impl Write, data: &mut impl Write) -> io::Result<()> {
        headers.write_all(&self.headers)?;
        data.write_all(&self.data)?;
        self.data_drained += self.data.len() as u64;
        self.headers.clear();
        self.data.clear();
        Ok(())
    }

    /// Appends the sentinel record (where the last term's data ends) and
    /// returns what is left of the section besides what was drained.
    pub fn finish_parts(mut self, postings_end: u64, positions_end: u64) -> TermInfoParts {
        // The sentinel is a record of the last block, not a term.
        self.records.push((0, postings_end, positions_end));
        self.encode_block();
        TermInfoParts {
            head: self.count.to_le_bytes(),
            headers: self.headers,
            data: self.data,
        }
    }

    /// Appends the sentinel record (where the last term's data ends) and
    /// returns the section bytes (nothing may have been drained).
    pub fn finish(self, postings_end: u64, positions_end: u64) -> Vec<u8> {
        debug_assert_eq!(self.data_drained, 0);
        let parts = self.finish_parts(postings_end, positions_end);
        let mut out = Vec::with_capacity(8 + parts.headers.len() + parts.data.len());
        out.extend_from_slice(&parts.head);
        out.extend_from_slice(&parts.headers);
        out.extend_from_slice(&parts.data);
        out
    }
}

/// Writes integers of given bit widths, least significant bit first.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u128,
    n: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, acc: 0, n: 0 }
    }

    fn write(&mut self, v: u64, bits: u8) {
        self.acc |= u128::from(v) << self.n;
        self.n += u32::from(bits);
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn flush(&mut self) {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.acc = 0;
        self.n = 0;
    }
}

/// Reads `bits` bits at bit offset `at` of `bytes`, least significant bit
/// first; `None` past the end.
fn read_bits(bytes: &[u8], at: u64, bits: u8) -> Option<u64> {
    if bits == 0 {
        return Some(0);
    }
    let first = usize::try_from(at / 8).ok()?;
    let shift = (at % 8) as u32;
    let last = usize::try_from((at + u64::from(bits) - 1) / 8).ok()?;
    let span = bytes.get(first..=last)?;
    // A value spans at most 9 bytes (64 bits at a shift of 7): one 16-byte
    // load where the bytes allow it, else byte by byte near the end.
    let acc = match bytes.get(first..first + 16) {
        Some(word) => u128::from_le_bytes(word.try_into().expect("16 bytes")),
        None => span
            .iter()
            .enumerate()
            .fold(0u128, |acc, (i, &b)| acc | u128::from(b) << (8 * i)),
    };
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    Some((acc >> shift) as u64 & mask)
}

/// Reads records from TERMINFO bytes.
#[derive(Clone, Copy)]
pub struct TermInfoReader<'a> {
    count: u64,
    headers: &'a [u8],
    data: &'a [u8],
    /// Checks the pages of a record before it is read, when the bytes are
    /// an index file's.
    guard: Option<PageGuard<'a>>,
}

impl<'a> TermInfoReader<'a> {
    /// `None` unless the header table fits the section.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        Self::with_guard(bytes, None)
    }

    /// A reader whose records' pages are checked by `guard` (over the
    /// whole section) before they are read; a record on a damaged page is
    /// `None`, as a malformed one is.
    pub(crate) fn with_guard(bytes: &'a [u8], guard: Option<PageGuard<'a>>) -> Option<Self> {
        if guard.is_some_and(|g| !g.check(0, 8)) {
            return None;
        }
        let count = LittleEndian::read_u64(bytes.get(..8)?);
        let blocks = usize::try_from(count.checked_add(1)?)
            .ok()?
            .div_ceil(TERM_INFO_BLOCK);
        let headers_end = blocks.checked_mul(TERM_INFO_HEADER_LEN)?.checked_add(8)?;
        Some(TermInfoReader {
            count,
            headers: bytes.get(8..headers_end)?,
            data: &bytes[headers_end..],
            guard,
        })
    }

    /// Number of terms.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of the packed records (for verification: they must all be used).
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    fn record(&self, ord: u64) -> Option<(u32, u64, u64)> {
        let block = usize::try_from(ord / TERM_INFO_BLOCK as u64).ok()?;
        let header_at = 8 + block * TERM_INFO_HEADER_LEN;
        if self
            .guard
            .as_ref()
            .is_some_and(|g| !g.check(header_at, header_at + TERM_INFO_HEADER_LEN))
        {
            return None;
        }
        let h = self
            .headers
            .get(block * TERM_INFO_HEADER_LEN..(block + 1) * TERM_INFO_HEADER_LEN)?;
        let (p0, q0) = (
            LittleEndian::read_u64(&h[0..8]),
            LittleEndian::read_u64(&h[8..16]),
        );
        let data_at = u64::from(LittleEndian::read_u32(&h[16..20]));
        let (df_bits, p_bits, q_bits) = (h[20], h[21], h[22]);
        if df_bits > 32 || p_bits > 64 || q_bits > 64 {
            return None;
        }
        let width = u64::from(df_bits) + u64::from(p_bits) + u64::from(q_bits);
        let mut at = data_at * 8 + (ord % TERM_INFO_BLOCK as u64) * width;
        if let Some(g) = &self.guard {
            // The record's bits, and the 16 bytes a read of its last
            // field may load ([`read_bits`]).
            let data_start = 8 + self.headers.len();
            let first = usize::try_from(at / 8).ok()?;
            let last = usize::try_from((at + width) / 8).ok()?.saturating_add(16);
            let end = last.min(self.data.len());
            if !g.check(data_start + first.min(end), data_start + end) {
                return None;
            }
        }
        let df = read_bits(self.data, at, df_bits)? as u32;
        at += u64::from(df_bits);
        let p = read_bits(self.data, at, p_bits)?;
        at += u64::from(p_bits);
        let q = read_bits(self.data, at, q_bits)?;
        Some((df, p0.checked_add(p)?, q0.checked_add(q)?))
    }

    /// The record of ordinal `ord`; `None` when out of range or malformed.
    pub fn get(&self, ord: u64) -> Option<TermInfo> {
        if ord >= self.len() {
            return None;
        }
        let (doc_freq, p0, q0) = self.record(ord)?;
        let (_, p1, q1) = self.record(ord + 1)?;
        (p0 <= p1 && q0 <= q1).then_some(TermInfo {
            doc_freq,
            postings: (p0, p1),
            positions: (q0, q1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let mut w = TermInfoWriter::new();
        w.push(3, 0, 0);
        w.push(1, 10, 7);
        let bytes = w.finish(15, 9);
        let r = TermInfoReader::new(&bytes).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            r.get(0),
            Some(TermInfo {
                doc_freq: 3,
                postings: (0, 10),
                positions: (0, 7)
            })
        );
        assert_eq!(
            r.get(1),
            Some(TermInfo {
                doc_freq: 1,
                postings: (10, 15),
                positions: (7, 9)
            })
        );
        assert_eq!(r.get(2), None);
        assert_eq!(r.get(u64::MAX), None);
        assert!(TermInfoReader::new(&bytes[..7]).is_none());
        assert!(TermInfoReader::new(&bytes[..20]).is_none());
        // Packed data cut short: records cannot be read, no panic.
        let r = TermInfoReader::new(&bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(r.get(1), None);
    }

    #[test]
    fn many_blocks_round_trip() {
        let mut w = TermInfoWriter::new();
        let mut want = Vec::new();
        let (mut p, mut q) = (5u64, 9u64);
        for i in 0..1000u64 {
            let df = (i * 7919 % 5000) as u32 + 1;
            w.push(df, p, q);
            want.push((df, p, q));
            p += i * i % 977;
            q += i % 3;
        }
        let bytes = w.finish(p + 1, q);
        let r = TermInfoReader::new(&bytes).unwrap();
        for (i, &(df, p0, q0)) in want.iter().enumerate() {
            let got = r.get(i as u64).unwrap();
            assert_eq!(
                (got.doc_freq, got.postings.0, got.positions.0),
                (df, p0, q0)
            );
        }
        assert_eq!(r.get(999).unwrap().postings.1, p + 1);
    }

    #[test]
    fn a_drained_table_is_the_table_written_whole() {
        let (mut whole, mut drained) = (TermInfoWriter::new(), TermInfoWriter::new());
        let (mut headers, mut records) = (Vec::new(), Vec::new());
        let (mut p, mut q) = (0u64, 0u64);
        for i in 0..5000u64 {
            let df = (i * 104_729 % 90_000) as u32 + 1;
            whole.push(df, p, q);
            drained.push(df, p, q);
            if i % 700 == 0 {
                drained.drain(&mut headers, &mut records).unwrap();
            }
            p += i % 4000;
            q += i * 31 % 2000;
        }
        assert!(!records.is_empty());
        let parts = drained.finish_parts(p, q);
        let mut pieced = parts.head.to_vec();
        pieced.extend(headers);
        pieced.extend(parts.headers);
        pieced.extend(records);
        pieced.extend(parts.data);
        assert_eq!(pieced, whole.finish(p, q));
    }
}
