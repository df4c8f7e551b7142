//! A Damerau–Levenshtein automaton for `fst` searches: it accepts the keys
//! within edit distance `k` (0, 1 or 2) of a word.
//!
//! The distance is the *optimal string alignment* distance over Unicode
//! characters: an insertion, a deletion, a substitution and a transposition
//! of two adjacent characters each cost one edit, and no substring is edited
//! twice (so `ca` → `abc` is 3, not 2). `fst` walks keys byte by byte; the
//! state assembles each UTF-8 sequence into its character before taking a
//! step of the dynamic programme.
//!
//! The state holds two rows of the distance matrix (the current one and
//! the one before, which a transposition needs), each entry clamped to
//! `k + 1`, and the key's last character. Only the *band* of a row can be
//! `k` or less: after `j` key characters, a prefix of the word of length
//! `i` is at least `|i - j|` edits away. So a row is stored as its `2k + 1`
//! entries around the diagonal (`i = j - k ..= j + k`), whatever the word's
//! length: the state is 24 bytes, copied without allocation at every byte,
//! and a step costs `2k + 1` cells. A row whose band exceeds `k` everywhere
//! can only grow, so the search prunes there.

use fst::Automaton;

/// The largest edit distance the automaton supports.
pub const MAX_DISTANCE: u8 = 2;

/// Entries of a stored band: `2 × MAX_DISTANCE + 1`.
const BAND: usize = 2 * MAX_DISTANCE as usize + 1;

/// Stands for "no character": before the key's first character, and for a
/// malformed UTF-8 sequence. Equal to no word character.
const NO_CHAR: u32 = u32::MAX;

/// Accepts the keys within optimal-string-alignment distance `k` of a word.
#[derive(Clone, Debug)]
pub struct DamerauLevenshtein {
    word: Vec<u32>,
    k: u8,
}

/// Where the automaton stands after some bytes of a key.
#[derive(Clone, Copy, Debug)]
pub struct DlState {
    /// Row `j` (`j` key characters read): entry `t` is the distance, clamped
    /// to `k + 1`, from the key so far to the word's first `j - k + t`
    /// characters (`k + 1` where that is no prefix of the word).
    cur: [u8; BAND],
    /// Row `j - 1`, the same way (for transpositions).
    prev: [u8; BAND],
    /// Key characters read, `j` (saturating: far past the word, all is `k + 1`).
    j: u32,
    /// The key's last whole character, or [`NO_CHAR`].
    last: u32,
    /// The character being assembled from UTF-8 bytes, and how many bytes it still needs.
    partial: u32,
    pending: u8,
}

/// The characters that can follow a state, from [`DamerauLevenshtein::next_chars`].
#[derive(Clone, Copy, Debug)]
pub struct NextChars {
    chars: [u32; 2 * BAND],
    len: usize,
}

impl NextChars {
    /// The characters, ascending, as code points (any may be a malformed
    /// sequence's stand-in, which no key holds).
    pub fn as_slice(&self) -> &[u32] {
        &self.chars[..self.len]
    }
}

impl DamerauLevenshtein {
    /// An automaton for the keys within `k` edits of `word`; `None` if `k`
    /// exceeds [`MAX_DISTANCE`].
    pub fn new(word: &str, k: u8) -> Option<DamerauLevenshtein> {
        let word: Vec<u32> = word.chars().map(u32::from).collect();
        (k <= MAX_DISTANCE).then_some(DamerauLevenshtein { word, k })
    }

    /// Entries used of a band: `2k + 1`.
    #[inline]
    fn width(&self) -> usize {
        2 * usize::from(self.k) + 1
    }

    /// The distance of the key that led to `state`, if the key matches.
    pub fn distance(&self, state: &DlState) -> Option<u8> {
        if state.pending != 0 {
            return None;
        }
        // Entry t of row j is word prefix i = j - k + t; the whole word is i = n.
        let t = (self.word.len() as i64) - i64::from(state.j) + i64::from(self.k);
        let d = *state.cur.get(usize::try_from(t).ok()?)?;
        (t < self.width() as i64 && d <= self.k).then_some(d)
    }

