//! On-disk format compatibility, after tantivy's `compat_tests`: a small
//! fixed corpus is indexed once and its bytes are kept in
//! `tests/golden/v9.qidx` (format version 9). Every build must
//!
//! - read that file and answer queries with the recorded ids and scores, and
//! - write exactly the same bytes for the same corpus today.
//!
//! To regenerate the golden file after an intended change (a format change,
//! or an analyzer change that alters terms), run
//!
//! ```text
//! QUARRY_BLESS=1 cargo test -p quarry-tests --test compat
//! ```
//!
//! which rewrites the file and still checks the queries against it. If the
//! query expectations change too, the failure prints the new table ready to
//! paste into [`EXPECTED`].

use std::path::PathBuf;
use std::sync::OnceLock;

use quarry::{Error, Index, Operator, Query, SearchOptions};
use quarry_index::IndexBuilder;

/// The corpus: (external id, title, body). Fixed forever: `v1.qidx` to
/// `v9.qidx` all index it.
const CORPUS: &[(&str, &str, &str)] = &[
    (
        "rust-lang",
        "Rust Programming",
        "Rust is a systems programming language. Rust programs are fast and safe.",
    ),
    (
        "python",
        "Python Basics",
        "Python is a popular programming language for scripting and data analysis.",
    ),
    (
        "greek-road",
        "ΟΔΟΣ",
        "The Greek word ΟΔΟΣ means road or street.",
    ),
    (
        "german-street",
        "Straße",
        "Die Straße ist lang. A German street sign reads Straße.",
    ),
    // Matches "quokka" in its title only.
    (
        "title-only",
        "Quokka",
        "A small marsupial from Western Australia, smiling for photographs.",
    ),
    // Repeated words: tf = 4 in the body.
    ("repeated", "Echo", "echo echo echo echo the canyon answers"),
    // Empty title.
    (
        "untitled",
        "",
        "A document without a title still has a searchable body about rust and safety.",
    ),
    (
        "search-engines",
        "Search Engines",
        "An inverted index maps terms to postings. Search engines rank documents with BM25.",
    ),
    (
        "pasta",
        "Cooking Pasta",
        "Boil water, add salt, cook the pasta for nine minutes.",
    ),
    (
        "rust-metal",
        "Rust on Metal",
        "Iron oxide, commonly called rust, forms on steel exposed to water and air.",
    ),
    (
        "bm25",
        "BM25 Ranking",
        "BM25 combines term frequency, inverse document frequency and document length.",
    ),
    (
        "street-food",
        "Street Food",
        "Street vendors sell food on the street in many cities.",
    ),
];

