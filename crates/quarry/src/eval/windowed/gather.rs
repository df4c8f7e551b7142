//! Gathering an expansion's terms into a window under a floor: the bar
//! of the top-level sum less the siblings' bounds in the window. A term
//! whose bounds there cannot reach the floor is passed over; a field that
//! cannot reach it alone is only looked up for the term's other fields'
//! documents; a document left below it is dropped.

use crate::index::DocId;
use crate::postings::TERMINATED;

use super::super::disjunction::rounding_margin;
use super::super::scorer::BoxScorer;
use super::super::term::TermScorer;
use super::{Children, Windowed, WINDOW};

impl<'a> Windowed<'a> {
    /// This max as a child of a top-level sum whose other children are
    /// `rest` (fresh scorers, asked only for window bounds) and children
    /// bounded by `constant` in all, `n` children in all: once the bar is
    /// raised, a window's documents that cannot reach it with the others'
    /// bounds there are passed over.
    pub(crate) fn with_rest(mut self, rest: Vec<BoxScorer<'a>>, constant: f64, n: usize) -> Self {
        self.rest = Some(Rest {
            scorers: rest,
            constant,
            n,
        });
        self
    }

    /// A lower bound of the k-th best score of the sum this max belongs
    /// to: the k-th best term score among the documents of the terms of
    /// highest bounds, each term's shortest field list read in full and
    /// its other fields looked up there, from copies of their cursors (a
    /// document's score is at least any of its terms'). 0 when they hold
    /// fewer than k documents.
    pub(super) fn seed(&mut self, k: usize, admits: &mut dyn FnMut(DocId) -> bool) -> f64 {
        let Children::Terms(terms) = &self.children else {
            return 0.0;
        };
        if self.rest.is_none() || k == 0 {
            return 0.0;
        }
        let bound = |fields: &Vec<TermScorer<'_>>| fields.iter().map(|s| s.max_score).sum::<f64>();
        let mut order: Vec<&Vec<TermScorer<'_>>> = terms.iter().collect();
        order.sort_by(|a, b| bound(b).total_cmp(&bound(a)));
        let mut budget = SEED_POSTINGS;
        let mut found: Vec<(DocId, f64)> = Vec::new();
        for fields in order.into_iter().take(SEED_TERMS) {
            let Some(lead) = (0..fields.len()).min_by_key(|&f| fields[f].cursor.doc_freq()) else {
                continue;
            };
            let df = fields[lead].cursor.doc_freq() as usize;
            if df > budget {
                continue;
            }
            budget -= df;
            let mut copies: Vec<TermScorer<'_>> = fields.to_vec();
            while copies[lead].doc() != TERMINATED {
                let doc = copies[lead].doc();
                // The term's score there: its fields summed in field order.
                let mut score: Option<f64> = None;
                for s in copies.iter_mut() {
                    if s.doc() < doc {
                        s.cursor.seek(doc);
                    }
                    if s.doc() == doc {
                        let v = s.score();
                        score = Some(score.map_or(v, |t| t + v));
                    }
                }
                found.push((doc, score.unwrap_or(0.0)));
                copies[lead].cursor.advance();
            }
            if copies.iter().any(TermScorer::damaged) {
                return 0.0;
            }
        }
        // Each document once, at its best.
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        found.dedup_by_key(|f| f.0);
        let mut scores: Vec<f64> = found.iter().filter(|f| admits(f.0)).map(|f| f.1).collect();
        if scores.len() < k {
            return 0.0;
        }
        scores.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        scores[k - 1]
    }

    /// The least score a document of `lo..=hi` must have to matter: the
    /// bar less the siblings' bounds in the window (rounding margins
    /// included, so a document passed over is truly out); 0 without
    /// siblings known or a bar.
    fn floor(&mut self, lo: DocId, hi: DocId) -> f64 {
        let Some(rest) = &mut self.rest else {
            return 0.0;
        };
        if self.bar <= 0.0 {
            return 0.0;
        }
        let mut others = rest.constant;
        for s in &mut rest.scorers {
            others += s.window_bound(lo, hi);
        }
        let n = rest.n;
        let others = inflate(others + 4.0 * others * f64::EPSILON, n);
        self.bar - self.bar * rounding_margin(n + 1) - others
    }

