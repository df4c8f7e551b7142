//! Builds an index in memory: inverts documents into postings, then
//! serializes every section.

/// The builder's maps: keys are tokens of the input, hashed with a seed
/// chosen per process (so crafted collisions do not carry from one run to
/// the next) by a hash fast on short keys. Iteration order never reaches
/// the output: keys are sorted before they are written.
use quarry::analysis::{for_each_raw_token, lowercase, Analyzer};
use quarry::format::SectionKind;
use quarry::postings::TermEncoder;
use quarry::schema::Field;
use quarry::sources::{FileStamp, Sources};
use quarry::store::StoreWriter;
use quarry::DocId;

use crate::error::IndexError;
use crate::forms::Forms;
use crate::streams::{Stream, StreamPool};

/// One term of one field while its chunk is inverted: its postings so
/// far, as two streams in the field's pool (see [`crate::streams`]).
///
/// The documents stream holds, per document, the gap from the previous
/// document (the first: the document itself) and then, once the next
/// document starts, the frequency; the last document's frequency is
/// `freq`. The positions stream holds each document's positions as gaps,
/// the first from 0.
pub(crate) struct TermState {
    docs: Stream,
    positions: Stream,
    /// The last document that held the term (`DocId::MAX` before the first).
    last_doc: DocId,
    /// Occurrences in `last_doc` so far.
    freq: u32,
    /// The last position in `last_doc`.
    last_position: u32,
    pub(crate) doc_freq: u32,
}

impl TermState {
    fn new(pool: &mut StreamPool) -> TermState {
        TermState {
            docs: pool.stream(),
            positions: pool.stream(),
            last_doc: DocId::MAX,
            freq: 0,
            last_position: 0,
            doc_freq: 0,
        }
    }

    /// Records one occurrence at `position` in `doc`.
    #[inline]
    fn occurs(&mut self, pool: &mut StreamPool, doc: DocId, position: u32) {
        if self.last_doc != doc {
            if self.doc_freq == 0 {
                pool.push_vint(&mut self.docs, doc);
            } else {
                pool.push_vint(&mut self.docs, self.freq);
                pool.push_vint(&mut self.docs, doc - self.last_doc);
            }
            self.last_doc = doc;
            self.freq = 0;
            self.last_position = 0;
            self.doc_freq += 1;
        }
        pool.push_vint(&mut self.positions, position - self.last_position);
        self.last_position = position;
        self.freq += 1;
    }

    /// Pushes the term's documents to `encoder`, as documents `base` on
    /// (their field `lengths` are by document of this builder);
    /// `positions` is scratch space. The caller finishes the term: a term
    /// of several builders is pushed from each of them in turn. Positions
    /// are kept as gaps from 0 in each document, as they are written, so
    /// their bytes are copied, not decoded.
    pub(crate) fn push_to(
        &self,
        pool: &StreamPool,
        lengths: &[u32],
        base: DocId,
        encoder: &mut TermEncoder,
        positions: &mut Vec<u8>,
        positions_out: &mut Vec<u8>,
    ) {
        let mut docs = pool.reader(&self.docs);
        let mut gaps = pool.reader(&self.positions);
        let broken = "a term's streams hold what was written to them";
        let mut doc = 0u32;
        for i in 0..self.doc_freq {
            doc += docs.next_vint().expect(broken);
            let freq = if i + 1 == self.doc_freq {
                self.freq
            } else {
                docs.next_vint().expect(broken)
            };
            positions.clear();
            assert!(gaps.copy_vints(freq, positions), "{broken}");
            encoder
                .push_encoded(
                    base + doc,
                    freq,
                    positions,
                    lengths[doc as usize],
                    positions_out,
                )
                .expect("writes to memory cannot fail");
        }
    }
}

/// Document frequencies of surface forms (lowercased, unstemmed tokens),
/// over all fields: the SURFACE section.
#[derive(Default)]
pub(crate) struct Surfaces {
    /// Surface form → surface id (and 0).
    pub(crate) ids: Forms,
    /// By surface id: the last document that held the form, and how many did.
    pub(crate) counts: Vec<(DocId, u32)>,
    /// Surface ids in the byte order of their forms, once sealed (see
    /// [`IndexBuilder::seal`]).
    pub(crate) sorted: Vec<u32>,
}

impl Surfaces {
    /// The id of the surface form of `raw`, created on first sight.
    fn id(&mut self, raw: &str) -> u32 {
        let lower = lowercase(raw);
        if let Some((id, _)) = self.ids.get(&lower) {
            return id;
        }
        let id = self.counts.len() as u32;
        self.ids.insert(&lower, (id, 0));
        // No document has the id `DocId::MAX`: the first occurrence counts.
        self.counts.push((DocId::MAX, 0));
        id
    }

