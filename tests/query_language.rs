//! The query language end to end, against a brute-force evaluator written
//! here from the documented semantics (BM25 per (term, field), exact and
//! sloppy phrases, boolean clauses, boosts), independently of the engine.
//!
//! Over random corpora and random query trees (built directly as
//! [`Query`] values, parsed from query text, and long flat disjunctions)
//! it checks that pruned and exhaustive evaluation agree bit for bit, that
//! both agree with the brute force (ties within rounding may reorder),
//! that `count` is the number of matching documents, that paging returns
//! the right ranks, and that `explain` reproduces each hit's score from
//! the documented BM25 inputs.

mod util;

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use quarry::query::{BoolQuery, ExpansionKind, ExpansionQuery, Fields, PhraseQuery, TermQuery};
use quarry::{Bm25, Explanation, Field, Index, Operator, Query, SearchOptions};
use quarry_index::IndexBuilder;
use util::Rng;

/// Words that analyze to themselves (checked below), so documents can be
/// rebuilt from word ids and query terms need no analysis.
const VOCAB: [&str; 24] = [
    "cat", "dog", "fish", "bird", "tree", "rock", "sun", "moon", "star", "sky", "sea", "wind",
    "rain", "snow", "hill", "lake", "road", "door", "wall", "king", "ship", "gold", "iron", "salt",
];

/// A term no document holds.
const ABSENT: &str = "zzyzx";

/// Relative tolerance between the engine's scores and the brute force's.
const TOL: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * a.abs().max(b.abs()).max(1e-300)
}

// ---------------------------------------------------------------------------
// Corpora

/// A document: its title's and body's word ids ([`Field::ALL`] order).
type Doc = [Vec<usize>; 2];

struct Corpus {
    ids: HashMap<String, usize>,
    docs: Vec<Doc>,
    /// Per field: documents holding each word in that field.
    df: [Vec<u32>; 2],
    /// Per field: the mean token count.
    avgdl: [f64; 2],
    index: Index,
}

fn fi(field: Field) -> usize {
    match field {
        Field::Title => 0,
        Field::Body => 1,
    }
}

