//! The rtnetlink socket: open, bind, join groups, size the receive buffer, receive.
//!
//! Binding uses `nl_pid = 0`, which lets the kernel pick a unique port id
//! (autobind); the id is read back with `getsockname`. Hand-picked ids such as the
//! process id collide as soon as a second socket, a second `Monitor` or another
//! library in the same process binds the same id; autobind cannot collide.
//!
//! Groups 1 to 32 are joined by `bind`'s `nl_groups` bitmask (bit `g - 1` is group
//! `g`), the rest with `NETLINK_ADD_MEMBERSHIP`, one call per group. The bitmask is
//! not for style: every membership change makes the kernel walk the list of all
//! NETLINK_ROUTE listeners of the machine, every namespace's (`netlink_update_listeners`),
//! so one `bind` instead of a dozen `setsockopt`s is what keeps opening 10,000
//! sockets from costing 10,000 x 12 walks of a 10,000-long list.
//!
//! Receiving never sleeps: the socket is non-blocking and the reader waits for it
//! with epoll, then takes what is queued several datagrams per `recvmmsg`
//! ([`RtSocket::recv_batch`]). Every datagram's sender address is checked: only the kernel
//! (`nl_pid == 0`) may speak; anything else is dropped and reported as foreign.
//! Any process with `CAP_NET_ADMIN` can unicast to our port id, and with
//! `NETLINK_ROUTE`'s multicast-send permission to our groups, so this matters.
//!
//! This module must never decode: it hands out bytes. It writes none either:
//! requests come built from `wire::Request`.

use crate::sys::syscall;
use crate::wire::{Dump, Header};
use nix::libc;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Receive buffer size in user space: the kernel's dumps use up to 32 KiB per
/// datagram, notifications far less.
pub(crate) const DEFAULT_BUFFER: usize = 32 * 1024;

/// The highest group `bind`'s 32-bit `nl_groups` can name.
const BIND_MASK_GROUPS: u32 = 32;

/// `nl_groups` for the groups of `groups` that it can name (1 to 32).
fn bind_mask(groups: &[u32]) -> u32 {
    groups
        .iter()
        .filter(|&&g| (1..=BIND_MASK_GROUPS).contains(&g))
        .fold(0, |mask, &g| mask | 1 << (g - 1))
}

/// What one receive produced.
#[derive(Debug)]
pub(crate) enum Received<'a> {
    /// A datagram from the kernel: one or more netlink messages.
    Kernel(&'a [u8]),
    /// A datagram from another socket (`nl_pid` != 0); dropped unread.
    Foreign {
        /// The sender's port id (for `Debug`: the reader only counts these).
        #[allow(dead_code)]
        portid: u32,
    },
    /// A datagram larger than the buffer: its tail was lost. The buffers are
    /// grown before the next receive so that one of that size fits; the state
    /// it carried must be recovered by other means.
    Truncated {
        /// The datagram's real length (for `Debug` and tests).
        #[cfg_attr(not(test), allow(dead_code))]
        len: usize,
        /// The header of its first message, which did arrive: whether it was part
        /// of a dump (its sequence number and port id) or a notification.
        first: Option<Header>,
        /// What arrived of it (what a recording keeps).
        captured: &'a [u8],
    },
}

const MAX_SLOTS: usize = 64;

/// Buffers for [`RtSocket::recv_batch`]: several datagrams per system call.
/// One batch serves any number of sockets, one receive at a time.
pub(crate) struct RecvBatch {
    bufs: Vec<Vec<u8>>,
    from: Vec<libc::sockaddr_nl>,
    lens: Vec<usize>,
    /// The size every slot is grown to before the next receive, after a
    /// truncation (not at once: the slots of the last receive not read yet are
    /// judged by the size they were filled with).
    grow_to: usize,
    count: usize,
}

impl std::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("capacity", &self.bufs.len())
            .field("count", &self.count)
            .finish()
    }
}

