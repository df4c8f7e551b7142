//! A hint that fetches memory ahead of its use, for the inverter's inner
//! loop: on a large chunk, each token's form slot, term state, surface
//! count and stream tails lie far apart in memory, past the caches, and
//! the loop would otherwise wait for each in turn. Asked for a few tokens
//! ahead, the fetches overlap with the work on the tokens before them.
//! On targets other than x86_64 (with SSE), nothing is fetched early.

/// Bytes per cache line (x86_64).
const LINE: usize = 64;

/// Asks the processor to bring every cache line that holds a byte of `r`
/// into its caches, without waiting for them.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    let start = std::ptr::from_ref(r).cast::<i8>();
    let len = std::mem::size_of::<T>();
    let mut at = 0;
    while at < len {
        line(start.wrapping_add(at));
        at += LINE;
    }
    // The last byte's line, when the value straddles one more.
    if len > 1 {
        line(start.wrapping_add(len - 1));
    }
}

/// Asks for the cache line of `p`, an address within a live value.
#[inline(always)]
fn line(p: *const i8) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    // SAFETY: `_mm_prefetch` needs SSE, which the `cfg` above makes sure
    // the target has. A prefetch is a hint: it reads nothing into the
    // program, changes no memory and never faults, whatever the address
    // (here, one within a live value anyway).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p);
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = p;
}
