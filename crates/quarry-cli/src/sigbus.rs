//! An index is memory-mapped. If its file is truncated or rewritten in
//! place while a command reads it, touching a page that is no longer
//! backed by the file raises SIGBUS, which by default ends the process
//! with no message (exit 135 in a shell). The CLI turns that into its
//! usual one-line error and exit code 2.
//!
//! Every file this process maps is an index (searched, benchmarked,
//! verified, or read by a merge or an update), so any SIGBUS here is
//! reported as such. On Linux a stack overflow raises SIGSEGV, not
//! SIGBUS, so replacing the standard library's SIGBUS handler loses no
//! stack-overflow report there.

/// The line printed on SIGBUS, in the style of the CLI's other errors.
#[cfg(unix)]
const MESSAGE: &[u8] = b"quarry: error: the index file was changed while being read; \
indexes are replaced by rename, never in place\n";

/// Runs on SIGBUS, on the faulting thread: only async-signal-safe calls.
#[cfg(unix)]
extern "C" fn on_sigbus(_signal: libc::c_int) {
    // SAFETY: write(2) and _exit(2) are async-signal-safe (POSIX,
    // signal-safety(7)); `MESSAGE` is a static byte string, valid for its
    // whole length. Nothing here allocates, locks, or touches state the
    // interrupted code may be in the middle of changing; _exit ends every
    // thread without running destructors or atexit handlers, so the
    // faulting instruction is never resumed.
    unsafe {
        // Nothing can be done if the write fails: exit anyway.
        let _ = libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(2);
    }
}

/// Installs the SIGBUS handler. Call once, first thing in `main`.
#[cfg(unix)]
pub(crate) fn install() {
    // SAFETY: `action` is zeroed, then every field sigaction(2) reads is
    // set: the handler (a plain `extern "C" fn(c_int)`, as sa_handler
    // expects without SA_SIGINFO), an empty mask and the flags.
    // SA_ONSTACK runs the handler on the alternate signal stack the
    // standard library sets up for each thread, so it runs even when the
    // fault hits deep in a stack. The handler itself is sound in a signal
    // context (see `on_sigbus`). The old action is not needed (null).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        // Should it fail (it cannot for SIGBUS), the default action stays.
        let _ = libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// No SIGBUS where there are no Unix signals.
#[cfg(not(unix))]
pub(crate) fn install() {}
