//! `quarry index --update`: after any mix of added, changed, touched and
//! removed files, the updated index is byte-identical to a fresh build of
//! the files as they are, and it reads only what changed.

mod util;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use quarry_index::{BuildOptions, IndexError, UpdateSummary};
use util::{Rng, Sandbox};

const WORDS: [&str; 12] = [
    "alpha", "beta", "gamma", "delta", "sea", "seas", "ship", "shipping", "run", "running", "gold",
    "golden",
];

fn text(rng: &mut Rng) -> String {
    let n = 1 + rng.below(30) as usize;
    let body: Vec<&str> = (0..n).map(|_| WORDS[rng.below(12) as usize]).collect();
    format!("{}\n{}\n", WORDS[rng.below(12) as usize], body.join(" "))
}

/// Writes `contents` to `path` with a modification time of its own, so
/// that a change is seen even where the clock is coarse.
fn write_at(path: &Path, contents: &str, tick: &mut u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
    *tick += 1;
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + *tick);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn options(memory_small: bool) -> BuildOptions {
    BuildOptions {
        threads: 2,
        // The least budget: past about 1 MiB of text, segments and a merge.
        memory: if memory_small {
            quarry_index::MIN_MEMORY
        } else {
            1 << 30
        },
        ..BuildOptions::default()
    }
}

fn update(index: &Path, inputs: &[PathBuf]) -> Result<UpdateSummary, IndexError> {
    update_with(index, inputs, &options(false), false)
}

/// An update with `options`, its stop flag set from the start if `stopped`.
fn update_with(
    index: &Path,
    inputs: &[PathBuf],
    options: &BuildOptions,
    stopped: bool,
) -> Result<UpdateSummary, IndexError> {
    quarry_index::update_index(
        index,
        inputs,
        options,
        &AtomicBool::new(stopped),
        &mut |_| {},
        &mut |_| {},
    )
}

fn fresh(inputs: &[PathBuf], output: &Path) -> Vec<u8> {
    quarry_index::build_index_with(
        inputs,
        output,
        &options(false),
        &AtomicBool::new(false),
        &mut |_| {},
        &mut |_| {},
    )
    .unwrap();
    std::fs::read(output).unwrap()
}

#[test]
fn an_update_is_the_fresh_build_of_the_files_as_they_are() {
    let s = Sandbox::new();
    let mut rng = Rng(7);
    let mut tick = 0;
    let dir = s.path("docs");
    let jsonl = s.path("extra.jsonl");
    let mut names: Vec<String> = (0..60).map(|i| format!("f{i:03}.txt")).collect();
    for n in &names {
        write_at(&dir.join(n), &text(&mut rng), &mut tick);
    }
    let lines = |rng: &mut Rng| -> String {
        (0..5)
            .map(|i| format!("{{\"id\":\"j{i}\",\"body\":{:?}}}\n", text(rng)))
            .collect()
    };
    write_at(&jsonl, &lines(&mut rng), &mut tick);
    let inputs = vec![dir.clone(), jsonl.clone()];
    let index = s.path("i.qidx");
    fresh(&inputs, &index);
    for round in 0..12 {
        let (mut added, mut changed, mut removed) = (0, 0, 0);
        for _ in 0..1 + rng.below(6) {
            match rng.below(4) {
                0 => {
                    let n = format!("sub{}/n{round}_{}.md", rng.below(3), rng.below(1000));
                    if !names.contains(&n) {
                        write_at(&dir.join(&n), &text(&mut rng), &mut tick);
                        names.push(n);
                        added += 1;
                    }
                }
                1 if names.len() > 1 => {
                    let n = names.remove(rng.below(names.len() as u64) as usize);
                    std::fs::remove_file(dir.join(n)).unwrap();
                    removed += 1;
                }
                2 => {
                    // Same bytes, new time: read again, same documents.
                    let n = &names[rng.below(names.len() as u64) as usize];
                    let old = std::fs::read_to_string(dir.join(n)).unwrap();
                    write_at(&dir.join(n), &old, &mut tick);
                    changed += 1;
                }
                _ => {
                    let n = &names[rng.below(names.len() as u64) as usize];
                    write_at(&dir.join(n), &text(&mut rng), &mut tick);
                    changed += 1;
                }
            }
        }
        if round % 4 == 3 {
            write_at(&jsonl, &lines(&mut rng), &mut tick);
        }
        let before = std::fs::read(&index).unwrap();
        let summary = update(&index, &inputs).unwrap();
        let want = fresh(&inputs, &s.path("fresh.qidx"));
        assert!(
            std::fs::read(&index).unwrap() == want,
            "round {round}: the update differs from a fresh build ({summary:?})"
        );
        // Files changed twice in a round count once.
        assert!(
            summary.added <= added && summary.removed <= removed,
            "{summary:?}"
        );
        assert!(summary.updated <= changed + 1, "{summary:?}");
        assert_eq!(
            summary.unchanged + summary.added + summary.updated,
            names.len() as u64 + 1,
            "{summary:?}"
        );
        assert!(summary.written || before == want);
    }
    quarry::Index::open(&index).unwrap().verify().unwrap();
}

