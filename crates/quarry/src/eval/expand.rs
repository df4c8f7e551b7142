//! Expansions: a prefix or fuzzy pattern becomes the index terms of the
//! document words it matches (words as written, lower-cased, from the
//! SURFACE dictionary), each analyzed as the indexer analyzed it.

use std::collections::HashSet;

use crate::error::Result;
use crate::index::Index;
use crate::query::{ExpansionKind, ExpansionQuery, Query};
use crate::search::Expansion;

impl Index {
    /// The words and index terms `pattern` matches, at most `limit` words
    /// (the most frequent).
    pub(crate) fn expand(&self, pattern: &ExpansionQuery, limit: usize) -> Result<Expansion> {
        let matches = match pattern.kind {
            ExpansionKind::Prefix => self.surface_prefix(&pattern.pattern, limit)?,
            ExpansionKind::Fuzzy(d) => self.surface_fuzzy(&pattern.pattern, d, limit)?,
        };
        let mut terms: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut words = Vec::with_capacity(matches.words.len());
        for w in matches.words {
            self.analyzer().for_each_token(&w.word, |t| {
                if !seen.contains(t.term.as_ref()) {
                    seen.insert(t.term.to_string());
                    terms.push(t.term.into_owned());
                }
            });
            words.push(w.word);
        }
        let mut shown = pattern.clone();
        shown.boost = 1.0;
        Ok(Expansion {
            pattern: Query::Expansion(shown).to_string(),
            kind: pattern.kind,
            words,
            terms,
            matched: matches.total,
        })
    }
}
