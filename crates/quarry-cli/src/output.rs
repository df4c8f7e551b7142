//! Printing: colour only on a terminal (and never with NO_COLOR), plain when piped.

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

/// Terminal styles, or none.
#[derive(Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    pub fn new(choice: ColorChoice) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let on = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        Style { on }
    }

    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
    pub fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    pub fn id(&self, t: &str) -> String {
        self.wrap("35", t)
    }
    pub fn score(&self, t: &str) -> String {
        self.wrap("32", t)
    }
    pub fn highlight(&self, t: &str) -> String {
        self.wrap("1;31", t)
    }

    /// The snippet with its matches highlighted (plain text when colour is off).
    pub fn snippet(&self, s: &Snippet) -> String {
        let mut out = String::with_capacity(s.text.len() + 16 * s.highlights.len());
        let mut at = 0;
        for h in &s.highlights {
            out.push_str(&s.text[at..h.start]);
            out.push_str(&self.highlight(&s.text[h.clone()]));
            at = h.end;
        }
        out.push_str(&s.text[at..]);
        out
    }
}
