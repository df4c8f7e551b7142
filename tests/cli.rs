//! The `quarry` binary, driven as a user would: index, search, stats,
//! verify, exit codes, JSON output and bad inputs.

mod util;

use util::Sandbox;

fn corpus(s: &Sandbox) {
    s.write(
        "docs/rust.txt",
        "Rust language\n\nRust is a systems programming language focused on safety.\n",
    );
    s.write(
        "docs/nested/lucene.md",
        "Lucene\nLucene is a search library written in Java. Search engines use it.\n",
    );
    s.write(
        "docs/nested/deeper/tantivy.text",
        "Tantivy\nTantivy is a search engine library written in Rust.\n",
    );
    s.write("docs/image.jpg", [0xffu8, 0xd8, 0xff, 0xe0]);
}

#[test]
fn default_search_uses_the_seed_articles() {
    let s = Sandbox::new();
    let r = s.run(&["search", "Putin", "Modi"]);
    r.expect_code(0);
    assert!(r.stderr.contains("first run"), "{}", r.stderr);
    let first = r.stdout.lines().nth(1).expect("a hit");
    assert!(first.contains("002_03906a11c4d17a19.txt"), "{}", r.stdout);
    assert!(r.stdout.contains("query: putin modi"));
    // The second run reuses the cached index.
    let again = s.run(&["search", "Putin", "Modi"]);
    again.expect_code(0);
    assert_eq!(again.stdout, r.stdout);
    assert!(again.stderr.is_empty(), "{}", again.stderr);
}

