//! The monitor: the registry of watched namespaces, the reader pool, the bus and
//! directory discovery, behind one handle.
//!
//! Adding a namespace opens its nsfs file on the caller's thread, recognises a
//! namespace already watched under another name (same nsfs device and inode), and
//! otherwise creates its socket on a short-lived thread inside it (`netns`),
//! starts its initial dump (`sync`) and hands the socket to its reader (picked
//! by the namespace's identity, so a namespace removed and added again stays on
//! one reader, which announces the departure before the new arrival). Removing a namespace hands it back to its reader, which reads what
//! the kernel had queued on its socket (the last changes before the removal),
//! publishes it, and closes the socket within that pass: a netlink socket holds a
//! reference on its namespace, and keeping it would keep a deleted namespace
//! alive. At shutdown the thread that stops the readers does the same for every
//! namespace once they are joined.
//!
//! Readers and discovery see the monitor only through the narrow traits they
//! define (`ReaderHost`, `Namespaces`), which [`Core`] implements.
//!
//! Locks are always taken registry first, then a reader's entries; readers never
//! hold their entries while taking the registry. There is no global state: two
//! monitors in one process share nothing.

use super::metrics::{Ledger, Metrics, NamespaceMetrics};
use super::namespace::{Counters, Entry, Namespace, Policy};
use super::reader::{self, Reader, ReaderHost};
use super::socket::{RtSocket, DEFAULT_BUFFER};
use super::state::{Snapshot, SnapshotCopy};
use super::wait::{Condition, Next, WaitError, Waiter};
use crate::bus::{
    Bus, Filter, GoneReason, Item, Overflow, RecvTimeoutError, Sink, SinkId, Subscription,
};
use crate::capture::{Recorder, Tap};
use crate::error::Error;
use crate::netns::discover::{Discovery, Namespaces};
use crate::netns::{self, Netns};
use crate::object::{NetnsTag, Object, ObjectKind};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counters of one watched namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NamespaceStats {
    /// The namespace, tagged with the name it was first added by.
    pub netns: NetnsTag,
    /// Every name it is currently added by (it is watched while any remains).
    pub names: Vec<String>,
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
    /// Malformed attributes skipped in objects that were still decoded and
    /// published (a name is never one: names are kept as raw bytes).
    pub attributes_skipped: u64,
    /// Times the kernel reported lost notifications (`ENOBUFS`).
    pub overruns: u64,
    /// Datagrams larger than the receive buffer (their tail was lost).
    pub truncated: u64,
    /// Full re-dumps made to repair lost notifications.
    pub resyncs: u64,
    /// Dumps the kernel marked inconsistent (`NLM_F_DUMP_INTR`), redone.
    pub dumps_interrupted: u64,
    /// Whether a round of dumps (initial or resync) is running or due. When it is
    /// false and the socket has been read, the state view holds everything the
    /// kernel reported.
    pub syncing: bool,
}

/// A watched namespace, as returned by [`Monitor::add_namespace`]; pass it to
/// [`Monitor::remove_namespace`] to stop watching under that name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamespaceHandle {
    token: u64,
    name: Arc<str>,
    tag: NetnsTag,
}

impl NamespaceHandle {
    /// The tag events of this namespace carry.
    pub fn tag(&self) -> &NetnsTag {
        &self.tag
    }

    /// The name this handle added the namespace by (it may differ from the tag's
    /// name when the namespace was already watched under another one).
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// How to build a [`Monitor`].
///
/// ```no_run
/// use nlwatch::{Monitor, Netns, ObjectKind};
/// let monitor = Monitor::builder()
///     .objects([ObjectKind::Link, ObjectKind::Address])
///     .rcvbuf(4 << 20)
///     .readers(2)
///     .build()?;
/// let events = monitor.subscribe();
/// monitor.add_namespace(Netns::Current)?;
/// monitor.add_namespace(Netns::Named("blue".into()))?;
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
    readers: usize,
    list_existing: bool,
    synthesize: bool,
    batch_window: Duration,
    /// Receive slot size to start with (tests shrink it to provoke truncations).
    recv_buffer: usize,
    snapshot_step: usize,
    recorder: Option<Recorder>,
}

/// How long a reader lets notifications gather by default while they keep coming
/// (see [`Builder::batch_window`]).
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(10);

/// Receive buffer requested by default: 4 MiB, enough for bursts of tens of
/// thousands of notifications (the kernel's default is about 208 KiB).
pub const DEFAULT_RCVBUF: usize = 4 << 20;
/// Queue length of a subscriber by default.
pub const DEFAULT_CAPACITY: usize = 65_536;

/// Queue length of a waiter's subscription: a waiter that falls behind copies
/// the view again (`Item::Lagged`), so it needs no more.
const WAIT_QUEUE: usize = 1024;

/// Objects a snapshot copies per hold of its namespace's reader lock (see
/// `SnapshotCopy`): small enough that the reader, and every namespace it reads,
/// waits well under a millisecond for one step (see BENCHMARKS.md).
const SNAPSHOT_STEP: usize = 1024;

