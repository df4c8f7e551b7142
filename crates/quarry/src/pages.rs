//! Page checksums, checked before first use: every page of the sections a
//! query reads in small pieces (postings, positions, stored documents) has
//! its own CRC-32 in PAGESUMS, and a page's checksum is checked the first
//! time any byte of it is asked for, then remembered in a bit. So damage is
//! found before it can change an answer, while opening stays O(1) and a
//! query pays only for the pages it reads, once per process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use byteorder::{ByteOrder, LittleEndian};

use crate::format::{self, page_count, page_shift, page_sums_at, SectionEntry, SectionKind, PAGED};

/// Which pages of each paged section have been checked.
#[derive(Default)]
pub(crate) struct PageChecks {
    /// Per [`PAGED`] section: where its checksums start in PAGESUMS, and a
    /// bit per page. Made on first use, after PAGESUMS' own checksum.
    state: OnceLock<Result<Vec<Seen>, String>>,
    /// The first page found damaged, if any. Damage is for good: once
    /// found, every later search of the index reports it.
    damage: OnceLock<String>,
}

struct Seen {
    sums_at: usize,
    bits: Box<[AtomicU64]>,
    /// The section's page length, as a power of two.
    shift: u32,
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
        let guard = self.guard(data, sections, kind, 0)?;
        for p in first..=last {
            guard.page(p)?;
        }
        Ok(())
    }

    /// A guard over section `kind` for a reader of the bytes from `base`
    /// on, which checks pages as the reader reaches them
    /// ([`PageGuard::check`]).
    ///
    /// # Errors
    /// PAGESUMS is damaged, or `kind` has no page checksums.
    pub(crate) fn guard<'a>(
        &'a self,
        data: &'a [u8],
        sections: &[SectionEntry],
        kind: SectionKind,
        base: usize,
    ) -> Result<PageGuard<'a>, String> {
        let seen = self
            .state
            .get_or_init(|| load(data, sections))
            .as_ref()
            .map_err(Clone::clone)?;
        let Some(i) = PAGED.iter().position(|&k| k == kind) else {
            return Err(format!("the {} section has no page checksums", kind.name()));
        };
        Ok(PageGuard {
            seen: &seen[i],
            section: slice(data, sections, kind),
            sums: slice(data, sections, SectionKind::PageSums),
            kind,
            base,
            damage: &self.damage,
        })
    }

    /// The damage a guard found, if any: a search that read through
    /// guards reports it rather than an answer missing what the damaged
    /// page held.
    pub(crate) fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }
}

/// Page checks for one reader of a paged section, e.g. a postings cursor
/// that decodes only some of a term's blocks: [`PageGuard::check`] before
/// each piece it reads.
#[derive(Clone, Copy)]
pub struct PageGuard<'a> {
    seen: &'a Seen,
    section: &'a [u8],
    sums: &'a [u8],
    kind: SectionKind,
    /// Where the reader's bytes start in the section.
    base: usize,
    damage: &'a OnceLock<String>,
}

