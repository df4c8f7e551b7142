//! Text analysis: the one definition of how text becomes terms, used by the
//! indexer when it writes and by the engine when it parses queries.
//!
//! Tokens are maximal runs of characters for which [`char::is_alphanumeric`]
//! is true. A token of [`MAX_TOKEN_BYTES`] bytes or more (measured before
//! lowercasing) is dropped but still takes its position. Kept tokens are
//! lowercased (Unicode, character by character) and stemmed with the Snowball stemmer of the
//! analyzer's [`Language`]. This matches tantivy's `en_stem` analyzer.

use std::borrow::Cow;
use std::fmt;

use rust_stemmers::{Algorithm, Stemmer};

/// Tokens of this many bytes or more are dropped (they still take a position).
pub const MAX_TOKEN_BYTES: usize = 40;

/// A Snowball stemming language.
///
/// The index records its language by [`Language::name`], so the engine
/// analyzes queries exactly as the indexer analyzed documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Language {
    /// Snowball English (Porter 2).
    English,
}

impl Language {
    /// The stable name written into index files.
    pub fn name(self) -> &'static str {
        match self {
            Language::English => "english",
        }
    }

    /// The language with this stable name, if this build knows it.
    pub fn from_name(name: &str) -> Option<Language> {
        match name {
            "english" => Some(Language::English),
            _ => None,
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Language::English => Algorithm::English,
        }
    }
}

/// One analyzed token: its term, its position in the field and where it
/// stands in the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The term after lowercasing and stemming.
    pub term: Cow<'a, str>,
    /// Position in the field: 0, 1, 2, … counting dropped tokens too.
    pub position: u32,
    /// Byte offset of the token's first byte in the original text.
    pub start: usize,
    /// Byte offset just past the token in the original text.
    pub end: usize,
}

/// Turns text into terms. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Analyzer {
    language: Language,
    stemmer: std::sync::Arc<Stemmer>,
}

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analyzer")
            .field("language", &self.language)
            .finish()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new(Language::English)
    }
}

impl Analyzer {
    /// An analyzer that stems with `language`.
    pub fn new(language: Language) -> Analyzer {
        Analyzer {
            language,
            stemmer: std::sync::Arc::new(Stemmer::create(language.algorithm())),
        }
    }

    /// The stemming language.
    pub fn language(&self) -> Language {
        self.language
    }

    /// Calls `emit` for every kept token of `text`, in order.
    pub fn for_each_token<'t>(&self, text: &'t str, mut emit: impl FnMut(Token<'t>)) {
        for_each_raw_token(text, |raw, position, start| {
            emit(Token {
                term: self.normalize(raw),
                position,
                start,
                end: start + raw.len(),
            })
        });
    }

    /// All kept tokens of `text`.
    pub fn tokens<'t>(&self, text: &'t str) -> Vec<Token<'t>> {
        let mut out = Vec::new();
        self.for_each_token(text, |t| out.push(t));
        out
    }

    /// Lowercases and stems one raw token (a run of alphanumeric characters):
    /// [`Analyzer::stem`] of [`lowercase`].
    pub fn normalize<'t>(&self, raw: &'t str) -> Cow<'t, str> {
        match lowercase(raw) {
            Cow::Borrowed(s) => self.stem(s),
            Cow::Owned(s) => Cow::Owned(self.stem(&s).into_owned()),
        }
    }

    /// Stems an already lowercased token: the second half of
    /// [`Analyzer::normalize`]. Turns a surface form (see [`lowercase`]) into
    /// the term the index holds for it.
    pub fn stem<'t>(&self, lower: &'t str) -> Cow<'t, str> {
        self.stemmer.stem(lower)
    }
}

/// The *surface form* of a raw token: lowercased character by character
/// (Unicode `to_lowercase`), not stemmed. The first half of
/// [`Analyzer::normalize`]; the SURFACE section holds these forms.
pub fn lowercase(raw: &str) -> Cow<'_, str> {
    if raw.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(raw)
    } else if raw.is_ascii() {
        Cow::Owned(raw.to_ascii_lowercase())
    } else {
        // Character by character, as tantivy's `en_stem` does: no
        // context-sensitive rules (a word-final capital sigma becomes σ, not ς).
        Cow::Owned(raw.chars().flat_map(char::to_lowercase).collect())
    }
}

/// Calls `emit(raw, position, start)` for every kept token of `text` before
/// normalization: the tokenizer and the length filter alone. A caller that
/// caches [`Analyzer::normalize`] by raw form (the indexer does) gets the
/// same terms as [`Analyzer::for_each_token`].
pub fn for_each_raw_token<'t>(text: &'t str, mut emit: impl FnMut(&'t str, u32, usize)) {
    let mut position: u32 = 0;
    for (start, end) in Spans::new(text) {
        let raw = &text[start..end];
        if raw.len() < MAX_TOKEN_BYTES {
            emit(raw, position, start);
        }
        position = position.saturating_add(1);
    }
}

/// Byte spans of maximal alphanumeric runs.
struct Spans<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Spans<'t> {
    fn new(text: &'t str) -> Self {
        Spans { text, at: 0 }
    }
}

impl Iterator for Spans<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let start = self.first_where_not(false)?;
        self.at = start;
        let end = self.first_where_not(true).unwrap_or(self.text.len());
        self.at = end;
        Some((start, end))
    }
}

