//! Reader threads: a small fixed pool, each waiting with epoll on the sockets of
//! the namespaces assigned to it.
//!
//! A namespace belongs to exactly one reader for its whole life, so its events are
//! published in the kernel's order. When a socket is readable the reader drains a
//! bounded number of datagrams (so one busy namespace cannot starve the others),
//! drops datagrams not sent by the kernel, decodes each message into an [`Event`]
//! and publishes it. It keeps each namespace's state view ([`crate::state`]):
//! filled by dumps when the namespace is added (groups are joined first, so no
//! change falls in between; dump answers are told apart by port id and sequence
//! number, and a dump marked `NLM_F_DUMP_INTR` is redone), kept by the events, and
//! redone by a full re-dump after lost notifications, announcing the differences.
//! Deletions the kernel does not announce (what used a deleted link; IPv4 routes
//! flushed when a link goes down or an address goes away) are inferred.
//!
//! While notifications keep coming a reader reads them in batches: after a look
//! that found some, it sleeps the monitor's batch window before each next look
//! until a few looks in a row find nothing (`Builder::batch_window`), because on
//! a busy machine each wake-up costs more than handling several messages.
//!
//! Foreign datagrams, truncations, overruns and decode errors are counted and
//! skipped; a socket error ends that namespace only. A reader waits for a
//! subscriber only when that subscriber chose `Overflow::Block` (see the bus).

use crate::bus::{GoneReason, Item};
use crate::event::{Action, Event, NetnsTag, Object, ObjectKind, Origin};
use crate::monitor::Shared;
use crate::socket::{Received, RecvBatch, RtSocket};
use crate::state::{Applied, Key, NsState, Snapshot};
use crate::wire::{consts::*, Message, Messages, NlMsg};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

/// After a look that found datagrams, the reader keeps looking once per batch
/// window until this many looks in a row have found nothing, and only then
/// blocks: a burst whose messages come a few milliseconds apart is read once per
/// window rather than waking the reader for each cluster.
const LINGER_LOOKS: u32 = 4;
/// Datagrams taken per `recvmmsg` call (each slot is a 32 KiB buffer).
const RECV_SLOTS: usize = 16;
/// Datagrams read from one socket per wake-up before looking at the others.
const BATCH: usize = 64;
const WAKE_TOKEN: u64 = u64::MAX;
/// Times an interrupted dump (`NLM_F_DUMP_INTR`) is retried before its result is
/// taken as it is.
const DUMP_RETRIES: u32 = 8;

/// Counters of one namespace, shared between its reader and `Monitor::namespaces`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) events: AtomicU64,
    pub(crate) foreign_dropped: AtomicU64,
    pub(crate) decode_errors: AtomicU64,
    pub(crate) overruns: AtomicU64,
    pub(crate) truncated: AtomicU64,
    pub(crate) resyncs: AtomicU64,
    pub(crate) dumps_interrupted: AtomicU64,
    /// A round of dumps is running or waiting to run.
    pub(crate) syncing: AtomicBool,
}

/// What the reader and the monitor both know of a watched namespace.
#[derive(Debug)]
pub(crate) struct Namespace {
    pub(crate) tag: NetnsTag,
    pub(crate) portid: u32,
    pub(crate) rcvbuf: usize,
    pub(crate) counters: Counters,
}

/// What the reader announces for a namespace, fixed when it is added.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// The kinds of object watched (and dumped).
    pub(crate) kinds: Vec<ObjectKind>,
    /// Publish the initial dump's objects as `Origin::Dump` events.
    pub(crate) list_existing: bool,
    /// Publish deletions the kernel does not announce as `Origin::Synthesized`.
    pub(crate) synthesize: bool,
}

/// Why a round of dumps runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The first picture of the namespace; ends with `SyncDone`.
    Initial,
    /// After lost notifications; differences are `Origin::Resync`; ends with
    /// `ResyncDone`.
    Resync,
}

#[derive(Debug)]
struct Dumping {
    kind: ObjectKind,
    seq: u32,
    /// Keys the dump (or a live event during it) showed to exist.
    seen: HashSet<Key>,
    /// Keys published as `Origin::Dump` by this kind's dump in the initial round,
    /// kept across retries: a redone dump shows everything again, and each
    /// object is announced once (again only if it changed).
    announced: HashSet<Key>,
    interrupted: bool,
    retries: u32,
}

