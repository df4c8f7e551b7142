//! The one error type of the query engine.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong when opening, verifying or searching an index.
///
/// Each message names the file (where there is one) and says what to do.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The index file could not be opened or mapped.
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file does not start with Quarry's magic bytes: it is not an index.
    NotAnIndex {
        /// The file concerned.
        path: PathBuf,
    },
    /// The index was written in a format version this library does not read.
    Version {
        /// The file concerned.
        path: PathBuf,
        /// The version this library reads.
        expected: u32,
        /// The version found in the file.
        found: u32,
    },
    /// The file is shorter than its header says: it was cut off while being copied or written.
    Truncated {
        /// The file concerned.
        path: PathBuf,
        /// The length the header records.
        expected: u64,
        /// The actual length.
        found: u64,
    },
    /// The bytes of the index do not hold together: a checksum failed or a structure is malformed.
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// What was found to be wrong.
        detail: String,
    },
    /// A search option is out of range (for example a negative `k1`).
    InvalidOption(String),
    /// The query text cannot be parsed (for example an unclosed quote).
    InvalidQuery(String),
    /// The query is over one of the [`crate::QueryLimits`] of its search
    /// options: refused before any work, the message names the limit.
    QueryTooLarge(crate::limits::TooLarge),
    /// The query text is malformed: the message names the problem, the
    /// span points at it.
    QuerySyntax(crate::query::SyntaxError),
    /// Indexes that cannot be merged or searched together (built for
    /// different languages, or too many documents in all).
    Incompatible {
        /// The member concerned.
        path: PathBuf,
        /// Why, and what to do.
        detail: String,
    },
    /// A document id beyond the end of the index was asked for.
    NoSuchDocument {
        /// The id asked for.
        doc: u32,
        /// The number of documents in the index.
        doc_count: u32,
    },
}

impl Error {
    pub(crate) fn corrupt(path: &std::path::Path, detail: impl Into<String>) -> Error {
        Error::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => {
                if source.kind() == io::ErrorKind::NotFound {
                    write!(
                        f,
                        "{}: no index here; build one with `quarry index INPUT... -o {}`",
                        path.display(),
                        path.display()
                    )
                } else {
                    write!(f, "{}: cannot read index: {source}", path.display())
                }
            }
            Error::NotAnIndex { path } => write!(
                f,
                "{}: not a Quarry index (wrong magic bytes); pass the file written by `quarry index`",
                path.display()
            ),
            Error::Version {
                path,
                expected,
                found,
            } => write!(
                f,
                "{}: index format version {found}, but this quarry reads version {expected}; rebuild the index with `quarry index`",
                path.display()
            ),
            Error::Truncated {
                path,
                expected,
                found,
            } => write!(
                f,
                "{}: index is truncated ({found} of {expected} bytes); rebuild it with `quarry index`",
                path.display()
            ),
            Error::Corrupt { path, detail } => write!(
                f,
                "{}: index is corrupt ({detail}); rebuild it with `quarry index`",
                path.display()
            ),
            Error::InvalidOption(msg) => write!(f, "invalid search option: {msg}"),
            Error::InvalidQuery(msg) => write!(f, "invalid query: {msg}"),
            Error::QuerySyntax(e) => write!(f, "invalid query: {e}"),
            Error::QueryTooLarge(e) => write!(f, "query too large: {e}"),
            Error::Incompatible { path, detail } => {
                write!(f, "{}: cannot be combined with the others: {detail}", path.display())
            }
            Error::NoSuchDocument { doc, doc_count } => write!(
                f,
                "no document {doc}: internal ids run from 0 to {} in this index",
                doc_count.saturating_sub(1)
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
