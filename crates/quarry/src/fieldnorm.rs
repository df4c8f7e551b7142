//! Exact per-document field lengths (kept tokens), the `dl` of BM25.
//!
//! FIELDNORMS holds, per field, the length of every document as a
//! little-endian integer of the fewest bytes (1 to 4) that hold the
//! field's longest. An index reads it through page checks
//! ([`FieldNorms::checked`]): each page of lengths is checked the first
//! time a length on it is read.

use std::io::{self, Write};

use crate::pages::PageGuard;
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
/// The parts are read in slices, and `read` is told the bytes of each,
/// so that a caller reading mapped sections can drop their pages as it
/// goes.
///
/// # Errors
/// Any error of `out`; [`io::ErrorKind::InvalidInput`] if a range lies
/// past its section's documents.
pub fn write_pieces(
    parts: &[(FieldNorms<'_>, std::ops::Range<u32>)],
    out: &mut impl Write,
    read: &mut dyn FnMut(u64),
) -> io::Result<()> {
    /// Documents per slice read.
    const SLICE_DOCS: u32 = 1 << 18;
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
                if doc % SLICE_DOCS == 0 {
                    read(u64::from(SLICE_DOCS) * u64::from(lengths.width));
                }
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
                let mut start = docs.start;
                while start < docs.end {
                    let end = start.saturating_add(SLICE_DOCS).min(docs.end);
                    let bytes = lengths
                        .checked_bytes(at(start), at(end))
                        .ok_or_else(out_of_range)?;
                    out.write_all(bytes)?;
                    read(bytes.len() as u64);
                    start = end;
                }
                continue;
            }
            for doc in docs.clone() {
                let len = lengths.get(doc).ok_or_else(out_of_range)?;
                buf.extend_from_slice(&len.to_le_bytes()[..w as usize]);
                if buf.len() >= 1 << 16 {
                    out.write_all(&buf)?;
                    read(buf.len() as u64);
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
        Self::with_guard(bytes, doc_count, None)
    }

    /// [`FieldNorms::new`] over a section whose pages `guard` checks, each
    /// before a length on it is first read (the widths at once); `None`
    /// also when a page check fails.
    pub(crate) fn checked(bytes: &'a [u8], doc_count: u32, guard: PageGuard<'a>) -> Option<Self> {
        if !guard.check(0, 2) {
            return None;
        }
        Self::with_guard(bytes, doc_count, Some(guard))
    }

    fn with_guard(bytes: &'a [u8], doc_count: u32, guard: Option<PageGuard<'a>>) -> Option<Self> {
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
                FieldLengths::of(&bytes[2..title_end], widths[0], guard.map(|g| g.offset(2))),
                FieldLengths::of(
                    &bytes[title_end..],
                    widths[1],
                    guard.map(|g| g.offset(title_end)),
                ),
            ],
        })
    }

    /// The lengths of one field.
    pub fn field(&self, field: Field) -> FieldLengths<'a> {
        self.fields[field as usize]
    }
}

/// Lengths of a block's documents that lie within this many bytes are
/// checked at once (a few pages, which the block reads nearly all of).
const DENSE_BYTES: usize = 1024;

/// A length of `b.len()` (1 to 4) bytes.
#[inline(always)]
fn decode(b: &[u8]) -> u32 {
    match *b {
        [a] => u32::from(a),
        [a, b] => u32::from(u16::from_le_bytes([a, b])),
        [a, b, c] => u32::from_le_bytes([a, b, c, 0]),
        [a, b, c, d, ..] => u32::from_le_bytes([a, b, c, d]),
        [] => 0,
    }
}

/// The lengths of one field, by document.
#[derive(Clone, Copy)]
pub struct FieldLengths<'a> {
    bytes: &'a [u8],
    width: u8,
    /// Checks of the pages under `bytes`, if read from an index.
    guard: Option<PageGuard<'a>>,
    /// `bytes` if they need no checks, else nothing: [`FieldLengths::get`]
    /// reads a length from here with one bounds test, and goes the long
    /// way (page checks, out of range) only when that fails.
    sound: &'a [u8],
}

impl<'a> FieldLengths<'a> {
    fn of(bytes: &'a [u8], width: u8, guard: Option<PageGuard<'a>>) -> Self {
        FieldLengths {
            bytes,
            width,
            guard,
            sound: if guard.is_none() { bytes } else { &[] },
        }
    }

