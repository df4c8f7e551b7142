//! Encoding one term's postings, skip data and positions.

use bitpacking::{BitPacker, BitPacker4x};

use crate::format::{write_vint, BLOCK_LEN};

use super::*;

/// Encodes one term's postings and positions.
///
/// `docs` are strictly increasing document ids, `freqs[i]` the number of
/// positions of `docs[i]`, `positions` all positions, document after
/// document, increasing within each document, `lengths[doc]` the field
/// length of every document and `avg_len` their average (it only steers
/// which frontier points are merged). Appends to both outputs.
pub fn write_term(
    docs: &[u32],
    freqs: &[u32],
    positions: &[u32],
    lengths: &[u32],
    avg_len: f64,
    postings_out: &mut Vec<u8>,
    positions_out: &mut Vec<u8>,
) {
    debug_assert_eq!(docs.len(), freqs.len());
    debug_assert_eq!(
        freqs.iter().map(|&f| f as usize).sum::<usize>(),
        positions.len()
    );
    let packer = BitPacker4x::new();
    let mut blocks = Vec::new();
    // The skip arrays (see FORMAT.md), filled per block, and the frontiers.
    let mut skip = SkipColumns::default();
    let mut frontiers = Vec::new();
    let positions_start = positions_out.len();
    let mut prev_last: Option<u32> = None;
    let mut pos_at = 0usize;
    let point = |i: usize| (freqs[i], lengths[docs[i] as usize]);
    for (b, (chunk_docs, chunk_freqs)) in docs
        .chunks(BLOCK_LEN)
        .zip(freqs.chunks(BLOCK_LEN))
        .enumerate()
    {
        let last = *chunk_docs.last().expect("chunks are not empty");
        let (mut doc_bits, mut tf_bits) = (0u8, 0u8);
        if chunk_docs.len() == BLOCK_LEN {
            let mut buf = [0u8; 4 * BLOCK_LEN];
            doc_bits = packer.num_bits_strictly_sorted(prev_last, chunk_docs);
            let n = packer.compress_strictly_sorted(prev_last, chunk_docs, &mut buf, doc_bits);
            blocks.extend_from_slice(&buf[..n]);
            let tfs: Vec<u32> = chunk_freqs.iter().map(|&f| f - 1).collect();
            tf_bits = packer.num_bits(&tfs);
            let n = packer.compress(&tfs, &mut buf, tf_bits);
            blocks.extend_from_slice(&buf[..n]);
        } else {
            let mut prev = prev_last.unwrap_or(0);
            for &doc in chunk_docs {
                write_vint(&mut blocks, u64::from(doc - prev));
                prev = doc;
            }
            for &freq in chunk_freqs {
                write_vint(&mut blocks, u64::from(freq));
            }
        }
        for &freq in chunk_freqs {
            let mut prev = 0u32;
            for &p in &positions[pos_at..pos_at + freq as usize] {
                write_vint(positions_out, u64::from(p - prev));
                prev = p;
            }
            pos_at += freq as usize;
        }
        let start = b * BLOCK_LEN;
        write_frontier(
            &mut frontiers,
            &frontier((start..start + chunk_docs.len()).map(point), avg_len),
        );
        // Offsets are u32 (a term's postings and positions stay under
        // 4 GiB; FORMAT.md).
        let u32_of = |n: usize| u32::try_from(n).expect("a term's data fits in 4 GiB");
        skip.last_doc.extend_from_slice(&last.to_le_bytes());
        skip.blocks_end
            .extend_from_slice(&u32_of(blocks.len()).to_le_bytes());
        skip.positions_end
            .extend_from_slice(&u32_of(positions_out.len() - positions_start).to_le_bytes());
        skip.frontier_end
            .extend_from_slice(&u32_of(frontiers.len()).to_le_bytes());
        skip.doc_bits.push(doc_bits);
        skip.tf_bits.push(tf_bits);
        prev_last = Some(last);
    }
    if has_skip_data(docs.len() as u32) {
        let mut head = Vec::new();
        write_frontier(&mut head, &frontier((0..docs.len()).map(point), avg_len));
        for column in [
            &skip.last_doc,
            &skip.blocks_end,
            &skip.positions_end,
            &skip.frontier_end,
            &skip.doc_bits,
            &skip.tf_bits,
            &frontiers,
        ] {
            head.extend_from_slice(column);
        }
        write_vint(postings_out, head.len() as u64);
        postings_out.extend_from_slice(&head);
    } else if docs.len() >= 2 {
        // A small term keeps its frontier too, so its maximum score needs
        // no field length lookups.
        write_frontier(postings_out, &frontier((0..docs.len()).map(point), avg_len));
    }
    postings_out.extend_from_slice(&blocks);
}

/// The fixed-width arrays of a term's skip data, as written.
#[derive(Default)]
pub(crate) struct SkipColumns {
    pub(crate) last_doc: Vec<u8>,
    pub(crate) blocks_end: Vec<u8>,
    pub(crate) positions_end: Vec<u8>,
    pub(crate) frontier_end: Vec<u8>,
    pub(crate) doc_bits: Vec<u8>,
    pub(crate) tf_bits: Vec<u8>,
}
