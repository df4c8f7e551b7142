//! Planning prefix and fuzzy patterns: each is expanded once per query
//! (or taken from its index set), and its terms become one scorer each or,
//! when many, one windowed max.

use crate::error::Result;
use crate::limits::{within, Limit};
use crate::query::{ExpansionQuery, Query};
use crate::search::Expansion;

use super::plan::Planner;
use super::scorer::BoxScorer;
use super::term::TermScorer;
use super::windowed::{Windowed, WINDOWED_FROM};

impl<'a> Planner<'a, '_> {
    /// One scorer per index term of the expansion's words (each summed over
    /// the fields), recording the expansion.
    pub(super) fn expansion_children(
        &mut self,
        e: &ExpansionQuery,
        boost: f64,
    ) -> Result<Vec<BoxScorer<'a>>> {
        let terms = self.resolve(e)?;
        self.term_children(&terms, e, boost)
    }

    /// The index terms of an expansion, its report recorded.
    pub(super) fn resolve(&mut self, e: &ExpansionQuery) -> Result<Vec<String>> {
        let expansion = self.expand(e)?;
        let terms = expansion.terms.clone();
        self.expansions.push(expansion);
        Ok(terms)
    }

    /// The expansion of `e`, walked once per pattern (a flat plan that
    /// gives up leaves it to the tree planner).
    pub(super) fn expand(&mut self, e: &ExpansionQuery) -> Result<Expansion> {
        // Expansions look many terms up, in runs of shared prefixes.
        self.paths.get_mut().get_or_insert_with(Box::default);
        let done = self
            .expanded
            .iter()
            .find(|(k, p, _)| *k == e.kind && *p == e.pattern);
        if let Some((_, _, x)) = done {
            return Ok(x.clone());
        }
        let x = match self.globals.and_then(|g| g.expansion(e)) {
            Some(x) => x.clone(),
            None => self.index.expand(e, self.options.max_expansions)?,
        };
        self.expanded.push((e.kind, e.pattern.clone(), x.clone()));
        // Refused before any evaluation: planning precedes it.
        let terms = self.expanded.iter().map(|(_, _, x)| x.terms.len()).sum();
        let max = self.options.limits.max_expansion_terms;
        within(Limit::ExpansionTerms, terms, max)?;
        Ok(x)
    }

    /// One scorer per term (each summed over the fields).
    pub(super) fn term_children(
        &mut self,
        terms: &[String],
        e: &ExpansionQuery,
        boost: f64,
    ) -> Result<Vec<BoxScorer<'a>>> {
        let mut out = Vec::with_capacity(terms.len());
        for term in terms {
            let leaf = Query::Term(crate::query::TermQuery {
                term: term.clone(),
                fields: e.fields,
                boost: e.boost,
            });
            if let Some(s) = self.scorer(&leaf, boost)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// The best of an expansion's terms as one scorer (`None`: no term is
    /// in the index): many terms are gathered a window at a time straight
    /// from their (term, field) cursors.
    pub(super) fn expansion_max(
        &mut self,
        e: &ExpansionQuery,
        boost: f64,
    ) -> Result<Option<BoxScorer<'a>>> {
        let terms = self.resolve(e)?;
        self.max_of_terms(&terms, e, boost)
    }

    /// The best of `terms` (of expansion `e`) as one scorer.
    pub(super) fn max_of_terms(
        &mut self,
        terms: &[String],
        e: &ExpansionQuery,
        boost: f64,
    ) -> Result<Option<BoxScorer<'a>>> {
        if terms.len() < WINDOWED_FROM || self.explaining {
            let mut children = self.term_children(terms, e, boost)?;
            return Ok(match children.len() {
                0 => None,
                1 => children.pop(),
                _ => Some(self.max(children)),
            });
        }
        Ok(self
            .windowed_max(terms, e, boost)?
            .map(|w| Box::new(w) as BoxScorer<'a>))
    }

    /// The best of `terms` (of expansion `e`) gathered a window at a time
    /// straight from their (term, field) cursors.
    pub(super) fn windowed_max(
        &mut self,
        terms: &[String],
        e: &ExpansionQuery,
        boost: f64,
    ) -> Result<Option<Windowed<'a>>> {
        // Looked up field by field in key order, where each lookup resumes
        // along the last one's dictionary path; kept in the terms' order.
        let mut by_key: Vec<usize> = (0..terms.len()).collect();
        by_key.sort_by(|&a, &b| terms[a].cmp(&terms[b]));
        let mut found: Vec<Vec<TermScorer<'a>>> = (0..terms.len()).map(|_| Vec::new()).collect();
        for field in e.fields.iter() {
            for &t in &by_key {
                if let Some(s) = self.term_leaf_along(&terms[t], field, boost * e.boost)? {
                    found[t].push(s);
                }
            }
        }
        let per_term: Vec<Vec<TermScorer<'a>>> =
            found.into_iter().filter(|f| !f.is_empty()).collect();
        Ok(
            (!per_term.is_empty())
                .then(|| Windowed::max_of_terms(per_term, self.index.doc_count())),
        )
    }
}
