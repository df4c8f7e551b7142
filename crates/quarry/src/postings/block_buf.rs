//! The buffer a postings cursor decodes a block into, and a per-thread
//! store of spare ones.
//!
//! A query makes a cursor per term and field and drops them all at its
//! end. Each buffer is 1 KiB: just past what the C allocator serves from
//! its per-thread caches, so allocating one sorted the allocator's free
//! lists and zeroed the memory (several hundred instructions, and a cold
//! kilobyte, per cursor). A dropped buffer goes back to its thread's store
//! and the next cursor on that thread takes it.

use std::cell::RefCell;

use crate::format::BLOCK_LEN;

/// A decoded block: documents (row 0) and their frequencies (row 1).
/// What a reused buffer holds past the decoded block's length is stale;
/// the cursor reads only up to that length.
pub(super) struct BlockBuf(Box<[[u32; BLOCK_LEN]]>);

/// Most spare buffers a thread keeps (32 KiB).
const SPARES: usize = 32;

thread_local! {
    static SPARE: RefCell<Vec<Box<[[u32; BLOCK_LEN]]>>> = const { RefCell::new(Vec::new()) };
}

impl BlockBuf {
    /// A spare buffer of this thread, or a new one.
    pub(super) fn new() -> BlockBuf {
        let spare = SPARE
            .try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop()))
            .ok()
            .flatten();
        BlockBuf(spare.unwrap_or_else(|| vec![[0; BLOCK_LEN]; 2].into_boxed_slice()))
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
        let mut b = BlockBuf::new();
        b.0.copy_from_slice(&self.0);
        b
    }
}

impl Drop for BlockBuf {
    fn drop(&mut self) {
        // An empty boxed slice allocates nothing.
        let buf = std::mem::take(&mut self.0);
        if buf.len() != 2 {
            return;
        }
        // During thread teardown the store may be gone: then the buffer
        // is simply freed.
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                if s.len() < SPARES {
                    s.push(buf);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_on_their_thread_and_clones_copy() {
        let mut a = BlockBuf::new();
        a.docs_mut()[3] = 7;
        a.freqs_mut()[5] = 9;
        let b = a.clone();
        assert_eq!((b.docs()[3], b.freqs()[5]), (7, 9));
        let ptr = a.docs().as_ptr();
        drop(a);
        // The next buffer on this thread is the one just dropped.
        let c = BlockBuf::new();
        assert_eq!(c.docs().as_ptr(), ptr);
        // The store is bounded.
        let many: Vec<BlockBuf> = (0..3 * SPARES).map(|_| BlockBuf::new()).collect();
        drop(many);
        assert!(SPARE.with(|s| s.borrow().len()) <= SPARES);
    }
}
