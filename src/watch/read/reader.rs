//! Reader threads: a small fixed pool, each waiting with epoll on the sockets of
//! the namespaces assigned to it.
//!
//! A namespace belongs to exactly one reader for its whole life, so its events are
//! published in the kernel's order. When a socket is readable the reader drains a
//! bounded number of datagrams (so one busy namespace cannot starve the others),
//! drops datagrams not sent by the kernel, and hands each message to the dump
//! rounds (`sync`) when it answers the dump in progress, or to `infer` when it is
//! a notification; both keep the namespace's state view and publish through its
//! `Out`.
//!
//! While notifications come faster than a wake-up per message is worth, a
//! reader reads them in batches: it pauses between looks for about the time a
//! batch takes to gather, at most the monitor's batch window; slower than that,
//! it blocks and reads each change as it comes (`pace`).
//!
//! Foreign datagrams, truncations, overruns and decode errors are counted and
//! skipped; a socket error ends that namespace only. A reader waits for a
//! subscriber only when that subscriber chose `Overflow::Block` (see the bus).
//! It sees the monitor only through [`ReaderHost`].

use super::pace::Pace;
use super::socket::{Received, RecvBatch};
use crate::bus::{Bus, GoneReason, Item};
use crate::capture::Tap;
use crate::object::{Action, NetnsTag, Object, Origin};
use crate::watch::keep::infer::{self, Rounds as _};
use crate::watch::keep::namespace::Outbox;
use crate::watch::keep::state::Key;
use crate::watch::keep::sync::Entry;
use crate::watch::keep::sync::{self, DumpEnded};
use crate::watch::metrics::Counters;
use crate::wire::consts::{AF_BRIDGE, RTM_NEWLINK};
use crate::wire::{Messages, NlMsg};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::collections::VecDeque;
use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Datagrams taken per `recvmmsg` call (each slot is a 32 KiB buffer).
const RECV_SLOTS: usize = 16;
/// Datagrams read from one socket per wake-up before looking at the others.
const BATCH: usize = 64;
/// Items read ahead of publishing: past this many, the reader lets go of its
/// entries and publishes before it reads on (a dump part holds hundreds of
/// objects; notifications come one per datagram and never reach it).
const READ_AHEAD: usize = 256;
const WAKE_TOKEN: u64 = u64::MAX;

/// What a reader needs of the monitor it serves, and no more.
pub(crate) trait ReaderHost {
    /// Where events and control items go.
    fn bus(&self) -> &Bus;
    /// Where datagrams are recorded, if they are (each namespace's `Tap` says
    /// where in it): written out whenever the reader is idle.
    fn recorder(&self) -> Option<&crate::capture::Recorder>;
    /// How long notifications may gather while they keep coming.
    fn batch_window(&self) -> Duration;
    /// The size each receive slot starts with (it grows to fit what comes).
    fn recv_buffer(&self) -> usize;
    /// Whether the monitor is shutting down (the reader then returns).
    fn stopping(&self) -> bool;
    /// The socket of namespace `token` failed for good with `errno`; called
    /// without any of the reader's locks held.
    fn socket_failed(&self, token: u64, errno: i32);
}

/// One reader: its epoll instance, its wake-up eventfd and its sockets by token.
pub(crate) struct Reader {
    epoll: Epoll,
    wake: EventFd,
    pub(crate) entries: Mutex<HashMap<u64, Entry>>,
    /// Arrivals to announce and removals to carry out, in the order they were
    /// asked for: one queue, so that a namespace removed and added again is
    /// announced gone before it is announced again.
    changes: Mutex<VecDeque<Change>>,
    /// The longest this reader waited for `entries` before reading a socket, in
    /// nanoseconds: what a snapshot step (or another caller) cost every
    /// namespace on it.
    pub(crate) longest_wait_ns: AtomicU64,
}