impl Default for Builder {
    fn default() -> Self {
        Builder {
            objects: ObjectKind::ALL.to_vec(),
            rcvbuf: Some(DEFAULT_RCVBUF),
            capacity: DEFAULT_CAPACITY,
            overflow: Overflow::default(),
            readers: 1,
            list_existing: false,
            synthesize: true,
            batch_window: DEFAULT_BATCH_WINDOW,
            recv_buffer: DEFAULT_BUFFER,
            snapshot_step: SNAPSHOT_STEP,
            recorder: None,
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
    /// subscriber, stalling every other subscriber of its namespaces and letting
    /// the kernel's socket buffers overrun**; see [`Overflow`].
    pub fn overflow(mut self, policy: Overflow) -> Self {
        self.overflow = policy;
        self
    }

    /// Number of reader threads (default 1, at least 1). Each namespace is read by
    /// one of them for its whole life, so its events keep the kernel's order; one
    /// reader serves thousands of quiet namespaces.
    pub fn readers(mut self, threads: usize) -> Self {
        self.readers = threads.max(1);
        self
    }

    /// Deliver each namespace's current links, addresses, routes and neighbours as
    /// `new` events of [`Origin::Dump`](crate::Origin::Dump) when it is added,
    /// followed by [`Item::SyncDone`], then its live events (default: off; the
    /// dump is made either way to fill the state view, and `SyncDone` is sent
    /// either way).
    pub fn list_existing(mut self, yes: bool) -> Self {
        self.list_existing = yes;
        self
    }

    /// Publish the deletions the kernel does not announce (the routes and
    /// neighbours of a deleted link, IPv4 routes flushed when a link goes down or
    /// an address is removed) as `del` events of
    /// [`Origin::Synthesized`](crate::Origin::Synthesized) (default: on). The state
    /// view drops them either way.
    pub fn synthesize_deletions(mut self, yes: bool) -> Self {
        self.synthesize = yes;
        self
    }

    /// During a burst, let notifications gather for up to `window` before
    /// reading them, instead of waking the reader for each one (default:
    /// [`DEFAULT_BATCH_WINDOW`], 10 ms; `Duration::ZERO` turns it off; at most 1 s).
    ///
    /// A reader with nothing to read blocks until the kernel sends something,
    /// and while notifications come slower than 1,000 per second (over spans of
    /// at least 1 ms) it keeps doing so: each change is read as it comes. Once
    /// they come faster, it pauses before each next look for about the time 256
    /// of them take to arrive at the measured rate, at most `window`, and goes
    /// back to blocking as soon as the rate falls (it looks again at once, whatever
    /// the rate, when a look left more than it reads in one go). So a steady
    /// moderate rate of changes is delivered without delay, and during a burst
    /// each change waits at most `window` while the reader wakes once per batch
    /// instead of once per message: each wake-up costs far more CPU than
    /// decoding a message (see BENCHMARKS.md, "Burst" and "Latency").
    /// `Monitor::shutdown` may wait one window.
    ///
    /// Notifications pile up in the socket meanwhile: keep `window` times the
    /// kernel's notification rate (at most about 100,000 per second, each taking
    /// about 1 KiB of the receive buffer) well inside [`Builder::rcvbuf`].
    pub fn batch_window(mut self, window: Duration) -> Self {
        self.batch_window = window.min(Duration::from_secs(1));
        self
    }

    /// The size the readers' receive slots start with (default 32 KiB; they grow
    /// after a truncation): small sizes make the kernel's datagrams truncate.
    #[cfg(test)]
    pub(crate) fn recv_buffer(mut self, bytes: usize) -> Self {
        self.recv_buffer = bytes;
        self
    }

    /// Record every datagram the kernel sends to the watched sockets (the
    /// notifications and the dump answers), every overrun, and each namespace's
    /// arrival and departure, as pcapng (default: off). See [`Recorder`] for the
    /// file, and [`Replay`](crate::Replay) to play it back. The readers hand it
    /// each datagram as they receive it, and write what gathered in whole blocks
    /// between two looks at their sockets and when the monitor shuts down.
    pub fn record(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// Objects a snapshot copies per hold of a reader's lock (default 1024;
    /// `usize::MAX` copies a namespace in one hold). For benchmarks comparing
    /// the two; not part of the stable API.
    #[doc(hidden)]
    pub fn snapshot_step(mut self, objects: usize) -> Self {
        self.snapshot_step = objects.max(1);
        self
    }

    /// Starts the reader threads. No namespace is watched yet: subscribe first,
    /// then add namespaces with [`Monitor::add_namespace`] or [`Monitor::watch_dir`],
    /// so that no event can slip out between a socket opening and a subscription.
    pub fn build(self) -> Result<Monitor, Error> {
        if self.objects.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "no object kinds to watch: name at least one of {}",
                ObjectKind::list(", ")
            )));
        }
        // Links are always followed (see `Out::publish`), and each group joined once.
        let mut groups: Vec<u32> = std::iter::once(&ObjectKind::Link)
            .chain(&self.objects)
            .flat_map(|k| k.groups().iter().copied())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let readers = (0..self.readers)
            .map(|_| Reader::new().map_err(|e| Error::io("create a reader's epoll", "", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let shared = Arc::new(Core {
            bus: Bus::new(),
            stop: AtomicBool::new(false),
            registry: Mutex::new(Registry::default()),
            readers,
            groups,
            policy: Policy {
                kinds: self.objects.clone(),
                list_existing: self.list_existing,
                synthesize: self.synthesize,
            },
            rcvbuf: self.rcvbuf,
            capacity: self.capacity,
            overflow: self.overflow,
            batch_window: self.batch_window,
            recv_buffer: self.recv_buffer,
            snapshot_step: self.snapshot_step,
            discovery: Mutex::new(None),
            recorder: self.recorder,
            ledger: Mutex::new(Ledger::default()),
        });
        let mut threads = Vec::with_capacity(self.readers);
        for index in 0..self.readers {
            let s = shared.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("nlwatch-reader-{index}"))
                .spawn(move || reader::run(&s.readers[index], &*s));
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    // Stop the readers already started before reporting.
                    let monitor = Monitor {
                        shared,
                        threads: Mutex::new(threads),
                    };
                    drop(monitor);
                    return Err(Error::io("start a reader thread", "", e));
                }
            }
        }
        Ok(Monitor {
            shared,
            threads: Mutex::new(threads),
        })
    }
}

