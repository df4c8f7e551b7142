//! Tests of reading inputs.

use super::*;

#[test]
fn title_is_a_short_first_line_followed_by_text() {
    let d = text_document("a".into(), "\n\n  My Title  \n\nBody line one.\nTwo.").unwrap();
    assert_eq!(d.title, "My Title");
    assert_eq!(d.body, "Body line one.\nTwo.");
    // Any whitespace before the title, and CRLF line ends.
    let d = text_document(
        "a".into(),
        "\u{c}\u{a0}\r\n\u{3000}\nFormfeed first\r\nbody\r\n",
    )
    .unwrap();
    assert_eq!(
        (d.title.as_str(), d.body.as_str()),
        ("Formfeed first", "body\r\n")
    );
    let d = text_document("a".into(), "Only one line").unwrap();
    assert_eq!((d.title.as_str(), d.body.as_str()), ("", "Only one line"));
    let long = "x".repeat(MAX_TITLE_CHARS + 1);
    let d = text_document("a".into(), &format!("{long}\nmore")).unwrap();
    assert_eq!(d.title, "");
    assert!(text_document("a".into(), " \n\t\n").is_none());
    assert_eq!(
        text_document("a".into(), "\u{feff}T\nB").unwrap().title,
        "T"
    );
}

#[test]
fn a_byte_order_mark_does_not_cost_the_first_json_lines_document() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docs.jsonl");
    std::fs::write(
        &path,
        "\u{feff}{\"id\":\"a\",\"body\":\"one\"}\n{\"id\":\"b\",\"body\":\"two\"}\n",
    )
    .unwrap();
    let (mut ids, mut warnings) = (Vec::new(), Vec::new());
    read_inputs(
        &[path],
        &mut |d| {
            ids.push(d.id);
            Ok(())
        },
        &mut |w| warnings.push(w.to_string()),
    )
    .unwrap();
    assert_eq!(ids, ["a", "b"]);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_line_past_the_cap_is_measured_not_held() {
    let text = format!("short\n{}\ntail", "x".repeat(10_000));
    let mut reader = std::io::BufReader::with_capacity(64, text.as_bytes());
    let mut buf = Vec::new();
    let mut lines = Vec::new();
    loop {
        buf.clear();
        let n = read_line_capped(&mut reader, &mut buf, 100).unwrap();
        if n == 0 {
            break;
        }
        lines.push((n, buf.len()));
    }
    // The long line's 10,001 bytes are counted; at most 101 are kept.
    assert_eq!(lines, [(6, 6), (10_001, 101), (4, 4)]);
}

#[test]
fn json_documents() {
    let d = parse_json_document(r#"{"id":"x1","title":"T","body":"B","extra":[1]}"#).unwrap();
    assert_eq!(
        (d.id.as_deref(), d.title.as_str(), d.body.as_str()),
        (Some("x1"), "T", "B")
    );
    assert_eq!(
        parse_json_document(r#"{"id":7,"body":"B"}"#)
            .unwrap()
            .id
            .as_deref(),
        Some("7")
    );
    assert!(parse_json_document(r#"{"id":"x","body":5}"#)
        .unwrap_err()
        .contains("body"));
    assert!(parse_json_document("[1,2]").unwrap_err().contains("object"));
    // Numeric ids keep their text: no rounding through a float.
    for id in [
        "18446744073709551616",
        "9007199254740993",
        "-0",
        "1e3",
        "7.50",
    ] {
        let line = format!(r#"{{"id":{id},"body":"B"}}"#);
        assert_eq!(parse_json_document(&line).unwrap().id.as_deref(), Some(id));
    }
    assert_eq!(
        parse_json_document(r#"{"id":"a\u00e9","body":"x","body":"last"}"#)
            .map(|d| (d.id, d.body))
            .unwrap(),
        (Some("aé".to_string()), "last".to_string())
    );
    assert!(parse_json_document(r#"{"id":[1],"body":"B"}"#)
        .unwrap_err()
        .contains("id"));
    assert!(parse_json_document("{nope")
        .unwrap_err()
        .contains("invalid JSON"));
    // A string that escapes a lone surrogate is a string, but not text.
    for line in [r#"{"body":"\ud800"}"#, r#"{"id":"a\udfff","body":"x"}"#] {
        let e = parse_json_document(line).unwrap_err();
        assert!(e.contains("not valid Unicode"), "{line}: {e}");
    }
}

#[test]
fn the_duplicate_check_stops_at_its_memory_share() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.jsonl");
    let lines: String = ["a", "b", "a", "c", "d", "a"]
        .iter()
        .map(|id| format!("{{\"id\":\"{id}\",\"body\":\"x\"}}\n"))
        .collect();
    std::fs::write(&path, lines).unwrap();
    let mut warnings = Vec::new();
    let stats = read_listed(
        &[Input::Jsonl(path)],
        InputStats::default(),
        3 * BYTES_PER_ID,
        &mut |_| Ok(()),
        &mut |w| warnings.push(w.to_string()),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(stats.documents, 6);
    // "a" again at line 3 is caught; after three ids the check stops,
    // once, and the last "a" is indexed without a word.
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains(":3: the id \"a\" was used before"));
    assert!(warnings[1].contains("3 document ids were checked"));
}

#[test]
fn ids_are_paths_as_given() {
    assert_eq!(path_id(Path::new("m1/b/c.txt")), "m1/b/c.txt");
    assert_eq!(path_id(Path::new("./m1/./c.txt")), "m1/c.txt");
    assert_eq!(path_id(Path::new("/abs/c.txt")), "/abs/c.txt");
    assert_eq!(path_id(Path::new("../up/c.txt")), "../up/c.txt");
    assert_ne!(
        path_id(Path::new("m1/a.txt")),
        path_id(Path::new("m2/a.txt"))
    );
}