impl RecvBatch {
    /// Room for `slots` datagrams (1 to 64) of up to [`DEFAULT_BUFFER`] bytes
    /// each.
    #[cfg(test)]
    pub(crate) fn new(slots: usize) -> Self {
        RecvBatch::with_size(slots, DEFAULT_BUFFER)
    }

    /// Room for `slots` datagrams (1 to 64) of up to `bytes` each (at least 64).
    pub(crate) fn with_size(slots: usize, bytes: usize) -> Self {
        let slots = slots.clamp(1, MAX_SLOTS);
        let bytes = bytes.max(64);
        RecvBatch {
            bufs: vec![vec![0; bytes]; slots],
            // SAFETY: an all-zero sockaddr_nl is valid.
            from: vec![unsafe { zeroed() }; slots],
            lens: vec![0; slots],
            grow_to: 0,
            count: 0,
        }
    }

    /// How many datagrams one receive can take.
    pub(crate) fn capacity(&self) -> usize {
        self.bufs.len()
    }

    /// Datagram `i` of the last receive (`i` below what it returned), checked as
    /// [`RtSocket::recv`] checks: its sender, and whether it fitted. After a
    /// truncation every slot is grown, before the next receive, to fit a
    /// datagram of that size: the rest of a dump comes in datagrams of that
    /// size, into any slot, and growing one slot at a time could lose up to one
    /// datagram per slot.
    pub(crate) fn get(&mut self, i: usize) -> Option<Received<'_>> {
        if i >= self.count {
            return None;
        }
        let buf = &self.bufs[i];
        match checked(self.from[i].nl_pid, self.lens[i], buf.len()) {
            Fits::Kernel(len) => Some(Received::Kernel(&buf[..len])),
            Fits::Foreign(portid) => Some(Received::Foreign { portid }),
            Fits::Truncated(len) => {
                self.grow_to = self.grow_to.max(len.next_power_of_two());
                Some(Received::Truncated {
                    len,
                    first: Header::peek(buf),
                    captured: buf,
                })
            }
        }
    }

    /// Grows every slot as the last truncation asked.
    fn grow(&mut self) {
        let size = std::mem::take(&mut self.grow_to);
        for buf in self.bufs.iter_mut().filter(|b| b.len() < size) {
            buf.resize(size, 0);
        }
    }
}

/// What a datagram's sender and length say about it.
enum Fits {
    /// From the kernel, whole: this many bytes.
    Kernel(usize),
    /// From this other port.
    Foreign(u32),
    /// From the kernel, but this long: more than the buffer it came into.
    Truncated(usize),
}

/// Checks a datagram of real length `len` from port `portid`, received into a
/// buffer of `size` bytes: only the kernel's (port 0) are handed out, and only
/// whole.
fn checked(portid: u32, len: usize, size: usize) -> Fits {
    if portid != 0 {
        Fits::Foreign(portid)
    } else if len > size {
        Fits::Truncated(len)
    } else {
        Fits::Kernel(len)
    }
}

/// An open `NETLINK_ROUTE` socket.
#[derive(Debug)]
pub(crate) struct RtSocket {
    fd: OwnedFd,
    portid: u32,
    rcvbuf: usize,
    /// The buffer of single receives ([`RtSocket::recv`], the reference the
    /// tests check `recv_batch` against; readers use a shared `RecvBatch`).
    #[cfg(test)]
    buf: Vec<u8>,
}

