//! Two or three tiny indexes of fuzz-chosen documents, merged into one
//! (`quarry::merge::merge`) and searched as an `IndexSet`: both must give
//! the same top-k ids and scores, bit for bit, and the same counts (as
//! set.rs promises), and the merged index must verify.
//!
//! Input (lossy UTF-8): the first line is a query; every other line is a
//! document, `title<TAB>body` (no tab: body only); a line `---` starts the
//! next index (at most three).
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry::{Index, IndexSet, Operator, SearchOptions};
use quarry_index::IndexBuilder;

const MAX_MEMBERS: usize = 3;
const MAX_DOCS: usize = 24;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("");
    let mut members = vec![IndexBuilder::default()];
    let mut words: Vec<&str> = Vec::new();
    let mut docs = 0;
    for line in lines {
        if line == "---" {
            if members.len() == MAX_MEMBERS {
                break;
            }
            members.push(IndexBuilder::default());
            continue;
        }
        if docs == MAX_DOCS {
            break;
        }
        let (title, body) = line.split_once('\t').unwrap_or(("", line));
        let b = members.last_mut().unwrap();
        let id = format!("d{docs}");
        b.add(&id, title, body).unwrap();
        docs += 1;
        words.extend(line.split_whitespace().take(2));
    }
    let members: Vec<Index> = members
        .into_iter()
        .map(|b| Index::from_bytes(b.to_bytes()).expect("a built index opens"))
        .collect();
    let refs: Vec<&Index> = members.iter().collect();
    let merged = quarry::merge::merge(&refs).expect("built indexes merge");
    let merged = Index::from_bytes(merged).expect("the merged index opens");
    merged.verify().expect("the merged index verifies");
    assert_eq!(merged.doc_count() as usize, docs);
    let set = IndexSet::new(members).expect("built indexes form a set");
    assert_eq!(set.doc_count(), merged.doc_count());

    // The fuzzer's query, and a few made of the documents' words.
    let mut queries = vec![first.to_string()];
    if let [a, rest @ ..] = words.as_slice() {
        queries.push(a.to_string());
        let b = rest.last().unwrap_or(a);
        queries.push(format!("{a} {b}"));
        queries.push(format!("+{a} -{b}"));
        queries.push(format!("\"{a} {b}\""));
        let stem: String = a.chars().take(2).collect();
        queries.push(format!("{stem}* {b}~1"));
    }
    for q in &queries {
        for operator in [Operator::Or, Operator::And] {
            let options = SearchOptions {
                operator,
                ..SearchOptions::top(7)
            };
            let Ok(query) = merged.parse_query_with(q, &options) else {
                continue;
            };
            let one = merged.top_doc_ids(&query, &options);
            let many = set.top_doc_ids(&query, &options);
            match (one, many) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "merged and set differ for `{q}`"),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("merged {a:?} but set {b:?} for `{q}`"),
            }
            if let (Ok((a, _)), Ok((b, _))) = (
                merged.count_with(&query, &options),
                set.count_with(&query, &options),
            ) {
                assert_eq!(a, b, "counts differ for `{q}`");
            }
            let paged = SearchOptions {
                offset: 2,
                limit: 3,
                ..options
            };
            if let (Ok(a), Ok(b)) = (
                merged.top_doc_ids(&query, &paged),
                set.top_doc_ids(&query, &paged),
            ) {
                assert_eq!(a, b, "merged and set pages differ for `{q}`");
            }
            let _ = set.search(q, &options);
        }
    }
    let _ = set.did_you_mean(first, &SearchOptions::default());
});