/// A change in the set of namespaces a reader watches, carried out by the
/// reader in order.
#[derive(Debug)]
enum Change {
    /// Announce `NamespaceAdded` for this token, then let its socket be read.
    Arrive(u64, NetnsTag),
    /// Read what the socket holds, close it, announce `NamespaceGone`.
    Retire(u64, GoneReason),
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
            changes: Mutex::new(VecDeque::new()),
            longest_wait_ns: AtomicU64::new(0),
        })
    }

    /// Starts watching `entry` under `token`. The reader announces it
    /// (`NamespaceAdded`) before anything of it, on its own thread: the caller
    /// never waits for a subscriber.
    pub(crate) fn insert(&self, token: u64, entry: Entry) -> io::Result<()> {
        let mut entries = self.entries.lock();
        let Some(socket) = &entry.socket else {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        };
        // The socket is not read before its arrival is announced (`announced`).
        self.epoll
            .add(socket.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, token))?;
        self.changes
            .lock()
            .push_back(Change::Arrive(token, entry.ns.tag.clone()));
        entries.insert(token, entry);
        drop(entries);
        self.wake();
        Ok(())
    }

    /// Carries out the arrivals and removals asked for, in order. Run by the
    /// reader before it reads, or once it has stopped by the thread that
    /// stopped it.
    pub(crate) fn apply_changes(&self, bus: &Bus, batch: &mut RecvBatch) {
        loop {
            let Some(change) = self.changes.lock().pop_front() else {
                return;
            };
            match change {
                Change::Arrive(token, netns) => {
                    let timestamp = SystemTime::now();
                    if let Some(entry) = self.entries.lock().get_mut(&token) {
                        if let Some(tap) = &entry.ns.tap {
                            tap.watched(timestamp);
                        }
                    }
                    bus.publish(Item::NamespaceAdded { netns, timestamp });
                    if let Some(entry) = self.entries.lock().get_mut(&token) {
                        entry.announced = true;
                    }
                }
                Change::Retire(token, reason) => self.retire_now(token, reason, bus, batch),
            }
        }
    }

    /// Stops watching `token` and closes its socket, at once, unread (its
    /// socket failed: nothing more can be read from it); what was read and held
    /// back until `SyncDone` is published.
    pub(crate) fn remove(&self, token: u64, bus: &Bus) {
        if let Some(mut entry) = self.take(token) {
            let outbox = Outbox::default();
            entry.release_held(&outbox);
            outbox.flush(bus);
        }
    }

    /// Takes `token`'s entry out of the epoll set and this reader's care.
    fn take(&self, token: u64) -> Option<Entry> {
        let entry = self.entries.lock().remove(&token)?;
        if let Some(socket) = &entry.socket {
            let _ = self.epoll.delete(socket.as_fd());
        }
        Some(entry)
    }

    /// Asks this reader to stop watching `token`: it reads and publishes what
    /// the socket holds, closes it, then publishes `NamespaceGone` with `reason`.
    /// Done by the reader so that nothing races its reading of the socket.
    pub(crate) fn retire(&self, token: u64, reason: GoneReason) {
        self.changes.lock().push_back(Change::Retire(token, reason));
        self.wake();
    }

    /// Reads and publishes what `token`'s socket holds (the kernel queued it
    /// before the namespace went), closes the socket and announces the
    /// namespace gone. Nothing when it is not watched here any more (its socket
    /// failed meanwhile, which was announced then).
    pub(crate) fn retire_now(
        &self,
        token: u64,
        reason: GoneReason,
        bus: &Bus,
        batch: &mut RecvBatch,
    ) {
        let Some(mut entry) = self.take(token) else {
            return;
        };
        // What is queued, and the rest of a dump in progress; no new dump.
        entry.rounds.close();
        let outbox = Outbox::default();
        loop {
            let drained = drain(&mut entry, &outbox, batch);
            outbox.flush(bus);
            if !matches!(drained, Ok(Drained { more: true, .. })) {
                break;
            }
        }
        entry.release_held(&outbox);
        outbox.flush(bus);
        let netns = entry.ns.tag.clone();
        let timestamp = SystemTime::now();
        if let Some(tap) = &entry.ns.tap {
            tap.gone(timestamp, &reason);
        }
        // Closes the socket: a netlink socket holds its namespace alive.
        drop(entry);
        bus.publish(Item::NamespaceGone {
            netns,
            reason,
            timestamp,
        });
    }

    pub(crate) fn wake(&self) {
        // Cannot fail short of the counter overflowing, which one write cannot do.
        let _ = self.wake.write(1);
    }
}

/// What one look at a socket found.
#[derive(Debug, Clone, Copy, Default)]
struct Drained {
    /// Datagrams read.
    read: usize,
    /// More may be waiting right now: a socket gave [`BATCH`] datagrams, or
    /// epoll filled the whole array of ready sockets.
    more: bool,
}

/// Receive buffers for one reader (or for the thread that retires what a
/// stopped reader left).
pub(crate) fn recv_batch(host: &dyn ReaderHost) -> RecvBatch {
    RecvBatch::with_size(RECV_SLOTS, host.recv_buffer())
}

