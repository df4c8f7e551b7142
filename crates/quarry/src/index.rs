//! Opening an index file: memory-mapping it and checking its header.

use std::fs::File;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use memmap2::Mmap;

use crate::analysis::Analyzer;
use crate::error::{Error, Result};
use crate::fieldnorm::FieldNorms;
use crate::format::{self, HeaderError, SectionEntry, SectionKind};
use crate::fst_check::CheckedFst;
use crate::pages::PageChecks;
use crate::schema::{Field, Meta};
use crate::sources::Sources;
use crate::store::{StoreReader, StoredDocument};
use crate::termdict::TermInfoReader;

mod terms;
pub(crate) use terms::TermLookup;

/// Internal document id: the document's place in input order, from 0.
pub type DocId = u32;

enum Data {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Deref for Data {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Data::Mapped(m) => m,
            Data::Owned(v) => v,
        }
    }
}

/// FIELDNORMS and STORE_INDEX sections of at most this many bytes are
/// checked whole at first use, larger ones page by page (see
/// [`Index::checked_whole`]).
const CHECKED_WHOLE_MAX: usize = 1 << 20;

/// A section of the shared file bytes, so the `fst` map can own its bytes.
#[derive(Clone)]
pub(crate) struct Slice {
    data: Arc<Data>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for Slice {
    fn as_ref(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }
}

/// An open, read-only index. `Send + Sync`: share it between threads
/// behind an `Arc` and search concurrently.
///
/// Opening reads only the header, the section table and the small META
/// section, whatever the size of the index. The checksums of the term
/// dictionary and of the surface forms (both `fst` maps) are checked once,
/// before first use, and the maps are read node by node with checked
/// offsets, so a forged map is an [`Error::Corrupt`], never a panic;
/// everything else is read by bounds-checked decoders that report damage
/// as [`Error::Corrupt`].
pub struct Index {
    path: PathBuf,
    data: Arc<Data>,
    sections: Vec<SectionEntry>,
    meta: Meta,
    analyzer: Analyzer,
    dict: OnceLock<std::result::Result<fst::Map<Slice>, String>>,
    /// Per section, its checksum checked once, for sections read whole
    /// ([`Index::checked_section`]).
    sums: [OnceLock<std::result::Result<(), String>>; 11],
    /// The pages of POSTINGS, POSITIONS and STORE_DATA checked so far.
    pages: PageChecks,
    surface: OnceLock<std::result::Result<fst::Map<Slice>, String>>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("path", &self.path)
            .field("doc_count", &self.meta.doc_count)
            .finish()
    }
}

