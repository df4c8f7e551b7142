//! Arbitrary bytes as an input file: read as JSON Lines (`.jsonl`) and as
//! text (`.txt`) by `quarry_index::input::read_inputs`, and as text by
//! `text_document`. Every document read must index: the index built from
//! them opens, verifies, and finds each one by its stored id and title.
//!
//! Input: one byte choosing the reader (even: JSON Lines, odd: text), then
//! the file's bytes.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use quarry::Index;
use quarry_index::input::{read_inputs, text_document};
use quarry_index::{Document, IndexBuilder};

/// One scratch directory per process (removed when it exits normally).
fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
}

fn read(path: PathBuf) -> Vec<Document> {
    let mut docs = Vec::new();
    let mut warnings = 0u64;
    let stats = read_inputs(
        std::slice::from_ref(&path),
        &mut |d| {
            docs.push(d);
            Ok(())
        },
        &mut |_| warnings += 1,
    )
    .expect("an existing file reads, or warns");
    assert_eq!(stats.documents, docs.len() as u64);
    assert_eq!(stats.warnings, warnings);
    docs
}

fn index(docs: &[Document]) {
    if docs.is_empty() {
        return;
    }
    let mut b = IndexBuilder::default();
    for d in docs {
        b.add(&d.id, &d.title, &d.body)
            .expect("a read document indexes");
    }
    let index = Index::from_bytes(b.to_bytes()).expect("a built index opens");
    index.verify().expect("a built index verifies");
    assert_eq!(index.doc_count() as usize, docs.len());
    for (i, d) in docs.iter().enumerate() {
        let stored = index.document(i as u32).expect("a stored document");
        assert_eq!(
            (stored.id.as_str(), stored.title.as_str()),
            (d.id.as_str(), d.title.as_str())
        );
        assert_eq!(stored.body, d.body);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let name = if which % 2 == 0 { "in.jsonl" } else { "in.txt" };
    let path = dir().path().join(name);
    std::fs::write(&path, bytes).expect("write the input");
    let docs = read(path);
    if which % 2 == 1 {
        assert!(docs.len() <= 1, "a text file is one document");
        let direct = std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| text_document("in.txt".into(), t));
        if let (Some(a), Some(b)) = (docs.first(), &direct) {
            assert_eq!((&a.title, &a.body), (&b.title, &b.body));
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = text_document("direct".into(), text);
    }
    index(&docs);
});
