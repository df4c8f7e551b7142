//! One field's postings of one query term, scored by BM25, with the upper bounds
//! (term, block and window maxima) that pruning relies on.

use crate::bm25::TermWeight;
use crate::fieldnorm::FieldLengths;
use crate::format::BLOCK_LEN;
use crate::index::DocId;
use crate::postings::{Frontier, PostingsCursor, TERMINATED};

/// One field's postings of one query term, scored by BM25.
#[derive(Clone)]
pub(crate) struct TermScorer<'a> {
    pub(crate) cursor: PostingsCursor<'a>,
    pub(crate) lengths: FieldLengths<'a>,
    pub(crate) weight: TermWeight,
    /// Index of the query term this scorer belongs to.
    pub(crate) term: usize,
    /// Upper bound of the score in any document.
    pub(crate) max_score: f64,
    /// Last document of the shallow block whose bound is cached, and the bound.
    cached_block: Option<(u32, f64)>,
    /// The same for the group of blocks.
    cached_group: Option<(u32, f64)>,
    /// Scores of every document of one decoded block, computed together
    /// (see [`TermScorer::score_in_block`]), and which block.
    block_scores: Option<Box<[f64; BLOCK_LEN]>>,
    scored_block: Option<usize>,
    pub(crate) bad_doc: bool,
}

impl<'a> TermScorer<'a> {
    pub(crate) fn new(
        mut cursor: PostingsCursor<'a>,
        lengths: FieldLengths<'a>,
        weight: TermWeight,
        term: usize,
    ) -> Self {
        let mut bad_doc = false;
        let max_score = match cursor.term_frontier() {
            Some(f) => frontier_bound(&weight, f),
            None => {
                // One document (or damage): score it.
                let (docs, freqs) = cursor.block_points();
                let mut best = 0.0f64;
                for (&d, &tf) in docs.iter().zip(freqs) {
                    match lengths.get(d) {
                        Some(dl) => best = best.max(weight.score(tf, dl)),
                        None => bad_doc = true,
                    }
                }
                best
            }
        };
        TermScorer {
            cursor,
            lengths,
            weight,
            term,
            max_score,
            cached_block: None,
            cached_group: None,
            block_scores: None,
            scored_block: None,
            bad_doc,
        }
    }

    /// The score of the current document, scoring its whole block at once
    /// on first use: for scorers that produce candidates, which visit most
    /// documents of a block, a tight loop without branches between
    /// documents is several times faster than scoring them one by one.
    #[inline]
    pub(crate) fn score_in_block(&mut self) -> f64 {
        let at = self.cursor.position().1;
        self.block_scores()[at.min(BLOCK_LEN - 1)]
    }

    /// The scores of every document of the decoded block, computed on
    /// first use (see [`TermScorer::score_in_block`]).
    #[inline]
    pub(crate) fn block_scores(&mut self) -> &[f64; BLOCK_LEN] {
        let block = self.cursor.position().0;
        if self.scored_block != Some(block) {
            let weight = self.weight;
            let lengths = self.lengths;
            let (docs, freqs) = self.cursor.block_points();
            let mut lens = [0u32; BLOCK_LEN];
            let lens = &mut lens[..docs.len()];
            self.bad_doc |= !lengths.get_many(docs, lens);
            let out = self
                .block_scores
                .get_or_insert_with(|| Box::new([0.0; BLOCK_LEN]));
            for ((out, &dl), &tf) in out.iter_mut().zip(lens.iter()).zip(freqs) {
                *out = weight.score(tf, dl);
            }
            self.scored_block = Some(block);
        }
        self.block_scores
            .get_or_insert_with(|| Box::new([0.0; BLOCK_LEN]))
    }

    /// Moves to this scorer's next document up to `hi` that passes `keep`
    /// (given the document and its score), and returns it with its score, the cursor then just past
    /// it; `None` when there is none, the cursor then past `hi`.
    ///
    /// The inner loop of a window with one essential scorer: it scans the
    /// decoded blocks' documents and scores as slices.
    #[inline]
    pub(crate) fn next_kept(
        &mut self,
        hi: DocId,
        mut keep: impl FnMut(DocId, f64) -> bool,
    ) -> Option<(DocId, f64)> {
        while self.cursor.doc() <= hi {
            self.block_scores();
            let at = self.cursor.position().1;
            let scores = self.block_scores.as_deref()?;
            let docs = self.cursor.block_docs();
            let mut i = at;
            let mut found = None;
            while i < docs.len() && docs[i] <= hi {
                if keep(docs[i], scores[i]) {
                    found = Some((docs[i], scores[i]));
                    break;
                }
                i += 1;
            }
            if found.is_some() {
                self.cursor.advance_to_index(i + 1);
                return found;
            }
            self.cursor.advance_to_index(i);
        }
        None
    }

