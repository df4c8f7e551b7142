//! Collectors for scorer trees: each runs a [`Root`] into a [`TopK`],
//! skipping work that provably cannot change the top k.
//!
//! - [`Root::Any`]: MaxScore over the children (by their score bounds):
//!   children whose bounds together cannot beat the bar only answer
//!   lookups for candidates of the others.
//! - [`Root::ReqOpt`]: the optional part is consulted only when it could
//!   lift the candidate into the top k.
//! - [`Root::Max`]: children one at a time, best bound first, stopping at
//!   the first whose bound cannot beat the bar (a max does not depend on
//!   the order it is taken in, so this is exact).
//!
//! Scores are computed exactly as the scorers define them (children in
//! child order), so with or without pruning the results are bit-identical.

use crate::index::DocId;
use crate::postings::TERMINATED;

use super::collect::{Bar, TopK};
use super::disjunction::rounding_margin;
use super::plan::Root;
use super::scorer::{BoxScorer, Scorer};

/// Runs `root` into `top`; returns true when damaged bytes were met.
pub(crate) fn collect(root: Root<'_>, top: &mut TopK<'_>, pruning: bool) -> bool {
    match root {
        Root::Any {
            mut children,
            group,
        } => {
            any(&mut children, &group, top, pruning);
            children.iter().any(|c| c.damaged())
        }
        Root::ReqOpt {
            mut required,
            mut optional,
        } => {
            req_opt(required.as_mut(), optional.as_mut(), top, pruning);
            required.damaged() || optional.damaged()
        }
        Root::Max(mut children) => {
            if top.capacity() <= MAX_TAAT_K {
                max_by_child(&mut children, top, pruning);
            } else {
                let mut m = super::combine::Union::max(children);
                one(&mut m, top, pruning);
                return m.damaged();
            }
            children.iter().any(|c| c.damaged())
        }
        Root::One(mut s) => {
            one(s.as_mut(), top, pruning);
            s.damaged()
        }
    }
}

/// Counts the documents of `root`; returns the count and whether damaged
/// bytes were met.
pub(crate) fn count(root: Root<'_>) -> (u64, bool) {
    let mut s: BoxScorer<'_> = match root {
        Root::Any { children, .. } => Box::new(super::combine::Union::new(children, "")),
        Root::ReqOpt { required, .. } => required,
        Root::Max(children) => Box::new(super::combine::Union::max(children)),
        Root::One(s) => s,
    };
    let mut n = 0;
    while s.doc() != TERMINATED {
        n += 1;
        s.advance();
    }
    (n, s.damaged())
}

/// Largest k for which [`Root::Max`] goes child by child (its collector
/// updates entries in place, linear in k).
const MAX_TAAT_K: usize = 256;

/// Any scorer: every document, stopping once no score can enter.
fn one(s: &mut dyn Scorer, top: &mut TopK<'_>, pruning: bool) {
    let max = s.max_score();
    let mut doc = s.doc();
    let mut window = BlockWindow::default();
    while doc != TERMINATED {
        let bar = top.bar();
        if pruning && bar.excludes(max, doc) {
            return;
        }
        if pruning {
            if let Some(next) = window.skip(s, bar, doc) {
                doc = next;
                continue;
            }
        }
        top.push(doc, s.score());
        doc = s.advance();
    }
}

/// One scorer's current window (to the end of its nearest block) and the
/// bound of its scores there, for skipping windows that cannot beat the bar.
#[derive(Default)]
struct BlockWindow {
    /// Last document and bound; `None` before the first window.
    current: Option<(DocId, f64)>,
}

impl BlockWindow {
    /// Where `s`, standing on `doc`, goes next if no document of its
    /// window can beat `bar` (`TERMINATED` when that was the last window);
    /// `None` when `doc` must be scored.
    fn skip(&mut self, s: &mut dyn Scorer, bar: Bar, doc: DocId) -> Option<DocId> {
        if bar.is_open() {
            return None;
        }
        let (end, bound) = match self.current {
            Some((end, bound)) if doc <= end => (end, bound),
            _ => {
                let end = s.block_end(doc).max(doc);
                let w = (end, s.window_bound(doc, end));
                self.current = Some(w);
                w
            }
        };
        if !bar.excludes(bound, doc) {
            return None;
        }
        Some(if end >= TERMINATED - 1 {
            TERMINATED
        } else {
            s.seek(end + 1)
        })
    }
}

