//! The engine's top k equals a brute-force BM25 scorer written here,
//! independently of the engine, over random corpora and queries.

mod util;

use proptest::prelude::*;
use quarry::{Bm25, Index, Operator, Query, SearchOptions};
use quarry_index::IndexBuilder;

/// Words that analyze to themselves (checked below), so the brute force can
/// tokenize by whitespace.
const VOCAB: [&str; 12] = [
    "cat", "dog", "fish", "bird", "tree", "rock", "sun", "moon", "star", "sky", "sea", "wind",
];

#[derive(Clone, Debug)]
struct Doc {
    title: Vec<usize>,
    body: Vec<usize>,
}

fn docs() -> impl Strategy<Value = Vec<Doc>> {
    let field = |max| {
        proptest::collection::vec(
            proptest::sample::select((0..VOCAB.len()).collect::<Vec<_>>()),
            0..max,
        )
    };
    proptest::collection::vec(
        (field(4), field(40)).prop_map(|(title, body)| Doc { title, body }),
        1..300,
    )
}

/// Picks one field's words out of a document.
type FieldOf = fn(&Doc) -> &Vec<usize>;

/// Brute-force BM25, straight from the definition.
fn brute_force(docs: &[Doc], terms: &[usize], and: bool, p: &SearchOptions) -> Vec<(u32, f64)> {
    let n = docs.len() as f64;
    let fields: [(FieldOf, f64); 2] = [(|d| &d.title, p.title_boost), (|d| &d.body, p.body_boost)];
    let mut scores = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let contains = |t: usize| fields.iter().any(|(f, _)| f(d).contains(&t));
        let matched = if and {
            terms.iter().all(|&t| contains(t))
        } else {
            terms.iter().any(|&t| contains(t))
        };
        if !matched {
            continue;
        }
        let mut score = 0.0;
        for &t in terms {
            for (f, boost) in &fields {
                let tf = f(d).iter().filter(|&&w| w == t).count() as f64;
                if tf == 0.0 {
                    continue;
                }
                let df = docs.iter().filter(|x| f(x).contains(&t)).count() as f64;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                let avgdl = docs.iter().map(|x| f(x).len() as f64).sum::<f64>() / n;
                let dl = f(d).len() as f64;
                let (k1, b) = (p.bm25.k1, p.bm25.b);
                score += boost * idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * dl / avgdl));
            }
        }
        scores.push((i as u32, score));
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scores
}

fn build(docs: &[Doc]) -> Index {
    let mut b = IndexBuilder::default();
    let text = |ws: &[usize]| ws.iter().map(|&w| VOCAB[w]).collect::<Vec<_>>().join(" ");
    for (i, d) in docs.iter().enumerate() {
        b.add(&format!("d{i}"), &text(&d.title), &text(&d.body))
            .unwrap();
    }
    Index::from_bytes(b.to_bytes()).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-12)
}

