//! Exact per-document field lengths (kept tokens), the `dl` of BM25.
//!
//! FIELDNORMS holds one little-endian `u32` per document for the first
//! field, then one per document for the next, in [`Field::ALL`] order.

use byteorder::{ByteOrder, LittleEndian};

use crate::schema::Field;

/// Encodes field lengths: `lengths[field][doc]`.
pub fn encode(lengths: &[Vec<u32>; 2]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 * lengths[0].len());
    for field in lengths {
        for &len in field {
            let mut b = [0u8; 4];
            LittleEndian::write_u32(&mut b, len);
            out.extend_from_slice(&b);
        }
    }
    out
}

/// Reads field lengths.
#[derive(Clone, Copy)]
pub struct FieldNorms<'a> {
    bytes: &'a [u8],
    doc_count: usize,
}

impl<'a> FieldNorms<'a> {
    /// A reader over the section; `None` if its size does not match the document count.
    pub fn new(bytes: &'a [u8], doc_count: u32) -> Option<Self> {
        let doc_count = doc_count as usize;
        (bytes.len() == doc_count * 4 * Field::ALL.len()).then_some(FieldNorms { bytes, doc_count })
    }

    /// The lengths of one field, one `u32` per document.
    pub fn field(&self, field: Field) -> FieldLengths<'a> {
        let start = field as usize * self.doc_count * 4;
        FieldLengths {
            bytes: &self.bytes[start..start + self.doc_count * 4],
        }
    }
}

/// The lengths of one field.
#[derive(Clone, Copy)]
pub struct FieldLengths<'a> {
    bytes: &'a [u8],
}

impl FieldLengths<'_> {
    /// The length of `doc`'s field; `None` if there is no such document.
    #[inline]
    pub fn get(&self, doc: u32) -> Option<u32> {
        let at = doc as usize * 4;
        self.bytes.get(at..at + 4).map(LittleEndian::read_u32)
    }

    /// Sum of all lengths.
    pub fn sum(&self) -> u64 {
        self.bytes
            .chunks_exact(4)
            .map(|c| u64::from(LittleEndian::read_u32(c)))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let bytes = encode(&[vec![1, 2, 3], vec![40, 0, 7]]);
        let n = FieldNorms::new(&bytes, 3).unwrap();
        assert_eq!(n.field(Field::Title).get(2), Some(3));
        assert_eq!(n.field(Field::Body).get(0), Some(40));
        assert_eq!(n.field(Field::Body).get(3), None);
        assert_eq!(n.field(Field::Body).sum(), 47);
        assert!(FieldNorms::new(&bytes, 4).is_none());
    }
}
