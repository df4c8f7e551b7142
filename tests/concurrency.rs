//! One `Index` shared by many threads, and readers that outlive a rebuild.

mod util;

use std::sync::Arc;

use quarry::{Index, SearchOptions};
use quarry_index::{write_index_file, IndexBuilder};
use util::Rng;

const WORDS: [&str; 10] = [
    "red", "green", "blue", "gold", "black", "white", "pink", "gray", "teal", "plum",
];

fn build(seed: u64, docs: usize) -> IndexBuilder {
    let mut rng = Rng(seed);
    let mut b = IndexBuilder::default();
    for d in 0..docs {
        let body: Vec<&str> = (0..(2 + rng.below(30)))
            .map(|_| WORDS[rng.below(10) as usize])
            .collect();
        b.add(&format!("doc{d}"), WORDS[d % 10], &body.join(" "))
            .unwrap();
    }
    b
}

#[test]
fn concurrent_searches_agree_with_sequential_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.qidx");
    write_index_file(&path, &build(7, 2000).finish()).unwrap();
    let index = Arc::new(Index::open(&path).unwrap());
    let queries: Vec<String> = (0..40)
        .map(|i| format!("{} {}", WORDS[i % 10], WORDS[(i * 7 + 3) % 10]))
        .collect();
    let opts = SearchOptions::top(20);
    let expected: Vec<_> = queries
        .iter()
        .map(|q| index.search(q, &opts).unwrap())
        .collect();
    let expected = Arc::new(expected);
    let queries = Arc::new(queries);
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (index, queries, expected) = (
                Arc::clone(&index),
                Arc::clone(&queries),
                Arc::clone(&expected),
            );
            std::thread::spawn(move || {
                for round in 0..5 {
                    for (i, q) in queries.iter().enumerate().skip((t + round) % 3) {
                        assert_eq!(
                            index.search(q, &opts).unwrap(),
                            expected[i],
                            "thread {t} query {q}"
                        );
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn an_open_index_survives_a_rebuild_of_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.qidx");
    write_index_file(&path, &build(1, 300).finish()).unwrap();
    let old = Index::open(&path).unwrap();
    let before = old.search("teal plum", &SearchOptions::top(10)).unwrap();
    // Rebuild in place with other documents: the open index keeps its own bytes.
    write_index_file(&path, &build(2, 50).finish()).unwrap();
    assert_eq!(
        old.search("teal plum", &SearchOptions::top(10)).unwrap(),
        before
    );
    old.verify().unwrap();
    let new = Index::open(&path).unwrap();
    assert_eq!(new.doc_count(), 50);
    assert_eq!(old.doc_count(), 300);
}
