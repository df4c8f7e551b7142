//! Flat conjunctions of term clauses, led by the rarest, with block-max windows.

use crate::index::DocId;
use crate::postings::TERMINATED;

use super::collect::TopK;
use super::disjunction::nearest_block_end;
use super::term::{canonical_sum, TermScorer};

/// Documents holding every term; with `top`, scores them into it (and,
/// with `pruning`, skips windows whose block maxima cannot beat the
/// threshold), without it only counts them.
///
/// `terms` is the number of query terms; scorers of the same term (one per
/// field) form one clause, which a document satisfies in any field.
pub(crate) fn conjunction(
    scorers: &mut [TermScorer<'_>],
    terms: usize,
    mut top: Option<&mut TopK<'_>>,
    pruning: bool,
) -> u64 {
    // Clauses, rarest first: the scorers of each term.
    let mut clauses: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); terms];
    for (i, s) in scorers.iter().enumerate() {
        clauses[s.term].0 += u64::from(s.cursor.doc_freq());
        clauses[s.term].1.push(i);
    }
    if clauses.iter().any(|c| c.1.is_empty()) {
        return 0;
    }
    clauses.sort_by_key(|c| c.0);
    let clauses: Vec<Vec<usize>> = clauses.into_iter().map(|c| c.1).collect();
    let clause_doc = |scorers: &[TermScorer<'_>], c: &[usize]| {
        c.iter()
            .map(|&i| scorers[i].doc())
            .min()
            .unwrap_or(TERMINATED)
    };
    let clause_seek = |scorers: &mut [TermScorer<'_>], c: &[usize], target: DocId| {
        let mut d = TERMINATED;
        for &i in c {
            d = d.min(scorers[i].cursor.seek(target));
        }
        d
    };
    let mut contrib = vec![0.0; scorers.len()];
    let mut count = 0u64;
    // The window whose bound was last computed: (last doc, bound).
    let mut window: Option<(DocId, f64)> = None;
    let mut candidate = clause_doc(scorers, &clauses[0]);
    'candidates: while candidate != TERMINATED {
        if pruning {
            if let Some(top) = top.as_deref() {
                let bar = top.bar();
                if !bar.is_open() {
                    let (hi, bound) = match window {
                        Some((hi, bound)) if candidate <= hi => (hi, bound),
                        _ => {
                            let w = conjunction_window(scorers, &clauses[0], candidate);
                            window = Some(w);
                            w
                        }
                    };
                    if bar.excludes(bound, candidate) {
                        if hi == TERMINATED - 1 {
                            break;
                        }
                        candidate = clause_seek(scorers, &clauses[0], hi + 1);
                        continue 'candidates;
                    }
                }
            }
        }
        for c in &clauses[1..] {
            let d = clause_seek(scorers, c, candidate);
            if d > candidate {
                candidate = clause_seek(scorers, &clauses[0], d);
                continue 'candidates;
            }
        }
        count += 1;
        if let Some(top) = top.as_deref_mut() {
            for (i, s) in scorers.iter_mut().enumerate() {
                if s.doc() == candidate {
                    contrib[i] = s.score();
                }
            }
            top.push(candidate, canonical_sum(&mut contrib));
        }
        candidate = clause_seek(scorers, &clauses[0], candidate + 1);
    }
    count
}

/// The window from `lo` to the end of the lead clause's current block, and
/// an upper bound of any document's score in it: every scorer's bound
/// over the window (its block maximum when one block covers the window,
/// its term maximum otherwise), summed in scorer order like scores.
///
/// Windows follow the lead (rarest) clause, as in Lucene's block-max
/// conjunction: a rare lead makes few, wide windows, so checking them
/// costs little; a common lead makes narrow ones with tight bounds.
pub(crate) fn conjunction_window(
    scorers: &mut [TermScorer<'_>],
    lead: &[usize],
    lo: DocId,
) -> (DocId, f64) {
    let hi = nearest_block_end(scorers, lead, lo);
    let mut bound = 0.0;
    for s in scorers.iter_mut() {
        bound += s.window_bound(lo, hi);
    }
    (hi, bound)
}
