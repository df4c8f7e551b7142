//! Hostile index bytes: every path that reads an index must fail cleanly,
//! never panic.
//!
//! Input: a mode byte, then its arguments.
//! - mode % 4 == 0: the rest is the whole file, given to `Index::from_bytes`.
//! - otherwise the next byte picks a section of a small valid index, and
//!   the rest edits it: 1 writes bytes at offsets (pairs of a two-byte
//!   offset and a value), 2 replaces the section with the rest, 3 cuts
//!   the section at an offset and appends the rest. The file is then
//!   reassembled with fresh checksums (`quarry::format::assemble`), so the
//!   damage gets past the checksums to the decoders.
//! The two `fst` sections (TERMDICT and SURFACE) are forged like the
//! others: the engine reads them through its checked reader.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use quarry::format::SectionKind;
use quarry::{Index, Operator, Query, SearchOptions};
use quarry_index::IndexBuilder;

/// The sections of a small index with a term in more than 128 documents
/// (so skip data is present), titles, phrases and surface forms.
fn sections() -> &'static [(SectionKind, Vec<u8>)] {
    static SECTIONS: OnceLock<Vec<(SectionKind, Vec<u8>)>> = OnceLock::new();
    SECTIONS.get_or_init(|| {
        let words = [
            "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n) as usize
        };
        let mut b = IndexBuilder::default();
        for d in 0..140 {
            let body: Vec<&str> = (0..3 + next(6)).map(|_| words[next(8)]).collect();
            let title = if d % 3 == 0 { words[next(8)] } else { "" };
            b.add(
                &format!("doc{d}"),
                title,
                &format!("common {}", body.join(" ")),
            )
            .unwrap();
        }
        b.finish()
    })
}

fn forge(mode: u8, section: u8, args: &[u8]) -> Option<Vec<u8>> {
    let sections = sections();
    let pick = usize::from(section) % sections.len();
    let mut edited = sections[pick].1.clone();
    match mode % 4 {
        1 => {
            for w in args.chunks_exact(3) {
                if edited.is_empty() {
                    break;
                }
                let at = usize::from(u16::from_le_bytes([w[0], w[1]])) % edited.len();
                edited[at] = w[2];
            }
        }
        2 => edited = args.to_vec(),
        _ => {
            let (cut, tail) = match args {
                [a, b, tail @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), tail),
                _ => (0, args),
            };
            edited.truncate(cut % (edited.len() + 1));
            edited.extend_from_slice(tail);
        }
    }
    let refs: Vec<(SectionKind, &[u8])> = sections
        .iter()
        .enumerate()
        .map(|(i, (k, b))| (*k, if i == pick { &edited[..] } else { &b[..] }))
        .collect();
    Some(quarry::format::assemble(&refs))
}

/// Every read path once. Explanations are asked for each query's best
/// hit, and documents are fetched once each (the hits, and the ids at the
/// edges): each fetch decompresses a whole store block, and asking for the
/// same one 60 times per input found nothing more but cost half the time.
fn exercise(index: &Index) {
    let n = index.doc_count();
    let mut docs = vec![0, 1, n / 2, n.saturating_sub(1), n, u32::MAX];
    for (q, op) in [
        ("common", Operator::Or),
        ("alpha hotel", Operator::Or),
        ("bravo delta", Operator::And),
        ("\"common alpha bravo\"", Operator::Or),
        ("title:alpha -bravo char* golg~1", Operator::Or),
        ("(echo OR golf) AND +common^2", Operator::Or),
    ] {
        let Ok(query) = Query::parse(q, index.analyzer(), op) else {
            continue;
        };
        for pruning in [true, false] {
            let options = SearchOptions {
                pruning,
                ..SearchOptions::top(5)
            };
            if let Ok(hits) = index.top_doc_ids(&query, &options) {
                assert!(hits.len() <= 5);
                if let (true, Some(&(doc, _))) = (pruning, hits.first()) {
                    let _ = index.explain(&query, doc, &options);
                }
                docs.extend(hits.iter().map(|&(doc, _)| doc));
            }
        }
        let _ = index.count(&query);
    }
    let _ = index.search("alpha bravo~1 del*", &SearchOptions::top(3));
    let _ = index.did_you_mean("alhpa brvo", &SearchOptions::default());
    let _ = index.surface_prefix("al", 3);
    let _ = index.surface_fuzzy("alhpa", 2, 3);
    let _ = index.suggest("brvo", 3);
    let _ = index.term_counts();
    let _ = index.sources();
    docs.sort_unstable();
    docs.dedup();
    for doc in docs {
        let _ = index.document(doc);
    }
    let _ = index.avg_field_len(quarry::Field::Body);
}

/// A cheap, deterministic hash of the input (FNV-1a): which inputs also
/// get the expensive checks does not depend on earlier inputs, so a crash
/// reproduces from its input alone.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fuzz_target!(|data: &[u8]| {
    let bytes = match data {
        [mode, rest @ ..] if mode % 4 == 0 => rest.to_vec(),
        [mode, section, args @ ..] => match forge(*mode, *section, args) {
            Some(b) => b,
            None => return,
        },
        _ => return,
    };
    let Ok(index) = Index::from_bytes(bytes) else {
        return;
    };
    exercise(&index);
    // An index that verifies can be merged: the merge reads every section
    // again, and what it writes must open. Merging (two index builds and
    // threads) costs more than all the rest, so one input in 4 does it.
    if index.verify().is_ok() && fnv(data) % 4 == 0 {
        if let Ok(merged) = quarry::merge::merge(&[&index, &index]) {
            if let Ok(m) = Index::from_bytes(merged) {
                let _ = m.verify();
            }
        }
    }
});