/// The body of a reader thread.
///
/// Waits in `epoll_wait` while nothing is readable, and looks again at once
/// when a look left more than it takes. While datagrams come fast, it pauses
/// before each next look instead of blocking, so that a burst is read in
/// batches rather than one wake-up per message (`pace`; `Builder::batch_window`
/// bounds the pause).
pub(crate) fn run(reader: &Reader, host: &dyn ReaderHost) {
    let window = host.batch_window();
    let bus = host.bus();
    let mut events = [EpollEvent::empty(); 64];
    // What is read under the entries' lock is published once it is let go.
    let outbox = Outbox::default();
    // Receive buffers, shared by this reader's sockets (one is read at a time).
    let mut batch = recv_batch(host);
    let mut failed: Vec<(u64, i32)> = Vec::new();
    // What the last look found: `more` (a socket had more than a look takes)
    // makes the next look come at once.
    let mut last = Drained::default();
    let mut pace = Pace::new(window, Instant::now());
    loop {
        // Nothing more is readable for now: let sinks and the recorder flush
        // before waiting.
        bus.idle();
        if let Some(recorder) = host.recorder() {
            recorder.idle();
        }
        let timeout = if last.more {
            EpollTimeout::ZERO
        } else if let Some(pause) = pace.pause() {
            std::thread::sleep(pause);
            EpollTimeout::ZERO
        } else {
            EpollTimeout::NONE
        };
        if host.stopping() {
            return;
        }
        let n = match reader.epoll.wait(&mut events, timeout) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        };
        if host.stopping() {
            return;
        }
        // A full array of ready sockets may have left others ready: look again
        // at once rather than after a window.
        last = Drained {
            read: 0,
            more: n == events.len(),
        };
        // Arrivals announced before anything of them, removals in order.
        reader.apply_changes(bus, &mut batch);
        for ev in &events[..n] {
            if ev.data() == WAKE_TOKEN {
                let _ = reader.wake.read();
                continue;
            }
            let mut entries = match reader.entries.try_lock() {
                Some(entries) => entries,
                None => {
                    let asked = Instant::now();
                    let entries = reader.entries.lock();
                    let waited = u64::try_from(asked.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    reader.longest_wait_ns.fetch_max(waited, Ordering::Relaxed);
                    entries
                }
            };
            if let Some(entry) = entries.get_mut(&ev.data()) {
                if !entry.announced {
                    // Added after this look's changes were applied: next look.
                    last.more = true;
                    continue;
                }
                match drain(entry, &outbox, &mut batch) {
                    Ok(d) => {
                        last.read += d.read;
                        last.more |= d.more;
                    }
                    Err(errno) => failed.push((ev.data(), errno)),
                }
            }
            drop(entries);
            outbox.flush(bus);
        }
        pace.looked(Instant::now(), last.read);
        // Outside the entries lock: the registry is locked before entries elsewhere.
        for (token, errno) in failed.drain(..) {
            host.socket_failed(token, errno);
        }
        reader.apply_changes(bus, &mut batch);
    }
}