/// A namespace in the registry.
struct Registered {
    ns: Arc<Namespace>,
    /// (st_dev, st_ino) of its nsfs file.
    key: (u64, u64),
    /// The names it was added by; watched while any remains.
    names: Vec<Arc<str>>,
    reader: usize,
}

#[derive(Default)]
struct Registry {
    by_token: HashMap<u64, Registered>,
    /// The token of each namespace by its nsfs (device, inode): one lookup to
    /// know whether a namespace is watched already.
    by_key: HashMap<(u64, u64), u64>,
    /// The token of each namespace by its tag's id (the netns cookie), for
    /// `snapshot`.
    by_id: HashMap<u64, u64>,
    /// The reader of each namespace retired lately, by nsfs identity and by
    /// name: a namespace added again, or another one added under the same name,
    /// goes to the same reader, whose one ordered queue announces the departure
    /// before the arrival (readers keep no order between them). Entries are
    /// taken when used; the maps are cleared past [`DEPARTED_KEPT`].
    departed_by_key: HashMap<(u64, u64), usize>,
    departed_by_name: HashMap<Arc<str>, usize>,
    next_token: u64,
}

/// How many retired namespaces [`Registry`] remembers the reader of.
const DEPARTED_KEPT: usize = 4096;

impl Registry {
    /// Remembers that the namespace of `key`, known by `names`, was retired by
    /// `reader`.
    fn departed(&mut self, key: (u64, u64), names: &[Arc<str>], reader: usize) {
        if self.departed_by_key.len() + self.departed_by_name.len() >= DEPARTED_KEPT {
            self.departed_by_key.clear();
            self.departed_by_name.clear();
        }
        self.departed_by_key.insert(key, reader);
        for name in names {
            self.departed_by_name.insert(name.clone(), reader);
        }
    }

    /// The reader for a namespace of `key` arriving under `name`: the one that
    /// retired the same namespace, or another by that name, lately; else by
    /// nsfs inode (which spreads evenly).
    fn reader_for(&mut self, key: (u64, u64), name: &str, readers: usize) -> usize {
        let by_key = self.departed_by_key.remove(&key);
        let by_name = self.departed_by_name.remove(name);
        // The name first: an nsfs inode is reused once its namespace is
        // destroyed, so a key match may be another namespace altogether.
        by_name
            .or(by_key)
            .unwrap_or((key.1 % readers as u64) as usize)
    }

    /// When the namespace of `key` is watched, adds `name` to it and returns the
    /// handle for that name.
    fn join(&mut self, key: (u64, u64), name: &Arc<str>) -> Option<NamespaceHandle> {
        let token = *self.by_key.get(&key)?;
        let watched = self.by_token.get_mut(&token)?;
        watched.names.push(name.clone());
        Some(NamespaceHandle {
            token,
            name: name.clone(),
            tag: watched.ns.tag.clone(),
        })
    }

    fn insert(&mut self, token: u64, registered: Registered) {
        self.by_key.insert(registered.key, token);
        self.by_id.insert(registered.ns.tag.id, token);
        self.by_token.insert(token, registered);
    }

    fn remove(&mut self, token: u64) -> Option<Registered> {
        let registered = self.by_token.remove(&token)?;
        self.by_key.remove(&registered.key);
        self.by_id.remove(&registered.ns.tag.id);
        Some(registered)
    }
}

/// What the monitor's threads share.
struct Core {
    bus: Bus,
    stop: AtomicBool,
    registry: Mutex<Registry>,
    readers: Vec<Reader>,
    groups: Vec<u32>,
    policy: Policy,
    rcvbuf: Option<usize>,
    capacity: usize,
    overflow: Overflow,
    batch_window: Duration,
    recv_buffer: usize,
    snapshot_step: usize,
    discovery: Mutex<Option<(Arc<Discovery>, JoinHandle<()>)>>,
    recorder: Option<Recorder>,
    /// Every namespace's counters, and the totals of those gone.
    ledger: Mutex<Ledger>,
}

impl ReaderHost for Core {
    fn bus(&self) -> &Bus {
        &self.bus
    }

    fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    fn batch_window(&self) -> Duration {
        self.batch_window
    }

    fn recv_buffer(&self) -> usize {
        self.recv_buffer
    }

    fn stopping(&self) -> bool {
        Core::stopping(self)
    }

