//! Stored documents: the external id, title and body of every document,
//! for display and snippets, compressed in blocks.
//!
//! Documents are packed in input order into blocks of about
//! [`STORE_BLOCK_BYTES`] of raw data (a block closes after the document that
//! crosses the mark); each block is compressed with LZ4 (the raw block format, no frame).
//! Inside a raw block each document is its id, title and body, each a
//! LEB128 byte length followed by UTF-8.
//!
//! STORE_INDEX holds one 16-byte entry per block plus a sentinel:
//! `first_doc: u32, raw_len: u32, data_offset: u64` (little-endian). Block
//! `b` holds documents `first_doc[b] .. first_doc[b+1]`, its compressed
//! bytes are STORE_DATA `data_offset[b] .. data_offset[b+1]`. The sentinel
//! has `first_doc = doc_count`, `raw_len = 0` and the length of STORE_DATA.

use byteorder::{ByteOrder, LittleEndian};

use crate::format::{read_vint, write_vint};
use crate::pages::PageGuard;

/// Raw bytes gathered before a block is compressed.
pub const STORE_BLOCK_BYTES: usize = 16 * 1024;
/// The largest document (id, title and body together) a store can hold:
/// a raw block, with the smaller documents before it, must fit a `u32`.
pub const MAX_DOCUMENT_BYTES: usize = u32::MAX as usize - 2 * STORE_BLOCK_BYTES;
/// Bytes per STORE_INDEX entry.
pub const STORE_ENTRY_LEN: usize = 16;
/// LZ4 cannot expand data more than 255-fold; a larger claim is damage.
const MAX_LZ4_RATIO: usize = 255;

/// Bytes a document takes in a raw block: its id, title and body, each
/// a LEB128 length and the text.
pub fn record_len(id: &str, title: &str, body: &str) -> usize {
    [id, title, body]
        .iter()
        .map(|s| vint_len(s.len()) + s.len())
        .sum()
}

/// The rule a [`StoreWriter`] closes its blocks by, which [`BlockCut`]
/// and [`StoreBlock::as_written`] must agree with: a block of `raw`
/// bytes is closed once `raw` reaches [`STORE_BLOCK_BYTES`].
fn closes_block(raw: usize) -> bool {
    raw >= STORE_BLOCK_BYTES
}

/// Bytes of `n` as LEB128.
fn vint_len(n: usize) -> usize {
    (usize::BITS - (n | 1).leading_zeros()).div_ceil(7) as usize
}

/// Where a [`StoreWriter`] closes its blocks, for a reader that cuts a
/// run of documents into parts (a build's chunks): a part that ends where
/// [`BlockCut::add`] says a block closes holds whole blocks of the store
/// of the whole run, so a merge of the parts copies their compressed
/// blocks as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockCut {
    raw: usize,
}

impl BlockCut {
    /// The next document, of [`record_len`] `len`: whether its block
    /// closes after it.
    pub fn add(&mut self, len: usize) -> bool {
        self.raw = self.raw.saturating_add(len);
        let closes = closes_block(self.raw);
        if closes {
            self.raw = 0;
        }
        closes
    }
}

/// One compressed block of a store, as [`StoreReader::for_each_block_in`]
/// found it.
#[derive(Clone, Copy, Debug)]
pub struct StoreBlock<'a> {
    /// Its first document.
    pub first: u32,
    /// Its documents.
    pub count: u32,
    raw_len: u32,
    /// The raw length of all its documents but the last.
    head_len: u32,
    /// Whether every length in it is the shortest LEB128, as
    /// [`StoreWriter`] writes them.
    shortest: bool,
    compressed: &'a [u8],
}

impl StoreBlock<'_> {
    /// Whether a [`StoreWriter`] given this block's documents from the
    /// start of a block writes this block: its lengths are the shortest
    /// LEB128s, none of its documents before the last reaches
    /// [`STORE_BLOCK_BYTES`], and the last does, or (`ends_store`) the
    /// store ends with it.
    ///
    /// The compressed bytes are then those the writer makes, as long as
    /// the same LZ4 encoder made them: a block of another encoder (a
    /// crafted file) is copied as a valid block that decodes to the same
    /// documents, not as this writer's bytes. The encoder's output is
    /// pinned by a test (`the_lz4_encoder_is_pinned`); a dependency update
    /// that changes it changes what builds write, so it comes with a new
    /// format version, and indexes of the old encoder are rebuilt, never
    /// merged into new ones.
    pub fn as_written(&self, ends_store: bool) -> bool {
        self.shortest
            && !closes_block(self.head_len as usize)
            && (ends_store || closes_block(self.raw_len as usize))
    }
}

