//! Query evaluation: document-at-a-time over postings cursors, collecting
//! the top k by BM25 score (ties: lower document id first).
//!
//! - A disjunction (OR) runs block-max MaxScore: scorers whose summed
//!   upper bounds cannot beat the k-th best score so far are *non-essential*
//!   and only looked up for candidates the others produce; bounds are
//!   tightened per window of documents with the block maxima of the skip
//!   data, and windows no document of which can enter the top k are skipped.
//! - A conjunction (AND) is led by the rarest term and skips windows whose
//!   block maxima cannot beat the k-th score.
//! - A phrase intersects its terms' postings and reads positions only for
//!   documents that hold every term.
//!
//! Pruning is exact: every document it skips provably scores at most the
//! current k-th score, and the scores of the documents it keeps are summed
//! in the same order as exhaustive evaluation does, so the top k (ids,
//! scores and tie order) equal exhaustive evaluation's
//! ([`SearchOptions::pruning`] turns it off, for comparison).

use crate::bm25::Bm25;
use crate::error::{Error, Result};
use crate::eval::collect::TopK;
use crate::eval::conjunction::conjunction;
use crate::eval::disjunction::{count_union, exhaustive_union};
use crate::eval::explain::Explanation;
use crate::eval::generic;
use crate::eval::long::{windowed_union, LONG_QUERY_SCORERS};
use crate::eval::phrase::phrase_union;
use crate::eval::plan::{Plan, Planner};
use crate::eval::sparse_pass::disjunction;
use crate::index::{DocId, Index};
use crate::limits::QueryLimits;
use crate::query::{ExpansionKind, Operator, Query};
use crate::schema::Field;
use crate::set::Globals;
use crate::store::StoredDocument;

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
    /// Skip documents that cannot enter the top k (on by default). The
    /// results are the same either way; off evaluates every matching
    /// document, to measure or check pruning.
    pub pruning: bool,
    /// Hits to skip before the first returned (paging): the hits of
    /// `offset 10, limit 10` are ranks 11 to 20.
    pub offset: usize,
    /// Most index terms one prefix or fuzzy pattern expands to (the most
    /// frequent words are kept; [`SearchResults::expansions`] reports
    /// what was cut).
    pub max_expansions: usize,
    /// Read the query text as plain words: no operator, quote, field or
    /// other syntax (for pasted text).
    pub literal: bool,
    /// Limits on the size of a query, checked before it runs (a query
    /// over one is refused with [`Error::QueryTooLarge`]).
    pub limits: QueryLimits,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            operator: Operator::Or,
            bm25: Bm25::default(),
            title_boost: 1.0,
            body_boost: 1.0,
            pruning: true,
            offset: 0,
            max_expansions: 256,
            literal: false,
            limits: QueryLimits::default(),
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

    pub(crate) fn boost(&self, field: Field) -> f64 {
        match field {
            Field::Title => self.title_boost,
            Field::Body => self.body_boost,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        self.bm25.validate()?;
        for (name, boost) in [("title", self.title_boost), ("body", self.body_boost)] {
            if !(0.0..=Self::MAX_BOOST).contains(&boost) {
                return Err(Error::InvalidOption(format!(
                    "{name} boost must be between 0 and {}, got {boost}",
                    Self::MAX_BOOST
                )));
            }
        }
        if self.max_expansions == 0 {
            return Err(Error::InvalidOption(
                "max expansions must be at least 1".into(),
            ));
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

/// Document ids and scores, best first.
pub type Ranked = Vec<(DocId, f64)>;

/// What a search found, and how it read the query.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchResults {
    /// The hits, best first (after `offset`).
    pub hits: Vec<Hit>,
    /// The query as understood (analyzed terms, in query syntax via `Display`).
    pub query: Query,
    /// What each prefix or fuzzy pattern expanded to.
    pub expansions: Vec<Expansion>,
    /// When fewer than `limit` hits were found: the query with unknown
    /// words replaced by the closest words of the index, if any.
    pub suggestion: Option<Suggestion>,
}

impl SearchResults {
    /// The results of `query`: each of `top`'s hits with its stored id and
    /// title (from `document`), and, when fewer than `limit` hits came,
    /// the suggestion `suggest` makes.
    pub(crate) fn gather(
        query: Query,
        top: Ranked,
        expansions: Vec<Expansion>,
        limit: usize,
        document: impl Fn(DocId) -> Result<StoredDocument>,
        suggest: impl FnOnce() -> Result<Option<Suggestion>>,
    ) -> Result<SearchResults> {
        let hits = top
            .into_iter()
            .map(|(doc, score)| {
                let stored = document(doc)?;
                Ok(Hit {
                    doc,
                    score,
                    id: stored.id,
                    title: stored.title,
                })
            })
            .collect::<Result<Vec<Hit>>>()?;
        let suggestion = if hits.len() < limit { suggest()? } else { None };
        Ok(SearchResults {
            hits,
            query,
            expansions,
            suggestion,
        })
    }
}

/// The results read as their hits: `results.len()`, `results[0]`,
/// `for hit in &results`.
impl std::ops::Deref for SearchResults {
    type Target = [Hit];
    fn deref(&self) -> &[Hit] {
        &self.hits
    }
}

impl IntoIterator for SearchResults {
    type Item = Hit;
    type IntoIter = std::vec::IntoIter<Hit>;
    fn into_iter(self) -> Self::IntoIter {
        self.hits.into_iter()
    }
}

impl<'r> IntoIterator for &'r SearchResults {
    type Item = &'r Hit;
    type IntoIter = std::slice::Iter<'r, Hit>;
    fn into_iter(self) -> Self::IntoIter {
        self.hits.iter()
    }
}

/// What one prefix or fuzzy pattern matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Expansion {
    /// The pattern as written in query syntax (`gov*`, `goverment~1`).
    pub pattern: String,
    /// Prefix or fuzzy.
    pub kind: ExpansionKind,
    /// The words of the documents it matched and kept, most frequent first
    /// within each edit distance.
    pub words: Vec<String>,
    /// The distinct index terms of those words: what is searched.
    pub terms: Vec<String>,
    /// How many words matched before the cap ([`SearchOptions::max_expansions`]).
    pub matched: usize,
}

impl Expansion {
    /// True when words were left out by the cap.
    pub fn truncated(&self) -> bool {
        self.matched > self.words.len()
    }
}

/// A corrected query: "did you mean".
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    /// The query text with each replaced word corrected.
    pub text: String,
    /// Each replacement: (word as typed, word of the index).
    pub replacements: Vec<(String, String)>,
}