    fn socket_failed(&self, token: u64, errno: i32) {
        self.forget(token, GoneReason::SocketError(errno));
    }
}

impl Namespaces for Core {
    fn stopping(&self) -> bool {
        Core::stopping(self)
    }

    fn found(&self, path: &Path, name: String) -> Result<(), Error> {
        self.add_named(Netns::Path(path.to_path_buf()), name)
            .map(|_| ())
    }

    fn vanished(&self, name: &str) {
        let _ = self.remove_by_name(name, GoneReason::Vanished);
    }

    fn failed(&self, path: &Path, error: &Error) {
        self.bus.publish(Item::DiscoveryFailed {
            path: Arc::from(path),
            errno: error.errno(),
        });
    }
}

impl Core {
    /// Whether the monitor is shutting down.
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// See [`Monitor::add_namespace`].
    fn add(&self, netns: Netns) -> Result<NamespaceHandle, Error> {
        let name = netns.display_name();
        self.add_named(netns, name)
    }

    /// Adds `netns` under `name` (discovery names `/run/netns` entries by file name).
    fn add_named(&self, netns: Netns, name: String) -> Result<NamespaceHandle, Error> {
        let current = matches!(netns, Netns::Current);
        let file = netns::open(netns)?;
        let name: Arc<str> = Arc::from(name);
        if let Some(handle) = self.registry.lock().join(file.key, &name) {
            return Ok(handle);
        }
        // The slow part (a thread that enters the namespace, the socket's set-up)
        // without the registry's lock: other namespaces are added, removed and
        // listed meanwhile.
        let (groups, rcvbuf) = (self.groups.clone(), self.rcvbuf);
        let socket = netns::run_inside(&file, current, "open the rtnetlink socket", move || {
            RtSocket::open(&groups, rcvbuf)
        })?;
        let mut registry = self.registry.lock();
        // Added by another caller meanwhile: that one is watched, this socket
        // is closed.
        if let Some(handle) = registry.join(file.key, &name) {
            return Ok(handle);
        }
        let id = socket.netns_cookie().unwrap_or(file.key.1);
        let tag = NetnsTag {
            name: name.clone(),
            id,
        };
        let tap = self.recorder.as_ref().map(|recorder| Tap {
            interface: recorder.interface(&tag, socket.portid(), &self.policy.kinds),
            recorder: recorder.clone(),
        });
        let counters = Arc::new(Counters::default());
        self.ledger.lock().add(tag.clone(), counters.clone());
        let ns = Arc::new(Namespace {
            tag: tag.clone(),
            portid: socket.portid(),
            rcvbuf: socket.rcvbuf(),
            counters,
            tap,
        });
        let token = registry.next_token;
        registry.next_token += 1;
        // The reader that announced this namespace, or one of this name, gone
        // lately announces its arrival after that departure.
        let reader = registry.reader_for(file.key, &name, self.readers.len());
        let mut entry = Entry::new(Some(socket), ns.clone(), self.policy.clone());
        // The groups are joined: dump now, before the reader sees the socket, so
        // the answers are recognised as the dump's and no change falls in between.
        entry
            .start()
            .map_err(|e| Error::io("request the initial dump", &name, e))?;
        // The reader announces it (`NamespaceAdded`) before anything of it, on
        // its own thread: this call never waits for a subscriber, and a failed
        // registration announces nothing.
        self.readers[reader]
            .insert(token, entry)
            .map_err(|e| Error::io("register the socket with epoll", &name, e))?;
        registry.insert(
            token,
            Registered {
                ns,
                key: file.key,
                names: vec![name.clone()],
                reader,
            },
        );
        Ok(NamespaceHandle { token, name, tag })
    }

    /// Drops the name `name` of namespace `token`; when no name remains, closes
    /// its socket and announces it gone.
    fn remove_name(&self, token: u64, name: &str, reason: GoneReason) -> Result<(), Error> {
        let mut registry = self.registry.lock();
        let watched = registry
            .by_token
            .get_mut(&token)
            .ok_or_else(|| Error::NotWatched {
                netns: name.to_string(),
            })?;
        let at = watched
            .names
            .iter()
            .position(|n| &**n == name)
            .ok_or_else(|| Error::NotWatched {
                netns: name.to_string(),
            })?;
        let removed = watched.names.remove(at);
        if watched.names.is_empty() {
            let watched = registry.remove(token).expect("just found");
            registry.departed(
                watched.key,
                &[removed, watched.ns.tag.name.clone()],
                watched.reader,
            );
            // Its reader reads what the socket holds, closes it and announces it.
            self.readers[watched.reader].retire(token, reason);
        }
        Ok(())
    }

    /// Removes namespace `name` (any namespace added by that name).
    fn remove_by_name(&self, name: &str, reason: GoneReason) -> Result<(), Error> {
        let token = self
            .registry
            .lock()
            .by_token
            .iter()
            .find(|(_, w)| w.names.iter().any(|n| &**n == name))
            .map(|(&t, _)| t)
            .ok_or_else(|| Error::NotWatched {
                netns: name.to_string(),
            })?;
        self.remove_name(token, name, reason)
    }

