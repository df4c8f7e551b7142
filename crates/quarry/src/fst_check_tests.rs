//! The check accepts every map `fst` builds, and after any damage either
//! refuses the bytes or leaves the `fst` crate able to read all of them:
//! these tests call the crate's readers directly, so a panic fails them.

use super::{check_fst, common_inputs, common_inputs_read_now, get, CheckedFst, LookupPath};
use fst::{automaton::Str, Automaton, IntoStreamer, Map, Streamer};
use proptest::prelude::*;

fn build(keys: &[(Vec<u8>, u64)]) -> Vec<u8> {
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup_by(|a, b| a.0 == b.0);
    Map::from_iter(keys).unwrap().into_fst().into_inner()
}

/// Everything a search, a merge or a verify asks of a map.
fn exercise(bytes: &[u8]) {
    for probe in [&b""[..], b"a", b"ab", b"band", b"q\x07", b"\xff\xff\xff"] {
        let _ = get(bytes, probe);
    }
    let Ok(map) = Map::new(bytes) else { return };
    let mut keys = Vec::new();
    let mut stream = map.stream();
    while let Some((k, v)) = stream.next() {
        keys.push((k.to_vec(), v));
    }
    for (k, _) in keys.iter().take(50) {
        map.get(k);
        let mut range = map.range().ge(k).into_stream();
        for _ in 0..5 {
            range.next();
        }
        let prefix =
            Str::new(std::str::from_utf8(&k[..k.len().min(2)]).unwrap_or("a")).starts_with();
        let mut s = map.search(prefix).into_stream();
        while s.next().is_some() {}
    }
    for probe in [&b""[..], b"a", b"\x00ab", b"zzzz", b"\xff\xff"] {
        map.get(probe);
        let mut range = map.range().gt(probe).lt(b"\xff\xff\xff").into_stream();
        while range.next().is_some() {}
    }
    let fst = map.as_fst();
    let mut stack = vec![fst.root()];
    let mut seen = 0;
    while let Some(node) = stack.pop() {
        seen += 1;
        if seen > 100_000 {
            break;
        }
        node.final_output();
        for b in 0..=255u8 {
            node.find_input(b);
        }
        for t in node.transitions() {
            stack.push(fst.node(t.addr));
        }
    }
}

fn words() -> Vec<(Vec<u8>, u64)> {
    let mut keys: Vec<(Vec<u8>, u64)> = Vec::new();
    for (i, w) in [
        "", "a", "ab", "abc", "abd", "b", "banana", "band", "bandana", "zebra",
    ]
    .iter()
    .enumerate()
    {
        keys.push((w.as_bytes().to_vec(), i as u64 * 1_000_003));
    }
    // A node of more than 32 transitions, which carries a lookup table.
    for b in 0..=255u8 {
        keys.push((vec![b'q', b], 7 + u64::from(b)));
    }
    keys.push((vec![0xff; 3], u64::MAX >> 20));
    keys
}

#[test]
fn accepts_what_fst_builds() {
    check_fst(&build(&[])).unwrap();
    check_fst(&build(&[(b"one".to_vec(), 0)])).unwrap();
    check_fst(&build(&[(Vec::new(), 5)])).unwrap();
    check_fst(&build(&words())).unwrap();
}

#[test]
fn every_single_byte_change_is_refused_or_harmless() {
    let good = build(&words());
    let mut refused = 0;
    for at in 0..good.len() {
        for v in [0u8, 1, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff, good[at] ^ 0x10] {
            let mut bad = good.clone();
            bad[at] = v;
            // The lookup reads damaged bytes without the whole-map check.
            for (k, _) in words().iter().step_by(7) {
                let _ = get(&bad, k);
            }
            if check_fst(&bad).is_err() {
                refused += 1;
            } else {
                exercise(&bad);
            }
        }
    }
    // Most damage changes a size, an address or the order.
    assert!(refused > good.len() * 3, "refused only {refused}");
}

#[test]
fn truncated_and_extended_maps_are_refused() {
    let good = build(&words());
    for len in 0..good.len() {
        assert!(
            check_fst(&good[..len]).is_err(),
            "accepted a map cut to {len} bytes"
        );
    }
    let mut longer = good.clone();
    longer.insert(20, 0);
    assert!(check_fst(&longer).is_err());
}

