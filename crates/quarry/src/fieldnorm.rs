//! Exact per-document field lengths (kept tokens), the `dl` of BM25.
//!
//! FIELDNORMS holds, per field, the length of every document as a
//! little-endian integer of the fewest bytes (1 to 4) that hold the
//! field's longest.

use std::io::{self, Write};

use crate::schema::Field;

/// Bytes per length of a field whose longest is `max`.
fn width_for(max: u32) -> u8 {
    match max {
        0..=0xFF => 1,
        0x100..=0xFFFF => 2,
        0x1_0000..=0xFF_FFFF => 3,
        _ => 4,
    }
}

/// Encodes the lengths of every field (in [`Field::ALL`] order, one entry
/// per document each): one width byte per field, then each field's
/// lengths as little-endian integers of that width.
pub fn encode(lengths: &[Vec<u32>; 2]) -> Vec<u8> {
    let widths = lengths
        .each_ref()
        .map(|f| width_for(f.iter().copied().max().unwrap_or(0)));
    let mut out = Vec::with_capacity(2 + lengths[0].len() * 8);
    out.extend_from_slice(&widths);
    for (field, &w) in lengths.iter().zip(&widths) {
        for &len in field {
            out.extend_from_slice(&len.to_le_bytes()[..w as usize]);
        }
    }
    out
}

