//! Tests of the postings codec and cursor.

use super::*;
use crate::format::{read_vint_u32, write_vint, BLOCK_LEN};
use bitpacking::{BitPacker, BitPacker4x};
use proptest::prelude::*;

/// Random postings: strictly increasing docs, freqs mostly small,
/// positions increasing per doc, and a length for every document.
#[allow(clippy::type_complexity)]
fn postings() -> impl Strategy<Value = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<u32>)> {
    (1usize..700, any::<u64>()).prop_map(|(n, seed)| {
        let mut rng = seed | 1;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut docs = Vec::new();
        let mut freqs = Vec::new();
        let mut positions = Vec::new();
        let mut doc = (next() % 5) as u32;
        for _ in 0..n {
            docs.push(doc);
            let f = if next() % 50 == 0 {
                1 + (next() % 3000) as u32
            } else {
                1 + (next() % 5) as u32
            };
            freqs.push(f);
            let mut p = (next() % 3) as u32;
            for _ in 0..f {
                positions.push(p);
                p += 1 + (next() % 40) as u32;
            }
            doc += 1 + (next() % if next() % 4 == 0 { 1000 } else { 3 }) as u32;
        }
        let lengths = (0..=doc).map(|_| (next() % 500) as u32).collect();
        (docs, freqs, positions, lengths)
    })
}

fn encode(docs: &[u32], freqs: &[u32], positions: &[u32], lengths: &[u32]) -> (Vec<u8>, Vec<u8>) {
    let mut p = vec![0xAA; 3]; // data of earlier terms
    let mut q = vec![0xBB; 5];
    write_term(docs, freqs, positions, lengths, 20.0, &mut p, &mut q);
    (p[3..].to_vec(), q[5..].to_vec())
}

fn dominated(points: impl Iterator<Item = (u32, u32)> + Clone, tf: u32, len: u32) -> bool {
    points.clone().any(|(t, l)| t >= tf && l <= len)
}