    #[inline]
    pub(crate) fn doc(&self) -> DocId {
        self.cursor.doc()
    }

    /// The score of the current document.
    #[inline(always)]
    pub(crate) fn score(&mut self) -> f64 {
        let doc = self.cursor.doc();
        match self.lengths.get(doc) {
            Some(dl) => self.weight.score(self.cursor.freq(), dl),
            None => {
                self.bad_doc = true;
                0.0
            }
        }
    }

    /// An upper bound of the score of any document in `lo..=hi` (the
    /// cursor never moves backwards: documents before it count as absent).
    /// Every document before `lo` must have been dealt with: the cursor
    /// may be moved to `lo`.
    pub(crate) fn window_bound(&mut self, lo: DocId, hi: DocId) -> f64 {
        let from = self.cursor.doc().max(lo);
        if from > hi {
            return 0.0;
        }
        let last = self.cursor.shallow_seek(from);
        if last < from {
            return 0.0;
        }
        if last < hi {
            // Several blocks: the best of their maxima, read from the skip
            // data ahead, unless there are many.
            let weight = self.weight;
            let mut best = 0.0f64;
            let read = self.cursor.frontiers_until(hi, WINDOW_BLOCKS_MAX, |f| {
                best = best.max(frontier_bound(&weight, f));
            });
            return if read { best } else { self.max_score };
        }
        // One block covers the window. A cursor left behind (a scorer only
        // looked up so far) is moved to the window when that is cheap: the
        // block is decoded already, or spans several windows, so decoding
        // it serves them all (a sparse scorer often turns out to have
        // nothing in this one). Otherwise the block's maximum does.
        if self.cursor.doc() < lo {
            let span = u64::from(last.saturating_sub(self.cursor.shallow_block_start()));
            let cheap = self.cursor.block_last() >= lo || span >= 4 * u64::from(hi - lo + 1);
            if cheap && self.cursor.seek(lo) > hi {
                return 0.0;
            }
        }
        self.block_bound(last)
    }

    /// The bound of the block at the shallow position, whose last document
    /// is `last` (cached per block).
    pub(crate) fn block_bound(&mut self, last: DocId) -> f64 {
        if let Some((cached_last, bound)) = self.cached_block {
            if cached_last == last {
                return bound;
            }
        }
        let bound = match self.cursor.shallow_frontier() {
            Some(f) => frontier_bound(&self.weight, f),
            None => self.max_score,
        };
        self.cached_block = Some((last, bound));
        bound
    }

    /// The last document of the group of blocks (see
    /// [`crate::postings::GROUP_BLOCKS`]) holding this scorer's next
    /// document from `lo` on, and an upper bound of the score of any
    /// document from `lo` to there (the cursor moves shallowly to `lo`, as
    /// in [`TermScorer::window_bound`]). An exhausted scorer bounds
    /// everything by 0. `None` for a term without groups.
    pub(crate) fn group_bound(&mut self, lo: DocId) -> Option<(DocId, f64)> {
        let from = self.cursor.doc().max(lo);
        if from == TERMINATED {
            return Some((TERMINATED - 1, 0.0));
        }
        let last = self.cursor.shallow_seek(from);
        if last < from {
            return Some((TERMINATED - 1, 0.0));
        }
        let (end, frontier) = self.cursor.shallow_group()?;
        if let Some((cached_end, bound)) = self.cached_group {
            if cached_end == end {
                return Some((end, bound));
            }
        }
        let bound = frontier_bound(&self.weight, frontier);
        self.cached_group = Some((end, bound));
        Some((end, bound))
    }

    pub(crate) fn damaged(&self) -> bool {
        self.bad_doc || self.cursor.is_corrupt()
    }
}

/// Most blocks of one scorer whose maxima bound a window (see
/// [`TermScorer::window_bound`]); beyond, its term maximum does.
pub(crate) const WINDOW_BLOCKS_MAX: usize = 8;

/// The best score any frontier point can reach: the block's (or term's)
/// exact maximum. A malformed frontier bounds nothing.
pub(crate) fn frontier_bound(weight: &TermWeight, frontier: Frontier<'_>) -> f64 {
    let mut f = frontier;
    let mut best = 0.0f64;
    for (tf, len) in f.by_ref() {
        best = best.max(weight.score(tf, len));
    }
    if f.is_corrupt() {
        f64::INFINITY
    } else {
        best
    }
}

/// The score of a document, summed over `contrib` in scorer order (as
/// exhaustive evaluation sums), resetting `contrib` to zeros.
#[inline]
pub(crate) fn canonical_sum(contrib: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for c in contrib.iter_mut() {
        s += *c;
        *c = 0.0;
    }
    s
}
