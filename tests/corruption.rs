//! Damaged indexes: every truncation of a real index is an error; for every
//! flipped byte no search path panics (their errors are optional) and
//! `verify` fails.

mod util;

use quarry::{Error, Index, Operator, Query, SearchOptions};
use quarry_index::IndexBuilder;
use util::Rng;

/// A small index with multi-block postings (a term in > 128 documents), so
/// skip tables are exercised too.
fn sample_index() -> Vec<u8> {
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut b = IndexBuilder::default();
    for d in 0..160 {
        let body: Vec<&str> = (0..(3 + rng.below(12)))
            .map(|_| words[rng.below(8) as usize])
            .collect();
        let title = if d % 3 == 0 {
            words[rng.below(8) as usize]
        } else {
            ""
        };
        b.add(
            &format!("doc{d}"),
            title,
            &format!("common {}", body.join(" ")),
        )
        .unwrap();
    }
    b.to_bytes()
}

/// What a damaged index did when opened, searched and verified.
#[derive(Debug)]
enum Outcome {
    /// `Index::from_bytes` refused it (so nothing else could run).
    RefusedToOpen(Error),
    /// It opened; the search paths ran without panicking.
    Opened {
        /// How many search paths returned an error (allowed, not required).
        search_errors: usize,
        /// What `verify` said.
        verify: quarry::Result<quarry::VerifyReport>,
    },
}

/// Opens `bytes`, runs every search path, then `verify`. The search paths
/// must not panic (a panic fails the test, naming `what`); whether they
/// return errors is reported but not judged here.
fn exercise(bytes: Vec<u8>, what: &str) -> Outcome {
    let index = match Index::from_bytes(bytes) {
        Ok(i) => i,
        Err(e) => return Outcome::RefusedToOpen(e),
    };
    let searches = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut errors = 0;
        for (q, op) in [
            ("common", Operator::Or),
            ("alpha hotel", Operator::Or),
            ("bravo delta", Operator::And),
            ("\"common alpha bravo\"", Operator::Or),
        ] {
            let query = Query::parse(q, index.analyzer(), op).expect("valid query");
            for pruning in [true, false] {
                let options = SearchOptions {
                    pruning,
                    ..SearchOptions::top(5)
                };
                match index.top_doc_ids(&query, &options) {
                    Ok(hits) => assert!(hits.len() <= 5),
                    Err(_) => errors += 1,
                }
            }
            errors += usize::from(index.count(&query).is_err());
        }
        errors += usize::from(index.term_counts().is_err());
        errors += usize::from(index.search("alpha", &SearchOptions::top(2)).is_err());
        // The SURFACE section: prefix, fuzzy and did-you-mean.
        errors += usize::from(index.surface_prefix("al", 3).is_err());
        errors += usize::from(index.surface_fuzzy("alhpa", 2, 3).is_err());
        errors += usize::from(index.suggest("brvo", 3).is_err());
        errors
    }));
    let search_errors = searches.unwrap_or_else(|_| panic!("{what}: a search path panicked"));
    let verify = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| index.verify()))
        .unwrap_or_else(|_| panic!("{what}: verify panicked"));
    Outcome::Opened {
        search_errors,
        verify,
    }
}

#[test]
fn the_sample_index_is_sound() {
    let bytes = sample_index();
    let index = Index::from_bytes(bytes.clone()).unwrap();
    index.verify().unwrap();
    assert_eq!(
        index
            .search("common", &SearchOptions::top(500))
            .unwrap()
            .len(),
        160
    );
    match exercise(bytes, "the sample index") {
        Outcome::Opened {
            search_errors: 0,
            verify: Ok(_),
        } => {}
        Outcome::RefusedToOpen(e) => panic!("the sample index does not open: {e}"),
        other => panic!("the sample index: {other:?}"),
    }
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = sample_index();
    for len in 0..bytes.len() {
        match Index::from_bytes(bytes[..len].to_vec()) {
            Err(Error::Truncated { .. }) | Err(Error::NotAnIndex { .. }) => {}
            other => panic!("truncated to {len}: {other:?}"),
        }
    }
}

