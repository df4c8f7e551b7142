//! `quarry index --update`: an index brought up to date with its files.
//!
//! The index's SOURCES section says which file each run of documents came
//! from, with the file's size and modification time when it was read. An
//! update walks the inputs as a build would, and for each file finds its
//! run: a file whose size and time are the same is *unchanged* and its
//! documents are carried over as they are (no reading, no analysis); a
//! file that changed, or is new, is read again into a segment; a run
//! whose file is gone is dropped. The carried documents and the
//! segment's are then merged as [`Piece`]s in the order the walk found
//! the files, which is the order a fresh build of the current files
//! gives, so the updated index is byte-identical to that build.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use quarry::merge::Piece;
use quarry::sources::FileStamp;
use quarry::Index;

use crate::error::IndexError;
use crate::input::{self, path_id, Input, InputStats, Warning};
use crate::pipeline::{self, BuildOptions, BuildProgress, TempFiles};

/// What an update found and did. Counts are of files (a JSON Lines file
/// counts once, whatever its documents).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UpdateSummary {
    /// Files new to the index, read.
    pub added: u64,
    /// Files whose size or modification time changed, read again.
    pub updated: u64,
    /// Files the index held that the inputs no longer do.
    pub removed: u64,
    /// Files carried over without reading.
    pub unchanged: u64,
    /// What the files read held (only those: unchanged files are not read).
    pub input: InputStats,
    /// Documents in the updated index.
    pub documents: u32,
    /// Size of the index file (written, or as it was when nothing changed).
    pub index_bytes: u64,
    /// False when nothing changed and the file was left as it was.
    pub written: bool,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// What to do with one input file.
enum Step {
    /// Take these documents of the index as they are.
    Carry(Range<u32>),
    /// Read the file (its documents come from the segment); `true` for a
    /// file new to the index.
    Read(bool),
}