    /// Forgets namespace `token` whatever its names (its socket failed).
    fn forget(&self, token: u64, reason: GoneReason) {
        let watched = self.registry.lock().remove(token);
        if let Some(watched) = watched {
            self.readers[watched.reader].remove(token, &self.bus);
            let timestamp = std::time::SystemTime::now();
            if let Some(tap) = &watched.ns.tap {
                tap.gone(timestamp, &reason);
            }
            self.bus.publish(Item::NamespaceGone {
                netns: watched.ns.tag.clone(),
                reason,
                timestamp,
            });
        }
    }
}

impl Core {
    /// See [`Monitor::metrics`].
    fn metrics(&self) -> Metrics {
        // Registry first, then the ledger (a namespace is added to the ledger
        // under the registry's lock).
        let namespaces_watched = self.registry.lock().by_token.len();
        let (live, total) = self.ledger.lock().read();
        let mut objects: HashMap<u64, ([u64; ObjectKind::COUNT], bool)> = HashMap::new();
        for r in &self.readers {
            for entry in r.entries.lock().values() {
                let mut by_kind = [0; ObjectKind::COUNT];
                for kind in ObjectKind::ALL {
                    by_kind[kind.index()] = entry.state.len_of(kind) as u64;
                }
                let syncing = entry.ns.counters.syncing.load(Ordering::Acquire);
                objects.insert(entry.ns.tag.id, (by_kind, syncing));
            }
        }
        let namespaces = live
            .into_iter()
            .map(|(netns, counters)| {
                let (objects, syncing) = objects.get(&netns.id).copied().unwrap_or_default();
                NamespaceMetrics {
                    netns,
                    counters,
                    objects,
                    syncing,
                }
            })
            .collect();
        Metrics {
            namespaces,
            total,
            namespaces_watched,
            readers: self.readers.len(),
            subscribers: self.bus.subscribers(),
        }
    }
}

/// Reads a monitor's [`Metrics`] from any thread; see
/// [`Monitor::metrics_source`].
#[derive(Clone)]
pub struct MetricsSource {
    core: Arc<Core>,
}

impl MetricsSource {
    /// What the monitor counts now (see [`Monitor::metrics`]).
    pub fn metrics(&self) -> Metrics {
        self.core.metrics()
    }
}

impl std::fmt::Debug for MetricsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSource").finish_non_exhaustive()
    }
}

/// Watches rtnetlink in any number of network namespaces and hands typed events
/// to subscribers.
///
/// Dropping the monitor shuts it down: every thread is joined, every socket
/// closed, and every subscription's iteration ends.
pub struct Monitor {
    shared: Arc<Core>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("namespaces", &self.namespaces())
            .finish()
    }
}

impl Monitor {
    /// A builder with the defaults: every object kind, a 4 MiB receive buffer, one
    /// reader thread.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A new subscription that receives every item published from now on, with the
    /// builder's queue capacity and overflow policy.
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

    /// Hands every item `filter` accepts to `sink` on the reader thread that
    /// publishes it, with no queue and no thread switch (see [`Sink`] for the
    /// rules a sink must keep, and how it stops or fails). Add sinks before
    /// namespaces so they see everything. The sink is dropped when it stops or
    /// fails ([`Item::SinkStopped`] names the id returned here) or when the
    /// monitor shuts down.
    pub fn add_sink(&self, filter: Filter, sink: Box<dyn Sink>) -> SinkId {
        self.shared.bus.add_sink(filter, sink)
    }

    /// A new subscription with its own queue capacity and overflow policy.
    pub fn subscribe_with_queue(
        &self,
        filter: Filter,
        capacity: usize,
        overflow: Overflow,
    ) -> Subscription {
        self.shared.bus.subscribe(filter, capacity, overflow)
    }

    /// Starts watching `netns` and returns its handle.
    ///
    /// The namespace file is opened on the calling thread, which is never moved;
    /// the socket is created on a short-lived thread that enters the namespace.
    /// A namespace already watched (under any name) is not opened twice: the new
    /// name is added to it and its handle returned. Subscribers receive
    /// [`Item::NamespaceAdded`] (published by the namespace's reader, so this
    /// call never waits for a subscriber) and then every change from that point.
    ///
    /// Errors name the namespace: [`Error::NoSuchNamespace`],
    /// [`Error::NotANamespace`], or [`Error::Io`] with the errno (e.g. `EPERM`
    /// from `setns` without `CAP_SYS_ADMIN`). A failure leaves the other namespaces
    /// running.
    pub fn add_namespace(&self, netns: Netns) -> Result<NamespaceHandle, Error> {
        if self.shared.stopping() {
            return Err(Error::InvalidArgument("the monitor is shut down".into()));
        }
        self.shared.add(netns)
    }

    /// Stops watching under `handle`'s name. When it was the namespace's last
    /// name, its reader reads what the kernel had already queued on its socket
    /// (changes made before the removal), publishes it, closes the socket and
    /// then publishes [`Item::NamespaceGone`]: within one pass of the reader, so
    /// the socket does not keep a deleted namespace alive.
    pub fn remove_namespace(&self, handle: &NamespaceHandle) -> Result<(), Error> {
        self.shared
            .remove_name(handle.token, &handle.name, GoneReason::Removed)
    }

