//! Where documents came from: the SOURCES section.
//!
//! Documents are grouped in runs, in document order: a run of documents
//! read from one file (a text file, or all the lines of a JSON Lines file)
//! records the file's path as the inputs named it, its size and its
//! modification time when it was read; a run of documents that came from
//! no file (standard input, or a library caller's own documents) records
//! only how many there were. An update compares these records with the
//! files as they are now, and carries over the documents of files that
//! did not change.
//!
//! Adjacent runs that say the same thing are one run, so the section of a
//! merge is the section a build of the same inputs in the same order
//! writes.

use byteorder::{ByteOrder, LittleEndian};

/// A file as it was when its documents were read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileStamp {
    /// The path as the inputs named it (the documents' id, for text files).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, in nanoseconds since the Unix epoch (negative
    /// before it).
    pub modified_ns: i64,
}

impl FileStamp {
    /// The stamp of the file at `path` as it is now, recorded under `name`.
    ///
    /// # Errors
    /// Any error reading the file's metadata.
    pub fn of(name: String, path: &std::path::Path) -> std::io::Result<FileStamp> {
        let meta = std::fs::metadata(path)?;
        Ok(FileStamp::from_metadata(name, &meta))
    }

    /// The stamp of a file whose metadata is `meta`, recorded under `name`.
    pub fn from_metadata(name: String, meta: &std::fs::Metadata) -> FileStamp {
        let modified_ns =
            meta.modified()
                .ok()
                .map_or(0, |t| match t.duration_since(std::time::UNIX_EPOCH) {
                    Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
                    Err(e) => i64::try_from(e.duration().as_nanos()).map_or(i64::MIN, |n| -n),
                });
        FileStamp {
            path: name,
            size: meta.len(),
            modified_ns,
        }
    }
}

/// Documents that came from one place, one after another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRun {
    /// The file they were read from; `None` for documents from no file.
    pub file: Option<FileStamp>,
    /// How many documents.
    pub docs: u32,
}

/// Builds the SOURCES section, run by run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    runs: Vec<SourceRun>,
}

impl Sources {
    /// No runs.
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Appends `docs` documents from `file`, joining them to the last run
    /// when it says the same.
    pub fn push(&mut self, file: Option<&FileStamp>, docs: u32) {
        if docs == 0 {
            return;
        }
        if let Some(last) = self.runs.last_mut() {
            if last.file.as_ref() == file {
                last.docs += docs;
                return;
            }
        }
        self.runs.push(SourceRun {
            file: file.cloned(),
            docs,
        });
    }

    /// The runs, in document order.
    pub fn runs(&self) -> &[SourceRun] {
        &self.runs
    }

    /// The number of documents of every run.
    pub fn doc_count(&self) -> u64 {
        self.runs.iter().map(|r| u64::from(r.docs)).sum()
    }

    /// The section's bytes: the run count (u32), then per run its document
    /// count (u32) and a kind byte: 0 for no file, or 1 followed by the
    /// size (u64), the modification time (i64), the path's length (u32)
    /// and its UTF-8 bytes. Integers are little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.runs.len() * 32);
        out.extend_from_slice(&(self.runs.len() as u32).to_le_bytes());
        for run in &self.runs {
            out.extend_from_slice(&run.docs.to_le_bytes());
            match &run.file {
                None => out.push(0),
                Some(f) => {
                    out.push(1);
                    out.extend_from_slice(&f.size.to_le_bytes());
                    out.extend_from_slice(&f.modified_ns.to_le_bytes());
                    out.extend_from_slice(&(f.path.len() as u32).to_le_bytes());
                    out.extend_from_slice(f.path.as_bytes());
                }
            }
        }
        out
    }

    /// Decodes a section [`Sources::encode`] wrote for `doc_count`
    /// documents; `Err` says what is malformed.
    pub fn decode(bytes: &[u8], doc_count: u32) -> Result<Sources, String> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], String> {
            if n == 0 {
                // Asked at the end: nothing may be left.
                return if at == bytes.len() {
                    Ok(&[])
                } else {
                    Err(String::new())
                };
            }
            let b = at
                .checked_add(n)
                .and_then(|end| bytes.get(at..end))
                .ok_or("the sources section is cut short")?;
            at += n;
            Ok(b)
        };
        let count = LittleEndian::read_u32(take(4)?);
        let mut sources = Sources::new();
        for _ in 0..count {
            let docs = LittleEndian::read_u32(take(4)?);
            let file = match take(1)?[0] {
                0 => None,
                1 => {
                    let size = LittleEndian::read_u64(take(8)?);
                    let modified_ns = LittleEndian::read_i64(take(8)?);
                    let len = LittleEndian::read_u32(take(4)?) as usize;
                    let path = std::str::from_utf8(take(len)?)
                        .map_err(|_| "a source path is not UTF-8")?
                        .to_string();
                    Some(FileStamp {
                        path,
                        size,
                        modified_ns,
                    })
                }
                k => return Err(format!("a source run has the unknown kind {k}")),
            };
            if docs == 0 {
                return Err("a source run holds no documents".into());
            }
            sources.runs.push(SourceRun { file, docs });
        }
        if take(0).is_err() {
            return Err("the sources section has bytes after its last run".into());
        }
        if sources.doc_count() != u64::from(doc_count) {
            return Err(format!(
                "the sources account for {} documents, not {doc_count}",
                sources.doc_count()
            ));
        }
        Ok(sources)
    }

    /// The runs of documents `start..end`, a run cut at either end
    /// becoming a run from no file (it no longer holds all of its file).
    pub fn slice(&self, start: u32, end: u32, out: &mut Sources) {
        let mut first = 0u32;
        for run in &self.runs {
            let last = first + run.docs;
            let (s, e) = (first.max(start), last.min(end));
            if s < e {
                let whole = s == first && e == last;
                out.push(if whole { run.file.as_ref() } else { None }, e - s);
            }
            first = last;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(path: &str) -> FileStamp {
        FileStamp {
            path: path.into(),
            size: 12,
            modified_ns: -5,
        }
    }

    #[test]
    fn runs_round_trip_and_join() {
        let mut s = Sources::new();
        s.push(None, 2);
        s.push(None, 1);
        s.push(Some(&stamp("a.txt")), 1);
        s.push(Some(&stamp("b.jsonl")), 3);
        s.push(Some(&stamp("b.jsonl")), 2);
        s.push(None, 0);
        assert_eq!(s.runs().len(), 3);
        assert_eq!(s.runs()[0].docs, 3);
        assert_eq!(s.runs()[2].docs, 5);
        let bytes = s.encode();
        assert_eq!(Sources::decode(&bytes, 9).unwrap(), s);
        assert!(Sources::decode(&bytes, 8).is_err());
        for cut in 0..bytes.len() {
            assert!(Sources::decode(&bytes[..cut], 9).is_err());
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(Sources::decode(&long, 9).is_err());
    }

    #[test]
    fn a_cut_run_is_from_no_file() {
        let mut s = Sources::new();
        s.push(Some(&stamp("a")), 4);
        s.push(Some(&stamp("b")), 2);
        let mut out = Sources::new();
        s.slice(4, 6, &mut out);
        assert_eq!(out.runs(), &s.runs()[1..]);
        let mut out = Sources::new();
        s.slice(1, 5, &mut out);
        assert_eq!(
            out.runs(),
            &[SourceRun {
                file: None,
                docs: 4
            }]
        );
    }
}
