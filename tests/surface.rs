//! Surface forms (the SURFACE section): prefix and fuzzy matching and
//! did-you-mean over words as written, lowercased but not stemmed.

mod util;

use std::collections::BTreeMap;
use std::path::PathBuf;

use quarry::{Error, Index, SurfaceMatches};
use quarry_index::IndexBuilder;
use util::Rng;

fn small_index() -> Index {
    let mut b = IndexBuilder::default();
    // "government" is in two documents (twice in the first, once per field).
    b.add(
        "a",
        "The Government",
        "The government met. Governments fall.",
    )
    .unwrap();
    b.add("b", "", "A governess and the Café owner.").unwrap();
    b.add("c", "CAFÉ", "cafe culture, teh typo, running late")
        .unwrap();
    b.add("d", "Shutdown", "GOVERNMENT shutdown").unwrap();
    let index = Index::from_bytes(b.to_bytes()).unwrap();
    index.verify().unwrap();
    index
}

fn words(m: &SurfaceMatches) -> Vec<(&str, u64, u8)> {
    m.words
        .iter()
        .map(|w| (w.word.as_str(), w.doc_freq, w.distance))
        .collect()
}

#[test]
fn prefix_matches_surface_forms_with_document_frequencies() {
    let index = small_index();
    let m = index.surface_prefix("gov", 10).unwrap();
    assert_eq!(
        words(&m),
        [
            ("government", 2, 0),
            ("governess", 1, 0),
            ("governments", 1, 0)
        ]
    );
    assert_eq!(m.total, 3);
    // The prefix is lowercased as the analyzer lowercases.
    assert_eq!(index.surface_prefix("GoV", 10).unwrap(), m);
    assert_eq!(
        words(&index.surface_prefix("the", 10).unwrap()),
        [("the", 2, 0)]
    );
    assert!(index.surface_prefix("zzz", 10).unwrap().words.is_empty());
}

#[test]
fn the_limit_keeps_the_most_frequent_and_reports_the_total() {
    let index = small_index();
    // Tie at df 1 between governess and governments: the earlier word wins.
    let m = index.surface_prefix("gov", 2).unwrap();
    assert_eq!(words(&m), [("government", 2, 0), ("governess", 1, 0)]);
    assert_eq!(m.total, 3);
    let m = index.surface_prefix("gov", 0).unwrap();
    assert!(m.words.is_empty());
    assert_eq!(m.total, 3);
    // Fuzzy: the limit picks by frequency, whatever the distance.
    let m = index.surface_fuzzy("goverment", 2, 1).unwrap();
    assert_eq!(words(&m), [("government", 2, 1)]);
    assert_eq!(m.total, 2);
    // Every form of the index: "" is a prefix of all of them.
    let all = index.surface_prefix("", usize::MAX).unwrap();
    assert_eq!(all.total, all.words.len());
    assert_eq!(all.total as u64, index.verify().unwrap().surface_forms);
}

#[test]
fn fuzzy_matches_words_as_written_not_stems() {
    let index = small_index();
    // A deletion: one edit from "government"; two from "governments".
    assert_eq!(
        words(&index.surface_fuzzy("goverment", 1, 10).unwrap()),
        [("government", 2, 1)]
    );
    assert_eq!(
        words(&index.surface_fuzzy("Goverment", 2, 10).unwrap()),
        [("government", 2, 1), ("governments", 1, 2)]
    );
    // A transposition is one edit; the typo itself is a form too.
    assert_eq!(
        words(&index.surface_fuzzy("teh", 1, 10).unwrap()),
        [("teh", 1, 0), ("the", 2, 1)]
    );
    // Distance 0 is an exact lookup.
    assert_eq!(
        words(&index.surface_fuzzy("GOVERNESS", 0, 10).unwrap()),
        [("governess", 1, 0)]
    );
}

#[test]
fn non_ascii_words_match_by_character() {
    let index = small_index();
    // "Café" and "CAFÉ" are one form in two documents; "cafe" another.
    assert_eq!(
        words(&index.surface_prefix("caf", 10).unwrap()),
        [("café", 2, 0), ("cafe", 1, 0)]
    );
    assert_eq!(
        words(&index.surface_prefix("CAFÉ", 10).unwrap()),
        [("café", 2, 0)]
    );
    // é for e is one substitution, not two byte edits.
    assert_eq!(
        words(&index.surface_fuzzy("cafe", 1, 10).unwrap()),
        [("cafe", 1, 0), ("café", 2, 1)]
    );
    assert_eq!(
        words(&index.surface_fuzzy("caéf", 1, 10).unwrap()),
        [("café", 2, 1)]
    );
}

#[test]
fn suggest_gives_real_words_nearest_first_never_the_word_or_stems() {
    let index = small_index();
    let s = index.suggest("goverment", 5).unwrap();
    let got: Vec<(&str, u64, u8)> = s
        .iter()
        .map(|w| (w.word.as_str(), w.doc_freq, w.distance))
        .collect();
    assert_eq!(got, [("government", 2, 1), ("governments", 1, 2)]);
    let s = index.suggest("government", 5).unwrap();
    assert_eq!(s[0].word, "governments");
    assert!(s.iter().all(|w| w.word != "government"));
    // "running" stems to "run", which no document spells: nothing is one
    // or two edits from "rum".
    assert!(index.suggest("rum", 5).unwrap().is_empty());
    assert_eq!(index.suggest("goverment", 1).unwrap().len(), 1);
}

