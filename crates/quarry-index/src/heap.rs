//! Giving the heap memory a finished phase freed back to the system.
//!
//! glibc's allocator keeps memory that was freed: in the middle of a
//! heap, in the heaps of threads that have ended, and (past its dynamic
//! mmap threshold) in chunks it no longer maps on their own. A build's
//! inverting workers free tens of megabytes that the merges after them
//! would otherwise carry as resident memory beside their own. Between
//! phases the build asks the allocator to return every whole free page.

/// Returns the heap's free pages to the system (glibc); elsewhere,
/// nothing: other allocators return memory in their own time.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn give_back() {
    // SAFETY: malloc_trim(3) takes only a byte count, reads and writes no
    // memory of ours, and locks each arena while it trims it, so it is
    // sound from any thread (this is no signal handler, where it would
    // not be); it only releases pages no live allocation holds. Its
    // result (whether anything was released) is not needed.
    let _ = unsafe { libc::malloc_trim(0) };
}

/// Returns the heap's free pages to the system (glibc); elsewhere,
/// nothing: other allocators return memory in their own time.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn give_back() {}
