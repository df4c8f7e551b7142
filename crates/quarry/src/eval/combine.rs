//! Combinations of scorers: union (sum, or max for expansions),
//! conjunction, required plus optional, exclusion.
//!
//! Each sums (or takes the max of) its children's scores in child order,
//! whatever order it moves them in, so a document's score does not depend
//! on how it was reached: pruned and exhaustive evaluation agree bit for bit.

use crate::index::DocId;
use crate::postings::TERMINATED;

use super::explain::Explanation;
use super::scorer::{BoxScorer, Scorer};
use super::windowed::Fold;

/// The smallest current document of `children`.
fn min_doc(children: &[BoxScorer<'_>]) -> DocId {
    children.iter().map(|c| c.doc()).min().unwrap_or(TERMINATED)
}

/// The nearest block end, from `lo` on, among the children not exhausted
/// (at least `lo`).
fn nearest_block_end(children: &mut [BoxScorer<'_>], lo: DocId) -> DocId {
    let mut end = TERMINATED - 1;
    for c in children {
        if c.doc() != TERMINATED {
            end = end.min(c.block_end(lo));
        }
    }
    end.max(lo)
}

/// Documents matching any child; score: the sum of the matching
/// children's, in child order, or (for an expansion) the best of them, so
/// that a document holding several of its words scores as its best one.
pub(crate) struct Union<'a> {
    pub(crate) children: Vec<BoxScorer<'a>>,
    doc: DocId,
    fold: Fold,
    label: &'static str,
}

impl<'a> Union<'a> {
    /// Scores summed.
    pub(crate) fn new(children: Vec<BoxScorer<'a>>, label: &'static str) -> Union<'a> {
        Union::folding(children, Fold::Sum, label)
    }

    /// Scored by the best child.
    pub(crate) fn max(children: Vec<BoxScorer<'a>>) -> Union<'a> {
        Union::folding(children, Fold::Max, "max of (best expansion):")
    }

    fn folding(children: Vec<BoxScorer<'a>>, fold: Fold, label: &'static str) -> Union<'a> {
        let doc = min_doc(&children);
        Union {
            children,
            doc,
            fold,
            label,
        }
    }

    #[inline]
    fn add(&self, acc: f64, part: f64) -> f64 {
        match self.fold {
            Fold::Sum => acc + part,
            Fold::Max => acc.max(part),
        }
    }
}

impl Scorer for Union<'_> {
    fn doc(&self) -> DocId {
        self.doc
    }
    fn advance(&mut self) -> DocId {
        let cur = self.doc;
        for c in &mut self.children {
            if c.doc() == cur {
                c.advance();
            }
        }
        self.doc = min_doc(&self.children);
        self.doc
    }
    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for c in &mut self.children {
            if c.doc() < target {
                c.seek(target);
            }
        }
        self.doc = min_doc(&self.children);
        self.doc
    }
    fn score(&mut self) -> f64 {
        let mut s = 0.0;
        for i in 0..self.children.len() {
            if self.children[i].doc() == self.doc {
                let part = self.children[i].score();
                s = self.add(s, part);
            }
        }
        s
    }
    fn max_score(&self) -> f64 {
        self.children
            .iter()
            .fold(0.0, |acc, c| self.add(acc, c.max_score()))
    }
    fn cost(&self) -> u64 {
        self.children.iter().map(|c| c.cost()).sum()
    }
    fn damaged(&self) -> bool {
        self.children.iter().any(|c| c.damaged())
    }
    fn window_bound(&mut self, lo: DocId, hi: DocId) -> f64 {
        if self.doc > hi {
            return 0.0;
        }
        let mut b = 0.0;
        for i in 0..self.children.len() {
            let part = self.children[i].window_bound(lo, hi);
            b = self.add(b, part);
        }
        b
    }
    fn block_end(&mut self, lo: DocId) -> DocId {
        nearest_block_end(&mut self.children, lo)
    }
    fn explain(&mut self) -> Explanation {
        let doc = self.doc;
        let parts: Vec<Explanation> = self
            .children
            .iter_mut()
            .filter(|c| c.doc() == doc)
            .map(|c| c.explain())
            .collect();
        let score = self.score();
        Explanation::node(score, self.label, parts)
    }
}

/// Documents matching every child; score: the sum of the children's, in
/// child order. The cheapest child leads.
pub(crate) struct Conjunction<'a> {
    children: Vec<BoxScorer<'a>>,
    /// Child indexes, cheapest first.
    order: Vec<usize>,
    doc: DocId,
}

impl<'a> Conjunction<'a> {
    pub(crate) fn new(children: Vec<BoxScorer<'a>>) -> Conjunction<'a> {
        let mut order: Vec<usize> = (0..children.len()).collect();
        order.sort_by_key(|&i| children[i].cost());
        let mut c = Conjunction {
            doc: children.first().map_or(TERMINATED, |c| c.doc()),
            children,
            order,
        };
        let start = c.doc;
        c.doc = c.settle(start);
        c
    }

    /// The first document `>= target` every child holds.
    fn settle(&mut self, target: DocId) -> DocId {
        let Some(&lead) = self.order.first() else {
            return TERMINATED;
        };
        let mut candidate = self.children[lead].seek(target);
        'candidates: while candidate != TERMINATED {
            for &i in &self.order[1..] {
                let d = self.children[i].seek(candidate);
                if d > candidate {
                    candidate = self.children[lead].seek(d);
                    continue 'candidates;
                }
            }
            break;
        }
        candidate
    }
}