/// Writes the FIELDNORMS section of the documents `parts` name, one
/// part after another: the bytes [`encode`] gives of their lengths. Each
/// part is a section and a range of its documents.
///
/// # Errors
/// Any error of `out`; [`io::ErrorKind::InvalidInput`] if a range lies
/// past its section's documents.
pub fn write_pieces(
    parts: &[(FieldNorms<'_>, std::ops::Range<u32>)],
    out: &mut impl Write,
) -> io::Result<()> {
    let out_of_range = || io::Error::new(io::ErrorKind::InvalidInput, "no such document");
    // A field's width follows the longest length written.
    let mut widths = [1u8; 2];
    for (f, w) in widths.iter_mut().enumerate() {
        let mut max = 0;
        for (norms, docs) in parts {
            let lengths = norms.fields[f];
            if lengths.width <= width_for(max) {
                continue; // no length here can widen the field
            }
            for doc in docs.clone() {
                max = max.max(lengths.get(doc).ok_or_else(out_of_range)?);
            }
        }
        *w = width_for(max);
    }
    out.write_all(&widths)?;
    let mut buf = Vec::new();
    for (f, &w) in widths.iter().enumerate() {
        for (norms, docs) in parts {
            let lengths = norms.fields[f];
            if lengths.width == w {
                let at = |d: u32| d as usize * w as usize;
                let bytes = lengths
                    .bytes
                    .get(at(docs.start)..at(docs.end))
                    .ok_or_else(out_of_range)?;
                out.write_all(bytes)?;
                continue;
            }
            for doc in docs.clone() {
                let len = lengths.get(doc).ok_or_else(out_of_range)?;
                buf.extend_from_slice(&len.to_le_bytes()[..w as usize]);
                if buf.len() >= 1 << 16 {
                    out.write_all(&buf)?;
                    buf.clear();
                }
            }
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    Ok(())
}

/// The sum of the lengths of documents `docs`, or `None` if one is missing.
pub fn sum_of(lengths: FieldLengths<'_>, docs: std::ops::Range<u32>) -> Option<u64> {
    docs.map(|d| lengths.get(d).map(u64::from)).sum()
}

/// The FIELDNORMS section.
#[derive(Clone, Copy)]
pub struct FieldNorms<'a> {
    fields: [FieldLengths<'a>; 2],
}

impl<'a> FieldNorms<'a> {
    /// `None` unless the section holds exactly `doc_count` lengths per field.
    pub fn new(bytes: &'a [u8], doc_count: u32) -> Option<Self> {
        let n = doc_count as usize;
        let widths = bytes.get(..2)?;
        if widths.iter().any(|w| !(1..=4).contains(w)) {
            return None;
        }
        let title_end = 2 + n * widths[0] as usize;
        let body_end = title_end + n * widths[1] as usize;
        if bytes.len() != body_end {
            return None;
        }
        Some(FieldNorms {
            fields: [
                FieldLengths {
                    bytes: &bytes[2..title_end],
                    width: widths[0],
                },
                FieldLengths {
                    bytes: &bytes[title_end..],
                    width: widths[1],
                },
            ],
        })
    }

    /// The lengths of one field.
    pub fn field(&self, field: Field) -> FieldLengths<'a> {
        self.fields[field as usize]
    }
}

/// The lengths of one field, by document.
#[derive(Clone, Copy)]
pub struct FieldLengths<'a> {
    bytes: &'a [u8],
    width: u8,
}

impl FieldLengths<'_> {
    /// The length of `doc`'s field; `None` when `doc` is out of range.
    #[inline]
    pub fn get(&self, doc: u32) -> Option<u32> {
        let w = self.width as usize;
        let at = doc as usize * w;
        let b = self.bytes.get(at..at + w)?;
        Some(match w {
            1 => u32::from(b[0]),
            2 => u32::from(u16::from_le_bytes([b[0], b[1]])),
            3 => u32::from_le_bytes([b[0], b[1], b[2], 0]),
            _ => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        })
    }

    /// The lengths of `docs` into `out` (same length), as [`FieldLengths::get`]
    /// would give them, in one loop per width; `false` (and 0 for them)
    /// when some `doc` is out of range.
    pub fn get_many(&self, docs: &[u32], out: &mut [u32]) -> bool {
        fn each<const W: usize>(bytes: &[u8], docs: &[u32], out: &mut [u32]) -> bool {
            let mut ok = true;
            for (o, &d) in out.iter_mut().zip(docs) {
                let at = d as usize * W;
                *o = match bytes.get(at..at + W) {
                    Some(b) => {
                        let mut le = [0u8; 4];
                        le[..W].copy_from_slice(b);
                        u32::from_le_bytes(le)
                    }
                    None => {
                        ok = false;
                        0
                    }
                };
            }
            ok
        }
        match self.width {
            1 => each::<1>(self.bytes, docs, out),
            2 => each::<2>(self.bytes, docs, out),
            3 => each::<3>(self.bytes, docs, out),
            _ => each::<4>(self.bytes, docs, out),
        }
    }

    /// How many documents have a length here (the index's document count).
    pub fn doc_count(&self) -> u32 {
        (self.bytes.len() / usize::from(self.width.max(1))) as u32
    }

    /// Sum of all lengths (must equal the field's token total).
    pub fn sum(&self) -> u64 {
        let n = (self.bytes.len() / self.width as usize) as u32;
        (0..n).filter_map(|d| self.get(d)).map(u64::from).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenation_widens_narrow_parts_as_one_encoding_would() {
        let a = [vec![1, 2], vec![300, 0]];
        let b = [vec![70_000], vec![4]];
        let c: [Vec<u32>; 2] = [vec![], vec![]];
        let parts = [encode(&a), encode(&b), encode(&c)];
        let norms: Vec<_> = parts
            .iter()
            .zip([2, 1, 0])
            .map(|(p, n)| (FieldNorms::new(p, n).unwrap(), 0..n))
            .collect();
        let mut out = Vec::new();
        write_pieces(&norms, &mut out).unwrap();
        assert_eq!(out, encode(&[vec![1, 2, 70_000], vec![300, 0, 4]]));
        // Pieces: a dropped wide length narrows the field, as a build of
        // the kept documents would.
        let mut out = Vec::new();
        write_pieces(&[(norms[1].0, 0..0), (norms[0].0, 1..2)], &mut out).unwrap();
        assert_eq!(out, encode(&[vec![2], vec![0]]));
        let mut out = Vec::new();
        write_pieces(&[(norms[0].0, 1..2), (norms[0].0, 0..1)], &mut out).unwrap();
        assert_eq!(out, encode(&[vec![2, 1], vec![0, 300]]));
        assert!(write_pieces(&[(norms[0].0, 1..3)], &mut Vec::new()).is_err());
    }

    #[test]
    fn round_trips() {
        let bytes = encode(&[vec![1, 2, 3], vec![40, 0, 7]]);
        let n = FieldNorms::new(&bytes, 3).unwrap();
        assert_eq!(n.field(Field::Title).get(2), Some(3));
        assert_eq!(n.field(Field::Body).get(0), Some(40));
        assert_eq!(n.field(Field::Body).get(3), None);
        assert_eq!(n.field(Field::Body).sum(), 47);
        assert!(FieldNorms::new(&bytes, 4).is_none());
        assert_eq!(bytes.len(), 2 + 3 + 3, "one byte per short length");
        let wide = encode(&[vec![1, 70_000], vec![300, 5]]);
        assert_eq!(wide.len(), 2 + 2 * 3 + 2 * 2);
        let n = FieldNorms::new(&wide, 2).unwrap();
        assert_eq!(n.field(Field::Title).get(1), Some(70_000));
        assert_eq!(n.field(Field::Body).get(0), Some(300));
        assert!(FieldNorms::new(&[0, 1], 0).is_none(), "width 0 is invalid");
        for (bytes, docs) in [(&bytes, 3u32), (&wide, 2)] {
            let n = FieldNorms::new(bytes, docs).unwrap();
            let docs = docs as usize;
            for field in Field::ALL {
                let lengths = n.field(field);
                let ids: Vec<u32> = (0..=docs as u32).collect();
                let mut got = vec![9; ids.len()];
                // The last id is out of range.
                assert!(!lengths.get_many(&ids, &mut got));
                let want: Vec<u32> = ids.iter().map(|&d| lengths.get(d).unwrap_or(0)).collect();
                assert_eq!(got, want);
                assert!(lengths.get_many(&ids[..docs], &mut got[..docs]));
            }
        }
    }
}
