//! The query language from the command line, as a user types it on the
//! seed articles and a small phrase corpus: operators, phrases, errors with
//! carets, explain, did-you-mean, paging, literal mode, arguments around
//! the query, and `quarry bench`.

mod util;

use util::Sandbox;

fn ids(r: &util::Run) -> Vec<String> {
    r.json_lines()
        .iter()
        .filter_map(|h| h["id"].as_str().map(str::to_string))
        .collect()
}

/// Stderr without the note of the first run (which indexes the seeds).
fn error_lines(r: &util::Run) -> Vec<&str> {
    r.stderr
        .lines()
        .filter(|l| !l.starts_with("quarry: first run"))
        .collect()
}

#[test]
fn exclusions_and_required_words_change_the_hits() {
    let s = Sandbox::new();
    let all = s.run(&["search", "--json", "putin"]);
    all.expect_code(0);
    let with_modi = s.run(&["search", "--json", "+putin", "+modi"]);
    with_modi.expect_code(0);
    // Everything after the options is the query: `-modi` excludes.
    let without = s.run(&["search", "--json", "putin", "-modi"]);
    without.expect_code(0);
    let (all, with, without) = (ids(&all), ids(&with_modi), ids(&without));
    assert!(
        !with.is_empty() && !without.is_empty(),
        "{with:?} {without:?}"
    );
    assert!(
        with.iter().all(|id| !without.contains(id)),
        "{with:?} {without:?}"
    );
    let mut union: Vec<String> = with.iter().chain(&without).cloned().collect();
    union.sort();
    let mut all_sorted = all.clone();
    all_sorted.sort();
    assert_eq!(
        union, all_sorted,
        "putin = (putin AND modi) + (putin NOT modi)"
    );
    let r = s.run(&["search", "putin", "NOT", "modi"]);
    assert!(r.stdout.starts_with("query: putin -modi"), "{}", r.stdout);
}

#[test]
fn malformed_queries_point_at_the_fault() {
    let s = Sandbox::new();
    for (query, caret) in [
        ("putin AND", "      ^^^"),
        ("(putin", "^"),
        ("putin~3", "     ^^"),
        ("title:", "^^^^^^"),
        ("nosuch:word", "^^^^^^"),
    ] {
        let r = s.run(&["search", query]);
        r.expect_code(2);
        let lines = error_lines(&r);
        assert_eq!(lines.len(), 3, "{query}: {}", r.stderr);
        assert!(
            lines[0].starts_with("quarry: error: invalid query: "),
            "{}",
            r.stderr
        );
        assert_eq!(lines[1], format!("  {query}"));
        assert!(
            lines[2].starts_with(&format!("  {caret}")),
            "{query}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"));
    }
    // The caret counts terminal columns: wide characters take two.
    let r = s.run(&["search", "--", "東京 - x"]);
    r.expect_code(2);
    assert_eq!(
        error_lines(&r).get(2).copied(),
        Some("       ^"),
        "{}",
        r.stderr
    );
}

#[test]
fn options_after_the_query_are_refused_unless_after_a_double_dash() {
    let s = Sandbox::new();
    s.run(&["search", "putin", "-k", "5"])
        .expect_error(&["`-k` after the query looks like an option", "--"]);
    // `-n`, as `head` has it, is the same option: after the query it is
    // refused, not read as "not n" and the word 5.
    s.run(&["search", "putin", "-n", "5"])
        .expect_error(&["`-n` after the query looks like an option", "--"]);
    let r = s.run(&["search", "--json", "-n", "1", "putin"]);
    r.expect_code(0);
    assert_eq!(ids(&r).len(), 1);
    let r = s.run(&["search", "--json", "--", "putin", "-k"]);
    r.expect_code(0);
    assert!(!ids(&r).is_empty());
}

#[test]
fn did_you_mean_proposes_real_words() {
    let s = Sandbox::new();
    let r = s.run(&["search", "diplomcy"]);
    r.expect_code(1);
    assert!(r.stderr.contains("did you mean: diplomacy"), "{}", r.stderr);
    let r = s.run(&["search", "--json", "diplomcy"]);
    let last = r.json_lines().pop().expect("a suggestion line");
    assert_eq!(last["did_you_mean"], "diplomacy");
    // A query that finds enough suggests nothing.
    let r = s.run(&["search", "-k", "1", "putin"]);
    assert!(!r.stderr.contains("did you mean"), "{}", r.stderr);
}

