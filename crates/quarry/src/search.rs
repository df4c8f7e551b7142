//! Query evaluation: document-at-a-time over postings cursors, collecting
//! the top k by BM25 score (ties: lower document id first).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::bm25::{idf, Bm25, TermWeight};
use crate::error::{Error, Result};
use crate::fieldnorm::FieldLengths;
use crate::index::{DocId, Index};
use crate::postings::{PostingsCursor, TERMINATED};
use crate::query::{Operator, Query};
use crate::schema::Field;

/// How to search: how many hits, how to combine words, how to score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchOptions {
    /// Number of hits to return (top k).
    pub limit: usize,
    /// How the words of a query combine when parsed from text.
    pub operator: Operator,
    /// BM25 parameters.
    pub bm25: Bm25,
    /// Score multiplier for matches in the title, 0 to [`SearchOptions::MAX_BOOST`].
    pub title_boost: f64,
    /// Score multiplier for matches in the body, 0 to [`SearchOptions::MAX_BOOST`].
    pub body_boost: f64,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            operator: Operator::Or,
            bm25: Bm25::default(),
            title_boost: 1.0,
            body_boost: 1.0,
        }
    }
}

impl SearchOptions {
    /// Largest accepted boost: with [`Bm25::MAX_K1`] it keeps every score finite.
    pub const MAX_BOOST: f64 = 1e6;

    /// The default options with `limit` hits.
    pub fn top(limit: usize) -> SearchOptions {
        SearchOptions {
            limit,
            ..SearchOptions::default()
        }
    }

    /// The same options requiring every word.
    pub fn all_words(self) -> SearchOptions {
        SearchOptions {
            operator: Operator::And,
            ..self
        }
    }

    fn boost(&self, field: Field) -> f64 {
        match field {
            Field::Title => self.title_boost,
            Field::Body => self.body_boost,
        }
    }

    fn validate(&self) -> Result<()> {
        self.bm25.validate()?;
        for (name, boost) in [("title", self.title_boost), ("body", self.body_boost)] {
            if !(0.0..=Self::MAX_BOOST).contains(&boost) {
                return Err(Error::InvalidOption(format!(
                    "{name} boost must be between 0 and {}, got {boost}",
                    Self::MAX_BOOST
                )));
            }
        }
        Ok(())
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Internal document id (input order).
    pub doc: DocId,
    /// BM25 score.
    pub score: f64,
    /// The document's external id.
    pub id: String,
    /// The document's title (may be empty).
    pub title: String,
}

/// A scored document, ordered so that a max-heap keeps the worst on top.
#[derive(Clone, Copy, Debug)]
struct Scored {
    score: f64,
    doc: DocId,
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        // Greater = worse: lower score, then higher doc id.
        other
            .score
            .total_cmp(&self.score)
            .then(self.doc.cmp(&other.doc))
    }
}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}

/// Keeps the best `k` documents seen.
struct TopK {
    k: usize,
    heap: BinaryHeap<Scored>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
        }
    }

    #[inline]
    fn push(&mut self, doc: DocId, score: f64) {
        let s = Scored { score, doc };
        if self.heap.len() < self.k {
            self.heap.push(s);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if s < *worst {
                *worst = s;
            }
        }
    }

    /// Best first.
    fn into_sorted(self) -> Vec<Scored> {
        self.heap.into_sorted_vec()
    }
}

/// A cursor over one term's postings in one field, with its BM25 weight.
struct FieldScorer<'a> {
    cursor: PostingsCursor<'a>,
    lengths: FieldLengths<'a>,
    weight: TermWeight,
    /// Set when a document id had no field length: the postings are damaged.
    bad_doc: bool,
}

impl FieldScorer<'_> {
    #[inline]
    fn score(&mut self) -> f64 {
        match self.lengths.get(self.cursor.doc()) {
            Some(dl) => self.weight.score(self.cursor.freq(), dl),
            None => {
                self.bad_doc = true;
                0.0
            }
        }
    }

    fn damaged(&self) -> bool {
        self.bad_doc || self.cursor.is_corrupt()
    }
}

/// One query term across the fields that hold it.
struct TermScorer<'a> {
    fields: Vec<FieldScorer<'a>>,
    /// Sum of the fields' document frequencies: a cost estimate.
    cost: u64,
}

impl TermScorer<'_> {
    #[inline]
    fn doc(&self) -> DocId {
        self.fields
            .iter()
            .map(|f| f.cursor.doc())
            .min()
            .unwrap_or(TERMINATED)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        for f in &mut self.fields {
            f.cursor.seek(target);
        }
        self.doc()
    }

    /// Score of the current document `doc`, summed over fields.
    fn score(&mut self, doc: DocId) -> f64 {
        let mut s = 0.0;
        for f in &mut self.fields {
            if f.cursor.doc() == doc {
                s += f.score();
            }
        }
        s
    }
}

impl Index {
    /// Parses `text` with the index's analyzer and returns the top hits.
    ///
    /// ```no_run
    /// let index = quarry::Index::open("articles.qidx")?;
    /// for hit in index.search("putin modi", &quarry::SearchOptions::top(5))? {
    ///     println!("{:.3} {} {}", hit.score, hit.id, hit.title);
    /// }
    /// # Ok::<(), quarry::Error>(())
    /// ```
    pub fn search(&self, text: &str, options: &SearchOptions) -> Result<Vec<Hit>> {
        let query = self.parse_query(text, options.operator);
        self.search_query(&query, options)
    }