impl Index {
    /// Parses `text` (the query language, or plain words with
    /// [`SearchOptions::literal`]) and returns the top hits, how the query
    /// was read, its expansions and, when it finds fewer than `limit`
    /// hits, a corrected query.
    ///
    /// ```no_run
    /// let index = quarry::Index::open("articles.qidx")?;
    /// for hit in index.search("putin -modi", &quarry::SearchOptions::top(5))?.hits {
    ///     println!("{:.3} {} {}", hit.score, hit.id, hit.title);
    /// }
    /// # Ok::<(), quarry::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::QuerySyntax`] for malformed query text, naming the problem
    /// and where it is; [`Error::QueryTooLarge`] for a query over one of
    /// the [`SearchOptions::limits`]; [`Error::InvalidOption`] for bad options;
    /// [`Error::Corrupt`] for damaged index bytes.
    pub fn search(&self, text: &str, options: &SearchOptions) -> Result<SearchResults> {
        let query = self.parse_query_with(text, options)?;
        let (top, expansions) = self.run(&query, options)?;
        SearchResults::gather(
            query,
            top,
            expansions,
            options.limit,
            |doc| self.document(doc),
            || self.did_you_mean(text, options),
        )
    }

    /// Parses `text` as this index analyzes it, with `operator` between
    /// words no operator joins.
    ///
    /// # Errors
    /// [`Error::QuerySyntax`] for malformed query text.
    pub fn parse_query(&self, text: &str, operator: Operator) -> Result<Query> {
        Query::parse(text, self.analyzer(), operator)
    }

    /// Parses `text` with the operator and literal mode of `options`.
    ///
    /// # Errors
    /// [`Error::QuerySyntax`] for malformed query text;
    /// [`Error::QueryTooLarge`] for text over [`QueryLimits::max_query_bytes`].
    pub fn parse_query_with(&self, text: &str, options: &SearchOptions) -> Result<Query> {
        options.limits.check_text(text)?;
        Query::parse_with(text, self.analyzer(), options.operator, options.literal)
    }

