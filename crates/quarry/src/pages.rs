//! Page checksums, checked before first use: every page of the sections a
//! query reads in small pieces (postings, positions, stored documents) has
//! its own CRC-32 in PAGESUMS, and a page's checksum is checked the first
//! time any byte of it is asked for, then remembered in a bit. So damage is
//! found before it can change an answer, while opening stays O(1) and a
//! query pays only for the pages it reads, once per process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use byteorder::{ByteOrder, LittleEndian};

use crate::format::{self, page_count, page_sums_at, SectionEntry, SectionKind, PAGED, PAGE_LEN};

/// Which pages of each paged section have been checked.
#[derive(Default)]
pub(crate) struct PageChecks {
    /// Per [`PAGED`] section: where its checksums start in PAGESUMS, and a
    /// bit per page. Made on first use, after PAGESUMS' own checksum.
    state: OnceLock<Result<Vec<Seen>, String>>,
}

struct Seen {
    sums_at: usize,
    bits: Box<[AtomicU64]>,
}

impl PageChecks {
    /// Checks pages `first..=last` of section `kind` (a [`PAGED`] one)
    /// of the file `data` whose table is `sections`, each the first time.
    ///
    /// # Errors
    /// What does not match, for [`crate::Error::Corrupt`].
    pub(crate) fn check(
        &self,
        data: &[u8],
        sections: &[SectionEntry],
        kind: SectionKind,
        first: usize,
        last: usize,
    ) -> Result<(), String> {
        let seen = self
            .state
            .get_or_init(|| load(data, sections))
            .as_ref()
            .map_err(Clone::clone)?;
        let Some(i) = PAGED.iter().position(|&k| k == kind) else {
            return Err(format!("the {} section has no page checksums", kind.name()));
        };
        let section = slice(data, sections, kind);
        let sums = slice(data, sections, SectionKind::PageSums);
        let seen = &seen[i];
        for p in first..=last {
            let (word, bit) = (seen.bits.get(p / 64), 1u64 << (p % 64));
            let Some(word) = word else {
                return Err(format!(
                    "{} page {p} is past the section's end",
                    kind.name()
                ));
            };
            // Relaxed is enough: a set bit only records a fact about bytes
            // that never change, and checking a page twice is harmless.
            if word.load(Ordering::Relaxed) & bit != 0 {
                continue;
            }
            let page = &section[p * PAGE_LEN..((p + 1) * PAGE_LEN).min(section.len())];
            let at = seen.sums_at + 4 * p;
            if format::crc32(page) != LittleEndian::read_u32(&sums[at..at + 4]) {
                return Err(format!("{} page {p} checksum mismatch", kind.name()));
            }
            word.fetch_or(bit, Ordering::Relaxed);
        }
        Ok(())
    }
}

fn slice<'a>(data: &'a [u8], sections: &[SectionEntry], kind: SectionKind) -> &'a [u8] {
    let e = &sections[kind as usize - 1];
    &data[e.offset as usize..(e.offset + e.len) as usize]
}

/// PAGESUMS checked against its checksum and the sizes of the sections it
/// covers; a bit per page, none set.
fn load(data: &[u8], sections: &[SectionEntry]) -> Result<Vec<Seen>, String> {
    let e = sections[SectionKind::PageSums as usize - 1];
    let sums = slice(data, sections, SectionKind::PageSums);
    if format::crc32(sums) != e.crc32 {
        return Err("page-sums section checksum mismatch".into());
    }
    let len_of = |k: SectionKind| sections[k as usize - 1].len;
    let expected: u64 = PAGED.iter().map(|&k| 4 * page_count(len_of(k))).sum();
    if sums.len() as u64 != expected {
        return Err("the page checksums do not match the sections' sizes".into());
    }
    Ok(PAGED
        .iter()
        .map(|&k| Seen {
            sums_at: page_sums_at(k, len_of).unwrap_or_default() as usize,
            bits: (0..page_count(len_of(k)).div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
        })
        .collect())
}
