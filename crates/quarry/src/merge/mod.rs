//! Several indexes as one: their documents one member after another,
//! renumbered in that order, written as the sections of one index; or,
//! given [`Piece`]s, the runs of the members' documents they name, in
//! their order (what an update does: documents of changed files left out,
//! those read again placed where a fresh build puts them).
//!
//! The sections are byte-identical to a build of the members' documents in
//! the same order: every term's postings are decoded from each member,
//! renumbered, and encoded again with the merged average lengths (which
//! steer the skip data's frontiers), document frequencies of surface forms
//! are summed (less those of documents left out, read again from their
//! stored text), and stored documents are added again in order (a block
//! that would come out the same is copied compressed). This is what
//! a build that spilled sorted runs to disk merges at its end, and what
//! `quarry merge` does.
//!
//! The merge streams: the dictionary goes straight to the output, postings,
//! positions and stored documents to scratch files that are then appended
//! in file order, and the members' mapped pages are released as they are
//! read. Its memory is bounded by the members' count and the largest
//! term's encoded postings, not by the size of the whole.

use std::fmt;
use std::io::{self, Read, Seek, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::analysis::Language;
use crate::error::{Error, Result};
use crate::fieldnorm;
use crate::format::SectionKind;
use crate::index::Index;
use crate::postings::BLOCKS_HELD;
use crate::schema::Meta;
use crate::sections::SectionWriter;

mod parts;
mod plan;
mod ranges;
mod terms;

pub use plan::Piece;
use plan::Plan;
use terms::TermsMerge;

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
    /// The pieces asked for do not fit the members (the message says how).
    Pieces(String),
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::Member(e) => e.fmt(f),
            MergeError::Write(e) => write!(f, "cannot write the merged index: {e}"),
            MergeError::Interrupted => write!(f, "the merge was interrupted"),
            MergeError::Pieces(d) => write!(f, "cannot merge these pieces: {d}"),
        }
    }
}

impl std::error::Error for MergeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MergeError::Member(e) => Some(e),
            MergeError::Write(e) => Some(e),
            MergeError::Interrupted | MergeError::Pieces(_) => None,
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

/// Most key ranges merged side by side (one per core up to this).
const MAX_RANGES: usize = 4;

/// Members' mapped bytes read between two releases of their pages (an
/// estimate: what was decoded, and for each member's dictionary entry a
/// share of the pages a walk in key order touches all over the map).
pub(super) const RELEASE_EVERY: u64 = 2 << 20;

/// The estimate of mapped bytes one member's dictionary entry costs.
const BYTES_PER_ENTRY: u64 = 256;

/// Counts the members' mapped bytes read and releases their pages every
/// [`RELEASE_EVERY`] of them.
pub(super) struct Releaser<'a> {
    members: &'a [&'a Index],
    since: u64,
}

impl<'a> Releaser<'a> {
    pub(super) fn new(members: &'a [&'a Index]) -> Self {
        Releaser { members, since: 0 }
    }

    /// `bytes` more were read, and `entries` members' dictionary entries.
    pub(super) fn read(&mut self, bytes: u64, entries: usize) {
        self.since += bytes + BYTES_PER_ENTRY * entries as u64;
        if self.since >= RELEASE_EVERY {
            self.since = 0;
            for m in self.members {
                m.release_pages();
            }
        }
    }
}

/// One index holding every document of `members`, in order, as the bytes
/// of an index file, built in memory (for tests and small indexes; a large
/// merge goes to a file through [`merge_into`]).
///
/// # Errors
/// As [`merge_into`].
pub fn merge(members: &[&Index]) -> std::result::Result<Vec<u8>, MergeError> {
    merge_pieces(members, &Piece::whole(members))
}

/// [`merge`] of the documents `pieces` name, in their order.
///
/// # Errors
/// As [`merge_pieces_into`].
pub fn merge_pieces(
    members: &[&Index],
    pieces: &[Piece],
) -> std::result::Result<Vec<u8>, MergeError> {
    merge_in_memory(members, pieces, default_ranges(members), BLOCKS_HELD)
}