#[test]
fn every_flipped_byte_fails_verify_and_never_panics() {
    let bytes = sample_index();
    let mut missed = Vec::new();
    for i in 0..bytes.len() {
        // Low and high bits in turn, so both ends of every byte are tried across neighbours.
        let mask = if i % 2 == 0 { 0x01u8 } else { 0x80 };
        let mut bad = bytes.clone();
        bad[i] ^= mask;
        let outcome = exercise(bad, &format!("flip {mask:#x} at byte {i}"));
        if let Outcome::Opened {
            search_errors,
            verify: Ok(_),
        } = outcome
        {
            missed.push(format!(
                "flip {mask:#x} at byte {i}: verify passed ({search_errors} search errors)"
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "verify missed {} of {} flips:\n{}",
        missed.len(),
        bytes.len(),
        missed.join("\n")
    );
}

#[test]
fn forged_sections_with_valid_checksums_never_panic() {
    // Writes noise into sections and recomputes the checksums, as a hostile
    // writer could: what our own decoders read must still fail cleanly.
    let good = sample_index();
    let index = Index::from_bytes(good.clone()).unwrap();
    let sections: Vec<_> = index.sections().to_vec();
    drop(index);
    let mut rng = Rng(42);
    for round in 0..200 {
        let mut bad = good.clone();
        let s = &sections[round % sections.len()];
        let (start, end) = (s.offset as usize, (s.offset + s.len) as usize);
        for _ in 0..(1 + rng.below(8)) {
            if end > start {
                let at = start + rng.below((end - start) as u64) as usize;
                bad[at] = rng.next() as u8;
            }
        }
        let payloads: Vec<(quarry::format::SectionKind, Vec<u8>)> = sections
            .iter()
            .map(|e| {
                (
                    e.kind,
                    bad[e.offset as usize..(e.offset + e.len) as usize].to_vec(),
                )
            })
            .collect();
        let refs: Vec<_> = payloads.iter().map(|(k, b)| (*k, b.as_slice())).collect();
        let forged = quarry::format::assemble(&refs);
        // Only "never panics" is checked: a forged index may well verify.
        exercise(forged, &format!("forged round {round}"));
    }
}

/// The bytes of `good` with those of section `kind` replaced by `payload`,
/// every checksum recomputed.
fn forge(good: &[u8], kind: quarry::format::SectionKind, payload: &[u8]) -> Vec<u8> {
    let index = Index::from_bytes(good.to_vec()).unwrap();
    let payloads: Vec<(quarry::format::SectionKind, Vec<u8>)> = index
        .sections()
        .iter()
        .map(|e| {
            let bytes = if e.kind == kind {
                payload.to_vec()
            } else {
                good[e.offset as usize..(e.offset + e.len) as usize].to_vec()
            };
            (e.kind, bytes)
        })
        .collect();
    let refs: Vec<_> = payloads.iter().map(|(k, b)| (*k, b.as_slice())).collect();
    quarry::format::assemble(&refs)
}

#[test]
fn forged_dictionaries_never_panic() {
    // The two `fst` maps with bytes changed and checksums recomputed: the
    // `fst` crate trusts its input, so the maps are checked before it reads
    // them. (A probe found 1,630 panics in 2,498 such mutants.)
    use quarry::format::SectionKind;
    let good = sample_index();
    let index = Index::from_bytes(good.clone()).unwrap();
    let sections: Vec<_> = index.sections().to_vec();
    drop(index);
    let mut rng = Rng(7);
    let mut refused = 0;
    for round in 0..1500 {
        let kind = if round % 3 == 2 {
            SectionKind::Surface
        } else {
            SectionKind::TermDict
        };
        let e = sections.iter().find(|e| e.kind == kind).unwrap();
        let mut payload = good[e.offset as usize..(e.offset + e.len) as usize].to_vec();
        match round % 4 {
            // A few bytes changed.
            0 | 1 => {
                for _ in 0..(1 + rng.below(3)) {
                    let at = rng.below(payload.len() as u64) as usize;
                    payload[at] = rng.next() as u8;
                }
            }
            // One byte changed by one, as a shifted address or size would be.
            2 => {
                let at = rng.below(payload.len() as u64) as usize;
                payload[at] = payload[at].wrapping_add(1);
            }
            // A piece cut out or duplicated, the footer kept.
            _ => {
                let at = 16 + rng.below(payload.len() as u64 - 36) as usize;
                let n = 1 + rng.below(8) as usize;
                if rng.below(2) == 0 {
                    payload.drain(at..(at + n).min(payload.len() - 20));
                } else {
                    let piece = payload[at..at + n.min(payload.len() - 20 - at)].to_vec();
                    payload.splice(at..at, piece);
                }
            }
        }
        match exercise(
            forge(&good, kind, &payload),
            &format!("forged {} round {round}", kind.name()),
        ) {
            Outcome::RefusedToOpen(_) => refused += 1,
            Outcome::Opened { verify, .. } => refused += usize::from(verify.is_err()),
        }
    }
    assert!(
        refused > 1000,
        "only {refused} of 1500 forged maps were refused"
    );
}

#[test]
fn an_index_of_another_version_names_both_versions() {
    let mut bytes = sample_index();
    bytes[8] = 99;
    let err = Index::from_bytes(bytes).unwrap_err();
    assert!(matches!(
        err,
        Error::Version {
            expected: quarry::format::VERSION,
            found: 99,
            ..
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("version 99")
            && msg.contains(&format!("reads version {}", quarry::format::VERSION))
            && msg.contains("rebuild"),
        "{msg}"
    );
}

/// A position damaged to near 2^32 (checksum aside: opening does not read
/// positions) must not overflow phrase matching, in debug builds too.
#[test]
fn a_position_near_the_top_of_u32_does_not_overflow_phrases() {
    let mut b = IndexBuilder::default();
    b.add("a", "", "alpha bravo").unwrap();
    b.add("b", "", "alpha alpha alpha alpha alpha").unwrap();
    b.add("c", "", "bravo").unwrap();
    let mut bytes = b.to_bytes();
    let index = Index::from_bytes(bytes.clone()).unwrap();
    let info = index
        .term_info(quarry::Field::Body, "alpha")
        .unwrap()
        .unwrap();
    let section = index
        .sections()
        .iter()
        .find(|e| e.kind == quarry::format::SectionKind::Positions)
        .unwrap()
        .offset as usize;
    let at = section + info.positions.0 as usize;
    // The first position of "alpha" becomes 2^32 - 1.
    bytes[at..at + 5].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
    let index = Index::from_bytes(bytes).unwrap();
    let q = Query::parse("\"alpha bravo\"", index.analyzer(), Operator::Or).unwrap();
    // An error or no match; never a panic.
    if let Ok(hits) = index.top_doc_ids(&q, &SearchOptions::top(10)) {
        assert!(hits.iter().all(|h| h.0 != 0), "{hits:?}");
    }
    let _ = index.count(&q);
}

/// A flipped byte in SURFACE: opening still works (the section is checked
/// lazily), every surface call is an error naming the section, the rest of
/// the index still answers, and `verify` fails.
#[test]
fn a_damaged_surface_section_is_an_error_not_a_panic() {
    let good = sample_index();
    let index = Index::from_bytes(good.clone()).unwrap();
    let e = *index
        .sections()
        .iter()
        .find(|e| e.kind == quarry::format::SectionKind::Surface)
        .unwrap();
    assert!(e.len > 0);
    assert!(index.surface_prefix("al", 10).unwrap().total > 0);
    for at in [e.offset, e.offset + e.len / 2, e.offset + e.len - 1] {
        let mut bad = good.clone();
        bad[at as usize] ^= 0x20;
        let index = Index::from_bytes(bad).expect("opening does not read SURFACE");
        for result in [
            index.surface_prefix("al", 10).map(drop),
            index.surface_fuzzy("alpah", 1, 10).map(drop),
            index.suggest("alpah", 5).map(drop),
        ] {
            match result {
                Err(Error::Corrupt { detail, .. }) => {
                    assert!(
                        detail.contains("surface") && detail.contains("checksum"),
                        "{detail}"
                    )
                }
                other => panic!("byte {at}: {other:?}"),
            }
        }
        assert_eq!(
            index.search("alpha", &SearchOptions::top(3)).unwrap().len(),
            3
        );
        assert!(index.verify().is_err());
    }
}

/// Every answer the sample index gives to a fixed set of requests: hits
/// with scores, counts, stored documents, surface matches.
fn answers(index: &Index) -> Vec<Result<String, String>> {
    let mut out = Vec::new();
    for (q, op) in [
        ("common", Operator::Or),
        ("alpha hotel", Operator::Or),
        ("bravo delta", Operator::And),
        ("\"common alpha bravo\"", Operator::Or),
        ("\"alpha bravo\"~2 golf", Operator::Or),
        ("title:echo", Operator::Or),
    ] {
        let query = Query::parse(q, index.analyzer(), op).expect("valid query");
        out.push(
            index
                .top_doc_ids(&query, &SearchOptions::top(8))
                .map(|hits| format!("{hits:?}"))
                .map_err(|e| e.to_string()),
        );
        out.push(
            index
                .count(&query)
                .map(|n| n.to_string())
                .map_err(|e| e.to_string()),
        );
    }
    for doc in [0, 1, 79, 159] {
        out.push(
            index
                .document(doc)
                .map(|d| format!("{d:?}"))
                .map_err(|e| e.to_string()),
        );
    }
    out.push(
        index
            .term_counts()
            .map(|c| format!("{c:?}"))
            .map_err(|e| e.to_string()),
    );
    out.push(
        index
            .surface_prefix("al", 5)
            .map(|m| format!("{m:?}"))
            .map_err(|e| e.to_string()),
    );
    out.push(
        index
            .suggest("brvo", 3)
            .map(|m| format!("{m:?}"))
            .map_err(|e| e.to_string()),
    );
    out
}

#[test]
fn a_flipped_byte_never_changes_an_answer_without_an_error() {
    // Accidental damage, checksums not recomputed: every request either
    // answers exactly as the sound index does or reports the damage. Each
    // page of every section a query reads is checked before first use.
    let good = sample_index();
    let expected = answers(&Index::from_bytes(good.clone()).unwrap());
    assert!(expected.iter().all(Result::is_ok));
    let mut changed = Vec::new();
    for at in (0..good.len()).step_by(3) {
        let mut bad = good.clone();
        bad[at] ^= 1 << (at % 8);
        let Ok(index) = Index::from_bytes(bad) else {
            continue;
        };
        for (i, (got, want)) in answers(&index).iter().zip(&expected).enumerate() {
            if let Ok(got) = got {
                if Ok(got) != want.as_ref() {
                    changed.push(format!("byte {at}, request {i}: {got}"));
                }
            }
        }
    }
    assert!(
        changed.is_empty(),
        "{} silent changes:\n{}",
        changed.len(),
        changed.join("\n")
    );
}

/// A term's skip data forged (checksums recomputed) so that two blocks claim
/// empty positions at offset 0, then one byte of positions damaged (checksums
/// not recomputed) where a phrase read through the forged entries lands.
/// The damage must surface as an error, never as a changed answer.
///
/// "walrus" fills every document (5 blocks of 20 positions per document);
/// "zebra" is in a few, so the phrase seeks past walrus's first block,
/// never checking its pages, and then reads positions through the forged
/// entries: those of document 400 (the 16th of the 4th block) or 550 (the
/// 38th of the 5th) land on the 16th or 38th document of the first block,
/// whose last gap (a 1) is damaged. An empty range once vouched for every
/// byte (550), and a read once ran past its block's checked range (400).
#[test]
fn a_forged_positions_range_lets_no_damage_through() {
    for (zebras, nth) in [(&[130, 400, 550][..], 38), (&[130, 400][..], 16)] {
        let (forged, damaged_at) = forged_walrus(zebras, nth);
        let (count, top) = phrase_outcome(forged.clone());
        let mut damaged = forged;
        assert_eq!(damaged[damaged_at], 1);
        damaged[damaged_at] = 2;
        let (damaged_count, damaged_top) = phrase_outcome(damaged);
        assert!(
            damaged_count.is_err() || damaged_count == count,
            "zebra in {zebras:?}: count {damaged_count:?} without an error, was {count:?}"
        );
        assert!(
            damaged_top.is_err() || damaged_top == top,
            "zebra in {zebras:?}: top {damaged_top:?} without an error, was {top:?}"
        );
    }
}

/// The walrus index of [`a_forged_positions_range_lets_no_damage_through`],
/// forged, and where the last positions byte of walrus's `nth` document is.
fn forged_walrus(zebras: &[u32], nth: usize) -> (Vec<u8>, usize) {
    use quarry::format::SectionKind;
    let walrus = vec!["walrus"; 20].join(" ");
    let mut b = IndexBuilder::default();
    for d in 0..600 {
        let zebra = if zebras.contains(&d) { " zebra" } else { "" };
        b.add(&format!("doc{d}"), "", &format!("{walrus}{zebra}"))
            .unwrap();
    }
    let good = b.to_bytes();
    let index = Index::from_bytes(good.clone()).unwrap();
    let info = index
        .term_info(quarry::Field::Body, "walrus")
        .unwrap()
        .unwrap();
    let section = |kind| index.sections().iter().find(|e| e.kind == kind).unwrap();
    let postings = section(SectionKind::Postings);
    let positions_at = section(SectionKind::Positions).offset as usize + info.positions.0 as usize;
    let mut payload =
        good[postings.offset as usize..(postings.offset + postings.len) as usize].to_vec();
    // The positions_end column: 128 documents × 20 one-byte gaps per block.
    let column: Vec<u8> = [2560u32, 5120, 7680, 10240, 12000]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let term = &mut payload[info.postings.0 as usize..info.postings.1 as usize];
    let at = term
        .windows(column.len())
        .position(|w| w == column)
        .expect("walrus's positions_end column");
    term[at + 8..at + 16].fill(0);
    drop(index);
    let forged = forge(&good, SectionKind::Postings, &payload);
    (forged, positions_at + nth * 20 + 19)
}

/// A count and a top-k, each or its error as text.
type Answers = (Result<u64, String>, Result<Vec<(u32, f64)>, String>);

/// Count and top documents of `"walrus zebra"`.
fn phrase_outcome(bytes: Vec<u8>) -> Answers {
    let index = Index::from_bytes(bytes).unwrap();
    let query = Query::parse("\"walrus zebra\"", index.analyzer(), Operator::Or).unwrap();
    (
        index.count(&query).map_err(|e| e.to_string()),
        index
            .top_doc_ids(&query, &SearchOptions::top(5))
            .map_err(|e| e.to_string()),
    )
}