impl RtSocket {
    /// Opens a non-blocking, close-on-exec `NETLINK_ROUTE` socket in the calling
    /// thread's network namespace, binds it with `nl_pid = 0`, reads back its
    /// port id, joins `groups`, and, when `rcvbuf` is given, asks for that receive
    /// buffer (`SO_RCVBUFFORCE`, which needs `CAP_NET_ADMIN`, then `SO_RCVBUF`,
    /// which the kernel caps at `net.core.rmem_max`).
    ///
    /// The socket never keeps the port id equal to the process id: classic netlink
    /// code binds that id explicitly, and would fail with `EADDRINUSE` if nlwatch
    /// held it. When autobind hands it out (it tries the process id first, so in
    /// every fresh namespace), a second socket is opened, which autobind must give
    /// another id, and the first is closed before any group is joined.
    pub(crate) fn open(groups: &[u32], rcvbuf: Option<usize>) -> io::Result<Self> {
        // Groups are joined only once the port id is kept: a socket that joined
        // and was then closed would cost two more walks of every listener of
        // the machine (see the module docs), and in every fresh namespace
        // autobind does hand out the process id first.
        let (mut fd, mut addr) = Self::autobound()?;
        if addr.nl_pid == std::process::id() {
            let first = fd;
            (fd, addr) = Self::autobound()?;
            drop(first);
        }
        let raw = fd.as_raw_fd();
        // A second `bind` with the port id it has changes only the groups.
        addr.nl_groups = bind_mask(groups);
        if addr.nl_groups != 0 {
            bind(raw, &addr)?;
        }
        for &group in groups.iter().filter(|&&g| g > BIND_MASK_GROUPS) {
            setsockopt_int(
                raw,
                libc::SOL_NETLINK,
                libc::NETLINK_ADD_MEMBERSHIP,
                group as libc::c_int,
            )?;
        }
        if let Some(bytes) = rcvbuf {
            let want = bytes.min(i32::MAX as usize / 2) as libc::c_int;
            if setsockopt_int(raw, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, want).is_err() {
                setsockopt_int(raw, libc::SOL_SOCKET, libc::SO_RCVBUF, want)?;
            }
        }
        let applied = getsockopt_int(raw, libc::SOL_SOCKET, libc::SO_RCVBUF)?;
        Ok(RtSocket {
            portid: addr.nl_pid,
            rcvbuf: applied.max(0) as usize,
            fd,
            // Allocated by the first `recv`.
            #[cfg(test)]
            buf: Vec::new(),
        })
    }

    /// A fresh non-blocking, close-on-exec `NETLINK_ROUTE` socket bound with
    /// `nl_pid = 0` and no group, and the address the kernel gave it.
    fn autobound() -> io::Result<(OwnedFd, libc::sockaddr_nl)> {
        let raw = syscall!(socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            libc::NETLINK_ROUTE
        ))?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: an all-zero sockaddr_nl is valid.
        let mut addr: libc::sockaddr_nl = unsafe { zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        bind(raw, &addr)?;
        let mut len = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        syscall!(getsockname(
            raw,
            &mut addr as *mut _ as *mut libc::sockaddr,
            &mut len
        ))?;
        Ok((fd, addr))
    }

    /// The port id the kernel gave this socket (its `nl_pid`).
    pub(crate) fn portid(&self) -> u32 {
        self.portid
    }

    /// The receive buffer the kernel applied, in bytes, as `getsockopt(SO_RCVBUF)`
    /// reports it (the kernel doubles the requested value for its bookkeeping).
    pub(crate) fn rcvbuf(&self) -> usize {
        self.rcvbuf
    }

    /// The size of the user-space receive buffer; it grows after a truncation.
    #[cfg(test)]
    pub(crate) fn buffer_len(&self) -> usize {
        // Allocated at the first `recv`, at this size unless set.
        if self.buf.is_empty() {
            DEFAULT_BUFFER
        } else {
            self.buf.len()
        }
    }

    /// Sets the size of the user-space receive buffer (at least 64 bytes; default
    /// [`DEFAULT_BUFFER`]). Smaller buffers only make truncations likelier.
    #[cfg(test)]
    pub(crate) fn set_buffer_len(&mut self, bytes: usize) {
        self.buf.resize(bytes.max(64), 0);
        self.buf.shrink_to_fit();
    }

    /// The network namespace cookie (`SO_NETNS_COOKIE`, Linux 5.14+), a 64-bit id
    /// that is never reused while the system runs.
    pub(crate) fn netns_cookie(&self) -> io::Result<u64> {
        let mut cookie: u64 = 0;
        let mut len = size_of::<u64>() as libc::socklen_t;
        syscall!(getsockopt(
            self.fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_NETNS_COOKIE,
            &mut cookie as *mut u64 as *mut libc::c_void,
            &mut len
        ))?;
        Ok(cookie)
    }