/// The merge of `pieces` in memory, scratch files included.
fn merge_in_memory(
    members: &[&Index],
    pieces: &[Piece],
    ranges: usize,
    blocks_held: usize,
) -> std::result::Result<Vec<u8>, MergeError> {
    let mut out = SectionWriter::new(io::Cursor::new(Vec::new()))?;
    let never = AtomicBool::new(false);
    merge_in_ranges(
        members,
        pieces,
        &mut out,
        || Ok(io::Cursor::new(Vec::new())),
        &never,
        ranges,
        blocks_held,
    )?;
    Ok(out.finish()?.0.into_inner())
}

/// Below this many bytes of members, a merge uses no thread but the
/// caller's: a few files' update or a test merges in well under a
/// millisecond, and starting threads cost more than that.
const SMALL_MERGE_BYTES: u64 = 1 << 20;

/// Key ranges a merge of `members` cuts its dictionary into: one per
/// core, up to
/// [`MAX_RANGES`].
fn default_ranges(members: &[&Index]) -> usize {
    if is_small(members) {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_RANGES))
}

/// Whether the merge of `members` is small ([`SMALL_MERGE_BYTES`]).
fn is_small(members: &[&Index]) -> bool {
    members.iter().map(|m| m.size_bytes()).sum::<u64>() < SMALL_MERGE_BYTES
}

/// Writes every section of one index holding every document of `members`,
/// in order, to `out`. `scratch` makes empty files (read, write, seek) for
/// the sections that are written while others are; `stop` is checked
/// between terms and documents.
///
/// # Errors
/// As [`merge_pieces_into`].
pub fn merge_into<W, S>(
    members: &[&Index],
    out: &mut SectionWriter<W>,
    scratch: impl FnMut() -> io::Result<S>,
    stop: &AtomicBool,
) -> std::result::Result<(), MergeError>
where
    W: Write + Seek,
    S: Read + Write + Seek + Send + 'static,
{
    merge_pieces_into(members, &Piece::whole(members), out, scratch, stop)
}

/// [`merge_into`] of the documents `pieces` name, in their order: the
/// sections a build of those documents in that order writes.
///
/// # Errors
/// [`MergeError::Member`] ([`Error::Incompatible`]) when the members were
/// built with different analyzers or hold more documents than one index
/// can, or ([`Error::Corrupt`]) when a member's bytes do not decode;
/// [`MergeError::Pieces`] when a piece names a member or documents that
/// are not there, or a member's pieces overlap or come out of its order;
/// [`MergeError::Write`] when the output or a scratch file fails;
/// [`MergeError::Interrupted`] once `stop` is set.
pub fn merge_pieces_into<W, S>(
    members: &[&Index],
    pieces: &[Piece],
    out: &mut SectionWriter<W>,
    scratch: impl FnMut() -> io::Result<S>,
    stop: &AtomicBool,
) -> std::result::Result<(), MergeError>
where
    W: Write + Seek,
    S: Read + Write + Seek + Send + 'static,
{
    merge_pieces_into_ranges(members, pieces, out, scratch, stop, usize::MAX)
}

/// [`merge_pieces_into`] with the dictionary cut into at most `ranges` key
/// ranges (at least one; a merge otherwise takes one per core). Each
/// range walks every member on a thread of its own, and so keeps its own
/// share of their mapped pages resident: a build with a small memory
/// budget merges in fewer ranges.
///
/// # Errors
/// As [`merge_pieces_into`].
pub fn merge_pieces_into_ranges<W, S>(
    members: &[&Index],
    pieces: &[Piece],
    out: &mut SectionWriter<W>,
    scratch: impl FnMut() -> io::Result<S>,
    stop: &AtomicBool,
    ranges: usize,
) -> std::result::Result<(), MergeError>
where
    W: Write + Seek,
    S: Read + Write + Seek + Send + 'static,
{
    let ranges = ranges.clamp(1, default_ranges(members));
    merge_in_ranges(members, pieces, out, scratch, stop, ranges, BLOCKS_HELD)
}

/// [`merge`] with the dictionary cut into up to `ranges` key ranges merged
/// side by side (a merge picks one per core), and a term's encoded blocks
/// spilled to a scratch file past `blocks_held` bytes (a merge spills past
/// a megabyte): for tests that the bytes depend on neither.
///
/// # Errors
/// As [`merge_pieces_into`].
#[doc(hidden)]
pub fn merge_with_ranges(
    members: &[&Index],
    ranges: usize,
    blocks_held: usize,
) -> std::result::Result<Vec<u8>, MergeError> {
    merge_in_memory(members, &Piece::whole(members), ranges, blocks_held)
}

