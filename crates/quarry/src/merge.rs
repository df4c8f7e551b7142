//! Several indexes as one: their documents one member after another,
//! renumbered in that order, written as the sections of one index.
//!
//! The sections are byte-identical to a build of the members' documents in
//! the same order: every term's postings are decoded from each member,
//! renumbered, and encoded again with the merged average lengths (which
//! steer the skip data's frontiers), document frequencies of surface forms
//! are summed, and stored documents are added again in order. This is what
//! a build that spilled sorted runs to disk merges at its end, and what
//! `quarry merge` does.
//!
//! The merge streams: the dictionary goes straight to the output, postings,
//! positions and stored documents to scratch files that are then appended
//! in file order, and the members' mapped pages are released as they are
//! read. Its memory is bounded by the members' count and the largest
//! term's encoded postings, not by the size of the whole.

use std::fmt;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use fst::{IntoStreamer, Streamer};

use crate::analysis::Language;
use crate::error::{Error, Result};
use crate::fieldnorm;
use crate::format::SectionKind;
use crate::index::Index;
use crate::postings::{TermEncoder, TERMINATED};
use crate::schema::{Field, Meta};
use crate::sections::SectionWriter;
use crate::store::StoreWriter;
use crate::termdict::TermInfoWriter;

/// Why a merge stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum MergeError {
    /// A member could not be read or combined with the others.
    Member(Error),
    /// The output or a scratch file could not be written.
    Write(io::Error),
    /// The caller asked the merge to stop.
    Interrupted,
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::Member(e) => e.fmt(f),
            MergeError::Write(e) => write!(f, "cannot write the merged index: {e}"),
            MergeError::Interrupted => write!(f, "the merge was interrupted"),
        }
    }
}

impl std::error::Error for MergeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MergeError::Member(e) => Some(e),
            MergeError::Write(e) => Some(e),
            MergeError::Interrupted => None,
        }
    }
}

impl From<Error> for MergeError {
    fn from(e: Error) -> Self {
        MergeError::Member(e)
    }
}

impl From<io::Error> for MergeError {
    fn from(e: io::Error) -> Self {
        MergeError::Write(e)
    }
}

/// Members' mapped bytes read between two releases of their pages.
const RELEASE_EVERY: u64 = 8 << 20;

/// One index holding every document of `members`, in order, as the bytes
/// of an index file, built in memory (for tests and small indexes; a large
/// merge goes to a file through [`merge_into`]).
///
/// # Errors
/// As [`merge_into`].
pub fn merge(members: &[&Index]) -> std::result::Result<Vec<u8>, MergeError> {
    let mut out = SectionWriter::new(io::Cursor::new(Vec::new()))?;
    let never = AtomicBool::new(false);
    merge_into(
        members,
        &mut out,
        || Ok(io::Cursor::new(Vec::new())),
        &never,
    )?;
    Ok(out.finish()?.0.into_inner())
}

/// Writes every section of one index holding every document of `members`,
/// in order, to `out`. `scratch` makes empty files (read, write, seek) for
/// the sections that are written while others are; `stop` is checked
/// between terms and documents.
///
/// # Errors
/// [`MergeError::Member`] ([`Error::Incompatible`]) when the members were
/// built with different analyzers or hold more documents than one index
/// can, or ([`Error::Corrupt`]) when a member's bytes do not decode;
/// [`MergeError::Write`] when the output or a scratch file fails;
/// [`MergeError::Interrupted`] once `stop` is set.
pub fn merge_into<W, S>(
    members: &[&Index],
    out: &mut SectionWriter<W>,
    mut scratch: impl FnMut() -> io::Result<S>,
    stop: &AtomicBool,
) -> std::result::Result<(), MergeError>
where
    W: Write + Seek,
    S: Read + Write + Seek + Send,
{
    let Combined {
        language,
        bases,
        doc_count,
        total_tokens,
    } = Combined::of(members.iter().copied())?;
    let avg_len = total_tokens.map(|t| t as f64 / f64::from(doc_count.max(1)));
    let meta = Meta {
        doc_count,
        language,
        total_tokens,
    };
    out.begin(SectionKind::Meta);
    out.write_all(&meta.encode())?;
    let (store_file, postings_file, positions_file) = (scratch()?, scratch()?, scratch()?);
    // The stored documents and surface forms do not depend on the terms:
    // they are merged on a second thread (here, if none can start), which
    // stops when the terms fail.
    let failed = AtomicBool::new(false);
    let halt = || stop.load(Ordering::Relaxed) || failed.load(Ordering::Relaxed);
    let side = |file| -> std::result::Result<_, MergeError> {
        let store = merge_store(members, file, &halt)?;
        Ok((store, merge_surface(members)?))
    };
    let (terms, side) = std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("quarry-merge".into())
            .spawn_scoped(scope, move || side(store_file));
        let terms = TermsMerge {
            members,
            bases: &bases,
            avg_len,
            stop,
        }
        .run(out, postings_file, positions_file);
        if terms.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        let side = match worker {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            // The file went with the thread that did not start.
            Err(_) => scratch().map_err(MergeError::from).and_then(side),
        };
        (terms, side)
    });
    let (infos, mut postings, mut positions) = terms?;
    let ((store_index, mut store_data, store_rest), surface) = side?;
    out.begin(SectionKind::TermInfo);
    out.write_all(&infos)?;
    out.begin(SectionKind::Postings);
    out.append(&mut postings)?;
    out.begin(SectionKind::Positions);
    out.append(&mut positions)?;
    out.begin(SectionKind::FieldNorms);
    let norms: Vec<_> = members.iter().map(|m| m.field_norms()).collect();
    fieldnorm::write_concatenated(&norms, out)?;
    out.begin(SectionKind::StoreIndex);
    out.write_all(&store_index)?;
    out.begin(SectionKind::StoreData);
    out.append(&mut store_data)?;
    out.write_all(&store_rest)?;
    out.begin(SectionKind::Surface);
    out.write_all(&surface)?;
    Ok(())
}