/// A document as stored.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StoredDocument {
    /// The external id given at indexing time.
    pub id: String,
    /// The title (may be empty).
    pub title: String,
    /// The body.
    pub body: String,
}

/// Encodes stored documents. Add them in document-id order.
#[derive(Default)]
pub struct StoreWriter {
    index: Vec<u8>,
    data: Vec<u8>,
    /// Bytes of data already handed to [`StoreWriter::drain_data`].
    drained: u64,
    block: Vec<u8>,
    block_first_doc: u32,
    doc_count: u32,
}

impl StoreWriter {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn push_entry(&mut self, first_doc: u32, raw_len: u32) {
        let mut e = [0u8; STORE_ENTRY_LEN];
        LittleEndian::write_u32(&mut e[0..4], first_doc);
        LittleEndian::write_u32(&mut e[4..8], raw_len);
        LittleEndian::write_u64(&mut e[8..16], self.drained + self.data.len() as u64);
        self.index.extend_from_slice(&e);
    }

    fn flush_block(&mut self) {
        if self.block.is_empty() {
            return;
        }
        self.push_entry(self.block_first_doc, self.block.len() as u32);
        self.data
            .extend_from_slice(&lz4_flex::block::compress(&self.block));
        self.block.clear();
        self.block_first_doc = self.doc_count;
    }

    /// Appends the next document.
    ///
    /// # Panics
    /// If the document is over [`MAX_DOCUMENT_BYTES`], which the format
    /// cannot hold (the indexer checks before it calls this).
    pub fn add(&mut self, id: &str, title: &str, body: &str) {
        for s in [id, title, body] {
            write_vint(&mut self.block, s.len() as u64);
            self.block.extend_from_slice(s.as_bytes());
        }
        assert!(
            u32::try_from(self.block.len()).is_ok(),
            "a stored document must be under 4 GiB"
        );
        self.doc_count += 1;
        if closes_block(self.block.len()) {
            self.flush_block();
        }
    }

    /// Whether the next document starts a block.
    pub fn at_block_start(&self) -> bool {
        self.block.is_empty()
    }

    /// Appends the documents of `block`, of another store, as its
    /// compressed bytes, without compressing them again: what
    /// [`StoreWriter::add`] of each of them writes when the writer is
    /// [at a block start](StoreWriter::at_block_start) and the block is
    /// [as written](StoreBlock::as_written).
    ///
    /// # Panics
    /// If the writer is not at a block start.
    pub fn add_block(&mut self, block: &StoreBlock<'_>) {
        assert!(self.at_block_start(), "a copied block starts a block");
        self.push_entry(self.doc_count, block.raw_len);
        self.data.extend_from_slice(block.compressed);
        self.doc_count += block.count;
        self.block_first_doc = self.doc_count;
    }

    /// Appends the documents of `other`, a writer given the documents
    /// that follow this one's: its compressed blocks are moved, not
    /// compressed again, and its open block is continued here. The result
    /// is what one writer given all the documents writes.
    ///
    /// # Panics
    /// If this writer is not at a block start (the documents before
    /// `other`'s did not close a block: its blocks would then be cut
    /// elsewhere), or if `other` drained data.
    pub fn append(&mut self, mut other: StoreWriter) {
        assert!(self.at_block_start(), "an appended store starts a block");
        assert_eq!(other.drained, 0, "an appended store holds all its data");
        if self.doc_count == 0 && self.drained == 0 {
            // Nothing to move it after: taken whole, not copied.
            *self = other;
            return;
        }
        let docs = self.doc_count;
        let data = self.drained + self.data.len() as u64;
        for e in other.index.chunks_exact_mut(STORE_ENTRY_LEN) {
            let first = LittleEndian::read_u32(&e[0..4]);
            LittleEndian::write_u32(&mut e[0..4], first + docs);
            let at = LittleEndian::read_u64(&e[8..16]);
            LittleEndian::write_u64(&mut e[8..16], at + data);
        }
        self.index.append(&mut other.index);
        self.data.append(&mut other.data);
        self.block = other.block;
        self.block_first_doc = other.block_first_doc + docs;
        self.doc_count += other.doc_count;
    }

    /// Writes the compressed blocks finished so far to `out` and forgets
    /// them, so a large store need not stay in memory: the STORE_DATA
    /// section is then what was drained followed by what
    /// [`StoreWriter::finish`] returns.
    ///
    /// # Errors
    /// Any error of `out`.
    pub fn drain_data(&mut self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(&self.data)?;
        self.drained += self.data.len() as u64;
        self.data.clear();
        Ok(())
    }

    /// Bytes of compressed blocks held (not yet drained).
    pub fn held_bytes(&self) -> usize {
        self.data.len()
    }