fn merge_in_ranges<W, S>(
    members: &[&Index],
    pieces: &[Piece],
    out: &mut SectionWriter<W>,
    mut scratch: impl FnMut() -> io::Result<S>,
    stop: &AtomicBool,
    ranges: usize,
    blocks_held: usize,
) -> std::result::Result<(), MergeError>
where
    W: Write + Seek,
    S: Read + Write + Seek + Send + 'static,
{
    let language = Combined::of(members.iter().copied())?.language;
    let plan = Plan::new(members, pieces).map_err(MergeError::Pieces)?;
    let (doc_count, total_tokens) = (plan.doc_count, plan.total_tokens);
    let avg_len = total_tokens.map(|t| t as f64 / f64::from(doc_count.max(1)));
    let meta = Meta {
        doc_count,
        language,
        total_tokens,
    };
    out.begin(SectionKind::Meta);
    out.write_all(&meta.encode())?;
    // A small merge in one range (an update of a few files, a test) runs
    // on this thread alone: a thread would cost more than it saves.
    let alone = ranges == 1 && is_small(members);
    let side_files = if alone {
        None
    } else {
        Some((scratch()?, scratch()?))
    };
    // The stored documents and surface forms do not depend on the terms:
    // they are merged on a second thread (here, if the merge runs alone or
    // none can start), which stops when the terms fail.
    let failed = AtomicBool::new(false);
    let halt = || stop.load(Ordering::Relaxed) || failed.load(Ordering::Relaxed);
    let plan = &plan;
    let side = |(store_file, surface_file)| -> std::result::Result<_, MergeError> {
        let store = parts::merge_store(members, plan, store_file, &halt)?;
        Ok((store, parts::merge_surface(members, plan, surface_file)?))
    };
    let (terms, side) = std::thread::scope(|scope| {
        let worker = side_files.map(|files| {
            std::thread::Builder::new()
                .name("quarry-merge".into())
                .spawn_scoped(scope, move || side(files))
        });
        let terms = TermsMerge {
            members,
            runs: &plan.runs,
            avg_len,
            stop,
            blocks_held,
        }
        .run(out, &mut scratch, ranges);
        if terms.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        let side = match worker {
            Some(Ok(h)) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            // Alone, or the files went with the thread that did not
            // start: here, in files of their own.
            _ => scratch()
                .and_then(|a| Ok((a, scratch()?)))
                .map_err(MergeError::from)
                .and_then(side),
        };
        (terms, side)
    });
    let terms::TermsOutput {
        infos,
        postings,
        positions,
    } = terms?;
    let ((store_index, mut store_data, store_rest), mut surface) = side?;
    out.begin(SectionKind::TermInfo);
    let (infos, mut headers, mut records) = infos;
    out.write_all(&infos.head)?;
    out.append(&mut headers)?;
    out.write_all(&infos.headers)?;
    out.append(&mut records)?;
    out.write_all(&infos.data)?;
    out.begin(SectionKind::Postings);
    for mut part in postings {
        out.append(&mut part)?;
    }
    out.begin(SectionKind::Positions);
    for mut part in positions {
        out.append(&mut part)?;
    }
    out.begin(SectionKind::FieldNorms);
    let norms: Vec<_> = plan
        .pieces
        .iter()
        .map(|p| Ok((members[p.member].field_norms()?, p.docs.clone())))
        .collect::<Result<_, Error>>()?;
    // Read through once or twice: pages are dropped as they go.
    let mut releaser = Releaser::new(members);
    fieldnorm::write_pieces(&norms, out, &mut |bytes| releaser.read(bytes, 0))?;
    out.begin(SectionKind::StoreIndex);
    out.write_all(&store_index)?;
    out.begin(SectionKind::StoreData);
    out.append(&mut store_data)?;
    out.write_all(&store_rest)?;
    out.begin(SectionKind::Surface);
    out.append(&mut surface)?;
    out.begin(SectionKind::Sources);
    out.write_all(&parts::merge_sources(members, plan)?)?;
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

/// A dictionary that could not be written: its output failed, or (from a
/// member whose dictionary streams keys out of order) a key came twice or
/// out of order.
pub(super) fn fst_error(e: fst::Error) -> MergeError {
    match e {
        fst::Error::Io(e) => MergeError::Write(e),
        other => MergeError::Write(io::Error::other(other.to_string())),
    }
}
