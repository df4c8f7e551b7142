//! Flat disjunctions of term scorers: exhaustive and block-max MaxScore
//! (see ARCHITECTURE.md, "Query evaluation"; the sparse pass that runs
//! first is in `sparse_pass.rs`).

use crate::index::DocId;
use crate::postings::{PostingsCursor, TERMINATED};

use super::collect::{Bar, TopK};
use super::groups::Combine;
use super::term::TermScorer;

/// Scores every document of the union (the reference for pruning).
pub(crate) fn exhaustive_union(
    scorers: &mut [TermScorer<'_>],
    top: &mut TopK<'_>,
    combine: &Combine,
) {
    if let Combine::Groups(_) = combine {
        return exhaustive_grouped(scorers, top, combine);
    }
    loop {
        let doc = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
        if doc == TERMINATED {
            return;
        }
        let mut score = 0.0;
        for s in scorers.iter_mut() {
            if s.doc() == doc {
                score += s.score();
                s.cursor.advance();
            }
        }
        top.push(doc, score);
    }
}

/// [`exhaustive_union`] with grouped scores.
fn exhaustive_grouped(scorers: &mut [TermScorer<'_>], top: &mut TopK<'_>, combine: &Combine) {
    let mut ub = vec![0.0; scorers.len()];
    loop {
        let doc = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
        if doc == TERMINATED {
            return;
        }
        for (s, u) in scorers.iter_mut().zip(ub.iter_mut()) {
            *u = if s.doc() == doc {
                let v = s.score();
                s.cursor.advance();
                v
            } else {
                0.0
            };
        }
        top.push(doc, combine.total(&ub));
    }
}

/// Counts the documents of the union, without decoding frequencies.
pub(crate) fn count_union(scorers: &mut [TermScorer<'_>]) -> u64 {
    let mut n = 0;
    loop {
        let doc = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
        if doc == TERMINATED {
            return n;
        }
        n += 1;
        for s in scorers.iter_mut() {
            if s.doc() == doc {
                s.cursor.advance();
            }
        }
    }
}

/// Sorts `idx` by bound per posting ascending (`bound / cost`, into
/// `scratch`): the order in which scorers become non-essential. Any set of
/// scorers whose bounds together cannot beat the bar may be left to
/// lookups, and taking those with the most postings per unit of bound
/// first leaves the fewest candidates. For one word in title and body,
/// say, the body's bound alone often cannot beat the bar though it is the
/// larger one: its thousands of postings are then looked up from the
/// title's few candidates instead of each being scanned.
fn sort_by_bound_per_cost(idx: &mut [usize], bound: &[f64], cost: &[f64], scratch: &mut [f64]) {
    for (s, (&b, &c)) in scratch.iter_mut().zip(bound.iter().zip(cost)) {
        *s = b / c;
    }
    sort_by_bound(idx, scratch);
}

/// Sorts `idx` by `key` ascending (a handful of scorers: insertion sort).
pub(crate) fn sort_by_bound(idx: &mut [usize], key: &[f64]) {
    for i in 1..idx.len() {
        let mut j = i;
        while j > 0 && key[idx[j - 1]] > key[idx[j]] {
            idx.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Block-max MaxScore over a union of scorers.
///
/// Scorers are sorted by bound per posting ([`sort_by_bound_per_cost`]);
/// the longest prefix whose bounds sum to at most the bar is
/// non-essential: a document found only there cannot enter the top k. The
/// essential scorers define a window, from the next candidate to the end
/// of the nearest essential block; within it every scorer is bounded by
/// its block maximum, the partition is redone with those tighter bounds,
/// and the window is skipped outright when they cannot beat the bar. Candidates come from the window's essential
/// scorers; non-essential ones are looked up best-first, only while the
/// score so far plus their remaining bounds can still beat the bar.
///
/// Every bound is summed in scorer order, as scores are (see
/// [`Bar::excludes`]), so pruning is exact even for documents that would
/// tie the bar.
///
/// Documents that any of the `held` cursors holds were already scored and
/// are not added again.
pub(crate) fn block_max_maxscore(
    scorers: &mut [TermScorer<'_>],
    top: &mut TopK<'_>,
    held: &mut [PostingsCursor<'_>],
    combine: &Combine,
) {
    let n = scorers.len();
    let max: Vec<f64> = scorers.iter().map(|s| s.max_score).collect();
    let cost: Vec<f64> = scorers
        .iter()
        .map(|s| f64::from(s.cursor.doc_freq().max(1)))
        .collect();
    let mut per_cost = vec![0.0; n];
    let mut order: Vec<usize> = (0..n).collect();
    sort_by_bound_per_cost(&mut order, &max, &cost, &mut per_cost);
    let mut window_bound = vec![0.0; n];
    let mut window_order: Vec<usize> = (0..n).collect();
    let mut ub = vec![0.0; n];
    let mut lookups: Vec<usize> = Vec::with_capacity(n);
    let mut essential: Vec<usize> = Vec::with_capacity(n);
    // Every document before `from` has been scored or ruled out.
    let mut from: DocId = 0;
    // Set while windows are ruled out one after another: groups of blocks
    // ahead are then tried first, to pass over many blocks at once.
    let mut passing = false;
    loop {
        let bar = top.bar();
        let first_essential = non_essential_prefix(&order, &max, &mut ub, bar, from);
        if first_essential == n {
            return;
        }
        // The window starts at the first document an essential scorer may
        // hold from `from` on; cursors left behind by skipped windows are
        // only moved shallowly (their blocks are not decoded).
        let mut lo = TERMINATED;
        for &i in &order[first_essential..] {
            let s = &mut scorers[i];
            let at = s.doc().max(from);
            if at != TERMINATED && s.cursor.shallow_seek(at) >= at {
                lo = lo.min(at);
            }
        }
        if lo == TERMINATED {
            return;
        }
        if passing {
            if let Some(end) = ruled_out_groups(scorers, &order[first_essential..], lo, bar) {
                if end == TERMINATED - 1 {
                    return;
                }
                from = end + 1;
                continue;
            }
        }
        let hi = nearest_block_end(scorers, &order[first_essential..], lo);
        for (i, s) in scorers.iter_mut().enumerate() {
            window_bound[i] = s.window_bound(lo, hi);
        }
        let total: f64 = window_bound.iter().sum();
        passing = bar.excludes(total, lo);
        if !passing {
            sort_by_bound_per_cost(&mut window_order, &window_bound, &cost, &mut per_cost);
            let split = non_essential_prefix(&window_order, &window_bound, &mut ub, bar, lo);
            lookups.clear();
            lookups.extend(&window_order[..split]);
            // Looked up best bound first: a candidate fails soonest.
            sort_by_bound(&mut lookups, &window_bound);
            lookups.reverse();
            essential.clear();
            essential.extend(&window_order[split..]);
            score_window(
                scorers,
                top,
                held,
                &Window {
                    essential: &essential,
                    lookups: &lookups,
                    bound: &window_bound,
                    lo,
                    hi,
                    combine,
                },
                &mut ub,
            );
        }
        if hi == TERMINATED - 1 {
            return;
        }
        from = hi + 1;
    }
}

/// When no document from `lo` to the end of the nearest group of blocks
/// among the `essential` scorers can beat `bar`: that end, to skip to.
/// Each scorer is bounded by its group there when the group covers that
/// stretch, by its maximum otherwise; bounds are summed in scorer order,
/// as scores are. `None` when some essential scorer has no groups or the
/// stretch may hold a better document.
fn ruled_out_groups(
    scorers: &mut [TermScorer<'_>],
    essential: &[usize],
    lo: DocId,
    bar: Bar,
) -> Option<DocId> {
    let mut end = TERMINATED - 1;
    for &i in essential {
        end = end.min(scorers[i].group_bound(lo)?.0);
    }
    let mut total = 0.0;
    for s in scorers.iter_mut() {
        total += match s.group_bound(lo) {
            Some((e, bound)) if e >= end => bound,
            _ => s.max_score,
        };
    }
    bar.excludes(total, lo).then_some(end)
}

/// The last document of the nearest block, from `lo` on, among the
/// `which` scorers (a shallow seek: nothing is decoded); `TERMINATED - 1`
/// when none has a document left.
pub(crate) fn nearest_block_end(
    scorers: &mut [TermScorer<'_>],
    which: &[usize],
    lo: DocId,
) -> DocId {
    let mut hi = TERMINATED - 1;
    for &i in which {
        let s = &mut scorers[i];
        let from = s.doc().max(lo);
        if from != TERMINATED {
            let last = s.cursor.shallow_seek(from);
            if last >= from {
                hi = hi.min(last);
            }
        }
    }
    hi
}

/// The length of the longest prefix of `order` (scorers by increasing
/// bound) whose bounds, summed in scorer order, cannot beat `bar` for
/// documents from `from` on. `scratch` must hold zeros and is left so.
pub(crate) fn non_essential_prefix(
    order: &[usize],
    bound: &[f64],
    scratch: &mut [f64],
    bar: Bar,
    from: DocId,
) -> usize {
    let mut j = 0;
    while j < order.len() {
        scratch[order[j]] = bound[order[j]];
        if !bar.excludes(scratch.iter().sum(), from) {
            break;
        }
        j += 1;
    }
    scratch.iter_mut().for_each(|x| *x = 0.0);
    j
}

/// A window of documents and how to evaluate it.
pub(crate) struct Window<'w> {
    /// Scorers whose documents are candidates.
    essential: &'w [usize],
    /// Scorers looked up for candidates, best bound first.
    lookups: &'w [usize],
    /// Every scorer's bound within the window.
    bound: &'w [f64],
    lo: DocId,
    hi: DocId,
    /// How scores combine.
    combine: &'w Combine,
}

/// Scores the documents of the window that can enter the top k.
///
/// A candidate's essential scores plus every lookup's window bound must
/// reach the bar (allowing for rounding: [`rounding_margin`]), which most
/// fail; with one essential scorer that test runs over its decoded blocks
/// as slices. Lookups are then consulted only while the candidate can
/// still enter: its bound is `ub`, holding the score of each scorer already
/// consulted (0 when absent) and the window bound of the others, summed
/// in scorer order where it matters (see [`look_up`]).
pub(crate) fn score_window(
    scorers: &mut [TermScorer<'_>],
    top: &mut TopK<'_>,
    held: &mut [PostingsCursor<'_>],
    w: &Window<'_>,
    ub: &mut [f64],
) {
    for &i in w.essential {
        scorers[i].cursor.seek(w.lo);
    }
    let rounding = rounding_margin(ub.len());
    // Most candidates fail even with every lookup present, and a lookup
    // whose cursor is past a document lacks it (cursors only move forward,
    // to candidates in order): a candidate is bounded by its essential
    // scores and the lookups that may still hold it ([`LookupSteps`]).
    // Where lookups are sparse (title fields), most candidates lie before
    // their cursors.
    let may_enter = |essential: f64, lookups: f64, bar: Bar| {
        let at_most = essential + lookups;
        at_most + rounding * at_most >= bar.score
    };
    let mut bar = top.bar();
    if let [e] = *w.essential {
        // One essential scorer: scan its blocks for candidates that pass,
        // then evaluate those.
        loop {
            let mut steps = LookupSteps::new(scorers, w.lookups, w.bound);
            let Some((doc, score)) =
                scorers[e].next_kept(w.hi, |d, s| may_enter(s, steps.bound(d), bar))
            else {
                ub.iter_mut().for_each(|x| *x = 0.0);
                return;
            };
            ub[e] = score;
            evaluate_candidate(scorers, top, held, w, ub, (doc, score), bar);
            bar = top.bar();
        }
    }
    let mut steps = LookupSteps::new(scorers, w.lookups, w.bound);
    loop {
        let doc = w
            .essential
            .iter()
            .map(|&i| scorers[i].doc())
            .min()
            .unwrap_or(TERMINATED);
        if doc > w.hi {
            ub.iter_mut().for_each(|x| *x = 0.0);
            return;
        }
        let mut sum = 0.0;
        for &i in w.essential {
            let s = &mut scorers[i];
            if s.doc() == doc {
                ub[i] = s.score_in_block();
                sum += ub[i];
                s.cursor.advance();
            } else {
                ub[i] = 0.0;
            }
        }
        if may_enter(sum, steps.bound(doc), bar) {
            evaluate_candidate(scorers, top, held, w, ub, (doc, sum), bar);
            bar = top.bar();
            steps = LookupSteps::new(scorers, w.lookups, w.bound);
        }
    }
}

/// Lookups whose bounds a step function of the document gives: a lookup
/// bounds only documents its cursor has not passed (a cursor past a
/// document lacks it), so as candidates advance past the lookups' cursors
/// their bounds join one by one. Made anew after each candidate (lookups
/// move then) and asked of increasing documents.
struct LookupSteps {
    /// The lookups' cursor positions, increasing.
    at: [DocId; LOOKUP_STEPS],
    /// `bound[j]`: the bounds of the lookups at `at[..j]`, summed.
    bound: [f64; LOOKUP_STEPS + 1],
    len: usize,
    /// Positions passed by the documents asked so far.
    passed: usize,
}

/// Most lookups given steps; past it, every lookup bounds every document.
const LOOKUP_STEPS: usize = 8;

impl LookupSteps {
    #[inline]
    fn new(scorers: &[TermScorer<'_>], lookups: &[usize], bound: &[f64]) -> Self {
        let mut steps = LookupSteps {
            at: [TERMINATED; LOOKUP_STEPS],
            bound: [0.0; LOOKUP_STEPS + 1],
            len: 0,
            passed: 0,
        };
        if lookups.len() > LOOKUP_STEPS {
            steps.bound[0] = lookups.iter().map(|&i| bound[i]).sum();
            return steps;
        }
        // Insertion by position (a handful of lookups); `bound[j + 1]`
        // holds the bound of the lookup at `at[j]` until summed below.
        for &i in lookups {
            let (at, b) = (scorers[i].doc(), bound[i]);
            let mut j = steps.len;
            while j > 0 && steps.at[j - 1] > at {
                steps.at[j] = steps.at[j - 1];
                steps.bound[j + 1] = steps.bound[j];
                j -= 1;
            }
            steps.at[j] = at;
            steps.bound[j + 1] = b;
            steps.len += 1;
        }
        for j in 0..steps.len {
            steps.bound[j + 1] += steps.bound[j];
        }
        steps
    }

    /// The bound of the lookups that may hold `doc` (at least the last
    /// document asked).
    #[inline]
    fn bound(&mut self, doc: DocId) -> f64 {
        while self.passed < self.len && self.at[self.passed] <= doc {
            self.passed += 1;
        }
        self.bound[self.passed]
    }
}

/// Evaluates candidate `doc` of window `w`, whose essential scores are in
/// `ub` (0 where absent), adding up to `sum`: bounds the lookups, looks
/// them up while it can still beat `bar` (the top k's), and keeps it
/// unless a `held` cursor holds it (the sparse pass scored it).
#[inline]
pub(crate) fn evaluate_candidate(
    scorers: &mut [TermScorer<'_>],
    top: &mut TopK<'_>,
    held: &mut [PostingsCursor<'_>],
    w: &Window<'_>,
    ub: &mut [f64],
    (doc, mut sum): (DocId, f64),
    bar: Bar,
) {
    for &i in w.lookups {
        // A scorer already past the candidate is known to be absent.
        ub[i] = if scorers[i].doc() > doc {
            0.0
        } else {
            w.bound[i]
        };
        sum += ub[i];
    }
    let found = look_up(
        scorers,
        w.lookups.iter().copied(),
        ub,
        (bar, doc, sum),
        w.combine,
    );
    if let Some(score) = found {
        if !held.iter_mut().any(|c| c.seek(doc) == doc) {
            top.push(doc, score);
        }
    }
}

/// How far, relative to their value, sums of `n` non-negative bounds added
/// in different orders, or kept up to date by up to `n` replacements of a
/// term by a smaller one, may differ: each addition errs by at most an ulp
/// of the total, and there are at most 4n of them; doubled for good
/// measure. A candidate whose bound clears the bar by more than this is
/// decided without summing in scorer order.
pub(crate) fn rounding_margin(n: usize) -> f64 {
    (8.0 * n as f64 + 16.0) * f64::EPSILON
}

/// Consults the `lookups` scorers for `doc`, in order, while it can still
/// enter: `ub` holds, per scorer, the score of those already known (0 when
/// absent) and a bound for the others; a lookup replaces its bound by its
/// score. `sum` is the sum of `ub`, added in any order. Returns the
/// document's score when it beats `bar`.
///
/// Whether the candidate can still enter is decided on a running sum,
/// updated per lookup, which differs from `ub` summed in scorer order by
/// rounding only: a few units in the last place of `sum` per addition.
/// Only when the two sums could fall on different sides of the bar is `ub`
/// summed in scorer order, which decides exactly.
pub(crate) fn look_up(
    scorers: &mut [TermScorer<'_>],
    lookups: impl IntoIterator<Item = usize>,
    ub: &mut [f64],
    (bar, doc, sum): (Bar, DocId, f64),
    combine: &Combine,
) -> Option<f64> {
    let mut running = sum;
    let margin = rounding_margin(ub.len()) * sum;
    for i in lookups {
        if ub[i] == 0.0 {
            continue;
        }
        if running + margin < bar.score {
            return None;
        }
        if running - margin <= bar.score && bar.excludes(combine.total(ub), doc) {
            return None;
        }
        let s = &mut scorers[i];
        let score = if s.cursor.seek(doc) == doc {
            s.score()
        } else {
            0.0
        };
        running += score - ub[i];
        ub[i] = score;
    }
    let score = combine.total(ub);
    (!bar.excludes(score, doc)).then_some(score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// What `look_up` and the window pre-check rely on: a sum of
        /// bounds kept up to date by replacing terms with smaller ones, in
        /// any order, stays within `rounding_margin` of the scorer-order
        /// sum of the final terms.
        #[test]
        fn running_sums_stay_within_the_rounding_margin(
            terms in proptest::collection::vec((0.0f64..1e6, 0.0f64..=1.0), 1..40),
            order_seed in any::<u64>(),
        ) {
            let n = terms.len();
            let mut ub: Vec<f64> = terms.iter().map(|t| t.0).collect();
            // Added in another order than the scorers'.
            let mut order: Vec<usize> = (0..n).collect();
            let mut x = order_seed | 1;
            for i in (1..n).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let sum = order.iter().fold(0.0, |s, &i| s + ub[i]);
            let margin = rounding_margin(n) * sum;
            let mut running = sum;
            for &i in &order {
                let smaller = ub[i] * terms[i].1;
                running += smaller - ub[i];
                ub[i] = smaller;
            }
            let canonical: f64 = ub.iter().sum();
            prop_assert!((running - canonical).abs() <= margin);
            prop_assert!((sum - terms.iter().map(|t| t.0).sum::<f64>()).abs() <= margin);
        }
    }
}
