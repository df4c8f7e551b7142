//! The members' dictionaries walked together, each term's postings merged
//! in the new document order and encoded again.

use std::io::{self, BufWriter, Read, Seek, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use fst::{IntoStreamer, Streamer};

use super::plan::Run;
use super::ranges::{split_keys, DictSink, KeysSink, TermSink};
use super::{fst_error, MergeError, Releaser};
use crate::fieldnorm::FieldLengths;
use crate::format::SectionKind;
use crate::index::{Index, Slice};
use crate::postings::{PostingsCursor, TermEncoder, TERMINATED};
use crate::schema::Field;
use crate::sections::SectionWriter;
use crate::termdict::TermInfoParts;

/// What the terms leave beside the dictionary: TERMINFO, and the parts
/// of POSTINGS and POSITIONS, each in order.
pub(super) struct TermsOutput<S> {
    /// TERMINFO: its first bytes, the headers drained to the first file,
    /// then the rest of the headers, the records drained to the second
    /// file, and the rest of the records.
    pub(super) infos: (TermInfoParts, S, S),
    pub(super) postings: Vec<S>,
    pub(super) positions: Vec<S>,
}

/// A walk of the members' dictionaries together, in key order.
pub(super) struct TermsMerge<'a> {
    pub(super) members: &'a [&'a Index],
    /// By member: where its documents go.
    pub(super) runs: &'a [Vec<Run>],
    pub(super) avg_len: [f64; 2],
    pub(super) stop: &'a AtomicBool,
    /// Bytes of a term's encoded blocks held before they are spilled.
    pub(super) blocks_held: usize,
}

impl TermsMerge<'_> {
    /// Writes TERMDICT to `out` (it must be the current section), and
    /// POSTINGS and POSITIONS to scratch files; returns TERMINFO and the
    /// files of each section, to be appended in order. The keys are cut
    /// into up to `ranges` ranges merged on threads of their own (see
    /// [`super::ranges`]). A term none of whose documents is kept is left
    /// out.
    pub(super) fn run<W: Write + Seek, S: Read + Write + Seek + Send + 'static>(
        &self,
        out: &mut SectionWriter<W>,
        scratch: &mut dyn FnMut() -> io::Result<S>,
        ranges: usize,
    ) -> Result<TermsOutput<S>, MergeError> {
        let members = self.members;
        // A member none of whose documents is kept adds no term.
        let taken: Vec<usize> = (0..members.len())
            .filter(|&i| !self.runs[i].is_empty())
            .collect();
        let mut maps = Vec::with_capacity(taken.len());
        for &i in &taken {
            maps.push(members[i].dict()?);
            // Checking the dictionary's checksum read all of it: with
            // hundreds of members those pages would add up before the
            // first release.
            members[i].release_pages();
        }
        let biggest = taken.iter().copied().max_by_key(|&i| {
            let m = members[i];
            m.section(SectionKind::Postings).len() + m.section(SectionKind::Positions).len()
        });
        let cuts = match biggest {
            Some(i) if ranges > 1 => split_keys(members[i], ranges),
            _ => Vec::new(),
        };
        let bound = |i: usize| cuts.get(i).map(Vec::as_slice);
        // Range 0 writes to the first files and the dictionary; range
        // `i` from `cuts[i - 1]` to `cuts[i]` to files of its own.
        let mut files = Vec::with_capacity(cuts.len() + 1);
        for _ in 0..=cuts.len() {
            files.push(RangeFiles {
                postings: scratch()?,
                positions: scratch()?,
                spills: [scratch()?, scratch()?],
            });
        }
        let mut keys = Vec::with_capacity(cuts.len());
        for _ in 0..cuts.len() {
            keys.push(scratch()?);
        }
        out.begin(SectionKind::TermDict);
        let mut sink = DictSink::new(
            BufWriter::with_capacity(1 << 16, &mut *out),
            scratch()?,
            scratch()?,
        )?;
        let failed = AtomicBool::new(false);
        let walk = Walk {
            merge: self,
            maps: &maps,
            taken: &taken,
            failed: &failed,
        };
        let mut files = files.into_iter();
        let first_files = files.next().expect("one range at least");
        let (first, later) = std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(cuts.len());
            for (i, (range_files, k)) in files.zip(keys).enumerate() {
                let walk = &walk;
                let (lo, hi) = (bound(i), bound(i + 1));
                let job = move || -> Result<(S, S, S), MergeError> {
                    let mut sink = KeysSink::new(k);
                    let (p, q) = walk.range(lo, hi, &mut sink, range_files)?;
                    let k = sink.out.into_inner().map_err(|e| e.into_error())?;
                    Ok((p, q, k))
                };
                let job = std::thread::Builder::new()
                    .name("quarry-merge-terms".into())
                    .spawn_scoped(scope, job);
                handles.push(job);
            }
            let first = walk.range(None, bound(0), &mut sink, first_files);
            if first.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            let later: Vec<_> = handles
                .into_iter()
                .map(|h| match h {
                    Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    Err(e) => Err(MergeError::Write(e)),
                })
                .collect();
            (first, later)
        });
        let (p, q) = first?;
        let (mut postings, mut positions) = (vec![p], vec![q]);
        for range in later {
            let (p, q, k) = range?;
            sink.replay(k)?;
            postings.push(p);
            positions.push(q);
        }
        let parts = sink
            .infos
            .finish_parts(sink.postings_len, sink.positions_len);
        let (headers, records) = sink.info_files;
        let headers = headers.into_inner().map_err(|e| e.into_error())?;
        let records = records.into_inner().map_err(|e| e.into_error())?;
        let infos = (parts, headers, records);
        let dict_out = sink.dict.into_inner().map_err(fst_error)?;
        dict_out.into_inner().map_err(|e| e.into_error())?;
        Ok(TermsOutput {
            infos,
            postings,
            positions,
        })
    }
}