/// One recorded query: text, all words?, and the (id, score) hits in rank order.
type Case = (&'static str, bool, &'static [(&'static str, f64)]);

/// Queries against the golden file. Derived once from the engine; the
/// `quokka` score is re-derived by hand in
/// `a_title_only_score_matches_bm25_by_hand`.
const EXPECTED: &[Case] = &[
    (
        "rust",
        false,
        &[
            ("rust-lang", 3.2272165952831147),
            ("rust-metal", 2.406980389530724),
            ("untitled", 1.159104891170242),
        ],
    ),
    (
        "RUST",
        false,
        &[
            ("rust-lang", 3.2272165952831147),
            ("rust-metal", 2.406980389530724),
            ("untitled", 1.159104891170242),
        ],
    ),
    ("quokka", false, &[("title-only", 2.5427166654358024)]),
    ("echo", false, &[("repeated", 6.424716982433276)]),
    (
        "street",
        false,
        &[
            ("street-food", 3.7822653899535137),
            ("greek-road", 1.457752990366392),
            ("german-street", 1.3424565253648757),
        ],
    ),
    ("ΟΔΟΣ", false, &[("greek-road", 4.941761990562373)]),
    ("Straße", false, &[("german-street", 5.558762150411221)]),
    (
        "programming language",
        false,
        &[
            ("rust-lang", 5.697322433308976),
            ("python", 3.245052624086752),
        ],
    ),
    (
        "programming language",
        true,
        &[
            ("rust-lang", 5.697322433308976),
            ("python", 3.245052624086752),
        ],
    ),
    (
        "rust water",
        false,
        &[
            ("rust-metal", 3.9147879836031114),
            ("rust-lang", 3.2272165952831147),
            ("pasta", 1.686690662721034),
            ("untitled", 1.159104891170242),
        ],
    ),
    ("rust water", true, &[("rust-metal", 3.9147879836031114)]),
    (
        "bm25 document",
        false,
        &[
            ("bm25", 5.468956052674548),
            ("search-engines", 2.707889024766815),
            ("untitled", 1.159104891170242),
        ],
    ),
    ("nothing matches zebra", false, &[]),
];

const GOLDEN: &str = "tests/golden/v9.qidx";

/// The same corpora written by earlier format versions: 1 (quarry 0.1,
/// issue 2), 2 (variable-length skip entries), 3 (no SURFACE section), 4
/// (no SOURCES section), 5 (no frontiers of groups of blocks), 6 (no page
/// checksums), 7 (4 KiB pages everywhere) and 8 (field lengths, the store
/// index and PAGESUMS checked whole at first use), kept to prove old files
/// are refused with advice, never misread.
const GOLDEN_OLD: [(u32, &str); 15] = [
    (1, "tests/golden/v1.qidx"),
    (2, "tests/golden/v2.qidx"),
    (2, "tests/golden/v2-blocks.qidx"),
    (3, "tests/golden/v3.qidx"),
    (3, "tests/golden/v3-blocks.qidx"),
    (4, "tests/golden/v4.qidx"),
    (4, "tests/golden/v4-blocks.qidx"),
    (5, "tests/golden/v5.qidx"),
    (5, "tests/golden/v5-blocks.qidx"),
    (6, "tests/golden/v6.qidx"),
    (6, "tests/golden/v6-blocks.qidx"),
    (7, "tests/golden/v7.qidx"),
    (7, "tests/golden/v7-blocks.qidx"),
    (8, "tests/golden/v8.qidx"),
    (8, "tests/golden/v8-blocks.qidx"),
];

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(GOLDEN)
}

fn blessing() -> bool {
    std::env::var_os("QUARRY_BLESS").is_some_and(|v| v == "1")
}

/// The corpus indexed by today's code.
fn build_today() -> Vec<u8> {
    let mut b = IndexBuilder::default();
    for (id, title, body) in CORPUS {
        b.add(id, title, body).unwrap();
    }
    b.to_bytes()
}

/// The golden file's bytes. Under `QUARRY_BLESS=1` the file is first
/// rewritten from today's build (once per run, before any test reads it).
fn golden() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| read_golden(golden_path(), build_today))
}

/// A second golden file with long postings: bit-packed blocks, skip data
/// and frontiers, which the small corpus above never reaches.
const GOLDEN_BLOCKS: &str = "tests/golden/v9-blocks.qidx";

/// 2,600 generated documents (600 up to version 5): `alpha` in every one
/// (20 full blocks and a tail: two groups of blocks, the second partial),
/// `bravo` in every other (10 full blocks and a tail), `charlie` in every
/// 7th, `delta` in one; frequencies and lengths vary, so frontiers have
/// several points.
fn build_blocks() -> Vec<u8> {
    let mut b = IndexBuilder::default();
    for d in 0..2600u32 {
        let mut words = vec!["alpha"; 1 + (d % 5) as usize];
        if d % 2 == 0 {
            words.extend(std::iter::repeat_n("bravo", 1 + (d % 3) as usize));
        }
        if d % 7 == 0 {
            words.push("charlie");
        }
        if d == 333 {
            words.push("delta");
        }
        words.extend(std::iter::repeat_n("filler", (d % 11) as usize));
        let title = if d % 4 == 0 { "alpha bravo" } else { "" };
        b.add(&format!("g{d}"), title, &words.join(" ")).unwrap();
    }
    b.to_bytes()
}

fn golden_blocks() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        read_golden(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(GOLDEN_BLOCKS),
            build_blocks,
        )
    })
}

fn read_golden(path: PathBuf, build: fn() -> Vec<u8>) -> Vec<u8> {
    if blessing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, build())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("QUARRY_BLESS=1: rewrote {}", path.display());
    }
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; generate it with \
             `QUARRY_BLESS=1 cargo test -p quarry-tests --test compat`",
            path.display()
        )
    })
}