#[test]
fn broken_seed_cache_is_rebuilt() {
    let s = Sandbox::new();
    s.run(&["stats"]).expect_code(0);
    let cached: Vec<_> = std::fs::read_dir(s.path("cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    let good = std::fs::read(&cached[0]).unwrap();
    // Unreadable: rebuilt.
    std::fs::write(&cached[0], b"garbage").unwrap();
    let r = s.run(&["verify"]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("is unreadable; rebuilding it"),
        "{}",
        r.stderr
    );
    // Opens, but a byte of a document is flipped: verified on open, rebuilt.
    let mut flipped = good.clone();
    let at = flipped.len() - 10;
    flipped[at] ^= 0x40;
    std::fs::write(&cached[0], &flipped).unwrap();
    let r = s.run(&["search", "putin"]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("is damaged; rebuilding it"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&cached[0]).unwrap(), good);
}

#[test]
fn index_directory_then_search() {
    let s = Sandbox::new();
    corpus(&s);
    std::fs::create_dir_all(s.path("out")).unwrap();
    let r = s.run(&["index", "docs", "-o", "out/idx.qidx"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .starts_with("indexed 3 documents (1 skipped, 0 warnings)"),
        "{}",
        r.stdout
    );
    let r = s.run(&["search", "-i", "out/idx.qidx", "search", "library"]);
    r.expect_code(0);
    assert!(
        r.stdout.starts_with("query: search librari  (3 documents"),
        "{}",
        r.stdout
    );
    let ranked: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| {
            l.trim_start()
                .split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(
        ranked,
        ["docs/nested/lucene.md", "docs/nested/deeper/tantivy.text"],
        "{}",
        r.stdout
    );
    // Stemming at query time: "languages" finds "language".
    let r = s.run(&["search", "-i", "out/idx.qidx", "languages"]);
    r.expect_code(0);
    assert!(r.stdout.contains("rust.txt"));
}

#[test]
fn exit_codes_follow_ripgrep() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    s.run(&["search", "-i", "i.qidx", "rust"]).expect_code(0);
    let none = s.run(&["search", "-i", "i.qidx", "zeppelin"]);
    none.expect_code(1);
    assert!(none.stdout.contains("no documents match"));
    s.run(&["search", "-i", "missing.qidx", "rust"])
        .expect_error(&["missing.qidx", "quarry index"]);
    s.run(&["search", "-i", "i.qidx", "?!"])
        .expect_error(&["no searchable words"]);
    s.run(&["search", "-i", "i.qidx", "--b", "2", "rust"])
        .expect_error(&["b must be between 0 and 1"]);
    // A usage error is also exit 2 (clap).
    assert_eq!(
        s.run(&["search", "-i", "i.qidx", "-k", "0", "rust"]).code,
        2
    );
}

#[test]
fn and_requires_every_word() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    let or = s.run(&["search", "-i", "i.qidx", "--json", "rust", "java"]);
    or.expect_code(0);
    assert_eq!(or.stdout.lines().count(), 3);
    let and = s.run(&[
        "search", "-i", "i.qidx", "--json", "--and", "rust", "library",
    ]);
    and.expect_code(0);
    let ids: Vec<serde_json::Value> = and.json_lines().iter().map(|h| h["id"].clone()).collect();
    assert_eq!(ids, ["docs/nested/deeper/tantivy.text"]);
    s.run(&["search", "-i", "i.qidx", "--and", "rust", "zeppelin"])
        .expect_code(1);
}

#[test]
fn json_output_is_one_object_per_hit() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    let r = s.run(&[
        "search", "-i", "i.qidx", "--json", "-k", "2", "search", "rust",
    ]);
    r.expect_code(0);
    let hits = r.json_lines();
    assert_eq!(hits.len(), 2);
    let mut last = f64::INFINITY;
    for (i, h) in hits.iter().enumerate() {
        assert_eq!(h["rank"].as_u64(), Some(i as u64 + 1));
        let score = h["score"].as_f64().unwrap();
        assert!(score > 0.0 && score <= last);
        last = score;
        assert!(h["id"].is_string() && h["title"].is_string() && h["snippet"].is_string());
        let snippet = h["snippet"].as_str().unwrap();
        for range in h["highlights"].as_array().unwrap() {
            let (a, b) = (
                range[0].as_u64().unwrap() as usize,
                range[1].as_u64().unwrap() as usize,
            );
            let word = snippet[a..b].to_lowercase();
            assert!(
                word.starts_with("search") || word.starts_with("rust"),
                "{word}"
            );
        }
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    let piped = s.run_env(&["search", "-i", "i.qidx", "rust"], &[]);
    assert!(!piped.stdout.contains('\x1b'), "piped output must be plain");
    let forced = s.run_env(
        &["search", "-i", "i.qidx", "--color", "always", "rust"],
        &[],
    );
    assert!(
        forced.stdout.contains("\x1b[1;31mRust\x1b[0m"),
        "{}",
        forced.stdout
    );
}

#[test]
fn bad_inputs_are_reported_and_the_rest_indexed() {
    let s = Sandbox::new();
    s.write(
        "in/good.txt",
        "Good\nA perfectly fine document about zebras.\n",
    );
    s.write("in/empty.txt", "");
    s.write("in/blank.md", "  \n\n ");
    s.write("json/blank.jsonl", "\n  \n");
    s.write("in/binary.txt", b"abc\0def\x01\x02");
    s.write("in/latin1.txt", b"Caf\xe9 society\nzebras and caf\xe9s\n");
    s.write(
        "json/docs.jsonl",
        "{\"id\":\"j1\",\"title\":\"JSON one\",\"body\":\"zebras in json\"}\n\
         {\"id\":\"j2\",\"title\":\n\
         \n\
         [1,2,3]\n\
         {\"id\":\"j3\",\"body\":\"no title here\",\"extra\":true}\n",
    );
    let r = s.run(&[
        "index",
        "in",
        "json/docs.jsonl",
        "json/blank.jsonl",
        "-o",
        "i.qidx",
    ]);
    r.expect_code(0);
    for expected in [
        "empty.txt: empty; skipped",
        "blank.md: empty; skipped",
        "blank.jsonl: empty; skipped",
        "binary.txt: binary file; skipped",
        "latin1.txt: not valid UTF-8",
        "docs.jsonl:2: invalid JSON",
        "docs.jsonl:4: not a JSON object",
    ] {
        assert!(
            r.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            r.stderr
        );
    }
    assert!(
        r.stdout
            .starts_with("indexed 4 documents (6 skipped, 7 warnings)"),
        "{}",
        r.stdout
    );
    let hits = s.run(&["search", "-i", "i.qidx", "--json", "zebras"]);
    hits.expect_code(0);
    assert_eq!(hits.stdout.lines().count(), 3, "{}", hits.stdout);
    s.run(&["search", "-i", "i.qidx", "title"]).expect_code(0);
}

#[test]
fn failed_builds_leave_the_old_index_alone() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    let before = std::fs::read(s.path("i.qidx")).unwrap();
    s.run(&["index", "nope", "-o", "i.qidx"])
        .expect_error(&["nope", "no such file"]);
    std::fs::create_dir_all(s.path("emptydir")).unwrap();
    s.run(&["index", "emptydir", "-o", "i.qidx"])
        .expect_error(&["no documents", "nothing was written"]);
    s.run(&["index", "docs", "-o", "docs"])
        .expect_error(&["is a directory"]);
    assert_eq!(std::fs::read(s.path("i.qidx")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn same_input_gives_a_byte_identical_index() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "a.qidx"]).expect_code(0);
    s.run(&["index", "docs", "-o", "b.qidx"]).expect_code(0);
    assert_eq!(
        std::fs::read(s.path("a.qidx")).unwrap(),
        std::fs::read(s.path("b.qidx")).unwrap()
    );
}

#[test]
fn damaged_index_files_are_refused_with_one_line() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    let good = std::fs::read(s.path("i.qidx")).unwrap();

    s.write("cut.qidx", &good[..good.len() / 2]);
    s.run(&["search", "-i", "cut.qidx", "rust"]).expect_error(&[
        "cut.qidx",
        "truncated",
        "rebuild",
    ]);

    // An index of the previous format version.
    let old_version = quarry::format::VERSION - 1;
    let mut old = good.clone();
    old[8..12].copy_from_slice(&old_version.to_le_bytes());
    s.write("old.qidx", &old);
    s.run(&["stats", "-i", "old.qidx"]).expect_error(&[
        "old.qidx",
        &format!("version {old_version}"),
        "rebuild",
    ]);

    s.write("text.qidx", "just some text, not an index at all");
    s.run(&["search", "-i", "text.qidx", "rust"])
        .expect_error(&["not a Quarry index"]);

    // A flipped byte in the last section: opening is cheap and does not
    // notice, verify does.
    let mut flipped = good.clone();
    let store = quarry::format::parse_header(&good)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == quarry::format::SectionKind::StoreData)
        .unwrap();
    let last = (store.offset + store.len) as usize - 3;
    flipped[last] ^= 0x20;
    s.write("flip.qidx", &flipped);
    s.run(&["verify", "-i", "flip.qidx"])
        .expect_error(&["flip.qidx", "section checksum mismatch"]);
    s.run(&["verify", "-i", "i.qidx"]).expect_code(0);

    std::fs::create_dir_all(s.path("adir")).unwrap();
    s.run(&["search", "-i", "adir", "rust"])
        .expect_error(&["adir", "directory"]);
}

