//! Splits query text into tokens: operators, parentheses, field prefixes
//! and terms (words, prefixes, fuzzy words and phrases, with their `~` and
//! `^` modifiers already read).
//!
//! Lucene's other operator spellings are read as its classic parser does:
//! `&&` and `||` written as tokens of their own are `AND` and `OR` (inside
//! a word, as in `c&&d`, they are text), and `!` starting a token is `NOT`
//! (`yahoo!` is a word). Lucene syntax Quarry does not support is an
//! error, never words: the `?` wildcard (in a word with a letter or digit;
//! `?!` alone has nothing to search for), ranges `[a TO b]` and
//! `{a TO b}`, and regular expressions `/re/`.

use super::syntax::{FieldName, LeafKind, Span, SyntaxError};

/// The largest phrase slop accepted (`"a b"~1000`).
pub(crate) const MAX_SLOP: u32 = 1000;
/// The largest boost accepted.
pub(crate) const MAX_BOOST: f64 = 1e6;

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TokKind {
    /// A word, prefix, fuzzy word or phrase, and its boost.
    Term {
        kind: LeafKind,
        boost: Option<f64>,
    },
    /// `title:` or `body:`, directly followed by a term or `(`.
    Field(FieldName),
    LParen,
    /// `)` and the boost of the group it closes.
    RParen {
        boost: Option<f64>,
    },
    Plus,
    Minus,
    And,
    Or,
    Not,
}

/// A token and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: TokKind,
    pub span: Span,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}')
}

/// Characters that end a word.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || is_quote(c) || matches!(c, '(' | ')' | ':' | '^' | '~') || is_range(c)
}

/// Characters that open or close a Lucene range, which is not supported.
fn is_range(c: char) -> bool {
    matches!(c, '[' | ']' | '{' | '}')
}

/// Characters that end the number after `~` or `^`.
fn ends_number(c: char) -> bool {
    c.is_whitespace() || is_quote(c) || matches!(c, '(' | ')' | '^' | '~') || is_range(c)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    out: Vec<Token>,
}

fn err<T>(message: impl Into<String>, start: usize, end: usize) -> Result<T, SyntaxError> {
    Err(SyntaxError::new(message, Span::new(start, end)))
}

