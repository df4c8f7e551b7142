//! Building with threads and a memory budget: the index's bytes do not
//! depend on them; interrupted and failed builds leave nothing behind.

mod util;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use quarry_index::{build_index_with, BuildOptions, IndexError, MIN_MEMORY};

/// About `mb` MiB of JSON Lines with a vocabulary that grows with the
/// text (made-up words), repeated words and empty titles.
fn corpus(path: &Path, mb: usize, seed: u64) {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = String::new();
    let mut i = 0;
    while out.len() < mb << 20 {
        let words: Vec<String> = (0..(next() % 300 + 1))
            .map(|_| {
                let r = next() % 100_000;
                // Zipf-ish: small numbers far more often.
                format!("w{}", r * r / 100_000 / (1 + next() % 50))
            })
            .collect();
        let title = if i % 5 == 0 {
            String::new()
        } else {
            words[..words.len().min(3)].join(" ")
        };
        out.push_str(&format!(
            "{{\"id\":\"doc-{i}\",\"title\":\"{title}\",\"body\":\"{}\"}}\n",
            words.join(" ")
        ));
        i += 1;
    }
    std::fs::write(path, out).unwrap();
}

fn build(input: &Path, output: &Path, threads: usize, memory: u64) -> Result<Vec<u8>, IndexError> {
    let never = AtomicBool::new(false);
    let options = BuildOptions {
        threads,
        memory,
        ..BuildOptions::default()
    };
    build_index_with(
        &[input.to_path_buf()],
        output,
        &options,
        &never,
        &mut |_| {},
        &mut |_| {},
    )?;
    Ok(std::fs::read(output).unwrap())
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect()
}

#[test]
fn the_index_is_the_same_whatever_the_threads_and_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.jsonl");
    corpus(&input, 6, 7);
    let out = dir.path().join("i.qidx");
    // One chunk, built in memory and written directly.
    let whole = build(&input, &out, 1, 1 << 30).unwrap();
    quarry::Index::open(&out).unwrap().verify().unwrap();
    // The least budget: chunks of about 1 MiB to 4 MiB, segments, merge;
    // with 8 threads, six 1 MiB chunks, more than the four segments the
    // least budget merges at once, so a group is merged first.
    for threads in [1, 2, 3, 8] {
        let got = build(&input, &out, threads, MIN_MEMORY).unwrap();
        assert!(
            got == whole,
            "{threads} threads at the least budget: the bytes differ"
        );
    }
    assert_eq!(temp_files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn text_of_distinct_words_is_cut_into_segments_by_what_it_holds() {
    // 5 MiB of words seen once each: within the least budget's chunk of
    // text (about 7 MiB for one thread), but inverted into many times its
    // size, so the chunk must be cut by what its builder holds to stay
    // within the budget; the bytes stay those of a build in one piece.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("distinct.jsonl");
    let mut x = 99u64;
    let mut out = String::new();
    let mut i = 0;
    while out.len() < 5 << 20 {
        let words: Vec<String> = (0..100)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (0..8)
                    .map(|k| (b'a' + (x >> (5 * k)) as u8 % 26) as char)
                    .collect()
            })
            .collect();
        out.push_str(&format!(
            "{{\"id\":\"d{i}\",\"title\":\"{}\",\"body\":\"{}\"}}\n",
            words[0],
            words[1..].join(" ")
        ));
        i += 1;
    }
    std::fs::write(&input, out).unwrap();
    let out = dir.path().join("i.qidx");
    let whole = build(&input, &out, 1, 1 << 30).unwrap();
    let never = AtomicBool::new(false);
    let options = BuildOptions {
        threads: 1,
        memory: MIN_MEMORY,
        ..BuildOptions::default()
    };
    assert!(options.chunk_bytes() > 5 << 20);
    let mut segments = 0;
    build_index_with(
        std::slice::from_ref(&input),
        &out,
        &options,
        &never,
        &mut |_| {},
        &mut |p| segments = segments.max(p.merging),
    )
    .unwrap();
    assert!(segments >= 2, "{segments} segments");
    assert!(std::fs::read(&out).unwrap() == whole, "the bytes differ");
}

