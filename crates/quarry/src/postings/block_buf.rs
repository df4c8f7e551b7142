//! The buffer a postings cursor decodes a block into.
//!
//! It lives on the heap so that a cursor (and each scorer holding one)
//! stays small to move. Its type is a fixed-size array, not a slice, so
//! reading it needs no length check: the cursor's hottest loops (`seek`)
//! index it on every call. It is filled with a non-zero value when made,
//! so the allocation is a plain `malloc` that glibc serves from its
//! per-thread cache (a zeroed one would come from `calloc`, which on glibc
//! skips that cache).

use crate::format::BLOCK_LEN;

/// A decoded block: documents (row 0) and their frequencies (row 1).
/// What it holds past the decoded block's length is stale; the cursor
/// reads only up to that length.
pub(super) struct BlockBuf(Box<[[u32; BLOCK_LEN]; 2]>);

impl BlockBuf {
    pub(super) fn new() -> BlockBuf {
        BlockBuf(Box::new([[u32::MAX; BLOCK_LEN]; 2]))
    }

    #[inline(always)]
    pub(super) fn docs(&self) -> &[u32; BLOCK_LEN] {
        &self.0[0]
    }

    #[inline(always)]
    pub(super) fn docs_mut(&mut self) -> &mut [u32; BLOCK_LEN] {
        &mut self.0[0]
    }

    #[inline(always)]
    pub(super) fn freqs(&self) -> &[u32; BLOCK_LEN] {
        &self.0[1]
    }

    #[inline(always)]
    pub(super) fn freqs_mut(&mut self) -> &mut [u32; BLOCK_LEN] {
        &mut self.0[1]
    }
}

impl Clone for BlockBuf {
    fn clone(&self) -> BlockBuf {
        BlockBuf(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_separate_and_clones_copy() {
        let mut a = BlockBuf::new();
        a.docs_mut()[3] = 7;
        a.freqs_mut()[3] = 9;
        let b = a.clone();
        a.docs_mut()[3] = 1;
        assert_eq!((b.docs()[3], b.freqs()[3]), (7, 9));
        assert_eq!((a.docs()[3], a.freqs()[3]), (1, 9));
    }
}
