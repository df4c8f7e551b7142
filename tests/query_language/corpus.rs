//! Random corpora over a small vocabulary, built into in-memory indexes.

use super::*;

/// Words that analyze to themselves (checked below), so documents can be
/// rebuilt from word ids and query terms need no analysis.
pub(super) const VOCAB: [&str; 24] = [
    "cat", "dog", "fish", "bird", "tree", "rock", "sun", "moon", "star", "sky", "sea", "wind",
    "rain", "snow", "hill", "lake", "road", "door", "wall", "king", "ship", "gold", "iron", "salt",
];

/// A term no document holds.
pub(super) const ABSENT: &str = "zzyzx";

/// A document: its title's and body's word ids ([`Field::ALL`] order).
pub(super) type Doc = [Vec<usize>; 2];

pub(super) struct Corpus {
    pub(super) ids: HashMap<String, usize>,
    pub(super) docs: Vec<Doc>,
    /// Per field: documents holding each word in that field.
    pub(super) df: [Vec<u32>; 2],
    /// Per field: the mean token count.
    pub(super) avgdl: [f64; 2],
    pub(super) index: Index,
}

pub(super) fn fi(field: Field) -> usize {
    match field {
        Field::Title => 0,
        Field::Body => 1,
    }
}

/// Zipf-ish sampler: word `r` with probability ∝ 1/(r+1).
pub(super) struct Zipf {
    pub(super) cumulative: Vec<f64>,
}

impl Zipf {
    pub(super) fn new(n: usize) -> Zipf {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                acc += 1.0 / (r + 1) as f64;
                acc
            })
            .collect();
        Zipf { cumulative }
    }

    pub(super) fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().unwrap();
        let x = (rng.below(1 << 30) as f64 / (1u64 << 30) as f64) * total;
        self.cumulative
            .partition_point(|&c| c < x)
            .min(self.cumulative.len() - 1)
    }
}

/// `n` random documents over `words`: Zipf-distributed words, lengths that
/// vary a lot (so block maxima differ), and some words repeated in place
/// (so phrases of a repeated word occur).
pub(super) fn corpus(words: Vec<String>, seed: u64, n: usize) -> Corpus {
    let mut rng = Rng(seed | 1);
    let zipf = Zipf::new(words.len());
    let field = |rng: &mut Rng, len: u64| {
        let mut out: Vec<usize> = Vec::with_capacity(len as usize);
        for _ in 0..len {
            match out.last() {
                Some(&w) if rng.below(12) == 0 => out.push(w),
                _ => out.push(zipf.sample(rng)),
            }
        }
        out
    };
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let title_len = rng.below(5);
        let body_len = match rng.below(12) {
            0 => 0,
            1 => 60 + rng.below(200),
            _ => 1 + rng.below(25),
        };
        let title = field(&mut rng, title_len);
        let body = field(&mut rng, body_len);
        docs.push([title, body]);
    }
    build(words, docs)
}

pub(super) fn build(words: Vec<String>, docs: Vec<Doc>) -> Corpus {
    let mut b = IndexBuilder::default();
    let text = |ws: &[usize]| {
        ws.iter()
            .map(|&w| words[w].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut df = [vec![0u32; words.len()], vec![0u32; words.len()]];
    let mut total = [0usize; 2];
    for (i, d) in docs.iter().enumerate() {
        b.add(&format!("d{i}"), &text(&d[0]), &text(&d[1])).unwrap();
        for f in 0..2 {
            total[f] += d[f].len();
            let mut seen = d[f].clone();
            seen.sort_unstable();
            seen.dedup();
            for w in seen {
                df[f][w] += 1;
            }
        }
    }
    let n = docs.len() as f64;
    let ids = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.clone(), i))
        .collect();
    Corpus {
        ids,
        df,
        avgdl: [total[0] as f64 / n, total[1] as f64 / n],
        index: Index::from_bytes(b.to_bytes()).unwrap(),
        docs,
    }
}

pub(super) fn vocab() -> Vec<String> {
    VOCAB.iter().map(|w| w.to_string()).collect()
}