    /// Receives one datagram without blocking.
    ///
    /// Errors are the socket's: `WouldBlock` when nothing is queued, and
    /// `ENOBUFS` (raw OS error) when the kernel dropped notifications because the
    /// receive buffer was full: an overrun.
    #[cfg(test)]
    pub(crate) fn recv(&mut self) -> io::Result<Received<'_>> {
        if self.buf.is_empty() {
            self.buf.resize(DEFAULT_BUFFER, 0);
        }
        // SAFETY: all-zero sockaddr_nl / msghdr are valid.
        let mut from: libc::sockaddr_nl = unsafe { zeroed() };
        let mut iov = libc::iovec {
            iov_base: self.buf.as_mut_ptr() as *mut libc::c_void,
            iov_len: self.buf.len(),
        };
        let mut hdr: libc::msghdr = unsafe { zeroed() };
        hdr.msg_name = &mut from as *mut _ as *mut libc::c_void;
        hdr.msg_namelen = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        hdr.msg_iov = &mut iov;
        hdr.msg_iovlen = 1;
        // MSG_TRUNC makes netlink return the datagram's real length.
        let n = syscall!(recvmsg(self.fd.as_raw_fd(), &mut hdr, libc::MSG_TRUNC))? as usize;
        Ok(match checked(from.nl_pid, n, self.buf.len()) {
            Fits::Kernel(len) => Received::Kernel(&self.buf[..len]),
            Fits::Foreign(portid) => Received::Foreign { portid },
            Fits::Truncated(len) => {
                let first = Header::peek(&self.buf);
                // Growing keeps what arrived in front.
                let arrived = self.buf.len();
                self.buf.resize(len.next_power_of_two(), 0);
                let captured = &self.buf[..arrived];
                Received::Truncated {
                    len,
                    first,
                    captured,
                }
            }
        })
    }

    /// Receives up to [`RecvBatch::capacity`] datagrams without blocking, in one
    /// `recvmmsg` call; returns how many (at least 1), to be read with
    /// [`RecvBatch::get`].
    ///
    /// Errors are those of [`RtSocket::recv`]. When the kernel reports an error
    /// after some datagrams were received, those are returned and the error comes
    /// with the next call.
    pub(crate) fn recv_batch(&mut self, batch: &mut RecvBatch) -> io::Result<usize> {
        batch.grow();
        let slots = batch.bufs.len();
        // On the stack, not allocated per call: the headers point into `batch`,
        // which outlives the call, with the lengths given.
        // SAFETY: all-zero iovec / mmsghdr are valid.
        let mut iovs: [libc::iovec; MAX_SLOTS] = unsafe { zeroed() };
        let mut msgs: [libc::mmsghdr; MAX_SLOTS] = unsafe { zeroed() };
        for (((buf, from), iov), m) in batch
            .bufs
            .iter_mut()
            .zip(batch.from.iter_mut())
            .zip(iovs.iter_mut())
            .zip(msgs.iter_mut())
        {
            *iov = libc::iovec {
                iov_base: buf.as_mut_ptr() as *mut libc::c_void,
                iov_len: buf.len(),
            };
            m.msg_hdr.msg_name = from as *mut _ as *mut libc::c_void;
            m.msg_hdr.msg_namelen = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            m.msg_hdr.msg_iov = iov;
            m.msg_hdr.msg_iovlen = 1;
        }
        // MSG_TRUNC makes netlink report each datagram's real length.
        let n = syscall!(recvmmsg(
            self.fd.as_raw_fd(),
            msgs.as_mut_ptr(),
            slots as libc::c_uint,
            libc::MSG_TRUNC | libc::MSG_DONTWAIT,
            std::ptr::null_mut()
        ))? as usize;
        for (len, m) in batch.lens.iter_mut().zip(&msgs[..n]) {
            *len = m.msg_len as usize;
        }
        batch.count = n;
        Ok(n)
    }

    /// Asks the kernel for `dump` (every object of a kind, of all families). The
    /// answer arrives on this socket as messages with this socket's port id and
    /// `seq`, ended by `NLMSG_DONE`.
    pub(crate) fn request_dump(&self, dump: Dump, seq: u32) -> io::Result<()> {
        self.send_to_kernel(dump.request(seq).as_bytes())
    }

    /// Sends `bytes` (one or more netlink messages) to the kernel.
    fn send_to_kernel(&self, bytes: &[u8]) -> io::Result<()> {
        // SAFETY: an all-zero sockaddr_nl is valid; nl_pid 0 addresses the kernel.
        let mut to: libc::sockaddr_nl = unsafe { zeroed() };
        to.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        syscall!(sendto(
            self.fd.as_raw_fd(),
            bytes.as_ptr() as *const libc::c_void,
            bytes.len(),
            0,
            &to as *const _ as *const libc::sockaddr,
            size_of::<libc::sockaddr_nl>() as libc::socklen_t
        ))?;
        Ok(())
    }
}

