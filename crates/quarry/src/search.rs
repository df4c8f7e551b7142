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

use crate::bm25::{idf, Bm25, TermWeight};
use crate::error::{Error, Result};
use crate::eval::collect::{Scored, TopK};
use crate::eval::conjunction::conjunction;
use crate::eval::disjunction::{count_union, disjunction, exhaustive_union};
use crate::eval::phrase::{phrase_union, PhraseField, PhraseTerm};
use crate::eval::term::TermScorer;
use crate::index::{DocId, Index};
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
    /// Skip documents that cannot enter the top k (on by default). The
    /// results are the same either way; off evaluates every matching
    /// document, to measure or check pruning.
    pub pruning: bool,
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
        let query = self.parse_query(text, options.operator)?;
        self.search_query(&query, options)
    }

    /// Parses `text` as this index analyzes it.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] for malformed quotes (see [`Query::parse`]).
    pub fn parse_query(&self, text: &str, operator: Operator) -> Result<Query> {
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

    /// The number of documents matching `query`, without scoring them.
    /// The number of documents matching `query`, without scoring them.
    pub fn count(&self, query: &Query) -> Result<u64> {
        if query.is_empty() {
            return Ok(0);
        }
        let options = SearchOptions::default();
        let mut scorers = self.term_scorers(query, &options)?;
        let n = if let Some(offsets) = query.phrase_offsets() {
            let mut phrases = self.phrase_fields(query, offsets, &options)?;
            let n = phrase_union(&mut phrases, None);
            self.check_phrases(&phrases)?;
            n
        } else {
            let n = match query.operator() {
                Operator::Or => count_union(&mut scorers),
                Operator::And => conjunction(&mut scorers, query.terms().len(), None, false),
            };
            self.check(&scorers)?;
            n
        };
        Ok(n)
    }

    fn top_docs(&self, query: &Query, options: &SearchOptions) -> Result<Vec<Scored>> {
        options.validate()?;
        if options.limit == 0 || query.is_empty() {
            return Ok(Vec::new());
        }
        let mut top = TopK::new(options.limit);
        if let Some(offsets) = query.phrase_offsets() {
            let mut phrases = self.phrase_fields(query, offsets, options)?;
            phrase_union(&mut phrases, Some(&mut top));
            self.check_phrases(&phrases)?;
            return Ok(top.into_sorted());
        }
        let mut scorers = self.term_scorers(query, options)?;
        match (query.operator(), options.pruning) {
            (Operator::Or, true) => disjunction(&mut scorers, &mut top),
            (Operator::Or, false) => exhaustive_union(&mut scorers, &mut top),
            (Operator::And, pruning) => {
                conjunction(&mut scorers, query.terms().len(), Some(&mut top), pruning);
            }
        }
        self.check(&scorers)?;
        Ok(top.into_sorted())
    }

    fn check(&self, scorers: &[TermScorer<'_>]) -> Result<()> {
        if scorers.iter().any(|s| s.damaged()) {
            return Err(self.corrupt("postings are malformed"));
        }
        Ok(())
    }

    fn check_phrases(&self, phrases: &[PhraseField<'_>]) -> Result<()> {
        if phrases.iter().any(|p| p.damaged()) {
            return Err(self.corrupt("postings or positions are malformed"));
        }
        Ok(())
    }

    /// One scorer per (term, field) the index holds, terms in query order,
    /// fields in [`Field::ALL`] order: the order scores are summed in.
    fn term_scorers(&self, query: &Query, options: &SearchOptions) -> Result<Vec<TermScorer<'_>>> {
        let norms = self.field_norms();
        let n = self.doc_count();
        let mut out = Vec::with_capacity(query.terms().len() * Field::ALL.len());
        for (t, term) in query.terms().iter().enumerate() {
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
                out.push(TermScorer::new(
                    self.postings_of(&info)?,
                    norms.field(field),
                    weight,
                    t,
                ));
            }
        }
        Ok(out)
    }

    /// The phrase matcher of each field that holds every term of the phrase.
    fn phrase_fields(
        &self,
        query: &Query,
        offsets: &[u32],
        options: &SearchOptions,
    ) -> Result<Vec<PhraseField<'_>>> {
        let norms = self.field_norms();
        let n = self.doc_count();
        let positions = self.section(crate::format::SectionKind::Positions);
        let mut out = Vec::new();
        'fields: for field in Field::ALL {
            let mut terms = Vec::with_capacity(offsets.len());
            let mut idf_sum = 0.0;
            for (term, &offset) in query.terms().iter().zip(offsets) {
                let Some(info) = self.term_info(field, term)? else {
                    continue 'fields;
                };
                idf_sum += idf(n, info.doc_freq);
                let pos = positions
                    .get(info.positions.0 as usize..info.positions.1 as usize)
                    .ok_or_else(|| self.corrupt("a term's positions lie outside their section"))?;
                terms.push(PhraseTerm {
                    cursor: self.postings_of(&info)?,
                    offset,
                    positions: pos,
                });
            }
            // Rarest first: it leads the intersection.
            terms.sort_by_key(|t| t.cursor.doc_freq());
            let weight = TermWeight::new(
                options.bm25,
                options.boost(field),
                idf_sum,
                self.avg_field_len(field),
            );
            out.push(PhraseField::new(terms, norms.field(field), weight));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