#[test]
fn a_distance_above_two_is_a_typed_error() {
    let index = small_index();
    match index.surface_fuzzy("word", 3, 10) {
        Err(e @ Error::InvalidQuery(_)) => assert!(e.to_string().contains("0, 1 or 2"), "{e}"),
        other => panic!("{other:?}"),
    }
    // A word too long to be near any form finds nothing.
    let long = "x".repeat(100);
    assert_eq!(index.surface_fuzzy(&long, 2, 10).unwrap().total, 0);
}

#[test]
fn an_empty_index_has_no_surface_forms() {
    let index = Index::from_bytes(IndexBuilder::default().to_bytes()).unwrap();
    assert_eq!(index.surface_prefix("", 10).unwrap().total, 0);
    assert!(index.suggest("word", 10).unwrap().is_empty());
}

/// Document frequencies against a count made here, independently of the
/// analyzer code: alphanumeric runs under 40 bytes, lowercased per character.
#[test]
fn document_frequencies_match_a_brute_force_count() {
    let vocab = [
        "Alpha",
        "alpha",
        "ALPHA",
        "beta",
        "Beta",
        "γάμμα",
        "ΓΆΜΜΑ",
        "delta",
        "deltas",
        "x",
    ];
    let long = "L".repeat(40);
    let mut rng = Rng(7);
    let mut b = IndexBuilder::default();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for d in 0..300 {
        let pick = |rng: &mut Rng, n: u64| -> String {
            (0..n)
                .map(|_| match rng.below(12) {
                    10 => long.as_str(),
                    11 => "--",
                    i => vocab[i as usize % vocab.len()],
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (nt, nb) = (rng.below(3), rng.below(9));
        let title = pick(&mut rng, nt);
        let body = pick(&mut rng, nb);
        let mut seen = std::collections::BTreeSet::new();
        for text in [&title, &body] {
            for tok in text.split(|c: char| !c.is_alphanumeric()) {
                if !tok.is_empty() && tok.len() < 40 {
                    seen.insert(tok.chars().flat_map(char::to_lowercase).collect::<String>());
                }
            }
        }
        for s in seen {
            *want.entry(s).or_default() += 1;
        }
        b.add(&format!("d{d}"), &title, &body).unwrap();
    }
    let index = Index::from_bytes(b.to_bytes()).unwrap();
    index.verify().unwrap();
    let got: BTreeMap<String, u64> = index
        .surface_prefix("", usize::MAX)
        .unwrap()
        .words
        .into_iter()
        .map(|w| (w.word, w.doc_freq))
        .collect();
    assert_eq!(got, want);
}

/// The seed articles: a misspelling gets the real word first.
#[test]
fn seeds_suggest_diplomacy_for_diplomcy() {
    let seeds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("seeds.qidx");
    quarry_index::build_index(&[seeds], &out, &mut |w| panic!("{w:?}")).unwrap();
    let index = Index::open(&out).unwrap();
    let s = index.suggest("diplomcy", 5).unwrap();
    assert_eq!(
        s.first().map(|w| (w.word.as_str(), w.distance)),
        Some(("diplomacy", 1)),
        "{s:?}"
    );
    assert!(s.iter().all(|w| w.word != "diplomcy"));
}

/// Timing on a real index (not run by default):
/// `QUARRY_SURFACE_INDEX=path.qidx cargo test --release -p quarry-tests --test surface -- --ignored --nocapture`
#[test]
#[ignore]
fn time_fuzzy_expansion_on_a_real_index() {
    let Some(path) = std::env::var_os("QUARRY_SURFACE_INDEX") else {
        return;
    };
    let index = Index::open(path).unwrap();
    let all = index.surface_prefix("", 0).unwrap().total;
    println!("{all} surface forms");
    for word in [
        "goverment",
        "diplomcy",
        "teh",
        "restaurnt",
        "informaton",
        "a",
        "zzzzzz",
    ] {
        for distance in [1u8, 2] {
            index.surface_fuzzy(word, distance, 10).unwrap(); // warm
            let runs = 20;
            let t = std::time::Instant::now();
            let mut m = None;
            for _ in 0..runs {
                m = Some(index.surface_fuzzy(word, distance, 10).unwrap());
            }
            let per = t.elapsed() / runs;
            let m = m.unwrap();
            let top: Vec<&str> = m.words.iter().take(3).map(|w| w.word.as_str()).collect();
            println!(
                "{word}~{distance}: {per:?}, {} matches, top {top:?}",
                m.total
            );
        }
    }
    let t = std::time::Instant::now();
    let s = index.suggest("goverment", 5).unwrap();
    println!(
        "suggest goverment: {:?} {:?}",
        t.elapsed(),
        s.iter().map(|w| &w.word).collect::<Vec<_>>()
    );
    let t = std::time::Instant::now();
    let p = index.surface_prefix("gov", 5).unwrap();
    println!(
        "prefix gov: {:?} {} matches {:?}",
        t.elapsed(),
        p.total,
        p.words.iter().map(|w| &w.word).collect::<Vec<_>>()
    );
}
