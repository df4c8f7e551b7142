//! The sparse pass of a pruned disjunction (see [`disjunction`]): the
//! sparsest scorers' documents scored first, one scorer after another, so
//! that block-max MaxScore runs on the rest against a high bar.

use crate::postings::{PostingsCursor, TERMINATED};

use super::collect::{Bar, TopK};
use super::disjunction::{block_max_maxscore, look_up, rounding_margin, sort_by_bound};
use super::groups::Combine;
use super::term::TermScorer;

/// Most postings the sparse pass of a disjunction scores (see
/// [`disjunction`]), at least: beyond this, scoring them exhaustively costs
/// more than the bar it raises saves (measured on `mix.jsonl`, 300k
/// documents: a share of the query's postings alone let one query with a
/// 113k-document term score 5000 documents there).
pub(crate) const SPARSE_PASS_MAX: u64 = 512;

/// In a larger collection the most is one in this many documents: postings
/// grow with the collection, and a fixed number turned the pass off for
/// the same query on more documents (two-word queries on 10M documents
/// were then four to five times slower than with it).
pub(crate) const SPARSE_PASS_DOCS: u64 = 600;

/// The sparse pass scores at most 1/`SPARSE_PASS_SHARE` of a query's
/// postings (measured in instructions per query on three query sets: 1/8
/// is 2% better than 1/16 or 1/4 on each).
pub(crate) const SPARSE_PASS_SHARE: u64 = 8;

/// A pruned disjunction.
///
/// In document order, the bar stays low until documents matching several
/// scorers turn up, which may be late: most candidates of the long
/// postings are scored for nothing. And a sparse scorer's blocks span
/// much of the collection, so its block bounds are loose over every window
/// of the long postings. So the sparsest scorers (together at most
/// 1/[`SPARSE_PASS_SHARE`] of the query's postings, and [`SPARSE_PASS_MAX`]
/// or one in [`SPARSE_PASS_DOCS`] documents; in practice the title fields)
/// go first, one after another, sparsest first: every document one holds
/// (and no earlier one did) is scored exactly, looking the others up,
/// which usually finds the best documents at once. Before each, the pass
/// stops if the bar already rules out every document the rest could
/// score. The rest then run block-max MaxScore without them, against that
/// high bar; a document a sparse scorer holds is skipped there, as it is
/// already accounted for.
pub(crate) fn disjunction(scorers: &mut [TermScorer<'_>], top: &mut TopK<'_>, combine: &Combine) {
    let n = scorers.len();
    let total: u64 = scorers.iter().map(|s| u64::from(s.cursor.doc_freq())).sum();
    let docs = scorers
        .first()
        .map_or(0, |s| u64::from(s.lengths.doc_count()));
    // One word in two fields: its title and body postings hold mostly the
    // same documents, the bar rises at once and MaxScore does well alone
    // (measured: a larger pass made such queries 2-4 times slower at 10M).
    let words = scorers
        .iter()
        .map(|s| s.term)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let most = if words > 1 {
        SPARSE_PASS_MAX.max(docs / SPARSE_PASS_DOCS)
    } else {
        SPARSE_PASS_MAX
    };
    let mut by_df: Vec<usize> = (0..n).collect();
    by_df.sort_by_key(|&i| scorers[i].cursor.doc_freq());
    // The first stage: the scorers within the fixed cap, together (a
    // prefix or fuzzy expansion has hundreds). Then, past the fixed cap,
    // a few more one at a time.
    let mut stages: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0u64;
    for &i in by_df.iter().take(n.saturating_sub(1)) {
        used += u64::from(scorers[i].cursor.doc_freq());
        if used > (total / SPARSE_PASS_SHARE).min(most) || stages.len() > EXTRA_STAGES {
            break;
        }
        if used <= SPARSE_PASS_MAX {
            stages[0].push(i);
        } else {
            stages.push(vec![i]);
        }
    }
    stages.retain(|s| !s.is_empty());
    if stages.is_empty() {
        block_max_maxscore(scorers, top, &mut [], combine);
        return;
    }
    // Untouched copies: each stage walks its scorers and looks the others
    // up from the start, and the last pass runs MaxScore on the rest.
    let fresh: Vec<TermScorer<'_>> = scorers.to_vec();
    let mut sparse = vec![false; n];
    let held_by = |sparse: &[bool]| -> Vec<PostingsCursor<'_>> {
        (0..n)
            .filter(|&i| sparse[i])
            .map(|i| fresh[i].cursor.clone())
            .collect()
    };
    let mut ub = vec![0.0; n];
    let mut damaged = false;
    for (stage, drivers) in stages.iter().enumerate() {
        let mut work;
        let current: &mut [TermScorer<'_>] = if stage == 0 {
            &mut *scorers
        } else {
            if rest_ruled_out(&fresh, &sparse, top.bar(), combine) {
                break;
            }
            work = fresh.clone();
            &mut work
        };
        let mut held = held_by(&sparse);
        let stage = Stage {
            drivers,
            done: &sparse,
        };
        stage.run(current, &mut held, top, &mut ub, combine);
        damaged |= current.iter().any(TermScorer::damaged);
        for &i in drivers {
            sparse[i] = true;
        }
    }
    let mut held = held_by(&sparse);
    // The others, skipping what the sparse scorers hold.
    let mut rest: Vec<TermScorer<'_>> = (0..n)
        .filter(|&i| !sparse[i])
        .map(|i| fresh[i].clone())
        .collect();
    let rest_combine = combine.subset((0..n).filter(|&i| !sparse[i]));
    block_max_maxscore(&mut rest, top, &mut held, &rest_combine);
    damaged |= rest.iter().any(TermScorer::damaged) || held.iter().any(PostingsCursor::is_corrupt);
    if damaged {
        // Reported through the originals.
        scorers[0].bad_doc = true;
    }
}