    /// Bytes `start..end` of the lengths, their pages checked; `None` if
    /// out of range or damaged.
    #[inline(always)]
    fn checked_bytes(&self, start: usize, end: usize) -> Option<&'a [u8]> {
        let b = self.bytes.get(start..end)?;
        match &self.guard {
            None => Some(b),
            Some(g) => g.check(start, end).then_some(b),
        }
    }

    /// The length of `doc`'s field; `None` when `doc` is out of range or
    /// its page is damaged.
    #[inline(always)]
    pub fn get(&self, doc: u32) -> Option<u32> {
        let w = self.width as usize;
        let at = doc as usize * w;
        match self.sound.get(at..at + w) {
            Some(b) => Some(decode(b)),
            None => self.get_checked(at),
        }
    }

    /// [`FieldLengths::get`] of the length at byte `at`, its page checked.
    #[inline(never)]
    fn get_checked(&self, at: usize) -> Option<u32> {
        self.checked_bytes(at, at + self.width as usize).map(decode)
    }

    /// The lengths of `docs` into `out` (same length), as [`FieldLengths::get`]
    /// would give them, in one loop per width; `false` (and 0 for them)
    /// when some `doc` is out of range or on a damaged page.
    #[inline]
    pub fn get_many(&self, docs: &[u32], out: &mut [u32]) -> bool {
        #[inline(always)]
        fn each<const W: usize>(
            bytes: &[u8],
            guard: Option<&PageGuard<'_>>,
            docs: &[u32],
            out: &mut [u32],
        ) -> bool {
            let mut ok = true;
            // The bytes known sound. Sorted documents (a block's) whose
            // lengths lie close together are checked at once; else a
            // check vouches for its pages and the checked ones after them,
            // so most documents still need no check of their own.
            let mut sound = (0, 0);
            let guard = match (guard, docs.first(), docs.last()) {
                (Some(g), Some(&first), Some(&last)) if first <= last => {
                    let (lo, hi) = (first as usize * W, last as usize * W + W);
                    if hi - lo <= DENSE_BYTES && g.check(lo, hi) {
                        sound = (lo, hi);
                    }
                    Some(g)
                }
                (g, _, _) => g,
            };
            for (o, &d) in out.iter_mut().zip(docs) {
                let at = d as usize * W;
                if let Some(g) = guard {
                    if at < sound.0 || at + W > sound.1 {
                        match g.check_span(at, at + W) {
                            Some(span) => sound = span,
                            None => {
                                ok = false;
                                *o = 0;
                                continue;
                            }
                        }
                    }
                }
                *o = match bytes.get(at..at + W) {
                    Some(b) => decode(b),
                    None => {
                        ok = false;
                        0
                    }
                };
            }
            ok
        }
        // Lengths checked whole have no guard: their loops test nothing.
        match (self.width, self.guard.as_ref()) {
            (1, None) => each::<1>(self.bytes, None, docs, out),
            (2, None) => each::<2>(self.bytes, None, docs, out),
            (3, None) => each::<3>(self.bytes, None, docs, out),
            (_, None) => each::<4>(self.bytes, None, docs, out),
            (1, guard) => each::<1>(self.bytes, guard, docs, out),
            (2, guard) => each::<2>(self.bytes, guard, docs, out),
            (3, guard) => each::<3>(self.bytes, guard, docs, out),
            (_, guard) => each::<4>(self.bytes, guard, docs, out),
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
    use crate::pages::TestPages;

    #[test]
    fn paged_lengths_are_read_where_sound_and_refused_where_damaged() {
        // 3000 documents, body lengths two bytes wide: the body's lengths
        // start at byte 3002, so document d's is at 3002 + 2d, on page
        // (3002 + 2d) / 512.
        let n = 3000u32;
        let title: Vec<u32> = (0..n).map(|d| d % 7).collect();
        let body: Vec<u32> = (0..n).map(|d| 300 + d).collect();
        let mut pages = TestPages::new(encode(&[title.clone(), body.clone()]), 9);
        let damaged_doc = 2000; // its length is on page 13
        pages.damage(3002 + 2 * damaged_doc as usize);
        let norms = FieldNorms::checked(pages.section(), n, pages.guard()).unwrap();
        let (t, b) = (norms.field(Field::Title), norms.field(Field::Body));
        assert_eq!(t.get(5), Some(5));
        assert_eq!(b.get(5), Some(305));
        assert_eq!(b.get(damaged_doc), None);
        // Every document on the damaged page is refused, its neighbours not.
        let page = |d: u32| (3002 + 2 * d as usize) / 512;
        for d in 1700..2300 {
            let want = (page(d) != page(damaged_doc)).then_some(300 + d);
            assert_eq!(b.get(d), want, "document {d}");
        }
        // A block's lengths: dense (checked at once) and sparse.
        for docs in [
            (1000..1128).collect::<Vec<u32>>(),
            (0..n).step_by(23).collect(),
        ] {
            let mut out = vec![0; docs.len()];
            let sound = docs.iter().all(|&d| page(d) != page(damaged_doc));
            assert_eq!(b.get_many(&docs, &mut out), sound);
            for (&d, &len) in docs.iter().zip(&out) {
                if page(d) != page(damaged_doc) {
                    assert_eq!(len, 300 + d);
                }
            }
        }
        let mut out = vec![0; 128];
        assert!(!b.get_many(&(1950..2078).collect::<Vec<u32>>(), &mut out));
    }

    #[test]
    fn damaged_widths_refuse_the_lengths() {
        let mut pages = TestPages::new(encode(&[vec![1; 100], vec![2; 100]]), 9);
        pages.damage(1);
        assert!(FieldNorms::checked(pages.section(), 100, pages.guard()).is_none());
    }

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
        write_pieces(&norms, &mut out, &mut |_| {}).unwrap();
        assert_eq!(out, encode(&[vec![1, 2, 70_000], vec![300, 0, 4]]));
        // Pieces: a dropped wide length narrows the field, as a build of
        // the kept documents would.
        let mut out = Vec::new();
        write_pieces(
            &[(norms[1].0, 0..0), (norms[0].0, 1..2)],
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(out, encode(&[vec![2], vec![0]]));
        let mut out = Vec::new();
        write_pieces(
            &[(norms[0].0, 1..2), (norms[0].0, 0..1)],
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(out, encode(&[vec![2, 1], vec![0, 300]]));
        assert!(write_pieces(&[(norms[0].0, 1..3)], &mut Vec::new(), &mut |_| {}).is_err());
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
