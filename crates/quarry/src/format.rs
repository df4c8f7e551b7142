//! The container of an index file: header, section table and the small
//! codecs every section uses. FORMAT.md describes these bytes; this module
//! is the one place in the code that defines them.
//!
//! All integers are little-endian. The encoders here write to memory only;
//! the indexer crate owns writing files.

use std::sync::OnceLock;

use byteorder::{ByteOrder, LittleEndian};

/// The eight bytes every index file starts with.
pub const MAGIC: [u8; 8] = *b"QRYINDEX";
/// The format version this build writes and reads.
pub const VERSION: u32 = 9;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 32;
/// Length of one section table entry.
pub const SECTION_ENTRY_LEN: usize = 32;
/// Documents per postings block.
pub const BLOCK_LEN: usize = 128;

/// The sections of an index file, in the order they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum SectionKind {
    /// Collection statistics and schema.
    Meta = 1,
    /// The `fst::Map` from field-qualified term to term ordinal.
    TermDict = 2,
    /// Fixed-size term records, by ordinal.
    TermInfo = 3,
    /// Document ids and term frequencies, per term, in blocks.
    Postings = 4,
    /// Token positions, per term, per document.
    Positions = 5,
    /// Exact token counts, per field, per document.
    FieldNorms = 6,
    /// Offsets of stored documents.
    StoreIndex = 7,
    /// Stored documents: id, title, body.
    StoreData = 8,
    /// The `fst::Map` from surface form (lowercased, unstemmed token) to
    /// document frequency.
    Surface = 9,
    /// Where the documents came from: files with their sizes and
    /// modification times, for updates.
    Sources = 10,
    /// A CRC-32 of every page of the [`PAGED`] sections, written last and
    /// derived from them: the writers give the other ten.
    PageSums = 11,
}

/// The page length of [`PAGED`] section `kind` as a power of two: each
/// page of [`page_len`] bytes (the last one of a section may be shorter)
/// has its own checksum.
///
/// A lookup reads a few bytes here and there of the dictionary, the term
/// records, postings and positions (a rare term's whole postings are tens
/// of bytes), and scoring reads the field lengths of scattered documents
/// and fetching a document a few store-index entries; checking a page
/// means reading all of it, so their pages are small: 512 bytes. Stored
/// documents are read a 16 KiB block at a time, and the surface forms by
/// walks that visit much of the map (a prefix's subtree, a fuzzy
/// automaton's live paths), where a page check per node visited costs
/// more than the bytes: their pages are 4 KiB.
pub const fn page_shift(kind: SectionKind) -> u32 {
    match kind {
        SectionKind::StoreData | SectionKind::Surface => 12,
        _ => 9,
    }
}

/// Bytes per checksummed page of section `kind` ([`page_shift`]).
pub const fn page_len(kind: SectionKind) -> usize {
    1 << page_shift(kind)
}

/// The sections a query reads in small pieces, each page of which has its
/// own checksum in [`SectionKind::PageSums`], in this order (file order).
/// The other one a query reads, META, is checked whole when the index
/// opens. A section of the collection's size checked whole at first use
/// would make a one-shot query's cost grow with the collection.
pub const PAGED: [SectionKind; 8] = [
    SectionKind::TermDict,
    SectionKind::TermInfo,
    SectionKind::Postings,
    SectionKind::Positions,
    SectionKind::FieldNorms,
    SectionKind::StoreIndex,
    SectionKind::StoreData,
    SectionKind::Surface,
];

/// Every section of the file's table, in file order: [`SectionKind::ALL`]
/// and then PAGESUMS.
pub const TABLE: [SectionKind; 11] = [
    SectionKind::Meta,
    SectionKind::TermDict,
    SectionKind::TermInfo,
    SectionKind::Postings,
    SectionKind::Positions,
    SectionKind::FieldNorms,
    SectionKind::StoreIndex,
    SectionKind::StoreData,
    SectionKind::Surface,
    SectionKind::Sources,
    SectionKind::PageSums,
];

/// Number of pages of section `kind` when it is `len` bytes long.
pub fn page_count(kind: SectionKind, len: u64) -> u64 {
    len.div_ceil(page_len(kind) as u64)
}

