//! Reading input documents: directories, text files and JSON Lines.

use std::collections::HashSet;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quarry::sources::FileStamp;

use crate::error::IndexError;

mod listing;
mod warning;
pub(crate) use listing::{list_inputs, listed_bytes, Input};
pub use warning::Warning;

/// A document to index.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Document {
    /// External id, shown in results.
    pub id: String,
    /// Title (may be empty).
    pub title: String,
    /// Body.
    pub body: String,
    /// The file it was read from, as it was then (`None` for standard
    /// input); an update compares it with the file as it is now.
    pub source: Option<Arc<FileStamp>>,
}

/// Counts of what the inputs held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputStats {
    /// Documents produced.
    pub documents: u64,
    /// Files (and JSON lines) not indexed: unsupported, binary, empty, unreadable, malformed.
    pub skipped: u64,
    /// Warnings reported.
    pub warnings: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// Documents (a text file, or a JSON line) larger than this are skipped.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 30;

/// Titles longer than this many characters are treated as body text.
pub const MAX_TITLE_CHARS: usize = 200;

/// Extensions of text files picked up when walking a directory.
const TEXT_EXTENSIONS: [&str; 3] = ["txt", "md", "text"];
/// Extensions of JSON Lines files.
const JSONL_EXTENSIONS: [&str; 2] = ["jsonl", "ndjson"];

/// The UTF-8 byte order mark some editors put at the start of a file.
const BOM: char = '\u{feff}';

fn has_extension(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Splits a text file into title and body: the first non-empty line is the
/// title when it is at most [`MAX_TITLE_CHARS`] characters and more text
/// follows; otherwise the title is empty and the whole text is the body.
/// `None` when the text is blank.
pub fn text_document(id: String, text: &str) -> Option<Document> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    // The first line with any non-whitespace character, and what follows it.
    let mut rest = text;
    let first = loop {
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        if !line.trim().is_empty() {
            rest = after;
            break line.trim();
        }
        if after.is_empty() {
            return None;
        }
        rest = after;
    };
    if first.chars().count() <= MAX_TITLE_CHARS && !rest.trim().is_empty() {
        Some(Document {
            id,
            title: first.to_string(),
            body: rest.trim_start_matches(['\n', '\r']).to_string(),
            source: None,
        })
    } else {
        Some(Document {
            id,
            title: String::new(),
            body: text.to_string(),
            source: None,
        })
    }
}

/// Reads every input path in order, calling `on_doc` for each document and
/// `on_warning` for each problem. Directories are walked recursively in
/// name order for `.txt`, `.md` and `.text` files, leaving out hidden and
/// ignored files and not following symbolic links ([`WalkOptions`]'s
/// defaults); other files, JSON Lines included, are counted as skipped
/// (name a JSON Lines file to index it). A file named directly is read as
/// JSON Lines if its extension says so, else as text; `-` is JSON Lines on
/// standard input.
///
/// # Errors
/// [`IndexError::InputNotFound`] before anything is read if a path does not
/// exist. An unreadable folder or file is a warning.
pub fn read_inputs(
    paths: &[PathBuf],
    on_doc: &mut dyn FnMut(Document) -> Result<(), IndexError>,
    on_warning: &mut dyn FnMut(Warning),
) -> Result<InputStats, IndexError> {
    read_inputs_with(paths, WalkOptions::default(), on_doc, on_warning)
}

/// [`read_inputs`] with folders walked as `walk_options` say.
///
/// # Errors
/// As [`read_inputs`].
pub fn read_inputs_with(
    paths: &[PathBuf],
    walk_options: WalkOptions,
    on_doc: &mut dyn FnMut(Document) -> Result<(), IndexError>,
    on_warning: &mut dyn FnMut(Warning),
) -> Result<InputStats, IndexError> {
    read_inputs_observed(paths, walk_options, on_doc, on_warning, &mut |_| {})
}

