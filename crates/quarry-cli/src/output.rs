//! Printing: colour only on a terminal (and never with NO_COLOR), plain when
//! piped, and never a control character from a document.

use std::io::IsTerminal;

use quarry::snippet::Snippet;

/// When to colour output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Whether to colour: `Auto` means a terminal without NO_COLOR.
fn colour_on(choice: ColorChoice, no_color: bool, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && terminal,
    }
}

/// Terminal columns `text` takes: wide East Asian characters and emoji
/// count two, combining marks none (a close approximation of
/// `wcwidth`, enough to put a caret under the right character).
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let u = c as u32;
    let combining = matches!(u,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0E31 | 0x0E34..=0x0E3A | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF | 0x200B..=0x200F | 0x20D0..=0x20FF | 0xFE00..=0xFE0F
        | 0xFE20..=0xFE2F);
    if combining {
        return 0;
    }
    let wide = matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// Replaces control characters (but tab) so document text cannot move the
/// cursor, retitle the terminal or clear the screen, and bidirectional
/// and invisible format characters so it cannot show other text than it
/// holds (a right-to-left override reverses what follows it on screen).
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() && c != '\t') || hides_text(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Bidirectional controls (embeddings, overrides, isolates and marks) and
/// the invisible format characters that can hide or disguise text. The
/// zero-width joiner and non-joiner stay: scripts and emoji need them.
fn hides_text(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// Terminal styles, or none.
#[derive(Clone, Copy)]
pub struct Style {
    on: bool,
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "1";
const DIM: &str = "2";
const ID: &str = "35";
const SCORE: &str = "32";
const HIGHLIGHT: &str = "1;31";

impl Style {
    /// The style for stdout under `choice`, the environment and the terminal.
    pub fn new(choice: ColorChoice) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            on: colour_on(choice, no_color, std::io::stdout().is_terminal()),
        }
    }

    /// `text`, cleaned, in the style `code`.
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{}{RESET}", clean(text))
        } else {
            clean(text)
        }
    }

    pub fn dim(&self, t: &str) -> String {
        self.wrap(DIM, t)
    }
    pub fn id(&self, t: &str) -> String {
        self.wrap(ID, t)
    }
    pub fn score(&self, t: &str) -> String {
        self.wrap(SCORE, t)
    }

    /// The snippet with its matches highlighted, plain parts in `base`
    /// (`None`: unstyled), cleaned.
    fn marked(&self, s: &Snippet, base: Option<&str>) -> String {
        let mut out = String::with_capacity(s.text.len() + 16 * s.highlights.len());
        let plain = |out: &mut String, t: &str| match base {
            Some(code) if !t.is_empty() => out.push_str(&self.wrap(code, t)),
            _ => out.push_str(&clean(t)),
        };
        let mut at = 0;
        for h in &s.highlights {
            plain(&mut out, &s.text[at..h.start]);
            out.push_str(&self.wrap(HIGHLIGHT, &s.text[h.clone()]));
            at = h.end;
        }
        plain(&mut out, &s.text[at..]);
        out
    }

    /// A body snippet: matches highlighted.
    pub fn snippet(&self, s: &Snippet) -> String {
        self.marked(s, None)
    }

    /// A title: bold, matches highlighted.
    pub fn title(&self, s: &Snippet) -> String {
        self.marked(s, Some(BOLD))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_width_counts_wide_and_combining_characters() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("東京 x"), 6);
        assert_eq!(display_width("e\u{301}x"), 2);
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_on(ColorChoice::Auto, false, true));
        assert!(
            !colour_on(ColorChoice::Auto, true, true),
            "NO_COLOR wins on a terminal"
        );
        assert!(
            !colour_on(ColorChoice::Auto, false, false),
            "piped output is plain"
        );
        assert!(colour_on(ColorChoice::Always, true, false));
        assert!(!colour_on(ColorChoice::Never, false, true));
    }

    #[test]
    fn control_characters_are_neutralized() {
        assert_eq!(
            clean("a\x1b]0;pwned\x07b\tc\u{9b}d"),
            "a\u{fffd}]0;pwned\u{fffd}b\tc\u{fffd}d"
        );
        let on = Style { on: true };
        assert!(!on.id("\x1b[2J").contains("\x1b[2J"));
    }

    #[test]
    fn bidirectional_and_invisible_characters_are_shown() {
        // "invoice_\u{202e}fdp.exe" would display as "invoice_exe.pdf".
        assert_eq!(clean("invoice_\u{202e}fdp.exe"), "invoice_\u{fffd}fdp.exe");
        for c in [
            '\u{2066}',
            '\u{2069}',
            '\u{200f}',
            '\u{200b}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert_eq!(clean(&format!("a{c}b")), "a\u{fffd}b", "{:?}", c);
        }
        // Joiners stay: emoji sequences and several scripts need them.
        assert_eq!(
            clean("👩\u{200d}💻 می\u{200c}خواهم"),
            "👩\u{200d}💻 می\u{200c}خواهم"
        );
    }

    #[test]
    fn titles_stay_bold_around_highlights() {
        let on = Style { on: true };
        let s = Snippet {
            text: "Putin meets Modi".into(),
            highlights: vec![0..5, 12..16],
        };
        assert_eq!(
            on.title(&s),
            "\x1b[1;31mPutin\x1b[0m\x1b[1m meets \x1b[0m\x1b[1;31mModi\x1b[0m"
        );
        let off = Style { on: false };
        assert_eq!(off.title(&s), "Putin meets Modi");
    }
}
