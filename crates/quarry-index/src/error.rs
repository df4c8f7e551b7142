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
    /// One document is too large to store (4 GiB or more).
    DocumentTooLarge {
        /// The document's external id.
        id: String,
    },
    /// The output path would overwrite one of the inputs.
    OutputIsInput {
        /// The path.
        path: PathBuf,
    },
    /// A file that is not a Quarry index exists at the output path.
    OutputNotAnIndex {
        /// The path.
        path: PathBuf,
    },
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
    /// The directory the output would go in does not exist.
    OutputDirectoryMissing {
        /// The directory.
        path: PathBuf,
    },
    /// The build was interrupted (Ctrl-C, SIGTERM); nothing was written
    /// and its temporary files are gone.
    Interrupted,
    /// An index to merge could not be opened, decoded or combined.
    Index(quarry::Error),
    /// An update needs files to compare: the index, or the inputs, hold
    /// documents that came from elsewhere.
    UpdateNeedsFiles {
        /// The index to update.
        path: PathBuf,
        /// What came from elsewhere.
        detail: String,
    },
}

impl From<quarry::Error> for IndexError {
    fn from(e: quarry::Error) -> Self {
        IndexError::Index(e)
    }
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
            IndexError::DocumentTooLarge { id } => {
                write!(f, "document {id:?} is 4 GiB or more; split it or leave it out")
            }
            IndexError::OutputIsInput { path } => write!(
                f,
                "{}: is one of the inputs; write the index somewhere else",
                path.display()
            ),
            IndexError::OutputNotAnIndex { path } => write!(
                f,
                "{}: exists and is not a Quarry index; refusing to overwrite it (remove it or choose another -o)",
                path.display()
            ),
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
            IndexError::OutputDirectoryMissing { path } => write!(
                f,
                "{}: no such directory; create it first or choose another -o",
                path.display()
            ),
            IndexError::Interrupted => write!(
                f,
                "interrupted; nothing was written and any index already there is unchanged"
            ),
            IndexError::Index(e) => write!(f, "{e}"),
            IndexError::UpdateNeedsFiles { path, detail } => write!(
                f,
                "{}: cannot update: {detail}; --update reads folders and files only (rebuild with quarry index -o instead)",
                path.display()
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
            IndexError::Index(e) => Some(e),
            _ => None,
        }
    }
}
