//! Score frontiers: writing them, and reading them from skip data.

use crate::bm25::{Bm25, TermWeight};
use crate::format::{read_vint_u32, write_vint};

use super::*;

/// The score frontier of `(tf, len)` points: sorted by increasing length
/// and increasing frequency, at most [`MAX_FRONTIER`] points.
///
/// A larger frontier is cut down by merging neighbours `(tf1, len1)`,
/// `(tf2, len2)` (`tf1 < tf2`, `len1 < len2`) into `(tf2, len1)`, which
/// dominates both, so the bound stays valid for every parameter choice.
/// Each merge picks the pair whose merged point scores lowest under the
/// default BM25 parameters with field length average `avg_len`, so the
/// bound stays as tight as it can where it matters most.
pub fn frontier(points: impl IntoIterator<Item = (u32, u32)>, avg_len: f64) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = points.into_iter().collect();
    pareto(&mut out);
    let weight = TermWeight::new(Bm25::default(), 1.0, 1.0, avg_len);
    while out.len() > MAX_FRONTIER {
        let merged_score = |i: usize| weight.score(out[i + 1].0, out[i].1);
        let i = (0..out.len() - 1)
            .min_by(|&a, &b| merged_score(a).total_cmp(&merged_score(b)))
            .expect("at least two points");
        let merged = (out[i + 1].0, out[i].1);
        out.splice(i..i + 2, [merged]);
    }
    out
}

/// Keeps only the points no other point beats on both counts (at least
/// the frequency, at most the length), each once, ordered by increasing
/// length (and so increasing frequency). The result depends only on the
/// set of points: reducing parts of a set first gives the same points.
pub(crate) fn pareto(points: &mut Vec<(u32, u32)>) {
    // A point can only be kept as the shortest of its frequency. Blocks
    // hold few distinct frequencies, so these are gathered without a sort
    // of the whole block; past `FEW` of them, sorting is cheaper.
    const FEW: usize = 24;
    let mut best = [(0u32, 0u32); FEW];
    let mut n = 0usize;
    for &(tf, len) in points.iter() {
        match best[..n].iter_mut().find(|b| b.0 == tf) {
            Some(b) => b.1 = b.1.min(len),
            None if n < FEW => {
                best[n] = (tf, len);
                n += 1;
            }
            None => return pareto_by_sorting(points),
        }
    }
    // Highest frequency first: a point is kept when it is shorter than
    // every point of higher frequency.
    let best = &mut best[..n];
    best.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
    points.clear();
    for &(tf, len) in best.iter() {
        if points.last().is_none_or(|&(_, shortest)| len < shortest) {
            points.push((tf, len));
        }
    }
    points.reverse();
}

/// [`pareto`] by sorting all the points.
fn pareto_by_sorting(points: &mut Vec<(u32, u32)>) {
    // Shortest first; among equal lengths, highest frequency first.
    points.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    let mut kept = 0usize;
    for i in 0..points.len() {
        let (tf, _) = points[i];
        if kept == 0 || tf > points[kept - 1].0 {
            points[kept] = points[i];
            kept += 1;
        }
    }
    points.truncate(kept);
}

pub(crate) fn write_frontier(out: &mut Vec<u8>, points: &[(u32, u32)]) {
    write_vint(out, points.len() as u64);
    let (mut tf0, mut len0) = (0u32, 0u32);
    for &(tf, len) in points {
        write_vint(out, u64::from(tf - tf0));
        write_vint(out, u64::from(len - len0));
        (tf0, len0) = (tf, len);
    }
}

/// The points of a score frontier, decoded from skip data. Stops early
/// (and [`Frontier::is_corrupt`] turns true) on malformed bytes.
#[derive(Clone)]
pub struct Frontier<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
    pub(crate) left: u32,
    pub(crate) tf: u32,
    pub(crate) len: u32,
    pub(crate) corrupt: bool,
}

impl<'a> Frontier<'a> {
    /// Reads a frontier at `*at`, leaving `*at` after it; `None` when
    /// malformed.
    pub(crate) fn read(bytes: &'a [u8], at: &mut usize) -> Option<Frontier<'a>> {
        let f = Frontier::lazy(bytes, *at);
        let count = read_vint_u32(bytes, at)?;
        if count == 0 || count as usize > MAX_FRONTIER {
            return None;
        }
        for _ in 0..2 * count {
            read_vint_u32(bytes, at)?;
        }
        Some(f)
    }

    /// A frontier at `at`, checked only as it is read: malformed bytes end
    /// it early and turn [`Frontier::is_corrupt`] true.
    pub(crate) fn lazy(bytes: &'a [u8], at: usize) -> Frontier<'a> {
        let mut at = at;
        let (left, corrupt) = match read_vint_u32(bytes, &mut at) {
            Some(n) if n >= 1 && n as usize <= MAX_FRONTIER => (n, false),
            _ => (0, true),
        };
        Frontier {
            bytes,
            at,
            left,
            tf: 0,
            len: 0,
            corrupt,
        }
    }

    /// True when the points did not decode.
    pub fn is_corrupt(&self) -> bool {
        self.corrupt
    }
}

impl Iterator for Frontier<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let dtf = read_vint_u32(self.bytes, &mut self.at);
        let dlen = read_vint_u32(self.bytes, &mut self.at);
        let point = dtf
            .zip(dlen)
            .and_then(|(dtf, dlen)| Some((self.tf.checked_add(dtf)?, self.len.checked_add(dlen)?)));
        match point {
            Some((tf, len)) => {
                (self.tf, self.len) = (tf, len);
                Some((tf, len))
            }
            None => {
                self.corrupt = true;
                self.left = 0;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn gathering_by_frequency_equals_sorting(
            points in proptest::collection::vec((1u32..40, 0u32..60), 0..200)
        ) {
            let mut fast = points.clone();
            pareto(&mut fast);
            let mut sorted = points;
            pareto_by_sorting(&mut sorted);
            prop_assert_eq!(fast, sorted);
        }
    }
}
