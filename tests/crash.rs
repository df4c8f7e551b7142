//! `quarry index`, `quarry merge` and `quarry index --update` killed with
//! SIGKILL at points spread over their run: the index at the output path
//! is always the previous one (still verified, still answering as before)
//! or, once the rename is done, the whole new one; and the next successful
//! run at the same path sweeps the temporaries the killed one left.
#![cfg(unix)]

mod util;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use util::{Rng, Sandbox};

/// Kills per command: 3 × 17 = 51 in all.
const KILLS: usize = 17;

/// The commands are timed, so they run one at a time, not beside each other.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A file of `words` made-up words (the first line is its title).
fn text(rng: &mut Rng, words: u64) -> String {
    let mut t = String::new();
    for i in 0..words {
        t.push_str(&format!("w{}", rng.below(1500) * rng.below(1500) / 1500));
        t.push(if i == 4 { '\n' } else { ' ' });
    }
    t
}

/// Files `dir/fNNNN.txt` for `range`, of about 1 KiB each.
fn files(s: &Sandbox, dir: &str, range: std::ops::Range<usize>, seed: u64) {
    let mut rng = Rng(seed);
    for i in range {
        s.write(&format!("{dir}/f{i:04}.txt"), text(&mut rng, 200));
    }
}

/// One command run to the end, in the sandbox.
fn run_ok(s: &Sandbox, args: &[&str]) {
    s.run(args).expect_code(0);
}

/// What `quarry` answers about the index at `index`: verify, then a
/// fixed query.
fn answer(s: &Sandbox, index: &str) -> String {
    s.run(&["verify", "-i", index]).expect_code(0);
    let r = s.run(&[
        "search", "-i", index, "--json", "-k", "25", "w1", "w7", "w30",
    ]);
    r.expect_code(0);
    r.stdout
}

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// An index file's bytes, the answers it gives, and its path.
struct Known {
    bytes: Vec<u8>,
    answer: String,
}

impl Known {
    fn of(s: &Sandbox, index: &str) -> Known {
        Known {
            bytes: std::fs::read(s.path(index)).unwrap(),
            answer: answer(s, index),
        }
    }
}