/// How folders are walked (see [`read_inputs`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Include hidden files and folders (names starting with `.`).
    pub hidden: bool,
    /// Include what `.gitignore`, `.ignore` and `.git/info/exclude` leave out.
    pub no_ignore: bool,
    /// Follow symbolic links (a linked folder or file is then read where
    /// the link is).
    pub follow_links: bool,
}

/// [`read_inputs`], telling `on_read` the bytes read so far before each
/// document is handed on.
pub(crate) fn read_inputs_observed(
    paths: &[PathBuf],
    walk_options: WalkOptions,
    on_doc: &mut dyn FnMut(Document) -> Result<(), IndexError>,
    on_warning: &mut dyn FnMut(Warning),
    on_read: &mut dyn FnMut(u64),
) -> Result<InputStats, IndexError> {
    let listed = list_inputs(paths, walk_options, on_warning)?;
    read_listed(
        &listed.inputs,
        listed.stats,
        DEFAULT_ID_MEMORY,
        on_doc,
        on_warning,
        on_read,
    )
}

/// Memory for the ids seen, for duplicate warnings, when no budget is
/// given: the default budget's share, 64 MiB, about 4 million ids.
pub(crate) const DEFAULT_ID_MEMORY: u64 = 64 << 20;

/// Bytes the duplicate check holds per id (a 64-bit hash in a hash set,
/// with its control byte and spare capacity).
const BYTES_PER_ID: u64 = 16;

/// Reads `inputs` in order (see [`read_inputs`]), counting on from
/// `stats`; the ids seen are remembered, for duplicate warnings, within
/// `id_memory` bytes (past that, the check stops with a warning).
pub(crate) fn read_listed(
    inputs: &[Input],
    stats: InputStats,
    id_memory: u64,
    on_doc: &mut dyn FnMut(Document) -> Result<(), IndexError>,
    on_warning: &mut dyn FnMut(Warning),
    on_read: &mut dyn FnMut(u64),
) -> Result<InputStats, IndexError> {
    let mut r = Reader {
        stats,
        on_doc,
        on_warning,
        on_read,
        ids: HashSet::new(),
        id_limit: usize::try_from(id_memory / BYTES_PER_ID).unwrap_or(usize::MAX),
    };
    for input in inputs {
        match input {
            Input::Stdin => {
                let stdin = std::io::stdin();
                r.jsonl_from(Path::new(STDIN_NAME), None, &mut stdin.lock())?;
            }
            Input::Text(p) => r.text(p)?,
            Input::Jsonl(p) => r.jsonl(p)?,
        }
    }
    Ok(r.stats)
}

/// The input `-`: JSON Lines on standard input.
fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// How warnings name standard input.
const STDIN_NAME: &str = "(standard input)";

struct Reader<'a> {
    stats: InputStats,
    on_doc: &'a mut dyn FnMut(Document) -> Result<(), IndexError>,
    on_warning: &'a mut dyn FnMut(Warning),
    on_read: &'a mut dyn FnMut(u64),
    /// Hashes of the ids emitted, for duplicate warnings (64 bits: a false
    /// alarm among 10 million ids has odds of about 3 in a million).
    ids: HashSet<u64>,
    /// Most ids remembered; past it, duplicates are no longer looked for.
    id_limit: usize,
}

