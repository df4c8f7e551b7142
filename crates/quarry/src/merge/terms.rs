//! The members' dictionaries walked together, each term's postings merged
//! in the new document order and encoded again.

use std::io::{BufWriter, Seek, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use fst::{IntoStreamer, Streamer};

use super::plan::Run;
use super::{fst_error, MergeError, Releaser};
use crate::fieldnorm::FieldLengths;
use crate::format::SectionKind;
use crate::index::Index;
use crate::postings::{PostingsCursor, TermEncoder, TERMINATED};
use crate::schema::Field;
use crate::sections::SectionWriter;
use crate::termdict::TermInfoWriter;

/// A walk of the members' dictionaries together, in key order.
pub(super) struct TermsMerge<'a> {
    pub(super) members: &'a [&'a Index],
    /// By member: where its documents go.
    pub(super) runs: &'a [Vec<Run>],
    pub(super) avg_len: [f64; 2],
    pub(super) stop: &'a AtomicBool,
}

impl TermsMerge<'_> {
    /// Writes TERMDICT to `out` (it must be the current section), and
    /// POSTINGS and POSITIONS to the two files; returns TERMINFO and them.
    /// A term none of whose documents is kept is left out.
    pub(super) fn run<W: Write + Seek, S: Write>(
        &self,
        out: &mut SectionWriter<W>,
        postings: S,
        positions: S,
    ) -> Result<(Vec<u8>, S, S), MergeError> {
        let members = self.members;
        let mut maps = Vec::with_capacity(members.len());
        for (m, runs) in members.iter().zip(self.runs) {
            // A member none of whose documents is kept adds no term.
            if !runs.is_empty() {
                maps.push(m.dict()?);
                // Checking the dictionary's checksum read all of it: with
                // hundreds of members those pages would add up before the
                // first release below.
                m.release_pages();
            }
        }
        let taken: Vec<usize> = (0..members.len())
            .filter(|&i| !self.runs[i].is_empty())
            .collect();
        let mut op = fst::map::OpBuilder::new();
        for map in &maps {
            op = op.add(map.stream());
        }
        let mut union = op.union().into_stream();
        out.begin(SectionKind::TermDict);
        let mut dict = fst::MapBuilder::new(BufWriter::with_capacity(1 << 16, &mut *out))
            .map_err(fst_error)?;
        let mut postings = BufWriter::with_capacity(1 << 20, postings);
        let mut positions = BufWriter::with_capacity(1 << 20, positions);
        let mut infos = TermInfoWriter::new();
        let mut encoders = self.avg_len.map(TermEncoder::new);
        let (mut postings_len, mut positions_len) = (0u64, 0u64);
        let mut parts = Vec::new();
        let mut buf = Vec::new();
        let mut ord = 0u64;
        let mut releaser = Releaser::new(members);
        while let Some((key, values)) = union.next() {
            if self.stop.load(Ordering::Relaxed) {
                return Err(MergeError::Interrupted);
            }
            let first = members[taken[values[0].index]];
            let field = key
                .first()
                .and_then(|&id| Field::ALL.iter().position(|f| f.id() == id))
                .ok_or_else(|| first.corrupt("a dictionary key names no field"))?;
            parts.clear();
            parts.extend(values.iter().map(|v| (taken[v.index], v.value)));
            parts.sort_unstable();
            let term = &mut encoders[field];
            self.merge_term(&parts, Field::ALL[field], term, &mut positions, &mut buf)?;
            if term.doc_count() == 0 {
                continue; // every document holding it was left out
            }
            infos.push(term.doc_count(), postings_len, positions_len);
            let term_positions = term.positions_len();
            let term_postings = term.finish(&mut postings)?;
            postings_len += term_postings;
            positions_len += term_positions;
            // The dictionary writes as it goes: a full disk fails here.
            dict.insert(key, ord).map_err(fst_error)?;
            ord += 1;
            // What was read for it: the postings and positions, and in each
            // member holding it a dictionary path and a term record.
            releaser.read(term_postings + term_positions, values.len());
        }
        let dict_out = dict.into_inner().map_err(fst_error)?;
        dict_out.into_inner().map_err(|e| e.into_error())?;
        let infos = infos.finish(postings_len, positions_len);
        let postings = postings.into_inner().map_err(|e| e.into_error())?;
        let positions = positions.into_inner().map_err(|e| e.into_error())?;
        Ok((infos, postings, positions))
    }

    /// Pushes the kept postings of one term to `term`, in the new order:
    /// `parts` are (member, term ordinal) pairs. Each member's postings
    /// stay in order when renumbered, so the members' streams are merged
    /// by their next new document, taking from one member for as long as
    /// it stays ahead of the others (all of it, in a plain merge).
    fn merge_term(
        &self,
        parts: &[(usize, u64)],
        field: Field,
        term: &mut TermEncoder,
        positions_out: &mut impl Write,
        buf: &mut Vec<u32>,
    ) -> Result<(), MergeError> {
        let mut streams = Vec::with_capacity(parts.len());
        for &(i, ord) in parts {
            streams.push(Stream::new(self.members[i], ord, field, &self.runs[i])?);
        }
        loop {
            let (mut best, mut next) = (usize::MAX, TERMINATED);
            let mut bound = TERMINATED;
            for (i, s) in streams.iter().enumerate() {
                if s.new_doc < next {
                    bound = next;
                    (best, next) = (i, s.new_doc);
                } else if s.new_doc < bound {
                    bound = s.new_doc;
                }
            }
            if best == usize::MAX {
                break;
            }
            let s = &mut streams[best];
            while s.new_doc < bound {
                s.push(term, positions_out, buf)?;
            }
        }
        for s in &streams {
            if s.cursor.is_corrupt() {
                return Err(s
                    .m
                    .corrupt(format!(
                        "the postings of term ordinal {} are malformed",
                        s.ord
                    ))
                    .into());
            }
        }
        Ok(())
    }
}

