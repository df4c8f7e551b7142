//! Tests of the in-memory builder.
use super::*;
use crate::combine::sorted_by_bytes;
use quarry::format::SectionKind;
use quarry::{Index, SearchOptions};

fn sample() -> IndexBuilder {
    let mut b = IndexBuilder::default();
    b.add("d0", "Cats and dogs", "The cat sat on the mat. Cats purr.")
        .unwrap();
    b.add("d1", "", "Dogs bark at cats").unwrap();
    b.add("d2", "Birds", "Birds sing").unwrap();
    b
}

#[test]
fn built_index_opens_verifies_and_searches() {
    let index = Index::from_bytes(sample().to_bytes()).unwrap();
    let report = index.verify().unwrap();
    assert_eq!(report.documents, 3);
    assert_eq!(index.doc_count(), 3);
    let hits = index.search("cat", &SearchOptions::default()).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["d0", "d1"]);
    assert_eq!(index.meta().total_tokens, [4, 14]);
    assert_eq!(index.term_counts().unwrap(), [4, 11]); // title: and bird cat dog; body: at bark bird cat dog mat on purr sat sing the
    assert!(
        index
            .search("birds", &SearchOptions::default().all_words())
            .unwrap()[0]
            .id
            == "d2"
    );
}

/// Rewrites one section with `f` and recomputes every checksum, as a
/// hostile or buggy writer could.
fn forge(bytes: &[u8], kind: SectionKind, f: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let index = Index::from_bytes(bytes.to_vec()).unwrap();
    let mut sections: Vec<(SectionKind, Vec<u8>)> = index
        .sections()
        .iter()
        .map(|e| {
            (
                e.kind,
                bytes[e.offset as usize..(e.offset + e.len) as usize].to_vec(),
            )
        })
        .collect();
    for (k, b) in &mut sections {
        if *k == kind {
            f(b);
        }
    }
    let refs: Vec<(SectionKind, &[u8])> =
        sections.iter().map(|(k, b)| (*k, b.as_slice())).collect();
    quarry::format::assemble(&refs)
}

#[test]
fn verify_checks_positions_not_just_checksums() {
    let good = sample().to_bytes();
    // All positions zero: deltas of 0 after the first are invalid.
    let zeroed = forge(&good, SectionKind::Positions, |b| {
        b.iter_mut().for_each(|x| *x = 0)
    });
    let err = Index::from_bytes(zeroed).unwrap().verify().unwrap_err();
    assert!(err.to_string().contains("postings of term"), "{err}");
    // Bytes that no term uses.
    for kind in [SectionKind::Positions, SectionKind::Postings] {
        let longer = forge(&good, kind, |b| b.push(0));
        let err = Index::from_bytes(longer).unwrap().verify().unwrap_err();
        assert!(err.to_string().contains("do not tile"), "{kind:?}: {err}");
    }
}

#[test]
fn verify_refuses_a_dictionary_out_of_key_order() {
    // "cap" < "car" < "cat": each one-byte change of an 'r' or a 't'
    // in the dictionary to an earlier letter, checksums recomputed,
    // walks keys out of order or repeated, which verify must report.
    let mut b = IndexBuilder::default();
    b.add("a", "", "cap car cat").unwrap();
    let good = b.to_bytes();
    let section = |bytes: &[u8]| {
        let index = Index::from_bytes(bytes.to_vec()).unwrap();
        let e = index
            .sections()
            .iter()
            .find(|e| e.kind == SectionKind::TermDict)
            .unwrap();
        bytes[e.offset as usize..(e.offset + e.len) as usize].to_vec()
    };
    let dict = section(&good);
    let mut tried = 0;
    for (at, &byte) in dict.iter().enumerate() {
        if byte != b'r' && byte != b't' {
            continue;
        }
        let forged = forge(&good, SectionKind::TermDict, |d| d[at] = b'a');
        let Ok(map) = fst::Map::new(section(&forged)) else {
            continue;
        };
        let forged = Index::from_bytes(forged).unwrap();
        let keys: Vec<Vec<u8>> = map.stream().into_byte_keys();
        if keys.windows(2).all(|w| w[0] < w[1]) {
            continue; // still in order: not this test's case
        }
        tried += 1;
        let err = forged.verify().unwrap_err().to_string();
        // Keys out of order within one node are out of input order for the
        // map check that runs before the stream; across nodes, verify's own
        // key order check finds them.
        assert!(
            err.contains("out of key order") || err.contains("out of input order"),
            "{err}"
        );
    }
    assert!(tried > 0, "no mutation put the keys out of order");
}

#[test]
fn keys_sort_by_bytes_whatever_their_prefixes() {
    let keys = [
        "b",
        "a",
        "ab",
        "ab\0",
        "abcdefgh",
        "abcdefghi",
        "abcdefgg",
        "é",
        "z",
        "",
        "abcdefgh\0",
    ];
    let got: Vec<&str> = sorted_by_bytes(keys.iter().map(|k| (*k, 0)))
        .into_iter()
        .map(|p| p.0)
        .collect();
    let mut want = keys.to_vec();
    want.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(got, want);
}