    /// The top documents and scores of `query` (ranks `offset + 1` to
    /// `offset + limit`), best first, without reading stored fields.
    pub fn top_doc_ids(&self, query: &Query, options: &SearchOptions) -> Result<Vec<(DocId, f64)>> {
        Ok(self.run(query, options)?.0)
    }

    /// [`Index::top_doc_ids`], with what each expansion matched.
    pub fn top_doc_ids_with_expansions(
        &self,
        query: &Query,
        options: &SearchOptions,
    ) -> Result<(Ranked, Vec<Expansion>)> {
        self.run(query, options)
    }

    fn run(&self, query: &Query, options: &SearchOptions) -> Result<(Ranked, Vec<Expansion>)> {
        self.run_in(query, options, None)
    }

    /// [`Index::run`], scoring with an index set's statistics when given.
    pub(crate) fn run_in(
        &self,
        query: &Query,
        options: &SearchOptions,
        globals: Option<&Globals<'_>>,
    ) -> Result<(Ranked, Vec<Expansion>)> {
        options.validate()?;
        options.limits.check(query)?;
        options.limits.check_hits(options.offset, options.limit)?;
        check_boosts(query, 1.0)?;
        let k = options.limit.saturating_add(options.offset);
        if options.limit == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut planner = match globals {
            Some(g) => Planner::in_set(self, options, false, g),
            None => Planner::new(self, options, false),
        };
        let plan = planner.plan(query)?;
        let expansions = std::mem::take(&mut planner.expansions);
        let mut damaged = false;
        let top = match plan {
            Plan::Nothing => TopK::new(k),
            Plan::FlatOr {
                mut scorers,
                exclusion,
                combine,
            } => {
                let mut top = TopK::new(k).excluding(exclusion);
                if scorers.len() >= LONG_QUERY_SCORERS {
                    windowed_union(&mut scorers, &mut top);
                } else if options.pruning {
                    disjunction(&mut scorers, &mut top, &combine);
                } else {
                    exhaustive_union(&mut scorers, &mut top, &combine);
                }
                damaged = scorers.iter().any(|s| s.damaged()) || top.exclusion_damaged();
                top
            }
            Plan::FlatAnd {
                mut scorers,
                clauses,
                exclusion,
            } => {
                let mut top = TopK::new(k).excluding(exclusion);
                conjunction(&mut scorers, clauses, Some(&mut top), options.pruning);
                damaged = scorers.iter().any(|s| s.damaged()) || top.exclusion_damaged();
                top
            }
            Plan::Phrase { mut fields } => {
                let mut top = TopK::new(k);
                phrase_union(&mut fields, Some(&mut top));
                damaged = fields.iter().any(|f| f.damaged());
                top
            }
            Plan::Tree(root) => {
                let mut top = TopK::new(k);
                damaged = generic::collect(root, &mut top, options.pruning);
                top
            }
        };
        if damaged {
            return Err(self.damage_error("postings or positions are malformed"));
        }
        let hits = top
            .into_sorted()
            .into_iter()
            .skip(options.offset)
            .map(|s| (s.doc, s.score))
            .collect();
        Ok((hits, expansions))
    }

    /// The number of documents matching `query`, without scoring them
    /// (expansions capped at the default [`SearchOptions::max_expansions`]).
    pub fn count(&self, query: &Query) -> Result<u64> {
        Ok(self.count_with(query, &SearchOptions::default())?.0)
    }

    /// The number of documents matching `query` with the expansion cap of
    /// `options`, and what each expansion matched (so a cut is reported).
    pub fn count_with(
        &self,
        query: &Query,
        options: &SearchOptions,
    ) -> Result<(u64, Vec<Expansion>)> {
        self.count_in(query, options, None)
    }