/// What indexes have together: their shared language, each one's first
/// document in the whole, and the totals.
pub(crate) struct Combined {
    pub(crate) language: Language,
    /// The first document id of each index, in order.
    pub(crate) bases: Vec<u32>,
    pub(crate) doc_count: u32,
    pub(crate) total_tokens: [u64; 2],
}

impl Combined {
    /// `members` taken one after another (none: an empty English whole).
    ///
    /// # Errors
    /// [`Error::Incompatible`] when they were built for different
    /// languages, or hold more documents than one index can.
    pub(crate) fn of<'i>(members: impl Iterator<Item = &'i Index>) -> Result<Combined> {
        let mut c = Combined {
            language: Language::English,
            bases: Vec::new(),
            doc_count: 0,
            total_tokens: [0; 2],
        };
        for (i, m) in members.enumerate() {
            if i == 0 {
                c.language = m.meta().language;
            } else if m.meta().language != c.language {
                return Err(Error::Incompatible {
                    path: m.path().to_path_buf(),
                    detail: format!(
                        "it was built for {:?} text and the first index for {:?}; rebuild it with the same language",
                        m.meta().language,
                        c.language
                    ),
                });
            }
            c.bases.push(c.doc_count);
            c.doc_count = c
                .doc_count
                .checked_add(m.doc_count())
                .filter(|&n| n < u32::MAX - 1)
                .ok_or_else(|| Error::Incompatible {
                    path: m.path().to_path_buf(),
                    detail: "the indexes hold more documents than one index can (4,294,967,294); combine fewer of them".into(),
                })?;
            for (t, add) in c.total_tokens.iter_mut().zip(m.meta().total_tokens) {
                *t += add;
            }
        }
        Ok(c)
    }
}

/// A walk of the members' dictionaries together, in key order, each
/// term's postings concatenated and encoded again.
struct TermsMerge<'a> {
    members: &'a [&'a Index],
    bases: &'a [u32],
    avg_len: [f64; 2],
    stop: &'a AtomicBool,
}

impl TermsMerge<'_> {
    /// Writes TERMDICT to `out` (it must be the current section), and
    /// POSTINGS and POSITIONS to the two files; returns TERMINFO and them.
    fn run<W: Write + Seek, S: Write>(
        &self,
        out: &mut SectionWriter<W>,
        postings: S,
        positions: S,
    ) -> std::result::Result<(Vec<u8>, S, S), MergeError> {
        let members = self.members;
        let mut maps = Vec::with_capacity(members.len());
        for m in members {
            maps.push(m.dict()?);
        }
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
        let mut since_release = 0u64;
        while let Some((key, values)) = union.next() {
            if self.stop.load(Ordering::Relaxed) {
                return Err(MergeError::Interrupted);
            }
            let field = key
                .first()
                .and_then(|&id| Field::ALL.iter().position(|f| f.id() == id))
                .ok_or_else(|| {
                    members[values[0].index].corrupt("a dictionary key names no field")
                })?;
            parts.clear();
            parts.extend(values.iter().map(|v| (v.index, v.value)));
            parts.sort_unstable();
            let term = &mut encoders[field];
            for &(i, term_ord) in &parts {
                let (m, base) = (members[i], self.bases[i]);
                read_term(
                    m,
                    term_ord,
                    base,
                    Field::ALL[field],
                    term,
                    &mut positions,
                    &mut buf,
                )?;
            }
            infos.push(term.doc_count(), postings_len, positions_len);
            let term_positions = term.positions_len();
            let term_postings = term.finish(&mut postings)?;
            postings_len += term_postings;
            positions_len += term_positions;
            // The dictionary writes as it goes: a full disk fails here.
            dict.insert(key, ord).map_err(fst_error)?;
            ord += 1;
            since_release += term_postings + term_positions;
            if since_release >= RELEASE_EVERY {
                since_release = 0;
                for m in members {
                    m.release_pages();
                }
            }
        }
        let dict_out = dict.into_inner().map_err(fst_error)?;
        dict_out.into_inner().map_err(|e| e.into_error())?;
        let infos = infos.finish(postings_len, positions_len);
        let postings = postings.into_inner().map_err(|e| e.into_error())?;
        let positions = positions.into_inner().map_err(|e| e.into_error())?;
        Ok((infos, postings, positions))
    }
}