/// The dump state machine of one socket: one dump at a time (the kernel allows no
/// more), a queue of kinds for the current round, and rounds asked for meanwhile.
#[derive(Debug, Default)]
pub(crate) struct Sync {
    purpose: Option<Purpose>,
    queue: VecDeque<ObjectKind>,
    current: Option<Dumping>,
    resync_wanted: bool,
    synced: bool,
    next_seq: u32,
}

/// A watched socket, owned by its reader.
pub(crate) struct Entry {
    pub(crate) socket: RtSocket,
    pub(crate) ns: Arc<Namespace>,
    pub(crate) policy: Policy,
    /// Sequence number of the last event published for this namespace.
    pub(crate) seq: u64,
    pub(crate) state: NsState,
    pub(crate) sync: Sync,
}

impl Entry {
    pub(crate) fn new(socket: RtSocket, ns: Arc<Namespace>, policy: Policy) -> Self {
        Entry {
            socket,
            ns,
            policy,
            seq: 0,
            state: NsState::default(),
            sync: Sync::default(),
        }
    }

    /// Starts the initial round of dumps. Called before the reader sees the socket,
    /// after the groups were joined, so no change falls between dump and events.
    pub(crate) fn start(&mut self) -> io::Result<()> {
        self.begin(Purpose::Initial)
    }

    /// A consistent copy of the state view.
    pub(crate) fn snapshot(&self, kinds: &[ObjectKind]) -> Snapshot {
        self.state
            .snapshot(self.ns.tag.clone(), self.seq, self.sync.synced, kinds)
    }

    fn begin(&mut self, purpose: Purpose) -> io::Result<()> {
        let kinds: Vec<ObjectKind> = match purpose {
            // Links first: the names of everything else come from them.
            Purpose::Initial | Purpose::Resync => ObjectKind::ALL
                .into_iter()
                .filter(|k| *k == ObjectKind::Link || self.policy.kinds.contains(k))
                .collect(),
        };
        self.sync.purpose = Some(purpose);
        self.sync.queue = kinds.into();
        self.ns.counters.syncing.store(true, Ordering::Release);
        self.next_dump(0)
    }

    fn next_dump(&mut self, retries: u32) -> io::Result<()> {
        let (kind, announced) = match self.sync.current.take() {
            // Retrying an interrupted dump of the same kind.
            Some(d) if retries > 0 => (d.kind, d.announced),
            _ => match self.sync.queue.pop_front() {
                Some(k) => (k, HashSet::new()),
                None => return Ok(()),
            },
        };
        // Sequence numbers from 1; 0 is what notifications carry.
        self.sync.next_seq = self.sync.next_seq.wrapping_add(1).max(1);
        let seq = self.sync.next_seq;
        self.sync.current = Some(Dumping {
            kind,
            seq,
            seen: HashSet::new(),
            announced,
            interrupted: false,
            retries,
        });
        let sent = self.socket.request_dump(dump_type(kind), seq);
        if sent.is_err() {
            // No answer will come: drop the round and ask for a full one once the
            // socket is quiet, rather than wait forever.
            self.sync.current = None;
            self.sync.queue.clear();
            self.sync.purpose = None;
            self.sync.resync_wanted = true;
        }
        sent
    }
}