proptest! {
    #[test]
    fn next_yields_every_posting_with_positions((docs, freqs, positions, lengths) in postings()) {
        let (p, q) = encode(&docs, &freqs, &positions, &lengths);
        let mut c = PostingsCursor::new(&p, docs.len() as u32);
        let mut got_docs = Vec::new();
        let mut got_positions = Vec::new();
        let mut got_freqs = Vec::new();
        while c.doc() != TERMINATED {
            got_docs.push(c.doc());
            got_freqs.push(c.freq());
            prop_assert!(c.read_positions(&q, &mut got_positions));
            c.advance();
        }
        prop_assert!(!c.is_corrupt());
        prop_assert_eq!(got_docs, docs);
        prop_assert_eq!(got_freqs, freqs);
        prop_assert_eq!(got_positions, positions);
    }

    #[test]
    fn frontiers_until_bound_every_posting_of_the_range(
        (docs, freqs, positions, lengths) in postings(),
        pick in any::<proptest::sample::Index>(),
        span in 0u32..5_000,
        limit in 1usize..6,
    ) {
        prop_assume!(has_skip_data(docs.len() as u32));
        let (p, _) = encode(&docs, &freqs, &positions, &lengths);
        let mut c = PostingsCursor::new(&p, docs.len() as u32);
        let from = docs[pick.index(docs.len())];
        let last = c.shallow_seek(from);
        let hi = from.saturating_add(span);
        let mut points = Vec::new();
        let read = c.frontiers_until(hi, limit, |f| points.extend(f));
        // The shallow position stays where it was.
        prop_assert_eq!(c.shallow_seek(from), last);
        let blocks: std::collections::BTreeSet<usize> = docs
            .iter()
            .enumerate()
            .filter(|&(_, &d)| d >= from && d <= hi)
            .map(|(i, _)| i / BLOCK_LEN)
            .collect();
        if read {
            for (i, &d) in docs.iter().enumerate() {
                if d >= from && d <= hi {
                    let len = lengths[d as usize];
                    prop_assert!(dominated(points.iter().copied(), freqs[i], len));
                }
            }
        } else {
            // The walk may end on the block after the range.
            prop_assert!(blocks.len() + 1 > limit);
        }
    }

    #[test]
    fn seek_finds_the_first_doc_at_or_after_target(
        (docs, freqs, positions, lengths) in postings(),
        targets in proptest::collection::vec(0u32..400_000, 1..40),
        shallow_first in any::<bool>(),
    ) {
        let (p, q) = encode(&docs, &freqs, &positions, &lengths);
        let mut targets = targets;
        targets.sort_unstable();
        let mut c = PostingsCursor::new(&p, docs.len() as u32);
        for t in targets {
            if shallow_first {
                c.shallow_seek(t);
            }
            let got = c.seek(t);
            let want = docs.iter().copied().find(|&d| d >= t).unwrap_or(TERMINATED);
            prop_assert_eq!(got, want);
            if got != TERMINATED {
                let i = docs.binary_search(&got).unwrap();
                prop_assert_eq!(c.freq(), freqs[i]);
                let start: usize = freqs[..i].iter().map(|&f| f as usize).sum();
                let mut out = Vec::new();
                prop_assert!(c.read_positions(&q, &mut out));
                prop_assert_eq!(&out[..], &positions[start..start + freqs[i] as usize]);
            }
        }
        prop_assert!(!c.is_corrupt());
    }

    /// Every posting's (tf, length) is dominated by its block's frontier
    /// and by the term's; a shallow seek never loses the current doc.
    #[test]
    fn frontiers_bound_every_posting(
        (docs, freqs, positions, lengths) in postings(),
        targets in proptest::collection::vec(0u32..400_000, 1..20),
    ) {
        let (p, _) = encode(&docs, &freqs, &positions, &lengths);
        let mut c = PostingsCursor::new(&p, docs.len() as u32);
        if let Some(term) = c.term_frontier() {
            for (&d, &f) in docs.iter().zip(&freqs) {
                prop_assert!(dominated(term.clone(), f, lengths[d as usize]));
            }
        } else {
            prop_assert_eq!(docs.len(), 1);
        }
        let mut targets = targets;
        targets.sort_unstable();
        for t in targets {
            let before = c.doc();
            let last = c.shallow_seek(t);
            prop_assert_eq!(c.doc(), before);
            let in_block: Vec<usize> = (0..docs.len()).filter(|&i| docs[i] >= t && docs[i] <= last).collect();
            let want_last = docs.iter().copied().find(|&d| d >= t);
            match want_last {
                Some(d) => prop_assert!(last >= d),
                None => prop_assert!(last < t),
            }
            if let Some(front) = c.shallow_frontier() {
                for i in in_block {
                    prop_assert!(dominated(front.clone(), freqs[i], lengths[docs[i] as usize]));
                }
            }
            c.seek(t);
        }
        prop_assert!(!c.is_corrupt());
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000), df in 0u32..400, targets in proptest::collection::vec(any::<u32>(), 0..8)) {
        let mut c = PostingsCursor::new(&bytes, df);
        let mut steps = 0;
        while c.doc() != TERMINATED && steps < 1000 {
            let mut out = Vec::new();
            c.read_positions(&bytes, &mut out);
            if let Some(f) = c.shallow_frontier() { f.count(); }
            c.advance();
            steps += 1;
        }
        let mut c = PostingsCursor::new(&bytes, df);
        for t in targets { c.shallow_seek(t); c.seek(t); c.freq(); }
    }

    #[test]
    fn frontier_is_the_pareto_set(points in proptest::collection::vec((1u32..20, 0u32..50), 1..60)) {
        let f = frontier(points.iter().copied(), 10.0);
        prop_assert!(!f.is_empty() && f.len() <= MAX_FRONTIER);
        for &(tf, len) in &points {
            prop_assert!(dominated(f.iter().copied(), tf, len));
        }
        // Every point of a small frontier is an input point.
        let exact = frontier_uncapped(&points);
        if exact.len() <= MAX_FRONTIER {
            prop_assert_eq!(f, exact);
        }
    }
}

fn frontier_uncapped(points: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = points
        .iter()
        .copied()
        .filter(|&(t, l)| {
            !points
                .iter()
                .any(|&(t2, l2)| (t2 >= t && l2 <= l) && (t2, l2) != (t, l))
        })
        .collect();
    out.sort_unstable_by_key(|&(t, l)| (l, t));
    out.dedup();
    out
}

#[test]
fn small_terms_have_no_skip_data() {
    let (p, _) = encode(&[3, 9], &[1, 2], &[0, 1, 5], &[0; 10]);
    // frontier: 1 point (tf 2, length 0); deltas 3, 6; freqs 1, 2
    assert_eq!(p, vec![1, 2, 0, 3, 6, 1, 2]);
    let c = PostingsCursor::new(&p, 2);
    assert_eq!(c.term_frontier().unwrap().collect::<Vec<_>>(), [(2, 0)]);
    assert_eq!(c.skip_data_len(), 3);
    let (p, _) = encode(&[7], &[3], &[0, 1, 5], &[0; 10]);
    assert_eq!(p, vec![7, 3], "one document: no frontier");
    assert!(PostingsCursor::new(&p, 1).term_frontier().is_none());
}

