//! Network namespaces: what the caller names ([`Netns`]), how a namespace file is
//! opened and identified, how work is done inside one (`enter`), and how
//! namespaces are found as they appear in directories (`discover`).
//!
//! A namespace is named by the caller and opened as an nsfs file on the caller's
//! thread, which is never moved. Its identity is the nsfs file's device and inode,
//! known before any socket exists, so the same namespace reached by two names (a
//! `/run/netns` name and a `/proc/PID/ns/net` path, say) is recognised and opened
//! once.
//!
//! This module knows nothing of sockets or events: it opens files and runs what it
//! is given inside a namespace.

pub(crate) mod discover;
mod enter;

pub(crate) use enter::run_inside;

use crate::error::Error;
use nix::libc;
use nix::sys::stat::fstat;
use nix::sys::statfs::fstatfs;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The directory `ip netns` keeps its named namespaces in.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// A network namespace to watch.
#[derive(Debug)]
#[non_exhaustive]
pub enum Netns {
    /// The namespace of the thread that adds it; its events are tagged `""`.
    Current,
    /// A name under `/run/netns`, as `ip netns` names them; tagged with the name.
    Named(String),
    /// A namespace file, e.g. `/var/run/docker/netns/ID` or `/proc/PID/ns/net`;
    /// tagged with the path.
    Path(PathBuf),
    /// The namespace of a process (`/proc/PID/ns/net`); tagged `pid:PID`.
    Pid(u32),
    /// An open namespace file descriptor; tagged `fd:N`. The monitor keeps its own
    /// duplicate, so the caller may close this one.
    Fd(OwnedFd),
}

impl Netns {
    /// The name events of this namespace are tagged with.
    pub fn display_name(&self) -> String {
        match self {
            Netns::Current => String::new(),
            Netns::Named(name) => name.clone(),
            Netns::Path(p) => p.display().to_string(),
            Netns::Pid(pid) => format!("pid:{pid}"),
            Netns::Fd(fd) => format!("fd:{}", fd.as_raw_fd()),
        }
    }

    fn path(&self) -> Option<PathBuf> {
        match self {
            Netns::Current => Some(PathBuf::from("/proc/thread-self/ns/net")),
            Netns::Named(name) => Some(Path::new(NETNS_RUN_DIR).join(name)),
            Netns::Path(p) => Some(p.clone()),
            Netns::Pid(pid) => Some(PathBuf::from(format!("/proc/{pid}/ns/net"))),
            Netns::Fd(_) => None,
        }
    }
}

/// An opened namespace file and its identity.
#[derive(Debug)]
pub(crate) struct NsFile {
    pub(crate) file: OwnedFd,
    /// (st_dev, st_ino) of the nsfs file: equal for the same namespace.
    pub(crate) key: (u64, u64),
    pub(crate) name: String,
}

/// Opens the namespace file `netns` names, checks that it is a network namespace
/// and reads its identity. Runs on the caller's thread; enters nothing.
pub(crate) fn open(netns: Netns) -> Result<NsFile, Error> {
    let name = netns.display_name();
    if let Netns::Named(n) = &netns {
        if n.is_empty() || n.contains('/') || n == "." || n == ".." {
            return Err(Error::InvalidArgument(format!(
                "{n:?} is not a namespace name (names under {NETNS_RUN_DIR} have no '/')"
            )));
        }
    }
    let file: OwnedFd = match (&netns, netns.path()) {
        (Netns::Fd(fd), _) => fd
            .try_clone()
            .map_err(|e| Error::io("duplicate the namespace descriptor", &name, e))?,
        // Non-blocking: a FIFO in a watched directory would otherwise block the
        // open until some writer came (it is then "not a namespace").
        (_, Some(path)) => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => Error::NoSuchNamespace {
                    netns: name.clone(),
                },
                _ => Error::io("open the namespace file", &name, e),
            })?
            .into(),
        (_, None) => unreachable!("every variant but Fd has a path"),
    };
    let fs =
        fstatfs(file.as_fd()).map_err(|e| Error::io("stat the namespace file", &name, e.into()))?;
    if fs.filesystem_type() != nix::sys::statfs::NSFS_MAGIC {
        return Err(Error::NotANamespace { netns: name });
    }
    // nsfs also holds the other kinds of namespace (uts, mnt, ...): ask which.
    // SAFETY: NS_GET_NSTYPE takes no argument and only reads the descriptor.
    let nstype = unsafe { libc::ioctl(file.as_raw_fd(), libc::NS_GET_NSTYPE) };
    if nstype != libc::CLONE_NEWNET {
        return Err(Error::NotANamespace { netns: name });
    }
    let st = fstat(file.as_raw_fd())
        .map_err(|e| Error::io("stat the namespace file", &name, e.into()))?;
    Ok(NsFile {
        file,
        key: (st.st_dev, st.st_ino),
        name,
    })
}