    /// The only characters that keep `state` alive, ascending, if there are
    /// few: when no entry of the band is below `k`, the next row can reach
    /// `k` only by matching a word character on the diagonal of an entry
    /// equal to `k`, or by completing a transposition. `None` when any
    /// character keeps it alive (an entry below `k`: a substitution or an
    /// insertion still costs at most `k`) or in the middle of a UTF-8
    /// sequence. A search can then look these characters up rather than
    /// try every transition.
    pub fn next_chars(&self, state: &DlState) -> Option<NextChars> {
        if state.pending != 0 || state.cur[..self.width()].iter().any(|&d| d < self.k) {
            return None;
        }
        let k = i64::from(self.k);
        let n = self.word.len() as i64;
        let j1 = i64::from(state.j) + 1;
        let mut out = NextChars {
            chars: [0; 2 * BAND],
            len: 0,
        };
        for t in 0..self.width() {
            let i = j1 - k + t as i64;
            if i < 1 || i > n {
                continue;
            }
            let a = self.word[(i - 1) as usize];
            if state.cur[t] == self.k {
                out.chars[out.len] = a;
                out.len += 1;
            }
            if i >= 2 && state.prev[t] < self.k && a == state.last {
                out.chars[out.len] = self.word[(i - 2) as usize];
                out.len += 1;
            }
        }
        let chars = &mut out.chars[..out.len];
        chars.sort_unstable();
        let mut kept = 0;
        for r in 0..chars.len() {
            if r == 0 || chars[r] != chars[kept - 1] {
                chars[kept] = chars[r];
                kept += 1;
            }
        }
        out.len = kept;
        Some(out)
    }

    /// The state after one more whole character `c` of the key.
    #[inline]
    fn step(&self, s: &DlState, c: u32) -> DlState {
        let k = i64::from(self.k);
        let cap = self.k + 1;
        let n = self.word.len() as i64;
        let width = self.width();
        let j1 = i64::from(s.j) + 1; // the new row
        let mut next = [cap; BAND];
        for t in 0..width {
            let i = j1 - k + t as i64;
            if i < 0 || i > n {
                continue;
            }
            if i == 0 {
                next[t] = j1.min(i64::from(cap)) as u8;
                continue;
            }
            let a = self.word[(i - 1) as usize];
            // Row j entry for word prefix i is at t + 1; for i - 1 at t.
            let above = s
                .cur
                .get(t + 1)
                .filter(|_| t + 1 < width)
                .map_or(cap, |&d| d);
            let diagonal = s.cur[t];
            let left = if t > 0 { next[t - 1] } else { cap };
            let mut v = (diagonal + u8::from(a != c)).min(above + 1).min(left + 1);
            // Row j - 1 entry for word prefix i - 2 is at t.
            if i >= 2 && a == s.last && self.word[(i - 2) as usize] == c {
                v = v.min(s.prev[t] + 1);
            }
            next[t] = v.min(cap);
        }
        DlState {
            cur: next,
            prev: s.cur,
            j: s.j.saturating_add(1),
            last: c,
            partial: 0,
            pending: 0,
        }
    }
}

impl Automaton for DamerauLevenshtein {
    type State = DlState;

    fn start(&self) -> DlState {
        let cap = self.k + 1;
        let mut cur = [cap; BAND];
        // Row 0: entry t is word prefix i = t - k, at distance i.
        for (t, v) in cur.iter_mut().enumerate().take(self.width()) {
            let i = t as i64 - i64::from(self.k);
            if (0..=self.word.len() as i64).contains(&i) {
                *v = i as u8;
            }
        }
        DlState {
            cur,
            prev: [cap; BAND],
            j: 0,
            last: NO_CHAR,
            partial: 0,
            pending: 0,
        }
    }

    fn is_match(&self, state: &DlState) -> bool {
        self.distance(state).is_some()
    }

    fn can_match(&self, state: &DlState) -> bool {
        // Every entry of the next row is at least the smallest of this row
        // (a transposition's d[j-1][i-2] + 1 is bounded below by d[j][i-1]),
        // so a row above k stays above k.
        state.cur[..self.width()].iter().any(|&d| d <= self.k)
    }

    fn accept(&self, state: &DlState, byte: u8) -> DlState {
        if state.pending == 0 {
            let (partial, pending) = match byte {
                0x00..=0x7F => return self.step(state, u32::from(byte)),
                0xC0..=0xDF => (u32::from(byte & 0x1F), 1),
                0xE0..=0xEF => (u32::from(byte & 0x0F), 2),
                0xF0..=0xF7 => (u32::from(byte & 0x07), 3),
                // A stray continuation byte or no UTF-8 at all.
                _ => return self.step(state, NO_CHAR),
            };
            return DlState {
                partial,
                pending,
                ..*state
            };
        }
        if byte & 0xC0 != 0x80 {
            // A sequence cut short: one malformed character (the byte is dropped).
            return self.step(state, NO_CHAR);
        }
        let partial = state.partial << 6 | u32::from(byte & 0x3F);
        if state.pending == 1 {
            let mut done = *state;
            done.pending = 0;
            self.step(&done, partial)
        } else {
            DlState {
                partial,
                pending: state.pending - 1,
                ..*state
            }
        }
    }
}

