//! The analyzed query tree: what evaluation runs.
//!
//! The parser ([`super::parse`]) reads text into a syntax tree of words as
//! typed; [`super::analyze`] turns that into this tree, whose leaves hold
//! index terms (analyzed, stemmed). Programs may also build it directly.

use std::fmt;

use crate::schema::Field;

/// The fields a leaf searches (a set of [`Field`]s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fields(u8);

impl Fields {
    /// Every field: the default scope of a leaf.
    pub const ALL: Fields = Fields(0b11);

    /// One field.
    pub fn only(field: Field) -> Fields {
        Fields(1 << field.id())
    }

    /// True when `field` is searched.
    pub fn contains(self, field: Field) -> bool {
        self.0 & (1 << field.id()) != 0
    }

    /// The searched fields, in [`Field::ALL`] order (the order their scores are summed in).
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |&f| self.contains(f))
    }

    fn prefix(self) -> Option<&'static str> {
        if self == Fields::ALL {
            None
        } else {
            self.iter().next().map(Field::name)
        }
    }
}

/// How a prefix or fuzzy leaf matches the words of the documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpansionKind {
    /// Words that start with the pattern (`gov*`).
    Prefix,
    /// Words within this many edits of the pattern (`goverment~1`;
    /// Damerau–Levenshtein: a transposition of neighbours is one edit).
    Fuzzy(u8),
}

/// One index term, in some fields.
#[derive(Clone, Debug, PartialEq)]
pub struct TermQuery {
    /// The analyzed term.
    pub term: String,
    /// Where to look for it.
    pub fields: Fields,
    /// Score multiplier.
    pub boost: f64,
}

/// Terms at given relative positions, within `slop` moves.
#[derive(Clone, Debug, PartialEq)]
pub struct PhraseQuery {
    /// Each analyzed term and its position relative to the first (gaps
    /// stand for words the analyzer dropped).
    pub terms: Vec<(String, u32)>,
    /// How many moves a match may need to bring its words into the written
    /// order (0: exactly as written; see ARCHITECTURE.md, "Phrases").
    pub slop: u32,
    /// Where to look for it.
    pub fields: Fields,
    /// Score multiplier.
    pub boost: f64,
}

/// A prefix or fuzzy pattern, matched against the words as written in the
/// documents and expanded, when evaluated, into the index terms of the
/// matching words.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpansionQuery {
    /// Prefix or fuzzy.
    pub kind: ExpansionKind,
    /// The pattern, lower-cased as the analyzer lower-cases words.
    pub pattern: String,
    /// Where to look for it.
    pub fields: Fields,
    /// Score multiplier.
    pub boost: f64,
}

/// Clauses that must, may, and must not match.
///
/// A document matches when it matches every `must` clause and no
/// `must_not` clause, and, when `must` is empty, at least one `should`
/// clause. Its score is the sum of its `must` clauses' scores, in order,
/// then of the `should` clauses it matches, in order; `boost` multiplies
/// every leaf below.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct BoolQuery {
    /// Required clauses.
    pub must: Vec<Query>,
    /// Optional clauses: they add to the score.
    pub should: Vec<Query>,
    /// Excluded clauses: a document matching any is dropped.
    pub must_not: Vec<Query>,
    /// Score multiplier.
    pub boost: f64,
}

/// An analyzed query.
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    /// One term.
    Term(TermQuery),
    /// A phrase.
    Phrase(PhraseQuery),
    /// A prefix or fuzzy pattern.
    Expansion(ExpansionQuery),
    /// A boolean combination (with no clauses: matches nothing).
    Bool(BoolQuery),
}

/// How the words of a query combine when no operator says otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Operator {
    /// A document matches when it contains any of the words.
    #[default]
    Or,
    /// A document matches only when it contains every word (in any field).
    And,
}

impl Query {
    /// The query that matches nothing.
    pub fn empty() -> Query {
        Query::Bool(BoolQuery {
            boost: 1.0,
            ..BoolQuery::default()
        })
    }

    /// A query of the given terms, in every field (duplicates removed,
    /// order kept), combined by `operator`.
    pub fn from_terms<S: Into<String>>(
        terms: impl IntoIterator<Item = S>,
        operator: Operator,
    ) -> Query {
        let mut seen = std::collections::HashSet::new();
        let leaves: Vec<Query> = terms
            .into_iter()
            .map(Into::into)
            .filter(|t: &String| seen.insert(t.clone()))
            .map(|term| {
                Query::Term(TermQuery {
                    term,
                    fields: Fields::ALL,
                    boost: 1.0,
                })
            })
            .collect();
        let mut b = BoolQuery {
            boost: 1.0,
            ..BoolQuery::default()
        };
        match operator {
            Operator::Or => b.should = leaves,
            Operator::And => b.must = leaves,
        }
        Query::Bool(b)
    }

