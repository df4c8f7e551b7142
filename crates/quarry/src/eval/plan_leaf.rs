//! The planner's leaves: one (term, field) scorer, with its BM25 weight
//! from the index's or its set's statistics, and one phrase matcher per
//! field.

use crate::bm25::{idf, TermWeight};
use crate::error::Result;
use crate::fieldnorm::FieldNorms;
use crate::index::TermLookup;
use crate::query::{PhraseQuery, Query};
use crate::schema::Field;

use super::phrase::{PhraseField, PhraseTerm};
use super::plan::Planner;
use super::scorer::LeafInfo;
use super::term::TermScorer;

impl<'a> Planner<'a, '_> {
    /// The index's term lookups, made once per query: each lookup then
    /// costs its dictionary walk and record only.
    pub(super) fn lookup(&self) -> Result<&TermLookup<'a>> {
        if let Some(l) = self.lookup.get() {
            return Ok(l);
        }
        let l = self.index.term_lookup()?;
        Ok(self.lookup.get_or_init(|| l))
    }

    /// The index's field lengths, made once per query.
    pub(super) fn norms(&self) -> Result<&FieldNorms<'a>> {
        if let Some(n) = self.norms.get() {
            return Ok(n);
        }
        let n = self.index.field_norms()?;
        Ok(self.norms.get_or_init(|| n))
    }

    /// One scorer per (term, field) the index holds, terms in query order,
    /// fields in [`Field::ALL`] order: the order scores are summed in.
    /// `TermScorer::term` is the leaf's index in `leaves` (all terms).
    pub(crate) fn term_scorers(&self, leaves: &[Query], boost: f64) -> Result<Vec<TermScorer<'a>>> {
        let mut out = Vec::with_capacity(leaves.len() * Field::ALL.len());
        for (t, leaf) in leaves.iter().enumerate() {
            let Query::Term(q) = leaf else { continue };
            for field in q.fields.iter() {
                if let Some((scorer, _)) =
                    self.term_leaf(&q.term, field, boost * q.boost, t, false)?
                {
                    out.push(scorer);
                }
            }
        }
        Ok(out)
    }

    /// The scorer of one (term, field), with what an explanation needs
    /// only when `explained` (the flat paths allocate nothing for it).
    pub(super) fn term_leaf(
        &self,
        term: &str,
        field: Field,
        boost: f64,
        t: usize,
        explained: bool,
    ) -> Result<Option<(TermScorer<'a>, Option<LeafInfo>)>> {
        let index = self.index;
        // Along the dictionary paths, once an expansion made them.
        let info = {
            let mut paths = self.paths.borrow_mut();
            let path = paths.as_mut().map(|p| &mut p[field as usize]);
            self.lookup()?.get(field, term, path)?
        };
        let Some(info) = info else {
            return Ok(None);
        };
        let boost = boost * self.options.boost(field);
        let (n, avg) = self.collection(field);
        let df = self.doc_freq(field, term, info.doc_freq)?;
        let idf = idf(n, df);
        let weight = TermWeight::new(self.options.bm25, boost, idf, avg);
        let scorer = TermScorer::new(
            index.postings_of(&info)?,
            self.norms()?.field(field),
            weight,
            t,
        );
        let leaf = explained.then(|| LeafInfo {
            term: term.to_string(),
            field,
            idf,
            doc_freq: df,
            doc_count: n,
            avg_len: avg,
            params: self.options.bm25,
            boost,
        });
        Ok(Some((scorer, leaf)))
    }

    /// [`Planner::term_leaf`] for one of a run of terms looked up in key
    /// order (an expansion's): the lookup resumes along the last one's
    /// dictionary path.
    pub(super) fn term_leaf_along(
        &self,
        term: &str,
        field: Field,
        boost: f64,
    ) -> Result<Option<TermScorer<'a>>> {
        self.paths.borrow_mut().get_or_insert_with(Box::default);
        Ok(self
            .term_leaf(term, field, boost, 0, false)?
            .map(|(s, _)| s))
    }

    /// The phrase matcher of each field that holds every term of the phrase.
    pub(crate) fn phrase_fields(
        &self,
        p: &PhraseQuery,
        boost: f64,
    ) -> Result<Vec<PhraseField<'a>>> {
        Ok(self
            .phrase_fields_with_info(p, boost, false)?
            .into_iter()
            .map(|(f, _)| f)
            .collect())
    }

    pub(super) fn phrase_fields_with_info(
        &self,
        p: &PhraseQuery,
        boost: f64,
        explained: bool,
    ) -> Result<Vec<(PhraseField<'a>, Option<LeafInfo>)>> {
        let index = self.index;
        let mut out = Vec::new();
        'fields: for field in p.fields.iter() {
            let mut terms = Vec::with_capacity(p.terms.len());
            let mut idf_sum = 0.0;
            let mut min_df = u32::MAX;
            let (n, avg) = self.collection(field);
            for (term, offset) in &p.terms {
                let Some(info) = self.lookup()?.get(field, term, None)? else {
                    continue 'fields;
                };
                let df = self.doc_freq(field, term, info.doc_freq)?;
                idf_sum += idf(n, df);
                min_df = min_df.min(df);
                let (positions, guard) = index.positions_guarded(&info)?;
                terms.push(PhraseTerm::new(
                    index.postings_of(&info)?,
                    *offset,
                    positions,
                    guard,
                ));
            }
            // Rarest first: it leads the intersection.
            terms.sort_by_key(|t| t.cursor.doc_freq());
            let boost = boost * p.boost * self.options.boost(field);
            let weight = TermWeight::new(self.options.bm25, boost, idf_sum, avg);
            let info = explained.then(|| LeafInfo {
                term: p
                    .terms
                    .iter()
                    .map(|t| t.0.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                field,
                idf: idf_sum,
                doc_freq: min_df,
                doc_count: n,
                avg_len: avg,
                params: self.options.bm25,
                boost,
            });
            out.push((
                PhraseField::new(terms, self.norms()?.field(field), weight),
                info,
            ));
        }
        Ok(out)
    }
}
