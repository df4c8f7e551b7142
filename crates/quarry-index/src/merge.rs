//! `quarry merge`: one index from several, byte-identical to indexing
//! their inputs one after another in that order.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use quarry::merge::{merge_pieces_into_ranges, MergeError, Piece};
use quarry::Index;

use crate::error::IndexError;
use crate::writer::write_index_with;

/// What a merge did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MergeSummary {
    /// Number of indexes merged.
    pub members: usize,
    /// Documents in the merged index.
    pub documents: u32,
    /// Size of the index file written.
    pub index_bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Merges the indexes at `inputs`, in that order, into one at `output`.
///
/// `output` may be one of the inputs (the merged file replaces it
/// atomically); any other existing file there must be an index.
///
/// # Errors
/// [`IndexError::Index`] when an input cannot be opened, fails
/// [`Index::verify`] (every input is verified first), or the
/// inputs cannot be combined; [`IndexError::OutputNotAnIndex`],
/// [`IndexError::OutputIsDirectory`] or [`IndexError::Write`] for the
/// output. On error, whatever was at `output` is unchanged. Temporary
/// files a killed run left beside `output` are removed first.
pub fn merge_index_files(inputs: &[PathBuf], output: &Path) -> Result<MergeSummary, IndexError> {
    let start = Instant::now();
    let is_input = |o: &Path| {
        let Ok(c) = o.canonicalize() else {
            return false;
        };
        inputs
            .iter()
            .any(|i| i.canonicalize().is_ok_and(|x| x == c))
    };
    if !is_input(output) {
        crate::check_output(&[], output)?;
    }
    // What a killed merge (or build) at this path left behind.
    crate::writer::sweep_stale(output);
    let mut members = Vec::with_capacity(inputs.len());
    for path in inputs {
        let index = Index::open(path)?;
        // Opening checks only the header: damage anywhere must stop the
        // merge, or the output would carry it under fresh checksums.
        index.verify()?;
        // Verifying read all of it: drop those pages, or the merge would
        // start with every input resident.
        index.release_pages();
        members.push(index);
    }
    let refs: Vec<&Index> = members.iter().collect();
    let documents = refs.iter().map(|m| m.doc_count()).sum();
    let pieces = Piece::whole(&refs);
    let index_bytes = write_merged(&refs, &pieces, output, &AtomicBool::new(false), None)?;
    Ok(MergeSummary {
        members: inputs.len(),
        documents,
        index_bytes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Writes the merge of the `pieces` of `members` to `output`, atomically,
/// streaming through scratch files beside it, in at most `ranges` key
/// ranges (`None`: one per core, as many as a merge takes); stops with [`IndexError::Interrupted`]
/// once `stop` is set. Returns the file size.
pub(crate) fn write_merged(
    members: &[&Index],
    pieces: &[Piece],
    output: &Path,
    stop: &AtomicBool,
    ranges: Option<usize>,
) -> Result<u64, IndexError> {
    write_index_with(output, |out, scratch| {
        let ranges = ranges.unwrap_or(usize::MAX);
        merge_pieces_into_ranges(members, pieces, out, || scratch.file(), stop, ranges).map_err(
            |e| match e {
                MergeError::Member(e) => IndexError::Index(e),
                MergeError::Write(source) => IndexError::Write {
                    path: output.to_path_buf(),
                    source,
                },
                MergeError::Interrupted => IndexError::Interrupted,
                // A kind this version does not know: keep its message.
                other => IndexError::Write {
                    path: output.to_path_buf(),
                    source: std::io::Error::other(other.to_string()),
                },
            },
        )
    })
}