#[test]
fn an_update_reads_only_what_changed_and_nothing_when_nothing_did() {
    let s = Sandbox::new();
    let mut tick = 0;
    let dir = s.path("docs");
    for i in 0..50 {
        write_at(
            &dir.join(format!("f{i}.txt")),
            &format!("T{i}\nbody {i} sea"),
            &mut tick,
        );
    }
    let index = s.path("i.qidx");
    let inputs = vec![dir.clone()];
    fresh(&inputs, &index);
    let same = update(&index, &inputs).unwrap();
    assert!(!same.written);
    assert_eq!(
        (same.unchanged, same.input.bytes, same.documents),
        (50, 0, 50)
    );
    write_at(&dir.join("f7.txt"), "T7\nnew body ships", &mut tick);
    let one = update(&index, &inputs).unwrap();
    assert_eq!(
        (one.updated, one.unchanged, one.added, one.removed),
        (1, 49, 0, 0)
    );
    assert_eq!(one.input.bytes, "T7\nnew body ships".len() as u64);
    assert_eq!(one.input.documents, 1);
    let hits = quarry::Index::open(&index)
        .unwrap()
        .search("ships", &quarry::SearchOptions::top(5))
        .unwrap();
    assert_eq!(hits.hits[0].id, path_id(&dir.join("f7.txt")));
}

