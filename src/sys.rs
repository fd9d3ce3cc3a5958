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