fn dump_type(kind: ObjectKind) -> u16 {
    match kind {
        ObjectKind::Link => RTM_GETLINK,
        ObjectKind::Address => RTM_GETADDR,
        ObjectKind::Route => RTM_GETROUTE,
        ObjectKind::Neighbour => RTM_GETNEIGH,
    }
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

/// What one look at a socket found.
#[derive(Debug, Clone, Copy, Default)]
struct Drained {
    /// At least one datagram was read.
    read: bool,
    /// More may be waiting right now: a socket gave [`BATCH`] datagrams, or
    /// epoll filled the whole array of ready sockets.
    more: bool,
}

/// The body of reader thread `index`.
///
/// Waits in `epoll_wait` while nothing is readable. After a look that found
/// notifications (and read every socket empty), it sleeps the batch window
/// before each next look without blocking, so that a burst is read in batches
/// rather than one wake-up per message; [`LINGER_LOOKS`] looks in a row that find
/// nothing send it back to blocking. See `Builder::batch_window`.
pub(crate) fn run(shared: &Arc<Shared>, index: usize) {
    let reader = &shared.readers[index];
    let window = shared.batch_window;
    let mut events = [EpollEvent::empty(); 64];
    // Receive buffers, shared by this reader's sockets (one is read at a time).
    let mut batch = RecvBatch::new(RECV_SLOTS);
    let mut failed: Vec<(u64, i32)> = Vec::new();
    // What the last look found: `more` (a socket had more than a look takes)
    // makes the next look come at once.
    let mut last = Drained::default();
    // Looks in a row that found nothing since the last one that found something.
    let mut empty_looks = LINGER_LOOKS;
    loop {
        // Nothing more is readable for now: let sinks flush before waiting.
        shared.bus.idle();
        let timeout = if last.more {
            EpollTimeout::ZERO
        } else if empty_looks < LINGER_LOOKS && !window.is_zero() {
            std::thread::sleep(window);
            EpollTimeout::ZERO
        } else {
            EpollTimeout::NONE
        };
        if shared.stopping() {
            return;
        }
        let n = match reader.epoll.wait(&mut events, timeout) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        };
        if shared.stopping() {
            return;
        }
        // A full array of ready sockets may have left others ready: look again
        // at once rather than after a window.
        last = Drained {
            read: false,
            more: n == events.len(),
        };
        for ev in &events[..n] {
            if ev.data() == WAKE_TOKEN {
                let _ = reader.wake.read();
                continue;
            }
            let mut entries = reader.entries.lock();
            if let Some(entry) = entries.get_mut(&ev.data()) {
                match drain(entry, shared, &mut batch) {
                    Ok(d) => {
                        last.read |= d.read;
                        last.more |= d.more;
                    }
                    Err(errno) => failed.push((ev.data(), errno)),
                }
            }
        }
        empty_looks = if last.read {
            0
        } else {
            empty_looks.saturating_add(1)
        };
        // Outside the entries lock: the registry is locked before entries elsewhere.
        for (token, errno) in failed.drain(..) {
            shared.forget(token, GoneReason::SocketError(errno));
        }
    }
}

/// Reads up to [`BATCH`] datagrams from one socket, [`RECV_SLOTS`] per system
/// call, and publishes what they carry. `Err(errno)` when the socket failed for
/// good.
fn drain(entry: &mut Entry, shared: &Shared, batch: &mut RecvBatch) -> Result<Drained, i32> {
    let mut found = Drained::default();
    // One receive time for what one look reads: the datagrams were all waiting,
    // and events sharing a time share its formatting too.
    let now = SystemTime::now();
    let mut taken = 0;
    while taken < BATCH {
        let dumps_asked = entry.sync.next_seq;
        match entry.socket.recv_batch(batch) {
            Ok(n) => {
                found.read = true;
                taken += n;
                for i in 0..n {
                    if let Some(received) = batch.get(i) {
                        handle_datagram(entry, shared, received, now);
                    }
                }
                if entry.sync.next_seq != dumps_asked {
                    // A dump was asked for meanwhile (the next kind of a round, a
                    // retry): its first part is queued already, read it now
                    // rather than after a batch window.
                    continue;
                }
                if n < batch.capacity() {
                    // The queue held fewer than a batch: it is empty now, or all
                    // but. (If more came meanwhile, epoll reports it.)
                    quiet(entry);
                    return Ok(found);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                quiet(entry);
                return Ok(found);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => {
                entry.ns.counters.overruns.fetch_add(1, Ordering::Relaxed);
                overrun(entry, shared);
            }
            Err(e) => return Err(e.raw_os_error().unwrap_or(0)),
        }
    }
    found.more = true;
    Ok(found)
}

/// The socket has nothing more queued: a round of dumps that could not be started
/// earlier is tried again now.
fn quiet(entry: &mut Entry) {
    if entry.sync.current.is_none() && entry.sync.resync_wanted {
        entry.sync.resync_wanted = false;
        entry.ns.counters.resyncs.fetch_add(1, Ordering::Relaxed);
        let _ = entry.begin(Purpose::Resync);
    }
}

/// Handles one received datagram of `entry`'s socket.
fn handle_datagram(entry: &mut Entry, shared: &Shared, received: Received<'_>, now: SystemTime) {
    match received {
        Received::Kernel(bytes) => {
            let Entry {
                ns,
                policy,
                seq,
                state,
                sync,
                ..
            } = entry;
            let mut out = Out {
                ns,
                policy,
                seq,
                state,
                now,
                shared,
            };
            let mut next = None;
            for msg in Messages::new(bytes) {
                let Ok(msg) = msg else {
                    out.ns
                        .counters
                        .decode_errors
                        .fetch_add(1, Ordering::Relaxed);
                    break;
                };
                if let Some(step) = handle_message(&msg, &mut out, sync) {
                    next = Some(step);
                }
            }
            if let Some(step) = next {
                advance(entry, step, now, shared);
            }
        }
        Received::Foreign { .. } => {
            let c = &entry.ns.counters;
            c.foreign_dropped.fetch_add(1, Ordering::Relaxed);
        }
        Received::Truncated { .. } => {
            let c = &entry.ns.counters;
            c.truncated.fetch_add(1, Ordering::Relaxed);
            overrun(entry, shared);
        }
    }
}

/// Notifications were lost: say so, and re-dump everything once the dump in
/// progress (if any) has ended.
fn overrun(entry: &mut Entry, shared: &Shared) {
    shared.bus.publish(Item::Overrun {
        netns: entry.ns.tag.clone(),
    });
    if entry.sync.current.is_some() {
        entry.sync.resync_wanted = true;
    } else {
        entry.ns.counters.resyncs.fetch_add(1, Ordering::Relaxed);
        let _ = entry.begin(Purpose::Resync);
    }
}

/// Publishes events of one namespace, keeping its state view and sequence.
struct Out<'a> {
    ns: &'a Arc<Namespace>,
    policy: &'a Policy,
    seq: &'a mut u64,
    state: &'a mut NsState,
    now: SystemTime,
    shared: &'a Shared,
}

impl Out<'_> {
    fn publish(&mut self, action: Action, origin: Origin, object: Object) {
        let ifname = match &object {
            Object::Link(l) => l.ifname.clone(),
            other => other.ifindex().and_then(|i| self.state.name(i)),
        };
        *self.seq += 1;
        self.ns.counters.events.fetch_add(1, Ordering::Relaxed);
        self.shared.bus.publish(Item::Event(Arc::new(Event {
            netns: self.ns.tag.clone(),
            seq: *self.seq,
            timestamp: self.now,
            action,
            origin,
            ifname,
            object,
        })));
    }

    /// Removes `keys` from the view, announcing each as a `del` of `origin` when
    /// `announce`.
    fn remove_all(&mut self, keys: Vec<Key>, origin: Origin, announce: bool) {
        for key in keys {
            if let Some(obj) = self.state.remove(&key) {
                if announce {
                    self.publish(Action::Del, origin, obj);
                }
            }
        }
    }
}

