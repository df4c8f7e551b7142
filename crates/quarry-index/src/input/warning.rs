//! What is reported, and skipped, while reading inputs.

use std::fmt;
use std::path::PathBuf;

use super::MAX_DOCUMENT_BYTES;

/// A problem with one input file or line. It is reported and indexing goes on.
#[derive(Debug)]
pub enum Warning {
    /// The file could not be read; it was skipped.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file (or line) was not valid UTF-8; bad bytes became U+FFFD.
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// The line, for JSON Lines.
        line: Option<u64>,
    },
    /// The file looks binary (it holds NUL bytes); it was skipped.
    Binary {
        /// The file.
        path: PathBuf,
    },
    /// The document is larger than [`MAX_DOCUMENT_BYTES`]; it was skipped.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The line, for JSON Lines.
        line: Option<u64>,
    },
    /// The path is not a regular file (a FIFO, socket or device, perhaps
    /// behind a symbolic link): reading it could block or never end, so
    /// it was skipped.
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead ("a FIFO", "a socket", "a device").
        what: &'static str,
    },
    /// The file holds no text; it was skipped.
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A document's id was seen before (in this input or an earlier one);
    /// the document is indexed all the same, and both show under that id.
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// The line, for JSON Lines.
        line: Option<u64>,
        /// The id.
        id: String,
    },
    /// So many documents were read that their ids no longer fit the
    /// memory budget's share for the duplicate check: later duplicates go
    /// unreported (the documents are indexed as usual).
    DuplicateCheckStopped {
        /// Ids checked before it stopped.
        after: u64,
    },
    /// A JSON Lines line is not a JSON object with string fields; it was skipped.
    MalformedJson {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: u64,
        /// What is wrong.
        error: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Unreadable { path, error } => {
                write!(f, "{}: cannot read ({error}); skipped", path.display())
            }
            Warning::InvalidUtf8 { path, line: None } => {
                write!(
                    f,
                    "{}: not valid UTF-8; invalid bytes replaced",
                    path.display()
                )
            }
            Warning::InvalidUtf8 {
                path,
                line: Some(n),
            } => {
                write!(
                    f,
                    "{}:{n}: not valid UTF-8; invalid bytes replaced",
                    path.display()
                )
            }
            Warning::Binary { path } => write!(f, "{}: binary file; skipped", path.display()),
            Warning::Empty { path } => write!(f, "{}: empty; skipped", path.display()),
            Warning::NotAFile { path, what } => write!(
                f,
                "{}: {what}, not a regular file; skipped (only files and folders are read, and `-` for standard input)",
                path.display()
            ),
            Warning::TooLarge { path, line } => {
                let at = line.map(|n| format!(":{n}")).unwrap_or_default();
                write!(
                    f,
                    "{}{at}: document over {} MiB; skipped",
                    path.display(),
                    MAX_DOCUMENT_BYTES >> 20
                )
            }
            Warning::DuplicateId { path, line, id } => {
                let at = line.map(|n| format!(":{n}")).unwrap_or_default();
                write!(
                    f,
                    "{}{at}: the id {id:?} was used before; indexed all the same (ids should be unique)",
                    path.display()
                )
            }
            Warning::DuplicateCheckStopped { after } => write!(
                f,
                "{after} document ids were checked for duplicates; later ones are not (raise --memory to check more)"
            ),
            Warning::MalformedJson { path, line, error } => {
                write!(f, "{}:{line}: {error}; line skipped", path.display())
            }
        }
    }
}