/// A dictionary that could not be written: its output failed, or (from a
/// member whose dictionary streams keys out of order) a key came twice or
/// out of order.
fn fst_error(e: fst::Error) -> MergeError {
    match e {
        fst::Error::Io(e) => MergeError::Write(e),
        other => MergeError::Write(io::Error::other(other.to_string())),
    }
}

/// Pushes member `m`'s postings of term ordinal `ord` in `field`,
/// renumbered from `base`, to `term`, writing their positions to
/// `positions_out`; `buf` is scratch space.
fn read_term(
    m: &Index,
    ord: u64,
    base: u32,
    field: Field,
    term: &mut TermEncoder,
    positions_out: &mut impl Write,
    buf: &mut Vec<u32>,
) -> std::result::Result<(), MergeError> {
    let info = m
        .term_infos()
        .get(ord)
        .ok_or_else(|| m.corrupt(format!("term ordinal {ord} has no valid record")))?;
    let bytes = usize::try_from(info.positions.0)
        .ok()
        .zip(usize::try_from(info.positions.1).ok())
        .and_then(|(s, e)| m.section(SectionKind::Positions).get(s..e))
        .ok_or_else(|| m.corrupt("a term's positions lie outside the positions section"))?;
    let lengths = m.field_norms().field(field);
    let mut cursor = m.postings_of(&info)?;
    while cursor.doc() != TERMINATED {
        let doc = cursor.doc();
        buf.clear();
        if !cursor.read_positions(bytes, buf) || buf.is_empty() {
            return Err(m
                .corrupt(format!("the positions of term ordinal {ord} are malformed"))
                .into());
        }
        let len = lengths
            .get(doc)
            .ok_or_else(|| m.corrupt("a field length is missing"))?;
        term.push(base + doc, buf, len, positions_out)?;
        cursor.advance();
    }
    if cursor.is_corrupt() {
        return Err(m
            .corrupt(format!("the postings of term ordinal {ord} are malformed"))
            .into());
    }
    Ok(())
}

/// STORE_INDEX, and STORE_DATA as what went to `file` followed by the
/// rest: every stored document again, in order.
fn merge_store<S: Write>(
    members: &[&Index],
    file: S,
    halt: &dyn Fn() -> bool,
) -> std::result::Result<(Vec<u8>, S, Vec<u8>), MergeError> {
    let mut store = StoreWriter::new();
    let mut file = BufWriter::with_capacity(1 << 20, file);
    let mut failed: Option<io::Error> = None;
    for m in members {
        if halt() {
            return Err(MergeError::Interrupted);
        }
        m.store()
            .for_each(|id, title, body| {
                store.add(id, title, body);
                if store.held_bytes() >= 1 << 20 && failed.is_none() {
                    failed = store.drain_data(&mut file).err();
                }
            })
            .map_err(|d| m.corrupt(d))?;
        // This member's stored documents are read: drop their pages.
        m.release_pages();
        if let Some(e) = failed {
            return Err(MergeError::Write(e));
        }
    }
    let file = file.into_inner().map_err(|e| e.into_error())?;
    let (index, rest) = store.finish();
    Ok((index, file, rest))
}

/// SURFACE: each form's document frequencies summed over the members.
fn merge_surface(members: &[&Index]) -> Result<Vec<u8>> {
    let mut maps = Vec::with_capacity(members.len());
    for m in members {
        maps.push(m.surface_map()?);
    }
    let mut op = fst::map::OpBuilder::new();
    for map in &maps {
        op = op.add(map.stream());
    }
    let mut union = op.union().into_stream();
    let mut out = fst::MapBuilder::memory();
    while let Some((form, values)) = union.next() {
        let df: u64 = values.iter().map(|v| v.value).sum();
        out.insert(form, df)
            .expect("a union of sorted streams is sorted, each key once");
    }
    Ok(out.into_inner().expect("in-memory fst writes cannot fail"))
}