    /// Gathers the terms' postings of `from..=hi` into the slots; returns
    /// whether any was found and a lower bound of the first document past
    /// `hi`.
    ///
    /// Under a floor (see [`Windowed::floor`]) a term whose fields'
    /// bounds in the window sum below it is passed over, and a field whose
    /// bound (with the lower-bounded fields') cannot reach it alone is only
    /// looked up for the documents of the term's other fields.
    pub(super) fn gather_terms(&mut self, from: DocId, hi: DocId) -> (bool, DocId) {
        let Children::Terms(terms) = &mut self.children else {
            return (false, TERMINATED);
        };
        let mut terms = std::mem::take(terms);
        self.term_acc.resize(WINDOW as usize, 0.0);
        self.term_bits.resize(WINDOW as usize / 64, 0);
        let mut any = false;
        let mut next = TERMINATED;
        let past = hi.saturating_add(1);
        let floor = self.floor(from, hi);

        for fields in &mut terms {
            if floor > 0.0 {
                let probed = probed_fields(fields, from, hi, floor);
                if probed == SKIP {
                    for s in fields.iter_mut() {
                        next = next.min(first_possible(s, past));
                    }
                    continue;
                }
                if probed != 0 {
                    any |= self.gather_probing(fields, probed, from, hi, &mut next);
                    continue;
                }
            }
            // The term's score: its fields summed in field order.
            for s in fields.iter_mut() {
                let mut d = s.doc();
                if d < from {
                    d = s.cursor.seek(from);
                }
                while d <= hi {
                    let i = (d - from) as usize;
                    let v = s.score_in_block();
                    let (word, bit) = (i / 64, 1u64 << (i % 64));
                    if self.term_bits[word] & bit == 0 {
                        self.term_bits[word] |= bit;
                        self.term_acc[i] = v;
                        self.touched.push(i as u32);
                    } else {
                        self.term_acc[i] += v;
                    }
                    d = s.cursor.advance();
                }
                next = next.min(d);
            }
            any |= !self.touched.is_empty();
            let touched = std::mem::take(&mut self.touched);
            for &i in &touched {
                let i = i as usize;
                self.term_bits[i / 64] = 0;
                let v = self.term_acc[i];
                self.put(i, v);
            }
            self.touched = touched;
            self.touched.clear();
        }
        self.children = Children::Terms(terms);
        if any && floor > 0.0 {
            // Documents the bounds let through but that score below the
            // floor are out as well.
            any = false;
            for (w, word) in self.bits.iter_mut().enumerate() {
                let mut rest = *word;
                while rest != 0 {
                    let b = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    if self.acc[w * 64 + b] < floor {
                        *word &= !(1 << b);
                    }
                }
                any |= *word != 0;
            }
        }
        (any, next)
    }