    /// Watches `dir` (e.g. `/run/netns`, `/var/run/docker/netns`) with inotify:
    /// every namespace file in it, now or later, is added (waiting for `ip netns
    /// add`'s bind mount to be in place), and one that vanishes is removed, its
    /// socket closed. Entries of `/run/netns` are named by file name, others by
    /// path. A missing directory is watched for from its parent.
    pub fn watch_dir(&self, dir: impl AsRef<Path>) -> Result<(), Error> {
        let mut discovery = self.shared.discovery.lock();
        if discovery.is_none() {
            let d = Arc::new(Discovery::new()?);
            let (s, d2) = (self.shared.clone(), d.clone());
            let handle = std::thread::Builder::new()
                .name("nlwatch-discovery".into())
                .spawn(move || d2.run(&*s))
                .map_err(|e| Error::io("start the discovery thread", "", e))?;
            *discovery = Some((d, handle));
        }
        let (d, _) = discovery.as_ref().expect("just set");
        d.watch(dir.as_ref())
    }

    /// A consistent copy of what namespace `netns` holds now, or `None` when it is
    /// not watched. [`Snapshot::seq`] tells which of its events the copy reflects.
    ///
    /// The copy is made a bounded number of objects at a time (the changes its
    /// reader makes meanwhile are copied again at the end), so however large
    /// the namespace, its reader and the other namespaces it reads are held up
    /// for one step at a time, not for the whole copy (see
    /// [`Monitor::longest_reader_wait`]).
    pub fn snapshot(&self, netns: &NetnsTag) -> Option<Snapshot> {
        let (token, reader, tag) = {
            let registry = self.shared.registry.lock();
            let token = *registry.by_id.get(&netns.id)?;
            let w = registry.by_token.get(&token)?;
            (token, w.reader, w.ns.tag.clone())
        };
        self.copy_namespace(token, reader, tag, &self.shared.policy.kinds)
    }

    /// Copies one namespace's view a bounded step at a time (see
    /// `SnapshotCopy`): its reader, which every namespace on it waits for, is
    /// never held up by more than one step. `None` when it stopped being watched.
    fn copy_namespace(
        &self,
        token: u64,
        reader: usize,
        tag: NetnsTag,
        kinds: &[ObjectKind],
    ) -> Option<Snapshot> {
        let mut copy = SnapshotCopy::new(kinds);
        loop {
            let mut entries = self.shared.readers[reader].entries.lock();
            let entry = entries.get_mut(&token)?;
            if let Some((seq, synced)) = entry.copy_step(&mut copy, self.shared.snapshot_step) {
                drop(entries);
                return Some(copy.into_snapshot(tag, seq, synced));
            }
            // A reader waiting for the lock gets it before the next step.
            parking_lot::MutexGuard::unlock_fair(entries);
            copy.drop_stale();
        }
    }

    /// Copies of every watched namespace that `filter`'s namespace criterion
    /// accepts, holding the object kinds it accepts: what a subscriber that
    /// lagged needs to rebuild its picture.
    pub fn snapshots(&self, filter: &Filter) -> Vec<Snapshot> {
        let wanted = filter.object_kinds();
        let kinds: Vec<ObjectKind> = self
            .shared
            .policy
            .kinds
            .iter()
            .copied()
            .filter(|k| wanted.is_empty() || wanted.contains(k))
            .collect();
        let registry = self.shared.registry.lock();
        let mut tokens: Vec<(&u64, &Registered)> = registry
            .by_token
            .iter()
            .filter(|(_, w)| filter.matches_netns(&w.ns.tag))
            .collect();
        tokens.sort_by_key(|(t, _)| **t);
        let tokens: Vec<(u64, usize, NetnsTag)> = tokens
            .into_iter()
            .map(|(token, w)| (*token, w.reader, w.ns.tag.clone()))
            .collect();
        drop(registry);
        tokens
            .into_iter()
            .filter_map(|(token, reader, tag)| self.copy_namespace(token, reader, tag, &kinds))
            .collect()
    }

