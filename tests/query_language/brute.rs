//! The brute-force evaluator: every operator scored from its documented
//! semantics, independently of the engine.

use super::*;

pub(super) fn idf(n: f64, df: f64) -> f64 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

pub(super) fn bm25(boost: f64, idf: f64, tf: f64, dl: f64, avgdl: f64, p: Bm25) -> f64 {
    boost * idf * tf * (p.k1 + 1.0) / (tf + p.k1 * (1.0 - p.b + p.b * dl / avgdl))
}

pub(super) struct Brute<'c> {
    pub(super) c: &'c Corpus,
    pub(super) o: &'c SearchOptions,
}

impl Brute<'_> {
    pub(super) fn n(&self) -> f64 {
        self.c.docs.len() as f64
    }

    pub(super) fn field_boost(&self, field: Field) -> f64 {
        match field {
            Field::Title => self.o.title_boost,
            Field::Body => self.o.body_boost,
        }
    }

    /// The word id of an index term, if any document holds it in `field`.
    pub(super) fn word(&self, term: &str, field: Field) -> Option<usize> {
        let &w = self.c.ids.get(term)?;
        (self.c.df[fi(field)][w] > 0).then_some(w)
    }

    pub(super) fn tokens(&self, doc: usize, field: Field) -> &[usize] {
        &self.c.docs[doc][fi(field)]
    }

    pub(super) fn term_tf(&self, doc: usize, field: Field, w: usize) -> usize {
        self.tokens(doc, field).iter().filter(|&&x| x == w).count()
    }

    /// The phrase's frequency in one field of `doc` (0: no match), or
    /// `None` when the field lacks one of its terms altogether.
    pub(super) fn phrase_freq(&self, p: &PhraseQuery, doc: usize, field: Field) -> Option<f64> {
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
        // Query order: of two terms equally far behind, the earlier in the
        // phrase (smaller offset) moves, as in Lucene.
        let order: Vec<usize> = (0..terms.len()).collect();
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
            let lo = (0..lists.len())
                .filter(|&i| vs[i] == min)
                .min_by_key(|&i| lists[i].1)
                .unwrap();
            at[lo] += 1;
            if at[lo] == lists[lo].0.len() {
                return Some(freq);
            }
        }
    }

    /// The words of the documents (any field) an expansion matches: here
    /// every word is its own index term.
    pub(super) fn expand(&self, e: &ExpansionQuery) -> Vec<String> {
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
    pub(super) fn eval(&self, q: &Query, doc: usize, boost: f64) -> Option<f64> {
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
    pub(super) fn ranked(&self, q: &Query) -> Vec<(u32, f64)> {
        let mut out: Vec<(u32, f64)> = (0..self.c.docs.len())
            .filter_map(|d| self.eval(q, d, 1.0).map(|s| (d as u32, s)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

/// Damerau–Levenshtein distance (optimal string alignment: adjacent
/// transpositions count one edit), over bytes.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
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
