//! The query language: text → syntax tree ([`parse`]) → analyzed query
//! ([`Query`], via [`analyze`]) → evaluation (the engine's `eval` module).
//!
//! The syntax is the common Lucene / tantivy one: words, `+required`,
//! `-excluded`, `AND`, `OR`, `NOT`, parentheses, `"phrases"~slop`,
//! `field:`, `^boost`, `prefix*`, `fuzzy~N`, backslash escapes; README.md
//! documents it for users. [`parse`] never panics and reports every
//! malformed query as a [`SyntaxError`] with the byte span at fault.

mod analyze;
mod lexer;
mod parser;
pub mod syntax;
mod tree;

pub use analyze::analyze;
pub use parser::{parse, DefaultOperator, ParseOptions};
pub use syntax::*;
pub use tree::{
    BoolQuery, ExpansionKind, ExpansionQuery, Fields, Operator, PhraseQuery, Query, TermQuery,
};

use crate::analysis::Analyzer;
use crate::error::{Error, Result};

impl Query {
    /// Parses and analyzes `text` in the query language, `operator`
    /// joining words that no operator joins.
    ///
    /// # Errors
    /// [`Error::QuerySyntax`] for malformed text, naming the problem and
    /// where it is.
    pub fn parse(text: &str, analyzer: &Analyzer, operator: Operator) -> Result<Query> {
        Query::parse_with(text, analyzer, operator, false)
    }

    /// [`Query::parse`], or with `literal` the text as plain words (no
    /// syntax at all: for pasted text).
    ///
    /// # Errors
    /// [`Error::QuerySyntax`] for malformed text (never in literal mode).
    pub fn parse_with(
        text: &str,
        analyzer: &Analyzer,
        operator: Operator,
        literal: bool,
    ) -> Result<Query> {
        let options = ParseOptions {
            default_operator: match operator {
                Operator::Or => DefaultOperator::Or,
                Operator::And => DefaultOperator::And,
            },
            literal,
        };
        let expr = parse(text, &options).map_err(Error::QuerySyntax)?;
        Ok(analyze(&expr, analyzer))
    }
}

#[cfg(test)]
mod tests;
