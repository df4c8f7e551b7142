//! Query parsing. Version 1 of the query language is a list of words,
//! combined by a default operator; the parser is its own module so that the
//! language can grow (phrases, fields, boosts) without touching evaluation.

use std::fmt;

mod lexer;
mod parser;
pub mod syntax;

pub use parser::{parse, DefaultOperator, ParseOptions};
pub use syntax::*;

use crate::analysis::Analyzer;
use crate::error::{Error, Result};

/// How the words of a query combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Operator {
    /// A document matches when it contains any of the words.
    #[default]
    Or,
    /// A document matches only when it contains every word (in any field).
    And,
}

/// A parsed query: the distinct analyzed terms, in the order they first
/// appear, and how they combine.
/// An analyzed query: distinct terms combined by an operator, or one
/// phrase (terms that must appear at consecutive positions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
    operator: Operator,
    /// For a phrase: each term's position relative to the first.
    phrase: Option<Vec<u32>>,
}

impl Query {
    /// Analyzes `text` into a query.
    ///
    /// Words are analyzed as the index analyzes fields, duplicates
    /// removed. Text wrapped in double quotes (`"new york"`) is a phrase:
    /// its words must appear in this order, next to each other, in the
    /// title or in the body.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] for an unclosed quote, or a phrase mixed
    /// with other words or phrases (combining them arrives with the full
    /// query language).
    pub fn parse(text: &str, analyzer: &Analyzer, operator: Operator) -> Result<Query> {
        let trimmed = text.trim();
        let quotes = trimmed.matches('"').count();
        if quotes == 0 {
            let mut terms: Vec<String> = Vec::new();
            analyzer.for_each_token(text, |t| terms.push(t.term.into_owned()));
            return Ok(Query::from_terms(terms, operator));
        }
        if quotes % 2 == 1 {
            return Err(Error::InvalidQuery(
                "a double quote is not closed; quote a phrase like \"new york\"".into(),
            ));
        }
        let inner = trimmed
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .filter(|t| !t.contains('"'));
        let Some(inner) = inner else {
            return Err(Error::InvalidQuery(
                "a query is either words or one quoted phrase; \
                 combining phrases with other words is not supported yet"
                    .into(),
            ));
        };
        let mut tokens: Vec<(String, u32)> = Vec::new();
        analyzer.for_each_token(inner, |t| tokens.push((t.term.into_owned(), t.position)));
        Ok(Query::phrase(tokens))
    }

    /// A query of the given terms (duplicates removed, order kept).
    pub fn from_terms<S: Into<String>>(
        terms: impl IntoIterator<Item = S>,
        operator: Operator,
    ) -> Query {
        let mut seen = std::collections::HashSet::new();
        let out: Vec<String> = terms
            .into_iter()
            .map(Into::into)
            .filter(|t: &String| seen.insert(t.clone()))
            .collect();
        Query {
            terms: out,
            operator,
            phrase: None,
        }
    }

    /// A phrase of analyzed terms at the given positions (increasing; gaps
    /// stand for words the analyzer dropped). One term is a plain term query.
    pub fn phrase<S: Into<String>>(tokens: impl IntoIterator<Item = (S, u32)>) -> Query {
        let tokens: Vec<(String, u32)> = tokens.into_iter().map(|(t, p)| (t.into(), p)).collect();
        if tokens.len() <= 1 {
            return Query::from_terms(tokens.into_iter().map(|t| t.0), Operator::And);
        }
        let first = tokens[0].1;
        Query {
            phrase: Some(tokens.iter().map(|t| t.1 - first).collect()),
            terms: tokens.into_iter().map(|t| t.0).collect(),
            operator: Operator::And,
        }
    }

    /// The terms: distinct for a term query, in phrase order (repeats kept)
    /// for a phrase.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// How the terms combine (a phrase requires all of them).
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// For a phrase, each term's position relative to the first.
    pub fn phrase_offsets(&self) -> Option<&[u32]> {
        self.phrase.as_deref()
    }

    /// True when nothing searchable remains after analysis.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return f.write_str("(no searchable words)");
        }
        if self.phrase.is_some() {
            return write!(f, "\"{}\"", self.terms.join(" "));
        }
        let sep = match self.operator {
            Operator::Or => " OR ",
            Operator::And => " AND ",
        };
        f.write_str(&self.terms.join(sep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_analyzes_and_dedupes() {
        let q = Query::parse(
            "Running, runs; RUN! Modi",
            &Analyzer::default(),
            Operator::Or,
        )
        .unwrap();
        assert_eq!(q.terms(), ["run", "modi"]);
        assert_eq!(q.to_string(), "run OR modi");
        let q = Query::parse("putin modi", &Analyzer::default(), Operator::And).unwrap();
        assert_eq!(q.to_string(), "putin AND modi");
    }

    #[test]
    fn punctuation_only_is_empty() {
        let q = Query::parse("  ?!—", &Analyzer::default(), Operator::Or).unwrap();
        assert!(q.is_empty());
        assert_eq!(q.to_string(), "(no searchable words)");
    }

    #[test]
    fn quotes_make_a_phrase_with_relative_positions() {
        let a = Analyzer::default();
        let q = Query::parse(" \"The cats, the cats\" ", &a, Operator::Or).unwrap();
        assert_eq!(q.terms(), ["the", "cat", "the", "cat"]);
        assert_eq!(q.phrase_offsets(), Some(&[0, 1, 2, 3][..]));
        assert_eq!(q.to_string(), "\"the cat the cat\"");
        // A word of 40+ bytes is dropped but keeps its position.
        let long = "x".repeat(45);
        let q = Query::parse(&format!("\"new {long} york\""), &a, Operator::Or).unwrap();
        assert_eq!(q.phrase_offsets(), Some(&[0, 2][..]));
        // One word in quotes is a term query.
        let q = Query::parse("\"Cats\"", &a, Operator::Or).unwrap();
        assert_eq!(
            (q.terms(), q.phrase_offsets()),
            (&["cat".to_string()][..], None)
        );
    }

    #[test]
    fn bad_quotes_are_errors_that_say_why() {
        let a = Analyzer::default();
        for text in ["\"new york", "\"new york\" city", "\"a\" \"b\""] {
            let err = Query::parse(text, &a, Operator::Or).unwrap_err();
            assert!(matches!(err, Error::InvalidQuery(_)), "{text}: {err}");
        }
    }
}
