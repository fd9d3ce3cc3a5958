//! The monitor: owns the namespace sockets, the reader thread and the bus.
//!
//! A reader thread waits on epoll for its sockets and an eventfd used to wake it
//! for shutdown. When a socket is readable it drains it (a bounded number of
//! datagrams per wake-up, so one busy namespace cannot starve the others),
//! decodes each kernel message into an [`Event`] and publishes it on the bus.
//! Foreign datagrams, truncations, overruns and decode errors are counted per
//! namespace and never stop the reader.
//!
//! This module never parses bytes itself (that is [`crate::wire`] and
//! [`crate::event`]) and never blocks on a subscriber (that is [`crate::bus`]).

use crate::bus::{Bus, Item, Overflow, Subscription};
use crate::error::Error;
use crate::event::{Event, NetnsTag, Object, ObjectKind};
use crate::filter::Filter;
use crate::socket::{Received, RtSocket};
use crate::wire::{Message, Messages};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use parking_lot::Mutex;
use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::SystemTime;

/// Datagrams read from one socket per wake-up before looking at the others.
const BATCH: usize = 64;
const WAKE_TOKEN: u64 = u64::MAX;

/// Counters of one watched namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceStats {
    /// The namespace.
    pub netns: NetnsTag,
    /// The socket's netlink port id.
    pub portid: u32,
    /// The receive buffer the kernel applied, in bytes.
    pub rcvbuf: usize,
    /// Events decoded and published.
    pub events: u64,
    /// Datagrams dropped because their sender was not the kernel.
    pub foreign_dropped: u64,
    /// Messages that could not be decoded (counted and skipped).
    pub decode_errors: u64,
    /// Times the kernel reported lost notifications (`ENOBUFS`).
    pub overruns: u64,
    /// Datagrams larger than the receive buffer (their tail was lost).
    pub truncated: u64,
}

#[derive(Default)]
struct Counters {
    events: AtomicU64,
    foreign_dropped: AtomicU64,
    decode_errors: AtomicU64,
    overruns: AtomicU64,
    truncated: AtomicU64,
}

struct Namespace {
    tag: NetnsTag,
    portid: u32,
    rcvbuf: usize,
    counters: Counters,
}

impl Namespace {
    fn stats(&self) -> NamespaceStats {
        let c = &self.counters;
        NamespaceStats {
            netns: self.tag.clone(),
            portid: self.portid,
            rcvbuf: self.rcvbuf,
            events: c.events.load(Ordering::Relaxed),
            foreign_dropped: c.foreign_dropped.load(Ordering::Relaxed),
            decode_errors: c.decode_errors.load(Ordering::Relaxed),
            overruns: c.overruns.load(Ordering::Relaxed),
            truncated: c.truncated.load(Ordering::Relaxed),
        }
    }
}

/// How to build a [`Monitor`].
///
/// ```no_run
/// use nlwatch::{Monitor, Netns, ObjectKind};
/// let monitor = Monitor::builder()
///     .objects([ObjectKind::Link, ObjectKind::Address])
///     .rcvbuf(4 << 20)
///     .build()?;
/// let events = monitor.subscribe();
/// monitor.add_namespace(Netns::Current)?;
/// for item in events {
///     println!("{item:?}");
/// }
/// # Ok::<(), nlwatch::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    objects: Vec<ObjectKind>,
    rcvbuf: Option<usize>,
    capacity: usize,
    overflow: Overflow,
}

/// Receive buffer requested by default: 4 MiB, enough for bursts of tens of
/// thousands of notifications (the kernel's default is about 208 KiB).
pub const DEFAULT_RCVBUF: usize = 4 << 20;
/// Queue length of a subscriber by default.
pub const DEFAULT_CAPACITY: usize = 65_536;

impl Default for Builder {
    fn default() -> Self {
        Builder {
            objects: ObjectKind::ALL.to_vec(),
            rcvbuf: Some(DEFAULT_RCVBUF),
            capacity: DEFAULT_CAPACITY,
            overflow: Overflow::default(),
        }
    }
}

impl Builder {
    /// The kinds of object to watch (default: all).
    pub fn objects(mut self, kinds: impl IntoIterator<Item = ObjectKind>) -> Self {
        self.objects = kinds.into_iter().collect();
        self.objects.sort();
        self.objects.dedup();
        self
    }

