//! The term dictionary: an `fst::Map` from field-qualified term to ordinal
//! (TERMDICT), and a table of fixed-size records by ordinal (TERMINFO).

use byteorder::{ByteOrder, LittleEndian};

/// Bytes per TERMINFO record.
pub const TERM_INFO_LEN: usize = 20;

/// Where a term's data lies, as read from its TERMINFO record and the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermInfo {
    /// Number of documents whose field contains the term.
    pub doc_freq: u32,
    /// Byte range of the term's postings in the POSTINGS section.
    pub postings: (u64, u64),
    /// Byte range of the term's positions in the POSITIONS section.
    pub positions: (u64, u64),
}

/// Encodes TERMINFO records. Push terms in ordinal order, then `finish`.
#[derive(Default)]
pub struct TermInfoWriter {
    out: Vec<u8>,
}

impl TermInfoWriter {
    /// A writer with no records.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the record of the next ordinal: its document frequency and
    /// where its postings and positions start.
    pub fn push(&mut self, doc_freq: u32, postings_start: u64, positions_start: u64) {
        let mut rec = [0u8; TERM_INFO_LEN];
        LittleEndian::write_u32(&mut rec[0..4], doc_freq);
        LittleEndian::write_u64(&mut rec[4..12], postings_start);
        LittleEndian::write_u64(&mut rec[12..20], positions_start);
        self.out.extend_from_slice(&rec);
    }

    /// Appends the sentinel record (document frequency 0, the end offsets)
    /// and returns the section bytes.
    pub fn finish(mut self, postings_end: u64, positions_end: u64) -> Vec<u8> {
        self.push(0, postings_end, positions_end);
        self.out
    }
}

/// Reads TERMINFO records.
#[derive(Clone, Copy)]
pub struct TermInfoReader<'a> {
    bytes: &'a [u8],
}

impl<'a> TermInfoReader<'a> {
    /// A reader over the section bytes; `None` if they are not whole records
    /// or hold no sentinel.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        (bytes.len() % TERM_INFO_LEN == 0 && !bytes.is_empty()).then_some(TermInfoReader { bytes })
    }

    /// Number of terms (records less the sentinel).
    pub fn len(&self) -> u64 {
        (self.bytes.len() / TERM_INFO_LEN) as u64 - 1
    }

    /// True when the dictionary holds no term.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn record(&self, ord: u64) -> Option<(u32, u64, u64)> {
        let at = usize::try_from(ord).ok()?.checked_mul(TERM_INFO_LEN)?;
        let rec = self.bytes.get(at..at + TERM_INFO_LEN)?;
        Some((
            LittleEndian::read_u32(&rec[0..4]),
            LittleEndian::read_u64(&rec[4..12]),
            LittleEndian::read_u64(&rec[12..20]),
        ))
    }

    /// The term with ordinal `ord`; `None` if there is none or its ranges are inverted.
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
        assert!(TermInfoReader::new(&bytes[..bytes.len() - 1]).is_none());
    }
}