    /// Parses `text` as this index analyzes it.
    pub fn parse_query(&self, text: &str, operator: Operator) -> Query {
        Query::parse(text, self.analyzer(), operator)
    }

    /// Returns the top hits of a parsed query; `options.operator` is ignored
    /// (the query carries its own).
    pub fn search_query(&self, query: &Query, options: &SearchOptions) -> Result<Vec<Hit>> {
        let top = self.top_docs(query, options)?;
        top.into_iter()
            .map(|s| {
                let stored = self.document(s.doc)?;
                Ok(Hit {
                    doc: s.doc,
                    score: s.score,
                    id: stored.id,
                    title: stored.title,
                })
            })
            .collect()
    }

    /// The top documents and scores of `query`, best first, without reading
    /// stored fields.
    pub fn top_doc_ids(&self, query: &Query, options: &SearchOptions) -> Result<Vec<(DocId, f64)>> {
        Ok(self
            .top_docs(query, options)?
            .into_iter()
            .map(|s| (s.doc, s.score))
            .collect())
    }

    fn top_docs(&self, query: &Query, options: &SearchOptions) -> Result<Vec<Scored>> {
        options.validate()?;
        if options.limit == 0 || query.is_empty() {
            return Ok(Vec::new());
        }
        let mut terms = self.term_scorers(query, options)?;
        let mut top = TopK::new(options.limit);
        match query.operator() {
            Operator::Or => {
                let mut fields: Vec<FieldScorer<'_>> =
                    terms.drain(..).flat_map(|t| t.fields).collect();
                disjunction(&mut fields, &mut top);
                self.check(fields.iter())?;
            }
            Operator::And => {
                if terms.iter().any(|t| t.fields.is_empty()) {
                    return Ok(Vec::new());
                }
                conjunction(&mut terms, &mut top);
                self.check(terms.iter().flat_map(|t| t.fields.iter()))?;
            }
        }
        Ok(top.into_sorted())
    }

    fn check<'s, 'a: 's>(
        &self,
        mut fields: impl Iterator<Item = &'s FieldScorer<'a>>,
    ) -> Result<()> {
        if fields.any(|f| f.damaged()) {
            return Err(self.corrupt("postings are malformed"));
        }
        Ok(())
    }

    fn term_scorers(&self, query: &Query, options: &SearchOptions) -> Result<Vec<TermScorer<'_>>> {
        let norms = self.field_norms();
        let n = self.doc_count();
        let mut out = Vec::with_capacity(query.terms().len());
        for term in query.terms() {
            let mut fields = Vec::with_capacity(Field::ALL.len());
            let mut cost = 0u64;
            for field in Field::ALL {
                let Some(info) = self.term_info(field, term)? else {
                    continue;
                };
                let weight = TermWeight::new(
                    options.bm25,
                    options.boost(field),
                    idf(n, info.doc_freq),
                    self.avg_field_len(field),
                );
                cost += u64::from(info.doc_freq);
                fields.push(FieldScorer {
                    cursor: self.postings_of(&info)?,
                    lengths: norms.field(field),
                    weight,
                    bad_doc: false,
                });
            }
            out.push(TermScorer { fields, cost });
        }
        Ok(out)
    }
}

/// Every document that holds any of the cursors' terms.
fn disjunction(fields: &mut [FieldScorer<'_>], top: &mut TopK) {
    loop {
        let doc = fields
            .iter()
            .map(|f| f.cursor.doc())
            .min()
            .unwrap_or(TERMINATED);
        if doc == TERMINATED {
            return;
        }
        let mut score = 0.0;
        for f in fields.iter_mut() {
            if f.cursor.doc() == doc {
                score += f.score();
                f.cursor.advance();
            }
        }
        top.push(doc, score);
    }
}

/// Documents that hold every term, led by the rarest.
fn conjunction(terms: &mut [TermScorer<'_>], top: &mut TopK) {
    terms.sort_by_key(|t| t.cost);
    let (lead, rest) = terms.split_first_mut().expect("at least one term");
    let mut candidate = lead.doc();
    'candidates: while candidate != TERMINATED {
        for t in rest.iter_mut() {
            let d = t.seek(candidate);
            if d > candidate {
                candidate = lead.seek(d);
                continue 'candidates;
            }
        }
        let mut score = lead.score(candidate);
        for t in rest.iter_mut() {
            score += t.score(candidate);
        }
        top.push(candidate, score);
        candidate = lead.seek(candidate + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_best_and_breaks_ties_by_doc() {
        let mut top = TopK::new(3);
        for (doc, score) in [(5, 1.0), (1, 2.0), (9, 2.0), (3, 0.5), (2, 2.0), (7, 3.0)] {
            top.push(doc, score);
        }
        let got: Vec<(u32, f64)> = top.into_sorted().iter().map(|s| (s.doc, s.score)).collect();
        assert_eq!(got, vec![(7, 3.0), (1, 2.0), (2, 2.0)]);
    }

    #[test]
    fn invalid_boost_is_rejected() {
        let o = SearchOptions {
            title_boost: -1.0,
            ..SearchOptions::default()
        };
        assert!(o.validate().is_err());
        let o = SearchOptions {
            body_boost: f64::INFINITY,
            ..SearchOptions::default()
        };
        assert!(o.validate().is_err());
    }
}
