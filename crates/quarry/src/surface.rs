//! Words as users type them: prefix and fuzzy matching, and did-you-mean
//! suggestions, over the SURFACE section (every lowercased, unstemmed token
//! form of the collection, with its document frequency).
//!
//! A surface form found here becomes a query term through the index's
//! analyzer ([`crate::analysis::Analyzer::stem`] of the form, or
//! [`crate::analysis::Analyzer::normalize`]): no pointers are stored.

use fst::automaton::Automaton;

use crate::analysis::lowercase;
use crate::automaton::{DamerauLevenshtein, DlState, NextChars, MAX_DISTANCE};
use crate::error::{Error, Result};
use crate::format::SectionKind;
use crate::fst_check::{add, CheckedFst, Fault, FstNode};
use crate::index::Index;

/// One surface form of the collection that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurfaceWord {
    /// The form: a token as written, lowercased, not stemmed.
    pub word: String,
    /// Number of documents holding the form in any field.
    pub doc_freq: u64,
    /// Edit distance from the word asked for (0 for prefix matches).
    pub distance: u8,
}

/// What a prefix or fuzzy match found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SurfaceMatches {
    /// At most `limit` of the matches: the most frequent (ties to the
    /// earlier word), sorted by distance, then document frequency
    /// (descending), then word.
    pub words: Vec<SurfaceWord>,
    /// How many forms matched before the limit was applied.
    pub total: usize,
}

/// Keeps the `limit` most frequent of the matches offered in word order
/// (so a tie goes to the word offered first). Matches are kept as
/// (frequency, distance, bytes in one buffer) until the end, when the best
/// are selected and only they become strings: a short prefix offers
/// thousands of words.
pub(crate) struct MostFrequent {
    limit: usize,
    /// (document frequency, distance, start and end in `bytes`), in the
    /// order offered.
    offered: Vec<(u64, u8, u32, u32)>,
    bytes: Vec<u8>,
    /// Once the matches have been cut to `limit`, a new one must be more
    /// frequent than this to enter (an equal one comes later in word order).
    bar: Option<u64>,
    total: usize,
}

impl MostFrequent {
    pub(crate) fn new(limit: usize) -> Self {
        MostFrequent {
            limit,
            offered: Vec::new(),
            bytes: Vec::new(),
            bar: None,
            total: 0,
        }
    }

    /// Offers a match; `false` when `key` is not UTF-8 (a damaged
    /// dictionary).
    pub(crate) fn offer(&mut self, key: &[u8], doc_freq: u64, distance: u8) -> bool {
        self.total += 1;
        if std::str::from_utf8(key).is_err() {
            return false;
        }
        if self.limit == 0 || self.bar.is_some_and(|bar| doc_freq <= bar) {
            return true;
        }
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(key);
        self.offered
            .push((doc_freq, distance, start, self.bytes.len() as u32));
        if self.offered.len() >= self.limit.saturating_mul(4).max(4096) {
            self.cut();
        }
        true
    }

    /// The `limit` best of the offered, in the order offered: more
    /// frequent first, ties to the earlier offered (word order).
    fn best(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.offered.len()).collect();
        if order.len() > self.limit {
            let better = |a: &usize, b: &usize| {
                let (fa, fb) = (self.offered[*a].0, self.offered[*b].0);
                fb.cmp(&fa).then(a.cmp(b))
            };
            order.select_nth_unstable_by(self.limit - 1, better);
            order.truncate(self.limit);
            order.sort_unstable();
        }
        order
    }

    /// Keeps only the `limit` best (memory stays bounded however many
    /// words match).
    fn cut(&mut self) {
        let order = self.best();
        let mut bytes = Vec::with_capacity(self.bytes.len() / 2);
        let mut kept = Vec::with_capacity(order.len());
        for i in order {
            let (doc_freq, distance, start, end) = self.offered[i];
            let from = bytes.len() as u32;
            bytes.extend_from_slice(&self.bytes[start as usize..end as usize]);
            kept.push((doc_freq, distance, from, bytes.len() as u32));
        }
        self.bar = kept.iter().map(|k| k.0).min();
        self.offered = kept;
        self.bytes = bytes;
    }

    pub(crate) fn finish(self) -> SurfaceMatches {
        let order = self.best();
        let mut words: Vec<SurfaceWord> = order
            .iter()
            .map(|&i| {
                let (doc_freq, distance, start, end) = self.offered[i];
                let word = std::str::from_utf8(&self.bytes[start as usize..end as usize])
                    .unwrap_or_default()
                    .to_string();
                SurfaceWord {
                    word,
                    doc_freq,
                    distance,
                }
            })
            .collect();
        sort_for_display(&mut words);
        SurfaceMatches {
            words,
            total: self.total,
        }
    }
}