    /// Receive buffer to request per socket, in bytes (default [`DEFAULT_RCVBUF`]);
    /// `None` keeps the kernel's default. Without `CAP_NET_ADMIN` the kernel caps
    /// it at `net.core.rmem_max`; [`NamespaceStats::rcvbuf`] tells what applied.
    pub fn rcvbuf(mut self, bytes: impl Into<Option<usize>>) -> Self {
        self.rcvbuf = bytes.into();
        self
    }

    /// Queue length of each subscriber (default [`DEFAULT_CAPACITY`]). What happens
    /// when a queue is full is the [`overflow`](Self::overflow) policy.
    pub fn subscriber_capacity(mut self, items: usize) -> Self {
        self.capacity = items.max(1);
        self
    }

    /// What to do when a subscriber's queue is full (default
    /// [`Overflow::DropOldest`]); losses are reported as [`Item::Lagged`].
    /// **[`Overflow::Block`] makes the reader thread wait for the slowest
    /// subscriber, stalling every other subscriber and letting the kernel's socket
    /// buffers overrun**; see [`Overflow`].
    pub fn overflow(mut self, policy: Overflow) -> Self {
        self.overflow = policy;
        self
    }

    /// Starts the monitor's reader thread. No namespace is watched yet: subscribe
    /// first, then add namespaces with [`Monitor::add_namespace`], so that no event
    /// can slip out between the socket opening and the subscription.
    pub fn build(self) -> Result<Monitor, Error> {
        if self.objects.is_empty() {
            return Err(Error::InvalidArgument(
                "no object kinds to watch: name at least one of link, addr, route, neigh".into(),
            ));
        }
        let groups: Vec<u32> = self
            .objects
            .iter()
            .flat_map(|k| k.groups().iter().copied())
            .collect();
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)
            .map_err(|e| Error::io("create an epoll instance", "", e.into()))?;
        let wake = EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)
            .map_err(|e| Error::io("create an eventfd", "", e.into()))?;
        epoll
            .add(
                wake.as_fd(),
                EpollEvent::new(EpollFlags::EPOLLIN, WAKE_TOKEN),
            )
            .map_err(|e| Error::io("register the eventfd", "", e.into()))?;
        let shared = Arc::new(Shared {
            bus: Bus::default(),
            stop: AtomicBool::new(false),
            sockets: Mutex::new(Vec::new()),
            epoll,
            wake,
            groups,
            rcvbuf: self.rcvbuf,
            capacity: self.capacity,
            overflow: self.overflow,
        });
        let reader_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("nlwatch-reader".into())
            .spawn(move || run_reader(&reader_shared))
            .map_err(|e| Error::io("start the reader thread", "", e))?;
        Ok(Monitor {
            shared,
            reader: Some(handle),
        })
    }
}

/// Which network namespace to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Netns {
    /// The namespace of the thread that calls [`Monitor::add_namespace`]; its events
    /// are tagged with the name `""`.
    Current,
}

/// The nsfs inode of the calling thread's network namespace: the fallback identity
/// on kernels without `SO_NETNS_COOKIE`.
fn nsfs_inode() -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata("/proc/thread-self/ns/net")?;
    Ok(m.ino())
}

struct Entry {
    socket: RtSocket,
    ns: Arc<Namespace>,
    /// Sequence number of the last event published for this namespace.
    seq: u64,
}

struct Shared {
    bus: Bus,
    stop: AtomicBool,
    /// Watched sockets; an entry's index is its epoll token.
    sockets: Mutex<Vec<Entry>>,
    epoll: Epoll,
    wake: EventFd,
    groups: Vec<u32>,
    rcvbuf: Option<usize>,
    capacity: usize,
    overflow: Overflow,
}

/// Watches rtnetlink and hands typed events to subscribers.
///
/// Dropping the monitor shuts it down: the reader thread is joined, the sockets
/// closed, and every subscription's iteration ends.
pub struct Monitor {
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("namespaces", &self.namespaces())
            .finish()
    }
}

