//! The builders of a parallel build's inverted chunks, held in memory
//! until they are combined ([`crate::combine`]): into the index itself
//! when the whole input fits the budget, or else into segments, each a
//! run of consecutive documents, written when the builders held pass
//! their share of the budget.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::IndexBuilder;

/// Builders by the first document they hold (in input order, counted
/// from 0 over the whole build).
pub(crate) struct Held {
    inner: Mutex<Inner>,
    /// Most bytes ([`IndexBuilder::held_bytes`]) kept before the builders
    /// are written as segments.
    limit: usize,
}

#[derive(Default)]
struct Inner {
    builders: BTreeMap<u64, IndexBuilder>,
    bytes: usize,
}

/// A run of builders of consecutive documents, the first from `first` on.
pub(crate) struct Run {
    pub(crate) first: u64,
    pub(crate) builders: Vec<IndexBuilder>,
}

impl Held {
    pub(crate) fn new(limit: usize) -> Held {
        Held {
            inner: Mutex::new(Inner::default()),
            limit,
        }
    }

    /// Keeps `builder`, of the documents from `first` on. If the builders
    /// held then pass the limit, every one is handed back, in runs, to be
    /// written as segments.
    pub(crate) fn keep(&self, first: u64, builder: IndexBuilder) -> Vec<Run> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.bytes += builder.held_bytes();
        inner.builders.insert(first, builder);
        if inner.bytes <= self.limit {
            return Vec::new();
        }
        inner.bytes = 0;
        runs(std::mem::take(&mut inner.builders))
    }

    /// Every builder held, in runs.
    pub(crate) fn into_runs(self) -> Vec<Run> {
        let inner = self.inner.into_inner().unwrap_or_else(|e| e.into_inner());
        runs(inner.builders)
    }
}

/// `builders` in runs of consecutive documents, in order.
fn runs(builders: BTreeMap<u64, IndexBuilder>) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for (first, b) in builders {
        match runs.last_mut() {
            Some(run) if run.end() == first => run.builders.push(b),
            _ => runs.push(Run {
                first,
                builders: vec![b],
            }),
        }
    }
    runs
}

impl Run {
    /// The document after the run's last.
    fn end(&self) -> u64 {
        self.first
            + self
                .builders
                .iter()
                .map(|b| u64::from(b.doc_count()))
                .sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder(docs: usize) -> IndexBuilder {
        let mut b = IndexBuilder::default();
        for i in 0..docs {
            b.add(&format!("d{i}"), "", "some words").unwrap();
        }
        b
    }

    #[test]
    fn builders_come_back_in_runs_of_consecutive_documents() {
        let held = Held::new(usize::MAX);
        // Out of order, with a gap at 5..7.
        for (first, docs) in [(3, 2), (0, 3), (9, 1), (7, 2)] {
            assert!(held.keep(first, builder(docs)).is_empty());
        }
        let runs: Vec<(u64, Vec<u32>)> = held
            .into_runs()
            .iter()
            .map(|r| {
                (
                    r.first,
                    r.builders.iter().map(IndexBuilder::doc_count).collect(),
                )
            })
            .collect();
        assert_eq!(runs, [(0, vec![3, 2]), (7, vec![2, 1])]);
    }

    #[test]
    fn past_the_limit_everything_held_is_handed_back() {
        let one = builder(2).held_bytes();
        let held = Held::new(one * 2);
        assert!(held.keep(0, builder(2)).is_empty());
        assert!(held.keep(2, builder(2)).is_empty());
        let back = held.keep(4, builder(2));
        assert_eq!(back.len(), 1);
        assert_eq!((back[0].first, back[0].builders.len()), (0, 3));
        assert!(held.into_runs().is_empty());
    }
}