    /// The STORE_INDEX section bytes and the rest of STORE_DATA (all of
    /// it unless [`StoreWriter::drain_data`] was called).
    pub fn finish(mut self) -> (Vec<u8>, Vec<u8>) {
        self.flush_block();
        self.push_entry(self.doc_count, 0);
        (self.index, self.data)
    }
}

/// Reads stored documents.
#[derive(Clone, Copy)]
pub struct StoreReader<'a> {
    index: &'a [u8],
    data: &'a [u8],
    doc_count: u32,
    /// Checks of the index's pages, if read from an index file.
    guard: Option<PageGuard<'a>>,
}

impl<'a> StoreReader<'a> {
    /// A reader; `None` unless the index is whole entries ending in a
    /// sentinel for `doc_count` documents that points at the end of the data.
    pub fn new(index: &'a [u8], data: &'a [u8], doc_count: u32) -> Option<Self> {
        Self::with_guard(index, data, doc_count, None)
    }

    /// [`StoreReader::new`] over a store index whose pages `guard` checks,
    /// each before an entry on it is first read; `None` also when the
    /// sentinel's page is damaged. (The data's pages are the caller's to
    /// check: it reads a block's bytes through [`StoreReader::block_span`].)
    pub(crate) fn checked(
        index: &'a [u8],
        data: &'a [u8],
        doc_count: u32,
        guard: PageGuard<'a>,
    ) -> Option<Self> {
        Self::with_guard(index, data, doc_count, Some(guard))
    }

    fn with_guard(
        index: &'a [u8],
        data: &'a [u8],
        doc_count: u32,
        guard: Option<PageGuard<'a>>,
    ) -> Option<Self> {
        if index.len() < STORE_ENTRY_LEN || index.len() % STORE_ENTRY_LEN != 0 {
            return None;
        }
        let r = StoreReader {
            index,
            data,
            doc_count,
            guard,
        };
        let (first, _, offset) = r.entry(r.block_count())?;
        (first == doc_count && offset == data.len() as u64).then_some(r)
    }

    /// Number of compressed blocks.
    pub fn block_count(&self) -> usize {
        self.index.len() / STORE_ENTRY_LEN - 1
    }

    /// Entry `b` of the index; `None` past its end or on a damaged page.
    fn entry(&self, b: usize) -> Option<(u32, u32, u64)> {
        let (start, end) = (b * STORE_ENTRY_LEN, (b + 1) * STORE_ENTRY_LEN);
        let e = self.index.get(start..end)?;
        if self.guard.is_some_and(|g| !g.check(start, end)) {
            return None;
        }
        Some((
            LittleEndian::read_u32(&e[0..4]),
            LittleEndian::read_u32(&e[4..8]),
            LittleEndian::read_u64(&e[8..16]),
        ))
    }