#[test]
fn same_input_gives_identical_bytes() {
    assert_eq!(sample().to_bytes(), sample().to_bytes());
}

#[test]
fn empty_builder_makes_a_valid_empty_index() {
    let index = Index::from_bytes(IndexBuilder::default().to_bytes()).unwrap();
    index.verify().unwrap();
    assert!(index
        .search("anything", &SearchOptions::default())
        .unwrap()
        .is_empty());
}

/// Every term's documents and positions, read back from the index, are
/// those the analyzer gives: tokens pass through the inverter's prefetch
/// ring ([`AHEAD`] places), and a new form met again before its first
/// occurrence left the ring, a form too long for a slot, a token too
/// long to keep (a gap in positions) and fields shorter or longer than
/// the ring must all come out as if read one at a time.
#[test]
fn tokens_through_the_prefetch_ring_keep_their_documents_and_positions() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let long_form = "Supercalifragilisticexpialidocious";
    let too_long = "x".repeat(quarry::analysis::MAX_TOKEN_BYTES + 3);
    let mut docs: Vec<String> = Vec::new();
    for len in [0, 1, AHEAD - 1, AHEAD, AHEAD + 1, 2 * AHEAD + 3, 300] {
        let mut words: Vec<String> = Vec::new();
        for _ in 0..len {
            let w = match next(10) {
                // Few distinct forms: repeats at every distance.
                0..=4 => format!("w{}", next(24)),
                5 => format!("W{}", next(24)),
                6 => long_form.to_string(),
                7 => too_long.clone(),
                // New forms, often met again soon after.
                8 => format!("n{}x{}", docs.len(), next(4)),
                // Forms met once.
                _ => format!("u{}x{}", docs.len(), words.len()),
            };
            words.push(w);
        }
        docs.push(words.join(" "));
    }
    let mut b = IndexBuilder::default();
    for (i, body) in docs.iter().enumerate() {
        b.add(&format!("d{i}"), "", body).unwrap();
    }
    let bytes = b.to_bytes();
    let index = Index::from_bytes(bytes.clone()).unwrap();
    index.verify().unwrap();
    // What the analyzer gives, term by term: (document, positions).
    let analyzer = quarry::analysis::Analyzer::default();
    let mut want: std::collections::BTreeMap<String, Vec<(u32, Vec<u32>)>> = Default::default();
    for (d, body) in docs.iter().enumerate() {
        for t in analyzer.tokens(body) {
            let list = want.entry(t.term.into_owned()).or_default();
            match list.last_mut() {
                Some((doc, ps)) if *doc == d as u32 => ps.push(t.position),
                _ => list.push((d as u32, vec![t.position])),
            }
        }
    }
    assert!(want.len() > 30, "a vocabulary of {}", want.len());
    let section = |kind| {
        let e = index.sections().iter().find(|e| e.kind == kind).unwrap();
        &bytes[e.offset as usize..(e.offset + e.len) as usize]
    };
    let positions_section = section(SectionKind::Positions);
    for (term, list) in &want {
        let info = index.term_info(Field::Body, term).unwrap().unwrap();
        let positions = &positions_section[info.positions.0 as usize..info.positions.1 as usize];
        let mut c = index.postings_of(&info).unwrap();
        let mut got = Vec::new();
        while c.doc() != quarry::postings::TERMINATED {
            let mut ps = Vec::new();
            assert!(c.read_positions(positions, &mut ps));
            got.push((c.doc(), ps));
            c.advance();
        }
        assert_eq!(&got, list, "term {term}");
    }
    assert_eq!(index.term_counts().unwrap(), [0, want.len() as u64]);
    // Each document's length, and each surface form's document frequency.
    let norms =
        quarry::fieldnorm::FieldNorms::new(section(SectionKind::FieldNorms), index.doc_count())
            .unwrap();
    let mut surfaces: std::collections::BTreeMap<String, u64> = Default::default();
    for (d, body) in docs.iter().enumerate() {
        let tokens = analyzer.tokens(body);
        assert_eq!(
            norms.field(Field::Body).get(d as u32),
            Some(tokens.len() as u32),
            "d{d}"
        );
        let forms: std::collections::BTreeSet<String> = tokens
            .iter()
            .map(|t| quarry::analysis::lowercase(&body[t.start..t.end]).into_owned())
            .collect();
        for f in forms {
            *surfaces.entry(f).or_default() += 1;
        }
    }
    let got = index.surface_prefix("", usize::MAX).unwrap();
    let got: std::collections::BTreeMap<String, u64> = got
        .words
        .into_iter()
        .map(|w| (w.word, w.doc_freq))
        .collect();
    assert_eq!(got, surfaces);
}
