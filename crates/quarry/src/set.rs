//! Several indexes searched as one, with exact global statistics.
//!
//! An [`IndexSet`] scores every member with the set's statistics, not the
//! member's own: the number of documents, each term's document frequency
//! per field and each field's total length are summed over the members,
//! and prefix and fuzzy patterns are expanded once over the members'
//! surface forms together (their frequencies summed). Each member then
//! runs the query as usual and the members' top documents are merged by
//! score, then by document. Documents are numbered one member after
//! another, so scores, ranks and ids are those of the index
//! [`crate::merge::merge`] makes of the same members, bit for bit. A set
//! of one index is that index.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::analysis::Analyzer;
use crate::error::{Error, Result};
use crate::eval::explain::Explanation;
use crate::index::{DocId, Index};
use crate::limits::{within, Limit};
use crate::merge::Combined;
use crate::query::{ExpansionKind, ExpansionQuery, Query};
use crate::schema::Field;
use crate::search::{Expansion, Ranked, SearchOptions, SearchResults};
use crate::store::StoredDocument;
use crate::surface::MostFrequent;

/// Indexes searched as one (see the module documentation).
pub struct IndexSet {
    members: Vec<Index>,
    /// The first document id of each member.
    bases: Vec<DocId>,
    doc_count: u32,
    total_tokens: [u64; 2],
}

impl IndexSet {
    /// The set of `members`, in this order.
    ///
    /// # Errors
    /// [`Error::Incompatible`] when there are none, when they were built
    /// for different languages, or hold more documents than one index can.
    pub fn new(members: Vec<Index>) -> Result<IndexSet> {
        if members.is_empty() {
            return Err(Error::Incompatible {
                path: std::path::PathBuf::from("(none)"),
                detail: "an index set needs at least one index".into(),
            });
        }
        let Combined {
            bases,
            doc_count,
            total_tokens,
            ..
        } = Combined::of(members.iter())?;
        Ok(IndexSet {
            members,
            bases,
            doc_count,
            total_tokens,
        })
    }