#[test]
fn stats_describe_the_index() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    let r = s.run(&["stats", "-i", "i.qidx"]);
    r.expect_code(0);
    assert!(r.stdout.contains("documents   3"), "{}", r.stdout);
    assert!(r
        .stdout
        .contains(&format!("format      version {}", quarry::format::VERSION)));
    assert!(r.stdout.contains("section     postings"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let s = Sandbox::new();
    let mut lines = String::new();
    for i in 0..3000 {
        lines.push_str(&format!("{{\"id\":\"d{i}\",\"title\":\"common {i}\",\"body\":\"common words everywhere {i}\"}}\n"));
    }
    s.write("many.jsonl", lines);
    s.run(&["index", "many.jsonl", "-o", "i.qidx"])
        .expect_code(0);
    let mut child = std::process::Command::new(util::quarry_bin())
        .args(["search", "-i", "i.qidx", "-k", "3000", "common"])
        .current_dir(s.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn directory_walks_skip_json_lines_files() {
    let s = Sandbox::new();
    s.write("dir/a.txt", "A\nplain text about otters\n");
    s.write(
        "dir/data.jsonl",
        "{\"id\":\"j\",\"body\":\"otters in json\"}\n",
    );
    let r = s.run(&["index", "dir", "-o", "i.qidx"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .starts_with("indexed 1 documents (1 skipped, 0 warnings)"),
        "{}",
        r.stdout
    );
    // Named explicitly, the same file is read as JSON Lines.
    let r = s.run(&["index", "dir", "dir/data.jsonl", "-o", "i.qidx"]);
    assert!(
        r.expect_code(0).stdout.starts_with("indexed 2 documents"),
        "{}",
        r.stdout
    );
}

#[test]
fn indexing_never_overwrites_what_is_not_an_index() {
    let s = Sandbox::new();
    corpus(&s);
    let input = s.path("docs/rust.txt");
    let before = std::fs::read(&input).unwrap();
    s.run(&["index", "docs/rust.txt", "-o", "docs/rust.txt"])
        .expect_error(&["rust.txt", "is one of the inputs"]);
    assert_eq!(std::fs::read(&input).unwrap(), before);

    s.write("notes.txt", "precious notes");
    s.run(&["index", "docs", "-o", "notes.txt"]).expect_error(&[
        "notes.txt",
        "not a Quarry index",
        "refusing",
    ]);
    assert_eq!(
        std::fs::read_to_string(s.path("notes.txt")).unwrap(),
        "precious notes"
    );

    // An existing index is replaced.
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    s.run(&["index", "docs/rust.txt", "-o", "i.qidx"])
        .expect_code(0);
    let r = s.run(&["stats", "-i", "i.qidx"]);
    assert!(
        r.expect_code(0).stdout.contains("documents   1"),
        "{}",
        r.stdout
    );
}

#[test]
fn document_text_cannot_send_terminal_control_codes() {
    let s = Sandbox::new();
    s.write(
        "evil.jsonl",
        "{\"id\":\"x\\u001b]0;pwned\\u0007\",\"title\":\"\\u001b[2Jtitle\",\"body\":\"clear \\u001b[2J screen\"}\n",
    );
    s.run(&["index", "evil.jsonl", "-o", "i.qidx"])
        .expect_code(0);
    for colour in ["never", "always"] {
        let r = s.run(&[
            "search", "-i", "i.qidx", "--color", colour, "screen", "title",
        ]);
        r.expect_code(0);
        assert!(
            !r.stdout.contains("\x1b]")
                && !r.stdout.contains("\x1b[2J")
                && !r.stdout.contains('\x07'),
            "{:?}",
            r.stdout
        );
        assert!(r.stdout.contains("\u{fffd}"), "{:?}", r.stdout);
    }
    // JSON keeps the text exactly (escaped by JSON itself).
    let r = s.run(&["search", "-i", "i.qidx", "--json", "screen"]);
    assert_eq!(
        r.expect_code(0).json_lines()[0]["id"],
        "x\u{1b}]0;pwned\u{7}"
    );
}

#[test]
fn usage_errors_are_one_line() {
    let s = Sandbox::new();
    for args in [
        &["search", "-k", "-1", "x"][..],
        &["index", "x", "-o", ""],
        &["frobnicate"],
        &["search"],
    ] {
        let r = s.run(args);
        r.expect_error(&["quarry --help"]);
    }
    let help = s.run(&["--help"]);
    help.expect_code(0);
    assert!(help.stdout.contains("search"));
}

#[test]
fn extreme_ranking_options_are_refused_not_turned_into_infinities() {
    let s = Sandbox::new();
    corpus(&s);
    s.run(&["index", "docs", "-o", "i.qidx"]).expect_code(0);
    s.run(&["search", "-i", "i.qidx", "--k1", "1e308", "rust"])
        .expect_error(&["k1 must be between 0 and"]);
    s.run(&["search", "-i", "i.qidx", "--title-boost", "1e308", "rust"])
        .expect_error(&["title boost"]);
    let r = s.run(&[
        "search",
        "-i",
        "i.qidx",
        "--json",
        "--k1",
        "1e6",
        "--title-boost",
        "1e6",
        "--body-boost",
        "1e6",
        "rust",
    ]);
    r.expect_code(0);
    let hits = r.json_lines();
    assert!(!hits.is_empty());
    for hit in hits {
        assert!(hit["score"].as_f64().is_some_and(f64::is_finite), "{hit}");
    }
}

#[test]
fn special_files_are_not_indexes() {
    let s = Sandbox::new();
    s.run(&["stats", "-i", "/dev/zero"])
        .expect_error(&["/dev/zero", "not a regular file"]);
    s.write("empty.qidx", "");
    s.run(&["search", "-i", "empty.qidx", "x"])
        .expect_error(&["empty.qidx", "truncated"]);
}