/// Kills `args` at [`KILLS`] delays spread evenly over an uninterrupted
/// run, with the `old` index at `index` (in a folder of its own) before
/// each. `new` is what an uninterrupted run leaves there.
fn kill_spread(s: &Sandbox, args: &[&str], index: &str, old: &Known) {
    let path = s.path(index);
    let dir = path.parent().unwrap().to_path_buf();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    // Uninterrupted runs from the old index: how long one takes (the
    // quicker of two, the first may find the files out of the cache),
    // and what it leaves.
    let mut took = std::time::Duration::MAX;
    for _ in 0..2 {
        std::fs::write(&path, &old.bytes).unwrap();
        let t = Instant::now();
        run_ok(s, args);
        took = took.min(t.elapsed());
    }
    let new = Known::of(s, index);
    assert_ne!(new.bytes, old.bytes, "the run must change the index");
    assert_ne!(new.answer, old.answer, "the query must tell them apart");
    let (mut old_after, mut new_after, mut finished, mut with_temps) = (0, 0, 0, 0);
    for k in 0..KILLS {
        std::fs::write(&path, &old.bytes).unwrap();
        let delay = took.mul_f64((k as f64 + 0.5) / KILLS as f64);
        let mut child = Command::new(util::quarry_bin())
            .args(args)
            .current_dir(s.path(""))
            .env("QUARRY_CACHE_DIR", s.path("cache"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start quarry");
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL");
        let status = child.wait().unwrap();
        match status.signal() {
            Some(9) => {}
            None if status.success() => finished += 1,
            _ => panic!("quarry {args:?} killed after {delay:?} ended with {status}"),
        }
        // Never a mix: the old index or, past the rename, the new one.
        let bytes = std::fs::read(&path).unwrap();
        let known = if bytes == old.bytes {
            old_after += 1;
            old
        } else if bytes == new.bytes {
            new_after += 1;
            &new
        } else {
            panic!("killed after {delay:?}: the index is neither the old one nor the new one");
        };
        assert_eq!(answer(s, index), known.answer, "killed after {delay:?}");
        if names(&dir) != std::slice::from_ref(&name) {
            with_temps += 1;
        }
        // The next run at the same path leaves nothing but the index.
        run_ok(s, args);
        assert_eq!(
            names(&dir),
            std::slice::from_ref(&name),
            "after a kill at {delay:?} of {took:?} and a successful run"
        );
        assert!(std::fs::read(&path).unwrap() == new.bytes);
    }
    eprintln!(
        "quarry {}: run {took:?}; {KILLS} kills: old index after {old_after}, \
         new after {new_after} (finished {finished}); temporaries left by {with_temps}",
        if args.contains(&"--update") {
            "index --update"
        } else {
            args[0]
        }
    );
    // A slow moment of a shared machine may push some kills past the end.
    assert!(
        old_after >= KILLS / 3,
        "most kills must come before the rename"
    );
}

/// Several segments (1 MiB chunks with 4 threads in 64M) merged at the end.
const BUILD: [&str; 5] = ["--threads", "4", "--memory", "64M", "-q"];

fn build_args<'a>(inputs: &[&'a str], output: &'a str) -> Vec<&'a str> {
    let mut v = vec!["index"];
    v.extend_from_slice(inputs);
    v.extend(["-o", output]);
    v.extend(BUILD);
    v
}

/// The lock that keeps the timed tests apart.
fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_killed_index_build_leaves_the_previous_index() {
    let _alone = alone();
    let s = Sandbox::new();
    files(&s, "docs", 0..1500, 1);
    files(&s, "small", 0..20, 2);
    std::fs::create_dir(s.path("out")).unwrap();
    run_ok(&s, &build_args(&["small"], "out/i.qidx"));
    let old = Known::of(&s, "out/i.qidx");
    kill_spread(&s, &build_args(&["docs"], "out/i.qidx"), "out/i.qidx", &old);
}

#[test]
fn a_killed_merge_leaves_the_previous_index() {
    let _alone = alone();
    let s = Sandbox::new();
    files(&s, "a", 0..900, 3);
    files(&s, "b", 0..900, 4);
    files(&s, "small", 0..20, 5);
    std::fs::create_dir(s.path("out")).unwrap();
    run_ok(&s, &build_args(&["a"], "a.qidx"));
    run_ok(&s, &build_args(&["b"], "b.qidx"));
    run_ok(&s, &build_args(&["small"], "out/m.qidx"));
    let old = Known::of(&s, "out/m.qidx");
    kill_spread(
        &s,
        &["merge", "a.qidx", "b.qidx", "-o", "out/m.qidx"],
        "out/m.qidx",
        &old,
    );
}

#[test]
fn a_killed_update_leaves_the_previous_index() {
    let _alone = alone();
    let s = Sandbox::new();
    files(&s, "docs", 0..1500, 6);
    std::fs::create_dir(s.path("out")).unwrap();
    let docs = s.path("docs").to_string_lossy().into_owned();
    run_ok(&s, &build_args(&[&docs], "out/u.qidx"));
    let old = Known::of(&s, "out/u.qidx");
    // More than a chunk of files change (in size, so whatever the clock),
    // so the files read again are built in segments; some go, some come.
    let mut rng = Rng(7);
    for i in 300..1250 {
        let p: PathBuf = s.path(&format!("docs/f{i:04}.txt"));
        std::fs::write(&p, text(&mut rng, 210)).unwrap();
    }
    for i in 1300..1330 {
        std::fs::remove_file(s.path(&format!("docs/f{i:04}.txt"))).unwrap();
    }
    files(&s, "docs/new", 0..50, 8);
    let mut args = vec!["index", "--update", "out/u.qidx", &docs];
    args.extend(BUILD);
    kill_spread(&s, &args, "out/u.qidx", &old);
}

/// No process has this id (beyond the kernel's pid range).
const DEAD: u32 = 4_294_967_294;

#[test]
fn a_merge_sweeps_the_temporaries_of_a_killed_merge() {
    let s = Sandbox::new();
    s.write("a.txt", "alpha beta");
    run_ok(&s, &["index", "a.txt", "-o", "a.qidx"]);
    let stale = s.write(&format!(".m.qidx.{DEAD}-0.tmp"), "half an index");
    let foreign = s.write(&format!(".other.qidx.{DEAD}-0.tmp"), "not ours");
    run_ok(&s, &["merge", "a.qidx", "a.qidx", "-o", "m.qidx"]);
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(foreign.exists(), "another output's temporary was removed");
}

#[test]
fn an_update_sweeps_the_segment_temporaries_of_a_killed_update() {
    let s = Sandbox::new();
    s.write("docs/a.txt", "alpha beta");
    run_ok(&s, &["index", "docs", "-o", "u.qidx"]);
    // The segment an update builds is `.u.qidx.PID-N.tmp`; its own
    // temporaries (chunks, and the segment before its rename) are named
    // after it.
    let stale = [
        s.write(&format!("..u.qidx.{DEAD}-0.tmp.{DEAD}-1.tmp"), "a chunk"),
        s.write(&format!(".u.qidx.{DEAD}-0.tmp"), "a segment"),
    ];
    let foreign = s.write(&format!("..u.qidx.{DEAD}-0.tmp"), "not ours");
    s.write("docs/b.txt", "gamma");
    run_ok(&s, &["index", "--update", "u.qidx", "docs"]);
    for p in &stale {
        assert!(!p.exists(), "{} is still there", p.display());
    }
    assert!(
        foreign.exists(),
        "the temporary of output .u.qidx was removed"
    );
}