/// Where section `kind`'s page checksums start in PAGESUMS, given the
/// lengths of the file's sections (by kind); `None` unless `kind` is paged.
pub fn page_sums_at(kind: SectionKind, len_of: impl Fn(SectionKind) -> u64) -> Option<u64> {
    let i = PAGED.iter().position(|&k| k == kind)?;
    Some(
        PAGED[..i]
            .iter()
            .map(|&k| 4 * page_count(k, len_of(k)))
            .sum(),
    )
}

impl SectionKind {
    /// Every section a writer gives, in file order (PAGESUMS, derived from
    /// them, follows; see [`TABLE`]).
    pub const ALL: [SectionKind; 10] = [
        SectionKind::Meta,
        SectionKind::TermDict,
        SectionKind::TermInfo,
        SectionKind::Postings,
        SectionKind::Positions,
        SectionKind::FieldNorms,
        SectionKind::StoreIndex,
        SectionKind::StoreData,
        SectionKind::Surface,
        SectionKind::Sources,
    ];

    /// A short human name.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Meta => "meta",
            SectionKind::TermDict => "termdict",
            SectionKind::TermInfo => "terminfo",
            SectionKind::Postings => "postings",
            SectionKind::Positions => "positions",
            SectionKind::FieldNorms => "fieldnorms",
            SectionKind::StoreIndex => "store-index",
            SectionKind::StoreData => "store-data",
            SectionKind::Surface => "surface",
            SectionKind::Sources => "sources",
            SectionKind::PageSums => "page-sums",
        }
    }
}

/// Where a section lies in the file and its checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionEntry {
    /// Which section.
    pub kind: SectionKind,
    /// Byte offset from the start of the file.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// CRC-32 (IEEE) of the section's bytes.
    pub crc32: u32,
}

/// CRC-32 (IEEE), the checksum used throughout the format.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut h = crc32_hasher();
    h.update(bytes);
    h.finalize()
}

/// A new CRC-32 hasher. `crc32fast::Hasher::new` asks the CPU which
/// instructions it has on every call, which costs a tenth of checking a
/// 512-byte page; a copy of one made once does not ask again.
pub fn crc32_hasher() -> crc32fast::Hasher {
    static FIRST: OnceLock<crc32fast::Hasher> = OnceLock::new();
    FIRST.get_or_init(crc32fast::Hasher::new).clone()
}