/// Brings the index at `index_path` up to date with `inputs` (folders and
/// files, walked with `options.walk` as the build that made it walked
/// them): see the module documentation.
///
/// # Errors
/// [`IndexError::UpdateNeedsFiles`] for standard input among the inputs,
/// or an index holding documents that came from no file;
/// [`IndexError::Index`] when the index cannot be opened or its SOURCES
/// section is damaged; otherwise as [`crate::build_index_with`]. On
/// error the index is unchanged and no temporary file is left.
pub fn update_index(
    index_path: &Path,
    inputs: &[PathBuf],
    options: &BuildOptions,
    stop: &AtomicBool,
    on_warning: &mut dyn FnMut(Warning),
    on_progress: &mut dyn FnMut(BuildProgress),
) -> Result<UpdateSummary, IndexError> {
    let start = Instant::now();
    if inputs.iter().any(|p| p.as_os_str() == "-") {
        return Err(IndexError::UpdateNeedsFiles {
            path: index_path.to_path_buf(),
            detail: "standard input (-) cannot be compared with what was read before".into(),
        });
    }
    crate::check_output(inputs, index_path)?;
    if !index_path.exists() {
        // Nothing to update: build it, every file added.
        let built =
            crate::build_index_with(inputs, index_path, options, stop, on_warning, on_progress)?;
        let documents = Index::open(index_path)?.sources()?;
        return Ok(UpdateSummary {
            added: documents.runs().len() as u64,
            input: built.input,
            documents: built.input.documents as u32,
            index_bytes: built.index_bytes,
            written: true,
            seconds: start.elapsed().as_secs_f64(),
            ..UpdateSummary::default()
        });
    }
    let old = Index::open(index_path)?;
    let sources = old.sources()?;
    // Where each file's documents lie in the index, in its order.
    let mut held: HashMap<String, VecDeque<(FileStamp, Range<u32>)>> = HashMap::new();
    let mut at = 0u32;
    for run in sources.runs() {
        let Some(file) = &run.file else {
            return Err(IndexError::UpdateNeedsFiles {
                path: index_path.to_path_buf(),
                detail: format!(
                    "{} of its documents came from standard input or a program, not from files",
                    run.docs
                ),
            });
        };
        held.entry(file.path.clone())
            .or_default()
            .push_back((file.clone(), at..at + run.docs));
        at += run.docs;
    }
    crate::writer::sweep_stale(index_path);
    let listed = input::list_inputs(inputs, options.walk, on_warning)?;
    let mut summary = UpdateSummary::default();
    let mut steps = Vec::with_capacity(listed.inputs.len());
    let mut seen = std::collections::HashSet::new();
    let mut named_twice = false;
    for input in &listed.inputs {
        let path = input.path().expect("standard input was refused");
        let name = path_id(path);
        named_twice |= !seen.insert(name.clone());
        let now = FileStamp::of(name.clone(), path).ok();
        match held.get_mut(&name).and_then(VecDeque::pop_front) {
            Some((was, docs)) if now.as_ref() == Some(&was) => {
                summary.unchanged += 1;
                steps.push(Step::Carry(docs));
            }
            Some(_) => {
                summary.updated += 1;
                steps.push(Step::Read(false));
            }
            None => {
                summary.added += 1;
                steps.push(Step::Read(true));
            }
        }
    }
    summary.removed = held.values().map(|q| q.len() as u64).sum();
    // Carried documents must keep the index's order, and each file be
    // named once (its runs may have joined): otherwise, as when the
    // inputs are named in another order than before, every file is read
    // again.
    let mut last = 0u32;
    let in_order = steps.iter().all(|s| match s {
        Step::Carry(d) => std::mem::replace(&mut last, d.end) <= d.start,
        Step::Read(_) => true,
    });
    if !in_order || named_twice {
        for s in &mut steps {
            if let Step::Carry(_) = s {
                *s = Step::Read(false);
            }
        }
    }
    let to_read: Vec<Input> = listed
        .inputs
        .iter()
        .zip(&steps)
        .filter(|(_, s)| matches!(s, Step::Read(_)))
        .map(|(i, _)| i.clone())
        .collect();
    // What the listing counted; the segment's build counts on from it.
    summary.input = listed.stats;
    // The files read again become a segment beside the index.
    let temps = TempFiles::default();
    let segment = if to_read.is_empty() {
        None
    } else {
        let path = temps.reserve(index_path)?;
        match pipeline::build(
            &to_read,
            listed.stats,
            &path,
            options,
            stop,
            on_warning,
            on_progress,
        ) {
            Ok((stats, _)) => {
                summary.input = stats;
                Some(Index::open(&path)?)
            }
            Err(IndexError::NoDocuments) => None,
            // The segment is written under a temporary name; the user
            // knows the index's.
            Err(IndexError::Write { source, .. }) => {
                return Err(IndexError::Write {
                    path: index_path.to_path_buf(),
                    source,
                })
            }
            Err(e) => return Err(e),
        }
    };
    let (pieces, new_without_documents) = pieces(&steps, &to_read, segment.as_ref())?;
    // A new file that gave no document (empty, binary) is skipped, not added.
    summary.added -= new_without_documents;
    let unchanged = Piece {
        member: 0,
        docs: 0..old.doc_count(),
    };
    if pieces == [unchanged] {
        // Nothing changed, or only such files were read: the index is
        // already what a build of the inputs writes, if it is still what
        // was written (an update that rewrites it reads every byte through
        // its checksums; this one would otherwise read none).
        old.check_checksums()?;
        summary.documents = old.doc_count();
        summary.index_bytes = old.size_bytes();
        summary.seconds = start.elapsed().as_secs_f64();
        return Ok(summary);
    }
    let mut members = vec![&old];
    members.extend(segment.as_ref());
    summary.documents = pieces.iter().map(|p| p.docs.len() as u32).sum();
    if summary.documents == 0 {
        return Err(IndexError::NoDocuments);
    }
    on_progress(BuildProgress {
        documents: u64::from(summary.documents),
        bytes_read: summary.input.bytes,
        bytes_total: summary.input.bytes,
        merging: members.len(),
    });
    summary.index_bytes = crate::merge::write_merged(&members, &pieces, index_path, stop, None)?;
    summary.written = true;
    drop(temps);
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// The pieces of the updated index, in the walk's order: member 0 is the
/// index, member 1 the segment of the files read (whose runs follow
/// `to_read`'s order; a file that gave no document has no run); and how
/// many files new to the index gave none.
fn pieces(
    steps: &[Step],
    to_read: &[Input],
    segment: Option<&Index>,
) -> Result<(Vec<Piece>, u64), IndexError> {
    let runs = match segment {
        Some(s) => s.sources()?.runs().to_vec(),
        None => Vec::new(),
    };
    let mut runs = runs.iter().peekable();
    let mut next_doc = 0u32;
    let mut read = to_read.iter();
    let mut out: Vec<Piece> = Vec::new();
    let mut new_without_documents = 0;
    let mut push = |member: usize, docs: Range<u32>| match out.last_mut() {
        Some(p) if p.member == member && p.docs.end == docs.start => p.docs.end = docs.end,
        _ => out.push(Piece { member, docs }),
    };
    for step in steps {
        match step {
            Step::Carry(docs) => push(0, docs.clone()),
            Step::Read(new) => {
                let input = read.next().expect("one read input per read step");
                let name = path_id(input.path().expect("files only"));
                if let Some(run) = runs.next_if(|r| r.file.as_ref().is_some_and(|f| f.path == name))
                {
                    push(1, next_doc..next_doc + run.docs);
                    next_doc += run.docs;
                } else if *new {
                    new_without_documents += 1;
                }
            }
        }
    }
    // Whatever the matching left (a file named twice in a row, whose runs
    // joined) follows in the segment's order.
    for run in runs {
        push(1, next_doc..next_doc + run.docs);
        next_doc += run.docs;
    }
    Ok((out, new_without_documents))
}