#[test]
fn a_stopped_build_writes_nothing_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.jsonl");
    corpus(&input, 1, 3);
    let out = dir.path().join("i.qidx");
    let before = build(&input, &out, 2, MIN_MEMORY).unwrap();
    let stop = AtomicBool::new(true);
    let options = BuildOptions {
        threads: 2,
        memory: MIN_MEMORY,
        ..BuildOptions::default()
    };
    let err = build_index_with(
        std::slice::from_ref(&input),
        &out,
        &options,
        &stop,
        &mut |_| {},
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, IndexError::Interrupted), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert_eq!(temp_files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn ctrl_c_during_a_build_keeps_the_old_index_and_removes_temporary_files() {
    let s = util::Sandbox::new();
    let input = s.path("c.jsonl");
    corpus(&input, 24, 5);
    let out = s.path("i.qidx");
    s.run(&[
        "index",
        "c.jsonl",
        "-o",
        "i.qidx",
        "--threads",
        "2",
        "--memory",
        "64M",
    ])
    .expect_code(0);
    let before = std::fs::read(&out).unwrap();
    let child = std::process::Command::new(util::quarry_bin())
        .current_dir(s.path(""))
        .args([
            "index",
            "c.jsonl",
            "-o",
            "i.qidx",
            "--threads",
            "2",
            "--memory",
            "64M",
        ])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out_status = child.wait_with_output().unwrap();
    if out_status.status.success() {
        // The build won the race; nothing to check.
        return;
    }
    let err = String::from_utf8_lossy(&out_status.stderr);
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(out_status.status.code(), Some(130));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert_eq!(temp_files(&s.path("")), Vec::<PathBuf>::new());
}

#[test]
fn temporary_files_of_a_killed_build_are_swept_by_the_next() {
    let s = util::Sandbox::new();
    s.write("a.txt", "alpha beta");
    // No process has this id (beyond the kernel's pid range).
    let stale = s.write(".i.qidx.4294967294-0.tmp", "half an index");
    let foreign = s.write(".other.qidx.4294967294-0.tmp", "not ours to remove");
    s.run(&["index", "a.txt", "-o", "i.qidx"]).expect_code(0);
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(
        foreign.exists(),
        "a temporary file of another output was removed"
    );
}

#[test]
fn an_output_directory_that_does_not_exist_is_an_error() {
    let s = util::Sandbox::new();
    s.write("a.txt", "alpha beta");
    s.run(&["index", "a.txt", "-o", "no/such/dir/i.qidx"])
        .expect_error(&["no/such/dir", "no such directory"]);
    assert!(!s.path("no").exists());
}

#[test]
fn standard_input_is_read_as_json_lines_and_repeated_ids_are_warned_of() {
    use std::io::Write;
    let s = util::Sandbox::new();
    let mut child = std::process::Command::new(util::quarry_bin())
        .current_dir(s.path(""))
        .args(["index", "-", "-o", "i.qidx"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"id\":\"a\",\"body\":\"cat dog\"}\n{\"id\":\"b\",\"body\":\"dog\"}\n{\"id\":\"a\",\"body\":\"fish\"}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(standard input):3") && err.contains("\"a\" was used before"),
        "{err}"
    );
    let index = quarry::Index::open(s.path("i.qidx")).unwrap();
    assert_eq!(index.doc_count(), 3);
    // Two folders holding the same relative path: ids are paths as given,
    // so the two files are told apart, and nothing is warned of.
    s.write("m1/a.txt", "hello");
    s.write("m2/a.txt", "world");
    let r = s.run(&["index", "m1", "./m2", "-o", "j.qidx"]);
    r.expect_code(0);
    assert!(!r.stderr.contains("was used before"), "{}", r.stderr);
    let index = quarry::Index::open(s.path("j.qidx")).unwrap();
    let ids: Vec<String> = (0..index.doc_count())
        .map(|d| index.document(d).unwrap().id)
        .collect();
    assert_eq!(ids, ["m1/a.txt", "m2/a.txt"]);
}

#[test]
fn update_from_the_command_line_reports_what_changed() {
    let s = util::Sandbox::new();
    s.write("d/a.txt", "A\nalpha");
    s.write("d/b.txt", "B\nbeta");
    s.run(&["index", "d", "-o", "i.qidx"]).expect_code(0);
    let r = s.run(&["index", "--update", "i.qidx", "d"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("is up to date: 2 unchanged files"),
        "{}",
        r.stdout
    );
    std::fs::remove_file(s.path("d/a.txt")).unwrap();
    s.write("d/c.txt", "C\ngamma");
    let r = s.run(&["index", "--update", "i.qidx", "d"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("1 added, 0 changed, 1 removed, 1 unchanged files"),
        "{}",
        r.stdout
    );
    let hits = s.run(&["search", "-i", "i.qidx", "--json", "gamma alpha"]);
    let ids: Vec<serde_json::Value> = hits.json_lines().iter().map(|h| h["id"].clone()).collect();
    assert_eq!(ids, ["d/c.txt"]);
    // -o and --update together, and standard input, are refused.
    s.run(&["index", "--update", "i.qidx", "d", "-o", "j.qidx"])
        .expect_code(2);
    s.run(&["index", "--update", "i.qidx", "-"])
        .expect_error(&["i.qidx", "standard input"]);
}
