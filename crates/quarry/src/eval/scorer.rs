//! The composable scorer: a document iterator that scores its current
//! document and bounds every score it can give.
//!
//! Every node of an analyzed query becomes a [`Scorer`]: a (term, field)
//! leaf ([`TermLeaf`]), a phrase, or a combination of scorers
//! ([`super::combine`]). A scorer stands on its current document (or
//! [`TERMINATED`]), moves only forward, and is always on a document it
//! matches.

use crate::bm25::Bm25;
use crate::index::DocId;
use crate::postings::TERMINATED;
use crate::schema::Field;

use super::explain::{Bm25Explanation, Explanation};
use super::term::TermScorer;

/// A document iterator with scores and score bounds.
pub(crate) trait Scorer {
    /// The current document, [`TERMINATED`] when exhausted.
    fn doc(&self) -> DocId;
    /// Moves to the next matching document and returns it.
    fn advance(&mut self) -> DocId;
    /// Moves to the first matching document `>= target` (never backwards)
    /// and returns it.
    fn seek(&mut self, target: DocId) -> DocId;
    /// The score of the current document.
    fn score(&mut self) -> f64;
    /// An upper bound of every score this scorer gives (computed with the
    /// same rounded operations as the scores, so it holds in floating
    /// point).
    fn max_score(&self) -> f64;
    /// The k-th best score of a top-level sum this scorer is a child of
    /// has risen to `bar`: from now on, a document whose total (this
    /// scorer's score with its siblings' bounds) cannot reach it may be
    /// reported absent; scores of the documents reported stay exact. By
    /// default, ignored.
    fn raise_bar(&mut self, bar: f64) {
        let _ = bar;
    }
    /// A lower bound of the k-th best score of a top-level sum this
    /// scorer is a child of, found cheaply before collecting (0: none):
    /// k documents `admits` lets through that score at least that much
    /// here alone (a child's score never exceeds its sum's). By default, 0.
    fn bar_seed(&mut self, k: usize, admits: &mut dyn FnMut(DocId) -> bool) -> f64 {
        let _ = (k, admits);
        0.0
    }
    /// About how many documents it visits: leads conjunctions.
    fn cost(&self) -> u64;
    /// True when damaged index bytes were met.
    fn damaged(&self) -> bool;
    /// How the current document's score is made.
    fn explain(&mut self) -> Explanation;
    /// An upper bound of the scores of documents `lo..=hi`, which lie at
    /// or after the current document's predecessor: every document before
    /// `lo` has been dealt with (leaves may move to `lo`; a combination
    /// that keeps its own current document, such as an exclusion, restores
    /// it). By default: 0 when the current document lies past `hi`, else
    /// [`Scorer::max_score`].
    fn window_bound(&mut self, lo: DocId, hi: DocId) -> f64 {
        let _ = lo;
        if self.doc() > hi {
            0.0
        } else {
            self.max_score()
        }
    }
    /// Where a window starting at `lo` should end so that its bound is
    /// tight: the end of the nearest block of a leaf below (at least `lo`).
    fn block_end(&mut self, lo: DocId) -> DocId {
        let _ = lo;
        TERMINATED - 1
    }
}

/// Who a leaf is, for explanations.
#[derive(Clone, Debug)]
pub(crate) struct LeafInfo {
    pub(crate) term: String,
    pub(crate) field: Field,
    pub(crate) idf: f64,
    pub(crate) doc_freq: u32,
    pub(crate) doc_count: u32,
    pub(crate) avg_len: f64,
    pub(crate) params: Bm25,
    pub(crate) boost: f64,
}

/// One (term, field) posting list as a [`Scorer`].
pub(crate) struct TermLeaf<'a> {
    pub(crate) inner: TermScorer<'a>,
    /// For explanations (built only when explaining).
    pub(crate) info: Option<LeafInfo>,
}

impl Scorer for TermLeaf<'_> {
    #[inline]
    fn doc(&self) -> DocId {
        self.inner.cursor.doc()
    }
    #[inline]
    fn advance(&mut self) -> DocId {
        self.inner.cursor.advance()
    }
    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.cursor.seek(target)
    }
    #[inline]
    fn score(&mut self) -> f64 {
        self.inner.score()
    }
    fn max_score(&self) -> f64 {
        self.inner.max_score
    }
    fn cost(&self) -> u64 {
        u64::from(self.inner.cursor.doc_freq())
    }
    fn damaged(&self) -> bool {
        self.inner.damaged()
    }
    fn window_bound(&mut self, lo: DocId, hi: DocId) -> f64 {
        self.inner.window_bound(lo, hi)
    }
    fn block_end(&mut self, lo: DocId) -> DocId {
        let from = self.doc().max(lo);
        if from == TERMINATED {
            return TERMINATED - 1;
        }
        let last = self.inner.cursor.shallow_seek(from);
        if last >= from {
            last
        } else {
            TERMINATED - 1
        }
    }
    fn explain(&mut self) -> Explanation {
        let tf = self.inner.cursor.freq();
        let len = self.inner.lengths.get(self.doc()).unwrap_or(0);
        let score = self.score();
        LeafInfo::explain(self.info.as_ref(), score, f64::from(tf), len, "")
    }
}

impl LeafInfo {
    /// The explanation of a leaf scoring `score` with frequency `tf` in a
    /// field of `len` tokens; `suffix` follows the term (a phrase's slop).
    pub(crate) fn explain(
        info: Option<&LeafInfo>,
        score: f64,
        tf: f64,
        len: u32,
        suffix: &str,
    ) -> Explanation {
        let Some(i) = info else {
            return Explanation::node(score, "(not explained)", Vec::new());
        };
        let term = if i.term.contains(' ') {
            format!("\"{}\"{suffix}", i.term)
        } else {
            format!("{}{suffix}", i.term)
        };
        Explanation {
            score,
            description: format!("{}:{term}", i.field.name()),
            bm25: Some(Bm25Explanation {
                term: i.term.clone(),
                field: i.field,
                idf: i.idf,
                doc_freq: i.doc_freq,
                doc_count: i.doc_count,
                tf,
                field_len: len,
                avg_field_len: i.avg_len,
                k1: i.params.k1,
                b: i.params.b,
                boost: i.boost,
            }),
            children: Vec::new(),
        }
    }
}

/// A boxed scorer, as the combinations hold them.
pub(crate) type BoxScorer<'a> = Box<dyn Scorer + 'a>;
