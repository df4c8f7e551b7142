//! An index file truncated in place while `quarry bench` reads it: the
//! mapped pages past the new end raise SIGBUS, which the CLI reports as
//! its usual one-line error with exit code 2 instead of dying silently.
#![cfg(target_os = "linux")]

mod util;

use std::fs::OpenOptions;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use util::{Rng, Sandbox};

const MESSAGE: &str = "quarry: error: the index file was changed while being read; \
                       indexes are replaced by rename, never in place";

/// Documents of made-up words, so every query reads postings all over the file.
fn corpus(s: &Sandbox) {
    let mut rng = Rng(0x5eed_0b05);
    let mut out = String::new();
    for i in 0..6000 {
        let words: Vec<String> = (0..40).map(|_| format!("w{}", rng.below(800))).collect();
        out.push_str(&format!(
            "{{\"id\":\"d{i}\",\"title\":\"{}\",\"body\":\"{}\"}}\n",
            words[..3].join(" "),
            words.join(" ")
        ));
    }
    s.write("c.jsonl", out);
}

/// `n` queries, each of a few words, some phrases and prefixes.
fn queries(s: &Sandbox, n: usize) {
    let mut rng = Rng(7);
    let mut text = String::new();
    for i in 0..n {
        let (a, b, c) = (rng.below(800), rng.below(800), rng.below(80));
        match i % 3 {
            0 => text.push_str(&format!("w{a} w{b}\n")),
            1 => text.push_str(&format!("\"w{a} w{b}\" OR w{c}*\n")),
            _ => text.push_str(&format!("+w{a} w{b} -w{c}\n")),
        }
    }
    s.write("q.txt", text);
}

/// Whether `pid` has a file named `name` memory-mapped.
fn maps(pid: u32, name: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .is_ok_and(|m| m.lines().any(|l| l.ends_with(&format!("/{name}"))))
}

/// Waits for `child` to exit, killing it after `limit`.
fn wait_or_kill(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("quarry bench still running after {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_index_truncated_in_place_during_a_bench_is_one_error_line_and_exit_2() {
    let s = Sandbox::new();
    corpus(&s);
    let mut n = 4000;
    for attempt in 0.. {
        assert!(
            attempt < 5,
            "quarry bench always finished before the truncation"
        );
        // A fresh index each time: the last attempt truncated it.
        s.run(&["index", "c.jsonl", "-o", "live.qidx"])
            .expect_code(0);
        queries(&s, n);
        let mut child = Command::new(util::quarry_bin())
            .current_dir(s.path(""))
            .args(["bench", "-i", "live.qidx", "--queries", "q.txt"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start quarry bench");
        // Truncate once the index is mapped (and so open), or not at all if
        // the bench is already done.
        let start = Instant::now();
        let mut truncated = false;
        while child.try_wait().expect("wait").is_none() {
            if maps(child.id(), "live.qidx") {
                truncate(&s.path("live.qidx"));
                truncated = true;
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "never mapped");
            std::thread::sleep(Duration::from_millis(2));
        }
        let status = wait_or_kill(&mut child, Duration::from_secs(60));
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        if status.success() {
            // Done before the truncation, or before a page past it was
            // touched: again with more work.
            n *= 4;
            continue;
        }
        assert!(truncated, "bench failed before the truncation: {stderr}");
        assert_eq!(
            status.code(),
            Some(2),
            "expected exit 2, got {status} (a bare signal if the SIGBUS is not handled); \
             stderr: {stderr}"
        );
        assert_eq!(stderr, format!("{MESSAGE}\n"));
        return;
    }
}

/// Truncates the file at `p` in place, as `truncate -s 4096` does.
fn truncate(p: &Path) {
    OpenOptions::new()
        .write(true)
        .open(p)
        .and_then(|f| f.set_len(4096))
        .expect("truncate the index");
}