    /// Counts document `doc` for surface form `id` (once per document).
    #[inline]
    fn occurs(&mut self, id: u32, doc: DocId) {
        let c = &mut self.counts[id as usize];
        if c.0 != doc {
            *c = (doc, c.1 + 1);
        }
    }

    /// Bytes held (see [`IndexBuilder::held_bytes`]).
    fn held_bytes(&self) -> usize {
        self.ids.held_bytes() + self.counts.capacity() * 8
    }
}

/// Tokens between the prefetch of a token's form slot and its inversion
/// (see [`FieldIndex::add`]).
const AHEAD: usize = 16;

/// A token on its way through [`FieldIndex::add`].
#[derive(Clone, Copy, Default)]
struct Pending<'t> {
    raw: &'t str,
    position: u32,
    hash: u64,
    /// Its ids, when its form was known halfway.
    ids: Option<(u32, u32)>,
}

/// The inverted index of one field.
#[derive(Default)]
pub(crate) struct FieldIndex {
    /// Term → term id (and 0).
    pub(crate) ids: Forms,
    /// Raw token form (before lowercasing and stemming) → term id and
    /// surface id, so each distinct form is lowercased and stemmed once
    /// rather than at every occurrence.
    forms: Forms,
    /// By term id.
    pub(crate) terms: Vec<TermState>,
    pub(crate) pool: StreamPool,
    pub(crate) lengths: Vec<u32>,
    pub(crate) total_tokens: u64,
    /// Term ids in the byte order of their terms, once sealed (see
    /// [`IndexBuilder::seal`]).
    pub(crate) sorted: Vec<u32>,
}

impl FieldIndex {
    /// Inverts one field of document `doc`: each token is appended to
    /// its term's streams in the order read (positions come in increasing
    /// order, so nothing needs sorting).
    ///
    /// Tokens pass through a ring of [`AHEAD`] places, so that what each
    /// will touch is fetched while the ones before it are inverted (see
    /// [`crate::prefetch`]): its form's slot as it enters; halfway, its
    /// ids are read and its term and surface states fetched; three
    /// quarters of the way, the tails of its streams it will write to. It
    /// is inverted as it leaves.
    fn add(&mut self, analyzer: &Analyzer, surfaces: &mut Surfaces, doc: DocId, text: &str) {
        let mut ring: [Pending<'_>; AHEAD] = [Pending::default(); AHEAD];
        let mut n = 0usize;
        for_each_raw_token(text, |raw, position, _| {
            let hash = self.forms.hash_and_prefetch(raw);
            if n >= AHEAD / 2 {
                let mid = &mut ring[(n - AHEAD / 2) % AHEAD];
                mid.ids = self.forms.get_hashed(mid.raw, mid.hash);
                if let Some((id, surface)) = mid.ids {
                    if let Some(t) = self.terms.get(id as usize) {
                        crate::prefetch::prefetch(t);
                    }
                    if let Some(c) = surfaces.counts.get(surface as usize) {
                        crate::prefetch::prefetch(c);
                    }
                }
            }
            if n >= AHEAD * 3 / 4 {
                let late = &ring[(n - AHEAD * 3 / 4) % AHEAD];
                if let Some(t) = late.ids.and_then(|(id, _)| self.terms.get(id as usize)) {
                    self.pool.prefetch_tail(&t.positions);
                    if t.last_doc != doc {
                        self.pool.prefetch_tail(&t.docs);
                    }
                }
            }
            let slot = n % AHEAD;
            if n >= AHEAD {
                let p = ring[slot];
                self.token(analyzer, surfaces, doc, p);
            }
            ring[slot] = Pending {
                raw,
                position,
                hash,
                ids: None,
            };
            n += 1;
        });
        for k in n.saturating_sub(AHEAD)..n {
            let p = ring[k % AHEAD];
            self.token(analyzer, surfaces, doc, p);
        }
        let length = u32::try_from(n).expect("a document's size is limited far below 2^32 tokens");
        self.lengths.push(length);
        self.total_tokens += u64::from(length);
    }

    /// Inverts one token of document `doc`.
    #[inline]
    fn token(&mut self, analyzer: &Analyzer, surfaces: &mut Surfaces, doc: DocId, p: Pending<'_>) {
        let Pending {
            raw,
            position,
            hash,
            ids,
        } = p;
        let (id, surface) = match ids.or_else(|| self.forms.get_hashed(raw, hash)) {
            Some(ids) => ids,
            None => {
                let term = analyzer.normalize(raw);
                let id = match self.ids.get(&term) {
                    Some((id, _)) => id,
                    None => {
                        let id = self.terms.len() as u32;
                        self.ids.insert(&term, (id, 0));
                        self.terms.push(TermState::new(&mut self.pool));
                        id
                    }
                };
                let ids = (id, surfaces.id(raw));
                self.forms.insert(raw, ids);
                ids
            }
        };
        surfaces.occurs(surface, doc);
        self.terms[id as usize].occurs(&mut self.pool, doc, position);
    }

    /// Bytes held (see [`IndexBuilder::held_bytes`]).
    fn held_bytes(&self) -> usize {
        self.ids.held_bytes()
            + self.forms.held_bytes()
            + self.terms.capacity() * std::mem::size_of::<TermState>()
            + self.pool.bytes()
            + self.lengths.capacity() * 4
    }
}

/// Accumulates documents and produces the sections of an index.
///
/// Documents get internal ids 0, 1, 2, … in the order they are added. The
/// same documents in the same order always give the same bytes.
pub struct IndexBuilder {
    pub(crate) analyzer: Analyzer,
    pub(crate) fields: [FieldIndex; 2],
    pub(crate) surfaces: Surfaces,
    pub(crate) store: StoreWriter,
    pub(crate) sources: Sources,
    pub(crate) doc_count: u32,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self::new(Analyzer::default())
    }
}