impl Reader<'_> {
    fn warn(&mut self, w: Warning) {
        self.stats.warnings += 1;
        (self.on_warning)(w);
    }

    /// Counts a file or line as skipped and says why.
    fn skip(&mut self, w: Warning) {
        self.stats.skipped += 1;
        self.warn(w);
    }

    fn emit(&mut self, doc: Document, path: &Path, line: Option<u64>) -> Result<(), IndexError> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        doc.id.hash(&mut h);
        if self.id_limit > 0 && self.ids.len() == self.id_limit {
            self.id_limit = 0; // once
            self.warn(Warning::DuplicateCheckStopped {
                after: self.ids.len() as u64,
            });
            self.ids = HashSet::new();
        } else if self.id_limit > 0 && !self.ids.insert(h.finish()) {
            self.warn(Warning::DuplicateId {
                path: path.to_path_buf(),
                line,
                id: doc.id.clone(),
            });
        }
        self.stats.documents += 1;
        (self.on_read)(self.stats.bytes);
        (self.on_doc)(doc)
    }

    /// A text file: one document, its id the path as given.
    fn text(&mut self, path: &Path) -> Result<(), IndexError> {
        let id = path_id(path);
        // The stamp is taken before the bytes are read: a file changed
        // while it is read looks changed to the next update.
        let stamp = FileStamp::of(id.clone(), path).ok().map(Arc::new);
        if let Some(stamp) = &stamp {
            if stamp.size > MAX_DOCUMENT_BYTES as u64 {
                self.skip(Warning::TooLarge {
                    path: path.to_path_buf(),
                    line: None,
                });
                return Ok(());
            }
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(error) => {
                self.skip(Warning::Unreadable {
                    path: path.to_path_buf(),
                    error,
                });
                return Ok(());
            }
        };
        self.stats.bytes += bytes.len() as u64;
        if bytes[..bytes.len().min(8192)].contains(&0) {
            self.skip(Warning::Binary {
                path: path.to_path_buf(),
            });
            return Ok(());
        }
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                self.warn(Warning::InvalidUtf8 {
                    path: path.to_path_buf(),
                    line: None,
                });
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        match text_document(id, &text) {
            Some(doc) => self.emit(
                Document {
                    source: stamp,
                    ..doc
                },
                path,
                None,
            ),
            None => {
                self.skip(Warning::Empty {
                    path: path.to_path_buf(),
                });
                Ok(())
            }
        }
    }

    fn jsonl(&mut self, path: &Path) -> Result<(), IndexError> {
        let stamp = FileStamp::of(path_id(path), path).ok().map(Arc::new);
        let file = match File::open(path) {
            Ok(f) => f,
            Err(error) => {
                self.skip(Warning::Unreadable {
                    path: path.to_path_buf(),
                    error,
                });
                return Ok(());
            }
        };
        let mut reader = BufReader::with_capacity(1 << 20, file);
        self.jsonl_from(path, stamp, &mut reader)
    }

    /// JSON Lines from `reader`, named `path` in ids and warnings, read
    /// from the file `stamp` describes (if any).
    fn jsonl_from(
        &mut self,
        path: &Path,
        stamp: Option<Arc<FileStamp>>,
        reader: &mut dyn BufRead,
    ) -> Result<(), IndexError> {
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        let mut nonblank = 0u64;
        loop {
            buf.clear();
            let n = match read_line_capped(reader, &mut buf, MAX_DOCUMENT_BYTES) {
                Ok(n) => n,
                Err(error) => {
                    self.warn(Warning::Unreadable {
                        path: path.to_path_buf(),
                        error,
                    });
                    break;
                }
            };
            if n == 0 {
                break;
            }
            line_no += 1;
            self.stats.bytes += n as u64;
            if n > MAX_DOCUMENT_BYTES {
                self.skip(Warning::TooLarge {
                    path: path.to_path_buf(),
                    line: Some(line_no),
                });
                continue;
            }
            let line = match std::str::from_utf8(&buf) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => {
                    self.warn(Warning::InvalidUtf8 {
                        path: path.to_path_buf(),
                        line: Some(line_no),
                    });
                    String::from_utf8_lossy(&buf)
                }
            };
            let mut line = line.trim();
            if line_no == 1 {
                // A byte order mark is not part of the first document.
                line = line.strip_prefix(BOM).unwrap_or(line).trim_start();
            }
            if line.is_empty() {
                continue;
            }
            nonblank += 1;
            match parse_json_document(line) {
                Ok(doc) => {
                    let doc = Document {
                        id: doc
                            .id
                            .unwrap_or_else(|| format!("{}:{line_no}", path.display())),
                        title: doc.title,
                        body: doc.body,
                        source: stamp.clone(),
                    };
                    self.emit(doc, path, Some(line_no))?;
                }
                Err(error) => {
                    self.skip(Warning::MalformedJson {
                        path: path.to_path_buf(),
                        line: line_no,
                        error,
                    });
                }
            }
        }
        if nonblank == 0 {
            self.skip(Warning::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(())
    }
}

