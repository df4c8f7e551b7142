//! The build's progress line on a terminal, in the manner of cargo:
//! documents, bytes read of the total, rate and time left, redrawn in
//! place at most ten times a second; nothing when stderr is not a
//! terminal or with `-q`.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use quarry_index::BuildProgress;

use crate::human_bytes;

/// Redraws at most this often.
const EVERY: Duration = Duration::from_millis(100);

pub struct Progress {
    enabled: bool,
    start: Instant,
    last: Option<Instant>,
    /// A line is on screen (and must be cleared before other output).
    shown: bool,
}

impl Progress {
    /// A display, on only when stderr is a terminal and `quiet` is off.
    pub fn new(quiet: bool) -> Progress {
        Progress {
            enabled: !quiet && io::stderr().is_terminal(),
            start: Instant::now(),
            last: None,
            shown: false,
        }
    }

    /// Redraws the line for `p` if it is time to.
    pub fn update(&mut self, p: BuildProgress) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if p.merging == 0 && self.last.is_some_and(|t| now - t < EVERY) {
            return;
        }
        self.last = Some(now);
        let line = if p.merging > 0 {
            format!(
                "merging {} segments of {} documents…",
                p.merging, p.documents
            )
        } else {
            describe(p, now - self.start)
        };
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        self.shown = true;
    }

    /// Clears the line (before a warning, and at the end).
    pub fn clear(&mut self) {
        if self.shown {
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}

/// `indexing 120000 documents, 52.1 MiB of 130.1 MiB (40%), 14.2 MiB/s, 5 s left`.
fn describe(p: BuildProgress, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    let rate = p.bytes_read as f64 / secs;
    let mut line = format!(
        "indexing {} documents, {}",
        p.documents,
        human_bytes(p.bytes_read)
    );
    if p.bytes_total > 0 {
        let done = (p.bytes_read as f64 / p.bytes_total as f64).min(1.0);
        line.push_str(&format!(
            " of {} ({:.0}%)",
            human_bytes(p.bytes_total),
            done * 100.0
        ));
        line.push_str(&format!(", {}/s", human_bytes(rate as u64)));
        if rate > 0.0 && p.bytes_read < p.bytes_total {
            let left = (p.bytes_total - p.bytes_read) as f64 / rate;
            line.push_str(&format!(", {:.0} s left", left.ceil()));
        }
    } else {
        line.push_str(&format!(", {}/s", human_bytes(rate as u64)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_how_far_and_how_long() {
        let p = BuildProgress {
            documents: 1000,
            bytes_read: 50 << 20,
            bytes_total: 100 << 20,
            merging: 0,
        };
        let line = describe(p, Duration::from_secs(5));
        assert_eq!(
            line,
            "indexing 1000 documents, 50.0 MiB of 100.0 MiB (50%), 10.0 MiB/s, 5 s left"
        );
        let unknown = BuildProgress {
            bytes_total: 0,
            ..p
        };
        assert_eq!(
            describe(unknown, Duration::from_secs(5)),
            "indexing 1000 documents, 50.0 MiB, 10.0 MiB/s"
        );
    }
}