/// An upper bound of a sum of `n` non-negative parts whose bounds, added
/// in any order, give `sum`: the canonical-order sum is within
/// [`rounding_margin`] of it.
#[inline]
fn inflate(sum: f64, n: usize) -> f64 {
    sum + sum * rounding_margin(n)
}

/// The required documents; optional scores looked up only where they
/// could lift the candidate into the top k.
fn req_opt(
    required: &mut dyn Scorer,
    optional: &mut dyn Scorer,
    top: &mut TopK<'_>,
    pruning: bool,
) {
    let opt_max = optional.max_score();
    let all_max = inflate(required.max_score() + opt_max, 2);
    let mut doc = required.doc();
    let mut window: (DocId, f64) = (0, f64::INFINITY);
    while doc != TERMINATED {
        let bar = top.bar();
        if pruning && bar.excludes(all_max, doc) {
            return;
        }
        if pruning && !bar.is_open() {
            if doc > window.0 || doc == 0 {
                let hi = required.block_end(doc).max(doc);
                let b = required.window_bound(doc, hi) + optional.window_bound(doc, hi);
                window = (hi, inflate(b, 2));
            }
            if bar.excludes(window.1, doc) {
                if window.0 >= TERMINATED - 1 {
                    return;
                }
                doc = required.seek(window.0 + 1);
                continue;
            }
        }
        let r = required.score();
        if !(pruning && bar.excludes(inflate(r + opt_max, 2), doc)) {
            let o = if optional.seek(doc) == doc {
                optional.score()
            } else {
                0.0
            };
            top.push(doc, r + o);
        }
        doc = required.advance();
    }
}