    /// [`Index::count_with`], with an index set's expansions when given.
    pub(crate) fn count_in(
        &self,
        query: &Query,
        options: &SearchOptions,
        globals: Option<&Globals<'_>>,
    ) -> Result<(u64, Vec<Expansion>)> {
        options.validate()?;
        options.limits.check(query)?;
        check_boosts(query, 1.0)?;
        let mut planner = match globals {
            Some(g) => Planner::in_set(self, options, false, g),
            None => Planner::new(self, options, false),
        };
        let (n, damaged) = match planner.plan(query)? {
            Plan::Nothing => (0, false),
            Plan::FlatOr {
                mut scorers,
                exclusion: None,
                ..
            } => (
                count_union(&mut scorers),
                scorers.iter().any(|s| s.damaged()),
            ),
            Plan::FlatAnd {
                mut scorers,
                clauses,
                exclusion: None,
            } => (
                conjunction(&mut scorers, clauses, None, false),
                scorers.iter().any(|s| s.damaged()),
            ),
            Plan::Phrase { mut fields } => (
                phrase_union(&mut fields, None),
                fields.iter().any(|f| f.damaged()),
            ),
            Plan::Tree(root) => generic::count(root),
            _ => {
                // A flat shape with an exclusion: counted as a tree (its
                // expansions recorded afresh).
                planner.expansions.clear();
                match planner.root(query, 1.0)? {
                    Some(root) => generic::count(root),
                    None => (0, false),
                }
            }
        };
        if damaged {
            return Err(self.damage_error("postings or positions are malformed"));
        }
        Ok((n, planner.expansions))
    }

    /// How `doc`'s score for `query` is made, or `None` when `doc` does not
    /// match: a tree down to each (term, field) leaf with its BM25 inputs.
    /// Its `score` equals the hit's score to within rounding (1e-9
    /// relative): the explanation groups leaves by query clause, which may
    /// add them in another order than the tuned paths do.
    pub fn explain(
        &self,
        query: &Query,
        doc: DocId,
        options: &SearchOptions,
    ) -> Result<Option<Explanation>> {
        self.explain_in(query, doc, options, None)
    }

    /// [`Index::explain`], scoring with an index set's statistics when given.
    pub(crate) fn explain_in(
        &self,
        query: &Query,
        doc: DocId,
        options: &SearchOptions,
        globals: Option<&Globals<'_>>,
    ) -> Result<Option<Explanation>> {
        options.validate()?;
        options.limits.check(query)?;
        check_boosts(query, 1.0)?;
        let mut planner = match globals {
            Some(g) => Planner::in_set(self, options, true, g),
            None => Planner::new(self, options, true),
        };
        let Some(mut s) = planner.scorer(query, 1.0)? else {
            return Ok(None);
        };
        if s.seek(doc) != doc {
            if s.damaged() {
                return Err(self.damage_error("postings or positions are malformed"));
            }
            return Ok(None);
        }
        let e = s.explain();
        if s.damaged() {
            return Err(self.damage_error("postings or positions are malformed"));
        }
        Ok(Some(e))
    }
}

/// Every leaf's boost, multiplied through its enclosing groups, must stay
/// within 0 to [`SearchOptions::MAX_BOOST`], so that scores stay finite.
fn check_boosts(query: &Query, above: f64) -> Result<()> {
    let (own, children): (f64, Vec<&Query>) = match query {
        Query::Term(t) => (t.boost, Vec::new()),
        Query::Phrase(p) => (p.boost, Vec::new()),
        Query::Expansion(e) => (e.boost, Vec::new()),
        Query::Bool(b) => (
            b.boost,
            b.must.iter().chain(&b.should).chain(&b.must_not).collect(),
        ),
    };
    let boost = above * own;
    if !(0.0..=SearchOptions::MAX_BOOST).contains(&boost) {
        return Err(Error::InvalidQuery(format!(
            "boosts multiply to {boost:e} at `{query}`; nested boosts must multiply to between 0 and {:e}",
            SearchOptions::MAX_BOOST
        )));
    }
    children
        .into_iter()
        .try_for_each(|c| check_boosts(c, boost))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_boosts_must_multiply_to_at_most_the_maximum() {
        let leaf = |boost| {
            Query::Term(crate::query::TermQuery {
                term: "war".into(),
                fields: crate::query::Fields::ALL,
                boost,
            })
        };
        let group = |q, boost| {
            Query::Bool(crate::query::BoolQuery {
                should: vec![q],
                boost,
                ..Default::default()
            })
        };
        assert!(check_boosts(&group(group(leaf(1000.0), 1000.0), 1.0), 1.0).is_ok());
        let err = check_boosts(&group(group(leaf(1000.0), 1000.0), 2.0), 1.0).unwrap_err();
        assert!(err.to_string().contains("nested boosts"), "{err}");
        assert!(check_boosts(&leaf(f64::NAN), 1.0).is_err());
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