    /// One term's window when the fields in the `probed` mask are only
    /// looked up for the documents of its other fields: each field's
    /// scores are kept apart and summed in field order at the end, as the
    /// plain gathering sums them. Returns whether any document was found.
    fn gather_probing(
        &mut self,
        fields: &mut [TermScorer<'_>],
        probed: u64,
        from: DocId,
        hi: DocId,
        next: &mut DocId,
    ) -> bool {
        let past = hi.saturating_add(1);
        if self.field_acc.len() < fields.len() {
            self.field_acc
                .resize_with(fields.len(), || vec![0.0; WINDOW as usize]);
            self.field_bits
                .resize_with(fields.len(), || vec![0; WINDOW as usize / 64]);
        }
        for (f, s) in fields.iter_mut().enumerate() {
            if probed & (1 << f) != 0 {
                continue;
            }
            let mut d = s.doc();
            if d < from {
                d = s.cursor.seek(from);
            }
            while d <= hi {
                let i = (d - from) as usize;
                let (word, bit) = (i / 64, 1u64 << (i % 64));
                self.field_acc[f][i] = s.score_in_block();
                self.field_bits[f][word] |= bit;
                if self.term_bits[word] & bit == 0 {
                    self.term_bits[word] |= bit;
                    self.touched.push(i as u32);
                }
                d = s.cursor.advance();
            }
            *next = (*next).min(d);
        }
        if self.touched.is_empty() {
            for (f, s) in fields.iter_mut().enumerate() {
                if probed & (1 << f) != 0 {
                    *next = (*next).min(first_possible(s, past));
                }
            }
            return false;
        }
        self.touched.sort_unstable();
        for (f, s) in fields.iter_mut().enumerate() {
            if probed & (1 << f) == 0 {
                continue;
            }
            for &i in &self.touched {
                let doc = from + i;
                let d = if s.doc() < doc {
                    s.cursor.seek(doc)
                } else {
                    s.doc()
                };
                if d == doc {
                    let i = i as usize;
                    self.field_acc[f][i] = s.score();
                    self.field_bits[f][i / 64] |= 1 << (i % 64);
                }
            }
            *next = (*next).min(first_possible(s, past));
        }
        let touched = std::mem::take(&mut self.touched);
        for &i in &touched {
            let i = i as usize;
            let (word, bit) = (i / 64, 1u64 << (i % 64));
            self.term_bits[word] = 0;
            let mut sum: Option<f64> = None;
            for f in 0..fields.len() {
                if self.field_bits[f][word] & bit != 0 {
                    self.field_bits[f][word] &= !bit;
                    let v = self.field_acc[f][i];
                    sum = Some(sum.map_or(v, |t| t + v));
                }
            }
            if let Some(v) = sum {
                self.put(i, v);
            }
        }
        self.touched = touched;
        self.touched.clear();
        true
    }
}

/// Most postings [`Windowed::seed`] reads in full, and most terms it
/// looks at.
const SEED_POSTINGS: usize = 4096;
const SEED_TERMS: usize = 64;

/// The other children of the top-level sum a windowed max belongs to.
pub(super) struct Rest<'a> {
    /// Fresh scorers, asked only for window bounds.
    scorers: Vec<BoxScorer<'a>>,
    /// The bound of the children not in `scorers`.
    constant: f64,
    /// How many children the sum has.
    n: usize,
}

/// An upper bound of a sum of `n` parts whose bounds sum to `sum` in
/// another order.
fn inflate(sum: f64, n: usize) -> f64 {
    sum + sum * rounding_margin(n)
}

/// A lower bound of `s`'s first document `>= past`, from its skip data
/// (its cursor may lag behind): `TERMINATED` when it has none.
fn first_possible(s: &mut TermScorer<'_>, past: DocId) -> DocId {
    if s.doc() >= past {
        return s.doc();
    }
    if past == TERMINATED || s.cursor.shallow_seek(past) < past {
        return TERMINATED;
    }
    s.cursor.shallow_block_start().max(past)
}

/// [`probed_fields`]: the whole term is passed over.
const SKIP: u64 = u64::MAX;

/// Which of a term's `fields` (a bit mask, in field order) are only looked
/// up under `floor` in the window `lo..=hi`: the longest run of the
/// lowest-bounded fields whose bounds together stay below it. [`SKIP`]
/// when all of them do (no document of the window reaches the floor).
fn probed_fields(fields: &mut [TermScorer<'_>], lo: DocId, hi: DocId, floor: f64) -> u64 {
    if fields.len() > 4 {
        return 0;
    }
    if fields.iter().map(|s| s.max_score).sum::<f64>() < floor {
        // Even the term's best scores stay below (no skip data read).
        return SKIP;
    }
    let mut bounds = [(0.0f64, 0usize); 4];
    let bounds = &mut bounds[..fields.len()];
    for (f, (b, s)) in bounds.iter_mut().zip(fields.iter_mut()).enumerate() {
        *b = (s.window_bound(lo, hi), f);
    }
    bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut mask = 0u64;
    let mut sum = 0.0;
    for &(b, f) in bounds.iter() {
        sum += b;
        if sum >= floor {
            return mask;
        }
        mask |= 1 << f;
    }
    SKIP
}