/// One member's postings of a term, renumbered, skipping what is left out.
struct Stream<'a> {
    m: &'a Index,
    ord: u64,
    cursor: PostingsCursor<'a>,
    positions: &'a [u8],
    lengths: FieldLengths<'a>,
    runs: &'a [Run],
    /// The run the cursor's document is in or before.
    run: usize,
    /// The cursor's document, renumbered; [`TERMINATED`] at the end.
    new_doc: u32,
}

impl<'a> Stream<'a> {
    fn new(m: &'a Index, ord: u64, field: Field, runs: &'a [Run]) -> Result<Self, MergeError> {
        let info = m
            .term_infos()
            .get(ord)
            .ok_or_else(|| m.corrupt(format!("term ordinal {ord} has no valid record")))?;
        let positions = usize::try_from(info.positions.0)
            .ok()
            .zip(usize::try_from(info.positions.1).ok())
            .and_then(|(s, e)| m.section(SectionKind::Positions).get(s..e))
            .ok_or_else(|| m.corrupt("a term's positions lie outside the positions section"))?;
        let mut s = Stream {
            m,
            ord,
            cursor: m.postings_of(&info)?,
            positions,
            lengths: m.field_norms().field(field),
            runs,
            run: 0,
            new_doc: TERMINATED,
        };
        s.settle();
        Ok(s)
    }

    /// Moves the cursor to its next kept document and renumbers it.
    fn settle(&mut self) {
        loop {
            let doc = self.cursor.doc();
            while self.run < self.runs.len() && self.runs[self.run].end <= doc {
                self.run += 1;
            }
            let Some(r) = self.runs.get(self.run).filter(|_| doc != TERMINATED) else {
                self.new_doc = TERMINATED;
                return;
            };
            if doc < r.start {
                self.cursor.seek(r.start);
                continue;
            }
            self.new_doc = r.new_start + (doc - r.start);
            return;
        }
    }

    /// Pushes the current posting to `term` and moves on.
    fn push(
        &mut self,
        term: &mut TermEncoder,
        positions_out: &mut impl Write,
        buf: &mut Vec<u32>,
    ) -> Result<(), MergeError> {
        let doc = self.cursor.doc();
        buf.clear();
        if !self.cursor.read_positions(self.positions, buf) || buf.is_empty() {
            return Err(self
                .m
                .corrupt(format!(
                    "the positions of term ordinal {} are malformed",
                    self.ord
                ))
                .into());
        }
        let len = self
            .lengths
            .get(doc)
            .ok_or_else(|| self.m.corrupt("a field length is missing"))?;
        term.push(self.new_doc, buf, len, positions_out)?;
        self.cursor.advance();
        self.settle();
        Ok(())
    }
}