    /// Opens the index files at `paths` as one set.
    ///
    /// # Errors
    /// What [`Index::open`] and [`IndexSet::new`] return.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<IndexSet> {
        let members = paths.iter().map(Index::open).collect::<Result<Vec<_>>>()?;
        IndexSet::new(members)
    }

    /// The members, in order.
    pub fn members(&self) -> &[Index] {
        &self.members
    }

    /// Documents in all members.
    pub fn doc_count(&self) -> u32 {
        self.doc_count
    }

    /// The analyzer every member shares.
    pub fn analyzer(&self) -> &Analyzer {
        self.members[0].analyzer()
    }

    /// Average length of `field` over all members' documents.
    pub fn avg_field_len(&self, field: Field) -> f64 {
        if self.doc_count == 0 {
            0.0
        } else {
            self.total_tokens[field as usize] as f64 / f64::from(self.doc_count)
        }
    }

    /// Parses `text` as the members analyze it, with `operator` between
    /// words no operator joins.
    ///
    /// # Errors
    /// [`Error::QuerySyntax`] for malformed query text.
    pub fn parse_query(&self, text: &str, operator: crate::Operator) -> Result<Query> {
        self.members[0].parse_query(text, operator)
    }

    /// Parses `text` with the operator and literal mode of `options`.
    ///
    /// # Errors
    /// [`Error::QuerySyntax`] for malformed query text.
    pub fn parse_query_with(&self, text: &str, options: &SearchOptions) -> Result<Query> {
        self.members[0].parse_query_with(text, options)
    }

    /// The member holding set document `doc`, and its id there.
    fn locate(&self, doc: DocId) -> Option<(&Index, DocId)> {
        let i = self.bases.partition_point(|&b| b <= doc).checked_sub(1)?;
        let local = doc - self.bases[i];
        (local < self.members[i].doc_count()).then(|| (&self.members[i], local))
    }

    /// Stored document `doc` (set numbering).
    ///
    /// # Errors
    /// [`Error::NoSuchDocument`] past the end; [`Error::Corrupt`].
    pub fn document(&self, doc: DocId) -> Result<StoredDocument> {
        match self.locate(doc) {
            Some((m, local)) => m.document(local),
            None => Err(Error::NoSuchDocument {
                doc,
                doc_count: self.doc_count,
            }),
        }
    }

    /// The top documents (set numbering) and scores of `query`, ranks
    /// `offset + 1` to `offset + limit`, with what each expansion matched.
    ///
    /// # Errors
    /// As [`Index::top_doc_ids`].
    pub fn top_doc_ids_with_expansions(
        &self,
        query: &Query,
        options: &SearchOptions,
    ) -> Result<(Ranked, Vec<Expansion>)> {
        if let [one] = self.members.as_slice() {
            return one.top_doc_ids_with_expansions(query, options);
        }
        let globals = self.globals(query, options)?;
        // Every member gives its best offset + limit; the set's page is
        // taken from them all.
        let each = SearchOptions {
            offset: 0,
            limit: options.limit.saturating_add(options.offset),
            ..*options
        };
        let mut all: Ranked = Vec::new();
        for (m, &base) in self.members.iter().zip(&self.bases) {
            let (hits, _) = m.run_in(query, &each, Some(&globals))?;
            all.extend(hits.into_iter().map(|(d, s)| (base + d, s)));
        }
        // The set's expansions (a member whose plan stops early, for want
        // of a required word, expands nothing).
        let expansions = globals.into_expansions();
        if options.limit == 0 {
            all.clear();
        }
        // Best first: higher score, then the earlier document.
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let page = all
            .into_iter()
            .skip(options.offset)
            .take(options.limit)
            .collect();
        Ok((page, expansions))
    }

    /// [`IndexSet::top_doc_ids_with_expansions`] without the expansions.
    ///
    /// # Errors
    /// As [`Index::top_doc_ids`].
    pub fn top_doc_ids(&self, query: &Query, options: &SearchOptions) -> Result<Ranked> {
        Ok(self.top_doc_ids_with_expansions(query, options)?.0)
    }

    /// Parses `text` and returns the top hits (set numbering), as
    /// [`Index::search`] does, with [`IndexSet::did_you_mean`]'s suggestion.
    ///
    /// # Errors
    /// As [`Index::search`].
    pub fn search(&self, text: &str, options: &SearchOptions) -> Result<SearchResults> {
        let query = self.parse_query_with(text, options)?;
        let (top, expansions) = self.top_doc_ids_with_expansions(&query, options)?;
        SearchResults::gather(
            query,
            top,
            expansions,
            options.limit,
            |doc| self.document(doc),
            || self.did_you_mean(text, options),
        )
    }

    /// The number of documents matching `query` in all members, and what
    /// each expansion matched.
    ///
    /// # Errors
    /// As [`Index::count_with`].
    pub fn count_with(
        &self,
        query: &Query,
        options: &SearchOptions,
    ) -> Result<(u64, Vec<Expansion>)> {
        let globals = self.globals(query, options)?;
        let mut n = 0;
        for m in &self.members {
            n += m.count_in(query, options, Some(&globals))?.0;
        }
        Ok((n, globals.into_expansions()))
    }

    /// How set document `doc`'s score for `query` is made (see
    /// [`Index::explain`]), with the set's statistics.
    ///
    /// # Errors
    /// As [`Index::explain`].
    pub fn explain(
        &self,
        query: &Query,
        doc: DocId,
        options: &SearchOptions,
    ) -> Result<Option<Explanation>> {
        let Some((m, local)) = self.locate(doc) else {
            return Ok(None);
        };
        if self.members.len() == 1 {
            return m.explain(query, local, options);
        }
        let globals = self.globals(query, options)?;
        m.explain_in(query, local, options, Some(&globals))
    }

    /// The statistics and expansions of `query` over the whole set.
    fn globals(&self, query: &Query, options: &SearchOptions) -> Result<Globals<'_>> {
        options.limits.check(query)?;
        let mut patterns = Vec::new();
        collect_expansions(query, &mut patterns);
        let mut expansions: Vec<(ExpansionKind, String, Expansion)> = Vec::new();
        for e in patterns {
            if expansions
                .iter()
                .any(|(k, p, _)| *k == e.kind && *p == e.pattern)
            {
                continue;
            }
            let x = self.expand(e, options.max_expansions)?;
            expansions.push((e.kind, e.pattern.clone(), x));
            let terms = expansions.iter().map(|(_, _, x)| x.terms.len()).sum();
            within(
                Limit::ExpansionTerms,
                terms,
                options.limits.max_expansion_terms,
            )?;
        }
        Ok(Globals {
            set: self,
            df: RefCell::new(HashMap::new()),
            expansions,
        })
    }

    /// `pattern` expanded over every member's surface forms, their
    /// document frequencies summed: the `limit` most frequent words (ties
    /// to the earlier word), as one index of all the documents keeps them.
    fn expand(&self, pattern: &ExpansionQuery, limit: usize) -> Result<Expansion> {
        let mut words: BTreeMap<String, (u64, u8)> = BTreeMap::new();
        for m in &self.members {
            for w in m.surface_matches(pattern, usize::MAX)?.words {
                let e = words.entry(w.word).or_insert((0, w.distance));
                e.0 += w.doc_freq;
            }
        }
        // In word order, as one index's walk offers them.
        let mut best = MostFrequent::new(limit);
        for (word, (doc_freq, distance)) in &words {
            best.offer(word.as_bytes(), *doc_freq, *distance);
        }
        let matches = best.finish();
        Ok(self.members[0].expansion_of(pattern, matches))
    }
}