/// MaxScore over the children of a union: sorted by bound, the longest
/// prefix whose bounds cannot beat the bar is looked up only for the
/// candidates of the others.
fn any(children: &mut [BoxScorer<'_>], group: &[usize], top: &mut TopK<'_>, pruning: bool) {
    let n = children.len();
    let maxes: Vec<f64> = children.iter().map(|c| c.max_score()).collect();
    let mut by_bound: Vec<usize> = (0..n).collect();
    by_bound.sort_by(|&a, &b| maxes[a].total_cmp(&maxes[b]));
    // prefix[i]: bound of the i lowest-bounded children together.
    let mut prefix = vec![0.0; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + maxes[by_bound[i]];
    }
    if pruning {
        // A lower bound of the k-th best score, found before collecting,
        // lets windowed expansions pass over what cannot reach it early.
        let k = top.capacity();
        let mut seed = 0.0f64;
        for c in children.iter_mut() {
            seed = seed.max(c.bar_seed(k, &mut |d| top.admits(d)));
        }
        if seed > 0.0 {
            children.iter_mut().for_each(|c| c.raise_bar(seed));
        }
    }
    let mut contrib = vec![0.0; n];
    let mut present = vec![false; n];
    let mut essential_from = 0;
    let mut last_bar = f64::NEG_INFINITY;
    // The current window: its last document and its bound.
    let mut window: (DocId, f64) = (0, f64::INFINITY);
    loop {
        let bar = top.bar();
        if pruning && bar.score != last_bar {
            last_bar = bar.score;
            while essential_from < n && bar.excludes(inflate(prefix[essential_from + 1], n), 0) {
                essential_from += 1;
            }
            if essential_from == n {
                return;
            }
            children.iter_mut().for_each(|c| c.raise_bar(bar.score));
        }
        let essential = &by_bound[essential_from..];
        let doc = essential
            .iter()
            .map(|&i| children[i].doc())
            .min()
            .unwrap_or(TERMINATED);
        if doc == TERMINATED {
            return;
        }
        // A window (to the nearest block end of an essential child) whose
        // children's block bounds cannot beat the bar is passed over.
        if pruning && !bar.is_open() {
            if doc > window.0 {
                let hi = essential
                    .iter()
                    .map(|&i| children[i].block_end(doc))
                    .min()
                    .unwrap_or(TERMINATED - 1)
                    .max(doc);
                let mut bound = 0.0;
                for c in children.iter_mut() {
                    bound += c.window_bound(doc, hi);
                }
                window = (hi, inflate(bound, n));
            }
            if bar.excludes(window.1, doc) {
                if window.0 >= TERMINATED - 1 {
                    return;
                }
                for &i in essential {
                    if children[i].doc() <= window.0 {
                        children[i].seek(window.0 + 1);
                    }
                }
                continue;
            }
        }
        // Essential parts first, then lookups best bound first while the
        // candidate can still enter.
        let mut known = 0.0;
        for &i in essential {
            if children[i].doc() == doc {
                contrib[i] = children[i].score();
                present[i] = true;
                known += contrib[i];
            }
        }
        let mut rest = prefix[essential_from];
        let mut alive = !(pruning && bar.excludes(inflate(known + rest, n), doc));
        for &i in by_bound[..essential_from].iter().rev() {
            if !alive {
                break;
            }
            rest -= maxes[i];
            if group_best(group, &contrib, &present, i) >= maxes[i] {
                // Its group already has a score this child cannot beat.
                continue;
            }
            if children[i].seek(doc) == doc {
                contrib[i] = children[i].score();
                present[i] = true;
                known += contrib[i];
            }
            alive = !(pruning && bar.excludes(inflate(known + rest.max(0.0), n), doc));
        }
        if alive {
            top.push(doc, canonical(group, &mut contrib, &mut present));
        } else {
            contrib.iter_mut().for_each(|c| *c = 0.0);
            present.iter_mut().for_each(|p| *p = false);
        }
        for &i in essential {
            if children[i].doc() == doc {
                children[i].advance();
            }
        }
    }
}

/// The score as the scorer tree defines it: over the groups in order, the
/// best present child of each (a plain clause is a group of one; a max
/// does not depend on order), summed as [`super::combine::Union`] sums its
/// children. Resets the buffers.
fn canonical(group: &[usize], contrib: &mut [f64], present: &mut [bool]) -> f64 {
    let mut s = 0.0;
    let mut i = 0;
    while i < contrib.len() {
        let g = group[i];
        let mut best = 0.0f64;
        let mut any = false;
        while i < contrib.len() && group[i] == g {
            if present[i] {
                best = best.max(contrib[i]);
                any = true;
            }
            contrib[i] = 0.0;
            present[i] = false;
            i += 1;
        }
        if any {
            s += best;
        }
    }
    s
}

/// The best score known so far among the other children of child `i`'s
/// group (0 when none is known).
fn group_best(group: &[usize], contrib: &[f64], present: &[bool], i: usize) -> f64 {
    let g = group[i];
    let mut best = 0.0f64;
    let mut j = i;
    while j > 0 && group[j - 1] == g {
        j -= 1;
    }
    while j < group.len() && group[j] == g {
        if j != i && present[j] {
            best = best.max(contrib[j]);
        }
        j += 1;
    }
    if best > 0.0 {
        best
    } else {
        f64::NEG_INFINITY
    }
}

/// A max over children, one child at a time, best bound first. An entry
/// already kept is raised in place; the k kept entries are lower bounds of
/// their final scores, so a document that fails to enter is truly out.
fn max_by_child(children: &mut [BoxScorer<'_>], top: &mut TopK<'_>, pruning: bool) {
    let mut order: Vec<usize> = (0..children.len()).collect();
    order.sort_by(|&a, &b| children[b].max_score().total_cmp(&children[a].max_score()));
    let mut kept: Vec<(f64, DocId)> = Vec::new();
    let k = top.capacity();
    let worst = |kept: &[(f64, DocId)]| -> Bar {
        if kept.len() < k {
            Bar::open()
        } else {
            kept.iter()
                .map(|&(score, doc)| Bar { score, doc })
                .min_by(|a, b| a.score.total_cmp(&b.score).then(b.doc.cmp(&a.doc)))
                .unwrap_or_else(Bar::open)
        }
    };
    let mut bar = worst(&kept);
    for &c in &order {
        let child = &mut children[c];
        if pruning && bar.excludes(child.max_score(), 0) {
            break;
        }
        let mut doc = child.doc();
        let mut window = BlockWindow::default();
        while doc != TERMINATED {
            if pruning {
                if let Some(next) = window.skip(child.as_mut(), bar, doc) {
                    doc = next;
                    continue;
                }
            }
            let s = child.score();
            // A score that cannot beat the bar changes nothing: a kept
            // entry of this document already scores at least the bar.
            if bar.excludes(s, doc) {
                doc = child.advance();
                continue;
            }
            if let Some(e) = kept.iter_mut().find(|e| e.1 == doc) {
                if s > e.0 {
                    e.0 = s;
                    bar = worst(&kept);
                }
            } else if top.admits(doc) {
                if kept.len() == k {
                    let w = kept
                        .iter()
                        .position(|&(score, d)| score == bar.score && d == bar.doc)
                        .unwrap_or(0);
                    kept.swap_remove(w);
                }
                kept.push((s, doc));
                bar = worst(&kept);
            }
            doc = child.advance();
        }
    }
    for (score, doc) in kept {
        top.push(doc, score);
    }
}