    /// A phrase of analyzed terms at the given positions (increasing),
    /// in every field, exact (slop 0). One term is a term query.
    pub fn phrase<S: Into<String>>(tokens: impl IntoIterator<Item = (S, u32)>) -> Query {
        let tokens: Vec<(String, u32)> = tokens.into_iter().map(|(t, p)| (t.into(), p)).collect();
        phrase_or_term(tokens, 0, Fields::ALL, 1.0)
    }

    /// The terms whose matches a snippet should mark: every term of a leaf
    /// that is not under an exclusion (expansions contribute none; see
    /// [`crate::SearchResults::expansions`] for theirs).
    pub fn positive_terms(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_terms(&mut out);
        out
    }

    fn collect_terms(&self, out: &mut Vec<String>) {
        let mut add = |t: &String| {
            if !out.contains(t) {
                out.push(t.clone());
            }
        };
        match self {
            Query::Term(t) => add(&t.term),
            Query::Phrase(p) => p.terms.iter().for_each(|(t, _)| add(t)),
            Query::Expansion(_) => {}
            Query::Bool(b) => {
                for q in b.must.iter().chain(&b.should) {
                    q.collect_terms(out);
                }
            }
        }
    }

    /// True when the query can match nothing (no clauses at all).
    pub fn is_empty(&self) -> bool {
        match self {
            Query::Bool(b) => {
                b.must.iter().all(Query::is_empty) && b.should.iter().all(Query::is_empty)
            }
            _ => false,
        }
    }
}

/// A phrase of one term is that term.
pub(crate) fn phrase_or_term(
    mut tokens: Vec<(String, u32)>,
    slop: u32,
    fields: Fields,
    boost: f64,
) -> Query {
    if tokens.len() == 1 {
        let (term, _) = tokens.pop().unwrap_or_default();
        return Query::Term(TermQuery {
            term,
            fields,
            boost,
        });
    }
    if tokens.is_empty() {
        return Query::empty();
    }
    let first = tokens[0].1;
    for t in &mut tokens {
        t.1 -= first;
    }
    Query::Phrase(PhraseQuery {
        terms: tokens,
        slop,
        fields,
        boost,
    })
}

/// Writes `text` escaping the characters the parser treats as syntax.
fn write_escaped(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '"' | '(' | ')' | ':' | '^' | '~' | '*' | '+' | '-' | ' ' | '“' | '”'
        ) {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    Ok(())
}

fn write_leaf_end(f: &mut fmt::Formatter<'_>, boost: f64) -> fmt::Result {
    if boost != 1.0 {
        write!(f, "^{boost}")?;
    }
    Ok(())
}

fn write_fields(f: &mut fmt::Formatter<'_>, fields: Fields) -> fmt::Result {
    if let Some(name) = fields.prefix() {
        write!(f, "{name}:")?;
    }
    Ok(())
}

impl fmt::Display for Query {
    /// The query in query syntax, with analyzed terms, Lucene-style:
    /// `+required -excluded optional`, nested clauses in parentheses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("(no searchable words)");
        }
        self.write(f, true)
    }
}

impl Query {
    fn write(&self, f: &mut fmt::Formatter<'_>, top: bool) -> fmt::Result {
        match self {
            Query::Term(t) => {
                write_fields(f, t.fields)?;
                write_escaped(f, &t.term)?;
                write_leaf_end(f, t.boost)
            }
            Query::Phrase(p) => {
                write_fields(f, p.fields)?;
                f.write_str("\"")?;
                for (i, (t, _)) in p.terms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write_escaped(f, t)?;
                }
                f.write_str("\"")?;
                if p.slop > 0 {
                    write!(f, "~{}", p.slop)?;
                }
                write_leaf_end(f, p.boost)
            }
            Query::Expansion(e) => {
                write_fields(f, e.fields)?;
                write_escaped(f, &e.pattern)?;
                match e.kind {
                    ExpansionKind::Prefix => f.write_str("*")?,
                    ExpansionKind::Fuzzy(d) => write!(f, "~{d}")?,
                }
                write_leaf_end(f, e.boost)
            }
            Query::Bool(b) => {
                let parens = !top || b.boost != 1.0;
                if parens {
                    f.write_str("(")?;
                }
                let mut first = true;
                let clauses = b
                    .must
                    .iter()
                    .map(|q| ("+", q))
                    .chain(b.should.iter().map(|q| ("", q)))
                    .chain(b.must_not.iter().map(|q| ("-", q)));
                for (sign, q) in clauses {
                    if !first {
                        f.write_str(" ")?;
                    }
                    first = false;
                    f.write_str(sign)?;
                    q.write(f, false)?;
                }
                if parens {
                    f.write_str(")")?;
                }
                write_leaf_end(f, b.boost)
            }
        }
    }
}
