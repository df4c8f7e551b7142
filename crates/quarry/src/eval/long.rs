//! Long disjunctions (a pasted paragraph): term-at-a-time over windows of
//! documents.
//!
//! Document-at-a-time costs grow with the number of scorers at every
//! document (finding the next one, re-sorting bounds per window); with
//! hundreds of scorers that dominates. Here each window of
//! [`WINDOW`] documents has one accumulator slot per document; every
//! scorer, in scoring order, adds its postings in the window to the slots,
//! then the touched slots are offered to the top k. Each document's score
//! is therefore summed in scorer order, exactly as the other paths sum it,
//! and the cost is linear in the postings read.
//!
//! Windows whose scorers' summed bounds (block maxima, read from the skip
//! data without decoding) cannot beat the bar are skipped.

use crate::index::DocId;
use crate::postings::TERMINATED;

use super::collect::TopK;
use super::disjunction::rounding_margin;
use super::term::TermScorer;

/// Documents per window: the accumulators stay in the first-level cache.
const WINDOW: u32 = 2048;

/// The number of scorers from which a disjunction runs here rather than
/// in block-max MaxScore (measured: see BENCHMARKS.md, "Long queries").
pub(crate) const LONG_QUERY_SCORERS: usize = 48;

/// Scores the union of `scorers` into `top`, window by window.
pub(crate) fn windowed_union(scorers: &mut [TermScorer<'_>], top: &mut TopK<'_>, pruning: bool) {
    let mut acc = vec![0.0f64; WINDOW as usize];
    let mut touched = vec![0u64; WINDOW as usize / 64];
    let mut lo: DocId = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
    // Bounds are checked best first, so a window that cannot be skipped
    // is usually known after a few scorers.
    let mut by_bound: Vec<usize> = (0..scorers.len()).collect();
    by_bound.sort_by(|&a, &b| scorers[b].max_score.total_cmp(&scorers[a].max_score));
    let mut backoff = Backoff::default();
    while lo != TERMINATED {
        let hi = lo.saturating_add(WINDOW - 1).min(TERMINATED - 1);
        if pruning
            && backoff.check()
            && backoff.record(skip_window(scorers, &by_bound, top, lo, hi))
        {
            lo = next_start(scorers, hi);
            continue;
        }
        for s in scorers.iter_mut() {
            let mut d = s.doc();
            if d < lo {
                d = s.cursor.seek(lo);
            }
            while d <= hi {
                let i = (d - lo) as usize;
                acc[i] += s.score_in_block();
                touched[i / 64] |= 1 << (i % 64);
                d = s.cursor.advance();
            }
        }
        for (w, word) in touched.iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                top.push(lo + i as DocId, acc[i]);
                acc[i] = 0.0;
            }
            *word = 0;
        }
        lo = next_start(scorers, hi);
    }
}

/// The first document after `hi` that some scorer may hold.
fn next_start(scorers: &mut [TermScorer<'_>], hi: DocId) -> DocId {
    if hi >= TERMINATED - 1 {
        return TERMINATED;
    }
    let mut next = TERMINATED;
    for s in scorers.iter_mut() {
        let d = s.doc();
        next = next.min(if d > hi { d } else { hi + 1 });
    }
    next
}

/// True when no document of `lo..=hi` can enter: the scorers' window
/// bounds, summed best first (within [`rounding_margin`] of the scorer-order
/// sum), cannot beat the bar.
fn skip_window(
    scorers: &mut [TermScorer<'_>],
    by_bound: &[usize],
    top: &TopK<'_>,
    lo: DocId,
    hi: DocId,
) -> bool {
    let bar = top.bar();
    if bar.is_open() {
        return false;
    }
    let margin = 1.0 + rounding_margin(scorers.len());
    let mut bound = 0.0;
    for &i in by_bound {
        bound += scorers[i].window_bound(lo, hi);
        if !bar.excludes(bound * margin, lo) {
            return false;
        }
    }
    true
}

/// Checks windows for skipping less often while checks fail: after each
/// failure the next check waits twice as many windows (up to 64); a skip
/// resets the wait. A check costs a bound per scorer, so on queries whose
/// windows never skip this keeps the checks' cost a small share.
#[derive(Default)]
struct Backoff {
    wait: u32,
    left: u32,
}

impl Backoff {
    fn check(&mut self) -> bool {
        if self.left == 0 {
            return true;
        }
        self.left -= 1;
        false
    }

    fn record(&mut self, skipped: bool) -> bool {
        if skipped {
            self.wait = 0;
        } else {
            self.wait = (self.wait * 2).clamp(1, 64);
        }
        self.left = self.wait;
        skipped
    }
}