/// Every prefix and fuzzy pattern of `q`, in query order.
fn collect_expansions<'q>(q: &'q Query, out: &mut Vec<&'q ExpansionQuery>) {
    match q {
        Query::Expansion(e) => out.push(e),
        Query::Bool(b) => {
            for c in b.must.iter().chain(&b.should).chain(&b.must_not) {
                collect_expansions(c, out);
            }
        }
        Query::Term(_) | Query::Phrase(_) => {}
    }
}

/// What a member of a set scores with in place of its own statistics.
pub(crate) struct Globals<'s> {
    set: &'s IndexSet,
    /// Document frequencies summed over the members, per (field, term).
    df: RefCell<HashMap<(Field, String), u32>>,
    expansions: Vec<(ExpansionKind, String, Expansion)>,
}

impl Globals<'_> {
    pub(crate) fn doc_count(&self) -> u32 {
        self.set.doc_count
    }

    pub(crate) fn avg_field_len(&self, field: Field) -> f64 {
        self.set.avg_field_len(field)
    }

    /// Documents of all members whose `field` holds `term`.
    pub(crate) fn doc_freq(&self, field: Field, term: &str) -> Result<u32> {
        let key = (field, term.to_string());
        if let Some(&df) = self.df.borrow().get(&key) {
            return Ok(df);
        }
        let mut df = 0u32;
        for m in &self.set.members {
            if let Some(info) = m.term_info(field, term)? {
                df += info.doc_freq;
            }
        }
        self.df.borrow_mut().insert(key, df);
        Ok(df)
    }

    /// Every pattern's expansion, in query order.
    pub(crate) fn into_expansions(self) -> Vec<Expansion> {
        self.expansions.into_iter().map(|(_, _, x)| x).collect()
    }

    /// The set's expansion of `e`.
    pub(crate) fn expansion(&self, e: &ExpansionQuery) -> Option<&Expansion> {
        self.expansions
            .iter()
            .find(|(k, p, _)| *k == e.kind && *p == e.pattern)
            .map(|(_, _, x)| x)
    }
}
