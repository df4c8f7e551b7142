//! Unions and maxima of many children (an expansion's hundreds of terms, a
//! pasted paragraph inside a group), evaluated a window of documents at a
//! time.
//!
//! Finding the next document of n children costs O(n) per document when
//! done child by child; here each window of [`WINDOW`] documents gathers
//! every child's postings into per-document slots, child after child, and
//! then steps through the filled slots. A slot's sum is added in child
//! order, as [`super::combine::Union`] adds, and a max does not depend on
//! order, so the scores are bit-identical to the plain combinations'.
//!
//! Filling a window pays for every posting in it, which is right when the
//! combination is walked document after document, but not when it only
//! answers sparse lookups (a non-essential child of MaxScore probed for
//! another word's rare candidates): then a seek far ahead moves each child
//! to the target and combines the children standing there ("point mode").
//! Which of the two a far seek takes follows a running average of the
//! distance between seeks, against the cost of a window (`point.rs`).
//!
//! An expansion's max that is a child of the top-level sum also knows its
//! siblings' window bounds, and once the k-th best score is known it
//! passes over what cannot reach it (`gather.rs`).

use crate::index::DocId;
use crate::postings::TERMINATED;

mod gather;
mod point;

use gather::Rest;

use super::explain::Explanation;
use super::scorer::{BoxScorer, Scorer};
use super::term::TermScorer;

/// Documents per window.
const WINDOW: u32 = 4096;

/// Documents in an expansion's first window (see [`Windowed::span`]).
const FIRST_SPAN: u32 = 256;

/// From how many children a union or max is windowed.
pub(crate) const WINDOWED_FROM: usize = 8;

/// What moving one child to a far target costs, in postings gathered into
/// a window (a skip and a block decode against a score and a slot write).
const SEEK_COST: f64 = 4.0;

/// How the children's scores combine.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fold {
    /// Sum, in child order.
    Sum,
    /// Best child.
    Max,
}

/// What a windowed combination combines.
pub(crate) enum Children<'a> {
    /// Any scorers.
    Boxed(Vec<BoxScorer<'a>>),
    /// Index terms, each its (term, field) scorers in field order (an
    /// expansion's terms): gathered in tight loops over decoded blocks,
    /// each term's fields summed as a union of fields sums them.
    Terms(Vec<Vec<TermScorer<'a>>>),
}

impl Children<'_> {
    fn min_doc(&self) -> DocId {
        match self {
            Children::Boxed(c) => c.iter().map(|c| c.doc()).min(),
            Children::Terms(t) => t.iter().flatten().map(|s| s.doc()).min(),
        }
        .unwrap_or(TERMINATED)
    }
}

pub(crate) struct Windowed<'a> {
    children: Children<'a>,
    combine: Fold,
    /// The window: documents `lo..lo + span`. An expansion's windows
    /// start small and double up to [`WINDOW`]: before the bar is known
    /// every posting is gathered, so the first ones should be few.
    span: u32,
    filled: bool,
    /// The window: documents `lo..lo + span`.
    lo: DocId,
    acc: Vec<f64>,
    bits: Vec<u64>,
    /// The current document (`TERMINATED` when done) and its slot.
    doc: DocId,
    max: f64,
    cost: u64,
    /// For `Children::Terms`: one term's sums in the window, and the
    /// slots it touched.
    term_acc: Vec<f64>,
    term_bits: Vec<u64>,
    touched: Vec<u32>,
    /// Per field of a term, its scores and presence in the window (for
    /// [`Windowed::gather_probing`]).
    field_acc: Vec<Vec<f64>>,
    field_bits: Vec<Vec<u64>>,
    /// The siblings of a top-level sum (see [`Windowed::with_rest`]) and
    /// the bar raised (see [`Scorer::raise_bar`]).
    rest: Option<Rest<'a>>,
    bar: f64,
    /// Point mode: the current document is the least of the children's,
    /// the slots are empty, and its score is combined on demand (cached).
    point: bool,
    point_score: Option<f64>,
    /// The last seek's target and the running mean distance between
    /// seeks; from `point_gap` apart, a far seek takes point mode.
    last_target: DocId,
    mean_gap: f64,
    point_gap: f64,
}