impl Index {
    /// Opens the index file at `path` by memory-mapping it.
    ///
    /// # The file must not change while it is open
    /// The index reads its file through the mapping, not through copies.
    /// If the file is truncated or overwritten in place while the index
    /// is open (`cp other.qidx live.qidx`, `truncate`, an editor saving
    /// over it), reads show the new bytes, and touching a page past the
    /// file's new end raises `SIGBUS`, which by default kills the process
    /// without a message; no `Result` can report it. Quarry's indexer
    /// never does this: it writes a new file beside the old one and
    /// renames it over the path, which leaves an open index reading the
    /// old file, whole, until it is dropped. Replace indexes the same way
    /// (write elsewhere in the same directory, then rename). An embedder
    /// that must survive a file changed in place should read it into
    /// memory and use [`Index::from_bytes`], or handle `SIGBUS` itself
    /// (the `quarry` command installs a handler that prints an error and
    /// exits).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, [`Error::NotAnIndex`],
    /// [`Error::Version`], [`Error::Truncated`] or [`Error::Corrupt`] if its
    /// header says it is not a whole index of this format version.
    pub fn open(path: impl AsRef<Path>) -> Result<Index> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(io(std::io::Error::other(
                "is a directory, not an index file",
            )));
        }
        if !meta.is_file() {
            // A device or FIFO could be endless or block forever.
            return Err(io(std::io::Error::other("is not a regular file")));
        }
        let data = if meta.len() < format::HEADER_LEN as u64 {
            // Too small to map usefully (an empty file cannot be mapped at all).
            Data::Owned(std::fs::read(path).map_err(io)?)
        } else {
            // SAFETY: the map is read-only and never outlives `Index`. The
            // risk that remains is another process truncating or rewriting the
            // file while it is mapped, which can fault (SIGBUS) or show changed
            // bytes; it is documented above, for callers. Quarry never modifies
            // a written index in place: the indexer writes a new file and
            // renames it over the old one, which leaves this mapping on the
            // old inode.
            Data::Mapped(unsafe { Mmap::map(&file) }.map_err(io)?)
        };
        Index::from_data(path.to_path_buf(), data)
    }

    /// An index from bytes in memory (for tests, or an index embedded in a
    /// program). Checked as [`Index::open`] checks a file.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Index> {
        Index::from_data(PathBuf::from("<memory>"), Data::Owned(bytes))
    }

    fn from_data(path: PathBuf, data: Data) -> Result<Index> {
        let sections = format::parse_header(&data).map_err(|e| match e {
            HeaderError::NotAnIndex => Error::NotAnIndex { path: path.clone() },
            HeaderError::Version(found) => Error::Version {
                path: path.clone(),
                expected: format::VERSION,
                found,
            },
            HeaderError::Truncated { expected } => Error::Truncated {
                path: path.clone(),
                expected,
                found: data.len() as u64,
            },
            HeaderError::Corrupt(detail) => Error::corrupt(&path, detail),
        })?;
        let data = Arc::new(data);
        let meta_entry = sections[0];
        let meta_bytes =
            &data[meta_entry.offset as usize..(meta_entry.offset + meta_entry.len) as usize];
        if format::crc32(meta_bytes) != meta_entry.crc32 {
            return Err(Error::corrupt(&path, "meta section checksum mismatch"));
        }
        let meta = Meta::decode(meta_bytes).map_err(|d| Error::corrupt(&path, d))?;
        let index = Index {
            analyzer: Analyzer::new(meta.language),
            path,
            data,
            sections,
            meta,
            dict: OnceLock::new(),
            sums: Default::default(),
            pages: PageChecks::default(),
            surface: OnceLock::new(),
        };
        index.check_sizes()?;
        Ok(index)
    }

    /// Section sizes that follow from the document count: O(1) checks.
    fn check_sizes(&self) -> Result<()> {
        let n = self.meta.doc_count;
        if FieldNorms::new(self.section(SectionKind::FieldNorms), n).is_none() {
            return Err(self.corrupt("field lengths do not match the document count"));
        }
        if StoreReader::new(
            self.section(SectionKind::StoreIndex),
            self.section(SectionKind::StoreData),
            n,
        )
        .is_none()
        {
            return Err(self.corrupt("document store does not match the document count"));
        }
        if TermInfoReader::new(self.section(SectionKind::TermInfo)).is_none() {
            return Err(self.corrupt("the term record table does not fit its section"));
        }
        Ok(())
    }

    pub(crate) fn corrupt(&self, detail: impl Into<String>) -> Error {
        Error::corrupt(&self.path, detail)
    }

    /// The bytes of one section.
    pub(crate) fn section(&self, kind: SectionKind) -> &[u8] {
        let e = &self.sections[kind as usize - 1];
        &self.data[e.offset as usize..(e.offset + e.len) as usize]
    }

    /// Drops this process's copies of the mapped file's pages; they are
    /// read again from the file (usually from the page cache) when next
    /// touched. A merge reading large members front to back calls this as
    /// it goes, so that its resident memory stays bounded; a caller that
    /// has read a whole index once (as [`Index::verify`] does) and will
    /// not soon again can too. Nothing for an index in memory.
    pub fn release_pages(&self) {
        #[cfg(unix)]
        if let Data::Mapped(m) = &*self.data {
            // SAFETY: the map is a read-only shared mapping of a file, so
            // MADV_DONTNEED drops only this process's page table entries:
            // the next access reads the same file bytes again and no
            // reference into the map sees different memory. (The advice is
            // unsafe in general because on private or anonymous writable
            // maps it discards data; this map has no such pages.)
            let _ = unsafe { m.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }

    /// The path the index was opened from (`<memory>` for [`Index::from_bytes`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of documents.
    pub fn doc_count(&self) -> u32 {
        self.meta.doc_count
    }

    /// Collection statistics.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The analyzer the index was built with; queries go through it too.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Average length of `field` in tokens (0 for an empty collection).
    pub fn avg_field_len(&self, field: Field) -> f64 {
        if self.meta.doc_count == 0 {
            0.0
        } else {
            self.meta.total_tokens[field as usize] as f64 / f64::from(self.meta.doc_count)
        }
    }

    /// The section table: kind, offset, length and checksum of each section.
    pub fn sections(&self) -> &[SectionEntry] {
        &self.sections
    }

    /// Size of the index in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.data.len() as u64
    }

    pub(crate) fn dict(&self) -> Result<&fst::Map<Slice>> {
        self.fst_map(&self.dict, SectionKind::TermDict, "term dictionary")
    }

    /// The SURFACE map: surface form → document frequency.
    pub(crate) fn surface_map(&self) -> Result<&fst::Map<Slice>> {
        self.fst_map(&self.surface, SectionKind::Surface, "surface forms")
    }

    /// The `fst` map of section `kind`, its checksum checked on first use.
    fn fst_map<'a>(
        &'a self,
        cell: &'a OnceLock<std::result::Result<fst::Map<Slice>, String>>,
        kind: SectionKind,
        what: &str,
    ) -> Result<&'a fst::Map<Slice>> {
        let map = cell.get_or_init(|| {
            let e = self.sections[kind as usize - 1];
            let bytes = self.checked_section(kind).map_err(|e| match e {
                Error::Corrupt { detail, .. } => detail,
                other => other.to_string(),
            })?;
            // A checksum proves only that the bytes are the ones written;
            // a forged file carries a right checksum over wrong bytes, and
            // the `fst` crate trusts the bytes it reads.
            crate::fst_check::check_fst(bytes).map_err(|d| format!("{what}: {d}"))?;
            let slice = Slice {
                data: Arc::clone(&self.data),
                start: e.offset as usize,
                end: (e.offset + e.len) as usize,
            };
            fst::Map::new(slice).map_err(|err| format!("{what}: {err}"))
        });
        map.as_ref().map_err(|d| self.corrupt(d.clone()))
    }

    /// The bytes of section `kind`, its checksum checked before the first
    /// use (once per index).
    pub(crate) fn checked_section(&self, kind: SectionKind) -> Result<&[u8]> {
        let bytes = self.section(kind);
        let e = self.sections[kind as usize - 1];
        self.sums[kind as usize - 1]
            .get_or_init(|| {
                (format::crc32(bytes) == e.crc32)
                    .then_some(())
                    .ok_or_else(|| format!("{} section checksum mismatch", kind.name()))
            })
            .clone()
            .map(|()| bytes)
            .map_err(|d| self.corrupt(d))
    }

    /// Bytes `start..end` of section `kind`, one of [`format::PAGED`], the
    /// checksum of every page they touch checked before first use.
    pub(crate) fn checked_range(
        &self,
        kind: SectionKind,
        start: usize,
        end: usize,
    ) -> Result<&[u8]> {
        let bytes = self.section(kind).get(start..end).ok_or_else(|| {
            self.corrupt(format!("a range lies outside the {} section", kind.name()))
        })?;
        if start < end {
            self.pages
                .check(
                    &self.data,
                    &self.sections,
                    kind,
                    start >> format::page_shift(kind),
                    (end - 1) >> format::page_shift(kind),
                )
                .map_err(|d| self.corrupt(d))?;
        }
        Ok(bytes)
    }

    /// A map section read node by node ([`CheckedFst`]): what lookups and
    /// the prefix and fuzzy walks read, without the whole-map check that
    /// streams through the `fst` crate need.
    pub(crate) fn checked_fst(&self, kind: SectionKind) -> Result<CheckedFst<'_>> {
        let what = match kind {
            SectionKind::Surface => "surface forms",
            _ => "term dictionary",
        };
        let guard = self.guard(kind)?;
        CheckedFst::with_guard(self.section(kind), Some(guard))
            .map_err(|d| self.damage_error(&format!("{what}: {d}")))
    }

    /// Page checks over all of section `kind` (one of [`format::PAGED`]).
    fn guard(&self, kind: SectionKind) -> Result<crate::pages::PageGuard<'_>> {
        self.pages
            .guard(&self.data, &self.sections, kind, 0)
            .map_err(|d| self.corrupt(d))
    }

    /// The error of a search whose cursors met malformed bytes: the
    /// damaged page, if a page check found one ([`crate::pages::PageGuard`]),
    /// else `otherwise`, what the decoders saw.
    pub(crate) fn damage_error(&self, otherwise: &str) -> Error {
        self.corrupt(self.pages.damage().unwrap_or(otherwise))
    }

    /// Whether section `kind` (FIELDNORMS or STORE_INDEX, read at random)
    /// is checked whole at first use rather than page by page: when small,
    /// reading it once costs a process less than a page test at every read
    /// (a whole megabyte is checked in about a tenth of a millisecond), and
    /// a large one checked whole would make a one-shot query's cost grow with
    /// the collection.
    fn checked_whole(&self, kind: SectionKind) -> bool {
        self.section(kind).len() <= CHECKED_WHOLE_MAX
    }

    /// The field lengths, checked before first use: whole, or each page
    /// before a length on it is first read ([`Index::checked_whole`]).
    pub(crate) fn field_norms(&self) -> Result<FieldNorms<'_>> {
        let (kind, n) = (SectionKind::FieldNorms, self.meta.doc_count);
        if self.checked_whole(kind) {
            FieldNorms::new(self.checked_section(kind)?, n)
        } else {
            FieldNorms::checked(self.section(kind), n, self.guard(kind)?)
        }
        .ok_or_else(|| self.damage_error("field lengths do not match the document count"))
    }

    /// The document store: its index checked as [`Index::field_norms`]
    /// are, the pages of its data as [`Index::document`] reads them.
    pub(crate) fn store(&self) -> Result<StoreReader<'_>> {
        let (kind, n) = (SectionKind::StoreIndex, self.meta.doc_count);
        let data = self.section(SectionKind::StoreData);
        if self.checked_whole(kind) {
            StoreReader::new(self.checked_section(kind)?, data, n)
        } else {
            StoreReader::checked(self.section(kind), data, n, self.guard(kind)?)
        }
        .ok_or_else(|| self.damage_error("document store does not match the document count"))
    }

    /// Where the documents came from (the SOURCES section), checked
    /// against its checksum and the document count.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the section is damaged.
    pub fn sources(&self) -> Result<Sources> {
        let bytes = self.section(SectionKind::Sources);
        if format::crc32(bytes) != self.sections[SectionKind::Sources as usize - 1].crc32 {
            return Err(self.corrupt("sources checksum mismatch"));
        }
        Sources::decode(bytes, self.meta.doc_count).map_err(|d| self.corrupt(d))
    }

    /// The document store with all of its data checked, for reading it
    /// through (a merge).
    pub(crate) fn checked_store(&self) -> Result<StoreReader<'_>> {
        let store = self.store()?;
        let len = self.section(SectionKind::StoreData).len();
        // In pieces, dropping the pages read, so that resident memory stays
        // bounded however large the store.
        let piece = 16 << 20;
        for start in (0..len).step_by(piece) {
            self.checked_range(SectionKind::StoreData, start, (start + piece).min(len))?;
            self.release_pages();
        }
        Ok(store)
    }

    /// The stored id, title and body of `doc`.
    pub fn document(&self, doc: DocId) -> Result<StoredDocument> {
        if doc >= self.meta.doc_count {
            return Err(Error::NoSuchDocument {
                doc,
                doc_count: self.meta.doc_count,
            });
        }
        let store = self.store()?;
        let (start, end) = store.block_span(doc).ok_or_else(|| {
            self.damage_error(&format!("stored document {doc} has no valid block"))
        })?;
        self.checked_range(SectionKind::StoreData, start, end)?;
        store.get(doc).map_err(|d| self.damage_error(&d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Index>();
    }

    #[test]
    fn opening_garbage_is_a_typed_error() {
        assert!(matches!(
            Index::from_bytes(vec![]),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            Index::from_bytes(b"QRYINDEX".to_vec()),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            Index::from_bytes(vec![7; 100]),
            Err(Error::NotAnIndex { .. })
        ));
    }

    #[test]
    fn special_files_are_refused_without_reading_them() {
        // /dev/zero never ends; reading it would exhaust memory.
        let err = Index::open("/dev/zero").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn missing_file_says_how_to_build_one() {
        let err = Index::open("/nonexistent/quarry.qidx").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("/nonexistent/quarry.qidx") && msg.contains("quarry index"),
            "{msg}"
        );
    }
}