impl Spans<'_> {
    /// The offset, from `at` on, of the first character whose
    /// [`char::is_alphanumeric`] differs from `alphanumeric` (`None` at
    /// the end). ASCII bytes are classified without decoding, by table.
    #[inline]
    fn first_where_not(&self, alphanumeric: bool) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let same = u8::from(alphanumeric);
        let mut i = self.at;
        loop {
            while i < bytes.len() && ASCII_CLASS[usize::from(bytes[i])] == same {
                i += 1;
            }
            let &b = bytes.get(i)?;
            if ASCII_CLASS[usize::from(b)] != NOT_ASCII {
                return Some(i);
            }
            // `i` is on a character boundary: ASCII bytes and whole
            // characters are all this loop steps over.
            let c = self.text[i..].chars().next()?;
            if c.is_alphanumeric() != alphanumeric {
                return Some(i);
            }
            i += c.len_utf8();
        }
    }
}

/// [`ASCII_CLASS`] of a byte that is not ASCII.
const NOT_ASCII: u8 = 2;

/// Per byte: 1 for an ASCII letter or digit, 0 for other ASCII, and
/// [`NOT_ASCII`] for the bytes of longer characters.
static ASCII_CLASS: [u8; 256] = {
    let mut t = [NOT_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8).is_ascii_alphanumeric() as u8;
        b += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<(String, u32)> {
        Analyzer::default()
            .tokens(text)
            .into_iter()
            .map(|t| (t.term.into_owned(), t.position))
            .collect()
    }

    #[test]
    fn splits_on_non_alphanumeric_and_stems() {
        assert_eq!(
            terms("Running runners ran, quickly!"),
            vec![
                ("run".into(), 0),
                ("runner".into(), 1),
                ("ran".into(), 2),
                ("quick".into(), 3)
            ]
        );
    }

    #[test]
    fn apostrophes_and_punctuation_split_tokens() {
        // "Putin’s" is two tokens: the curly apostrophe is not alphanumeric.
        assert_eq!(
            terms("Putin’s U.S.-led"),
            vec![
                ("putin".into(), 0),
                ("s".into(), 1),
                ("u".into(), 2),
                ("s".into(), 3),
                ("led".into(), 4)
            ]
        );
    }

    #[test]
    fn long_tokens_are_dropped_but_keep_their_position() {
        let long = "a".repeat(MAX_TOKEN_BYTES);
        let just_short = "b".repeat(MAX_TOKEN_BYTES - 1);
        let text = format!("one {long} two {just_short}");
        let got = terms(&text);
        assert_eq!(got[0], ("one".into(), 0));
        assert_eq!(got[1], ("two".into(), 2));
        assert_eq!(got[2].1, 3);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn length_limit_is_measured_in_bytes_before_lowercasing() {
        // 20 two-byte characters = 40 bytes: dropped.
        let cyrillic = "Ж".repeat(20);
        assert!(terms(&cyrillic).is_empty());
        // 19 of them = 38 bytes: kept, lowercased.
        let kept = terms(&"Ж".repeat(19));
        assert_eq!(kept[0].0, "ж".repeat(19));
    }

    #[test]
    fn unicode_lowercasing_and_digits() {
        assert_eq!(
            terms("ÉCOLE 2024 Straße"),
            vec![
                ("école".into(), 0),
                ("2024".into(), 1),
                ("straße".into(), 2)
            ]
        );
    }

    #[test]
    fn lowercasing_is_per_character_like_tantivy() {
        // str::to_lowercase would turn the final Σ into ς; tantivy does not.
        assert_eq!(terms("ΟΔΟΣ"), vec![("οδοσ".into(), 0)]);
        assert_eq!(terms("οδοσ"), terms("ΟΔΟΣ"));
    }

    #[test]
    fn raw_tokens_normalized_equal_the_analyzed_tokens() {
        // The indexer caches normalize() by raw form; the terms must not change.
        let a = Analyzer::default();
        let text = format!("Running ΟΔΟΣ {} U.S.-led runs Straße 2024 ", "x".repeat(45));
        let mut raw = Vec::new();
        for_each_raw_token(&text, |r, p, s| {
            raw.push((a.normalize(r).into_owned(), p, s, s + r.len()))
        });
        let analyzed: Vec<_> = a
            .tokens(&text)
            .into_iter()
            .map(|t| (t.term.into_owned(), t.position, t.start, t.end))
            .collect();
        assert_eq!(raw, analyzed);
    }

    #[test]
    fn spans_are_the_maximal_alphanumeric_runs() {
        // The byte-level scan against the definition, character by character.
        let texts = [
            "",
            "a",
            " a ",
            "Ünïcødé—mixed 123 ab\u{0301}c d\u{200b}e ΟΔΟΣ 中文字 x",
            "\u{10FFFF}z9 !!",
        ];
        for text in texts {
            let mut want = Vec::new();
            let mut run: Option<usize> = None;
            for (i, c) in text.char_indices() {
                match (c.is_alphanumeric(), run) {
                    (true, None) => run = Some(i),
                    (false, Some(s)) => {
                        want.push((s, i));
                        run = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = run {
                want.push((s, text.len()));
            }
            assert_eq!(Spans::new(text).collect::<Vec<_>>(), want, "{text:?}");
        }
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "  Hello, Wörld!";
        for t in Analyzer::default().tokens(text) {
            let raw = &text[t.start..t.end];
            assert!(raw.chars().all(char::is_alphanumeric), "{raw:?}");
        }
        let toks = Analyzer::default().tokens(text);
        assert_eq!(&text[toks[1].start..toks[1].end], "Wörld");
    }

    #[test]
    fn empty_and_separator_only_text_has_no_tokens() {
        assert!(terms("").is_empty());
        assert!(terms(" ,.;—\n\t").is_empty());
    }

    #[test]
    fn language_names_round_trip() {
        assert_eq!(Language::from_name("english"), Some(Language::English));
        assert_eq!(
            Language::from_name(Language::English.name()),
            Some(Language::English)
        );
        assert_eq!(Language::from_name("klingon"), None);
    }
}