/// Reads up to [`BATCH`] datagrams from one socket, [`RECV_SLOTS`] per system
/// call, and publishes what they carry. `Err(errno)` when the socket failed for
/// good.
fn drain(entry: &mut Entry, outbox: &Outbox, batch: &mut RecvBatch) -> Result<Drained, i32> {
    let mut found = Drained::default();
    // One receive time for what one look reads: the datagrams were all waiting,
    // and events sharing a time share its formatting too.
    let now = SystemTime::now();
    let mut taken = 0;
    while taken < BATCH {
        let dumps_asked = entry.rounds.dumps_asked();
        let Some(socket) = entry.socket.as_mut() else {
            return Ok(found);
        };
        match socket.recv_batch(batch) {
            Ok(n) => {
                found.read += n;
                taken += n;
                for i in 0..n {
                    if let Some(received) = batch.get(i) {
                        if let Some(tap) = &entry.ns.tap {
                            record(tap, &received, now);
                        }
                        handle_datagram(entry, outbox, received, now);
                    }
                }
                if outbox.len() >= READ_AHEAD {
                    // Publish before reading on: a subscriber that blocks the
                    // reader then holds it close to where the kernel is. Every
                    // look ends with `quiet` (a replay ends each one so).
                    entry.quiet(outbox, false, now);
                    found.more = true;
                    return Ok(found);
                }
                if entry.rounds.dumps_asked() != dumps_asked {
                    // A dump was asked for meanwhile (the next kind of a round, a
                    // retry): its first part is queued already, read it now
                    // rather than after a batch window.
                    continue;
                }
                if n < batch.capacity() {
                    // The queue held fewer than a batch: it is empty now, or all
                    // but (an error such as an overrun may be pending: it comes
                    // with the next call). If more came meanwhile, epoll says so.
                    entry.quiet(outbox, false, now);
                    return Ok(found);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                entry.quiet(outbox, true, now);
                return Ok(found);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => {
                Counters::count(&entry.ns.counters.overruns);
                if let Some(tap) = &entry.ns.tap {
                    tap.overrun(now);
                }
                entry.overrun(outbox, now);
            }
            Err(e) => return Err(e.raw_os_error().unwrap_or(0)),
        }
    }
    entry.quiet(outbox, false, now);
    found.more = true;
    Ok(found)
}

/// Records a datagram the kernel sent (what arrived of it, and its length);
/// another sender's are not the kernel's.
fn record(tap: &Tap, received: &Received<'_>, now: SystemTime) {
    match received {
        Received::Kernel(bytes) => tap.datagram(now, bytes, bytes.len()),
        Received::Truncated { len, captured, .. } => tap.datagram(now, captured, *len),
        Received::Foreign { .. } => {}
    }
}

/// Handles one received datagram of `entry`'s socket.
pub(crate) fn handle_datagram(
    entry: &mut Entry,
    outbox: &Outbox,
    received: Received<'_>,
    now: SystemTime,
) {
    Counters::count(&entry.ns.counters.datagrams);
    match received {
        Received::Kernel(bytes) => {
            let (mut out, rounds) = entry.out(outbox, now);
            let mut ended = None;
            // Counted once per datagram, not once per message.
            let mut messages = 0;
            for msg in Messages::new(bytes) {
                let Ok(msg) = msg else {
                    // After a bad length nothing that follows can be trusted.
                    Counters::count(&out.ns.counters.decode_errors);
                    break;
                };
                messages += 1;
                if let Some(e) = handle_message(&msg, &mut out, rounds) {
                    ended = Some(e);
                }
            }
            out.ns
                .counters
                .messages
                .fetch_add(messages, Ordering::Relaxed);
            if let Some(ended) = ended {
                entry.dump_ended(ended, outbox, now);
            }
        }
        Received::Foreign { .. } => Counters::count(&entry.ns.counters.foreign_dropped),
        Received::Truncated { first, .. } => {
            Counters::count(&entry.ns.counters.truncated);
            let portid = entry.ns.portid;
            let dump_part =
                first.is_some_and(|h| entry.rounds.answers_header(h.seq, h.portid, portid));
            if dump_part {
                // Redone, not taken for lost notifications: no resync, and no
                // false deletions of what the lost part held.
                entry.rounds.part_lost();
            } else {
                entry.overrun(outbox, now);
            }
        }
    }
}

/// One message: an answer to the dump in progress, or a notification.
fn handle_message(
    msg: &NlMsg<'_>,
    out: &mut crate::watch::keep::namespace::Out<'_>,
    rounds: &mut sync::DumpRounds,
) -> Option<DumpEnded> {
    if rounds.answers(msg, out.ns.portid) {
        return sync::dump_message(msg, out, rounds);
    }
    if msg.portid() == out.ns.portid {
        // Addressed to this socket but not the dump in progress: the rest of a
        // dump given up on (redone after a lost part). Not a notification.
        return None;
    }
    infer::notification(msg, out, rounds);
    bridge_port(msg, out, rounds);
    None
}

/// A bridge's per-port message (`RTM_NEWLINK` of family `AF_BRIDGE`, which
/// `infer` publishes as it is) also changes the port link the view keeps
/// (see [`NsState::fold_bridge_port`](crate::watch::keep::state::NsState)): when it did,
/// the port link is published as it is now, so that a consumer folding the
/// stream holds what the view holds. Decoded a second time here: these
/// messages are rare, and the first decoding counted what it skipped.
fn bridge_port(
    msg: &NlMsg<'_>,
    out: &mut crate::watch::keep::namespace::Out<'_>,
    rounds: &mut sync::DumpRounds,
) {
    if msg.kind() != RTM_NEWLINK || msg.payload().first() != Some(&AF_BRIDGE) {
        return;
    }
    let Ok(Some((Action::New, Object::Link(port)))) = Object::decode(msg) else {
        return;
    };
    if let Some(now) = out.state.fold_bridge_port(&port) {
        rounds.note_live(&Key::Link(port.ifindex), Action::New);
        out.publish(Action::New, Origin::Live, now);
    }
}