/// The id a text file gets: its path as given, `/`-separated.
fn path_id(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

#[test]
fn inputs_named_in_another_order_give_that_order() {
    let s = Sandbox::new();
    let mut tick = 0;
    write_at(&s.path("a/x.txt"), "X\nalpha", &mut tick);
    write_at(&s.path("b/y.txt"), "Y\nbeta", &mut tick);
    let index = s.path("i.qidx");
    fresh(&[s.path("a"), s.path("b")], &index);
    let swapped = [s.path("b"), s.path("a")];
    update(&index, &swapped).unwrap();
    assert_eq!(
        std::fs::read(&index).unwrap(),
        fresh(&swapped, &s.path("f.qidx"))
    );
}

#[test]
fn what_cannot_be_compared_is_refused_and_a_missing_index_is_built() {
    let s = Sandbox::new();
    s.write("docs/a.txt", "alpha");
    // Standard input among the inputs.
    let err = update(&s.path("i.qidx"), &[PathBuf::from("-")]).unwrap_err();
    assert!(matches!(err, IndexError::UpdateNeedsFiles { .. }), "{err}");
    // An index that does not exist yet is built.
    let built = update(&s.path("i.qidx"), &[s.path("docs")]).unwrap();
    assert_eq!((built.added, built.documents), (1, 1));
    // An index of documents from a program (or standard input).
    let mut b = quarry_index::IndexBuilder::default();
    b.add("x", "", "from a program").unwrap();
    quarry_index::write_index_file(&s.path("lib.qidx"), &b.finish()).unwrap();
    let before = std::fs::read(s.path("lib.qidx")).unwrap();
    let err = update(&s.path("lib.qidx"), &[s.path("docs")]).unwrap_err();
    assert!(matches!(err, IndexError::UpdateNeedsFiles { .. }), "{err}");
    assert!(err.to_string().contains("rebuild"), "{err}");
    assert_eq!(std::fs::read(s.path("lib.qidx")).unwrap(), before);
}

#[test]
fn an_interrupted_update_leaves_the_index_and_no_temporary_file() {
    let s = Sandbox::new();
    let mut tick = 0;
    for i in 0..20 {
        write_at(
            &s.path(&format!("docs/f{i}.txt")),
            "T\nalpha beta",
            &mut tick,
        );
    }
    let index = s.path("i.qidx");
    fresh(&[s.path("docs")], &index);
    let before = std::fs::read(&index).unwrap();
    write_at(&s.path("docs/f3.txt"), "T\nchanged", &mut tick);
    let err = update_with(&index, &[s.path("docs")], &options(false), true).unwrap_err();
    assert!(matches!(err, IndexError::Interrupted), "{err}");
    assert_eq!(std::fs::read(&index).unwrap(), before);
    let left: Vec<String> = std::fs::read_dir(s.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_large_update_spills_and_still_matches_a_fresh_build() {
    // More than a chunk of the least budget changes: the files read again
    // are inverted in several segments and merged before the update's
    // own merge.
    let s = Sandbox::new();
    let mut rng = Rng(11);
    let mut tick = 0;
    let body = |rng: &mut Rng| -> String {
        (0..3000)
            .map(|_| WORDS[rng.below(12) as usize])
            .collect::<Vec<_>>()
            .join(" ")
    };
    for i in 0..300 {
        write_at(
            &s.path(&format!("docs/f{i:03}.txt")),
            &body(&mut rng),
            &mut tick,
        );
    }
    let index = s.path("i.qidx");
    let inputs = [s.path("docs")];
    fresh(&inputs, &index);
    for i in (0..300).filter(|i| i % 5 != 0) {
        write_at(
            &s.path(&format!("docs/f{i:03}.txt")),
            &body(&mut rng),
            &mut tick,
        );
    }
    let summary = update_with(&index, &inputs, &options(true), false).unwrap();
    assert_eq!((summary.updated, summary.unchanged), (240, 60));
    assert!(
        summary.input.bytes > 4 << 20,
        "{summary:?}: too little to spill"
    );
    assert_eq!(
        std::fs::read(&index).unwrap(),
        fresh(&inputs, &s.path("f.qidx"))
    );
}

#[test]
fn a_file_that_gives_no_document_does_not_make_every_update_write() {
    let s = Sandbox::new();
    let mut tick = 0;
    write_at(&s.path("docs/a.txt"), "A\nalpha", &mut tick);
    write_at(&s.path("docs/empty.txt"), "", &mut tick);
    let index = s.path("i.qidx");
    let inputs = [s.path("docs")];
    fresh(&inputs, &index);
    let before = std::fs::metadata(&index).unwrap().modified().unwrap();
    let summary = update(&index, &inputs).unwrap();
    assert!(!summary.written, "{summary:?}");
    assert_eq!((summary.added, summary.unchanged), (0, 1));
    assert_eq!(
        std::fs::metadata(&index).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn an_update_with_nothing_to_read_still_finds_a_damaged_index() {
    // An update that rewrites the index reads every byte through its
    // checksums; one with nothing to read must not call a damaged file
    // "up to date" (it would not be what a fresh build writes).
    let s = Sandbox::new();
    let mut rng = Rng(3);
    let mut tick = 0;
    let dir = s.path("docs");
    for i in 0..5 {
        write_at(&dir.join(format!("f{i}.txt")), &text(&mut rng), &mut tick);
    }
    let inputs = vec![dir.clone()];
    let index = s.path("i.qidx");
    let good = fresh(&inputs, &index);
    assert!(!update(&index, &inputs).unwrap().written, "nothing changed");
    for at in [good.len() / 3, good.len() / 2, good.len() - 30] {
        let mut bad = good.clone();
        bad[at] ^= 0x40;
        std::fs::write(&index, &bad).unwrap();
        match update(&index, &inputs) {
            Err(IndexError::Index(quarry::Error::Corrupt { .. })) => {}
            other => panic!("byte {at} flipped: {other:?}"),
        }
        assert_eq!(std::fs::read(&index).unwrap(), bad, "left as it was");
    }
}