impl<'a> PageGuard<'a> {
    /// The same checks for a reader whose bytes start `offset` bytes further
    /// into the section.
    pub(crate) fn offset(self, offset: usize) -> PageGuard<'a> {
        PageGuard {
            base: self.base.saturating_add(offset),
            ..self
        }
    }

    /// Whether bytes `start..end` of the reader's bytes are sound, their
    /// pages checked now if not before. A damaged page is also recorded
    /// for [`PageChecks::damage`].
    #[inline(always)]
    pub(crate) fn check(&self, start: usize, end: usize) -> bool {
        if start >= end {
            return true;
        }
        let first = self.base.saturating_add(start) >> self.seen.shift;
        let last = self.base.saturating_add(end - 1) >> self.seen.shift;
        // The common case inline (a map walk asks for every node it
        // visits): one page, checked before.
        (first == last && self.is_checked(first)) || self.check_pages(first, last)
    }

    #[inline(never)]
    fn check_pages(&self, first: usize, last: usize) -> bool {
        (first..=last).all(|p| self.is_checked(p) || self.page(p).is_ok())
    }

    /// [`PageGuard::check`], and on success the range of the reader's
    /// bytes known sound (at least `start..end`): those pages, and the
    /// pages after them that were checked before, as far as the word of
    /// bits that holds the last one. A reader moving forward need not ask
    /// again until it leaves it; on pages earlier queries read, that is
    /// tens of kilobytes.
    #[inline]
    pub(crate) fn check_span(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        // An empty range reads nothing, so it vouches for nothing: not the
        // page it falls in, nor (with `end == 0`) everything up to the
        // top of the address space.
        if start >= end {
            return Some((start, start));
        }
        if !self.check(start, end) {
            return None;
        }
        let shift = self.seen.shift;
        let lo = (self.base.saturating_add(start) >> shift << shift).saturating_sub(self.base);
        let last = self.base.saturating_add(end - 1) >> shift;
        let after = self.checked_after(last);
        let hi = (last + 1 + after)
            .saturating_mul(1 << shift)
            .saturating_sub(self.base);
        Some((lo.min(start), hi.max(end)))
    }

    /// How many pages right after page `p`, in the same word of bits, were
    /// checked before.
    #[inline(always)]
    fn checked_after(&self, p: usize) -> usize {
        let bit = p % 64;
        if bit == 63 {
            return 0;
        }
        let word = self
            .seen
            .bits
            .get(p / 64)
            .map_or(0, |w| w.load(Ordering::Relaxed));
        (word >> (bit + 1)).trailing_ones() as usize
    }

    /// Whether page `p` was checked before: the common case, one load.
    #[inline(always)]
    fn is_checked(&self, p: usize) -> bool {
        // Relaxed is enough: a set bit only records a fact about bytes
        // that never change, and checking a page twice is harmless.
        self.seen
            .bits
            .get(p / 64)
            .is_some_and(|w| w.load(Ordering::Relaxed) & (1u64 << (p % 64)) != 0)
    }

    /// Checks page `p` of the section, the first time.
    #[cold]
    fn page(&self, p: usize) -> Result<(), String> {
        let Some(word) = self.seen.bits.get(p / 64) else {
            return Err(format!(
                "{} page {p} is past the section's end",
                self.kind.name()
            ));
        };
        let bit = 1u64 << (p % 64);
        if word.load(Ordering::Relaxed) & bit != 0 {
            return Ok(());
        }
        // The bits come in words of 64 pages: a page past the last one
        // still has a bit, but no bytes (a forged range can ask for it).
        let page_len = 1usize << self.seen.shift;
        let start = p.saturating_mul(page_len);
        if start >= self.section.len() {
            return Err(format!(
                "{} page {p} is past the section's end",
                self.kind.name()
            ));
        }
        let page = &self.section[start..(start + page_len).min(self.section.len())];
        let at = self.seen.sums_at + 4 * p;
        if format::crc32(page) != LittleEndian::read_u32(&self.sums[at..at + 4]) {
            // The page or its checksum in PAGESUMS is damaged.
            let detail = format!("{} page {p} checksum mismatch", self.kind.name());
            let _ = self.damage.set(detail.clone());
            return Err(detail);
        }
        word.fetch_or(bit, Ordering::Relaxed);
        Ok(())
    }
}

fn slice<'a>(data: &'a [u8], sections: &[SectionEntry], kind: SectionKind) -> &'a [u8] {
    let e = &sections[kind as usize - 1];
    &data[e.offset as usize..(e.offset + e.len) as usize]
}