/// Reads one line (through its `\n`, if any) into `buf` and returns its
/// length in bytes, but holds at most `cap + 1` bytes of it: the rest of
/// a longer line is read and dropped, so a line that is too long is
/// refused (its length says so) without being buffered whole.
fn read_line_capped(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<usize> {
    let mut n = 0usize;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(n);
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = (cap + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        reader.consume(take);
        n = n.saturating_add(take);
        if done {
            return Ok(n);
        }
    }
}

#[derive(Debug)]
struct JsonDocument {
    id: Option<String>,
    title: String,
    body: String,
}

/// One JSON Lines record: an object with optional string `id` (a number
/// is accepted too, and kept exactly as written), `title` and `body`;
/// other keys are ignored, and of a key given twice the last counts.
fn parse_json_document(line: &str) -> Result<JsonDocument, String> {
    use serde_json::value::RawValue;
    let fields: std::collections::BTreeMap<std::borrow::Cow<'_, str>, &RawValue> =
        serde_json::from_str(line).map_err(|e| {
            if e.is_data() {
                "not a JSON object with string fields".to_string()
            } else {
                format!("invalid JSON ({e})")
            }
        })?;
    let string = |raw: &RawValue| serde_json::from_str::<String>(raw.get()).ok();
    // A JSON string that is not text (a lone surrogate such as "\ud800"
    // escapes no character) is named as such, not as "not a string".
    let not_text = |key: &str, raw: &RawValue| {
        if raw.get().starts_with('"') {
            format!("\"{key}\" is not valid Unicode text (an escaped lone surrogate?)")
        } else {
            format!("\"{key}\" is not a string")
        }
    };
    let text = |key: &str| -> Result<String, String> {
        match fields.get(key) {
            None => Ok(String::new()),
            Some(raw) if raw.get() == "null" => Ok(String::new()),
            Some(raw) => string(raw).ok_or_else(|| not_text(key, raw)),
        }
    };
    let id = match fields.get("id") {
        None => None,
        Some(raw) if raw.get() == "null" => None,
        Some(raw)
            if raw
                .get()
                .starts_with(|c: char| c == '-' || c.is_ascii_digit()) =>
        {
            Some(raw.get().to_string())
        }
        Some(raw) if raw.get().starts_with('"') => {
            Some(string(raw).ok_or_else(|| not_text("id", raw))?)
        }
        Some(_) => return Err("\"id\" is not a string or number".into()),
    };
    Ok(JsonDocument {
        id,
        title: text("title")?,
        body: text("body")?,
    })
}

/// The id of a text file: its path as the inputs gave it (a folder
/// argument followed by the path within it), with `/` separators and
/// without `.` components, so `quarry index m1 m2` names `m1/a.txt` and
/// `m2/a.txt` apart, and `quarry index ./notes` names `notes/a.txt`.
pub(crate) fn path_id(path: &Path) -> String {
    use std::path::Component;
    let mut id = String::new();
    for c in path.components() {
        match c {
            Component::CurDir => continue,
            Component::RootDir => {}
            c => {
                if !id.is_empty() && !id.ends_with('/') {
                    id.push('/');
                }
                id.push_str(&c.as_os_str().to_string_lossy());
                continue;
            }
        }
        id.push('/');
    }
    id
}

#[cfg(test)]
mod tests;