fn golden_index() -> Index {
    Index::from_bytes(golden().to_vec()).expect("golden file opens")
}

fn options(all_words: bool) -> SearchOptions {
    let o = SearchOptions::top(10);
    if all_words {
        o.all_words()
    } else {
        o
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn golden_file_verifies_and_answers_queries_as_recorded() {
    let index = golden_index();
    index.verify().expect("golden file verifies");
    assert_eq!(index.doc_count() as usize, CORPUS.len());

    let mut mismatches = Vec::new();
    let mut table = String::new();
    for &(text, all_words, want) in EXPECTED {
        let hits = index.search(text, &options(all_words)).unwrap();
        let got: Vec<(&str, f64)> = hits.iter().map(|h| (h.id.as_str(), h.score)).collect();
        let same = got.len() == want.len()
            && got
                .iter()
                .zip(want)
                .all(|(g, w)| g.0 == w.0 && close(g.1, w.1));
        if !same {
            mismatches.push(format!("{text:?} (all words: {all_words})"));
        }
        table.push_str(&format!("    ({text:?}, {all_words}, &{got:?}),\n"));
    }
    assert!(
        mismatches.is_empty(),
        "queries on {GOLDEN} answer differently: {}\n\
         If the change is intended, replace EXPECTED in tests/compat.rs with:\n{table}",
        mismatches.join(", ")
    );
}

#[test]
fn a_title_only_score_matches_bm25_by_hand() {
    // score = Σ_fields idf·tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)),
    // idf = ln(1 + (N − n + 0.5)/(n + 0.5)), k1 = 1.2, b = 0.75.
    //
    // "quokka" occurs only in the title of "title-only": N = 12, n = 1,
    // tf = 1, dl = 1. Title tokens over the corpus: 2+2+1+1+1+1+0+2+2+3+2+2
    // = 19, so avgdl = 19/12. The body contributes nothing.
    //   idf  = ln(1 + 11.5/1.5) = ln(8.6667) ≈ 2.15948
    //   norm = 1.2·(0.25 + 0.75·12/19) ≈ 0.86842
    //   score = 2.15948·2.2 / 1.86842 ≈ 2.54272
    let index = golden_index();
    assert!(close(
        index.avg_field_len(quarry::Field::Title),
        19.0 / 12.0
    ));
    let idf = (1.0f64 + (12.0 - 1.0 + 0.5) / (1.0 + 0.5)).ln();
    let norm = 1.2 * (1.0 - 0.75 + 0.75 * 1.0 / (19.0 / 12.0));
    let by_hand = idf * 1.0 * 2.2 / (1.0 + norm);
    let (_, _, want) = EXPECTED
        .iter()
        .find(|(q, all, _)| *q == "quokka" && !*all)
        .expect("EXPECTED has the quokka query");
    assert_eq!(want.len(), 1);
    assert_eq!(want[0].0, "title-only");
    assert!(close(want[0].1, by_hand), "{} vs {by_hand}", want[0].1);
}

#[test]
fn todays_build_is_byte_identical_to_the_golden_file() {
    let golden = golden();
    let today = build_today();
    if today == golden {
        return;
    }
    let first = today
        .iter()
        .zip(golden)
        .position(|(a, b)| a != b)
        .unwrap_or(today.len().min(golden.len()));
    let section = quarry::format::parse_header(golden)
        .ok()
        .and_then(|s| {
            s.into_iter()
                .find(|e| (e.offset..e.offset + e.len).contains(&(first as u64)))
        })
        .map_or("header".to_string(), |e| e.kind.name().to_string());
    panic!(
        "the on-disk format changed: the same corpus now indexes to {} bytes, \
         {GOLDEN} has {}; first difference at byte {first} ({section}).\n\
         If this is intended, bump quarry::format::VERSION, update FORMAT.md, and \
         regenerate the golden file with \
         `QUARRY_BLESS=1 cargo test -p quarry-tests --test compat`.",
        today.len(),
        golden.len()
    );
}

#[test]
fn golden_file_is_the_current_format_version() {
    let golden = golden();
    assert_eq!(&golden[..8], b"QRYINDEX");
    assert_eq!(
        u32::from_le_bytes(golden[8..12].try_into().unwrap()),
        9,
        "{GOLDEN} must stay a version 9 file"
    );
    // When quarry::format::VERSION is bumped again, keep this file, bless a
    // new v10.qidx, and move this file into the refusal test below.
    assert_eq!(quarry::format::VERSION, 9);
    if let Err(e) = Index::from_bytes(golden.to_vec()) {
        panic!("{GOLDEN}: {e}");
    }
}

#[test]
fn older_versions_are_refused_with_advice_to_rebuild() {
    for (version, file) in GOLDEN_OLD {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{file} is kept: {e}"));
        assert_eq!(
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
            version
        );
        match Index::open(&path) {
            Err(e @ Error::Version { found, .. }) if found == version => {
                let msg = e.to_string();
                assert!(msg.contains("rebuild the index"), "{msg}");
            }
            Err(e) => panic!("{file}: wrong error: {e}"),
            Ok(_) => panic!("{file}, a version {version} file, opened"),
        }
    }
}

#[test]
fn long_postings_golden_file_is_rebuilt_identically_and_answers() {
    let golden = golden_blocks();
    assert!(
        build_blocks() == golden,
        "{GOLDEN_BLOCKS}: today's build differs (see the byte-identity test above \
         for what to do when the format changes on purpose)"
    );
    let index = Index::from_bytes(golden.to_vec()).expect("opens");
    index.verify().expect("verifies");
    let count = |text: &str, op: Operator| {
        let q = Query::parse(text, index.analyzer(), op).unwrap();
        index.count(&q).unwrap()
    };
    assert_eq!(count("alpha", Operator::Or), 2600);
    assert_eq!(count("bravo", Operator::Or), 1300);
    assert_eq!(count("charlie", Operator::Or), 372);
    assert_eq!(count("delta", Operator::Or), 1);
    assert_eq!(count("bravo charlie", Operator::And), 186);
    assert_eq!(count("charlie delta", Operator::Or), 373);
    // "alpha bravo" is every 4th title (650) and, in bodies, every even
    // document (alpha is followed by bravo there): 1300 in all.
    assert_eq!(count("\"alpha bravo\"", Operator::Or), 1300);
    for (text, op) in [
        ("alpha", Operator::Or),
        ("bravo charlie", Operator::Or),
        ("alpha delta", Operator::Or),
        ("alpha bravo", Operator::And),
    ] {
        let q = Query::parse(text, index.analyzer(), op).unwrap();
        let mk = |pruning| SearchOptions {
            pruning,
            ..SearchOptions::top(10)
        };
        let pruned = index.top_doc_ids(&q, &mk(true)).unwrap();
        let exhaustive = index.top_doc_ids(&q, &mk(false)).unwrap();
        assert_eq!(pruned, exhaustive, "{text}");
        assert_eq!(pruned.len(), 10);
    }
}

#[test]
fn golden_file_surface_forms_answer_as_recorded() {
    let index = golden_index();
    let words = |m: quarry::SurfaceMatches| -> Vec<(String, u64, u8)> {
        m.words
            .into_iter()
            .map(|w| (w.word, w.doc_freq, w.distance))
            .collect()
    };
    // "street" is in the bodies of greek-road and german-street, and in
    // both fields of street-food: three documents.
    assert_eq!(
        words(index.surface_prefix("STRE", 10).unwrap()),
        [("street".to_string(), 3, 0)]
    );
    // Unstemmed: "programs" and "programming" are separate forms.
    assert_eq!(
        words(index.surface_prefix("program", 10).unwrap()),
        [
            ("programming".to_string(), 2, 0),
            ("programs".to_string(), 1, 0)
        ]
    );
    assert_eq!(
        words(index.surface_fuzzy("strasse", 2, 10).unwrap()),
        [("straße".to_string(), 1, 2)]
    );
    // Counted outside Quarry (distinct lowercased alphanumeric runs of the
    // corpus, and the sum of their per-document counts).
    let all = index.surface_prefix("", usize::MAX).unwrap();
    assert_eq!(all.total, 97);
    assert_eq!(all.words.iter().map(|w| w.doc_freq).sum::<u64>(), 122);
    assert_eq!(index.verify().unwrap().surface_forms, 97);
}
