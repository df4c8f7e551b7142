//! Query parsing. Version 1 of the query language is a list of words,
//! combined by a default operator; the parser is its own module so that the
//! language can grow (phrases, fields, boosts) without touching evaluation.

use std::fmt;

use crate::analysis::Analyzer;

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
    operator: Operator,
}

impl Query {
    /// Parses `text` with the index's analyzer. Words are analyzed exactly as
    /// documents were; a word repeated (or stemming to the same term) counts once.
    pub fn parse(text: &str, analyzer: &Analyzer, operator: Operator) -> Query {
        let mut terms: Vec<String> = Vec::new();
        analyzer.for_each_token(text, |t| terms.push(t.term.into_owned()));
        Query::from_terms(terms, operator)
    }

    /// A query over already analyzed terms (duplicates are removed).
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
        }
    }

    /// The distinct analyzed terms.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// How the terms combine.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// True when the text held no searchable word.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Shows what was understood, e.g. `putin OR modi`.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return f.write_str("(no searchable words)");
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
        );
        assert_eq!(q.terms(), ["run", "modi"]);
        assert_eq!(q.to_string(), "run OR modi");
        let q = Query::parse("putin modi", &Analyzer::default(), Operator::And);
        assert_eq!(q.to_string(), "putin AND modi");
    }

    #[test]
    fn punctuation_only_is_empty() {
        let q = Query::parse("  ?!—", &Analyzer::default(), Operator::Or);
        assert!(q.is_empty());
        assert_eq!(q.to_string(), "(no searchable words)");
    }
}
