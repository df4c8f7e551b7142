//! Expansions: a prefix or fuzzy pattern becomes the index terms of the
//! document words it matches (words as written, lower-cased, from the
//! SURFACE dictionary), each analyzed as the indexer analyzed it.

use std::collections::HashSet;

use crate::error::Result;
use crate::index::Index;
use crate::query::{ExpansionKind, ExpansionQuery, Query};
use crate::search::Expansion;
use crate::surface::SurfaceMatches;

impl Index {
    /// The words and index terms `pattern` matches, at most `limit` words
    /// (the most frequent).
    pub(crate) fn expand(&self, pattern: &ExpansionQuery, limit: usize) -> Result<Expansion> {
        let matches = self.surface_matches(pattern, limit)?;
        Ok(self.expansion_of(pattern, matches))
    }

    /// The surface forms `pattern` matches, at most `limit` (the most
    /// frequent).
    pub(crate) fn surface_matches(
        &self,
        pattern: &ExpansionQuery,
        limit: usize,
    ) -> Result<SurfaceMatches> {
        match pattern.kind {
            ExpansionKind::Prefix => self.surface_prefix(&pattern.pattern, limit),
            ExpansionKind::Fuzzy(d) => self.surface_fuzzy(&pattern.pattern, d, limit),
        }
    }

    /// The expansion of `pattern` into the index terms of `matches`.
    pub(crate) fn expansion_of(
        &self,
        pattern: &ExpansionQuery,
        matches: SurfaceMatches,
    ) -> Expansion {
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
        Expansion {
            pattern: Query::Expansion(shown).to_string(),
            kind: pattern.kind,
            words,
            terms,
            matched: matches.total,
        }
    }
}
