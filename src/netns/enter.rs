//! Doing work inside a namespace without moving any caller thread: a short-lived
//! thread enters the namespace (`setns` through netns-rs), runs the work and
//! exits. What the work creates (a socket) stays bound to the namespace it was
//! created in; a panic in that thread can only end the thread.
//!
//! This module never keeps a thread or a descriptor beyond the call.

use super::NsFile;
use crate::error::Error;
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// Runs `work` inside the namespace of `ns` on a short-lived thread and returns
/// what it made; `what` names the work in errors ("open the rtnetlink socket").
/// `current` runs it on the calling thread: the caller's own namespace needs no
/// `setns`.
pub(crate) fn run_inside<T: Send + 'static>(
    ns: &NsFile,
    current: bool,
    what: &'static str,
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T, Error> {
    if current {
        return work().map_err(|e| Error::io(what, &ns.name, e));
    }
    let path = PathBuf::from(format!("/proc/self/fd/{}", ns.file.as_raw_fd()));
    let name = ns.name.clone();
    let opener = std::thread::Builder::new()
        .name("nlwatch-opener".into())
        .spawn(move || -> Result<T, Error> {
            let target = netns_rs::get_from_path(&path).map_err(|e| {
                Error::io(
                    "open the namespace file",
                    &name,
                    io::Error::other(e.to_string()),
                )
            })?;
            target.enter().map_err(|e| match e {
                netns_rs::Error::SetnsError(errno) => {
                    Error::io("enter the namespace (setns)", &name, io::Error::from(errno))
                }
                other => Error::io(
                    "enter the namespace (setns)",
                    &name,
                    io::Error::other(other.to_string()),
                ),
            })?;
            // This thread now lives in the target namespace and ends right after.
            work().map_err(|e| Error::io(what, &name, e))
        })
        .map_err(|e| Error::io("start the opener thread", &ns.name, e))?;
    opener.join().unwrap_or_else(|_| {
        Err(Error::io(
            what,
            &ns.name,
            io::Error::other("the opener thread panicked"),
        ))
    })
}
