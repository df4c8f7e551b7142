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
//! The state is two rows of the distance matrix (the current one and the
//! one before, which a transposition needs), each entry clamped to `k + 1`,
//! and the key's last character. A row whose smallest entry exceeds `k`
//! can only grow, so the search prunes there. The state is a fixed-size
//! value (no allocation per byte), which is why words are limited to
//! [`MAX_WORD_CHARS`] characters.

use fst::Automaton;

/// The largest edit distance the automaton supports.
pub const MAX_DISTANCE: u8 = 2;

/// The longest word, in characters, an automaton can be built for. Surface
/// forms are under 40 bytes, hence under 40 characters, so a longer word is
/// more than two edits from all of them.
pub const MAX_WORD_CHARS: usize = 48;

const ROW: usize = MAX_WORD_CHARS + 1;

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
    /// Distances from the key so far to each prefix of the word (0..=len), clamped to k + 1.
    cur: [u8; ROW],
    /// The same row one key character earlier (for transpositions).
    prev: [u8; ROW],
    /// The key's last whole character, or [`NO_CHAR`].
    last: u32,
    /// The character being assembled from UTF-8 bytes, and how many bytes it still needs.
    partial: u32,
    pending: u8,
}

impl DamerauLevenshtein {
    /// An automaton for the keys within `k` edits of `word`; `None` if `k`
    /// exceeds [`MAX_DISTANCE`] or `word` has more than [`MAX_WORD_CHARS`]
    /// characters.
    pub fn new(word: &str, k: u8) -> Option<DamerauLevenshtein> {
        let word: Vec<u32> = word.chars().map(u32::from).collect();
        (k <= MAX_DISTANCE && word.len() <= MAX_WORD_CHARS)
            .then_some(DamerauLevenshtein { word, k })
    }

    /// The distance of the key that led to `state`, if the key matches.
    pub fn distance(&self, state: &DlState) -> Option<u8> {
        let d = state.cur[self.word.len()];
        (state.pending == 0 && d <= self.k).then_some(d)
    }

    /// The state after one more whole character `c` of the key.
    #[inline]
    fn step(&self, s: &DlState, c: u32) -> DlState {
        let cap = self.k + 1;
        let mut next = DlState {
            cur: [cap; ROW],
            prev: s.cur,
            last: c,
            partial: 0,
            pending: 0,
        };
        next.cur[0] = (s.cur[0] + 1).min(cap);
        for i in 1..=self.word.len() {
            let a = self.word[i - 1];
            let substitute = s.cur[i - 1] + u8::from(a != c);
            let mut v = substitute.min(s.cur[i] + 1).min(next.cur[i - 1] + 1);
            if i >= 2 && a == s.last && self.word[i - 2] == c {
                v = v.min(s.prev[i - 2] + 1);
            }
            next.cur[i] = v.min(cap);
        }
        next
    }
}

impl Automaton for DamerauLevenshtein {
    type State = DlState;

    fn start(&self) -> DlState {
        let cap = self.k + 1;
        let mut cur = [cap; ROW];
        for (i, v) in cur.iter_mut().enumerate().take(self.word.len() + 1) {
            *v = (i.min(usize::from(cap))) as u8;
        }
        DlState {
            cur,
            prev: [cap; ROW],
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
        state.cur[..=self.word.len()].iter().any(|&d| d <= self.k)
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
    for j in 0..=b.len() {
        d[0][j] = j;
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
    fn out_of_range_words_and_distances_are_refused() {
        assert!(DamerauLevenshtein::new("word", 3).is_none());
        assert!(DamerauLevenshtein::new(&"x".repeat(MAX_WORD_CHARS + 1), 1).is_none());
        assert!(DamerauLevenshtein::new(&"é".repeat(MAX_WORD_CHARS), 2).is_some());
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