#[test]
fn full_blocks_are_bit_packed() {
    // 256 docs two apart (delta - 1 = 1: one bit each), all tf 1 (0 bits).
    let docs: Vec<u32> = (0..256).map(|i| i * 2 + 1).collect();
    let (p, _) = encode(&docs, &[1; 256], &[0; 256], &[7; 600]);
    let c = PostingsCursor::new(&p, 256);
    let skip = c.skip_data_len();
    // Block 0 starts at doc 1 from "no previous" (delta - 1 = 1 too).
    assert_eq!(p.len() - skip, 2 * 16);
    assert_eq!(c.term_frontier().unwrap().collect::<Vec<_>>(), [(1, 7)]);
}

#[test]
fn seeking_behind_a_shallow_seek_finds_the_skipped_blocks() {
    let docs: Vec<u32> = (0..512).collect();
    let (p, _) = encode(&docs, &[1; 512], &[0; 512], &[5; 512]);
    let mut c = PostingsCursor::new(&p, 512);
    assert_eq!(c.shallow_seek(400), 511);
    assert_eq!(c.seek(200), 200);
    assert_eq!(c.advance(), 201);
    assert_eq!(c.seek(300), 300);
    assert!(!c.is_corrupt());
}

/// Damaged bytes whose deltas wrap around 2^32, or a stored frequency
/// that wraps to 0, are reported, not turned into decreasing ids.
/// A term's postings bytes with skip data for one full block, laid
/// out by hand: the term and block frontier `(tf 1, length 0)`, the
/// given last document, positions length and widths, and `block` as
/// the block.
fn one_block_term(
    last_doc: u32,
    positions_len: u32,
    (doc_bits, tf_bits): (u8, u8),
    block: &[u8],
) -> Vec<u8> {
    let frontier = [1u8, 1, 0];
    let mut skip = frontier.to_vec();
    skip.extend_from_slice(&last_doc.to_le_bytes());
    skip.extend_from_slice(&(block.len() as u32).to_le_bytes()); // blocks end
    skip.extend_from_slice(&positions_len.to_le_bytes()); // positions end
    skip.extend_from_slice(&(frontier.len() as u32).to_le_bytes()); // frontier end
    skip.extend_from_slice(&[doc_bits, tf_bits]);
    skip.extend_from_slice(&frontier);
    let mut p = Vec::new();
    write_vint(&mut p, skip.len() as u64);
    p.extend_from_slice(&skip);
    p.extend_from_slice(block);
    p
}

#[test]
fn hand_built_skip_data_reads_as_written() {
    let docs: Vec<u32> = (0..128).map(|d| 3 * d).collect();
    let (p, _) = encode(&docs, &[1; 128], &[0; 128], &[0; 384]);
    let packer = BitPacker4x::new();
    let mut packed = [0u8; 4 * BLOCK_LEN];
    let bits = packer.num_bits_strictly_sorted(None, &docs);
    let n = packer.compress_strictly_sorted(None, &docs, &mut packed, bits);
    // Frequencies 1 are stored as 0 at width 0: no bytes.
    assert_eq!(p, one_block_term(381, 128, (bits, 0), &packed[..n]));
}

/// Damaged bytes whose deltas wrap around 2^32, or a stored frequency
/// that wraps to 0, are reported, not turned into decreasing ids.
#[test]
fn wrapping_packed_values_are_corrupt() {
    let packer = BitPacker4x::new();
    let mut deltas = [0u32; BLOCK_LEN];
    deltas[0] = 10; // doc 10
    deltas[1] = 0xFFFF_FFFA; // doc 10 + 0xFFFFFFFA + 1 = 5 (wrapped)
    let mut packed = [0u8; 4 * BLOCK_LEN];
    let n = packer.compress(&deltas, &mut packed, 32);
    let p = one_block_term(5 + 126, 0, (32, 0), &packed[..n]);
    let c = PostingsCursor::new(&p, 128);
    assert!(c.is_corrupt());
    assert_eq!(c.doc(), TERMINATED);
    // The same bytes without the wrap decode.
    deltas[1] = 0;
    packer.compress(&deltas, &mut packed, 32);
    let p = one_block_term(10 + 127, 0, (32, 0), &packed[..n]);
    let c = PostingsCursor::new(&p, 128);
    assert!(!c.is_corrupt());
    assert_eq!(c.doc(), 10);

    // Frequencies stored as 2^32 - 1 (32-bit width).
    let p = one_block_term(127, 0, (0, 32), &[0xFF; 16 * 32]);
    let mut c = PostingsCursor::new(&p, 128);
    assert_eq!(c.doc(), 0);
    assert!(!c.is_corrupt());
    c.freq();
    assert!(c.is_corrupt());
}