    /// Decompresses block `b`: its first document id, the number of its
    /// documents, and its raw bytes.
    pub fn block(&self, b: usize) -> Result<(u32, u32, Vec<u8>), String> {
        let bad = || format!("stored block {b} is malformed");
        let (first, raw_len, start) = self.entry(b).ok_or_else(bad)?;
        let (next, _, end) = self.entry(b + 1).ok_or_else(bad)?;
        let compressed = usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, e)| self.data.get(s..e))
            .ok_or_else(bad)?;
        let raw_len = raw_len as usize;
        if next <= first || raw_len > compressed.len().saturating_mul(MAX_LZ4_RATIO) {
            return Err(bad());
        }
        let mut raw = vec![0u8; raw_len];
        match lz4_flex::block::decompress_into(compressed, &mut raw) {
            Ok(n) if n == raw_len => Ok((first, next - first, raw)),
            _ => Err(bad()),
        }
    }

    /// Where in STORE_DATA the compressed block holding `doc` lies.
    pub fn block_span(&self, doc: u32) -> Option<(usize, usize)> {
        let b = self.block_of(doc);
        let (_, _, start) = self.entry(b)?;
        let (_, _, end) = self.entry(b + 1)?;
        let (start, end) = (usize::try_from(start).ok()?, usize::try_from(end).ok()?);
        (start <= end && end <= self.data.len()).then_some((start, end))
    }

    /// The block holding `doc`.
    fn block_of(&self, doc: u32) -> usize {
        // First block whose successor starts after `doc`.
        let (mut lo, mut hi) = (0, self.block_count());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.entry(mid + 1) {
                Some((next_first, _, _)) if next_first <= doc => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    /// Document `doc`; `Err` says what is malformed.
    pub fn get(&self, doc: u32) -> Result<StoredDocument, String> {
        if doc >= self.doc_count {
            return Err(format!("no stored document {doc}"));
        }
        let (first, count, raw) = self.block(self.block_of(doc))?;
        if doc < first || doc - first >= count {
            return Err(format!(
                "stored document {doc} is not where the store index says"
            ));
        }
        let mut at = 0;
        for _ in first..doc {
            for _ in 0..3 {
                read_str(&raw, &mut at)
                    .ok_or_else(|| format!("stored document {doc} is cut short"))?;
            }
        }
        let mut field =
            || read_str(&raw, &mut at).ok_or_else(|| format!("stored document {doc} is cut short"));
        let (id, title, body) = (field()?, field()?, field()?);
        let utf8 = |b: &[u8]| {
            String::from_utf8(b.to_vec()).map_err(|_| format!("stored document {doc} is not UTF-8"))
        };
        Ok(StoredDocument {
            id: utf8(id)?,
            title: utf8(title)?,
            body: utf8(body)?,
        })
    }

    /// Calls `f` with every stored document's id, title and body, in
    /// order, decompressing each block once.
    pub fn for_each(&self, f: impl FnMut(&str, &str, &str)) -> Result<(), String> {
        self.for_each_in(0..self.doc_count, f)
    }

    /// Calls `f` with the id, title and body of documents `docs`, in
    /// order, decompressing each block they lie in once.
    pub fn for_each_in(
        &self,
        docs: std::ops::Range<u32>,
        mut f: impl FnMut(&str, &str, &str),
    ) -> Result<(), String> {
        self.for_each_block_in(docs.clone(), |block, all| {
            for (doc, &(id, title, body)) in (block.first..).zip(all) {
                if docs.contains(&doc) {
                    f(id, title, body);
                }
            }
        })
    }

    /// Calls `f` with each block that holds any of documents `docs`, in
    /// order, and the id, title and body of every document of the block
    /// (each block decompressed once, all its documents checked).
    pub fn for_each_block_in(
        &self,
        docs: std::ops::Range<u32>,
        mut f: impl FnMut(&StoreBlock<'_>, &[(&str, &str, &str)]),
    ) -> Result<(), String> {
        if docs.is_empty() {
            return Ok(());
        }
        if docs.end > self.doc_count {
            return Err(format!("no stored document {}", docs.end - 1));
        }
        for b in self.block_of(docs.start)..self.block_count() {
            let (first, count, raw) = self.block(b)?;
            if first >= docs.end {
                break;
            }
            let mut all = Vec::with_capacity(count as usize);
            let mut at = 0;
            let mut head_len = 0;
            for doc in first..first + count {
                head_len = at;
                let mut field = || {
                    let s = read_str(&raw, &mut at)
                        .ok_or_else(|| format!("stored document {doc} is cut short"))?;
                    std::str::from_utf8(s)
                        .map_err(|_| format!("stored document {doc} is not UTF-8"))
                };
                all.push((field()?, field()?, field()?));
            }
            if at != raw.len() {
                return Err(format!("stored block {b} has trailing bytes"));
            }
            let shortest = all
                .iter()
                .map(|(i, t, b)| record_len(i, t, b))
                .sum::<usize>()
                == at;
            let (_, raw_len, start) = self.entry(b).ok_or("stored block vanished")?;
            let (_, _, end) = self.entry(b + 1).ok_or("stored block vanished")?;
            let block = StoreBlock {
                first,
                count,
                raw_len,
                head_len: head_len as u32,
                shortest,
                // `block` read these bounds.
                compressed: &self.data[start as usize..end as usize],
            };
            f(&block, &all);
        }
        Ok(())
    }

    /// Decodes every block and document: the number of documents found.
    pub fn check_all(&self) -> Result<u32, String> {
        let mut docs = 0u32;
        for b in 0..self.block_count() {
            let (first, count, raw) = self.block(b)?;
            if first != docs {
                return Err(format!(
                    "stored block {b} starts at document {first}, expected {docs}"
                ));
            }
            let mut at = 0;
            for _ in 0..count * 3 {
                let s = read_str(&raw, &mut at)
                    .ok_or_else(|| format!("stored block {b} is cut short"))?;
                std::str::from_utf8(s)
                    .map_err(|_| format!("stored block {b} holds invalid UTF-8"))?;
            }
            if at != raw.len() {
                return Err(format!("stored block {b} has trailing bytes"));
            }
            docs += count;
        }
        if docs != self.doc_count {
            return Err(format!(
                "the store holds {docs} documents, expected {}",
                self.doc_count
            ));
        }
        Ok(docs)
    }
}

/// A LEB128 length and that many bytes.
fn read_str<'b>(raw: &'b [u8], at: &mut usize) -> Option<&'b [u8]> {
    let len = usize::try_from(read_vint(raw, at)?).ok()?;
    let s = raw.get(*at..at.checked_add(len)?)?;
    *at += len;
    Some(s)
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