/// Distance, then document frequency (descending), then word.
pub(crate) fn sort_for_display(words: &mut [SurfaceWord]) {
    words.sort_unstable_by(|a, b| {
        a.distance
            .cmp(&b.distance)
            .then_with(|| b.doc_freq.cmp(&a.doc_freq))
            .then_with(|| a.word.cmp(&b.word))
    });
}

impl Index {
    /// The surface forms that start with `prefix` (lowercased first, as the
    /// analyzer lowercases): the `limit` most frequent, and how many matched.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the SURFACE section is damaged.
    pub fn surface_prefix(&self, prefix: &str, limit: usize) -> Result<SurfaceMatches> {
        let map = self.checked_fst(SectionKind::Surface)?;
        let lower = lowercase(prefix);
        let mut out = MostFrequent::new(limit);
        prefix_walk(&map, lower.as_bytes(), |key, doc_freq| {
            self.offered(out.offer(key, doc_freq, 0))
        })
        .map_err(|e| self.walk_error(e))?;
        Ok(out.finish())
    }

    /// The surface forms within `distance` edits (0, 1 or 2; Damerau–Levenshtein,
    /// an adjacent transposition counting as one) of `word`, lowercased
    /// first: the `limit` most frequent, and how many matched.
    ///
    /// # Errors
    /// [`Error::InvalidQuery`] if `distance` is above 2; [`Error::Corrupt`]
    /// if the SURFACE section is damaged.
    pub fn surface_fuzzy(&self, word: &str, distance: u8, limit: usize) -> Result<SurfaceMatches> {
        let mut out = MostFrequent::new(limit);
        self.fuzzy_each(&lowercase(word), distance, |key, doc_freq, d| {
            self.offered(out.offer(key, doc_freq, d))
        })?;
        Ok(out.finish())
    }

    /// An offer's outcome as a result: `false` means a damaged form.
    fn offered(&self, ok: bool) -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(self.corrupt("a surface form is not UTF-8"))
        }
    }

    /// Did-you-mean: up to `max` real words of the collection close to
    /// `word` (lowercased first), never `word` itself: those one edit away
    /// first, then two, the more frequent first within each.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if the SURFACE section is damaged.
    pub fn suggest(&self, word: &str, max: usize) -> Result<Vec<SurfaceWord>> {
        let lower = lowercase(word);
        let mut found = Vec::new();
        self.fuzzy_each(&lower, MAX_DISTANCE, |key, doc_freq, distance| {
            if distance > 0 {
                let word = std::str::from_utf8(key)
                    .map_err(|_| self.corrupt("a surface form is not UTF-8"))?;
                found.push(SurfaceWord {
                    word: word.to_string(),
                    doc_freq,
                    distance,
                });
            }
            Ok(())
        })?;
        sort_for_display(&mut found);
        found.truncate(max);
        Ok(found)
    }

    /// Calls `f(form, doc_freq, distance)` for each surface form within
    /// `distance` of the lowercased `word`, in byte order.
    fn fuzzy_each(
        &self,
        word: &str,
        distance: u8,
        mut f: impl FnMut(&[u8], u64, u8) -> Result<()>,
    ) -> Result<()> {
        if distance > MAX_DISTANCE {
            return Err(Error::InvalidQuery(format!(
                "fuzzy distance {distance} is too large; use 0, 1 or 2 (as in `word~2`)"
            )));
        }
        let map = self.checked_fst(SectionKind::Surface)?;
        let aut = DamerauLevenshtein::new(word, distance).expect("distance checked");
        walk(&map, &aut, |key, doc_freq, state| {
            match aut.distance(state) {
                Some(d) => f(key, doc_freq, d),
                None => Ok(()),
            }
        })
        .map_err(|e| self.walk_error(e))
    }

    fn walk_error(&self, e: WalkError) -> Error {
        match e {
            WalkError::Map(detail) => self.damage_error(&format!("surface forms: {detail}")),
            WalkError::Caller(e) => e,
        }
    }
}

