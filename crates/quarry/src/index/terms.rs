//! The term dictionary side of an open index: lookups of terms (one at a
//! time, or along a shared path for a run of them), their records, and
//! cursors over their postings and positions, every byte's page checked
//! before it is read.

use crate::error::Result;
use crate::format::SectionKind;
use crate::fst_check::{CheckedFst, LookupPath};
use crate::pages::PageGuard;
use crate::postings::PostingsCursor;
use crate::schema::{term_key, Field};
use crate::termdict::{TermInfo, TermInfoReader};

use super::Index;

impl Index {
    /// The term records, each record's pages checked before it is read.
    pub(crate) fn term_infos(&self) -> Result<TermInfoReader<'_>> {
        let guard = self.guard(SectionKind::TermInfo)?;
        TermInfoReader::with_guard(self.section(SectionKind::TermInfo), Some(guard))
            .ok_or_else(|| self.damage_error("the term record table does not fit its section"))
    }

    /// Dictionary entry of an analyzed `term` in `field`, if the field holds it.
    pub fn term_info(&self, field: Field, term: &str) -> Result<Option<TermInfo>> {
        self.term_lookup()?.get(field, term, None)
    }

    /// The dictionary and term records, ready for any number of lookups
    /// ([`TermLookup::get`]): a query's planner makes one, not one per term.
    pub(crate) fn term_lookup(&self) -> Result<TermLookup<'_>> {
        Ok(TermLookup {
            index: self,
            dict: self.checked_fst(SectionKind::TermDict)?,
            records: self.term_infos()?,
        })
    }

    /// A cursor over the postings of `info` (from [`Index::term_info`]).
    pub fn postings_of(&self, info: &TermInfo) -> Result<PostingsCursor<'_>> {
        let (bytes, guard) = self.guarded(SectionKind::Postings, info.postings, "postings")?;
        Ok(PostingsCursor::with_guard(
            bytes,
            info.doc_freq,
            Some(guard),
        ))
    }

    /// A term's bytes `range` of section `kind` (its `what`), with a guard
    /// over their pages for a reader that checks what it reads as it goes.
    fn guarded(
        &self,
        kind: SectionKind,
        range: (u64, u64),
        what: &str,
    ) -> Result<(&[u8], PageGuard<'_>)> {
        let outside = || self.corrupt(format!("a term's {what} lie outside the {what} section"));
        let (start, end) = usize::try_from(range.0)
            .ok()
            .zip(usize::try_from(range.1).ok())
            .filter(|&(s, e)| s <= e)
            .ok_or_else(outside)?;
        let bytes = self.section(kind).get(start..end).ok_or_else(outside)?;
        let guard = self
            .pages
            .guard(&self.data, &self.sections, kind, start)
            .map_err(|d| self.corrupt(d))?;
        Ok((bytes, guard))
    }

    /// The positions bytes of `info` (from [`Index::term_info`]), their
    /// pages checked.
    pub(crate) fn positions_of(&self, info: &TermInfo) -> Result<&[u8]> {
        usize::try_from(info.positions.0)
            .ok()
            .zip(usize::try_from(info.positions.1).ok())
            .filter(|&(s, e)| s <= e)
            .ok_or_else(|| self.corrupt("a term's positions lie outside the positions section"))
            .and_then(|(s, e)| self.checked_range(SectionKind::Positions, s, e))
    }

    /// The positions bytes of `info` with a guard over their pages, for a
    /// reader that reads only some of them (a phrase reads its
    /// candidates'): it checks each range before it reads it
    /// ([`crate::eval::phrase`]), rather than every page of the term's
    /// positions, as [`Index::positions_of`] does for a reader of them all.
    pub(crate) fn positions_guarded(&self, info: &TermInfo) -> Result<(&[u8], PageGuard<'_>)> {
        self.guarded(SectionKind::Positions, info.positions, "positions")
    }

    /// A cursor over the postings of an analyzed `term` in `field`, if the field holds it.
    pub fn postings(&self, field: Field, term: &str) -> Result<Option<PostingsCursor<'_>>> {
        match self.term_info(field, term)? {
            Some(info) => self.postings_of(&info).map(Some),
            None => Ok(None),
        }
    }

    /// Number of distinct terms per field, in [`Field::ALL`] order.
    ///
    /// Terms are numbered in key order and keys start with the field id, so
    /// the ordinal of the first body term is the number of title terms.
    pub fn term_counts(&self) -> Result<[u64; 2]> {
        let total = self.term_infos()?.len();
        let titles = self
            .checked_fst(SectionKind::TermDict)?
            .first_with_prefix(&[Field::Body.id()])
            .map_err(|d| self.corrupt(format!("term dictionary: {d}")))?
            .map_or(total, |ord| ord.min(total));
        Ok([titles, total - titles])
    }
}

/// Term lookups in one index: its checked dictionary and its term records,
/// each made once ([`Index::term_lookup`]).
#[derive(Clone, Copy)]
pub(crate) struct TermLookup<'a> {
    index: &'a Index,
    dict: CheckedFst<'a>,
    records: TermInfoReader<'a>,
}

impl TermLookup<'_> {
    /// The record of an analyzed `term` in `field`, if the field holds it.
    /// Given a `path` (kept for this index's dictionary only), the lookup
    /// resumes along it where its key parts from the last one's, so terms
    /// looked up in key order cost a few dictionary nodes each.
    pub(crate) fn get(
        &self,
        field: Field,
        term: &str,
        path: Option<&mut LookupPath>,
    ) -> Result<Option<TermInfo>> {
        let index = self.index;
        let key = term_key(field, term);
        let found = match path {
            Some(path) => self.dict.get_along(&key, path),
            None => self.dict.get(&key),
        }
        .map_err(|d| index.damage_error(&format!("term dictionary: {d}")))?;
        let Some(ord) = found else {
            return Ok(None);
        };
        self.records
            .get(ord)
            .map(Some)
            .ok_or_else(|| index.damage_error(&format!("term ordinal {ord} has no valid record")))
    }
}