impl AsFd for RtSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for RtSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// `bind(2)` of `fd` to the netlink address `addr`.
fn bind(fd: RawFd, addr: &libc::sockaddr_nl) -> io::Result<()> {
    syscall!(bind(
        fd,
        addr as *const libc::sockaddr_nl as *const libc::sockaddr,
        size_of::<libc::sockaddr_nl>() as libc::socklen_t
    ))?;
    Ok(())
}

fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    opt: libc::c_int,
    v: libc::c_int,
) -> io::Result<()> {
    syscall!(setsockopt(
        fd,
        level,
        opt,
        &v as *const libc::c_int as *const libc::c_void,
        size_of::<libc::c_int>() as libc::socklen_t
    ))?;
    Ok(())
}

fn getsockopt_int(fd: RawFd, level: libc::c_int, opt: libc::c_int) -> io::Result<libc::c_int> {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    syscall!(getsockopt(
        fd,
        level,
        opt,
        &mut v as *mut libc::c_int as *mut libc::c_void,
        &mut len
    ))?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autobind_gives_distinct_portids_and_reports_rcvbuf() {
        // Opening and binding a NETLINK_ROUTE socket needs no privilege and changes
        // nothing; joining the link group only listens.
        let a = RtSocket::open(&[1], Some(256 * 1024)).unwrap();
        let b = RtSocket::open(&[1], None).unwrap();
        assert_ne!(a.portid(), 0);
        assert_ne!(a.portid(), b.portid());
        assert_ne!(a.portid(), std::process::id());
        assert!(a.rcvbuf() > 0);
        assert_eq!(a.buffer_len(), DEFAULT_BUFFER);
    }

    /// The groups the kernel says the socket is a member of
    /// (`NETLINK_LIST_MEMBERSHIPS`: a bitmap, bit `g - 1` for group `g`).
    fn memberships(socket: &RtSocket) -> Vec<u32> {
        let mut words = [0u32; 4];
        let mut len = std::mem::size_of_val(&words) as libc::socklen_t;
        syscall!(getsockopt(
            socket.as_raw_fd(),
            libc::SOL_NETLINK,
            libc::NETLINK_LIST_MEMBERSHIPS,
            words.as_mut_ptr() as *mut libc::c_void,
            &mut len
        ))
        .unwrap();
        (0..128u32)
            .filter(|bit| words[(bit / 32) as usize] & (1 << (bit % 32)) != 0)
            .map(|bit| bit + 1)
            .collect()
    }

    #[test]
    fn groups_up_to_32_are_joined_by_bind_and_the_rest_by_setsockopt() {
        assert_eq!(bind_mask(&[1, 3, 32, 33, 0]), 1 | 1 << 2 | 1 << 31);
        // Joining groups only listens; none of these needs a privilege.
        let groups = [1, 3, 5, 7, 9, 11, 26, 28, 32, 33, 34];
        let socket = RtSocket::open(&groups, None).unwrap();
        assert_eq!(memberships(&socket), groups);
        let socket = RtSocket::open(&[33], None).unwrap();
        assert_eq!(memberships(&socket), [33]);
    }

    // Moved from the integration tests when this module became private: they
    // make changes, so they run in the sandbox the integration tests use.
    use crate::sandbox::ip;

    crate::sandboxed_test! {
        /// A datagram larger than the receive buffer is reported as truncated (never
        /// decoded from a partial copy), the buffer grows, and the next one arrives whole.
        fn truncated_datagram_is_reported_and_the_buffer_grows() {
            use crate::wire::{consts::RTNLGRP_LINK, Messages};
            let mut socket = RtSocket::open(&[RTNLGRP_LINK], None).unwrap();
            socket.set_buffer_len(256);
            let next = |socket: &mut RtSocket| -> Option<usize> {
                let mut fds = [nix::poll::PollFd::new(
                    std::os::fd::AsFd::as_fd(&*socket),
                    nix::poll::PollFlags::POLLIN,
                )];
                let n = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(20_000u16)).unwrap();
                assert_eq!(n, 1, "no notification within the hang guard");
                match socket.recv().unwrap() {
                    Received::Truncated { len, .. } => Some(len),
                    Received::Kernel(bytes) => {
                        assert!(Messages::new(bytes).all(|m| m.is_ok()));
                        None
                    }
                    Received::Foreign { portid } => panic!("foreign datagram from {portid}"),
                }
            };
            ip("link add trunc0 type veth peer name trunc1");
            // A veth RTM_NEWLINK is about 1.5 KB: the first one cannot fit in 256 bytes.
            let len = next(&mut socket).expect("first datagram is truncated");
            assert!(len > 256, "{len}");
            assert!(socket.buffer_len() >= len);
            // Every following datagram of that size now fits.
            assert_eq!(next(&mut socket), None);
            ip("link del trunc0");
        }
    }

    crate::sandboxed_test! {
        /// `recv_batch` takes several queued datagrams per call, as many as it has
        /// slots, and yields the same datagrams in the same order as `recv` one by one.
        fn batched_receive_yields_what_single_receives_do() {
            use crate::wire::{consts::RTNLGRP_LINK, Messages};
            let mut single = RtSocket::open(&[RTNLGRP_LINK], None).unwrap();
            let mut batched = RtSocket::open(&[RTNLGRP_LINK], None).unwrap();
            // Notifications are queued before `ip` returns: all of them are waiting.
            for i in 0..5 {
                ip(&format!("link add rb{i} type veth peer name rbp{i}"));
            }
            // (type, bytes after the header) of each message of a datagram.
            fn messages(bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
                Messages::new(bytes)
                    .map(|m| {
                        let m = m.expect("well-formed");
                        (m.kind(), m.payload().to_vec())
                    })
                    .collect()
            }
            let mut one_by_one = Vec::new();
            loop {
                match single.recv() {
                    Ok(Received::Kernel(bytes)) => one_by_one.push(messages(bytes)),
                    Ok(other) => panic!("unexpected {other:?}"),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("recv: {e}"),
                }
            }
            // Two RTM_NEWLINK per pair at least.
            assert!(one_by_one.len() >= 10, "{} datagrams", one_by_one.len());
            let mut batch = RecvBatch::new(4);
            let mut in_batches = Vec::new();
            let mut calls = Vec::new();
            loop {
                match batched.recv_batch(&mut batch) {
                    Ok(n) => {
                        calls.push(n);
                        for i in 0..n {
                            match batch.get(i) {
                                Some(Received::Kernel(bytes)) => in_batches.push(messages(bytes)),
                                other => panic!("unexpected {other:?}"),
                            }
                        }
                        assert!(batch.get(n).is_none());
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("recv_batch: {e}"),
                }
            }
            assert_eq!(in_batches, one_by_one);
            // Full batches while at least 4 were waiting, then the rest.
            let total = one_by_one.len();
            let mut want = vec![4; total / 4];
            if total % 4 != 0 {
                want.push(total % 4);
            }
            assert_eq!(calls, want);
            for i in 0..5 {
                ip(&format!("link del rb{i}"));
            }
        }
    }
}
