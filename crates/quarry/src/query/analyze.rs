//! From the syntax tree (words as typed) to the analyzed query tree (index
//! terms): each word is analyzed exactly as the indexer analyzes fields.
//!
//! - A word becomes a term; a word the analyzer splits (`e-mail`,
//!   `U.S.A`) becomes an exact phrase of its parts; a word with nothing
//!   searchable (`?!`) is dropped from its clause.
//! - A phrase's words keep their relative positions (a dropped over-long
//!   word leaves a gap).
//! - Prefix and fuzzy patterns are lower-cased and kept as patterns: they
//!   are matched against the words of the documents when evaluated.
//!   `w~0` is the word itself.
//! - Boolean groups map clause by clause; a group left with no clause
//!   after analysis disappears.

use std::collections::HashSet;

use crate::analysis::Analyzer;
use crate::schema::Field;

use super::syntax::{Expr, FieldName, Leaf, LeafKind, Occur};
use super::tree::{phrase_or_term, BoolQuery, ExpansionKind, ExpansionQuery, Fields, Query};

/// The analyzed query of a syntax tree.
pub fn analyze(expr: &Expr, analyzer: &Analyzer) -> Query {
    analyze_expr(expr, analyzer).unwrap_or_else(Query::empty)
}

fn analyze_expr(expr: &Expr, analyzer: &Analyzer) -> Option<Query> {
    match expr {
        Expr::Leaf(leaf) => analyze_leaf(leaf, analyzer),
        Expr::Bool { clauses, boost, .. } => {
            let mut b = BoolQuery {
                boost: boost.unwrap_or(1.0),
                ..BoolQuery::default()
            };
            // Clauses seen, per list, by their full form (a set: a pasted
            // text of 10,000 words must not compare each with all others).
            let mut seen: [HashSet<String>; 3] = Default::default();
            for (occur, child) in clauses {
                let Some(q) = analyze_expr(child, analyzer) else {
                    continue;
                };
                let (list, seen) = match occur {
                    Occur::Must => (&mut b.must, &mut seen[0]),
                    Occur::Should => (&mut b.should, &mut seen[1]),
                    Occur::MustNot => (&mut b.must_not, &mut seen[2]),
                };
                // A repeated word counts once, as if written once. (Parsed
                // boosts are finite and positive, so equal forms are equal
                // clauses.)
                // Short lists (what people type) are searched; past 32
                // clauses the set takes over, filled once from the list.
                let duplicate = if list.len() < 32 {
                    list.contains(&q)
                } else {
                    if seen.is_empty() {
                        seen.extend(list.iter().map(|c| format!("{c:?}")));
                    }
                    !seen.insert(format!("{q:?}"))
                };
                if !duplicate {
                    list.push(q);
                }
            }
            if b.must.is_empty() && b.should.is_empty() {
                return None;
            }
            // One positive clause, nothing else: that clause (with the boost).
            if b.must_not.is_empty() && b.must.len() + b.should.len() == 1 && b.boost == 1.0 {
                return b.must.pop().or_else(|| b.should.pop());
            }
            Some(Query::Bool(b))
        }
    }
}

fn fields_of(field: Option<FieldName>) -> Fields {
    match field {
        None => Fields::ALL,
        Some(FieldName::Title) => Fields::only(Field::Title),
        Some(FieldName::Body) => Fields::only(Field::Body),
    }
}

fn tokens(text: &str, analyzer: &Analyzer) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    analyzer.for_each_token(text, |t| out.push((t.term.into_owned(), t.position)));
    out
}

/// Lower-cases a pattern as the analyzer lower-cases words.
fn lowercase(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

fn analyze_leaf(leaf: &Leaf, analyzer: &Analyzer) -> Option<Query> {
    let fields = fields_of(leaf.field);
    let boost = leaf.boost.unwrap_or(1.0);
    let phrase = |text: &str, slop: u32| {
        let t = tokens(text, analyzer);
        (!t.is_empty()).then(|| phrase_or_term(t, slop, fields, boost))
    };
    match &leaf.kind {
        LeafKind::Word(w) => phrase(w, 0),
        LeafKind::Phrase { text, slop } => phrase(text, *slop),
        LeafKind::Fuzzy { word, distance: 0 } => phrase(word, 0),
        LeafKind::Prefix(p) => Some(Query::Expansion(ExpansionQuery {
            kind: ExpansionKind::Prefix,
            pattern: lowercase(p),
            fields,
            boost,
        })),
        LeafKind::Fuzzy { word, distance } => Some(Query::Expansion(ExpansionQuery {
            kind: ExpansionKind::Fuzzy(*distance),
            pattern: lowercase(word),
            fields,
            boost,
        })),
    }
}
