//! Arbitrary bytes as query text, run through every search path of an
//! index of the seed articles (each article whole, and each of its
//! sentences as a document of its own, so postings span several blocks).
//!
//! Input: one byte of options, then the query text (lossy UTF-8).
//! Besides "never panics", it checks what the engine documents:
//! pruning never changes the top k, a page equals the same ranks of a
//! longer list, `count` counts every hit, and an explanation's score is
//! the hit's score.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use quarry::{Bm25, Index, Operator, SearchOptions};
use quarry_index::IndexBuilder;

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds");
        let mut paths: Vec<_> = std::fs::read_dir(seeds)
            .expect("the seed articles")
            .map(|e| e.expect("a seed entry").path())
            .collect();
        paths.sort();
        let mut b = IndexBuilder::default();
        for p in &paths {
            let text = std::fs::read_to_string(p).expect("a seed article");
            let (title, body) = text.split_once('\n').unwrap_or(("", &text));
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            b.add(&name, title, body).unwrap();
            for (i, s) in body.split(". ").enumerate() {
                b.add(&format!("{name}#{i}"), "", s).unwrap();
            }
        }
        Index::from_bytes(b.to_bytes()).expect("the seed index opens")
    })
}

fn options(flags: u8) -> SearchOptions {
    SearchOptions {
        limit: [10, 1, 3, 50][usize::from(flags & 3)],
        operator: if flags & 4 == 0 {
            Operator::Or
        } else {
            Operator::And
        },
        literal: flags & 8 != 0,
        offset: [0, 2][usize::from(flags >> 4 & 1)],
        max_expansions: [256, 2][usize::from(flags >> 5 & 1)],
        bm25: if flags & 64 == 0 {
            Bm25::default()
        } else {
            Bm25 { k1: 0.0, b: 1.0 }
        },
        title_boost: if flags & 128 == 0 { 1.0 } else { 0.0 },
        ..SearchOptions::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let index = index();
    let opts = options(flags);

    // The one-call path: parse, rank, fetch, did-you-mean. It fetches and
    // snippets every hit (an article is kilobytes to stem), so it shows at
    // most 3; ranking with the fuzzer's limit is checked below.
    let shown_opts = SearchOptions {
        limit: opts.limit.min(3),
        ..opts
    };
    let _ = index.search(&text, &shown_opts);
    let _ = index.did_you_mean(&text, &opts);

    let Ok(query) = index.parse_query_with(&text, &opts) else {
        return;
    };
    let shown = query.to_string();
    let _ = query.positive_terms();

    let Ok((top, _)) = index.top_doc_ids_with_expansions(&query, &opts) else {
        return;
    };
    assert!(top.len() <= opts.limit);

    // Pruning is exact: the same ids, scores and order without it.
    let exhaustive = SearchOptions {
        pruning: false,
        ..opts
    };
    let without = index
        .top_doc_ids(&query, &exhaustive)
        .expect("unpruned run");
    assert_eq!(top, without, "pruning changed the top k of `{shown}`");

    // Paging: ranks offset+1..offset+limit of the longer list.
    let longer = SearchOptions {
        offset: 0,
        limit: opts.limit + opts.offset,
        ..opts
    };
    let all = index.top_doc_ids(&query, &longer).expect("longer run");
    let page: Vec<_> = all.iter().skip(opts.offset).copied().collect();
    assert_eq!(top, page, "page of `{shown}` differs from the longer list");

    // Count: every match, at least as many as the hits seen.
    let (n, _) = index.count_with(&query, &opts).expect("count");
    assert!(
        n >= all.len() as u64,
        "count {n} < {} hits of `{shown}`",
        all.len()
    );
    if all.len() < longer.limit {
        assert_eq!(
            n,
            all.len() as u64,
            "count differs from all hits of `{shown}`"
        );
    }

    // Explanations of the first 3 hits and the last (explaining is a
    // search of its own); the best hit's document and snippet.
    let explained = top
        .iter()
        .enumerate()
        .filter(|&(i, _)| i < 3 || i + 1 == top.len());
    for (i, &(doc, score)) in explained {
        let e = index
            .explain(&query, doc, &opts)
            .expect("explain")
            .unwrap_or_else(|| panic!("hit {doc} of `{shown}` has no explanation"));
        assert!(
            close(e.score, score),
            "explained {} != scored {score} for {doc} of `{shown}`",
            e.score
        );
        let _ = e.to_lines();
        if i == 0 {
            let d = index.document(doc).expect("a hit's document");
            let terms = query.positive_terms();
            let _ = quarry::snippet::snippet(index.analyzer(), &d.body, &terms, 120);
        }
    }
    // A document that does not exist explains as nothing, or errs.
    let _ = index.explain(&query, index.doc_count(), &opts);

    // The surface paths, with the first two words of the text.
    for w in text.split_whitespace().take(2) {
        let _ = index.surface_prefix(w, 5);
        let _ = index.surface_fuzzy(w, flags % 3, 5);
        let _ = index.suggest(w, 3);
    }
});