impl IndexBuilder {
    /// A builder that analyzes with `analyzer`.
    pub fn new(analyzer: Analyzer) -> IndexBuilder {
        IndexBuilder {
            analyzer,
            fields: Default::default(),
            surfaces: Surfaces::default(),
            store: StoreWriter::new(),
            sources: Sources::new(),
            doc_count: 0,
        }
    }

    /// Number of documents added so far.
    pub fn doc_count(&self) -> u32 {
        self.doc_count
    }

    /// About how many bytes of memory the builder holds: its streams,
    /// tables and stored blocks. Text of many distinct words takes many
    /// times more than its size (a table entry, a term and two streams per
    /// word), so a build cuts its chunks by this as well as by text.
    pub fn held_bytes(&self) -> usize {
        self.fields
            .iter()
            .map(FieldIndex::held_bytes)
            .sum::<usize>()
            + self.surfaces.held_bytes()
            + self.store.held_bytes()
    }

    /// Adds a document that came from no file; returns its internal id.
    ///
    /// # Errors
    /// [`IndexError::TooManyDocuments`] past `u32::MAX - 1` documents.
    pub fn add(&mut self, id: &str, title: &str, body: &str) -> Result<DocId, IndexError> {
        self.add_from(None, id, title, body)
    }

    /// Adds a document read from `file` (as it was when read: see
    /// [`quarry::sources`]); returns its internal id. An update carries
    /// the documents of files that did not change.
    ///
    /// # Errors
    /// As [`IndexBuilder::add`].
    pub fn add_from(
        &mut self,
        file: Option<&FileStamp>,
        id: &str,
        title: &str,
        body: &str,
    ) -> Result<DocId, IndexError> {
        let doc = self.doc_count;
        if doc == u32::MAX - 1 {
            return Err(IndexError::TooManyDocuments);
        }
        if id.len() + title.len() + body.len() > quarry::store::MAX_DOCUMENT_BYTES {
            return Err(IndexError::DocumentTooLarge { id: id.to_string() });
        }
        for (field, text) in Field::ALL.iter().zip([title, body]) {
            self.fields[*field as usize].add(&self.analyzer, &mut self.surfaces, doc, text);
        }
        self.store.add(id, title, body);
        self.sources.push(file, 1);
        self.doc_count += 1;
        Ok(doc)
    }

    /// Sorts the terms and surface forms as they are written, on the
    /// calling thread: a parallel build's workers seal their builders
    /// before they are combined, so that the combining thread only merges
    /// the sorted lists. It also drops the raw forms' table, a cache of
    /// the inversion, to hold less. Documents added afterwards that bring
    /// new terms or forms undo it (the combine then sorts again).
    pub(crate) fn seal(&mut self) {
        for f in &mut self.fields {
            // Raw forms are a cache of the inversion, no longer needed.
            f.forms = Forms::default();
            f.sorted = crate::combine::sorted_ids(&f.ids);
        }
        self.surfaces.sorted = crate::combine::sorted_ids(&self.surfaces.ids);
    }

    /// Serializes every section, in file order.
    pub fn finish(self) -> Vec<(SectionKind, Vec<u8>)> {
        crate::combine::finish(vec![self], 1)
    }

    /// The whole index file as bytes.
    pub fn to_bytes(self) -> Vec<u8> {
        let sections = self.finish();
        let refs: Vec<(SectionKind, &[u8])> =
            sections.iter().map(|(k, b)| (*k, b.as_slice())).collect();
        quarry::format::assemble(&refs)
    }
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
