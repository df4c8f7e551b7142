//! Positions: LEB128 deltas per document, decoded on request.

use crate::format::read_vint_u32;

/// The offset after `n` LEB128 integers starting at `at`; `None` if the
/// bytes end first.
pub(crate) fn skip_vints(bytes: &[u8], at: usize, n: u64) -> Option<usize> {
    let mut left = n;
    let mut i = at;
    // Sixteen bytes at a time while at least sixteen integers are left: a
    // byte below 0x80 ends one, so such a chunk ends at most as many as
    // are left (all of its bytes, then, if exactly as many) and is skipped
    // whole. The count is a sum over the bytes, which compiles to a few
    // vector instructions; a population count is a long sequence on
    // x86-64 without POPCNT, the baseline this is built for.
    while left >= 16 {
        let Some(chunk) = bytes.get(i..i + 16) else {
            break;
        };
        let chunk: &[u8; 16] = chunk.try_into().expect("sixteen bytes");
        let ends: u32 = chunk.iter().map(|&b| u32::from(b < 0x80)).sum();
        left -= u64::from(ends);
        i += 16;
    }
    while left > 0 {
        let b = *bytes.get(i)?;
        i += 1;
        left -= u64::from(b < 0x80);
    }
    Some(i)
}

/// Reads one document's `freq` positions from `positions` at `*at`,
/// advancing `*at` and appending them to `out`. `false` (and nothing
/// appended) unless they decode and increase strictly.
pub fn read_doc_positions(positions: &[u8], at: &mut usize, freq: u32, out: &mut Vec<u32>) -> bool {
    let start = out.len();
    let mut prev: Option<u32> = None;
    for _ in 0..freq {
        let next = read_vint_u32(positions, at).and_then(|d| match prev {
            None => Some(d),
            Some(_) if d == 0 => None,
            Some(p) => p.checked_add(d),
        });
        match next {
            Some(p) => {
                prev = Some(p);
                out.push(p);
            }
            None => {
                out.truncate(start);
                return false;
            }
        }
    }
    true
}