/// What to do once a datagram has been handled.
enum Step {
    /// The current dump ended; `retry` when it was interrupted and must be redone.
    DumpDone { retry: bool },
}

fn handle_message(msg: &NlMsg<'_>, out: &mut Out<'_>, sync: &mut Sync) -> Option<Step> {
    let c = &out.ns.counters;
    let dumping = sync
        .current
        .as_mut()
        .filter(|d| msg.seq() == d.seq && msg.portid() == out.ns.portid);
    if let Some(d) = dumping {
        if msg.is_dump_interrupted() {
            d.interrupted = true;
        }
        match msg.kind() {
            NLMSG_DONE => {
                let retry = d.interrupted && d.retries < DUMP_RETRIES;
                if d.interrupted {
                    c.dumps_interrupted.fetch_add(1, Ordering::Relaxed);
                }
                if !retry {
                    finish_dump(out, sync);
                }
                return Some(Step::DumpDone { retry });
            }
            NLMSG_ERROR => {
                let errno = match msg.parse() {
                    Ok(Message::Error(e)) => e.errno(),
                    _ => None,
                };
                if errno == Some(nix::libc::ENOBUFS) {
                    // The receive queue was full when the dump began: the kernel
                    // keeps the dump running and resumes it as we read, under the
                    // same sequence number. Notifications may have been lost too.
                    sync.resync_wanted = true;
                    return None;
                }
                // The dump failed (an errno instead of answers): redo it; if it
                // keeps failing, move on without concluding anything is gone.
                return Some(Step::DumpDone {
                    retry: d.retries < DUMP_RETRIES,
                });
            }
            _ => {}
        }
        match Object::decode(msg) {
            Ok(Some((_, object))) => {
                let key = Key::of(&object)?;
                d.seen.insert(key);
                let changed = out.state.apply_keyed(key, Action::New, &object) == Applied::Changed;
                if sync.purpose == Some(Purpose::Initial) {
                    // Each object once in the initial picture: also one already
                    // learned from a live event during the dump, but not again when
                    // a redone dump shows it unchanged.
                    if out.policy.list_existing && (d.announced.insert(key) || changed) {
                        out.publish(Action::New, Origin::Dump, object);
                    }
                } else if changed {
                    out.publish(Action::New, Origin::Resync, object);
                }
            }
            Ok(None) => {}
            Err(_) => {
                c.decode_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        return None;
    }
    match Object::decode(msg) {
        Ok(Some((action, object))) => live(action, object, out, sync),
        Ok(None) => {
            if matches!(msg.parse(), Ok(Message::Overrun)) {
                c.overruns.fetch_add(1, Ordering::Relaxed);
                sync.resync_wanted = true;
                out.shared.bus.publish(Item::Overrun {
                    netns: out.ns.tag.clone(),
                });
            }
        }
        Err(_) => {
            c.decode_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    None
}

/// A notification: keep the view, publish, and infer what the kernel will not say.
fn live(action: Action, object: Object, out: &mut Out<'_>, sync: &mut Sync) {
    let key = Key::of(&object);
    let flags_before = match &object {
        Object::Link(l) => out.state.link_flags(l.ifindex),
        _ => None,
    };
    // A change during a dump of its kind counts as seen (new) or is already gone (del).
    if let (Some(d), Some(k)) = (sync.current.as_mut(), key.as_ref()) {
        if d.kind == k.kind() {
            match action {
                Action::New => {
                    d.seen.insert(*k);
                }
                Action::Del => {
                    d.seen.remove(k);
                }
            }
        }
    }
    if let Some(key) = key {
        out.state.apply_keyed(key, action, &object);
    }
    let (ifindex, link_gone, link_down) = match (&object, action) {
        (Object::Link(l), Action::Del) if l.family == 0 => (l.ifindex, true, false),
        (Object::Link(l), Action::New) if l.family == 0 => {
            let was_up = flags_before.is_some_and(|f| f & IFF_UP != 0);
            (l.ifindex, false, was_up && l.flags & IFF_UP == 0)
        }
        _ => (0, false, false),
    };
    // The IPv4 address this removes, if any.
    let address_gone = match (&object, action) {
        (Object::Address(a), Action::Del) if a.family == AF_INET => a.local,
        _ => None,
    };
    out.publish(action, Origin::Live, object);
    // What the kernel removes without saying so; the view drops it, and subscribers
    // hear of it as synthesized deletions (when asked).
    let silent = if link_gone {
        // Everything that used the link is gone with it; the kernel announces some
        // of it (before the link's own deletion) but not IPv4 routes.
        out.state.dependents(ifindex)
    } else if link_down {
        // IPv4 routes whose every next hop is on a link that went down are flushed.
        out.state.ipv4_routes_only_via(ifindex)
    } else if let Some(local) = address_gone {
        // IPv4 routes that used the address as their preferred source are flushed.
        out.state.ipv4_routes_with_prefsrc(local)
    } else {
        Vec::new()
    };
    if !silent.is_empty() {
        let announce = out.policy.synthesize;
        out.remove_all(silent, Origin::Synthesized, announce);
    }
}

/// The current dump's kind is complete: what the view held and the dump did not
/// show is gone.
fn finish_dump(out: &mut Out<'_>, sync: &mut Sync) {
    let Some(d) = sync.current.as_ref() else {
        return;
    };
    let gone: Vec<Key> = out
        .state
        .keys(d.kind)
        .into_iter()
        .filter(|k| !d.seen.contains(k))
        .collect();
    out.remove_all(gone, Origin::Resync, true);
}

/// Moves the state machine on after a dump ended.
fn advance(entry: &mut Entry, step: Step, now: SystemTime, shared: &Shared) {
    let Step::DumpDone { retry } = step;
    if retry {
        let retries = entry.sync.current.as_ref().map_or(1, |d| d.retries + 1);
        let _ = entry.next_dump(retries);
        return;
    }
    entry.sync.current = None;
    if !entry.sync.queue.is_empty() {
        let _ = entry.next_dump(0);
        return;
    }
    // The round is over.
    let tag = entry.ns.tag.clone();
    match entry.sync.purpose.take() {
        Some(Purpose::Initial) => {
            entry.sync.synced = true;
            shared.bus.publish(Item::SyncDone { netns: tag });
        }
        Some(Purpose::Resync) => shared.bus.publish(Item::ResyncDone { netns: tag }),
        _ => {}
    }
    let _ = now;
    if entry.sync.resync_wanted {
        entry.sync.resync_wanted = false;
        entry.ns.counters.resyncs.fetch_add(1, Ordering::Relaxed);
        let _ = entry.begin(Purpose::Resync);
    } else {
        entry.ns.counters.syncing.store(false, Ordering::Release);
    }
}