#[test]
fn a_transition_into_a_node_is_refused() {
    // Keys that share no suffix, so nodes have addresses of their own.
    let keys: Vec<(Vec<u8>, u64)> = (0..40u64)
        .map(|i| (format!("k{i:03}x{}", i * 7).into_bytes(), i))
        .collect();
    let good = build(&keys);
    check_fst(&good).unwrap();
    let mut refused = 0;
    for at in 16..good.len() - 20 {
        for delta in [1u8, 2, 3] {
            let mut bad = good.clone();
            bad[at] = bad[at].wrapping_add(delta);
            match check_fst(&bad) {
                Err(_) => refused += 1,
                Ok(()) => exercise(&bad),
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn every_common_input_code_is_known() {
    let table = common_inputs();
    let known: Vec<u8> = table.iter().flatten().copied().collect();
    assert_eq!(known.len(), 63, "codes 1..=63 each stand for one byte");
    let mut distinct = known.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 63);
    assert!(table[0].is_none());
    // The table build.rs read equals the one this module's decoder reads
    // from the crate now.
    assert_eq!(*table, common_inputs_read_now());
}

#[test]
fn lookups_agree_with_fst() {
    let keys = words();
    let bytes = build(&keys);
    let map = Map::new(bytes.as_slice()).unwrap();
    for (k, _) in &keys {
        assert_eq!(get(&bytes, k).unwrap(), map.get(k), "key {k:?}");
        let mut longer = k.clone();
        longer.push(b'!');
        assert_eq!(get(&bytes, &longer).unwrap(), map.get(&longer));
        assert_eq!(
            get(&bytes, &k[..k.len().saturating_sub(1)]).unwrap(),
            map.get(&k[..k.len().saturating_sub(1)])
        );
    }
    // The map of just the empty key has no nodes at all.
    let only_empty = build(&[(Vec::new(), 0)]);
    assert_eq!(get(&only_empty, b"").unwrap(), Some(0));
    assert_eq!(get(&only_empty, b"a").unwrap(), None);
    assert_eq!(get(&build(&[]), b"").unwrap(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_maps_pass_and_random_damage_never_panics(
        keys in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..6), any::<u32>()), 0..200),
        damage in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    ) {
        let keys: Vec<(Vec<u8>, u64)> = keys.into_iter().map(|(k, v)| (k, u64::from(v))).collect();
        let good = build(&keys);
        prop_assert!(check_fst(&good).is_ok());
        let map = Map::new(good.as_slice()).unwrap();
        for (k, _) in keys.iter().take(40) {
            prop_assert_eq!(get(&good, k).unwrap(), map.get(k));
            let mut other = k.clone();
            other.push(0x61);
            prop_assert_eq!(get(&good, &other).unwrap(), map.get(&other));
        }
        let mut bad = good.clone();
        for (at, v) in damage {
            let at = at % bad.len();
            bad[at] = v;
        }
        for (k, _) in keys.iter().take(40) {
            let _ = get(&bad, k);
        }
        if check_fst(&bad).is_ok() {
            exercise(&bad);
        }
    }

    #[test]
    fn random_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 36..400)) {
        // Give them a plausible header and footer, so the check gets past them.
        bytes[..8].copy_from_slice(&3u64.to_le_bytes());
        let n = bytes.len();
        let root = (n - 21) as u64;
        bytes[n - 12..n - 4].copy_from_slice(&root.to_le_bytes());
        if check_fst(&bytes).is_ok() {
            exercise(&bytes);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A run of lookups along one path finds what the `fst` crate finds,
    /// whatever the order of the keys (sorted runs share the path, others
    /// part early), with absent keys, prefixes of keys and keys past the
    /// path's length among them.
    #[test]
    fn lookups_along_a_path_agree_with_fst(
        keys in proptest::collection::vec((proptest::collection::vec(0u8..4, 0..8), any::<u32>()), 0..120),
        probes in proptest::collection::vec(proptest::collection::vec(0u8..4, 0..9), 1..60),
        sorted in any::<bool>(),
        long in proptest::collection::vec(0u8..4, 49..60),
    ) {
        let mut keys: Vec<(Vec<u8>, u64)> = keys.into_iter().map(|(k, v)| (k, u64::from(v))).collect();
        keys.push((long.clone(), 5));
        let bytes = build(&keys);
        let map = Map::new(bytes.as_slice()).unwrap();
        let fst = CheckedFst::new(&bytes).unwrap();
        let mut probes = probes;
        probes.extend(keys.iter().take(30).map(|(k, _)| k.clone()));
        probes.push(long);
        if sorted {
            probes.sort();
        }
        let mut path = LookupPath::default();
        for p in &probes {
            prop_assert_eq!(fst.get_along(p, &mut path).unwrap(), map.get(p));
        }
    }
}
