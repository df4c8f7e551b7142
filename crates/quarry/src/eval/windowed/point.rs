//! Point mode: a windowed combination asked for sparse documents moves
//! each child to the target and combines the children standing there,
//! instead of filling a window.

use crate::index::DocId;
use crate::postings::TERMINATED;

use super::{Children, Fold, Windowed};

impl Windowed<'_> {
    /// Point mode: moves every child to `target` or past it and stands on
    /// the least document.
    pub(super) fn seek_point(&mut self, target: DocId) {
        if !self.point {
            self.bits.iter_mut().for_each(|w| *w = 0);
            self.point = true;
        }
        self.point_score = None;
        let mut least = TERMINATED;
        match &mut self.children {
            Children::Boxed(children) => {
                for c in children.iter_mut() {
                    let d = if c.doc() < target {
                        c.seek(target)
                    } else {
                        c.doc()
                    };
                    least = least.min(d);
                }
            }
            Children::Terms(terms) => {
                for s in terms.iter_mut().flatten() {
                    let d = if s.doc() < target {
                        s.cursor.seek(target)
                    } else {
                        s.doc()
                    };
                    least = least.min(d);
                }
            }
        }
        self.doc = least;
    }

    /// Point mode: the current document's score, combined as the slots
    /// combine it (children in order; a term's fields summed first).
    pub(super) fn point_score(&mut self) -> f64 {
        if let Some(s) = self.point_score {
            return s;
        }
        let doc = self.doc;
        let combine = self.combine;
        let fold = |acc: Option<f64>, s: f64| match acc {
            None => Some(s),
            Some(a) if combine == Fold::Sum => Some(a + s),
            Some(a) => Some(a.max(s)),
        };
        let mut acc = None;
        match &mut self.children {
            Children::Boxed(children) => {
                for c in children.iter_mut() {
                    if c.doc() == doc {
                        acc = fold(acc, c.score());
                    }
                }
            }
            Children::Terms(terms) => {
                for fields in terms.iter_mut() {
                    let mut term: Option<f64> = None;
                    for s in fields.iter_mut() {
                        if s.doc() == doc {
                            let v = s.score();
                            term = Some(term.map_or(v, |t| t + v));
                        }
                    }
                    if let Some(v) = term {
                        acc = fold(acc, v);
                    }
                }
            }
        }
        let s = acc.unwrap_or(0.0);
        self.point_score = Some(s);
        s
    }
}
