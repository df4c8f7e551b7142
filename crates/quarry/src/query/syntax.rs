//! The syntax tree of the query language: what [`parse`](super::parse)
//! returns, before any analysis or index lookup.
//!
//! [`Expr`]'s `Display` prints the canonical form of a tree. Parsing that
//! form with the default options ([`DefaultOperator::Or`](super::DefaultOperator))
//! gives back an equal tree, spans aside.

use std::fmt::{self, Display};

/// A range of byte offsets into the query text, `start..end`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A query that does not follow the query language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, in the user's terms, and how to write it instead.
    pub message: String,
    /// The offending bytes of the query text.
    pub span: Span,
}

impl SyntaxError {
    /// An error with this message about these bytes.
    pub fn new(message: impl Into<String>, span: Span) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            span,
        }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.span.start)
    }
}

impl std::error::Error for SyntaxError {}

/// How a clause of a [`Expr::Bool`] takes part in matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Occur {
    /// The clause must match (`+x`, or an operand of `AND`).
    Must,
    /// The clause may match and adds to the score (`x`, or an operand of `OR`).
    Should,
    /// The clause must not match (`-x`, `NOT x`).
    MustNot,
}

/// A field a leaf can be restricted to (`title:` or `body:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldName {
    /// The document title.
    Title,
    /// The document body.
    Body,
}

impl FieldName {
    /// The name as written in queries: `title` or `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldName::Title => "title",
            FieldName::Body => "body",
        }
    }

    /// The field called `name` (case-sensitive), if any.
    pub fn from_name(name: &str) -> Option<FieldName> {
        match name {
            "title" => Some(FieldName::Title),
            "body" => Some(FieldName::Body),
            _ => None,
        }
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A query expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// One thing to search for.
    Leaf(Leaf),
    /// Clauses combined by their [`Occur`]. With no clauses (the empty
    /// query) it matches nothing.
    Bool {
        /// The clauses, in the order written.
        clauses: Vec<(Occur, Expr)>,
        /// A score multiplier for the whole group (`(a b)^2`).
        boost: Option<f64>,
        /// Where the group is written.
        span: Span,
    },
}

impl Expr {
    /// Where the expression is written in the query text.
    pub fn span(&self) -> Span {
        match self {
            Expr::Leaf(leaf) => leaf.span,
            Expr::Bool { span, .. } => *span,
        }
    }
}

/// One thing to search for, optionally in one field and boosted.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaf {
    /// What to search for.
    pub kind: LeafKind,
    /// The field to search, or `None` for every field.
    pub field: Option<FieldName>,
    /// A score multiplier (`w^2`).
    pub boost: Option<f64>,
    /// Where the leaf is written, field and modifiers included.
    pub span: Span,
}

/// What a [`Leaf`] searches for. Texts are unescaped but not analyzed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafKind {
    /// A word as typed; it may hold punctuation (`e-mail`).
    Word(String),
    /// The inner text of `"..."`, words to find in order. `slop` is how
    /// many moves the words may be out of place (`"a b"~2`).
    Phrase {
        /// The text between the quotes.
        text: String,
        /// The allowed slop, 0 for an exact phrase.
        slop: u32,
    },
    /// Words starting with this (non-empty) text: `clim*`.
    Prefix(String),
    /// Words within `distance` edits of `word`: `word~1`.
    Fuzzy {
        /// The word as typed.
        word: String,
        /// The maximum edit distance, 0 to 2.
        distance: u8,
    },
}

/// Characters that a word must escape with `\` wherever they are.
pub(crate) fn is_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '"'
            | '\u{201C}'
            | '\u{201D}'
            | '('
            | ')'
            | ':'
            | '^'
            | '~'
            | '*'
            | '?'
            | '['
            | ']'
            | '{'
            | '}'
    ) || c.is_whitespace()
}

/// Whether a word is written with a leading `\`: it would otherwise be an
/// operator (`AND`, `&&`, …) or start with one (`-`, `!`), or start a
/// regular expression (`/`).
fn needs_leading_escape(word: &str) -> bool {
    matches!(word, "AND" | "OR" | "NOT" | "&&" | "||") || word.starts_with(['+', '-', '!', '/'])
}

fn write_word(f: &mut fmt::Formatter<'_>, word: &str) -> fmt::Result {
    if needs_leading_escape(word) {
        f.write_str("\\")?;
    }
    for c in word.chars() {
        if is_special(c) {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    Ok(())
}

fn write_phrase(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        if matches!(c, '\\' | '"' | '\u{201C}' | '\u{201D}') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

fn write_boost(f: &mut fmt::Formatter<'_>, boost: Option<f64>) -> fmt::Result {
    match boost {
        Some(b) => write!(f, "^{b}"),
        None => Ok(()),
    }
}

impl fmt::Display for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = self.field {
            write!(f, "{field}:")?;
        }
        match &self.kind {
            LeafKind::Word(w) => write_word(f, w)?,
            LeafKind::Phrase { text, slop } => {
                write_phrase(f, text)?;
                if *slop > 0 {
                    write!(f, "~{slop}")?;
                }
            }
            LeafKind::Prefix(p) => {
                write_word(f, p)?;
                f.write_str("*")?;
            }
            LeafKind::Fuzzy { word, distance } => {
                write_word(f, word)?;
                write!(f, "~{distance}")?;
            }
        }
        write_boost(f, self.boost)
    }
}

/// Prints the canonical query syntax: clauses as `+x`, `-x` and `x`
/// separated by spaces, nested groups in parentheses. It re-parses, with
/// [`DefaultOperator::Or`](super::DefaultOperator::Or), to an equal tree.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Leaf(leaf) => leaf.fmt(f),
            Expr::Bool { boost: None, .. } => self.write_clauses(f),
            Expr::Bool { boost, .. } => {
                f.write_str("(")?;
                self.write_clauses(f)?;
                f.write_str(")")?;
                write_boost(f, *boost)
            }
        }
    }
}

impl Expr {
    fn write_clauses(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Expr::Bool { clauses, .. } = self else {
            return self.fmt(f);
        };
        for (i, (occur, expr)) in clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(match occur {
                Occur::Must => "+",
                Occur::Should => "",
                Occur::MustNot => "-",
            })?;
            match expr {
                Expr::Leaf(leaf) => leaf.fmt(f)?,
                Expr::Bool { boost: None, .. } => {
                    f.write_str("(")?;
                    expr.write_clauses(f)?;
                    f.write_str(")")?;
                }
                Expr::Bool { .. } => expr.fmt(f)?,
            }
        }
        Ok(())
    }
}