/// Equal up to float re-association: a few ulps, far below any real gap.
fn tie(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

#[test]
fn vocabulary_analyzes_to_itself() {
    let a = quarry::analysis::Analyzer::default();
    for w in VOCAB {
        assert_eq!(a.normalize(w), w);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn top_k_equals_brute_force(
        docs in docs(),
        query in proptest::collection::vec(0..VOCAB.len(), 1..5),
        and in any::<bool>(),
        k in 1usize..25,
        k1 in 0.0f64..3.0,
        b in 0.0f64..=1.0,
        boosts in (prop_oneof![Just(1.0), Just(0.5), Just(2.5)], prop_oneof![Just(1.0), Just(0.0), Just(1.5)]),
    ) {
        let index = build(&docs);
        let options = SearchOptions {
            limit: k,
            operator: if and { Operator::And } else { Operator::Or },
            bm25: Bm25 { k1, b },
            title_boost: boosts.0,
            body_boost: boosts.1,
            pruning: true,
            ..SearchOptions::default()
        };
        let mut distinct = Vec::new();
        for &t in &query { if !distinct.contains(&t) { distinct.push(t); } }
        let q = Query::from_terms(distinct.iter().map(|&t| VOCAB[t]), options.operator);
        let got = index.top_doc_ids(&q, &options).unwrap();
        // From the engine's output alone: equal scores rank the lower doc id first.
        for (r, pair) in got.windows(2).enumerate() {
            let ((d0, s0), (d1, s1)) = (pair[0], pair[1]);
            if s0.to_bits() == s1.to_bits() {
                prop_assert!(d0 < d1, "ranks {}, {}: equal score {} but doc {} before {}", r, r + 1, s0, d0, d1);
            }
        }
        let all = brute_force(&docs, &distinct, and, &options);
        let want = &all[..all.len().min(k)];
        prop_assert_eq!(got.len(), want.len());
        for (r, (&(doc, score), &(wdoc, wscore))) in got.iter().zip(want).enumerate() {
            prop_assert!(close(score, wscore), "rank {}: score {} vs {}", r, score, wscore);
            if doc != wdoc {
                // Only a genuine tie may order documents differently: the two
                // documents' exact scores may differ by float re-association
                // (summing terms and fields in another order), nothing more.
                let exact = all.iter().find(|x| x.0 == doc).map(|x| x.1);
                prop_assert!(exact.is_some(), "rank {}: engine hit {} does not match the query", r, doc);
                let exact = exact.unwrap();
                prop_assert!(
                    tie(exact, wscore),
                    "rank {}: doc {} (exact score {}) vs doc {} (exact score {}) is not a tie",
                    r, doc, exact, wdoc, wscore
                );
            }
        }
    }
}

#[test]
fn equal_scores_rank_the_earlier_document_first() {
    let docs: Vec<Doc> = (0..6)
        .map(|_| Doc {
            title: vec![],
            body: vec![0, 1],
        })
        .collect();
    let index = build(&docs);
    let hits = index.search("cat", &SearchOptions::top(3)).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["d0", "d1", "d2"]);
    assert_eq!(hits[0].score, hits[2].score);
}

#[test]
fn equal_scores_under_and_rank_the_earlier_document_first() {
    // 300 documents (multi-block postings, so AND skips across blocks). Every
    // 7th, from d3 on, is the same "cat dog"; the others hold only one of the
    // two words, so the conjunction must skip them.
    let docs: Vec<Doc> = (0..300)
        .map(|i| Doc {
            title: vec![],
            body: match i % 7 {
                3 => vec![0, 1],
                k if k % 2 == 0 => vec![0, 2],
                _ => vec![1, 2],
            },
        })
        .collect();
    let matching: Vec<String> = (0..300)
        .filter(|i| i % 7 == 3)
        .map(|i| format!("d{i}"))
        .collect();
    let index = build(&docs);
    for k in [1, 3, 5, matching.len(), 1000] {
        let hits = index
            .search("cat dog", &SearchOptions::top(k).all_words())
            .unwrap();
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, matching[..k.min(matching.len())], "k = {k}");
        assert!(
            hits.iter()
                .all(|h| h.score.to_bits() == hits[0].score.to_bits()),
            "identical documents must score identically"
        );
        assert!(hits.windows(2).all(|w| w[0].doc < w[1].doc));
    }
}

#[test]
fn scores_are_exact_bm25_on_a_hand_checked_example() {
    // Two documents; "cat" in d0's body twice (dl = 3) and d1's body once (dl = 1).
    let mut b = IndexBuilder::default();
    b.add("d0", "", "cat cat dog").unwrap();
    b.add("d1", "", "cat").unwrap();
    let index = Index::from_bytes(b.to_bytes()).unwrap();
    let hits = index.search("cat", &SearchOptions::default()).unwrap();
    // N = 2, n = 2: idf = ln(1 + 0.5/2.5) = ln 1.2; avgdl = 2.
    let idf = 1.2f64.ln();
    let s0 = idf * 2.0 * 2.2 / (2.0 + 1.2 * (0.25 + 0.75 * 3.0 / 2.0));
    let s1 = idf * 2.2 / (1.0 + 1.2 * (0.25 + 0.75 * 1.0 / 2.0));
    assert_eq!(hits.len(), 2);
    assert!(close(hits[0].score, s0.max(s1)) && close(hits[1].score, s0.min(s1)));
    assert_eq!(hits[0].id, if s0 >= s1 { "d0" } else { "d1" });
}