/// Most stages after the first (each copies every scorer). One: a second
/// sparse scorer scored exactly, every document of it, costs more than
/// MaxScore spends on it once the first has raised the bar (multi-word
/// queries, instructions per query: 6-8% fewer than with three on 3M and
/// 10M documents, the same on `mix.jsonl`; with none, twice as many there).
const EXTRA_STAGES: usize = 1;

/// One stage of the sparse pass: every document of the `drivers` that no
/// scorer `done` (an earlier stage's) holds, scored exactly; the `done`
/// ones are known absent there, the others are looked up.
struct Stage<'s> {
    drivers: &'s [usize],
    done: &'s [bool],
}

impl Stage<'_> {
    /// `held`: cursors of the `done` scorers, from the start.
    fn run(
        &self,
        scorers: &mut [TermScorer<'_>],
        held: &mut [PostingsCursor<'_>],
        top: &mut TopK<'_>,
        ub: &mut [f64],
        combine: &Combine,
    ) {
        let n = scorers.len();
        let mut driver = vec![false; n];
        for &i in self.drivers {
            driver[i] = true;
        }
        let mut others: Vec<usize> = (0..n).filter(|&i| !driver[i] && !self.done[i]).collect();
        // Looked up best bound first: a candidate fails soonest.
        let max: Vec<f64> = scorers.iter().map(|s| s.max_score).collect();
        sort_by_bound(&mut others, &max);
        others.reverse();
        // Only the drivers' and the others' entries change below.
        for (u, &d) in ub.iter_mut().zip(self.done) {
            if d {
                *u = 0.0;
            }
        }
        loop {
            let doc = self
                .drivers
                .iter()
                .map(|&i| scorers[i].doc())
                .min()
                .unwrap_or(TERMINATED);
            if doc == TERMINATED {
                return;
            }
            let mut sum = 0.0;
            for &i in self.drivers {
                let c = &mut scorers[i];
                ub[i] = if c.doc() == doc {
                    let v = c.score();
                    c.cursor.advance();
                    v
                } else {
                    0.0
                };
                sum += ub[i];
            }
            if held.iter_mut().any(|c| c.seek(doc) == doc) {
                continue;
            }
            for &i in &others {
                let c = &scorers[i];
                // Tighter block bounds would have to be read from the skip
                // data for every candidate; the lookups they would save
                // cost less (measured). A scorer past the document lacks it.
                ub[i] = if c.doc() > doc { 0.0 } else { c.max_score };
                sum += ub[i];
            }
            if let Some(score) = look_up(
                scorers,
                others.iter().copied(),
                ub,
                (top.bar(), doc, sum),
                combine,
            ) {
                top.push(doc, score);
            }
        }
    }
}

/// Whether `bar` rules out every document none of the `done` scorers
/// holds: their bound, the others' maxima combined (with the rounding
/// margin), cannot enter.
fn rest_ruled_out(scorers: &[TermScorer<'_>], done: &[bool], bar: Bar, combine: &Combine) -> bool {
    let bounds: Vec<f64> = scorers
        .iter()
        .zip(done)
        .map(|(s, &d)| if d { 0.0 } else { s.max_score })
        .collect();
    let total = combine.total(&bounds);
    bar.excludes(total + rounding_margin(bounds.len()) * total, 0)
}
