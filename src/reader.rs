//! Reader threads: a small fixed pool, each waiting with epoll on the sockets of
//! the namespaces assigned to it.
//!
//! A namespace belongs to exactly one reader for its whole life, so its events are
//! published in the kernel's order. When a socket is readable the reader drains a
//! bounded number of datagrams (so one busy namespace cannot starve the others),
//! drops datagrams not sent by the kernel, decodes each message into an [`Event`]
//! and publishes it. It keeps a per-namespace map of interface names, filled by a
//! link dump when the namespace is added and by link events after, so that events
//! of addresses, routes and neighbours carry their interface's name.
//!
//! Foreign datagrams, truncations, overruns and decode errors are counted and
//! skipped; a socket error ends that namespace only. A reader waits for a
//! subscriber only when that subscriber chose `Overflow::Block` (see the bus).

use crate::bus::{GoneReason, Item};
use crate::compact::CompactStr;
use crate::event::{Action, Event, NetnsTag, Object};
use crate::monitor::Shared;
use crate::socket::{Received, RtSocket};
use crate::wire::{consts::*, Message, Messages, NlMsg};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

/// Datagrams read from one socket per wake-up before looking at the others.
const BATCH: usize = 64;
const WAKE_TOKEN: u64 = u64::MAX;
/// Sequence number of the link dump sent when a namespace is added.
pub(crate) const NAMES_DUMP_SEQ: u32 = 1;

/// Counters of one namespace, shared between its reader and `Monitor::namespaces`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) events: AtomicU64,
    pub(crate) foreign_dropped: AtomicU64,
    pub(crate) decode_errors: AtomicU64,
    pub(crate) overruns: AtomicU64,
    pub(crate) truncated: AtomicU64,
}

/// What the reader and the monitor both know of a watched namespace.
#[derive(Debug)]
pub(crate) struct Namespace {
    pub(crate) tag: NetnsTag,
    pub(crate) portid: u32,
    pub(crate) rcvbuf: usize,
    pub(crate) counters: Counters,
}

/// A watched socket, owned by its reader.
pub(crate) struct Entry {
    pub(crate) socket: RtSocket,
    pub(crate) ns: Arc<Namespace>,
    /// Sequence number of the last event published for this namespace.
    pub(crate) seq: u64,
    /// ifindex -> interface name in this namespace.
    pub(crate) names: HashMap<u32, CompactStr>,
    /// The dump whose answers are being read, if any.
    pub(crate) dump_seq: Option<u32>,
}

/// One reader: its epoll instance, its wake-up eventfd and its sockets by token.
pub(crate) struct Reader {
    epoll: Epoll,
    wake: EventFd,
    pub(crate) entries: Mutex<HashMap<u64, Entry>>,
    /// Number of namespaces assigned, for placing new ones on the least loaded.
    pub(crate) load: AtomicUsize,
}

impl Reader {
    pub(crate) fn new() -> io::Result<Self> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        let wake = EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?;
        epoll.add(
            wake.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, WAKE_TOKEN),
        )?;
        Ok(Reader {
            epoll,
            wake,
            entries: Mutex::new(HashMap::new()),
            load: AtomicUsize::new(0),
        })
    }

    /// Starts watching `entry` under `token`.
    pub(crate) fn insert(&self, token: u64, entry: Entry) -> io::Result<()> {
        let mut entries = self.entries.lock();
        self.epoll.add(
            entry.socket.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, token),
        )?;
        entries.insert(token, entry);
        self.load.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Stops watching `token` and closes its socket, at once.
    pub(crate) fn remove(&self, token: u64) -> Option<Arc<Namespace>> {
        let entry = self.entries.lock().remove(&token)?;
        // Closing the socket also takes it out of the epoll set.
        let _ = self.epoll.delete(entry.socket.as_fd());
        self.load.fetch_sub(1, Ordering::Relaxed);
        Some(entry.ns)
    }

    pub(crate) fn wake(&self) {
        // Cannot fail short of the counter overflowing, which one write cannot do.
        let _ = self.wake.write(1);
    }
}

/// The body of reader thread `index`.
pub(crate) fn run(shared: &Arc<Shared>, index: usize) {
    let reader = &shared.readers[index];
    let mut events = [EpollEvent::empty(); 64];
    let mut failed: Vec<(u64, i32)> = Vec::new();
    loop {
        let n = match reader.epoll.wait(&mut events, EpollTimeout::NONE) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        };
        if shared.stopping() {
            return;
        }
        for ev in &events[..n] {
            if ev.data() == WAKE_TOKEN {
                let _ = reader.wake.read();
                continue;
            }
            let mut entries = reader.entries.lock();
            if let Some(entry) = entries.get_mut(&ev.data()) {
                if let Err(errno) = drain(entry, shared) {
                    failed.push((ev.data(), errno));
                }
            }
        }
        // Outside the entries lock: the registry is locked before entries elsewhere.
        for (token, errno) in failed.drain(..) {
            shared.forget(token, GoneReason::SocketError(errno));
        }
    }
}

