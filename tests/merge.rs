//! Merging indexes: the merged file is byte-identical to a build of the
//! members' documents in order, whatever the split.

mod util;

use proptest::prelude::*;
use quarry::format::SectionKind;
use quarry::Index;
use quarry_index::IndexBuilder;

/// A document of words from a small vocabulary (shared stems, case and
/// punctuation, so stemming and surface forms matter), title and body.
fn document() -> impl Strategy<Value = (String, String)> {
    let word = proptest::sample::select(vec![
        "Cat", "cats", "dog", "dogs", "running", "runs", "ran", "sea", "seas", "ship", "shipping",
        "é", "naïve", "Über", "the", "a", "of", "x1", "42",
    ]);
    let field = |n| proptest::collection::vec(word.clone(), 0..n).prop_map(|w| w.join(" "));
    (field(4), field(40))
}

fn build(docs: &[(String, String)], first_id: usize) -> Vec<u8> {
    let mut b = IndexBuilder::default();
    for (i, (title, body)) in docs.iter().enumerate() {
        b.add(&format!("d{}", first_id + i), title, body).unwrap();
    }
    b.to_bytes()
}

fn merged(parts: &[Vec<u8>]) -> Vec<u8> {
    let members: Vec<Index> = parts
        .iter()
        .map(|p| Index::from_bytes(p.clone()).unwrap())
        .collect();
    let refs: Vec<&Index> = members.iter().collect();
    quarry::merge::merge(&refs).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn merging_a_split_gives_the_whole_build(
        docs in proptest::collection::vec(document(), 0..400),
        cuts in proptest::collection::vec(0usize..400, 0..5),
    ) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(docs.len())).collect();
        cuts.push(0);
        cuts.push(docs.len());
        cuts.sort_unstable();
        let parts: Vec<Vec<u8>> = cuts
            .windows(2)
            .map(|w| build(&docs[w[0]..w[1]], w[0]))
            .collect();
        let whole = build(&docs, 0);
        let got = merged(&parts);
        prop_assert!(got == whole, "merged {} parts ({} bytes) differ from the whole build ({} bytes)", parts.len(), got.len(), whole.len());
        Index::from_bytes(got).unwrap().verify().unwrap();
    }

    /// The key ranges merged side by side do not change a byte, however
    /// many there are (a merge uses one per core), and neither does where
    /// a term's encoded blocks start to go to a spill file (a merge spills
    /// past a megabyte; here, past a few bytes, or never).
    #[test]
    fn merging_in_key_ranges_gives_the_same_bytes(
        docs in proptest::collection::vec(document(), 1..400),
        cut in 0usize..400,
        ranges in 1usize..6,
        blocks_held in prop_oneof![1usize..200, Just(usize::MAX)],
    ) {
        let cut = cut.min(docs.len());
        let parts = [build(&docs[..cut], 0), build(&docs[cut..], cut)];
        let members: Vec<Index> = parts
            .iter()
            .map(|p| Index::from_bytes(p.clone()).unwrap())
            .collect();
        let refs: Vec<&Index> = members.iter().collect();
        let got = quarry::merge::merge_with_ranges(&refs, ranges, blocks_held).unwrap();
        prop_assert!(got == build(&docs, 0), "{ranges} ranges, spilled past {blocks_held}");
    }
}

#[test]
fn merge_cli_writes_the_concatenated_build_and_may_replace_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let quarry = util::quarry_bin();
    let docs: Vec<(String, String)> = (0..300)
        .map(|i| {
            (
                format!("title {i}"),
                format!("body words {} and {}", i % 7, i % 13),
            )
        })
        .collect();
    let a = dir.path().join("a.qidx");
    let b = dir.path().join("b.qidx");
    std::fs::write(&a, build(&docs[..120], 0)).unwrap();
    std::fs::write(&b, build(&docs[120..], 120)).unwrap();
    let out = std::process::Command::new(&quarry)
        .args([
            "merge",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "-o",
            a.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&a).unwrap(), build(&docs, 0));
    // A file that is not an index is never overwritten.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "keep me").unwrap();
    let out = std::process::Command::new(&quarry)
        .args(["merge", b.to_str().unwrap(), "-o", text.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "keep me");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_damaged_input_stops_the_merge_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let docs: Vec<(String, String)> = (0..200)
        .map(|i| {
            (
                format!("t{i}"),
                format!("body {i} words and more words {}", i % 9),
            )
        })
        .collect();
    let a = dir.path().join("a.qidx");
    let b = dir.path().join("b.qidx");
    let mut bytes = build(&docs[..100], 0);
    // One byte of the stored documents (the last section but SURFACE).
    let index = Index::from_bytes(bytes.clone()).unwrap();
    let store = index
        .sections()
        .iter()
        .find(|e| e.kind == SectionKind::StoreData)
        .unwrap();
    bytes[(store.offset + store.len / 2) as usize] ^= 0x55;
    std::fs::write(&a, bytes).unwrap();
    std::fs::write(&b, build(&docs[100..], 100)).unwrap();
    let out = dir.path().join("out.qidx");
    let err = quarry_index::merge_index_files(&[a, b], &out).unwrap_err();
    assert!(err.to_string().contains("corrupt"), "{err}");
    assert!(!out.exists());
}