/// The scratch files of one key range: its parts of POSTINGS and
/// POSITIONS, and where each field's encoder spills a large term.
struct RangeFiles<S> {
    postings: S,
    positions: S,
    spills: [S; 2],
}

/// The members' dictionaries walked together over one key range.
struct Walk<'w, 'a> {
    merge: &'w TermsMerge<'a>,
    /// The dictionaries of the members that keep documents, and which
    /// members those are.
    maps: &'w [&'w fst::Map<Slice>],
    taken: &'w [usize],
    /// Set when another range failed.
    failed: &'w AtomicBool,
}

impl Walk<'_, '_> {
    /// Merges the terms from `lo` (inclusive) to `hi` (exclusive), each
    /// bound open when `None`: postings and positions to their files,
    /// each term to `sink`. Returns the postings and positions files.
    fn range<S: Read + Write + Seek + Send + 'static>(
        &self,
        lo: Option<&[u8]>,
        hi: Option<&[u8]>,
        sink: &mut dyn TermSink,
        files: RangeFiles<S>,
    ) -> Result<(S, S), MergeError> {
        let RangeFiles {
            postings,
            positions,
            spills,
        } = files;
        let merge = self.merge;
        let members = merge.members;
        let mut op = fst::map::OpBuilder::new();
        for map in self.maps {
            let mut b = map.range();
            if let Some(lo) = lo {
                b = b.ge(lo);
            }
            if let Some(hi) = hi {
                b = b.lt(hi);
            }
            op = op.add(b);
        }
        let mut union = op.union().into_stream();
        let mut postings = BufWriter::with_capacity(1 << 20, postings);
        let mut positions = BufWriter::with_capacity(1 << 20, positions);
        let [title_spill, body_spill] = spills;
        let [title_len, body_len] = merge.avg_len;
        let mut encoders = [
            TermEncoder::with_spill(title_len, Box::new(title_spill), merge.blocks_held),
            TermEncoder::with_spill(body_len, Box::new(body_spill), merge.blocks_held),
        ];
        let mut parts = Vec::new();
        let mut buf = Vec::new();
        let mut releaser = Releaser::new(members);
        while let Some((key, values)) = union.next() {
            if merge.stop.load(Ordering::Relaxed) || self.failed.load(Ordering::Relaxed) {
                return Err(MergeError::Interrupted);
            }
            let first = members[self.taken[values[0].index]];
            let field = key
                .first()
                .and_then(|&id| Field::ALL.iter().position(|f| f.id() == id))
                .ok_or_else(|| first.corrupt("a dictionary key names no field"))?;
            parts.clear();
            parts.extend(values.iter().map(|v| (self.taken[v.index], v.value)));
            parts.sort_unstable();
            let term = &mut encoders[field];
            merge.merge_term(
                &parts,
                Field::ALL[field],
                term,
                &mut positions,
                &mut buf,
                &mut releaser,
            )?;
            if term.doc_count() == 0 {
                continue; // every document holding it was left out
            }
            let doc_freq = term.doc_count();
            let term_positions = term.positions_len();
            let term_postings = term.finish(&mut postings)?;
            sink.term(key, doc_freq, term_postings, term_positions)?;
            // Beside its postings (counted as they were read): in each
            // member holding it, a dictionary path and a term record.
            releaser.read(0, values.len());
        }
        let postings = postings.into_inner().map_err(|e| e.into_error())?;
        let positions = positions.into_inner().map_err(|e| e.into_error())?;
        Ok((postings, positions))
    }
}

impl TermsMerge<'_> {
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
        releaser: &mut Releaser,
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
                let before = term.positions_len();
                s.push(term, positions_out, buf)?;
                // Counted as they are read, not once the term ends: the
                // most common terms read tens of megabytes of a member.
                let positions = term.positions_len() - before;
                releaser.read(positions + BYTES_PER_POSTING, 0);
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

/// Mapped bytes a posting reads beside its positions (which take as many
/// bytes as they are written again with): its share of a block, and its
/// field length.
const BYTES_PER_POSTING: u64 = 3;

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
            .term_infos()?
            .get(ord)
            .ok_or_else(|| m.corrupt(format!("term ordinal {ord} has no valid record")))?;
        let positions = m.positions_of(&info)?;
        let mut s = Stream {
            m,
            ord,
            cursor: m.postings_of(&info)?,
            positions,
            lengths: m.field_norms()?.field(field),
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