impl Scorer for Conjunction<'_> {
    fn doc(&self) -> DocId {
        self.doc
    }
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.settle(self.doc + 1);
        }
        self.doc
    }
    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = self.settle(target);
        }
        self.doc
    }
    fn score(&mut self) -> f64 {
        let mut s = 0.0;
        for c in &mut self.children {
            s += c.score();
        }
        s
    }
    fn max_score(&self) -> f64 {
        self.children.iter().map(|c| c.max_score()).sum()
    }
    fn cost(&self) -> u64 {
        self.order.first().map_or(0, |&i| self.children[i].cost())
    }
    fn damaged(&self) -> bool {
        self.children.iter().any(|c| c.damaged())
    }
    fn window_bound(&mut self, lo: DocId, hi: DocId) -> f64 {
        if self.doc > hi {
            return 0.0;
        }
        let mut b = 0.0;
        for c in &mut self.children {
            b += c.window_bound(lo, hi);
        }
        b
    }
    fn block_end(&mut self, lo: DocId) -> DocId {
        nearest_block_end(&mut self.children, lo)
    }
    fn explain(&mut self) -> Explanation {
        let parts: Vec<Explanation> = self.children.iter_mut().map(|c| c.explain()).collect();
        let score = self.score();
        Explanation::node(score, "sum of (all required):", parts)
    }
}

/// The documents of `required`; score: its score plus, where `optional`
/// matches too, the optional score.
pub(crate) struct ReqOpt<'a> {
    pub(crate) required: BoxScorer<'a>,
    pub(crate) optional: BoxScorer<'a>,
}

impl ReqOpt<'_> {
    /// The optional part's score at the current document, 0 where absent.
    pub(crate) fn optional_score(&mut self) -> f64 {
        let doc = self.required.doc();
        if self.optional.seek(doc) == doc {
            self.optional.score()
        } else {
            0.0
        }
    }
}

impl Scorer for ReqOpt<'_> {
    fn doc(&self) -> DocId {
        self.required.doc()
    }
    fn advance(&mut self) -> DocId {
        self.required.advance()
    }
    fn seek(&mut self, target: DocId) -> DocId {
        self.required.seek(target)
    }
    fn score(&mut self) -> f64 {
        let r = self.required.score();
        r + self.optional_score()
    }
    fn max_score(&self) -> f64 {
        self.required.max_score() + self.optional.max_score()
    }
    fn cost(&self) -> u64 {
        self.required.cost()
    }
    fn damaged(&self) -> bool {
        self.required.damaged() || self.optional.damaged()
    }
    fn window_bound(&mut self, lo: DocId, hi: DocId) -> f64 {
        if self.required.doc() > hi {
            return 0.0;
        }
        self.required.window_bound(lo, hi) + self.optional.window_bound(lo, hi)
    }
    fn block_end(&mut self, lo: DocId) -> DocId {
        self.required.block_end(lo)
    }
    fn explain(&mut self) -> Explanation {
        let mut parts = vec![self.required.explain()];
        let doc = self.required.doc();
        if self.optional.seek(doc) == doc {
            parts.push(self.optional.explain());
        }
        let score = self.score();
        Explanation::node(score, "sum of (required, then optional):", parts)
    }
}

/// The documents of `inner` that `excluded` does not hold; `inner`'s scores.
pub(crate) struct Exclude<'a> {
    inner: BoxScorer<'a>,
    excluded: BoxScorer<'a>,
}

impl<'a> Exclude<'a> {
    pub(crate) fn new(inner: BoxScorer<'a>, excluded: BoxScorer<'a>) -> Exclude<'a> {
        let mut e = Exclude { inner, excluded };
        e.skip_excluded();
        e
    }

    fn skip_excluded(&mut self) -> DocId {
        let mut doc = self.inner.doc();
        while doc != TERMINATED && self.excluded.seek(doc) == doc {
            doc = self.inner.advance();
        }
        doc
    }
}

impl Scorer for Exclude<'_> {
    fn doc(&self) -> DocId {
        self.inner.doc()
    }
    fn advance(&mut self) -> DocId {
        self.inner.advance();
        self.skip_excluded()
    }
    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target);
        self.skip_excluded()
    }
    fn score(&mut self) -> f64 {
        self.inner.score()
    }
    fn max_score(&self) -> f64 {
        self.inner.max_score()
    }
    fn cost(&self) -> u64 {
        self.inner.cost()
    }
    fn damaged(&self) -> bool {
        self.inner.damaged() || self.excluded.damaged()
    }
    fn window_bound(&mut self, lo: DocId, hi: DocId) -> f64 {
        let bound = self.inner.window_bound(lo, hi);
        // Bounding may move the inner scorer's leaves (onto an excluded
        // document): stand on an admissible one again.
        self.skip_excluded();
        bound
    }
    fn block_end(&mut self, lo: DocId) -> DocId {
        self.inner.block_end(lo)
    }
    fn explain(&mut self) -> Explanation {
        self.inner.explain()
    }
}