/// The PAGESUMS payload of sections given in [`SectionKind::ALL`] order.
pub fn page_sums(sections: &[(SectionKind, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for kind in PAGED {
        if let Some((_, bytes)) = sections.iter().find(|(k, _)| *k == kind) {
            for page in bytes.chunks(page_len(kind)) {
                out.extend_from_slice(&crc32(page).to_le_bytes());
            }
        }
    }
    out
}

/// The header and section table of the sections given in
/// [`SectionKind::ALL`] order followed by their PAGESUMS (from
/// [`page_sums`]), and that PAGESUMS payload: a file is the header, the
/// payloads back to back, then PAGESUMS. A PAGESUMS entry among `sections`
/// is left out and made anew.
pub fn assemble_header(sections: &[(SectionKind, &[u8])]) -> (Vec<u8>, Vec<u8>) {
    let sections: Vec<(SectionKind, &[u8])> = sections
        .iter()
        .copied()
        .filter(|(k, _)| *k != SectionKind::PageSums)
        .collect();
    let sums = page_sums(&sections);
    let mut entries: Vec<(SectionKind, u64, u32)> = sections
        .iter()
        .map(|(kind, bytes)| (*kind, bytes.len() as u64, crc32(bytes)))
        .collect();
    entries.push((SectionKind::PageSums, sums.len() as u64, crc32(&sums)));
    (header_of(&entries), sums)
}

/// The header and section table of sections given as (kind, length,
/// CRC-32), in file order ([`TABLE`]).
pub fn header_of(sections: &[(SectionKind, u64, u32)]) -> Vec<u8> {
    let table_len = sections.len() * SECTION_ENTRY_LEN;
    let mut offset = (HEADER_LEN + table_len) as u64;
    let mut table = Vec::with_capacity(table_len);
    for &(kind, len, crc) in sections {
        let mut e = [0u8; SECTION_ENTRY_LEN];
        LittleEndian::write_u32(&mut e[0..4], kind as u32);
        LittleEndian::write_u64(&mut e[8..16], offset);
        LittleEndian::write_u64(&mut e[16..24], len);
        LittleEndian::write_u32(&mut e[24..28], crc);
        table.extend_from_slice(&e);
        offset += len;
    }
    let mut header = vec![0u8; HEADER_LEN];
    header[0..8].copy_from_slice(&MAGIC);
    LittleEndian::write_u32(&mut header[8..12], VERSION);
    LittleEndian::write_u32(&mut header[12..16], sections.len() as u32);
    LittleEndian::write_u64(&mut header[16..24], offset);
    header.extend_from_slice(&table);
    let crc = header_crc(&header[..24], &header[HEADER_LEN..]);
    LittleEndian::write_u32(&mut header[24..28], crc);
    header
}

/// A complete index image in memory: [`assemble_header`], the section
/// payloads (given in [`SectionKind::ALL`] order), then PAGESUMS. Every
/// checksum is computed here, so a test can forge a file from any bytes.
pub fn assemble(sections: &[(SectionKind, &[u8])]) -> Vec<u8> {
    let (mut file, sums) = assemble_header(sections);
    for (kind, bytes) in sections {
        if *kind != SectionKind::PageSums {
            file.extend_from_slice(bytes);
        }
    }
    file.extend_from_slice(&sums);
    file
}

/// The header checksum: CRC-32 of header bytes 0..24 followed by the table.
pub fn header_crc(header_prefix: &[u8], table: &[u8]) -> u32 {
    let mut h = crc32_hasher();
    h.update(header_prefix);
    h.update(table);
    h.finalize()
}

/// Why a header could not be read. Turned into [`crate::Error`] with the path.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Wrong magic bytes.
    NotAnIndex,
    /// Another format version.
    Version(u32),
    /// Shorter than the header says.
    Truncated {
        /// Length recorded in the header.
        expected: u64,
    },
    /// The header or table is malformed.
    Corrupt(String),
}

/// Parses and checks the header and section table of `file`: magic,
/// version, recorded length, header checksum, and that the sections tile
/// the rest of the file in [`SectionKind::ALL`] order. Reads only the
/// header and table: O(1) in the size of the index.
pub fn parse_header(file: &[u8]) -> Result<Vec<SectionEntry>, HeaderError> {
    if file.len() < MAGIC.len() && MAGIC.starts_with(file) {
        // Empty, or the start of an index cut off early (an interrupted copy).
        return Err(HeaderError::Truncated {
            expected: HEADER_LEN as u64,
        });
    }
    if file.len() < MAGIC.len() || file[0..8] != MAGIC {
        return Err(HeaderError::NotAnIndex);
    }
    if file.len() < HEADER_LEN {
        return Err(HeaderError::Truncated {
            expected: HEADER_LEN as u64,
        });
    }
    let version = LittleEndian::read_u32(&file[8..12]);
    if version != VERSION {
        return Err(HeaderError::Version(version));
    }
    let count = LittleEndian::read_u32(&file[12..16]) as usize;
    let file_len = LittleEndian::read_u64(&file[16..24]);
    if (file.len() as u64) < file_len {
        return Err(HeaderError::Truncated { expected: file_len });
    }
    if file.len() as u64 != file_len {
        return Err(HeaderError::Corrupt(format!(
            "file is {} bytes but its header records {file_len}",
            file.len()
        )));
    }
    if count != TABLE.len() {
        return Err(HeaderError::Corrupt(format!(
            "header lists {count} sections, expected {}",
            TABLE.len()
        )));
    }
    let table_end = HEADER_LEN + count * SECTION_ENTRY_LEN;
    let table = file
        .get(HEADER_LEN..table_end)
        .ok_or_else(|| HeaderError::Corrupt("section table runs past the end".into()))?;
    if LittleEndian::read_u32(&file[28..32]) != 0 {
        return Err(HeaderError::Corrupt(
            "reserved header bytes are not zero".into(),
        ));
    }
    let stored = LittleEndian::read_u32(&file[24..28]);
    if header_crc(&file[..24], table) != stored {
        return Err(HeaderError::Corrupt("header checksum mismatch".into()));
    }
    let mut entries = Vec::with_capacity(count);
    let mut expected_offset = table_end as u64;
    for (i, kind) in TABLE.iter().enumerate() {
        let e = &table[i * SECTION_ENTRY_LEN..(i + 1) * SECTION_ENTRY_LEN];
        let raw_kind = LittleEndian::read_u32(&e[0..4]);
        let offset = LittleEndian::read_u64(&e[8..16]);
        let len = LittleEndian::read_u64(&e[16..24]);
        if raw_kind != *kind as u32 || offset != expected_offset {
            return Err(HeaderError::Corrupt(format!(
                "section table entry {i} is out of order"
            )));
        }
        expected_offset = offset
            .checked_add(len)
            .filter(|&end| end <= file_len)
            .ok_or_else(|| {
                HeaderError::Corrupt(format!("section {} runs past the end", kind.name()))
            })?;
        entries.push(SectionEntry {
            kind: *kind,
            offset,
            len,
            crc32: LittleEndian::read_u32(&e[24..28]),
        });
    }
    if expected_offset != file_len {
        return Err(HeaderError::Corrupt(
            "sections do not end where the file ends".into(),
        ));
    }
    Ok(entries)
}

/// Appends `v` as a LEB128 variable-length integer (7 bits a byte, low first).
#[inline]
pub fn write_vint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 integer from `bytes` at `*at`, advancing `*at`.
/// `None` if the bytes end early or the value overflows 64 bits.
#[inline]
pub fn read_vint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    let mut shift = 0u32;
    loop {
        let b = *bytes.get(*at)?;
        *at += 1;
        if shift == 63 && b > 1 {
            return None;
        }
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// Reads a LEB128 integer that must fit in 32 bits (at most five bytes).
#[inline(always)]
pub fn read_vint_u32(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let rest = bytes.get(*at..)?;
    let (v, n) = match *rest {
        // Most integers are one byte, most others two.
        [b0, ..] if b0 < 0x80 => (u32::from(b0), 1),
        [b0, b1, ..] if b1 < 0x80 => (u32::from(b0 & 0x7f) | u32::from(b1) << 7, 2),
        [b0, b1, b2, ..] if b2 < 0x80 => (
            u32::from(b0 & 0x7f) | u32::from(b1 & 0x7f) << 7 | u32::from(b2) << 14,
            3,
        ),
        [b0, b1, b2, b3, ..] if b3 < 0x80 => (
            u32::from(b0 & 0x7f)
                | u32::from(b1 & 0x7f) << 7
                | u32::from(b2 & 0x7f) << 14
                | u32::from(b3) << 21,
            4,
        ),
        // The fifth byte holds bits 28 to 31 only.
        [b0, b1, b2, b3, b4, ..] if b4 <= 0x0f => (
            u32::from(b0 & 0x7f)
                | u32::from(b1 & 0x7f) << 7
                | u32::from(b2 & 0x7f) << 14
                | u32::from(b3 & 0x7f) << 21
                | u32::from(b4) << 28,
            5,
        ),
        _ => return None,
    };
    *at += n;
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn vint_round_trips(values in proptest::collection::vec(any::<u64>(), 0..64)) {
            let mut buf = Vec::new();
            for &v in &values { write_vint(&mut buf, v); }
            let mut at = 0;
            for &v in &values { prop_assert_eq!(read_vint(&buf, &mut at), Some(v)); }
            prop_assert_eq!(at, buf.len());
        }

        #[test]
        fn vint_u32_reads_what_was_written(values in proptest::collection::vec(any::<u32>(), 0..64)) {
            let mut buf = Vec::new();
            for &v in &values { write_vint(&mut buf, u64::from(v)); }
            let mut at = 0;
            for &v in &values { prop_assert_eq!(read_vint_u32(&buf, &mut at), Some(v)); }
            prop_assert_eq!(at, buf.len());
        }

        #[test]
        fn vint_u32_agrees_with_vint_or_refuses(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            let (mut a, mut b) = (0, 0);
            match read_vint_u32(&bytes, &mut a) {
                // Whatever it accepts, the general reader reads the same.
                Some(v) => {
                    prop_assert_eq!(read_vint(&bytes, &mut b), Some(u64::from(v)));
                    prop_assert_eq!(a, b);
                }
                None => prop_assert_eq!(a, 0),
            }
        }

        #[test]
        fn vint_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            let mut at = 0;
            while read_vint(&bytes, &mut at).is_some() {}
            prop_assert!(at <= bytes.len());
        }
    }

    #[test]
    fn vint_sizes() {
        for (v, n) in [
            (0u64, 1usize),
            (127, 1),
            (128, 2),
            (16383, 2),
            (16384, 3),
            (u64::MAX, 10),
        ] {
            let mut buf = Vec::new();
            write_vint(&mut buf, v);
            assert_eq!(buf.len(), n, "{v}");
        }
    }

    #[test]
    fn truncated_vint_is_none() {
        let mut at = 0;
        assert_eq!(read_vint(&[0x80, 0x80], &mut at), None);
        let mut at = 0;
        assert_eq!(
            read_vint_u32(&[0xff, 0xff, 0xff, 0xff, 0x7f], &mut at),
            None
        );
    }

    fn sample() -> Vec<u8> {
        let payloads: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; i as usize * 3]).collect();
        let sections: Vec<(SectionKind, &[u8])> = SectionKind::ALL
            .iter()
            .zip(&payloads)
            .map(|(k, p)| (*k, p.as_slice()))
            .collect();
        assemble(&sections)
    }

    #[test]
    fn header_round_trips() {
        let file = sample();
        let entries = parse_header(&file).unwrap();
        assert_eq!(entries.len(), 11);
        for (i, e) in entries.iter().take(10).enumerate() {
            let bytes = &file[e.offset as usize..(e.offset + e.len) as usize];
            assert_eq!(bytes, vec![i as u8; i * 3].as_slice());
            assert_eq!(crc32(bytes), e.crc32);
        }
        // PAGESUMS: one page checksum for each of the paged sections.
        let sums = entries[10];
        assert_eq!(sums.kind, SectionKind::PageSums);
        let bytes = &file[sums.offset as usize..(sums.offset + sums.len) as usize];
        let expected: Vec<u8> = PAGED
            .iter()
            .flat_map(|&k| crc32(&vec![k as u8 - 1; (k as usize - 1) * 3]).to_le_bytes())
            .collect();
        assert_eq!(bytes, expected.as_slice());
    }

    #[test]
    fn header_errors() {
        let file = sample();
        assert_eq!(
            parse_header(b"hello world, this is not an index"),
            Err(HeaderError::NotAnIndex)
        );
        assert_eq!(parse_header(b"hello"), Err(HeaderError::NotAnIndex));
        assert!(matches!(
            parse_header(b""),
            Err(HeaderError::Truncated { .. })
        ));
        assert!(matches!(
            parse_header(b"QRYIN"),
            Err(HeaderError::Truncated { .. })
        ));
        assert!(matches!(
            parse_header(&file[..file.len() - 1]),
            Err(HeaderError::Truncated { .. })
        ));
        assert!(matches!(
            parse_header(&file[..20]),
            Err(HeaderError::Truncated { .. })
        ));
        let mut other = file.clone();
        other[8] = 1;
        assert_eq!(parse_header(&other), Err(HeaderError::Version(1)));
        let mut longer = file.clone();
        longer.push(0);
        assert!(matches!(
            parse_header(&longer),
            Err(HeaderError::Corrupt(_))
        ));
        // Any flipped byte in the header or table is caught.
        let table_end = HEADER_LEN + 9 * SECTION_ENTRY_LEN;
        for i in 8..table_end {
            let mut bad = file.clone();
            bad[i] ^= 0x10;
            assert!(parse_header(&bad).is_err(), "flip at {i} not caught");
        }
    }
}
