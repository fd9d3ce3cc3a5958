//! The drain-only floor of the burst benchmark (`scripts/bench-burst.sh`): a
//! NETLINK_ROUTE socket joined to the same groups as the listeners it is
//! compared with, which does nothing with what it reads but count the
//! message types. What any listener must spend to take the kernel's messages
//! off its socket, measured on the same burst beside them.
//!
//! It reads as nlwatch's readers do, so the floor is the cost of that way of
//! reading: `poll`, then `recvmmsg` with 64 slots until the socket is empty,
//! then 10 ms for more to gather (nlwatch's default batch window) before
//! polling again. It never decodes, keeps or prints.
//!
//! ```text
//! drain GROUPS RCVBUF COUNTS   # groups as a hex mask (0x555), bytes, output file
//! ```
//!
//! It stops on SIGTERM or SIGINT and writes `COUNTS`: `TYPE COUNT` lines
//! (netlink message types), then `messages`, `datagrams` and `overruns`
//! (ENOBUFS). Without arguments (as `cargo bench` runs every bench) it says
//! what it is and exits.

use nix::libc;
use std::io::Write;
use std::mem::{size_of, zeroed};

const SLOTS: usize = 64;
/// One notification is one datagram of at most a few KiB (a link's is
/// the largest, under 2 KiB with every detail).
const SLOT_BYTES: usize = 32 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [groups, rcvbuf, counts] = &args[..] else {
        eprintln!(
            "drain GROUPS RCVBUF COUNTS: the burst benchmark's floor (scripts/bench-burst.sh)"
        );
        return;
    };
    let groups = u32::from_str_radix(groups.trim_start_matches("0x"), 16).expect("GROUPS: hex");
    let rcvbuf: libc::c_int = rcvbuf.parse().expect("RCVBUF: bytes");
    if let Err(e) = run(groups, rcvbuf, counts) {
        eprintln!("drain: {e}");
        std::process::exit(1);
    }
}

fn check(r: libc::c_int, what: &str) -> std::io::Result<libc::c_int> {
    if r < 0 {
        let e = std::io::Error::last_os_error();
        return Err(std::io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    Ok(r)
}

fn run(groups: u32, rcvbuf: libc::c_int, counts_path: &str) -> std::io::Result<()> {
    // SAFETY (all the calls below): plain system calls on descriptors this
    // function owns, with buffers that outlive each call.
    unsafe {
        let fd = check(
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            ),
            "socket",
        )?;
        check(
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                (&rcvbuf as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            ),
            "SO_RCVBUFFORCE",
        )?;
        let mut addr: libc::sockaddr_nl = zeroed();
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_groups = groups;
        check(
            libc::bind(
                fd,
                (&addr as *const libc::sockaddr_nl).cast(),
                size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            ),
            "bind",
        )?;
        // SIGTERM and SIGINT through a descriptor, polled with the socket.
        let mut mask: libc::sigset_t = zeroed();
        libc::sigemptyset(&mut mask);
        libc::sigaddset(&mut mask, libc::SIGTERM);
        libc::sigaddset(&mut mask, libc::SIGINT);
        check(
            libc::pthread_sigmask(libc::SIG_BLOCK, &mask, std::ptr::null_mut()),
            "sigmask",
        )?;
        let sigfd = check(libc::signalfd(-1, &mask, libc::SFD_CLOEXEC), "signalfd")?;

        let mut bufs = vec![0u8; SLOTS * SLOT_BYTES];
        let mut iovs: Vec<libc::iovec> = bufs
            .chunks_mut(SLOT_BYTES)
            .map(|c| libc::iovec {
                iov_base: c.as_mut_ptr().cast(),
                iov_len: c.len(),
            })
            .collect();
        let mut msgs: Vec<libc::mmsghdr> = iovs
            .iter_mut()
            .map(|iov| {
                let mut m: libc::mmsghdr = zeroed();
                m.msg_hdr.msg_iov = iov;
                m.msg_hdr.msg_iovlen = 1;
                m
            })
            .collect();
        let mut by_type = [0u64; 128];
        let (mut messages, mut datagrams, mut overruns) = (0u64, 0u64, 0u64);
        let mut fds = [
            libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: sigfd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        'watch: loop {
            if libc::poll(fds.as_mut_ptr(), 2, -1) < 0 {
                continue; // EINTR
            }
            if fds[1].revents != 0 {
                break;
            }
            loop {
                let n = libc::recvmmsg(
                    fd,
                    msgs.as_mut_ptr(),
                    SLOTS as libc::c_uint,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                );
                if n < 0 {
                    match std::io::Error::last_os_error().raw_os_error() {
                        Some(libc::ENOBUFS) => {
                            overruns += 1;
                            continue;
                        }
                        Some(libc::EINTR) => continue,
                        Some(libc::EAGAIN) => break,
                        _ => break 'watch,
                    }
                }
                for (m, buf) in msgs.iter().zip(bufs.chunks(SLOT_BYTES)).take(n as usize) {
                    datagrams += 1;
                    let mut rest = &buf[..(m.msg_len as usize).min(SLOT_BYTES)];
                    while rest.len() >= 16 {
                        let len = u32::from_ne_bytes(rest[..4].try_into().unwrap()) as usize;
                        let kind = u16::from_ne_bytes(rest[4..6].try_into().unwrap());
                        if len < 16 {
                            break;
                        }
                        messages += 1;
                        by_type[usize::from(kind).min(127)] += 1;
                        rest = &rest[len.next_multiple_of(4).min(rest.len())..];
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let mut out = std::fs::File::create(counts_path)?;
        for (kind, count) in by_type.iter().enumerate().filter(|(_, &c)| c > 0) {
            writeln!(out, "{kind} {count}")?;
        }
        writeln!(
            out,
            "messages {messages}\ndatagrams {datagrams}\noverruns {overruns}"
        )?;
    }
    Ok(())
}
