//! Criterion benchmarks on a generated corpus (Zipf-distributed words, so
//! term frequencies look like natural text): block unpacking and postings
//! decoding (integers per second), single-term, OR, AND and phrase queries
//! (pruned, and exhaustive for comparison), counting, and indexing
//! throughput.
//!
//! `cargo bench -p quarry-tests --bench search`

use bitpacking::{BitPacker, BitPacker4x};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use quarry::format::BLOCK_LEN;
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
    // Raw bit-unpacking of delta-coded 128-integer blocks, as the cursor
    // does it (8-bit deltas: a typical width for a common term).
    let packer = BitPacker4x::new();
    let deltas: Vec<u32> = (0..BLOCK_LEN as u32).map(|i| (i * 37) % 200).collect();
    let mut sorted = Vec::with_capacity(BLOCK_LEN);
    let mut acc = 0u32;
    for d in &deltas {
        acc += d + 1;
        sorted.push(acc);
    }
    let bits = packer.num_bits_strictly_sorted(None, &sorted);
    let mut packed = vec![0u8; 4 * BLOCK_LEN];
    let len = packer.compress_strictly_sorted(None, &sorted, &mut packed, bits);
    let blocks: Vec<Vec<u8>> = (0..1024).map(|_| packed[..len].to_vec()).collect();
    g.throughput(Throughput::Elements((blocks.len() * BLOCK_LEN) as u64));
    g.bench_function("unpack_blocks_8bit", |b| {
        let mut out = [0u32; BLOCK_LEN];
        b.iter(|| {
            let mut sum = 0u64;
            for block in &blocks {
                packer.decompress_strictly_sorted(None, black_box(block), &mut out, bits);
                sum += u64::from(out[BLOCK_LEN - 1]);
            }
            sum
        })
    });
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
    let phrase = |a: &str, b: &str| Query::phrase([(a.to_string(), 0), (b.to_string(), 1)]);
    let cases = [
        ("term_rare", Query::from_terms([&rare], Operator::Or)),
        ("term_common", Query::from_terms([&common], Operator::Or)),
        (
            "or_mid_rare",
            Query::from_terms([&mid, &rare], Operator::Or),
        ),
        (
            "or_common_mid",
            Query::from_terms([&common, &mid], Operator::Or),
        ),
        (
            "or_four_terms",
            Query::from_terms([&common, &word(10), &mid, &word(300)], Operator::Or),
        ),
        (
            "and_common_mid",
            Query::from_terms([&common, &mid], Operator::And),
        ),
        (
            "and_mid_rare",
            Query::from_terms([&mid, &rare], Operator::And),
        ),
        ("phrase_common_common", phrase(&word(0), &word(1))),
        ("phrase_common_mid", phrase(&common, &mid)),
    ];
    for (name, q) in &cases {
        for pruning in [true, false] {
            let options = SearchOptions {
                pruning,
                ..SearchOptions::top(10)
            };
            let label = if pruning {
                name.to_string()
            } else {
                format!("{name}_exhaustive")
            };
            if !pruning && name.starts_with("phrase") {
                continue;
            }
            g.bench_function(label, |b| {
                b.iter(|| index.top_doc_ids(black_box(q), &options).unwrap())
            });
        }
    }
    g.bench_function("count_or_common_mid", |b| {
        let q = Query::from_terms([&common, &mid], Operator::Or);
        b.iter(|| index.count(black_box(&q)).unwrap())
    });
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
