//! The one error type of the indexer.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What stops an index from being built. Problems with single files or
/// lines are not errors: they are [`crate::Warning`]s and the rest goes on.
#[derive(Debug)]
#[non_exhaustive]
pub enum IndexError {
    /// An input path given to the indexer does not exist.
    InputNotFound {
        /// The path given.
        path: PathBuf,
    },
    /// A directory given as input could not be listed.
    InputUnreadable {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// None of the inputs held a document, so no index was written.
    NoDocuments,
    /// More documents than an index can hold.
    TooManyDocuments,
    /// The index file could not be written. Nothing was replaced.
    Write {
        /// The index path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The output path is a directory.
    OutputIsDirectory {
        /// The path given.
        path: PathBuf,
    },
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexError::InputNotFound { path } => {
                write!(f, "{}: no such file or directory; check the input path", path.display())
            }
            IndexError::InputUnreadable { path, source } => {
                write!(f, "{}: cannot list directory: {source}", path.display())
            }
            IndexError::NoDocuments => write!(
                f,
                "the inputs hold no documents (.txt, .md, .text files or .jsonl lines); nothing was written"
            ),
            IndexError::TooManyDocuments => {
                write!(f, "more than {} documents; split the input into several indexes", u32::MAX - 1)
            }
            IndexError::Write { path, source } => write!(
                f,
                "{}: cannot write index: {source}; any index already there is unchanged",
                path.display()
            ),
            IndexError::OutputIsDirectory { path } => write!(
                f,
                "{}: is a directory; give the index a file name, e.g. {}",
                path.display(),
                path.join("index.qidx").display()
            ),
        }
    }
}

impl std::error::Error for IndexError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IndexError::InputUnreadable { source, .. } | IndexError::Write { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}