/// The optimal-string-alignment distance between `a` and `b`, over
/// characters: the plain full-matrix dynamic programme, for tests and for
/// callers that have two words in hand.
pub fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, v) in d[0].iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use fst::{IntoStreamer, Streamer};
    use proptest::prelude::*;

    /// Runs the automaton over `key`'s bytes: the distance if it matches,
    /// and whether `can_match` ever said no on the way.
    fn run(aut: &DamerauLevenshtein, key: &str) -> (Option<u8>, bool) {
        let mut s = aut.start();
        let mut pruned = !aut.can_match(&s);
        for &b in key.as_bytes() {
            s = aut.accept(&s, b);
            pruned |= !aut.can_match(&s);
        }
        (aut.distance(&s), pruned)
    }

    #[test]
    fn known_distances() {
        for (a, b, d) in [
            ("teh", "the", 1),
            ("goverment", "government", 1),
            ("diplomcy", "diplomacy", 1),
            ("ca", "abc", 3),
            ("café", "cafe", 1),
            ("café", "caéf", 1),
            ("", "ab", 2),
            ("abcd", "badc", 2),
            ("жук", "жку", 1),
        ] {
            assert_eq!(osa_distance(a, b), d, "{a} {b}");
            let aut = DamerauLevenshtein::new(a, 2).unwrap();
            let want = u8::try_from(d).ok().filter(|&d| d <= 2);
            assert_eq!(run(&aut, b).0, want, "{a} {b}");
        }
    }

    #[test]
    fn distances_above_two_are_refused_and_long_words_work() {
        assert!(DamerauLevenshtein::new("word", 3).is_none());
        let long = "é".repeat(300);
        let aut = DamerauLevenshtein::new(&long, 2).unwrap();
        assert_eq!(run(&aut, &long).0, Some(0));
        assert_eq!(run(&aut, &long[2..]).0, Some(1));
        assert_eq!(run(&aut, &long[6..]).0, None);
        assert_eq!(run(&aut, "é").0, None);
    }

    #[test]
    fn malformed_utf8_never_panics() {
        let aut = DamerauLevenshtein::new("ab", 2).unwrap();
        for bytes in [
            &[0xFFu8, 0x80, b'a'][..],
            &[0xE2, b'a', b'b'],
            &[0xF0, 0x9F],
        ] {
            let mut s = aut.start();
            for &b in bytes {
                s = aut.accept(&s, b);
            }
            let _ = aut.is_match(&s);
        }
    }

    fn word() -> impl Strategy<Value = String> {
        // A small alphabet, so near neighbours are common; multi-byte characters included.
        proptest::collection::vec(
            proptest::sample::select(vec!['a', 'b', 'c', 'd', 'é', 'ж', '😀']),
            0..9,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn automaton_agrees_with_the_dp(a in word(), b in word(), k in 0u8..=2) {
            let aut = DamerauLevenshtein::new(&a, k).unwrap();
            let d = osa_distance(&a, &b);
            let (got, pruned) = run(&aut, &b);
            let want = u8::try_from(d).ok().filter(|&d| d <= k);
            prop_assert_eq!(got, want, "{:?} {:?} k={}", a, b, k);
            // Pruning never cuts off a match.
            prop_assert!(!(pruned && want.is_some()));
        }

        #[test]
        fn next_chars_are_the_only_ones_that_keep_a_state_alive(
            a in word(),
            b in word(),
            k in 0u8..=2,
            c in proptest::sample::select(vec!['a', 'b', 'c', 'd', 'é', 'ж', '😀', 'z']),
        ) {
            let aut = DamerauLevenshtein::new(&a, k).unwrap();
            let mut s = aut.start();
            for &byte in b.as_bytes() {
                s = aut.accept(&s, byte);
            }
            if let Some(next) = aut.next_chars(&s) {
                let mut t = s;
                for &byte in c.to_string().as_bytes() {
                    t = aut.accept(&t, byte);
                }
                if !next.as_slice().contains(&u32::from(c)) {
                    prop_assert!(!aut.can_match(&t), "{:?}+{:?} vs {:?} k={}", b, c, a, k);
                }
            }
        }

        #[test]
        fn fst_search_finds_exactly_the_near_keys(
            a in word(),
            keys in proptest::collection::btree_set(word(), 0..60),
            k in 0u8..=2,
        ) {
            let set = fst::Set::from_iter(keys.iter()).unwrap();
            let aut = DamerauLevenshtein::new(&a, k).unwrap();
            let mut stream = set.search(&aut).into_stream();
            let mut found = Vec::new();
            while let Some(key) = stream.next() {
                found.push(String::from_utf8(key.to_vec()).unwrap());
            }
            let want: Vec<String> = keys
                .iter()
                .filter(|key| osa_distance(&a, key) <= usize::from(k))
                .cloned()
                .collect();
            prop_assert_eq!(found, want);
        }
    }
}