    /// Waits until `condition` holds in namespace `netns`, at most `timeout`
    /// (`None`: as long as it takes), and returns the object that shows it (the
    /// link, address, route or neighbour; `None` for what holds by absence, or
    /// a predicate). A condition that already holds returns at once.
    ///
    /// Checking and waiting are one step: no change can slip between them (see
    /// [`Condition`] for what is looked at). Works for a namespace added by any
    /// means (by name, path or discovery); `netns` is its tag, as events and
    /// [`NamespaceHandle::tag`] give it.
    ///
    /// Errors: [`WaitError::TimedOut`]; [`WaitError::Never`] when it can never
    /// hold (duplicate address detection failed for the address awaited, the
    /// namespace went away); [`WaitError::NotWatched`]; [`WaitError::ShutDown`].
    ///
    /// ```no_run
    /// use nlwatch::{AddrState, Condition, Monitor, Netns};
    /// use std::time::Duration;
    /// let monitor = Monitor::builder().build()?;
    /// let ns = monitor.add_namespace(Netns::Named("blue".into()))?;
    /// let ready = Condition::address("2001:db8::1".parse()?, AddrState::Ready);
    /// let addr = monitor.wait_until(ns.tag(), &ready, Some(Duration::from_secs(10)))?;
    /// println!("usable: {addr:?}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_until(
        &self,
        netns: &NetnsTag,
        condition: &Condition,
        timeout: Option<Duration>,
    ) -> Result<Option<Object>, WaitError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let (mut waiter, sub) = self.waiter(netns, condition)?;
        let mut next = waiter.copied(self.copy_of(netns, waiter.kinds()));
        loop {
            next = match next {
                Next::Done(result) => return result,
                Next::Copy => waiter.copied(self.copy_of(netns, waiter.kinds())),
                Next::Wait => {
                    let item = match deadline {
                        None => sub.recv().ok_or(WaitError::ShutDown)?,
                        Some(at) => {
                            let left = at.saturating_duration_since(Instant::now());
                            sub.recv_timeout(left).map_err(|e| match e {
                                RecvTimeoutError::Timeout => WaitError::TimedOut,
                                RecvTimeoutError::Closed => WaitError::ShutDown,
                            })?
                        }
                    };
                    waiter.item(item)
                }
            };
        }
    }

    /// [`wait_until`](Monitor::wait_until) for async code (feature `async`):
    /// the same conditions, answers and errors, woken by the reader that
    /// publishes the namespace's changes, on any runtime. It has no timeout of
    /// its own: wrap it in the runtime's (`tokio::time::timeout`, say). The
    /// copies of the state view it takes are short, bounded steps, as
    /// [`snapshot`](Monitor::snapshot)'s.
    ///
    /// ```no_run
    /// # async fn run(monitor: &nlwatch::Monitor, ns: &nlwatch::NamespaceHandle) {
    /// use nlwatch::{Condition, LinkState};
    /// let up = Condition::link("eth0", LinkState::Up);
    /// let link = monitor.wait_until_async(ns.tag(), &up).await;
    /// # }
    /// ```
    #[cfg(feature = "async")]
    pub async fn wait_until_async(
        &self,
        netns: &NetnsTag,
        condition: &Condition,
    ) -> Result<Option<Object>, WaitError> {
        use futures_core::Stream;
        let (mut waiter, sub) = self.waiter(netns, condition)?;
        let mut items = sub.into_stream();
        let mut next = waiter.copied(self.copy_of(netns, waiter.kinds()));
        loop {
            next = match next {
                Next::Done(result) => return result,
                Next::Copy => waiter.copied(self.copy_of(netns, waiter.kinds())),
                Next::Wait => {
                    let item =
                        std::future::poll_fn(|cx| std::pin::Pin::new(&mut items).poll_next(cx));
                    match item.await {
                        Some(item) => waiter.item(item),
                        None => return Err(WaitError::ShutDown),
                    }
                }
            };
        }
    }

    /// A waiter for `condition` in `netns`, and its subscription to the
    /// namespace: made before the first copy, so that every change after that
    /// copy is queued in it.
    pub(crate) fn waiter<'c>(
        &self,
        netns: &NetnsTag,
        condition: &'c Condition,
    ) -> Result<(Waiter<'c>, Subscription), WaitError> {
        let kinds: Vec<ObjectKind> = match condition.kinds() {
            Some(kinds) => kinds,
            None => self.shared.policy.kinds.clone(),
        };
        if let Some(k) = kinds
            .iter()
            .find(|k| **k != ObjectKind::Link && !self.shared.policy.kinds.contains(k))
        {
            return Err(WaitError::KindNotWatched(*k));
        }
        let sub = self.shared.bus.subscribe(
            Filter::new().namespace_id(netns.id),
            WAIT_QUEUE,
            Overflow::DropOldest,
        );
        Ok((Waiter::new(condition, netns, kinds), sub))
    }

    /// A copy of `kinds` of namespace `netns`, if it is watched.
    fn copy_of(&self, netns: &NetnsTag, kinds: &[ObjectKind]) -> Option<Snapshot> {
        let (token, reader, tag) = {
            let registry = self.shared.registry.lock();
            let token = *registry.by_id.get(&netns.id)?;
            let w = registry.by_token.get(&token)?;
            (token, w.reader, w.ns.tag.clone())
        };
        self.copy_namespace(token, reader, tag, kinds)
    }

    /// The longest any reader thread has waited, since the monitor was built,
    /// for the lock that guards its namespaces before reading a socket: how
    /// long a [`snapshot`](Monitor::snapshot) step, or another method call, held
    /// up every namespace on that reader. Snapshots copy a bounded number of
    /// objects per hold, so this stays short however large a namespace is.
    pub fn longest_reader_wait(&self) -> Duration {
        let ns = self
            .shared
            .readers
            .iter()
            .map(|r| r.longest_wait_ns.load(Ordering::Relaxed))
            .max()
            .unwrap_or(0);
        Duration::from_nanos(ns)
    }

    /// The watched namespaces with their counters.
    pub fn namespaces(&self) -> Vec<NamespaceStats> {
        let registry = self.shared.registry.lock();
        let mut all: Vec<_> = registry
            .by_token
            .iter()
            .map(|(&token, w)| {
                let c = &w.ns.counters;
                (
                    token,
                    NamespaceStats {
                        netns: w.ns.tag.clone(),
                        names: w.names.iter().map(|n| n.to_string()).collect(),
                        portid: w.ns.portid,
                        rcvbuf: w.ns.rcvbuf,
                        events: c.events_total(),
                        foreign_dropped: c.foreign_dropped.load(Ordering::Relaxed),
                        decode_errors: c.decode_errors.load(Ordering::Relaxed),
                        attributes_skipped: c.attributes_skipped.load(Ordering::Relaxed),
                        overruns: c.overruns.load(Ordering::Relaxed),
                        truncated: c.truncated.load(Ordering::Relaxed),
                        resyncs: c.resyncs.load(Ordering::Relaxed),
                        dumps_interrupted: c.dumps_interrupted.load(Ordering::Relaxed),
                        syncing: c.syncing.load(Ordering::Acquire),
                    },
                )
            })
            .collect();
        all.sort_by_key(|(token, _)| *token);
        all.into_iter().map(|(_, s)| s).collect()
    }

    /// What this monitor counts now: per namespace and in total, its
    /// subscribers, its threads. See [`Metrics`]; the `metrics` feature encodes
    /// it for Prometheus (`nlwatch::metrics`).
    ///
    /// Reading the counters costs the readers nothing; counting the objects
    /// of each state view takes each reader's lock once, briefly (one length
    /// per kind and namespace).
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics()
    }

    /// A handle that reads this monitor's [`metrics`](Monitor::metrics) from
    /// any thread (a scrape handler), also after the monitor is shut down (the
    /// counters then say what it counted in all). It keeps the monitor's
    /// memory, but no thread or socket, alive while it exists.
    pub fn metrics_source(&self) -> MetricsSource {
        MetricsSource {
            core: self.shared.clone(),
        }
    }

    /// Stops every thread and joins it, closes every socket and ends every
    /// subscription. Items already queued can still be received.
    pub fn shutdown(self) {
        // Drop does the work.
    }

    fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
        // Frees a reader waiting on an `Overflow::Block` subscriber, so it can be
        // joined; items still published go to the others as usual.
        self.shared.bus.stop_waiting();
        if let Some((d, handle)) = self.shared.discovery.lock().take() {
            d.wake();
            let _ = handle.join();
        }
        for r in &self.shared.readers {
            r.wake();
        }
        for handle in self.threads.lock().drain(..) {
            // A panic in a reader is a bug; it has already been printed.
            let _ = handle.join();
        }
        // The readers have stopped: this thread reads what each socket still
        // holds, closes it and announces the namespace gone; first those whose
        // removal was asked for, then the rest, in the order they were added
        // (the same run prints the same lines).
        let core = &*self.shared;
        let mut batch = reader::recv_batch(core);
        for r in &core.readers {
            r.apply_changes(&core.bus, &mut batch);
        }
        let mut left: Vec<(u64, usize)> = {
            let mut registry = core.registry.lock();
            registry.by_key.clear();
            registry.by_id.clear();
            registry
                .by_token
                .drain()
                .map(|(token, w)| (token, w.reader))
                .collect()
        };
        left.sort_unstable();
        for (token, r) in left {
            core.readers[r].retire_now(token, GoneReason::Shutdown, &core.bus, &mut batch);
        }
        if let Some(recorder) = &core.recorder {
            // A write error is kept in its stats.
            let _ = recorder.flush();
        }
        core.bus.close();
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{Action, Object, Origin};
    use crate::sandbox::{ip, ip_json};

    crate::sandboxed_test! {
        /// A datagram of the initial dump that the receive buffer truncates loses
        /// the objects it held: the dump is redone, not concluded with them
        /// missing (which announced them as resync deletions, then an overrun and
        /// a resync that added them back). Receive slots start at 512 bytes here,
        /// so the link dump's first datagram (several KiB) is truncated.
        fn a_dump_that_loses_a_truncated_part_is_redone_not_taken_for_deletions() {
            for i in 0..20 {
                ip(&format!("link add tr{i} type veth peer name trp{i}"));
            }
            let monitor = Monitor::builder()
                .list_existing(true)
                .recv_buffer(512)
                .build()
                .unwrap();
            let sub = monitor.subscribe();
            monitor.add_namespace(Netns::Current).unwrap();
            let mut items = Vec::new();
            loop {
                match sub.recv_timeout(Duration::from_secs(20)) {
                    Ok(Item::SyncDone { .. }) => break,
                    Ok(item) => items.push(item),
                    Err(e) => panic!("no SyncDone ({e}); got {items:#?}"),
                }
            }
            let stats = &monitor.namespaces()[0];
            assert!(stats.truncated >= 1, "nothing was truncated: {stats:?}");
            assert!(
                !items.iter().any(|i| matches!(i, Item::Overrun { .. })),
                "a lost dump part is not lost notifications: {items:#?}"
            );
            let dels: Vec<&Item> = items
                .iter()
                .filter(|i| matches!(i, Item::Event(e) if e.action == Action::Del))
                .collect();
            assert!(dels.is_empty(), "false deletions: {dels:#?}");
            // Every link once, as the kernel has them.
            let mut dumped: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Item::Event(e) if e.origin == Origin::Dump => match &e.object {
                        Object::Link(l) => l.ifname.as_ref().and_then(|n| n.to_str()).map(str::to_string),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            dumped.sort();
            let mut want: Vec<String> = ip_json("link show")
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["ifname"].as_str().unwrap().to_string())
                .collect();
            want.sort();
            assert_eq!(dumped, want);
            assert_eq!((stats.overruns, stats.resyncs), (0, 0), "{stats:?}");
        }
    }
}
