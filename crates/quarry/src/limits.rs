//! Bounded work per query: limits checked before a query is evaluated.
//!
//! A query's cost grows with its size: words, phrase words, patterns and
//! their expansions, nesting. Rather than time a query out half-way, a
//! query over one of these limits is refused up front with
//! [`Error::QueryTooLarge`], which names the limit, the value found and
//! the option that raises it. The defaults keep every accepted query to
//! about a second on a corpus of 300,000 documents (see README.md,
//! "Limits", and `benches/worst_queries.py`), well above what people
//! write or paste (a 4,000-word OR query is accepted).

use std::fmt;

use crate::error::{Error, Result};
use crate::query::Query;

/// Limits on the size of one query, part of [`crate::SearchOptions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// Longest query text, in bytes (checked before parsing).
    pub max_query_bytes: usize,
    /// Most leaves (words, phrases, prefix and fuzzy patterns) in a query.
    pub max_clauses: usize,
    /// Most words in one phrase.
    pub max_phrase_words: usize,
    /// Most words in one phrase with a slop (`"a b c"~2`): sloppy matching
    /// costs more per word than exact matching.
    pub max_sloppy_phrase_words: usize,
    /// Most prefix (`w*`) and fuzzy (`w~2`) patterns in a query: each
    /// walks the dictionary of words.
    pub max_patterns: usize,
    /// Most index terms all the patterns of a query expand to together
    /// (each pattern keeps at most [`crate::SearchOptions::max_expansions`]).
    pub max_expansion_terms: usize,
    /// Deepest nesting of groups (parentheses, or nested
    /// [`crate::query::BoolQuery`]s in a query built by a program).
    pub max_depth: usize,
    /// Did you mean is offered only for queries with at most this many
    /// words the index does not know (each costs a fuzzy walk; many are
    /// no typo). Not a refusal: past it there is no suggestion.
    pub max_corrections: usize,
    /// Most results one search ranks: [`crate::SearchOptions::offset`]
    /// plus [`crate::SearchOptions::limit`]. A page deep in the results
    /// costs as much as every page before it, and each result is a stored
    /// document to read. Counting ([`crate::Index::count`]) has no such
    /// limit.
    pub max_hits: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_query_bytes: 1 << 20,
            max_clauses: 16_384,
            max_phrase_words: 1024,
            max_sloppy_phrase_words: 16,
            max_patterns: 64,
            max_expansion_terms: 16_384,
            max_depth: 64,
            max_corrections: 16,
            max_hits: 10_000,
        }
    }
}

/// Which limit of [`QueryLimits`] a query exceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// [`QueryLimits::max_query_bytes`].
    QueryBytes,
    /// [`QueryLimits::max_clauses`].
    Clauses,
    /// [`QueryLimits::max_phrase_words`].
    PhraseWords,
    /// [`QueryLimits::max_sloppy_phrase_words`].
    SloppyPhraseWords,
    /// [`QueryLimits::max_patterns`].
    Patterns,
    /// [`QueryLimits::max_expansion_terms`].
    ExpansionTerms,
    /// [`QueryLimits::max_depth`].
    Depth,
    /// [`QueryLimits::max_hits`].
    Hits,
}