#[test]
fn skipping_integers_matches_reading_them() {
    let mut bytes = Vec::new();
    for v in 0..300u64 {
        write_vint(&mut bytes, v * v * 37);
    }
    // A run of one-byte integers (most position gaps), so that a chunk
    // of sixteen bytes ends exactly as many as are left.
    for v in 0..100u64 {
        write_vint(&mut bytes, v % 100);
    }
    for n in 0..400u64 {
        let mut at = 0;
        for _ in 0..n {
            read_vint_u32(&bytes, &mut at).unwrap();
        }
        assert_eq!(skip_vints(&bytes, 0, n), Some(at), "n = {n}");
    }
    assert_eq!(skip_vints(&bytes, 0, 401), None);
}

#[test]
fn zero_width_blocks_decode() {
    // Consecutive docs, all tf 1: both widths 0, blocks take no bytes.
    let docs: Vec<u32> = (0..384).collect();
    let (p, _) = encode(&docs, &[1; 384], &[0; 384], &[3; 384]);
    let mut c = PostingsCursor::new(&p, 384);
    assert_eq!(p.len(), c.skip_data_len());
    let mut n = 0;
    while c.doc() != TERMINATED {
        assert_eq!((c.doc(), c.freq()), (n, 1));
        n += 1;
        c.advance();
    }
    assert!(!c.is_corrupt());
    assert_eq!(n, 384);
}

#[test]
fn truncated_postings_are_reported_corrupt() {
    let docs: Vec<u32> = (0..300).collect();
    let (p, _) = encode(&docs, &[1; 300], &[0; 300], &[1; 300]);
    for cut in [0, 5, 36, p.len() - 1] {
        let mut c = PostingsCursor::new(&p[..cut], 300);
        while c.advance() != TERMINATED {}
        assert!(c.is_corrupt(), "cut at {cut}");
    }
}

/// A xorshift generator from `seed` (not zero): repeatable numbers.
fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

#[test]
fn a_long_terms_frontier_is_that_of_all_its_points() {
    // Enough documents that the encoder reduces the points it holds
    // several times before the term ends.
    let n = 50_000u32;
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let docs: Vec<u32> = (0..n).collect();
    let freqs: Vec<u32> = (0..n).map(|_| 1 + (next() % 60) as u32).collect();
    let lengths: Vec<u32> = (0..n).map(|_| 1 + (next() % 5000) as u32).collect();
    let positions: Vec<u32> = freqs.iter().flat_map(|&f| 0..f).collect();
    let (p, _) = encode(&docs, &freqs, &positions, &lengths);
    let c = PostingsCursor::new(&p, n);
    let points = docs
        .iter()
        .map(|&d| (freqs[d as usize], lengths[d as usize]));
    assert_eq!(
        c.term_frontier().unwrap().collect::<Vec<_>>(),
        frontier(points, 20.0)
    );
}

#[test]
fn a_term_spilled_to_a_file_is_written_as_one_held_in_memory() {
    // Blocks of widely spaced documents, several times the bytes an
    // encoder holds before it spills; then a small term, and a shorter
    // large one, which must reuse the spill file from its start.
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    let mut doc = 0u32;
    let mut big = Vec::new();
    while big.len() < 40_000 {
        doc += 1 + (next() % 5000) as u32;
        big.push((doc, 1 + (next() % 9) as u32, 1 + (next() % 300) as u32));
    }
    let small = [(3u32, 2u32, 7u32), (9, 1, 4), (4000, 3, 12)];
    let shorter: Vec<(u32, u32, u32)> = big[..25_000]
        .iter()
        .map(|&(d, freq, len)| (d + 1, freq % 4 + 1, len))
        .collect();
    let encode_both = |term: &mut TermEncoder| {
        let (mut postings, mut positions, mut lens) = (Vec::new(), Vec::new(), Vec::new());
        for postings_of_term in [&big[..], &small[..], &shorter[..]] {
            for &(d, freq, len) in postings_of_term {
                let pos: Vec<u32> = (0..freq).map(|i| i * 2).collect();
                term.push(d, &pos, len, &mut positions).unwrap();
            }
            lens.push(term.finish(&mut postings).unwrap());
        }
        (postings, positions, lens)
    };
    let held = encode_both(&mut TermEncoder::new(12.5));
    let spill = Box::new(std::io::Cursor::new(Vec::new()));
    let spilled = encode_both(&mut TermEncoder::with_spill(12.5, spill, 4096));
    assert!(held.0.len() > 3 * 4096, "the term must spill");
    assert_eq!(held, spilled);
    assert_eq!(held.2.iter().sum::<u64>(), held.0.len() as u64);
}