impl<'a> Windowed<'a> {
    /// The `combine` of `children`, in an index of `docs` documents.
    pub(crate) fn new(children: Vec<BoxScorer<'a>>, combine: Fold, docs: u32) -> Windowed<'a> {
        let max = match combine {
            Fold::Sum => children.iter().map(|c| c.max_score()).sum(),
            Fold::Max => children.iter().map(|c| c.max_score()).fold(0.0, f64::max),
        };
        let cost = children.iter().map(|c| c.cost()).sum();
        Windowed::start(Children::Boxed(children), combine, max, cost, docs)
    }

    /// The best of `terms` (each its field scorers, in field order), in an
    /// index of `docs` documents.
    pub(crate) fn max_of_terms(terms: Vec<Vec<TermScorer<'a>>>, docs: u32) -> Windowed<'a> {
        let max = terms
            .iter()
            .map(|fields| fields.iter().map(|s| s.max_score).sum::<f64>())
            .fold(0.0, f64::max);
        let cost = terms
            .iter()
            .flatten()
            .map(|s| u64::from(s.cursor.doc_freq()))
            .sum();
        Windowed::start(Children::Terms(terms), Fold::Max, max, cost, docs)
    }

    fn start(
        children: Children<'a>,
        combine: Fold,
        max: f64,
        cost: u64,
        docs: u32,
    ) -> Windowed<'a> {
        let first = children.min_doc();
        let span = match children {
            Children::Terms(_) => FIRST_SPAN,
            Children::Boxed(_) => WINDOW,
        };
        let cursors = match &children {
            Children::Boxed(c) => c.len(),
            Children::Terms(t) => t.iter().map(Vec::len).sum(),
        };
        // Point mode pays `cursors * SEEK_COST` per seek, a window
        // `density * WINDOW`: point mode wins when seeks are further apart
        // than `cursors * SEEK_COST / density` documents.
        let density = cost as f64 / f64::from(docs.max(1));
        let point_gap = cursors as f64 * SEEK_COST / density.max(f64::MIN_POSITIVE);
        let mut w = Windowed {
            children,
            combine,
            lo: 0,
            span,
            filled: false,
            acc: vec![0.0; WINDOW as usize],
            bits: vec![0; WINDOW as usize / 64],
            doc: 0,
            max,
            cost,
            term_acc: Vec::new(),
            term_bits: Vec::new(),
            touched: Vec::new(),
            field_acc: Vec::new(),
            field_bits: Vec::new(),
            rest: None,
            bar: 0.0,
            point: false,
            point_score: None,
            last_target: 0,
            mean_gap: 0.0,
            point_gap,
        };
        w.fill_from(first);
        w
    }

    /// Puts `s` into slot `i`, combining with what is there.
    #[inline]
    fn put(&mut self, i: usize, s: f64) {
        let slot = &mut self.acc[i];
        let word = &mut self.bits[i / 64];
        if *word & (1 << (i % 64)) == 0 {
            *slot = s;
            *word |= 1 << (i % 64);
        } else if self.combine == Fold::Sum {
            *slot += s;
        } else {
            *slot = slot.max(s);
        }
    }

    /// Fills the window starting at `from` (moving on while windows are
    /// empty) and stands on its first document.
    fn fill_from(&mut self, mut from: DocId) {
        loop {
            if from == TERMINATED {
                self.doc = TERMINATED;
                return;
            }
            self.lo = from;
            if self.filled {
                self.span = self.span.saturating_mul(2).min(WINDOW);
            }
            self.filled = true;
            let hi = from.saturating_add(self.span - 1).min(TERMINATED - 1);
            let (any, next) = match &mut self.children {
                Children::Terms(_) => self.gather_terms(from, hi),
                Children::Boxed(children) => {
                    let mut next = TERMINATED;
                    let mut any = false;
                    for c in children.iter_mut() {
                        let mut d = c.doc();
                        if d < from {
                            d = c.seek(from);
                        }
                        while d <= hi {
                            let i = (d - from) as usize;
                            let s = c.score();
                            let slot = &mut self.acc[i];
                            let word = &mut self.bits[i / 64];
                            if *word & (1 << (i % 64)) == 0 {
                                *slot = s;
                                *word |= 1 << (i % 64);
                            } else if self.combine == Fold::Sum {
                                *slot += s;
                            } else {
                                *slot = slot.max(s);
                            }
                            any = true;
                            d = c.advance();
                        }
                        next = next.min(d);
                    }
                    (any, next)
                }
            };
            if any {
                self.doc = self.lo;
                self.settle();
                return;
            }
            from = next.max(hi.saturating_add(1));
        }
    }

    /// From the current document, moves to the first filled slot, or to
    /// the next window.
    fn settle(&mut self) {
        let mut i = (self.doc - self.lo) as usize;
        while i < WINDOW as usize {
            let word = self.bits[i / 64] >> (i % 64);
            if word != 0 {
                i += word.trailing_zeros() as usize;
                self.doc = self.lo + i as DocId;
                return;
            }
            i = (i / 64 + 1) * 64;
        }
        // Children passed over under a floor may still stand in the window.
        let next = self
            .children
            .min_doc()
            .max(self.lo.saturating_add(self.span));
        self.fill_from(next);
    }

    fn clear_slot(&mut self) {
        let i = (self.doc - self.lo) as usize;
        self.bits[i / 64] &= !(1 << (i % 64));
    }
}

impl Scorer for Windowed<'_> {
    fn doc(&self) -> DocId {
        self.doc
    }
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        if self.point {
            self.point = false;
            self.fill_from(self.doc + 1);
            return self.doc;
        }
        self.clear_slot();
        self.settle();
        self.doc
    }
    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let gap = f64::from(target - self.last_target.min(target));
        self.last_target = target;
        self.mean_gap = 0.75 * self.mean_gap + 0.25 * gap;
        let in_window = !self.point && target - self.lo < self.span;
        if !in_window && self.mean_gap >= self.point_gap {
            self.seek_point(target);
        } else if self.point {
            self.point = false;
            self.fill_from(target);
        } else if in_window {
            // Drop the slots passed over, then find the next filled one.
            for i in (self.doc - self.lo) as usize..(target - self.lo) as usize {
                self.bits[i / 64] &= !(1 << (i % 64));
            }
            self.doc = target;
            self.settle();
        } else {
            self.bits.iter_mut().for_each(|w| *w = 0);
            self.fill_from(target);
        }
        self.doc
    }
    fn score(&mut self) -> f64 {
        if self.point {
            return self.point_score();
        }
        self.acc[(self.doc - self.lo) as usize]
    }
    fn max_score(&self) -> f64 {
        self.max
    }
    fn raise_bar(&mut self, bar: f64) {
        self.bar = self.bar.max(bar);
    }
    fn bar_seed(&mut self, k: usize, admits: &mut dyn FnMut(DocId) -> bool) -> f64 {
        self.seed(k, admits)
    }
    fn cost(&self) -> u64 {
        self.cost
    }
    fn damaged(&self) -> bool {
        match &self.children {
            Children::Boxed(c) => c.iter().any(|c| c.damaged()),
            Children::Terms(t) => t.iter().flatten().any(TermScorer::damaged),
        }
    }
    fn explain(&mut self) -> Explanation {
        // Explanations are built from the plain combinations (see
        // `Planner::explaining`); this is only a summary.
        let score = self.score();
        let what = match self.combine {
            Fold::Sum => "sum of (many):",
            Fold::Max => "max of (best expansion):",
        };
        Explanation::node(score, what, Vec::new())
    }
}
