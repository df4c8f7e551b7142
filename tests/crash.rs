//! Temporaries of a killed `quarry merge` and `quarry index --update` are
//! swept by the next run at the same path.
#![cfg(unix)]

mod util;

use util::Sandbox;

/// One command run to the end, in the sandbox.
fn run_ok(s: &Sandbox, args: &[&str]) {
    s.run(args).expect_code(0);
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
