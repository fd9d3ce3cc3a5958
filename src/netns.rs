//! Network namespace handles: what the caller names, how it is opened and identified,
//! and how a socket is created inside it.
//!
//! A namespace is named by the caller ([`Netns`]) and opened as an nsfs file on the
//! caller's thread, which is never moved. Its identity is the nsfs file's device and
//! inode, known before any socket exists, so the same namespace reached by two
//! names (a `/run/netns` name and a `/proc/PID/ns/net` path, say) is recognised and
//! opened once. Sockets are created by [`open_socket_in`] on a short-lived thread
//! that enters the namespace (`setns` through netns-rs), opens and binds the socket,
//! and exits: the socket stays bound to the namespace it was created in, and a panic
//! in that thread can only end the thread.
//!
//! This module never reads from a socket.

use crate::error::Error;
use crate::socket::RtSocket;
use nix::sys::stat::fstat;
use nix::sys::statfs::fstatfs;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// The directory `ip netns` keeps its named namespaces in.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// `NSFS_MAGIC` from `linux/magic.h`: the file system of namespace files.
const NSFS_MAGIC: i64 = 0x6e73_6673;
/// `NS_GET_NSTYPE` from `linux/nsfs.h`: `_IO(0xb7, 0x3)`.
const NS_GET_NSTYPE: nix::libc::Ioctl = 0xb703;

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
        (_, Some(path)) => File::open(&path)
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
    if fs.filesystem_type().0 as i64 != NSFS_MAGIC {
        return Err(Error::NotANamespace { netns: name });
    }
    // nsfs also holds the other kinds of namespace (uts, mnt, ...): ask which.
    // SAFETY: NS_GET_NSTYPE takes no argument and only reads the descriptor.
    let nstype = unsafe { nix::libc::ioctl(file.as_raw_fd(), NS_GET_NSTYPE) };
    if nstype != nix::libc::CLONE_NEWNET {
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

/// Creates an rtnetlink socket inside the namespace of `ns` on a short-lived thread.
/// `current` skips the thread: the caller's own namespace needs no `setns`.
pub(crate) fn open_socket_in(
    ns: &NsFile,
    current: bool,
    groups: &[u32],
    rcvbuf: Option<usize>,
) -> Result<RtSocket, Error> {
    if current {
        return RtSocket::open(groups, rcvbuf)
            .map_err(|e| Error::io("open the rtnetlink socket", &ns.name, e));
    }
    let path = PathBuf::from(format!("/proc/self/fd/{}", ns.file.as_raw_fd()));
    let groups = groups.to_vec();
    let name = ns.name.clone();
    let opener = std::thread::Builder::new()
        .name("nlwatch-opener".into())
        .spawn(move || -> Result<RtSocket, Error> {
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
            RtSocket::open(&groups, rcvbuf)
                .map_err(|e| Error::io("open the rtnetlink socket", &name, e))
        })
        .map_err(|e| Error::io("start the opener thread", &ns.name, e))?;
    opener.join().unwrap_or_else(|_| {
        Err(Error::io(
            "open the rtnetlink socket",
            &ns.name,
            io::Error::other("the opener thread panicked"),
        ))
    })
}
