//! A phrase in one field as a [`Scorer`]: stands only on documents where
//! the phrase occurs (within its slop), scored by BM25 with the phrase as
//! one term.

use crate::index::DocId;
use crate::postings::TERMINATED;

use super::explain::Explanation;
use super::phrase::PhraseField;
use super::scorer::{LeafInfo, Scorer};

pub(crate) struct PhraseScorer<'a> {
    field: PhraseField<'a>,
    slop: u32,
    /// The frequency at the current document.
    freq: f64,
    info: Option<LeafInfo>,
    cost: u64,
}

impl<'a> PhraseScorer<'a> {
    pub(crate) fn new(
        field: PhraseField<'a>,
        slop: u32,
        info: Option<LeafInfo>,
    ) -> PhraseScorer<'a> {
        let cost = field
            .terms
            .first()
            .map_or(0, |t| u64::from(t.cursor.doc_freq()));
        let mut p = PhraseScorer {
            field,
            slop,
            freq: 0.0,
            info,
            cost,
        };
        p.settle();
        p
    }

    /// From the field's current candidate, moves to the first where the
    /// phrase occurs.
    fn settle(&mut self) -> DocId {
        while self.field.doc != TERMINATED {
            self.freq = if self.slop == 0 {
                f64::from(self.field.occurrences())
            } else {
                self.field.sloppy_frequency(self.slop)
            };
            if self.freq > 0.0 {
                break;
            }
            let next = self.field.doc + 1;
            self.field.next_candidate(next);
        }
        self.field.doc
    }
}

impl Scorer for PhraseScorer<'_> {
    fn doc(&self) -> DocId {
        self.field.doc
    }
    fn advance(&mut self) -> DocId {
        if self.field.doc == TERMINATED {
            return TERMINATED;
        }
        let next = self.field.doc + 1;
        self.field.next_candidate(next);
        self.settle()
    }
    fn seek(&mut self, target: DocId) -> DocId {
        if self.field.doc >= target {
            return self.field.doc;
        }
        self.field.next_candidate(target);
        self.settle()
    }
    fn score(&mut self) -> f64 {
        let dl = self.field.length();
        if self.slop == 0 {
            // The same formula as the exact-phrase fast path.
            self.field.weight.score(self.freq as u32, dl)
        } else {
            self.field.weight.score_freq(self.freq, dl)
        }
    }
    fn max_score(&self) -> f64 {
        self.field.weight.limit()
    }
    fn cost(&self) -> u64 {
        self.cost
    }
    fn damaged(&self) -> bool {
        self.field.damaged()
    }
    fn explain(&mut self) -> Explanation {
        let score = self.score();
        let len = self.field.length();
        let slop = if self.slop > 0 {
            format!("~{}", self.slop)
        } else {
            String::new()
        };
        LeafInfo::explain(self.info.as_ref(), score, self.freq, len, &slop)
    }
}