/// Zipf-ish sampler: word `r` with probability ∝ 1/(r+1).
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                acc += 1.0 / (r + 1) as f64;
                acc
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
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
fn corpus(words: Vec<String>, seed: u64, n: usize) -> Corpus {
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

fn build(words: Vec<String>, docs: Vec<Doc>) -> Corpus {
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

fn vocab() -> Vec<String> {
    VOCAB.iter().map(|w| w.to_string()).collect()
}

// ---------------------------------------------------------------------------
// The brute force

fn idf(n: f64, df: f64) -> f64 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

fn bm25(boost: f64, idf: f64, tf: f64, dl: f64, avgdl: f64, p: Bm25) -> f64 {
    boost * idf * tf * (p.k1 + 1.0) / (tf + p.k1 * (1.0 - p.b + p.b * dl / avgdl))
}

struct Brute<'c> {
    c: &'c Corpus,
    o: &'c SearchOptions,
}

impl Brute<'_> {
    fn n(&self) -> f64 {
        self.c.docs.len() as f64
    }

    fn field_boost(&self, field: Field) -> f64 {
        match field {
            Field::Title => self.o.title_boost,
            Field::Body => self.o.body_boost,
        }
    }

    /// The word id of an index term, if any document holds it in `field`.
    fn word(&self, term: &str, field: Field) -> Option<usize> {
        let &w = self.c.ids.get(term)?;
        (self.c.df[fi(field)][w] > 0).then_some(w)
    }

    fn tokens(&self, doc: usize, field: Field) -> &[usize] {
        &self.c.docs[doc][fi(field)]
    }

    fn term_tf(&self, doc: usize, field: Field, w: usize) -> usize {
        self.tokens(doc, field).iter().filter(|&&x| x == w).count()
    }

    /// The phrase's frequency in one field of `doc` (0: no match), or
    /// `None` when the field lacks one of its terms altogether.
    fn phrase_freq(&self, p: &PhraseQuery, doc: usize, field: Field) -> Option<f64> {
        let mut terms = Vec::with_capacity(p.terms.len());
        for (t, off) in &p.terms {
            terms.push((self.word(t, field)?, *off));
        }
        let toks = self.tokens(doc, field);
        if p.slop == 0 {
            let count = (0..toks.len())
                .filter(|&s| {
                    terms
                        .iter()
                        .all(|&(w, off)| toks.get(s + off as usize) == Some(&w))
                })
                .count();
            return Some(count as f64);
        }
        // Ascending document frequency in this field; ties: query order.
        let mut order: Vec<usize> = (0..terms.len()).collect();
        order.sort_by_key(|&i| self.c.df[fi(field)][terms[i].0]);
        let lists: Vec<(Vec<i64>, i64)> = order
            .iter()
            .map(|&i| {
                let (w, off) = terms[i];
                let pos = (0..toks.len())
                    .filter(|&j| toks[j] == w)
                    .map(|j| j as i64)
                    .collect();
                (pos, i64::from(off))
            })
            .collect();
        if lists.iter().any(|l| l.0.is_empty()) {
            return Some(0.0);
        }
        let mut at = vec![0usize; lists.len()];
        let mut freq = 0.0;
        loop {
            // Two terms on one position (a repeated word): the one with the
            // larger offset moves on, until none collide.
            'separate: loop {
                for i in 0..lists.len() {
                    for j in i + 1..lists.len() {
                        if lists[i].0[at[i]] == lists[j].0[at[j]] {
                            let k = if lists[i].1 > lists[j].1 { i } else { j };
                            at[k] += 1;
                            if at[k] == lists[k].0.len() {
                                return Some(freq);
                            }
                            continue 'separate;
                        }
                    }
                }
                break;
            }
            let vs: Vec<i64> = (0..lists.len())
                .map(|i| lists[i].0[at[i]] - lists[i].1)
                .collect();
            let max = *vs.iter().max().unwrap();
            let min = *vs.iter().min().unwrap();
            let moves = max - min;
            if moves <= i64::from(p.slop) {
                freq += 1.0 / (1.0 + moves as f64);
            }
            let lo = vs.iter().position(|&v| v == min).unwrap();
            at[lo] += 1;
            if at[lo] == lists[lo].0.len() {
                return Some(freq);
            }
        }
    }

    /// The words of the documents (any field) an expansion matches: here
    /// every word is its own index term.
    fn expand(&self, e: &ExpansionQuery) -> Vec<String> {
        self.c
            .ids
            .iter()
            .filter(|&(_, &w)| self.c.df[0][w] + self.c.df[1][w] > 0)
            .map(|(t, _)| t)
            .filter(|t| match e.kind {
                ExpansionKind::Prefix => t.starts_with(&e.pattern),
                ExpansionKind::Fuzzy(d) => edit_distance(&e.pattern, t) <= usize::from(d),
            })
            .cloned()
            .collect()
    }

    /// `doc`'s score for `q` (boosts of the enclosing clauses: `boost`),
    /// `None` when it does not match.
    fn eval(&self, q: &Query, doc: usize, boost: f64) -> Option<f64> {
        let p = self.o.bm25;
        match q {
            Query::Term(t) => {
                let mut matched = false;
                let mut score = 0.0;
                for field in t.fields.iter() {
                    let Some(w) = self.word(&t.term, field) else {
                        continue;
                    };
                    let tf = self.term_tf(doc, field, w);
                    if tf == 0 {
                        continue;
                    }
                    matched = true;
                    let f = fi(field);
                    score += bm25(
                        boost * t.boost * self.field_boost(field),
                        idf(self.n(), f64::from(self.c.df[f][w])),
                        tf as f64,
                        self.tokens(doc, field).len() as f64,
                        self.c.avgdl[f],
                        p,
                    );
                }
                matched.then_some(score)
            }
            Query::Phrase(ph) => {
                let mut matched = false;
                let mut score = 0.0;
                for field in ph.fields.iter() {
                    let Some(freq) = self.phrase_freq(ph, doc, field) else {
                        continue;
                    };
                    if freq == 0.0 {
                        continue;
                    }
                    matched = true;
                    let f = fi(field);
                    let idf_sum: f64 = ph
                        .terms
                        .iter()
                        .map(|(t, _)| idf(self.n(), f64::from(self.c.df[f][self.c.ids[t]])))
                        .sum();
                    score += bm25(
                        boost * ph.boost * self.field_boost(field),
                        idf_sum,
                        freq,
                        self.tokens(doc, field).len() as f64,
                        self.c.avgdl[f],
                        p,
                    );
                }
                matched.then_some(score)
            }
            Query::Expansion(e) => {
                let mut best: Option<f64> = None;
                for t in self.expand(e) {
                    let leaf = Query::Term(TermQuery {
                        term: t,
                        fields: e.fields,
                        boost: e.boost,
                    });
                    if let Some(x) = self.eval(&leaf, doc, boost) {
                        best = Some(best.map_or(x, |b| b.max(x)));
                    }
                }
                best
            }
            Query::Bool(b) => {
                let boost = boost * b.boost;
                if b.must_not.iter().any(|x| self.eval(x, doc, 1.0).is_some()) {
                    return None;
                }
                let mut score = 0.0;
                for m in &b.must {
                    score += self.eval(m, doc, boost)?;
                }
                let mut any = false;
                for s in &b.should {
                    if let Some(x) = self.eval(s, doc, boost) {
                        any = true;
                        score += x;
                    }
                }
                (!b.must.is_empty() || any).then_some(score)
            }
        }
    }

    /// Every matching document with its score, best first (ties: lower id).
    fn ranked(&self, q: &Query) -> Vec<(u32, f64)> {
        let mut out: Vec<(u32, f64)> = (0..self.c.docs.len())
            .filter_map(|d| self.eval(q, d, 1.0).map(|s| (d as u32, s)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

/// Damerau–Levenshtein distance (optimal string alignment: adjacent
/// transpositions count one edit), over bytes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

// ---------------------------------------------------------------------------
// Checks

fn opts(
    k: usize,
    offset: usize,
    k1: f64,
    b: f64,
    boosts: (f64, f64),
    pruning: bool,
) -> SearchOptions {
    SearchOptions {
        limit: k,
        offset,
        bm25: Bm25 { k1, b },
        title_boost: boosts.0,
        body_boost: boosts.1,
        pruning,
        ..SearchOptions::default()
    }
}

/// `got` is ranks `offset + 1 ..` of `all` (the brute force's full
/// ranking), up to `limit`; documents whose exact scores tie within
/// rounding may trade places.
fn same_ranking(
    got: &[(u32, f64)],
    all: &[(u32, f64)],
    offset: usize,
    limit: usize,
    ctx: &str,
) -> Result<(), TestCaseError> {
    let want = &all[offset.min(all.len())..(offset + limit).min(all.len())];
    prop_assert_eq!(
        got.len(),
        want.len(),
        "{}: {} hits, brute force {} (of {} matching)",
        ctx,
        got.len(),
        want.len(),
        all.len()
    );
    let exact: HashMap<u32, f64> = all.iter().copied().collect();
    let mut seen = std::collections::HashSet::new();
    for (r, (&(doc, score), &(wdoc, wscore))) in got.iter().zip(want).enumerate() {
        prop_assert!(seen.insert(doc), "{}: doc {} returned twice", ctx, doc);
        prop_assert!(
            close(score, wscore),
            "{}: rank {}: doc {} score {} vs brute force doc {} score {}",
            ctx,
            offset + r,
            doc,
            score,
            wdoc,
            wscore
        );
        if doc != wdoc {
            let e = exact.get(&doc).copied();
            prop_assert!(
                e.is_some_and(|e| close(e, wscore)),
                "{}: rank {}: doc {} (exact score {:?}) where the brute force has doc {} ({}): not a tie",
                ctx,
                offset + r,
                doc,
                e,
                wdoc,
                wscore
            );
        }
    }
    // Equal scores rank the lower document first.
    for w in got.windows(2) {
        prop_assert!(
            w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0),
            "{}: {:?} then {:?} out of order",
            ctx,
            w[0],
            w[1]
        );
    }
    Ok(())
}

/// A positive leaf of the query as explanations name it: (terms joined by
/// spaces, field, total boost, slop for phrases).
struct ExpectedLeaf {
    term: String,
    field: Field,
    boost: f64,
    phrase: Option<PhraseQuery>,
}

fn expected_leaves(q: &Query, boost: f64, o: &SearchOptions, out: &mut Vec<ExpectedLeaf>) {
    let fb = |f: Field| match f {
        Field::Title => o.title_boost,
        Field::Body => o.body_boost,
    };
    match q {
        Query::Term(t) => {
            for field in t.fields.iter() {
                out.push(ExpectedLeaf {
                    term: t.term.clone(),
                    field,
                    boost: boost * t.boost * fb(field),
                    phrase: None,
                });
            }
        }
        Query::Phrase(p) => {
            for field in p.fields.iter() {
                out.push(ExpectedLeaf {
                    term: p
                        .terms
                        .iter()
                        .map(|t| t.0.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    field,
                    boost: boost * p.boost * fb(field),
                    phrase: Some(p.clone()),
                });
            }
        }
        Query::Expansion(e) => {
            // Any word could be among its terms: the word-level inputs are
            // checked all the same.
            for w in VOCAB {
                expected_leaves(&term(w, e.fields, e.boost), boost, o, out);
            }
        }
        Query::Bool(b) => {
            for c in b.must.iter().chain(&b.should) {
                expected_leaves(c, boost * b.boost, o, out);
            }
        }
    }
}

/// Checks one explanation node (recursively) of `doc`'s score.
fn check_explanation(
    e: &Explanation,
    doc: usize,
    leaves: &[ExpectedLeaf],
    brute: &Brute<'_>,
    ctx: &str,
) -> Result<(), TestCaseError> {
    let o = brute.o;
    let Some(x) = &e.bm25 else {
        prop_assert!(!e.children.is_empty(), "{}: empty node {:?}", ctx, e);
        if e.description.starts_with("max of") {
            let max = e.children.iter().map(|c| c.score).fold(0.0, f64::max);
            prop_assert!(
                close(max, e.score),
                "{}: {} {} but its best part is {}",
                ctx,
                e.description,
                e.score,
                max
            );
        }
        if e.description.starts_with("sum of") {
            let sum: f64 = e.children.iter().map(|c| c.score).sum();
            prop_assert!(
                close(sum, e.score),
                "{}: {} {} but its parts sum to {}",
                ctx,
                e.description,
                e.score,
                sum
            );
        }
        for c in &e.children {
            check_explanation(c, doc, leaves, brute, ctx)?;
        }
        return Ok(());
    };
    prop_assert!(e.children.is_empty(), "{}: a leaf with parts", ctx);
    // The score from its inputs, by the documented formula.
    let recomputed = bm25(
        x.boost,
        x.idf,
        x.tf,
        f64::from(x.field_len),
        x.avg_field_len,
        Bm25 { k1: x.k1, b: x.b },
    );
    prop_assert!(
        close(recomputed, e.score),
        "{}: leaf {} scores {} but its inputs give {}: {:?}",
        ctx,
        e.description,
        e.score,
        recomputed,
        x
    );
    // The inputs are the documented ones.
    let f = fi(x.field);
    prop_assert_eq!(x.k1, o.bm25.k1);
    prop_assert_eq!(x.b, o.bm25.b);
    prop_assert_eq!(x.doc_count as usize, brute.c.docs.len(), "{}", ctx);
    prop_assert!(close(x.avg_field_len, brute.c.avgdl[f]), "{}: avg len", ctx);
    prop_assert_eq!(
        x.field_len as usize,
        brute.tokens(doc, x.field).len(),
        "{}: {} field length",
        ctx,
        e.description
    );
    let candidates: Vec<&ExpectedLeaf> = leaves
        .iter()
        .filter(|l| l.term == x.term && l.field == x.field && close(l.boost, x.boost))
        .collect();
    prop_assert!(
        !candidates.is_empty(),
        "{}: leaf {} (boost {}) is no leaf of the query",
        ctx,
        e.description,
        x.boost
    );
    let n = brute.n();
    match &candidates[0].phrase {
        None => {
            let w = brute.c.ids[&x.term];
            let df = brute.c.df[f][w];
            prop_assert_eq!(x.doc_freq, df, "{}: {} doc freq", ctx, e.description);
            prop_assert!(close(x.idf, idf(n, f64::from(df))), "{}: idf", ctx);
            prop_assert_eq!(
                x.tf,
                brute.term_tf(doc, x.field, w) as f64,
                "{}: {} tf",
                ctx,
                e.description
            );
        }
        Some(_) => {
            let dfs: Vec<u32> = x
                .term
                .split(' ')
                .map(|t| brute.c.df[f][brute.c.ids[t]])
                .collect();
            prop_assert_eq!(
                x.doc_freq,
                *dfs.iter().min().unwrap(),
                "{}: phrase doc freq",
                ctx
            );
            let idf_sum: f64 = dfs.iter().map(|&d| idf(n, f64::from(d))).sum();
            prop_assert!(
                close(x.idf, idf_sum),
                "{}: phrase idf {} vs {}",
                ctx,
                x.idf,
                idf_sum
            );
            // The same phrase may appear with several slops: one must fit.
            let fits = candidates.iter().any(|l| {
                let p = l.phrase.as_ref().unwrap();
                let slop = if p.slop > 0 {
                    format!("~{}", p.slop)
                } else {
                    String::new()
                };
                e.description.ends_with(&format!("\"{slop}"))
                    && brute
                        .phrase_freq(p, doc, x.field)
                        .is_some_and(|fr| close(fr, x.tf))
            });
            prop_assert!(fits, "{}: phrase leaf {} tf {}", ctx, e.description, x.tf);
        }
    }
    Ok(())
}

/// Every property of one query on one corpus, with one set of options
/// (`base` with pruning on; its `limit` and `offset` are the page).
fn check_query(c: &Corpus, q: &Query, base: &SearchOptions) -> Result<(), TestCaseError> {
    let ctx = format!("query {q} ({q:?}), k {} offset {}", base.limit, base.offset);
    let pruned = SearchOptions {
        pruning: true,
        ..*base
    };
    let exhaustive = SearchOptions {
        pruning: false,
        ..*base
    };
    let got = c.index.top_doc_ids(q, &pruned).unwrap();
    let full = c.index.top_doc_ids(q, &exhaustive).unwrap();
    // (a) Pruning changes nothing, to the bit.
    prop_assert_eq!(got.len(), full.len(), "{}: pruned vs exhaustive", &ctx);
    for (r, (p, e)) in got.iter().zip(&full).enumerate() {
        prop_assert!(
            p.0 == e.0 && p.1.to_bits() == e.1.to_bits(),
            "{}: rank {}: pruned {:?} vs exhaustive {:?}",
            &ctx,
            r,
            p,
            e
        );
    }
    // (b) Both are the brute force's ranking.
    let brute = Brute { c, o: &pruned };
    let all = brute.ranked(q);
    same_ranking(&got, &all, base.offset, base.limit, &ctx)?;
    // (c) Counting.
    prop_assert_eq!(
        c.index.count(q).unwrap(),
        all.len() as u64,
        "{}: count",
        &ctx
    );
    // (d) Paging: this page is the tail of the first `offset + limit`.
    if base.offset > 0 {
        let first = SearchOptions {
            offset: 0,
            limit: base.offset + base.limit,
            ..pruned
        };
        let longer = c.index.top_doc_ids(q, &first).unwrap();
        let tail = longer.get(base.offset..).unwrap_or(&[]);
        prop_assert_eq!(tail.len(), got.len(), "{}: paging", &ctx);
        for (a, b) in tail.iter().zip(&got) {
            prop_assert!(
                a.0 == b.0 && a.1.to_bits() == b.1.to_bits(),
                "{}: paging: {:?} vs {:?}",
                &ctx,
                a,
                b
            );
        }
    }
    // (e) Explanations.
    let mut leaves = Vec::new();
    expected_leaves(q, 1.0, &pruned, &mut leaves);
    for &(doc, score) in &got {
        let e = c.index.explain(q, doc, &pruned).unwrap();
        prop_assert!(e.is_some(), "{}: no explanation for hit {}", &ctx, doc);
        let e = e.unwrap();
        prop_assert!(
            close(e.score, score),
            "{}: doc {} explained as {} but scored {}\n{}",
            &ctx,
            doc,
            e.score,
            score,
            e.to_lines().join("\n")
        );
        let ctx = format!("{ctx}, explaining doc {doc}:\n{}", e.to_lines().join("\n"));
        check_explanation(&e, doc as usize, &leaves, &brute, &ctx)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Random query trees

/// Word `w` of [`VOCAB`]; `ABSENT` past its end.
fn term_of(w: usize) -> String {
    VOCAB.get(w).copied().unwrap_or(ABSENT).to_string()
}

/// Phrase words: the first seven of [`VOCAB`], now and then `ABSENT`.
fn phrase_term_of(w: usize) -> String {
    term_of(if w < 7 { w } else { VOCAB.len() })
}

fn fields() -> impl Strategy<Value = Fields> {
    prop_oneof![
        4 => Just(Fields::ALL),
        1 => Just(Fields::only(Field::Title)),
        1 => Just(Fields::only(Field::Body)),
    ]
}

fn boost() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => Just(1.0),
        1 => Just(0.5),
        1 => Just(2.0),
        1 => Just(3.25),
        1 => Just(0.0),
    ]
}

fn term_leaf() -> impl Strategy<Value = Query> {
    // 14 common-to-rarer words, and now and then one no document holds.
    (0usize..15, fields(), boost()).prop_map(|(w, fields, boost)| {
        Query::Term(TermQuery {
            term: term_of(w),
            fields,
            boost,
        })
    })
}

fn phrase_leaf() -> impl Strategy<Value = Query> {
    (
        proptest::collection::vec(
            (0usize..7, prop_oneof![5 => Just(0u32), 1 => Just(1u32)]),
            2..=3,
        ),
        prop_oneof![2 => Just(0u32), 1 => 1u32..=3],
        fields(),
        boost(),
    )
        .prop_map(|(words, slop, fields, boost)| {
            let mut at = 0;
            let terms = words
                .iter()
                .enumerate()
                .map(|(i, &(w, gap))| {
                    if i > 0 {
                        at += 1 + gap;
                    }
                    (phrase_term_of(w), at)
                })
                .collect();
            Query::Phrase(PhraseQuery {
                terms,
                slop,
                fields,
                boost,
            })
        })
}

fn expansion_leaf() -> impl Strategy<Value = Query> {
    let prefix =
        proptest::sample::select(vec!["s", "st", "c", "ca", "r", "w", "d", "b", "sk", "zz"])
            .prop_map(|p| (ExpansionKind::Prefix, p));
    let fuzzy = proptest::sample::select(vec!["cot", "dgo", "fsh", "moom", "sta", "rian", "sun"])
        .prop_map(|p| (ExpansionKind::Fuzzy(1), p));
    (prop_oneof![prefix, fuzzy], fields(), boost()).prop_map(|((kind, pattern), fields, boost)| {
        Query::Expansion(ExpansionQuery {
            kind,
            pattern: pattern.to_string(),
            fields,
            boost,
        })
    })
}

fn query_tree() -> impl Strategy<Value = Query> {
    let leaf = prop_oneof![6 => term_leaf(), 2 => phrase_leaf(), 1 => expansion_leaf()];
    leaf.prop_recursive(3, 24, 5, |inner| {
        (
            proptest::collection::vec((0u8..6, inner), 0..5),
            prop_oneof![4 => Just(1.0), 1 => Just(2.0), 1 => Just(0.5)],
        )
            .prop_map(|(clauses, boost)| {
                let mut b = BoolQuery {
                    boost,
                    ..BoolQuery::default()
                };
                for (occur, q) in clauses {
                    match occur {
                        0 | 1 => b.must.push(q),
                        5 => b.must_not.push(q),
                        _ => b.should.push(q),
                    }
                }
                Query::Bool(b)
            })
    })
}

fn options_strategy() -> impl Strategy<Value = (usize, usize, f64, f64, (f64, f64))> {
    (
        prop_oneof![Just(1usize), Just(10), 1usize..50],
        prop_oneof![2 => Just(0usize), 1 => 1usize..20],
        prop_oneof![4 => Just(1.2), 1 => Just(0.0), 4 => 0.0f64..3.0],
        prop_oneof![4 => Just(0.75), 1 => Just(0.0), 1 => Just(1.0), 4 => 0.0f64..=1.0],
        (
            prop_oneof![Just(1.0), Just(0.5), Just(3.0)],
            prop_oneof![Just(1.0), Just(0.0), Just(2.0)],
        ),
    )
}

#[test]
fn vocabulary_analyzes_to_itself() {
    let a = quarry::analysis::Analyzer::default();
    for w in VOCAB.iter().chain([&ABSENT]) {
        assert_eq!(a.normalize(w), *w);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random trees of terms, phrases and boolean clauses.
    #[test]
    fn query_trees_match_brute_force(
        seed in any::<u64>(),
        n in 300usize..2000,
        queries in proptest::collection::vec(query_tree(), 6),
        (k, offset, k1, b, boosts) in options_strategy(),
    ) {
        let c = corpus(vocab(), seed, n);
        for q in &queries {
            check_query(&c, q, &opts(k, offset, k1, b, boosts, true))?;
        }
    }
}

// ---------------------------------------------------------------------------
// Query text

/// Query forms, `$a` to `$d` standing for four distinct words.
const FORMS: &[&str] = &[
    "$a",
    "+$a +$b",
    "+$a $b $c",
    "$a $b -$c",
    "\"$a $b\" $c",
    "title:$a $b",
    "body:$a title:$b $c",
    "$a^2 $b",
    "$a^0.5 $b^3 -$d",
    "($a OR $b) AND $c",
    "$a AND $b OR $c",
    "$a OR $b AND $c",
    "\"$a $c\"~1",
    "\"$a $b\"~2 $c",
    "\"$a $b $c\"~3 $a",
    "body:\"$a $b\"~2 title:$c",
    "$a NOT $b",
    "$a AND NOT $b",
    "-$a $b",
    "$a $a $b",
    "\"$a $a\" $b",
    "\"$a $a\"~2 $b",
    "($a ($b -$c)) $d",
    "(+$a ($b OR ($c AND $d)))",
    "($a $b)^2 $c",
    "+($a OR $b)^0.5 -($c $d)",
    "title:($a $b)^3 $d",
    "(+$a -$b) OR (\"$c $d\"~2)^1.5",
    "+$a +\"$b $c\"~1 -$d",
    "($a AND ($b OR \"$c $d\"))^2 OR $d^0.5",
    "$a $b $c $d",
    "+$a +$b +$c -$d",
    "s* $a",
    "+$a ca*^2",
    "$a~1 $b",
    "title:s* -$c",
    "(r* OR $b) AND $c",
    "+\"$a $b\"~1 (st* $c~1)^2",
];

fn fill(form: &str, words: &[usize]) -> String {
    form.replace("$a", VOCAB[words[0]])
        .replace("$b", VOCAB[words[1]])
        .replace("$c", VOCAB[words[2]])
        .replace("$d", VOCAB[words[3]])
}

/// Four distinct word ids, mostly among the common ones.
fn four_words() -> impl Strategy<Value = Vec<usize>> {
    proptest::sample::subsequence((0..10).collect::<Vec<usize>>(), 4).prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Every form of the table, parsed with either default operator.
    #[test]
    fn parsed_queries_match_brute_force(
        seed in any::<u64>(),
        n in 300usize..1500,
        words in four_words(),
        and in any::<bool>(),
        (k, offset, k1, b, boosts) in options_strategy(),
    ) {
        let c = corpus(vocab(), seed, n);
        let operator = if and { Operator::And } else { Operator::Or };
        for form in FORMS {
            let text = fill(form, &words);
            let q = Query::parse(&text, c.index.analyzer(), operator)
                .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
            let o = SearchOptions { operator, ..opts(k, offset, k1, b, boosts, true) };
            check_query(&c, &q, &o).map_err(|e| TestCaseError::fail(format!("text {text:?}: {e}")))?;
        }
    }
}

fn term(t: &str, fields: Fields, boost: f64) -> Query {
    Query::Term(TermQuery {
        term: t.to_string(),
        fields,
        boost,
    })
}

fn bool_query(must: Vec<Query>, should: Vec<Query>, must_not: Vec<Query>, boost: f64) -> Query {
    Query::Bool(BoolQuery {
        must,
        should,
        must_not,
        boost,
    })
}

/// The parser reads the simple forms as documented (so the brute force of
/// the parsed trees above checks the intended queries).
#[test]
fn simple_forms_parse_as_documented() {
    let a = quarry::analysis::Analyzer::default();
    let all = Fields::ALL;
    let t = |w: &str| term(w, all, 1.0);
    let cases: Vec<(&str, Operator, Query)> = vec![
        ("cat", Operator::Or, t("cat")),
        (
            "+cat +dog",
            Operator::Or,
            bool_query(vec![t("cat"), t("dog")], vec![], vec![], 1.0),
        ),
        (
            "+cat dog fish",
            Operator::Or,
            bool_query(vec![t("cat")], vec![t("dog"), t("fish")], vec![], 1.0),
        ),
        (
            "cat dog -fish",
            Operator::Or,
            bool_query(vec![], vec![t("cat"), t("dog")], vec![t("fish")], 1.0),
        ),
        (
            "cat dog -fish",
            Operator::And,
            bool_query(vec![t("cat"), t("dog")], vec![], vec![t("fish")], 1.0),
        ),
        (
            "title:cat dog",
            Operator::Or,
            bool_query(
                vec![],
                vec![term("cat", Fields::only(Field::Title), 1.0), t("dog")],
                vec![],
                1.0,
            ),
        ),
        (
            "cat^2 dog",
            Operator::Or,
            bool_query(vec![], vec![term("cat", all, 2.0), t("dog")], vec![], 1.0),
        ),
        (
            "\"cat fish\"~1",
            Operator::Or,
            Query::Phrase(PhraseQuery {
                terms: vec![("cat".into(), 0), ("fish".into(), 1)],
                slop: 1,
                fields: all,
                boost: 1.0,
            }),
        ),
        (
            "\"cat dog\" fish",
            Operator::Or,
            bool_query(
                vec![],
                vec![
                    Query::Phrase(PhraseQuery {
                        terms: vec![("cat".into(), 0), ("dog".into(), 1)],
                        slop: 0,
                        fields: all,
                        boost: 1.0,
                    }),
                    t("fish"),
                ],
                vec![],
                1.0,
            ),
        ),
        (
            "(cat dog)^2",
            Operator::Or,
            bool_query(vec![], vec![t("cat"), t("dog")], vec![], 2.0),
        ),
    ];
    for (text, op, want) in cases {
        let got = Query::parse(text, &a, op).unwrap();
        assert_eq!(got, want, "{text:?} with {op:?}");
    }
}

// ---------------------------------------------------------------------------
// Long disjunctions

/// About 400 made-up words (consonant, vowel, consonant, vowel) that
/// analyze to themselves.
fn long_vocab() -> Vec<String> {
    let a = quarry::analysis::Analyzer::default();
    let (cs, vs) = ("bdfgklmnprtvz", "aiou");
    let mut out = Vec::new();
    for c1 in cs.chars() {
        for v1 in vs.chars() {
            for c2 in cs.chars() {
                for v2 in ["a", "o"] {
                    let w = format!("{c1}{v1}{c2}{v2}");
                    if a.normalize(&w) == w.as_str() && out.len() < 400 {
                        out.push(w);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn long_vocabulary_analyzes_to_itself() {
    assert_eq!(long_vocab().len(), 400);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// 50 to 300 distinct terms (from 104 (term, field) scorers on: the
    /// windowed term-at-a-time path; below: block-max MaxScore), with
    /// fields, boosts and excluded terms.
    #[test]
    fn long_disjunctions_match_brute_force(
        seed in any::<u64>(),
        n in 500usize..3000,
        picks in proptest::collection::vec((0usize..420, fields(), boost()), 50..300),
        excluded in proptest::collection::vec((0usize..60, fields()), 0..3),
        group_boost in prop_oneof![3 => Just(1.0), 1 => Just(1.5)],
        (k, offset, k1, b, boosts) in options_strategy(),
    ) {
        let words = long_vocab();
        let c = corpus(words.clone(), seed, n);
        let name = |w: usize| words.get(w).cloned().unwrap_or_else(|| format!("{ABSENT}{w}"));
        let mut seen = std::collections::HashSet::new();
        let should: Vec<Query> = picks
            .iter()
            .filter(|p| seen.insert(p.0))
            .map(|&(w, f, bst)| term(&name(w), f, bst))
            .collect();
        let must_not: Vec<Query> = excluded.iter().map(|&(w, f)| term(&name(w), f, 1.0)).collect();
        let q = bool_query(vec![], should, must_not, group_boost);
        let o = opts(k, offset, k1, b, boosts, true);
        check_query(&c, &q, &o)?;
        // The same words as plain text (every field, boost 1).
        let text: Vec<&str> = picks.iter().filter_map(|p| words.get(p.0).map(String::as_str)).collect();
        let mut text = text.join(" ");
        for &(w, _) in &excluded {
            text.push_str(&format!(" -{}", words[w]));
        }
        let parsed = Query::parse(&text, c.index.analyzer(), Operator::Or).unwrap();
        check_query(&c, &parsed, &o)?;
    }
}

/// A found case: bounding an exclusion inside an optional clause moved its
/// inner cursor onto an excluded document, which then counted as a match
/// with pruning on (`+title:sun (+body:moon -"cat cat") cat`).
#[test]
fn bounding_an_exclusion_keeps_excluded_documents_out() {
    let (cat, dog, sun, moon) = (0, 1, 6, 7);
    // d0 fills the top 1; d1 holds moon (admissible); d2 holds moon but
    // also "cat cat", which excludes that clause there.
    let docs: Vec<Doc> = vec![
        [vec![sun], vec![dog]],
        [vec![dog], vec![moon]],
        [vec![sun], vec![moon, cat, cat]],
    ];
    let c = build(vocab(), docs);
    let q = Query::parse(
        "+title:sun (+body:moon -\"cat cat\") cat",
        c.index.analyzer(),
        quarry::Operator::Or,
    )
    .unwrap();
    for k in [1, 2, 3] {
        let o = SearchOptions {
            limit: k,
            ..SearchOptions::default()
        };
        check_query(&c, &q, &o).unwrap();
    }
}