#[test]
fn prefix_and_fuzzy_words_match_words_as_written() {
    let s = Sandbox::new();
    let r = s.run(&["search", "diplom*"]);
    r.expect_code(0);
    assert!(r.stdout.contains("expanded diplom* to"), "{}", r.stdout);
    // A pattern that matches nothing says so, with no empty list.
    let r = s.run(&["search", "zzqx* putin"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("zzqx* matched no word in the index"),
        "{}",
        r.stdout
    );
    let r = s.run(&["search", "--count", "diplomcy~1"]);
    r.expect_code(0);
    let exact = s.run(&["search", "--count", "diplomacy"]);
    assert_eq!(r.stdout, exact.stdout);
}

#[test]
fn explain_adds_up_to_each_score() {
    let s = Sandbox::new();
    let r = s.run(&[
        "search",
        "--json",
        "--explain",
        "+putin \"prime minister\"~2 title:modi^2 diplom*",
    ]);
    r.expect_code(0);
    let hits = r.json_lines();
    assert!(!hits.is_empty());
    fn leaves_sum(e: &serde_json::Value) -> f64 {
        match e["children"].as_array() {
            Some(children) if e["description"].as_str().unwrap_or("").starts_with("max") => {
                children.iter().map(leaves_sum).fold(0.0, f64::max)
            }
            Some(children) => children.iter().map(leaves_sum).sum(),
            None => e["score"].as_f64().unwrap(),
        }
    }
    for h in hits.iter().filter(|h| h.get("explain").is_some()) {
        let score = h["score"].as_f64().unwrap();
        let e = &h["explain"];
        assert!(
            (e["score"].as_f64().unwrap() - score).abs() <= 1e-9 * score,
            "{h}"
        );
        assert!((leaves_sum(e) - score).abs() <= 1e-9 * score, "{h}");
    }
}

#[test]
fn paging_returns_the_next_ranks() {
    let s = Sandbox::new();
    let twenty = ids(&s.run(&["search", "--json", "-k", "4", "the"]));
    let second = ids(&s.run(&["search", "--json", "-k", "2", "--offset", "2", "the"]));
    assert_eq!(second, twenty[2..4]);
    let r = s.run(&["search", "--offset", "100", "the"]);
    r.expect_code(0);
    assert!(r.stdout.contains("no hits on this page"), "{}", r.stdout);
}

#[test]
fn literal_mode_reads_pasted_text_as_words() {
    let s = Sandbox::new();
    s.run(&["search", "Putin said: (talks"]).expect_code(2);
    let r = s.run(&["search", "--literal", "Putin said: (talks"]);
    r.expect_code(0);
    assert!(
        r.stdout.starts_with("query: putin said talk"),
        "{}",
        r.stdout
    );
}

#[test]
fn usage_errors_say_what_is_missing() {
    let s = Sandbox::new();
    let r = s.run(&[]);
    r.expect_code(2);
    assert!(r.stderr.contains("Usage:"), "{}", r.stderr);
    s.run(&["search"]).expect_error(&["<QUERY>"]);
    s.run(&["search", "--color", "x", "a"]).expect_error(&[
        "possible values",
        "auto",
        "always",
        "never",
    ]);
}

#[test]
fn bench_reads_only_regular_query_files() {
    let s = Sandbox::new();
    s.run(&["search", "putin"]).expect_code(0); // builds the seed index
    s.run(&["bench", "--queries", "/dev/zero"])
        .expect_error(&["/dev/zero", "not a regular file"]);
    let q = s.write("q.txt", "putin -modi\n\"prime minister\"~2\ndiplom*\n");
    let r = s.run(&["bench", "--queries", &q.display().to_string()]);
    r.expect_code(0);
    assert!(r.stderr.contains("queries 3 total"), "{}", r.stderr);
}

#[test]
fn sloppy_phrases_of_a_repeated_word_take_distinct_positions() {
    let s = Sandbox::new();
    s.write("d/a.txt", "the lower the price the better\n");
    s.write("d/b.txt", "the price\n");
    let idx = s.path("i.qidx").display().to_string();
    s.run(&[
        "index",
        "-q",
        &s.path("d").display().to_string(),
        "-o",
        &idx,
    ])
    .expect_code(0);
    let count = |q: &str| {
        let r = s.run(&["search", "-i", &idx, "--count", "--", q]);
        r.stdout.trim().to_string()
    };
    assert_eq!(
        count("\"the the the\"~2"),
        "1",
        "positions 0, 2, 4: two moves"
    );
    assert_eq!(count("\"the the the\"~1"), "0");
    assert_eq!(count("\"the the\"~1"), "1");
}

#[test]
fn a_query_over_a_limit_is_refused_in_one_line() {
    let s = Sandbox::new();
    let phrase = format!("\"{}\"", vec!["putin"; 1025].join(" "));
    let r = s.run(&["search", &phrase]);
    r.expect_code(2);
    let lines = error_lines(&r);
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert_eq!(
        lines[0],
        "quarry: error: query too large: the query has 1025 words in one phrase; the limit is \
         1024 (QueryLimits::max_phrase_words); shorten the phrase, or search its words without quotes"
    );
    // At the limit the phrase runs (and finds nothing).
    let phrase = format!("\"{}\"", vec!["putin"; 1024].join(" "));
    s.run(&["search", &phrase]).expect_code(1);
}

#[test]
fn asking_for_more_results_than_the_hit_limit_is_one_line_error() {
    let s = Sandbox::new();
    // (The first run also builds the seed index, with a line of its own.)
    s.run(&["search", "--limit", "20000", "--count", "the"])
        .expect_code(0);
    let r = s.run(&["search", "--limit", "20000", "the"]);
    r.expect_error(&["max_hits", "10000"]);
    s.run(&["search", "--limit", "10", "--offset", "9990", "the"])
        .expect_code(0);
}

/// Three documents: one with the phrase, one with its words apart, one with
/// the words in the other order.
fn phrase_corpus(s: &Sandbox) -> String {
    s.write(
        "p/docs.jsonl",
        concat!(
            r#"{"id":"together","title":"","body":"flights to New York today"}"#,
            "\n",
            r#"{"id":"apart","title":"","body":"new flights to York"}"#,
            "\n",
            r#"{"id":"reversed","title":"York, new edition","body":"nothing here"}"#,
            "\n",
        ),
    );
    s.run(&["index", "p/docs.jsonl", "-o", "p.qidx"])
        .expect_code(0);
    s.path("p.qidx").display().to_string()
}

#[test]
fn quoted_phrases_require_adjacent_words_in_order() {
    let s = Sandbox::new();
    let idx = phrase_corpus(&s);
    let r = s.run(&["search", "-i", &idx, "--json", "\"new york\""]);
    r.expect_code(0);
    let ids: Vec<String> = r
        .json_lines()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["together"]);
    // Without quotes, all three match.
    let r = s.run(&["search", "-i", &idx, "--count", "new york"]);
    r.expect_code(0);
    assert_eq!(r.stdout.trim(), "3");
    let r = s.run(&["search", "-i", &idx, "--count", "\"york new\""]);
    r.expect_code(0);
    assert_eq!(r.stdout.trim(), "1", "the title of `reversed`");
    let r = s.run(&["search", "-i", &idx, "--count", "\"today york\""]);
    r.expect_code(1);
    assert_eq!(r.stdout.trim(), "0");
    // A malformed query: one error line, then the query and a caret under the fault.
    let r = s.run(&["search", "-i", &idx, "x \"new york"]);
    r.expect_code(2);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stderr);
    assert!(
        lines[0].contains("invalid query") && lines[0].contains("never closed"),
        "{}",
        r.stderr
    );
    assert_eq!(lines[1], "  x \"new york");
    assert_eq!(lines[2], "    ^");
    // A phrase combines with other words.
    let r = s.run(&["search", "-i", &idx, "--count", "\"new york\" flights"]);
    r.expect_code(0);
}

