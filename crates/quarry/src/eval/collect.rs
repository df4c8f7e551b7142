//! The top-k collector: the best k documents so far, and the bar a newcomer must beat.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::index::DocId;
use crate::postings::PostingsCursor;

/// A scored document, ordered so that a max-heap keeps the worst on top.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scored {
    pub(crate) score: f64,
    pub(crate) doc: DocId,
}

impl Ord for Scored {
    /// "Less" is better: higher score, then lower document id.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.doc.cmp(&other.doc))
    }
}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}

/// The best k documents seen so far, leaving out the documents of an
/// optional exclusion.
pub(crate) struct TopK<'a> {
    k: usize,
    heap: BinaryHeap<Scored>,
    exclusion: Option<Exclusion<'a>>,
}

impl<'a> TopK<'a> {
    pub(crate) fn new(k: usize) -> TopK<'a> {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
            exclusion: None,
        }
    }

    /// The same collector, refusing every document `exclusion` holds.
    pub(crate) fn excluding(mut self, exclusion: Option<Exclusion<'a>>) -> TopK<'a> {
        self.exclusion = exclusion;
        self
    }

    /// Offers a document. An excluded document never enters, so the bar
    /// only rises with admissible documents (pruning stays exact).
    #[inline]
    pub(crate) fn push(&mut self, doc: DocId, score: f64) {
        let s = Scored { score, doc };
        if self.heap.len() < self.k {
            if !self.excluded(doc) {
                self.heap.push(s);
            }
        } else if self.heap.peek().is_some_and(|worst| s < *worst) && !self.excluded(doc) {
            if let Some(mut worst) = self.heap.peek_mut() {
                *worst = s;
            }
        }
    }

    /// How many documents it keeps.
    pub(crate) fn capacity(&self) -> usize {
        self.k
    }

    /// False when the exclusion holds `doc` (in any order of documents).
    pub(crate) fn admits(&mut self, doc: DocId) -> bool {
        !self.excluded(doc)
    }

    #[inline]
    fn excluded(&mut self, doc: DocId) -> bool {
        self.exclusion.as_mut().is_some_and(|x| x.holds(doc))
    }

    /// True when the exclusion's postings turned out malformed.
    pub(crate) fn exclusion_damaged(&self) -> bool {
        self.exclusion.as_ref().is_some_and(Exclusion::damaged)
    }

    /// What a new document must beat to enter. Minus infinity until k
    /// documents are kept.
    #[inline]
    pub(crate) fn bar(&self) -> Bar {
        match self.heap.peek() {
            Some(worst) if self.heap.len() == self.k => Bar {
                score: worst.score,
                doc: worst.doc,
            },
            _ => Bar {
                score: f64::NEG_INFINITY,
                doc: 0,
            },
        }
    }

    pub(crate) fn into_sorted(self) -> Vec<Scored> {
        self.heap.into_sorted_vec()
    }
}

/// Documents to leave out: those of any of a set of cursors. Candidates
/// come in increasing order within a pass; a smaller one starts a new pass
/// from fresh copies of the cursors (cursors only move forward).
pub(crate) struct Exclusion<'a> {
    fresh: Vec<PostingsCursor<'a>>,
    live: Vec<PostingsCursor<'a>>,
    last: DocId,
}

impl<'a> Exclusion<'a> {
    pub(crate) fn new(cursors: Vec<PostingsCursor<'a>>) -> Option<Exclusion<'a>> {
        (!cursors.is_empty()).then(|| Exclusion {
            live: cursors.clone(),
            fresh: cursors,
            last: 0,
        })
    }

    /// True when some cursor holds `doc`.
    pub(crate) fn holds(&mut self, doc: DocId) -> bool {
        if doc < self.last {
            self.live.clone_from(&self.fresh);
        }
        self.last = doc;
        let mut found = false;
        for c in &mut self.live {
            found |= c.seek(doc) == doc;
        }
        found
    }

    fn damaged(&self) -> bool {
        self.live.iter().any(PostingsCursor::is_corrupt)
    }
}

/// The worst of the top k: the score and document a newcomer must beat.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bar {
    pub(crate) score: f64,
    pub(crate) doc: DocId,
}

impl Bar {
    /// The bar of a top k not yet full: anything enters.
    pub(crate) fn open() -> Bar {
        Bar {
            score: f64::NEG_INFINITY,
            doc: 0,
        }
    }

    /// True when no document `>= from` whose score is at most `bound` can
    /// enter the top k: it scores below the bar, or ties it and comes
    /// after the bar's document (ties go to the earlier document).
    ///
    /// Bounds are per-scorer maxima summed in scorer order, exactly as
    /// scores are summed (absent scorers adding 0). Each score is at most
    /// its bound (the same rounded formula, monotone in frequency and
    /// length: see [`TermWeight::score`]) and rounded addition is
    /// monotone, so the bound holds in floating point too and pruning is
    /// exact, ties included.
    #[inline]
    pub(crate) fn excludes(&self, bound: f64, from: DocId) -> bool {
        bound < self.score || (bound == self.score && from > self.doc)
    }

    /// True until the top k is full.
    pub(crate) fn is_open(&self) -> bool {
        self.score == f64::NEG_INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn top_k_keeps_best_and_breaks_ties_by_doc() {
        let mut top = TopK::new(3);
        for (doc, score) in [(5, 1.0), (1, 2.0), (9, 2.0), (3, 0.5), (2, 2.0), (7, 3.0)] {
            top.push(doc, score);
        }
        let got: Vec<(u32, f64)> = top.into_sorted().iter().map(|s| (s.doc, s.score)).collect();
        assert_eq!(got, vec![(7, 3.0), (1, 2.0), (2, 2.0)]);
    }
}
