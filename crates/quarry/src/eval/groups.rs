//! How the tuned disjunction combines its scorers' scores: a plain sum in
//! scorer order, or, when the query holds an expansion (`gov* budget`),
//! grouped: per query clause, the best of its terms, each term's fields
//! summed — the same operations, in the same order, as the scorer tree
//! (a union of clauses, an expansion a max of its terms, a term a union of
//! its fields), so both give the same bits.

/// The combination of a disjunction's per-scorer scores.
#[derive(Clone, Debug)]
pub(crate) enum Combine {
    /// The sum, in scorer order.
    Sum,
    /// Per scorer, in scorer order: its (term, clause). Terms and clauses
    /// are contiguous runs.
    Groups(Vec<(usize, usize)>),
}

impl Combine {
    /// The score of a document whose per-scorer scores are `ub` (0 where
    /// absent). Monotone in every entry, and at most their sum.
    #[inline]
    pub(crate) fn total(&self, ub: &[f64]) -> f64 {
        match self {
            Combine::Sum => ub.iter().sum(),
            Combine::Groups(keys) => grouped(keys, ub),
        }
    }

    /// The same combination over the scorers `keep` (in order).
    pub(crate) fn subset(&self, keep: impl Iterator<Item = usize>) -> Combine {
        match self {
            Combine::Sum => Combine::Sum,
            Combine::Groups(keys) => Combine::Groups(keep.map(|i| keys[i]).collect()),
        }
    }
}

fn grouped(keys: &[(usize, usize)], ub: &[f64]) -> f64 {
    let n = ub.len().min(keys.len());
    let mut total = 0.0;
    let mut i = 0;
    while i < n {
        let clause = keys[i].1;
        let mut best = 0.0f64;
        while i < n && keys[i].1 == clause {
            let term = keys[i].0;
            let mut sum = 0.0;
            while i < n && keys[i].0 == term {
                sum += ub[i];
                i += 1;
            }
            best = best.max(sum);
        }
        total += best;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_add_their_best_term_and_terms_their_fields() {
        // Clause 0: term 0 (two fields). Clause 1: terms 1 and 2 (an expansion).
        let c = Combine::Groups(vec![(0, 0), (0, 0), (1, 1), (1, 1), (2, 1)]);
        assert_eq!(c.total(&[1.0, 2.0, 0.5, 0.25, 4.0]), 3.0 + 4.0);
        assert_eq!(c.total(&[1.0, 2.0, 3.0, 2.0, 4.0]), 3.0 + 5.0);
        assert_eq!(c.total(&[0.0, 0.0, 0.0, 0.0, 0.0]), 0.0);
        let s = c.subset([0, 2, 4].into_iter());
        assert_eq!(s.total(&[1.0, 3.0, 4.0]), 1.0 + 4.0);
        assert_eq!(Combine::Sum.total(&[1.0, 2.0]), 3.0);
    }
}