#[test]
fn bench_prints_hits_and_one_timing_line() {
    let s = Sandbox::new();
    let idx = phrase_corpus(&s);
    let queries = s.write("q.txt", "new york\n\n\"new york\"\nzebra\nflights\n");
    let q = queries.display().to_string();
    let r = s.run(&["bench", "-i", &idx, "--queries", &q, "-k", "2"]);
    r.expect_code(0);
    let lines: Vec<Vec<&str>> = r.stdout.lines().map(|l| l.split('\t').collect()).collect();
    // Query 0 (OR): two hits at most; query 1 (the phrase): one; query 2: none.
    let of = |qi: &str| lines.iter().filter(|l| l[0] == qi).count();
    assert_eq!(
        (of("0"), of("1"), of("2"), of("3")),
        (2, 1, 0, 2),
        "{}",
        r.stdout
    );
    assert!(lines
        .iter()
        .all(|l| l.len() == 4 && l[3].parse::<f64>().is_ok()));
    assert_eq!(lines.iter().find(|l| l[0] == "1").unwrap()[2], "together");
    let timing: Vec<&str> = r.stderr.split_whitespace().collect();
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_eq!(
        [timing[0], timing[2], timing[4], timing[6], timing[8]],
        ["queries", "total", "mean_us", "p50_us", "p99_us"]
    );
    assert_eq!(timing[1], "4");
    // Counting, and a bad line named by file and line number.
    let r = s.run(&["bench", "-i", &idx, "--queries", &q, "--count"]);
    r.expect_code(0);
    assert!(
        r.stdout.starts_with("0\tcount\t3\n1\tcount\t1\n"),
        "{}",
        r.stdout
    );
    let bad = s.write("bad.txt", "fine\n\"unclosed\n");
    s.run(&["bench", "-i", &idx, "--queries", &bad.display().to_string()])
        .expect_error(&["bad.txt:2", "never closed"]);
}