impl Limit {
    /// The option's name, as in `QueryLimits::max_phrase_words`.
    pub fn option(self) -> &'static str {
        match self {
            Limit::QueryBytes => "max_query_bytes",
            Limit::Clauses => "max_clauses",
            Limit::PhraseWords => "max_phrase_words",
            Limit::SloppyPhraseWords => "max_sloppy_phrase_words",
            Limit::Patterns => "max_patterns",
            Limit::ExpansionTerms => "max_expansion_terms",
            Limit::Depth => "max_depth",
            Limit::Hits => "max_hits",
        }
    }

    /// What is counted: "the query has N {what}".
    fn what(self) -> &'static str {
        match self {
            Limit::QueryBytes => "bytes",
            Limit::Clauses => "words, phrases and patterns",
            Limit::PhraseWords => "words in one phrase",
            Limit::SloppyPhraseWords => "words in one phrase with a slop",
            Limit::Patterns => "prefix and fuzzy patterns",
            Limit::ExpansionTerms => "terms expanded from its patterns",
            Limit::Depth => "levels of nested groups",
            Limit::Hits => "results asked for (offset plus limit)",
        }
    }

    /// How to bring the query within the limit.
    fn advice(self) -> &'static str {
        match self {
            Limit::QueryBytes | Limit::Clauses => "shorten the query",
            Limit::PhraseWords => "shorten the phrase, or search its words without quotes",
            Limit::SloppyPhraseWords => "shorten the phrase, or drop its `~slop`",
            Limit::Patterns => "use fewer `*` and `~` patterns",
            Limit::ExpansionTerms => "use longer prefixes, or lower --max-expansions",
            Limit::Depth => "remove some parentheses",
            Limit::Hits => "ask for fewer results, or count the matches instead",
        }
    }
}

/// A query over a limit: which, how much, and the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge {
    /// The limit exceeded.
    pub limit: Limit,
    /// The query's value.
    pub found: usize,
    /// The limit's value.
    pub max: usize,
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the query has {} {}; the limit is {} (QueryLimits::{}); {}",
            self.found,
            self.limit.what(),
            self.max,
            self.limit.option(),
            self.limit.advice()
        )
    }
}

/// `Err` when `found` is over `max`.
pub(crate) fn within(limit: Limit, found: usize, max: usize) -> Result<()> {
    if found > max {
        return Err(Error::QueryTooLarge(TooLarge { limit, found, max }));
    }
    Ok(())
}

impl QueryLimits {
    /// Refuses query text longer than [`QueryLimits::max_query_bytes`].
    pub(crate) fn check_text(&self, text: &str) -> Result<()> {
        within(Limit::QueryBytes, text.len(), self.max_query_bytes)
    }

    /// Refuses a search for more than [`QueryLimits::max_hits`] results.
    pub(crate) fn check_hits(&self, offset: usize, limit: usize) -> Result<()> {
        within(Limit::Hits, offset.saturating_add(limit), self.max_hits)
    }

