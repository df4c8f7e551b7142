//! Listing the inputs: folders walked as ripgrep walks them, files named.

use std::path::{Path, PathBuf};

use super::{
    has_extension, is_stdin, InputStats, WalkOptions, Warning, JSONL_EXTENSIONS, TEXT_EXTENSIONS,
};
use crate::error::IndexError;

/// One input to read, as a walk found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Input {
    /// `-`: JSON Lines on standard input.
    Stdin,
    /// A text file found in a folder or named.
    Text(PathBuf),
    /// A JSON Lines file named on the command line.
    Jsonl(PathBuf),
}

impl Input {
    /// The file, unless standard input.
    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Input::Stdin => None,
            Input::Text(p) | Input::Jsonl(p) => Some(p),
        }
    }
}

/// What a walk of the inputs found, and what it counted on the way.
pub(crate) struct Listed {
    pub(crate) inputs: Vec<Input>,
    pub(crate) stats: InputStats,
}

impl Listed {
    /// Counts a file skipped for `warning`, and reports it.
    fn skip(&mut self, warning: Warning, on_warning: &mut dyn FnMut(Warning)) {
        self.stats.skipped += 1;
        self.stats.warnings += 1;
        on_warning(warning);
    }
}

/// The bytes `inputs` will read, as far as can be known before reading
/// (standard input counts nothing).
pub(crate) fn listed_bytes(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .filter_map(Input::path)
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum()
}

/// Walks every input path in order: the files [`read_inputs`] reads. A
/// file named directly is JSON Lines if its extension says so, else text.
///
/// # Errors
/// [`IndexError::InputNotFound`] if a path does not exist.
pub(crate) fn list_inputs(
    paths: &[PathBuf],
    walk_options: WalkOptions,
    on_warning: &mut dyn FnMut(Warning),
) -> Result<Listed, IndexError> {
    for p in paths {
        if !is_stdin(p) && std::fs::metadata(p).is_err() {
            return Err(IndexError::InputNotFound { path: p.clone() });
        }
    }
    let mut listed = Listed {
        inputs: Vec::new(),
        stats: InputStats::default(),
    };
    for p in paths {
        if is_stdin(p) {
            listed.inputs.push(Input::Stdin);
        } else if let Some(what) = std::fs::metadata(p)
            .ok()
            .and_then(|m| special(&m.file_type()))
        {
            listed.skip(
                Warning::NotAFile {
                    path: p.clone(),
                    what,
                },
                on_warning,
            );
        } else if p.is_dir() {
            walk(p, walk_options, &mut listed, on_warning);
        } else if has_extension(p, &JSONL_EXTENSIONS) {
            listed.inputs.push(Input::Jsonl(p.clone()));
        } else {
            listed.inputs.push(Input::Text(p.clone()));
        }
    }
    Ok(listed)
}

/// What a file that is neither a regular file, a folder nor a symbolic
/// link is (`None` for those three).
fn special(kind: &std::fs::FileType) -> Option<&'static str> {
    if kind.is_file() || kind.is_dir() || kind.is_symlink() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
    }
    Some("a special file")
}

/// The path an error of a walk names, if any.
fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}

/// Walks folder `root` as ripgrep does (the `ignore` crate): hidden files
/// and folders and what `.gitignore`, `.ignore` and `.git/info/exclude`
/// name are left out unless `options` say otherwise, symbolic links are
/// not followed unless asked, siblings come in path order. Text files are
/// listed, other files counted as skipped, an unreadable entry a warning.
fn walk(
    root: &Path,
    options: WalkOptions,
    listed: &mut Listed,
    on_warning: &mut dyn FnMut(Warning),
) {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(!options.hidden)
        .ignore(!options.no_ignore)
        .git_ignore(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .git_global(false)
        .parents(!options.no_ignore)
        .require_git(false)
        .follow_links(options.follow_links)
        .sort_by_file_path(|a, b| a.cmp(b));
    for entry in builder.build() {
        match entry {
            Ok(e) => {
                let Some(kind) = e.file_type() else {
                    continue; // standard input: not walked
                };
                if let Some(what) = special(&kind) {
                    let path = e.into_path();
                    listed.skip(Warning::NotAFile { path, what }, on_warning);
                } else if kind.is_file() && has_extension(e.path(), &TEXT_EXTENSIONS) {
                    listed.inputs.push(Input::Text(e.into_path()));
                } else if kind.is_file() || kind.is_symlink() {
                    // Not text; or a link not followed, whose target is
                    // indexed where it lies, if it lies in an input.
                    listed.stats.skipped += 1;
                }
            }
            Err(err) => {
                let path = walk_error_path(&err).unwrap_or(root).to_path_buf();
                let error = std::io::Error::other(err.to_string());
                listed.skip(Warning::Unreadable { path, error }, on_warning);
            }
        }
    }
}
