//! An index set scores, ranks and numbers documents exactly as the index
//! merged from its members does, for every form of the query language.

use proptest::prelude::*;
use quarry::{Index, IndexSet, Operator, SearchOptions};
use quarry_index::IndexBuilder;

const WORDS: [&str; 20] = [
    "cat", "cats", "catalog", "dog", "dogs", "dogma", "sea", "seal", "seas", "ship", "shipping",
    "shape", "run", "running", "ran", "rain", "rail", "gold", "golden", "good",
];

fn document() -> impl Strategy<Value = (String, String)> {
    let word = proptest::sample::select(WORDS.to_vec());
    let field = |n| proptest::collection::vec(word.clone(), 0..n).prop_map(|w| w.join(" "));
    (field(4), field(30))
}

fn build(docs: &[(String, String)], first: usize) -> Index {
    let mut b = IndexBuilder::default();
    for (i, (t, body)) in docs.iter().enumerate() {
        b.add(&format!("d{}", first + i), t, body).unwrap();
    }
    Index::from_bytes(b.to_bytes()).unwrap()
}

const QUERIES: [&str; 22] = [
    "cat",
    "cat dog sea",
    "+cat +dog",
    "cat -dog",
    "\"cat dog\"",
    "\"ship sea\"~2",
    "title:cat body:dog",
    "cat^2 dog^0.5",
    "(cat OR dog) AND sea",
    "ca*",
    "s* gold",
    "d* -dogma",
    "cat~1",
    "goldn~2 rain",
    "+ship (sea OR seal) -rail",
    "title:(cat dog) \"run running\"",
    "r* s* d* c* g*",
    "cat dog sea ship run rain gold good cats dogs seas seal rail ran",
    "zzz",
    "+zzz cat",
    "\"cat cat\"~1",
    "title:s*^3 body:ran",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_set_answers_as_the_merged_index(
        docs in proptest::collection::vec(document(), 1..300),
        cuts in proptest::collection::vec(0usize..300, 0..4),
        k in prop_oneof![Just(1usize), Just(10), 1usize..40],
        offset in prop_oneof![Just(0usize), 1usize..15],
        and in any::<bool>(),
        max_expansions in prop_oneof![Just(256usize), 1usize..5],
    ) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(docs.len())).collect();
        cuts.push(0);
        cuts.push(docs.len());
        cuts.sort_unstable();
        let members: Vec<Index> = cuts.windows(2).map(|w| build(&docs[w[0]..w[1]], w[0])).collect();
        let refs: Vec<&Index> = members.iter().collect();
        let merged = Index::from_bytes(quarry::merge::merge(&refs).unwrap()).unwrap();
        let set = IndexSet::new(members).unwrap();
        prop_assert_eq!(set.doc_count(), merged.doc_count());
        let options = SearchOptions {
            limit: k,
            offset,
            operator: if and { Operator::And } else { Operator::Or },
            max_expansions,
            ..SearchOptions::default()
        };
        for typo in ["catt", "dgo shpi", "goldn~1 seax", "+ranning -cat", "\"sae ship\""] {
            prop_assert_eq!(
                set.did_you_mean(typo, &options).unwrap(),
                merged.did_you_mean(typo, &options).unwrap(),
                "{}: did you mean", typo
            );
        }
        for text in QUERIES {
            let q = merged.parse_query_with(text, &options).unwrap();
            let (want, want_x) = merged.top_doc_ids_with_expansions(&q, &options).unwrap();
            let (got, got_x) = set.top_doc_ids_with_expansions(&q, &options).unwrap();
            prop_assert_eq!(got.len(), want.len(), "{}: hits", text);
            for (g, w) in got.iter().zip(&want) {
                prop_assert!(g.0 == w.0 && g.1.to_bits() == w.1.to_bits(), "{}: {:?} vs merged {:?}", text, g, w);
            }
            for (g, w) in got_x.iter().zip(&want_x) {
                prop_assert_eq!(&g.words, &w.words, "{}: expansion words", text);
                prop_assert_eq!(g.matched, w.matched, "{}: expansion matches", text);
            }
            prop_assert_eq!(
                set.count_with(&q, &options).unwrap().0,
                merged.count_with(&q, &options).unwrap().0,
                "{}: count", text
            );
            for &(doc, score) in got.iter().take(3) {
                let e = set.explain(&q, doc, &options).unwrap().unwrap();
                let m = merged.explain(&q, doc, &options).unwrap().unwrap();
                prop_assert_eq!(e.score.to_bits(), m.score.to_bits(), "{}: explain", text);
                prop_assert!((e.score - score).abs() <= 1e-9 * score.abs().max(1.0));
                prop_assert_eq!(set.document(doc).unwrap(), merged.document(doc).unwrap());
            }
        }
    }
}

#[test]
fn an_empty_set_is_refused_and_documents_past_the_end_are_errors() {
    assert!(IndexSet::new(Vec::new()).is_err());
    let set = IndexSet::new(vec![
        build(&[("a".into(), "cat".into())], 0),
        build(&[("b".into(), "dog".into())], 1),
    ])
    .unwrap();
    assert_eq!(set.document(1).unwrap().id, "d1");
    assert!(set.document(2).is_err());
    let hits = set.search("cat OR dog", &SearchOptions::top(5)).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
}

#[test]
fn did_you_mean_weighs_the_whole_set() {
    // The first member alone would offer "seal" (3 documents to 1); the
    // set holds "seas" in 5 documents, so the set offers "seas", as the
    // merged index does.
    let docs = |words: &[&str]| -> Vec<(String, String)> {
        words
            .iter()
            .map(|w| (String::new(), (*w).to_string()))
            .collect()
    };
    let a = docs(&["seal", "seal", "seal", "seas"]);
    let b = docs(&["seas", "seas", "seas", "seas"]);
    let set = IndexSet::new(vec![build(&a, 0), build(&b, a.len())]).unwrap();
    let s = set
        .did_you_mean("seax", &SearchOptions::default())
        .unwrap()
        .unwrap();
    assert_eq!(s.text, "seas");
    assert_eq!(
        set.search("seax", &SearchOptions::top(3))
            .unwrap()
            .suggestion
            .unwrap()
            .text,
        "seas"
    );
    // A word some member holds is not corrected.
    assert_eq!(
        set.did_you_mean("seal", &SearchOptions::default()).unwrap(),
        None
    );
}
