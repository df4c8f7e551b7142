//! Snippets: the passage of a text that best shows a query's terms, with
//! the matches marked.

use std::collections::HashSet;
use std::ops::Range;

use crate::analysis::Analyzer;

/// A passage of a document with the query's matches marked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// The passage, whitespace folded to single spaces, with `…` where text was cut.
    pub text: String,
    /// Byte ranges of `text` that matched a query term, in order.
    pub highlights: Vec<Range<usize>>,
}

/// The passage of at most about `max_chars` characters of `text` holding
/// the most distinct `terms` (then the most matches), with a little context
/// before the first match. Without a match, the start of the text.
pub fn snippet(analyzer: &Analyzer, text: &str, terms: &[String], max_chars: usize) -> Snippet {
    let tokens: Vec<(usize, usize, Option<usize>)> = {
        let mut v = Vec::new();
        analyzer.for_each_token(text, |t| {
            let hit = terms.iter().position(|x| *x == t.term);
            v.push((t.start, t.end, hit));
        });
        v
    };
    // Budget in bytes; the rendering trims by characters.
    let max_bytes = max_chars.max(16) * 2;
    // Best window: starts at a matching token, extends while it fits.
    let mut best: Option<(usize, usize, usize)> = None; // (distinct, matches, start token)
    for (i, &(start, _, hit)) in tokens.iter().enumerate() {
        if hit.is_none() {
            continue;
        }
        let mut seen = HashSet::new();
        let mut matches = 0;
        for &(_, end, h) in &tokens[i..] {
            if end - start > max_bytes / 2 {
                break;
            }
            if let Some(h) = h {
                seen.insert(h);
                matches += 1;
            }
        }
        let key = (seen.len(), matches, i);
        if best.is_none_or(|b| (key.0, key.1) > (b.0, b.1)) {
            best = Some(key);
        }
    }
    // Start a few tokens before the first match so it reads in context.
    let start = match best {
        Some((_, _, i)) => {
            let first = tokens[i].0;
            if text[..first].chars().count() <= max_chars / 3 {
                return render(text, 0, &tokens, max_chars);
            }
            let mut s = first;
            for &(ts, _, _) in tokens[..i].iter().rev() {
                if first - ts > max_bytes / 6 {
                    break;
                }
                s = ts;
            }
            // Prefer starting at a sentence or line start when one is close.
            text[..first]
                .rfind(['.', '\n', '!', '?'])
                .map(|p| p + 1)
                .filter(|&p| p >= s)
                .unwrap_or(s)
        }
        None => 0,
    };
    render(text, start, &tokens, max_chars)
}

/// Folds whitespace and cuts at `max_chars` characters (at a token end when
/// possible), marking matched tokens.
fn render(
    text: &str,
    start: usize,
    tokens: &[(usize, usize, Option<usize>)],
    max_chars: usize,
) -> Snippet {
    let mut out = String::new();
    let mut highlights = Vec::new();
    if start > 0 {
        out.push_str("… ");
    }
    let mut chars = 0usize;
    let mut last_space = true;
    let mut cut_at = text.len();
    let mut tok = tokens.partition_point(|t| t.0 < start);
    let mut at = start;
    let body = &text[start..];
    for (off, c) in body.char_indices() {
        let pos = start + off;
        if pos < at {
            continue;
        }
        if tok < tokens.len() && tokens[tok].0 == pos {
            let (s, e, hit) = tokens[tok];
            let word = &text[s..e];
            let n = word.chars().count();
            if chars + n > max_chars && chars > 0 {
                cut_at = pos;
                break;
            }
            let h0 = out.len();
            out.push_str(word);
            if hit.is_some() {
                highlights.push(h0..out.len());
            }
            chars += n;
            last_space = false;
            at = e;
            tok += 1;
            continue;
        }
        if chars >= max_chars {
            cut_at = pos;
            break;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                chars += 1;
                last_space = true;
            }
        } else {
            out.push(c);
            chars += 1;
            last_space = false;
        }
        at = pos + c.len_utf8();
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    if cut_at < text.len() && !text[cut_at..].trim().is_empty() {
        out.push('…');
    }
    Snippet {
        text: out,
        highlights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(s: &Snippet) -> String {
        let mut out = String::new();
        let mut at = 0;
        for h in &s.highlights {
            out.push_str(&s.text[at..h.start]);
            out.push('[');
            out.push_str(&s.text[h.clone()]);
            out.push(']');
            at = h.end;
        }
        out.push_str(&s.text[at..]);
        out
    }

    fn terms(ts: &[&str]) -> Vec<String> {
        ts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn highlights_stemmed_matches() {
        let a = Analyzer::default();
        let s = snippet(
            &a,
            "The leaders met.  Putin's meetings\nwith Modi ran long.",
            &terms(&["putin", "meet"]),
            200,
        );
        // "met" does not stem to "meet"; the match is near the start, so the snippet starts there.
        assert_eq!(
            marked(&s),
            "The leaders met. [Putin]'s [meetings] with Modi ran long."
        );
        let long = format!("{} Putin spoke.", "Words before. ".repeat(30));
        let s = snippet(&a, &long, &terms(&["putin"]), 100);
        assert_eq!(marked(&s), "… [Putin] spoke.");
    }

    #[test]
    fn picks_the_window_with_most_distinct_terms() {
        let a = Analyzer::default();
        let filler = "lorem ipsum dolor sit amet ".repeat(20);
        let text = format!("alpha here. {filler} Then alpha and beta together. {filler}");
        let s = snippet(&a, &text, &terms(&["alpha", "beta"]), 60);
        assert!(marked(&s).contains("[alpha] and [beta]"), "{}", marked(&s));
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert!(s.text.chars().count() <= 63);
    }

    #[test]
    fn without_a_match_shows_the_start() {
        let a = Analyzer::default();
        let s = snippet(
            &a,
            "First words of the body, and more.",
            &terms(&["zebra"]),
            11,
        );
        assert_eq!(s.text, "First words…");
        assert!(s.highlights.is_empty());
    }

    #[test]
    fn handles_multibyte_text_and_empty_text() {
        let a = Analyzer::default();
        let s = snippet(&a, "Über café — naïve café", &terms(&["café"]), 100);
        assert_eq!(marked(&s), "Über [café] — naïve [café]");
        assert_eq!(snippet(&a, "", &terms(&["x"]), 10).text, "");
    }
}