/// PAGESUMS checked against the sizes of the sections it covers; a bit
/// per page, none set.
///
/// PAGESUMS' own checksum is not checked here (`verify` checks it): that
/// would read all of it, a few bytes per 512 of the index, before a
/// one-shot query could read its first page. Nothing is lost: a damaged
/// page checksum cannot match its intact page, so it fails that page's
/// check (an error, never a wrong answer).
fn load(data: &[u8], sections: &[SectionEntry]) -> Result<Vec<Seen>, String> {
    let sums = slice(data, sections, SectionKind::PageSums);
    let len_of = |k: SectionKind| sections[k as usize - 1].len;
    let expected: u64 = PAGED.iter().map(|&k| 4 * page_count(k, len_of(k))).sum();
    if sums.len() as u64 != expected {
        return Err("the page checksums do not match the sections' sizes".into());
    }
    Ok(PAGED
        .iter()
        .map(|&k| Seen {
            sums_at: page_sums_at(k, len_of).unwrap_or_default() as usize,
            bits: (0..page_count(k, len_of(k)).div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
            shift: page_shift(k),
        })
        .collect())
}

/// A section with its page checksums, for tests of readers that check
/// pages as they go.
#[cfg(test)]
pub(crate) struct TestPages {
    seen: Seen,
    section: Vec<u8>,
    sums: Vec<u8>,
    damage: OnceLock<String>,
}

#[cfg(test)]
impl TestPages {
    /// `section` in pages of `1 << shift` bytes, their checksums taken now.
    pub(crate) fn new(section: Vec<u8>, shift: u32) -> TestPages {
        let pages = section.len().div_ceil(1 << shift);
        TestPages {
            seen: Seen {
                sums_at: 0,
                bits: (0..pages.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
                shift,
            },
            sums: section
                .chunks(1 << shift)
                .flat_map(|p| format::crc32(p).to_le_bytes())
                .collect(),
            section,
            damage: OnceLock::new(),
        }
    }

    /// Flips byte `at` of the section (its checksum unchanged).
    pub(crate) fn damage(&mut self, at: usize) {
        self.section[at] ^= 0x40;
    }

    pub(crate) fn section(&self) -> &[u8] {
        &self.section
    }

    /// A guard over the whole section.
    pub(crate) fn guard(&self) -> PageGuard<'_> {
        PageGuard {
            seen: &self.seen,
            section: &self.section,
            sums: &self.sums,
            kind: SectionKind::FieldNorms,
            base: 0,
            damage: &self.damage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE_LEN: usize = 4096;

    /// The checksums of `section`'s pages of [`PAGE_LEN`] bytes.
    fn sums_of(section: &[u8]) -> Vec<u8> {
        section
            .chunks(PAGE_LEN)
            .flat_map(|p| format::crc32(p).to_le_bytes())
            .collect()
    }

    /// Bits for 64 pages of [`PAGE_LEN`] bytes, none checked yet.
    fn nothing_seen() -> Seen {
        Seen {
            sums_at: 0,
            bits: vec![AtomicU64::new(0)].into_boxed_slice(),
            shift: 12,
        }
    }

    /// A guard over `section` for a reader whose bytes start at `base`.
    fn guard<'a>(
        seen: &'a Seen,
        section: &'a [u8],
        sums: &'a [u8],
        base: usize,
        damage: &'a OnceLock<String>,
    ) -> PageGuard<'a> {
        PageGuard {
            seen,
            section,
            sums,
            kind: SectionKind::Postings,
            base,
            damage,
        }
    }

    #[test]
    fn a_range_past_the_last_page_is_refused_not_a_panic() {
        // Two pages of a section, their checksums, and bits for 64 pages.
        let section = vec![7u8; PAGE_LEN + 100];
        let sums = sums_of(&section);
        let seen = nothing_seen();
        let damage = OnceLock::new();
        let guard = guard(&seen, &section, &sums, 0, &damage);
        assert!(guard.check(0, section.len()));
        // Page 2 has a bit but no bytes; page 64 not even a bit.
        assert!(!guard.check(2 * PAGE_LEN, 2 * PAGE_LEN + 1));
        assert!(!guard.check(3 * PAGE_LEN, 3 * PAGE_LEN + 1));
        assert!(!guard.check(64 * PAGE_LEN, 64 * PAGE_LEN + 1));
        assert!(guard.check_span(usize::MAX - 1, usize::MAX).is_none());
        assert!(
            damage.get().is_none(),
            "nothing was damaged, only asked for"
        );
    }

    #[test]
    fn a_span_reaches_over_pages_checked_before_and_no_further() {
        // Six pages; the third one is damaged.
        let mut section = vec![5u8; 6 * PAGE_LEN];
        let sums = sums_of(&section);
        section[2 * PAGE_LEN + 9] ^= 1;
        let seen = nothing_seen();
        let damage = OnceLock::new();
        let guard = guard(&seen, &section, &sums, 100, &damage);
        // Nothing checked yet: the span is the page asked for. Reader
        // bytes 0.. start at section byte 100.
        assert_eq!(guard.check_span(10, 20), Some((0, PAGE_LEN - 100)));
        // Pages 3 and 4 checked, then page 1: its span stops at the
        // damaged page 2, never checked.
        assert!(guard.check(3 * PAGE_LEN, 5 * PAGE_LEN - 100));
        assert_eq!(
            guard.check_span(PAGE_LEN, PAGE_LEN + 1),
            Some((PAGE_LEN - 100, 2 * PAGE_LEN - 100))
        );
        // Page 0 again: pages 0 and 1 were checked, so the span covers both.
        assert_eq!(guard.check_span(0, 1), Some((0, 2 * PAGE_LEN - 100)));
        // From page 3 it runs over page 4, not over page 5.
        assert_eq!(
            guard.check_span(3 * PAGE_LEN, 3 * PAGE_LEN + 1),
            Some((3 * PAGE_LEN - 100, 5 * PAGE_LEN - 100))
        );
        assert!(guard.check_span(2 * PAGE_LEN, 2 * PAGE_LEN + 1).is_none());
        assert!(damage.get().is_some());
        // Empty ranges vouch for nothing, also at 0 (where `end - 1`
        // would wrap) and inside the damaged page.
        assert_eq!(guard.check_span(0, 0), Some((0, 0)));
        assert_eq!(
            guard.check_span(2 * PAGE_LEN, 2 * PAGE_LEN),
            Some((2 * PAGE_LEN, 2 * PAGE_LEN))
        );
        assert_eq!(guard.check_span(9, 3), Some((9, 9)));
    }
}
