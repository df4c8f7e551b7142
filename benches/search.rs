//! Criterion benchmarks on a generated corpus (Zipf-distributed words, so
//! term frequencies look like natural text): postings decoding, single-term,
//! OR and AND queries, and indexing throughput.
//!
//! `cargo bench -p quarry-tests --bench search`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use quarry::postings::TERMINATED;
use quarry::{Field, Index, Operator, Query, SearchOptions};
use quarry_index::IndexBuilder;

const DOCS: usize = 50_000;
const VOCAB: usize = 20_000;

/// Deterministic Zipf(1)-like word stream.
struct Words {
    state: u64,
    cdf: Vec<f64>,
}

impl Words {
    fn new() -> Words {
        let mut cdf = Vec::with_capacity(VOCAB);
        let mut sum = 0.0;
        for r in 1..=VOCAB {
            sum += 1.0 / r as f64;
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Words {
            state: 0x2545_f491_4f6c_dd1d,
            cdf,
        }
    }

    fn next(&mut self) -> String {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let u = (self.state >> 11) as f64 / (1u64 << 53) as f64;
        let rank = self.cdf.partition_point(|&c| c < u);
        word(rank)
    }
}

/// A pronounceable word per rank that the English stemmer leaves alone.
fn word(rank: usize) -> String {
    const SYL: [&str; 16] = [
        "ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "ba", "de", "fo", "gu", "ha", "jo", "ve",
        "zy",
    ];
    let mut r = rank;
    let mut w = String::from("q");
    loop {
        w.push_str(SYL[r % 16]);
        r /= 16;
        if r == 0 {
            return w;
        }
    }
}

fn corpus() -> Vec<(String, String)> {
    let mut words = Words::new();
    (0..DOCS)
        .map(|d| {
            let title: Vec<String> = (0..(3 + d % 5)).map(|_| words.next()).collect();
            let body: Vec<String> = (0..(50 + d % 200)).map(|_| words.next()).collect();
            (title.join(" "), body.join(" "))
        })
        .collect()
}

fn build(docs: &[(String, String)]) -> Vec<u8> {
    let mut b = IndexBuilder::default();
    for (i, (t, body)) in docs.iter().enumerate() {
        b.add(&format!("doc{i}"), t, body).unwrap();
    }
    b.to_bytes()
}

fn benches(c: &mut Criterion) {
    let docs = corpus();
    let index = Index::from_bytes(build(&docs)).unwrap();
    let common = word(3);
    let mid = word(60);
    let rare = word(2000);

    let df = index
        .term_info(Field::Body, &common)
        .unwrap()
        .unwrap()
        .doc_freq;
    let mut g = c.benchmark_group("postings");
    g.throughput(Throughput::Elements(u64::from(df)));
    g.bench_function("decode_common_term", |b| {
        b.iter(|| {
            let mut cur = index
                .postings(Field::Body, black_box(&common))
                .unwrap()
                .unwrap();
            let mut sum = 0u64;
            while cur.doc() != TERMINATED {
                sum += u64::from(cur.freq());
                cur.advance();
            }
            sum
        })
    });
    g.finish();

    let mut g = c.benchmark_group("query_top10");
    let cases = [
        ("term_rare", vec![rare.clone()], Operator::Or),
        ("term_common", vec![common.clone()], Operator::Or),
        ("or_mid_rare", vec![mid.clone(), rare.clone()], Operator::Or),
        (
            "or_common_mid",
            vec![common.clone(), mid.clone()],
            Operator::Or,
        ),
        (
            "and_common_mid",
            vec![common.clone(), mid.clone()],
            Operator::And,
        ),
        (
            "and_mid_rare",
            vec![mid.clone(), rare.clone()],
            Operator::And,
        ),
    ];
    for (name, terms, op) in cases {
        let q = Query::from_terms(terms, op);
        g.bench_function(name, |b| {
            b.iter(|| {
                index
                    .top_doc_ids(black_box(&q), &SearchOptions::top(10))
                    .unwrap()
            })
        });
    }
    g.finish();

    let small: Vec<(String, String)> = docs[..5_000].to_vec();
    let bytes: u64 = small.iter().map(|(t, b)| (t.len() + b.len()) as u64).sum();
    let mut g = c.benchmark_group("indexing");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("build_5k_docs", |b| {
        b.iter_batched(|| small.clone(), |d| build(&d), BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(search, benches);
criterion_main!(search);