/// Builds `docs` (id, title, body) as if each came from its own file.
fn build_from_files(docs: &[(String, String, String)]) -> Vec<u8> {
    let mut b = IndexBuilder::default();
    for (id, title, body) in docs {
        let stamp = quarry::sources::FileStamp {
            path: id.clone(),
            size: (title.len() + body.len()) as u64,
            modified_ns: -(id.len() as i64),
        };
        b.add_from(Some(&stamp), id, title, body).unwrap();
    }
    b.to_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Pieces of two members, some documents left out and the rest
    /// interleaved, give the build of the kept documents in that order.
    #[test]
    fn merging_pieces_gives_the_build_of_what_they_take(
        a in proptest::collection::vec((document(), any::<bool>()), 0..200),
        b in proptest::collection::vec((document(), any::<bool>()), 0..200),
        choices in proptest::collection::vec(any::<bool>(), 0..400),
    ) {
        let named = |docs: &[((String, String), bool)], p: &str| -> Vec<(String, String, String)> {
            docs.iter()
                .enumerate()
                .map(|(i, ((t, body), _))| (format!("{p}{i}"), t.clone(), body.clone()))
                .collect()
        };
        let (a_docs, b_docs) = (named(&a, "a"), named(&b, "b"));
        let members = [
            Index::from_bytes(build_from_files(&a_docs)).unwrap(),
            Index::from_bytes(build_from_files(&b_docs)).unwrap(),
        ];
        let kept = |docs: &[((String, String), bool)]| -> Vec<u32> {
            (0..docs.len() as u32).filter(|&i| docs[i as usize].1).collect()
        };
        let (ka, kb) = (kept(&a), kept(&b));
        // Interleave the kept documents of both as `choices` say.
        let (mut ia, mut ib) = (0, 0);
        let mut order: Vec<(usize, u32)> = Vec::new();
        let mut c = choices.iter().copied().chain(std::iter::repeat(true));
        while ia < ka.len() || ib < kb.len() {
            if ib == kb.len() || (ia < ka.len() && c.next().unwrap()) {
                order.push((0, ka[ia]));
                ia += 1;
            } else {
                order.push((1, kb[ib]));
                ib += 1;
            }
        }
        let mut pieces: Vec<quarry::merge::Piece> = Vec::new();
        for &(member, doc) in &order {
            match pieces.last_mut() {
                Some(p) if p.member == member && p.docs.end == doc => p.docs.end += 1,
                _ => pieces.push(quarry::merge::Piece { member, docs: doc..doc + 1 }),
            }
        }
        let wanted: Vec<(String, String, String)> = order
            .iter()
            .map(|&(m, d)| if m == 0 { a_docs[d as usize].clone() } else { b_docs[d as usize].clone() })
            .collect();
        let refs: Vec<&Index> = members.iter().collect();
        let got = quarry::merge::merge_pieces(&refs, &pieces).unwrap();
        let whole = build_from_files(&wanted);
        if got != whole {
            let (g, w) = (Index::from_bytes(got.clone()).unwrap(), Index::from_bytes(whole.clone()).unwrap());
            let differ: Vec<&str> = g.sections().iter().zip(w.sections()).filter(|(x, y)| x.crc32 != y.crc32 || x.len != y.len).map(|(x, _)| x.kind.name()).collect();
            prop_assert!(false, "{} pieces ({} kept): sections {:?} differ", pieces.len(), wanted.len(), differ);
        }
    }
}

#[test]
fn pieces_that_do_not_fit_are_refused() {
    let mut b = IndexBuilder::default();
    b.add("a", "", "alpha").unwrap();
    b.add("b", "", "beta").unwrap();
    let index = Index::from_bytes(b.to_bytes()).unwrap();
    let piece = |member, docs| quarry::merge::Piece { member, docs };
    for pieces in [
        vec![piece(1, 0..1)],
        vec![piece(0, 0..3)],
        vec![piece(0, 1..2), piece(0, 0..1)],
        vec![piece(0, 0..2), piece(0, 1..2)],
    ] {
        let err = quarry::merge::merge_pieces(&[&index], &pieces).unwrap_err();
        assert!(
            matches!(err, quarry::merge::MergeError::Pieces(_)),
            "{pieces:?}: {err}"
        );
    }
}