impl Monitor {
    /// A builder with the defaults: every object kind, a 4 MiB receive buffer.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A new subscription that receives every item published from now on.
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_with(Filter::new())
    }

    /// A new subscription that receives the items published from now on that
    /// `filter` accepts, with the builder's queue capacity and overflow policy.
    pub fn subscribe_with(&self, filter: Filter) -> Subscription {
        let shared = &self.shared;
        shared
            .bus
            .subscribe(filter, shared.capacity, shared.overflow)
    }

    /// Starts watching `netns`: opens its socket, joins the groups of the chosen
    /// objects and hands the socket to the reader. Subscriptions made before this
    /// call see every event of the namespace from then on.
    pub fn add_namespace(&self, netns: Netns) -> Result<NetnsTag, Error> {
        let Netns::Current = netns;
        let name = "";
        let socket = RtSocket::open(&self.shared.groups, self.shared.rcvbuf)
            .map_err(|e| Error::io("open the rtnetlink socket", name, e))?;
        let id = socket
            .netns_cookie()
            .or_else(|_| nsfs_inode())
            .map_err(|e| Error::io("identify the namespace", name, e))?;
        let tag = NetnsTag {
            name: Arc::from(name),
            id,
        };
        let mut sockets = self.shared.sockets.lock();
        if sockets.iter().any(|e| e.ns.tag.id == id) {
            return Err(Error::InvalidArgument(format!(
                "network namespace {name:?} (id {id}) is already watched"
            )));
        }
        let token = sockets.len() as u64;
        self.shared
            .epoll
            .add(socket.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, token))
            .map_err(|e| Error::io("register the socket with epoll", name, e.into()))?;
        sockets.push(Entry {
            ns: Arc::new(Namespace {
                tag: tag.clone(),
                portid: socket.portid(),
                rcvbuf: socket.rcvbuf(),
                counters: Counters::default(),
            }),
            socket,
            seq: 0,
        });
        Ok(tag)
    }

    /// The watched namespaces with their counters.
    pub fn namespaces(&self) -> Vec<NamespaceStats> {
        self.shared
            .sockets
            .lock()
            .iter()
            .map(|e| e.ns.stats())
            .collect()
    }

    /// Stops the reader, joins it, closes the sockets and ends every subscription.
    /// Items already queued can still be received.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Before the join: frees a reader waiting on an `Overflow::Block` subscriber.
        self.shared.bus.stop_waiting();
        // Cannot fail short of the counter overflowing, which one write cannot do.
        let _ = self.shared.wake.write(1);
        if let Some(handle) = self.reader.take() {
            // A panic in the reader is a bug; it has already been printed.
            let _ = handle.join();
        }
        self.shared.sockets.lock().clear();
        self.shared.bus.close();
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_reader(shared: &Shared) {
    let mut events = [EpollEvent::empty(); 64];
    loop {
        let n = match shared.epoll.wait(&mut events, EpollTimeout::NONE) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        };
        for ev in &events[..n] {
            if ev.data() == WAKE_TOKEN {
                let _ = shared.wake.read();
                continue;
            }
            let mut sockets = shared.sockets.lock();
            if let Some(entry) = sockets.get_mut(ev.data() as usize) {
                drain(entry, &shared.bus);
            }
        }
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
    }
}

/// Reads up to [`BATCH`] datagrams from one socket and publishes what they carry.
fn drain(entry: &mut Entry, bus: &Bus) {
    let Entry { socket, ns, seq } = entry;
    let c = &ns.counters;
    for _ in 0..BATCH {
        match socket.recv() {
            Ok(Received::Kernel(bytes)) => {
                let now = SystemTime::now();
                for msg in Messages::new(bytes) {
                    let Ok(msg) = msg else {
                        c.decode_errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    };
                    match Object::decode(&msg) {
                        Ok(Some((action, object))) => {
                            *seq += 1;
                            c.events.fetch_add(1, Ordering::Relaxed);
                            bus.publish(Item::Event(Arc::new(Event {
                                netns: ns.tag.clone(),
                                seq: *seq,
                                timestamp: now,
                                action,
                                ifname: match &object {
                                    Object::Link(l) => l.ifname.clone(),
                                    _ => None,
                                },
                                object,
                            })));
                        }
                        Ok(None) => {
                            if matches!(msg.parse(), Ok(Message::Overrun)) {
                                c.overruns.fetch_add(1, Ordering::Relaxed);
                                bus.publish(Item::Overrun {
                                    netns: ns.tag.clone(),
                                });
                            }
                        }
                        Err(_) => {
                            c.decode_errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            Ok(Received::Foreign { .. }) => {
                c.foreign_dropped.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Received::Truncated { .. }) => {
                c.truncated.fetch_add(1, Ordering::Relaxed);
                bus.publish(Item::Overrun {
                    netns: ns.tag.clone(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => {
                c.overruns.fetch_add(1, Ordering::Relaxed);
                bus.publish(Item::Overrun {
                    netns: ns.tag.clone(),
                });
            }
            Err(_) => {
                // Any other receive error on a netlink socket is not expected; count it
                // as an overrun so the consumer knows its picture may be stale.
                c.overruns.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
}
