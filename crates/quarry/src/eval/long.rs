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
//! There is no pruning here: skipping windows whose scorers' block maxima
//! cannot beat the bar was tried (bounds checked best first, with a
//! backoff while checks fail) and never paid for its checks on long
//! queries — 0.93 to 1.12 of the time without it, on 16 to 4,096 words —
//! so a long query costs the same with pruning on or off.

use crate::index::DocId;
use crate::postings::TERMINATED;

use super::collect::TopK;
use super::term::TermScorer;

/// Documents per window: the accumulators stay in the first-level cache.
const WINDOW: u32 = 2048;

/// The number of scorers from which a disjunction runs here rather than
/// in block-max MaxScore (measured: see BENCHMARKS.md, "Long queries").
pub(crate) const LONG_QUERY_SCORERS: usize = 104;

/// Scores the union of `scorers` into `top`, window by window.
pub(crate) fn windowed_union(scorers: &mut [TermScorer<'_>], top: &mut TopK<'_>) {
    let mut acc = vec![0.0f64; WINDOW as usize];
    let mut touched = vec![0u64; WINDOW as usize / 64];
    let mut lo: DocId = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
    while lo != TERMINATED {
        let hi = lo.saturating_add(WINDOW - 1).min(TERMINATED - 1);
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
