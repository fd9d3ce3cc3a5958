//! The one place that turns libc's `-1`-and-errno convention into `io::Result`.

/// Calls a libc function and turns a `-1` return into `Err(io::Error::last_os_error())`.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        // SAFETY: each call site passes pointers to live, correctly sized values.
        #[allow(unused_unsafe)]
        let res = unsafe { nix::libc::$fn($($arg),*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

pub(crate) use syscall;

/// Hands the memory `free` has taken back but kept to the system, as far as
/// it can (glibc's `malloc_trim(0)`, which also returns whole free pages from
/// the middle of its heaps). glibc gives memory back on its own only from the
/// top of a heap: after the state view emptied of 150,000 objects, nlwatch
/// kept its whole peak (76.8 MiB, of which 3.3 MiB live; measured). A no-op
/// with other C libraries.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: takes no pointer; it only walks malloc's own free lists.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}