/// Splits `src` into tokens.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        out: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.out)
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn push(&mut self, kind: TokKind, start: usize) {
        self.out.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    fn run(&mut self) -> Result<(), SyntaxError> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.bump();
                continue;
            }
            match c {
                '(' => {
                    self.bump();
                    self.push(TokKind::LParen, start);
                }
                ')' => {
                    self.bump();
                    if self.peek() == Some('~') {
                        return err(
                            "`~` cannot follow a group; put it after a word (`word~1`) \
                             or a phrase (`\"a b\"~2`)",
                            self.pos,
                            self.pos + 1,
                        );
                    }
                    let boost = self.read_boost(false)?;
                    self.push(TokKind::RParen { boost }, start);
                }
                '+' | '-' => {
                    self.bump();
                    match self.peek() {
                        None => return self.lone_operator(c, start),
                        Some(n) if n.is_whitespace() => return self.lone_operator(c, start),
                        _ => {}
                    }
                    let kind = if c == '+' {
                        TokKind::Plus
                    } else {
                        TokKind::Minus
                    };
                    self.push(kind, start);
                }
                '^' => {
                    return err(
                        "`^` (a boost) must directly follow a word, phrase or `)`, as in \
                         `climate^2`; write `\\^` to search for it",
                        start,
                        start + 1,
                    )
                }
                '~' => {
                    return err(
                        "`~` must directly follow a word (`word~1`) or a phrase \
                         (`\"a b\"~2`); write `\\~` to search for it",
                        start,
                        start + 1,
                    )
                }
                ':' => {
                    return err(
                        "`:` must follow a field name (`title:` or `body:`); \
                         write `\\:` to search for a colon",
                        start,
                        start + 1,
                    )
                }
                '!' => {
                    self.bump();
                    self.push(TokKind::Not, start);
                }
                c if is_range(c) => {
                    return err(
                        format!(
                            "ranges (`[a TO b]`, `{{a TO b}}`) are not supported; \
                             write `\\{c}` to search for `{c}`"
                        ),
                        start,
                        start + 1,
                    )
                }
                '/' => {
                    return err(
                        "regular expressions (`/regex/`) are not supported; \
                         write `\\/` to search for a `/`",
                        start,
                        start + 1,
                    )
                }
                c if is_quote(c) => self.phrase()?,
                _ => self.word()?,
            }
        }
        Ok(())
    }

    fn lone_operator(&self, op: char, start: usize) -> Result<(), SyntaxError> {
        let what = if op == '-' {
            "what to exclude, as in `climate -policy`"
        } else {
            "what to require, as in `+climate policy`"
        };
        err(
            format!(
                "a lone `{op}` must be directly followed (no space) by {what}; \
                 write `\\{op}` to search for it"
            ),
            start,
            start + 1,
        )
    }

    /// A phrase, from its opening quote, and its `~slop` and `^boost`.
    fn phrase(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => {
                    return err(
                        "this quote is never closed; end the phrase with `\"`, \
                         or write `\\\"` to search for a quote",
                        start,
                        start + self.src[start..].chars().next().map_or(1, char::len_utf8),
                    )
                }
                Some('\\') => match self.bump() {
                    Some(c) => text.push(c),
                    None => continue,
                },
                Some(c) if is_quote(c) => break,
                Some(c) => text.push(c),
            }
        }
        if text.trim().is_empty() {
            return err(
                "an empty phrase has nothing to search for; put words between the quotes",
                start,
                self.pos,
            );
        }
        let mut slop = 0;
        if self.peek() == Some('~') {
            let at = self.pos;
            self.bump();
            let n = self.number_text();
            slop = match n.parse::<u32>() {
                Ok(s) if s <= MAX_SLOP && n.bytes().all(|b| b.is_ascii_digit()) => s,
                _ => {
                    return err(
                        format!(
                            "`~{n}` after a phrase must be a whole number of moves \
                             from 0 to {MAX_SLOP}, as in `\"a b\"~2`"
                        ),
                        at,
                        self.pos,
                    )
                }
            };
        }
        if self.peek() == Some('*') {
            return err(
                "a phrase cannot end in `*`; only a single word can (`clim*`)",
                self.pos,
                self.pos + 1,
            );
        }
        let boost = self.read_boost(true)?;
        self.push(
            TokKind::Term {
                kind: LeafKind::Phrase { text, slop },
                boost,
            },
            start,
        );
        Ok(())
    }

    /// The text up to the end of a `~` or `^` number.
    fn number_text(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if ends_number(c) {
                break;
            }
            self.bump();
        }
        &self.src[start..self.pos]
    }

    /// Reads `^boost` if it comes next. `after_term` says whether a `~`
    /// written after the boost belongs before it.
    fn read_boost(&mut self, after_term: bool) -> Result<Option<f64>, SyntaxError> {
        if self.peek() != Some('^') {
            return Ok(None);
        }
        let at = self.pos;
        self.bump();
        let n = self.number_text();
        let value = n.parse::<f64>().ok().filter(|v| {
            n.starts_with(|c: char| c.is_ascii_digit() || c == '.')
                && v.is_finite()
                && *v > 0.0
                && *v <= MAX_BOOST
        });
        let Some(value) = value else {
            let message = if n.is_empty() {
                "`^` must be followed by a boost, a number above 0 and at most 1000000 \
                 (as in `word^2`); write `\\^` to search for it"
                    .to_string()
            } else {
                format!(
                    "the boost `^{n}` must be a number above 0 and at most 1000000, \
                     as in `word^2` or `word^0.5`"
                )
            };
            return err(message, at, self.pos);
        };
        match self.peek() {
            Some('~') if after_term => err(
                "write `~` before the boost, as in `word~1^2`",
                self.pos,
                self.pos + 1,
            ),
            Some('^') => err("only one boost `^` is allowed", self.pos, self.pos + 1),
            Some('~') => err("`~` cannot follow a boost", self.pos, self.pos + 1),
            _ => Ok(Some(value)),
        }
    }

    /// A word, a field prefix or an operator.
    fn word(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let after_field = matches!(
            self.out.last(),
            Some(Token { kind: TokKind::Field(_), span }) if span.end == start
        );
        let mut text = String::new();
        let mut escaped = false;
        // Byte offsets, in `src`, of unescaped `*`, and of the first `?`.
        let mut stars: Vec<usize> = Vec::new();
        let mut question = None;
        while let Some(c) = self.peek() {
            if ends_word(c) {
                break;
            }
            let at = self.pos;
            self.bump();
            if c == '\\' {
                let Some(next) = self.bump() else {
                    return err(
                        "a `\\` at the end escapes nothing; write `\\\\` to search for a backslash",
                        at,
                        self.pos,
                    );
                };
                escaped = true;
                text.push(next);
                continue;
            }
            if c == '*' {
                stars.push(at);
            }
            if c == '?' {
                question.get_or_insert(at);
            }
            text.push(c);
        }
        let raw = &self.src[start..self.pos];
        let next = self.peek();
        if !escaped && !after_field {
            let op = match raw {
                "AND" => Some(TokKind::And),
                "OR" => Some(TokKind::Or),
                "NOT" => Some(TokKind::Not),
                "&&" => Some(TokKind::And),
                "||" => Some(TokKind::Or),
                _ => None,
            };
            if let Some(op) = op {
                if matches!(next, Some(':' | '^' | '~')) {
                    return err(
                        format!("`{raw}` is an operator; to search for the word, write `\\{raw}`"),
                        start,
                        self.pos + 1,
                    );
                }
                self.push(op, start);
                return Ok(());
            }
        }
        if next == Some(':') {
            return self.field(raw, start, after_field);
        }
        // A `?` in a word with nothing searchable (`?!`) is punctuation: the
        // analyzer drops the word, so reading it as text changes nothing.
        if let Some(at) = question.filter(|_| text.chars().any(char::is_alphanumeric)) {
            return err(
                "`?` is a wildcard, and wildcards are not supported (only a trailing `*`, \
                 as in `clim*`); write `\\?` to search for a question mark, or use \
                 `--literal` for pasted text",
                at,
                at + 1,
            );
        }
        let kind = self.classify(text, &stars, start)?;
        let kind = self.fuzzy(kind)?;
        let boost = self.read_boost(true)?;
        self.push(TokKind::Term { kind, boost }, start);
        Ok(())
    }

    /// `name:` at `start`, with `self.pos` at the colon.
    fn field(&mut self, raw: &str, start: usize, after_field: bool) -> Result<(), SyntaxError> {
        self.bump();
        let Some(field) = FieldName::from_name(raw) else {
            return err(
                format!(
                    "unknown field `{raw}`; the fields are `title` and `body` \
                     (write `\\:` to search for a colon, as in `{raw}\\:`, \
                     or use `--literal` for pasted text)"
                ),
                start,
                self.pos,
            );
        };
        if after_field {
            return err(
                "a field cannot follow another field directly; write one, as in `title:word`",
                start,
                self.pos,
            );
        }
        match self.peek() {
            None => {
                return err(
                    format!("nothing after `{raw}:`; write `{raw}:word` with no space"),
                    start,
                    self.pos,
                )
            }
            Some(c) if c.is_whitespace() || c == ')' => {
                return err(
                    format!("nothing after `{raw}:`; write `{raw}:word` with no space"),
                    start,
                    self.pos,
                )
            }
            Some(c @ ('+' | '-' | '!')) => {
                return err(
                    format!("put `{c}` before the field, as in `{c}{raw}:word`"),
                    self.pos,
                    self.pos + 1,
                )
            }
            _ => {}
        }
        self.push(TokKind::Field(field), start);
        Ok(())
    }

    /// A word, or a prefix when its only unescaped `*` ends it.
    fn classify(
        &self,
        text: String,
        stars: &[usize],
        start: usize,
    ) -> Result<LeafKind, SyntaxError> {
        let Some(&first) = stars.first() else {
            return Ok(LeafKind::Word(text));
        };
        if self.pos - start == 1 {
            return err(
                "a lone `*` is not supported; only a trailing `*` after some letters \
                 is, as in `clim*` (write `\\*` to search for it)",
                first,
                first + 1,
            );
        }
        if stars.len() == 1 && first + 1 == self.pos {
            let mut text = text;
            text.pop();
            return Ok(LeafKind::Prefix(text));
        }
        err(
            "wildcards are not supported; only a trailing `*` is, as in `clim*` \
             (write `\\*` to search for it)",
            first,
            first + 1,
        )
    }

    /// Reads `~distance` after a word, if it comes next.
    fn fuzzy(&mut self, kind: LeafKind) -> Result<LeafKind, SyntaxError> {
        if self.peek() != Some('~') {
            return Ok(kind);
        }
        let at = self.pos;
        let word = match kind {
            LeafKind::Word(w) => w,
            _ => {
                return err(
                    "`*` and `~` cannot be combined; write either `clim*` or `climate~1`",
                    at,
                    at + 1,
                )
            }
        };
        self.bump();
        let n = self.number_text();
        let distance = match n {
            "" => 2,
            "0" => 0,
            "1" => 1,
            "2" => 2,
            _ if n.bytes().all(|b| b.is_ascii_digit()) => {
                return err(
                    format!("fuzzy distance `~{n}` is too large; the maximum is 2"),
                    at,
                    self.pos,
                )
            }
            _ if n.starts_with(|c: char| c.is_ascii_digit() || c == '.')
                && n.parse::<f64>().is_ok() =>
            {
                return err(
                    format!(
                        "`~{n}`: Lucene's old fractional similarity is not supported; \
                         write an edit distance 0, 1 or 2, as in `word~1`"
                    ),
                    at,
                    self.pos,
                )
            }
            _ => {
                return err(
                    format!(
                        "`~{n}` is not an edit distance; write `~0`, `~1` or `~2` \
                         (or `\\~` to search for it)"
                    ),
                    at,
                    self.pos,
                )
            }
        };
        Ok(LeafKind::Fuzzy { word, distance })
    }
}

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
