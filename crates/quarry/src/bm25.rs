//! BM25 scoring, exact: field lengths are stored as integers, not quantized.
//!
//! `score(d) = Σ_fields Σ_terms boost_f · idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))`
//! with `idf(t) = ln(1 + (N − n + 0.5)/(n + 0.5))`, `n` the documents whose
//! field contains `t`, `dl` the field's token count in `d` and `avgdl` the
//! field's mean token count.

use crate::error::{Error, Result};

/// BM25 parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bm25 {
    /// Term-frequency saturation (default 1.2).
    pub k1: f64,
    /// Length normalization, from 0 (none) to 1 (full) (default 0.75).
    pub b: f64,
}

impl Default for Bm25 {
    fn default() -> Self {
        Bm25 { k1: 1.2, b: 0.75 }
    }
}

impl Bm25 {
    /// Largest accepted `k1`: far past any useful value, and small enough
    /// that every score stays finite.
    pub const MAX_K1: f64 = 1e6;

    /// Checks the parameters are in range.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=Self::MAX_K1).contains(&self.k1) {
            return Err(Error::InvalidOption(format!(
                "k1 must be between 0 and {}, got {}",
                Self::MAX_K1,
                self.k1
            )));
        }
        if !(0.0..=1.0).contains(&self.b) {
            return Err(Error::InvalidOption(format!(
                "b must be between 0 and 1, got {}",
                self.b
            )));
        }
        Ok(())
    }
}

/// Inverse document frequency of a term found in `doc_freq` of `doc_count` documents.
pub fn idf(doc_count: u32, doc_freq: u32) -> f64 {
    let n = f64::from(doc_freq);
    (1.0 + (f64::from(doc_count) - n + 0.5) / (n + 0.5)).ln()
}

/// Term frequencies whose reciprocal is tabulated.
const RECIPROCALS: usize = 256;

/// `1 / tf` for small `tf`, correctly rounded like the division it replaces.
static RECIPROCAL: [f64; RECIPROCALS] = {
    let mut t = [f64::INFINITY; RECIPROCALS];
    let mut i = 1;
    while i < RECIPROCALS {
        t[i] = 1.0 / i as f64;
        i += 1;
    }
    t
};

#[inline]
fn reciprocal(tf: u32) -> f64 {
    match RECIPROCAL.get(tf as usize) {
        Some(&r) => r,
        None => 1.0 / f64::from(tf),
    }
}

/// The part of a term's score that does not depend on the document.
#[derive(Clone, Copy, Debug)]
pub struct TermWeight {
    /// `boost · idf · (k1 + 1)`.
    weight: f64,
    /// `k1 · (1 − b)`.
    base: f64,
    /// `k1 · b / avgdl`.
    slope: f64,
}

impl TermWeight {
    /// The weight of a term in a field.
    pub fn new(params: Bm25, boost: f64, idf: f64, avgdl: f64) -> TermWeight {
        // An empty field has no terms to score; avoid 0/0 all the same.
        let avgdl = if avgdl > 0.0 { avgdl } else { 1.0 };
        TermWeight {
            weight: boost * idf * (params.k1 + 1.0),
            base: params.k1 * (1.0 - params.b),
            slope: params.k1 * params.b / avgdl,
        }
    }

    /// The contribution of a fractional frequency (a sloppy phrase's):
    /// `weight / (1 + norm / freq)`.
    pub fn score_freq(&self, freq: f64, dl: u32) -> f64 {
        let norm = self.base + self.slope * f64::from(dl);
        self.weight / (1.0 + norm / freq)
    }

    /// A bound of every score: `boost · idf · (k1 + 1)`, which the score
    /// approaches as the frequency grows (dividing by `1 + norm/tf ≥ 1`
    /// never rounds above it).
    pub fn limit(&self) -> f64 {
        self.weight
    }

    /// The contribution of `tf` occurrences in a field of `dl` tokens:
    /// `weight · tf / (tf + norm)`, computed as `weight / (1 + norm · (1/tf))`
    /// with `1/tf` from a table for small `tf` (one division, not two).
    ///
    /// Every rounded step of that form is monotone, so the computed score
    /// never decreases with `tf` and never increases with `dl`: a pair that
    /// dominates another scores at least as high *in floating point*, which
    /// is what makes block maxima safe upper bounds for pruning.
    #[inline]
    pub fn score(&self, tf: u32, dl: u32) -> f64 {
        let norm = self.base + self.slope * f64::from(dl);
        self.weight / (1.0 + norm * reciprocal(tf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_matches_the_formula() {
        // ln(1 + (10 - 2 + 0.5) / 2.5) = ln(4.4)
        assert!((idf(10, 2) - 4.4f64.ln()).abs() < 1e-12);
        assert!(
            idf(10, 10) > 0.0,
            "idf stays positive for a term in every document"
        );
        assert!(idf(1000, 1) > idf(1000, 10));
    }

    #[test]
    fn score_saturates_and_normalizes() {
        let w = TermWeight::new(Bm25::default(), 1.0, 2.0, 10.0);
        // At dl = avgdl: 2 · tf·2.2 / (tf + 1.2)
        assert!((w.score(1, 10) - 2.0 * 2.2 / 2.2).abs() < 1e-12);
        assert!(w.score(2, 10) > w.score(1, 10));
        assert!(w.score(1000, 10) < 2.0 * 2.2);
        assert!(
            w.score(1, 5) > w.score(1, 20),
            "shorter fields score higher"
        );
        let no_norm = TermWeight::new(Bm25 { k1: 1.2, b: 0.0 }, 1.0, 2.0, 10.0);
        assert_eq!(no_norm.score(3, 5), no_norm.score(3, 500));
    }

    #[test]
    fn computed_scores_are_monotone_even_without_saturation() {
        // k1 = 0 makes every tf score the same mathematically; the computed
        // values must not wobble by an ulp either way.
        for (k1, b) in [(0.0, 0.75), (1.2, 0.75), (1e-9, 1.0), (3.0, 0.0)] {
            let w = TermWeight::new(Bm25 { k1, b }, 1.7, 3.3, 7.0);
            for dl in [0, 1, 5, 1000] {
                for tf in 1..600 {
                    assert!(w.score(tf + 1, dl) >= w.score(tf, dl), "k1 {k1} tf {tf}");
                    assert!(w.score(tf, dl) >= w.score(tf, dl + 1), "k1 {k1} dl {dl}");
                }
            }
        }
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(Bm25 { k1: -1.0, b: 0.5 }.validate().is_err());
        assert!(Bm25 { k1: 1.0, b: 1.5 }.validate().is_err());
        assert!(Bm25 { k1: 1e308, b: 0.5 }.validate().is_err());
        assert!(Bm25 {
            k1: f64::NAN,
            b: 0.5
        }
        .validate()
        .is_err());
        assert!(Bm25::default().validate().is_ok());
    }
}