/// Why a walk stopped: the map is damaged, or the caller said so.
#[derive(Debug)]
enum WalkError {
    Map(Fault),
    Caller(Error),
}

impl From<Fault> for WalkError {
    fn from(fault: Fault) -> Self {
        WalkError::Map(fault)
    }
}

impl From<Error> for WalkError {
    fn from(e: Error) -> Self {
        WalkError::Caller(e)
    }
}

/// Every key of `fst` that starts with `prefix`, in key order, with its
/// value: the prefix's node is found by its bytes, and its subtree walked
/// depth first (no automaton to step, no bounds to compare per key, as a
/// range stream has).
fn prefix_walk(
    fst: &CheckedFst<'_>,
    prefix: &[u8],
    mut on_final: impl FnMut(&[u8], u64) -> Result<()>,
) -> std::result::Result<(), WalkError> {
    let mut node = fst.root()?;
    let mut out = 0u64;
    for &b in prefix {
        let Some(t) = node.find(b)? else {
            return Ok(());
        };
        out = add(out, t.output)?;
        node = fst.node(t.target)?;
    }
    let mut key = prefix.to_vec();
    if node.is_final() {
        on_final(&key, add(out, node.final_output())?)?;
    }
    // (node, next transition, output so far, key length at the node)
    let mut stack = vec![(node, 0usize, out, key.len())];
    while let Some(top) = stack.last_mut() {
        let (node, at, out, depth) = *top;
        if at == node.len() {
            stack.pop();
            continue;
        }
        top.1 += 1;
        key.truncate(depth);
        let t = node.transition(at)?;
        let out = add(out, t.output)?;
        let child = fst.node(t.target)?;
        key.push(t.input);
        if child.is_final() {
            on_final(&key, add(out, child.final_output())?)?;
        }
        if !child.is_empty() {
            stack.push((child, 0, out, key.len()));
        }
    }
    Ok(())
}