/// Reads up to [`BATCH`] datagrams from one socket and publishes what they carry.
/// `Err(errno)` when the socket failed for good.
fn drain(entry: &mut Entry, shared: &Shared) -> Result<(), i32> {
    for _ in 0..BATCH {
        let c = &entry.ns.counters;
        match entry.socket.recv() {
            Ok(Received::Kernel(bytes)) => {
                let now = SystemTime::now();
                // The bytes borrow the socket's buffer; the rest of the entry is
                // borrowed separately.
                let Entry {
                    ns,
                    seq,
                    names,
                    dump_seq,
                    ..
                } = entry;
                let state = State {
                    ns,
                    seq,
                    names,
                    dump_seq,
                };
                handle_datagram(bytes, now, state, shared);
            }
            Ok(Received::Foreign { .. }) => {
                c.foreign_dropped.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Received::Truncated { .. }) => {
                c.truncated.fetch_add(1, Ordering::Relaxed);
                shared.bus.publish(Item::Overrun {
                    netns: entry.ns.tag.clone(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => {
                c.overruns.fetch_add(1, Ordering::Relaxed);
                shared.bus.publish(Item::Overrun {
                    netns: entry.ns.tag.clone(),
                });
            }
            Err(e) => return Err(e.raw_os_error().unwrap_or(0)),
        }
    }
    Ok(())
}

struct State<'a> {
    ns: &'a Arc<Namespace>,
    seq: &'a mut u64,
    names: &'a mut HashMap<u32, CompactStr>,
    dump_seq: &'a mut Option<u32>,
}

fn handle_datagram(bytes: &[u8], now: SystemTime, st: State<'_>, shared: &Shared) {
    let c = &st.ns.counters;
    for msg in Messages::new(bytes) {
        let Ok(msg) = msg else {
            c.decode_errors.fetch_add(1, Ordering::Relaxed);
            break;
        };
        if st.dump_seq.is_some_and(|s| s == msg.seq()) && msg.portid() == st.ns.portid {
            dump_reply(&msg, st.names, st.dump_seq, c);
            continue;
        }
        match crate::event::Object::decode(&msg) {
            Ok(Some((action, object))) => {
                let ifname = name_for(&object, action, st.names);
                *st.seq += 1;
                c.events.fetch_add(1, Ordering::Relaxed);
                shared.bus.publish(Item::Event(Arc::new(Event {
                    netns: st.ns.tag.clone(),
                    seq: *st.seq,
                    timestamp: now,
                    action,
                    ifname,
                    object,
                })));
            }
            Ok(None) => {
                if matches!(msg.parse(), Ok(Message::Overrun)) {
                    c.overruns.fetch_add(1, Ordering::Relaxed);
                    shared.bus.publish(Item::Overrun {
                        netns: st.ns.tag.clone(),
                    });
                }
            }
            Err(_) => {
                c.decode_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Keeps the name map current and returns the name of the object's interface.
fn name_for(
    object: &Object,
    action: Action,
    names: &mut HashMap<u32, CompactStr>,
) -> Option<CompactStr> {
    match object {
        Object::Link(l) => {
            match (action, &l.ifname) {
                (Action::New, Some(name)) => {
                    names.insert(l.ifindex, name.clone());
                }
                (Action::Del, _) => {
                    names.remove(&l.ifindex);
                }
                _ => {}
            }
            l.ifname.clone()
        }
        other => other.ifindex().and_then(|i| names.get(&i).cloned()),
    }
}

/// An answer to the link dump sent when the namespace was added: fills the name map.
fn dump_reply(
    msg: &NlMsg<'_>,
    names: &mut HashMap<u32, CompactStr>,
    dump_seq: &mut Option<u32>,
    c: &Counters,
) {
    match msg.kind() {
        RTM_NEWLINK => match Object::decode(msg) {
            Ok(Some((_, Object::Link(l)))) => {
                if let Some(name) = l.ifname {
                    // A live notification may already have named it more recently.
                    names.entry(l.ifindex).or_insert(name);
                }
            }
            _ => {
                c.decode_errors.fetch_add(1, Ordering::Relaxed);
            }
        },
        NLMSG_DONE | NLMSG_ERROR => *dump_seq = None,
        _ => {}
    }
}