    /// Refuses an analyzed query over any limit that does not depend on
    /// the index (the expansions are counted as they are made). Walks the
    /// tree without recursion, so a query built too deep is refused, not
    /// a stack overflow.
    pub fn check(&self, query: &Query) -> Result<()> {
        let mut clauses = 0usize;
        let mut patterns = 0usize;
        let mut stack = vec![(query, 0usize)];
        while let Some((q, depth)) = stack.pop() {
            match q {
                Query::Term(_) => clauses += 1,
                Query::Phrase(p) => {
                    clauses += 1;
                    within(Limit::PhraseWords, p.terms.len(), self.max_phrase_words)?;
                    if p.slop > 0 {
                        let max = self.max_sloppy_phrase_words;
                        within(Limit::SloppyPhraseWords, p.terms.len(), max)?;
                    }
                }
                Query::Expansion(_) => {
                    clauses += 1;
                    patterns += 1;
                }
                Query::Bool(b) => {
                    within(Limit::Depth, depth, self.max_depth)?;
                    let children = b.must.iter().chain(&b.should).chain(&b.must_not);
                    stack.extend(children.map(|c| (c, depth + 1)));
                }
            }
        }
        // Counted whole, so the refusal says how many there are.
        within(Limit::Clauses, clauses, self.max_clauses)?;
        within(Limit::Patterns, patterns, self.max_patterns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{BoolQuery, Fields, PhraseQuery, TermQuery};

    fn phrase(n: usize, slop: u32) -> Query {
        Query::Phrase(PhraseQuery {
            terms: (0..n as u32).map(|i| ("the".to_string(), i)).collect(),
            slop,
            fields: Fields::ALL,
            boost: 1.0,
        })
    }

    fn refused(q: &Query, limits: &QueryLimits) -> Option<Limit> {
        match limits.check(q) {
            Ok(()) => None,
            Err(Error::QueryTooLarge(t)) => Some(t.limit),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn each_limit_refuses_just_over_it_and_accepts_it() {
        let l = QueryLimits::default();
        assert_eq!(refused(&phrase(l.max_phrase_words, 0), &l), None);
        let over = refused(&phrase(l.max_phrase_words + 1, 0), &l);
        assert_eq!(over, Some(Limit::PhraseWords));
        assert_eq!(refused(&phrase(l.max_sloppy_phrase_words, 2), &l), None);
        let over = refused(&phrase(l.max_sloppy_phrase_words + 1, 2), &l);
        assert_eq!(over, Some(Limit::SloppyPhraseWords));
        let terms =
            |n: usize| Query::from_terms((0..n).map(|i| format!("w{i}")), crate::Operator::Or);
        assert_eq!(refused(&terms(l.max_clauses), &l), None);
        assert_eq!(refused(&terms(l.max_clauses + 1), &l), Some(Limit::Clauses));
        // The refusal counts them all, not up to one past the limit.
        match l.check(&terms(l.max_clauses + 500)) {
            Err(Error::QueryTooLarge(t)) => assert_eq!(t.found, l.max_clauses + 500),
            other => panic!("{other:?}"),
        }
        let patterns = |n: usize| {
            let text = (0..n)
                .map(|i| format!("w{i}*"))
                .collect::<Vec<_>>()
                .join(" ");
            Query::parse(
                &text,
                &crate::analysis::Analyzer::default(),
                crate::Operator::Or,
            )
            .unwrap()
        };
        assert_eq!(refused(&patterns(l.max_patterns), &l), None);
        assert_eq!(
            refused(&patterns(l.max_patterns + 1), &l),
            Some(Limit::Patterns)
        );
        assert!(l.check_text(&"a".repeat(l.max_query_bytes)).is_ok());
        assert!(l.check_text(&"a".repeat(l.max_query_bytes + 1)).is_err());
    }

    #[test]
    fn a_query_built_too_deep_is_refused_without_recursion() {
        let mut q = Query::Term(TermQuery {
            term: "war".into(),
            fields: Fields::ALL,
            boost: 1.0,
        });
        let wrap = |q| {
            Query::Bool(BoolQuery {
                should: vec![q],
                boost: 1.0,
                ..Default::default()
            })
        };
        let l = QueryLimits::default();
        for _ in 0..=l.max_depth {
            q = wrap(q);
        }
        assert_eq!(refused(&q, &l), None);
        q = wrap(q);
        let err = l.check(&q).unwrap_err().to_string();
        assert!(err.contains("QueryLimits::max_depth"), "{err}");
        // Far deeper than any stack: refused, not overflowed (the tree is
        // taken apart by hand, as dropping it would recurse).
        for _ in 0..200_000 {
            q = wrap(q);
        }
        assert_eq!(refused(&q, &l), Some(Limit::Depth));
        while let Query::Bool(mut b) = q {
            q = match b.should.pop() {
                Some(c) => c,
                None => break,
            };
        }
    }

    #[test]
    fn a_page_deep_in_the_results_is_refused_at_the_hit_limit() {
        let limits = QueryLimits::default();
        assert!(limits.check_hits(9_990, 10).is_ok());
        match limits.check_hits(9_991, 10) {
            Err(Error::QueryTooLarge(t)) => {
                assert_eq!((t.limit, t.found, t.max), (Limit::Hits, 10_001, 10_000))
            }
            other => panic!("{other:?}"),
        }
        // No overflow for the largest offsets.
        assert!(limits.check_hits(usize::MAX, 10).is_err());
    }

    #[test]
    fn the_message_names_the_limit_and_the_option() {
        let e = Error::QueryTooLarge(TooLarge {
            limit: Limit::PhraseWords,
            found: 1200,
            max: 1024,
        });
        assert_eq!(
            e.to_string(),
            "query too large: the query has 1200 words in one phrase; the limit is 1024 \
             (QueryLimits::max_phrase_words); shorten the phrase, or search its words without quotes"
        );
    }
}