/// Depth-first search of `fst` under the fuzzy automaton `aut`, in key
/// order: calls `on_final(key, value, state)` for every key whose path
/// `aut` can still match (the caller checks the final state).
///
/// Two things make it faster than `fst`'s own stream: it asks whether the
/// automaton is alive before decoding a child (the stream decodes and
/// stacks every child first), and where the automaton names the few
/// characters that can keep it alive ([`DamerauLevenshtein::next_chars`])
/// it looks those up instead of trying every transition. Most live nodes
/// deep in a `word~2` search are of that kind.
fn walk(
    fst: &CheckedFst<'_>,
    aut: &DamerauLevenshtein,
    mut on_final: impl FnMut(&[u8], u64, &DlState) -> Result<()>,
) -> std::result::Result<(), WalkError> {
    struct Frame<'f> {
        node: FstNode<'f>,
        /// The next transition (or listed character) to try.
        at: usize,
        out: u64,
        state: DlState,
        /// The characters to look up, if the automaton named them.
        chars: Option<NextChars>,
        /// Length of the key that leads to `node`.
        depth: usize,
    }
    let frame = |node, out, state: DlState, depth| Frame {
        node,
        at: 0,
        out,
        chars: aut.next_chars(&state),
        state,
        depth,
    };
    let root = fst.root()?;
    let start = aut.start();
    if !aut.can_match(&start) {
        return Ok(());
    }
    let mut key: Vec<u8> = Vec::new();
    if root.is_final() {
        on_final(&key, root.final_output(), &start)?;
    }
    let mut stack = vec![frame(root, 0, start, 0)];
    let mut utf8 = [0u8; 4];
    while let Some(top) = stack.last_mut() {
        key.truncate(top.depth);
        let at = top.at;
        top.at += 1;
        // The child's node, output and state are made from the frame's
        // in place: most tries fail (a dead automaton, a missing
        // character), and copying the frame out first cost more than them.
        let (node, out, state) = match &top.chars {
            None => {
                if at == top.node.len() {
                    stack.pop();
                    continue;
                }
                let state = aut.accept(&top.state, top.node.input(at)?);
                if !aut.can_match(&state) {
                    continue;
                }
                let t = top.node.transition(at)?;
                key.push(t.input);
                (fst.node(t.target)?, add(top.out, t.output)?, state)
            }
            Some(chars) => {
                let Some(&c) = chars.as_slice().get(at) else {
                    stack.pop();
                    continue;
                };
                let Some(c) = char::from_u32(c) else {
                    continue;
                };
                // Follow the character's bytes; a missing one means no key has it here.
                let bytes = c.encode_utf8(&mut utf8).as_bytes();
                let Some(t) = top.node.find(bytes[0])? else {
                    continue;
                };
                let mut state = aut.accept(&top.state, bytes[0]);
                let mut node = fst.node(t.target)?;
                let mut out = add(top.out, t.output)?;
                key.push(bytes[0]);
                let mut found = true;
                for &b in &bytes[1..] {
                    let Some(t) = node.find(b)? else {
                        found = false;
                        break;
                    };
                    state = aut.accept(&state, b);
                    node = fst.node(t.target)?;
                    out = add(out, t.output)?;
                    key.push(b);
                }
                if !found || !aut.can_match(&state) {
                    continue;
                }
                (node, out, state)
            }
        };
        if node.is_final() {
            on_final(&key, add(out, node.final_output())?, &state)?;
        }
        let depth = key.len();
        stack.push(frame(node, out, state, depth));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automaton::osa_distance;
    use proptest::prelude::*;

    fn word() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec!['a', 'b', 'c', 'é', 'ж', '😀']),
            0..8,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The prefix walk finds exactly the keys that start with the
        /// prefix, in key order, with their values.
        #[test]
        fn prefix_walk_finds_exactly_the_keys_with_the_prefix(
            prefix in word(),
            keys in proptest::collection::btree_set(word(), 0..80),
        ) {
            let map = fst::Map::from_iter(keys.iter().enumerate().map(|(i, w)| (w.clone(), i as u64))).unwrap();
            let mut found = Vec::new();
            prefix_walk(&CheckedFst::new(map.as_fst().as_bytes()).unwrap(), prefix.as_bytes(), |key, v| {
                found.push((String::from_utf8(key.to_vec()).unwrap(), v));
                Ok(())
            }).unwrap();
            let expected: Vec<(String, u64)> = keys
                .iter()
                .enumerate()
                .filter(|(_, w)| w.starts_with(&prefix))
                .map(|(i, w)| (w.clone(), i as u64))
                .collect();
            prop_assert_eq!(found, expected);
        }

        /// The most frequent `limit` words (ties to the earlier word) are
        /// kept however many are offered, through any number of cuts.
        #[test]
        fn most_frequent_keeps_the_best_through_cuts(
            limit in 0usize..1100,
            freqs in proptest::collection::vec(0u64..50, 0..9000),
        ) {
            let words: Vec<String> = (0..freqs.len()).map(|i| format!("w{i:05}")).collect();
            let mut m = MostFrequent::new(limit);
            for (w, &f) in words.iter().zip(&freqs) {
                prop_assert!(m.offer(w.as_bytes(), f, 0));
            }
            let got = m.finish();
            prop_assert_eq!(got.total, words.len());
            let mut expected: Vec<(u64, &String)> = freqs.iter().copied().zip(&words).collect();
            expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            expected.truncate(limit);
            let got: Vec<(u64, &String)> = got.words.iter().map(|w| (w.doc_freq, &w.word)).collect();
            prop_assert_eq!(got, expected);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// The walk (with its character lookups) finds exactly the keys the
        /// plain distance puts within `k`, in key order, with their values
        /// and distances.
        #[test]
        fn walk_finds_exactly_the_near_keys(
            a in word(),
            keys in proptest::collection::btree_set(word(), 0..80),
            k in 0u8..=2,
        ) {
            let map = fst::Map::from_iter(keys.iter().enumerate().map(|(i, w)| (w.clone(), i as u64))).unwrap();
            let aut = DamerauLevenshtein::new(&a, k).unwrap();
            let mut found = Vec::new();
            walk(&CheckedFst::new(map.as_fst().as_bytes()).unwrap(), &aut, |key, v, state| {
                if let Some(d) = aut.distance(state) {
                    found.push((String::from_utf8(key.to_vec()).unwrap(), v, d));
                }
                Ok(())
            }).unwrap();
            let want: Vec<(String, u64, u8)> = keys
                .iter()
                .enumerate()
                .filter_map(|(i, w)| {
                    let d = osa_distance(&a, w);
                    (d <= usize::from(k)).then(|| (w.clone(), i as u64, d as u8))
                })
                .collect();
            prop_assert_eq!(found, want);
        }
    }
}
