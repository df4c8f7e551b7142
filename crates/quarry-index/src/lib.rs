//! Builds Quarry index files.
//!
//! Reads documents (directories of text files, single files, JSON Lines),
//! analyzes them with the same [`quarry::analysis::Analyzer`] the engine
//! uses for queries, and writes one index file whose format the `quarry`
//! crate defines (see FORMAT.md). Files are written to a temporary name and
//! renamed into place only when complete.
//!
//! - [`build_index`]: inputs in, index file out, with a [`BuildSummary`].
//! - [`IndexBuilder`]: add documents from anywhere, then write them.
//! - [`merge_index_files`]: one index from several, as if built from their
//!   inputs in order.
//! - [`update_index`]: an index brought up to date with its folders and
//!   files, reading only what changed.
//! - [`input`]: how files become [`Document`]s, and the [`Warning`]s on the way.
//!
//! ```
//! use quarry_index::IndexBuilder;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("demo.qidx");
//! let mut builder = IndexBuilder::default();
//! builder.add("a", "Rust", "Memory-mapped search in Rust.")?;
//! builder.add("b", "Lucene", "Search in Java.")?;
//! quarry_index::write_index_file(&path, &builder.finish())?;
//!
//! let index = quarry::Index::open(&path)?;
//! let hits = index.search("rust search", &quarry::SearchOptions::top(10))?;
//! assert_eq!(hits[0].id, "a");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod builder;
mod combine;
mod error;
mod forms;
mod heap;
mod held;
pub mod input;
mod merge;
mod pipeline;
mod prefetch;
mod streams;
mod update;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use builder::IndexBuilder;
pub use error::IndexError;
pub use input::{Document, InputStats, WalkOptions, Warning};
pub use merge::{merge_index_files, MergeSummary};
pub use pipeline::{BuildOptions, BuildProgress, DEFAULT_MEMORY, MIN_MEMORY};
pub use update::{update_index, UpdateSummary};
pub use writer::write_index_file;

/// What a build did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BuildSummary {
    /// What the inputs held.
    pub input: InputStats,
    /// Size of the index file written.
    pub index_bytes: u64,
    /// Wall-clock seconds, reading to rename.
    pub seconds: f64,
}

/// Indexes every input path and writes the index to `output`, with
/// [`BuildOptions::default`] (every core, [`DEFAULT_MEMORY`]).
///
/// `on_warning` hears of each file or line that could not be used; those
/// never stop the build. Nothing is written when no document was found.
///
/// # Errors
/// See [`IndexError`]. On error, whatever was at `output` is unchanged.
pub fn build_index(
    inputs: &[PathBuf],
    output: &Path,
    on_warning: &mut dyn FnMut(Warning),
) -> Result<BuildSummary, IndexError> {
    let never = std::sync::atomic::AtomicBool::new(false);
    build_index_with(
        inputs,
        output,
        &BuildOptions::default(),
        &never,
        on_warning,
        &mut |_| {},
    )
}

/// [`build_index`] with `options`, stopping with
/// [`IndexError::Interrupted`] soon after `stop` is set (from a signal
/// handler, say), and telling `on_progress` how far it has come (after
/// each document, and when merging starts). The index's bytes do not
/// depend on `options`.
///
/// # Errors
/// See [`IndexError`]. On error, whatever was at `output` is unchanged
/// and no temporary file is left.
pub fn build_index_with(
    inputs: &[PathBuf],
    output: &Path,
    options: &BuildOptions,
    stop: &std::sync::atomic::AtomicBool,
    on_warning: &mut dyn FnMut(Warning),
    on_progress: &mut dyn FnMut(BuildProgress),
) -> Result<BuildSummary, IndexError> {
    let start = Instant::now();
    check_output(inputs, output)?;
    let (dir, _) = writer::dir_and_name(output);
    if output
        .as_os_str()
        .to_string_lossy()
        .ends_with(std::path::MAIN_SEPARATOR)
    {
        // `-o name/`: a folder was meant, not a file name.
        return Err(if output.exists() {
            IndexError::OutputIsDirectory {
                path: output.to_path_buf(),
            }
        } else {
            IndexError::OutputDirectoryMissing {
                path: output.to_path_buf(),
            }
        });
    }
    if !dir.is_dir() {
        return Err(IndexError::OutputDirectoryMissing { path: dir });
    }
    writer::sweep_stale(output);
    let listed = input::list_inputs(inputs, options.walk, on_warning)?;
    let (input, index_bytes) = pipeline::build(
        &listed.inputs,
        listed.stats,
        output,
        options,
        stop,
        on_warning,
        on_progress,
    )?;
    Ok(BuildSummary {
        input,
        index_bytes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Refuses an output path that would destroy something that is not an
/// index: a directory, one of the inputs, or any other existing file that
/// does not start with Quarry's magic bytes. An existing index is replaced.
pub(crate) fn check_output(inputs: &[PathBuf], output: &Path) -> Result<(), IndexError> {
    if output.is_dir() {
        return Err(IndexError::OutputIsDirectory {
            path: output.to_path_buf(),
        });
    }
    let Ok(canonical) = output.canonicalize() else {
        return Ok(()); // nothing there yet
    };
    if inputs
        .iter()
        .any(|i| i.canonicalize().is_ok_and(|c| c == canonical))
    {
        return Err(IndexError::OutputIsInput {
            path: output.to_path_buf(),
        });
    }
    let mut magic = [0u8; 8];
    let is_index = std::fs::File::open(output)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| magic == quarry::format::MAGIC);
    if !is_index {
        return Err(IndexError::OutputNotAnIndex {
            path: output.to_path_buf(),
        });
    }
    Ok(())
}
