//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, off by
//! default, hidden from the docs; not for library users).
//!
//! The parsers, decoders and writers are public and fuzzed through their own
//! API. What is here reaches what is not: the dump/sync state machine of one
//! watched namespace, driven as a reader drives it, without threads. Each
//! datagram goes through the reader's own `handle_datagram`; an empty socket is
//! `Entry::quiet`, a receive that failed with `ENOBUFS` is `Entry::overrun`. The
//! datagrams are made from the fuzz input and the captured fixtures
//! (`src/wire/fixtures/`): dump parts at the dump's sequence number and port id
//! (or stale ones, or notifications), `NLMSG_DONE`, `NLMSG_ERROR` (`ENOBUFS` and
//! others), `NLMSG_OVERRUN`, `NLM_F_DUMP_INTR`, datagrams truncated by the
//! receive buffer, raw and mutated bytes.
//!
//! The dump requests go to a real `NETLINK_ROUTE` socket (the only kind an
//! entry has), opened once per thread, whose answers are never read: the
//! answers the state machine sees are the input's. Its receive buffer is the
//! smallest the kernel allows and is filled at once, so the kernel gives up
//! each later request before dumping anything (the dump in progress cannot
//! go on, `EBUSY`), and asking costs one cheap `sendto`.
//!
//! [`dump_sync`] panics when one of these fails:
//!
//! - the namespace's events are numbered 1, 2, 3, ... in the order published;
//! - `SyncDone` is published at most once, `ResyncDone` only after it, and
//!   events of the initial dump (`Origin::Dump`) only before it and only when
//!   existing objects are listed;
//! - when a dump ends whole (`NLMSG_DONE`, no `NLM_F_DUMP_INTR`, no error
//!   other than `ENOBUFS`, no part lost, no notification meanwhile), the view
//!   holds exactly the objects of its kind that the dump showed (the same
//!   keys, each in the same state as the view judges it);
//! - after the input, an overrun and whole answers to each dump asked for
//!   converge within a bound: no dump left, `SyncDone` published exactly once,
//!   the namespace no longer syncing, and the view equal to the fixtures'
//!   objects of every kind dumped.

use crate::bus::{Bus, Filter, Item, Overflow, Subscription};
use crate::object::{Kind, NetnsTag, Object, ObjectKind, Origin};
use crate::watch::fuzz_access::{
    handle_datagram, Counters, Entry, Key, Namespace, Outbox, Policy, Received, RtSocket,
    SnapshotCopy,
};
use crate::wire::consts::{
    NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_DUMP_INTR, NLM_F_MULTI,
};
use crate::wire::{align, Header, Message, Messages, NlMsg};
use nix::libc;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

/// The captured fixtures, one netlink message each.
pub const FIXTURES: &[&[u8]] = &[
    include_bytes!("wire/fixtures/link_new_veth.bin"),
    include_bytes!("wire/fixtures/link_new_veth_up.bin"),
    include_bytes!("wire/fixtures/link_new_altname.bin"),
    include_bytes!("wire/fixtures/link_new_bridge.bin"),
    include_bytes!("wire/fixtures/link_new_enslaved.bin"),
    include_bytes!("wire/fixtures/link_del_veth.bin"),
    include_bytes!("wire/fixtures/addr_new_v4.bin"),
    include_bytes!("wire/fixtures/addr_new_v6.bin"),
    include_bytes!("wire/fixtures/addr_del_v4.bin"),
    include_bytes!("wire/fixtures/addr_del_v6.bin"),
    include_bytes!("wire/fixtures/route_new_v4.bin"),
    include_bytes!("wire/fixtures/route_new_v4_main.bin"),
    include_bytes!("wire/fixtures/route_new_v6.bin"),
    include_bytes!("wire/fixtures/route_new_multipath.bin"),
    include_bytes!("wire/fixtures/route_del_v4.bin"),
    include_bytes!("wire/fixtures/route_del_v6.bin"),
    include_bytes!("wire/fixtures/neigh_new.bin"),
    include_bytes!("wire/fixtures/neigh_del.bin"),
];

/// Operations taken from one input at most: the rest is ignored.
pub const MAX_OPS: usize = 64;

/// Whole answers given after the input before the state machine must be idle.
const FINISH_STEPS: usize = 64;

/// Room in the harness's queue: more than one step publishes.
const QUEUE: usize = 4096;

thread_local! {
    /// The socket the entries of this thread's inputs use, and the bus they
    /// publish to, kept between inputs (a bus's queue is allocated whole).
    static KEPT: RefCell<Option<(RtSocket, Bus, Subscription)>> = const { RefCell::new(None) };
}

/// Runs one input through the dump/sync state machine (see the module docs);
/// panics when an invariant fails.
pub fn dump_sync(data: &[u8]) {
    let mut input = Input(data);
    let setup = input.byte().unwrap_or(0);
    // Links are dumped whether watched or not; the other kinds as chosen.
    let kinds: Vec<ObjectKind> = ObjectKind::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| u32::from(setup).checked_shr(*i as u32 + 2).unwrap_or(0) & 1 == 0)
        .map(|(_, k)| k)
        .collect();
    let policy = Policy {
        kinds,
        list_existing: setup & 1 == 0,
        synthesize: setup & 2 == 0,
    };
    let mut h = Harness::new(policy);
    h.start();
    let mut ops = 0;
    while let Some(op) = input.byte() {
        if ops == MAX_OPS {
            break;
        }
        h.op(op, &mut input);
        ops += 1;
    }
    h.finish();
    h.keep_socket();
}

/// The input, read a byte at a time; past its end every read is empty.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn arg(&mut self) -> u8 {
        self.byte().unwrap_or(0)
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken
    }
}

/// The dump in progress as the harness saw it answered.
struct Attempt {
    kind: ObjectKind,
    seq: u32,
    /// Nothing seen that lets the dump end otherwise than whole.
    whole: bool,
    /// The objects the answers showed, by key (the last one of each).
    shown: HashMap<Key, Object>,
}

struct Harness {
    entry: Entry,
    outbox: Outbox,
    bus: Bus,
    items: Subscription,
    portid: u32,
    attempt: Option<Attempt>,
    sync_done: u32,
    last_seq: u64,
}

impl Harness {
    fn new(policy: Policy) -> Self {
        let (socket, bus, items) = KEPT.with(|k| k.borrow_mut().take()).unwrap_or_else(|| {
            let bus = Bus::new();
            let items = bus.subscribe(Filter::new(), QUEUE, Overflow::DropOldest);
            (open_socket(), bus, items)
        });
        while items.try_recv().is_ok() {}
        let portid = socket.portid();
        let ns = Arc::new(Namespace {
            tag: NetnsTag {
                name: Arc::from("fuzz"),
                id: 1,
            },
            portid,
            rcvbuf: socket.rcvbuf(),
            counters: Default::default(),
            tap: None,
        });
        Harness {
            entry: Entry::new(Some(socket), ns, policy),
            outbox: Outbox::default(),
            bus,
            items,
            portid,
            attempt: None,
            sync_done: 0,
            last_seq: 0,
        }
    }

    /// Keeps the socket and the bus for the next input.
    fn keep_socket(self) {
        if let Entry {
            socket: Some(socket),
            ..
        } = self.entry
        {
            KEPT.with(|k| *k.borrow_mut() = Some((socket, self.bus, self.items)));
        }
    }

    fn start(&mut self) {
        // A request that could not be sent drops the round, to be tried again
        // when the socket is quiet: part of what is fuzzed.
        let _ = self.entry.start();
        self.after();
    }

    /// The sequence number and port id of a message, as `mode` says: the dump
    /// in progress (most often), a notification, or a stale dump of ours.
    fn addr(&self, mode: u8) -> (u32, u32) {
        let seq = self.entry.rounds.dumps_asked();
        match mode & 3 {
            0 | 1 => (seq, self.portid),
            2 => (0, 0),
            _ => (seq.wrapping_sub(1), self.portid),
        }
    }

    fn op(&mut self, op: u8, input: &mut Input<'_>) {
        self.track();
        match op % 12 {
            0..=2 => {
                // A dump part of one to four fixtures, perhaps ended.
                let a = input.arg();
                let (seq, portid) = self.addr(a >> 4);
                let flags = NLM_F_MULTI | if a & 4 != 0 { NLM_F_DUMP_INTR } else { 0 };
                let mut dgram = Vec::new();
                for _ in 0..=(a & 3) {
                    let fixture = FIXTURES[input.arg() as usize % FIXTURES.len()];
                    push_fixture(&mut dgram, fixture, flags, seq, portid);
                }
                if a & 8 != 0 {
                    push_msg(&mut dgram, NLMSG_DONE, flags, seq, portid, &[0; 4]);
                }
                self.datagram(&dgram);
            }
            3 => {
                let a = input.arg();
                let (seq, portid) = self.addr(a >> 4);
                let flags = NLM_F_MULTI | if a & 1 != 0 { NLM_F_DUMP_INTR } else { 0 };
                let mut dgram = Vec::new();
                push_msg(&mut dgram, NLMSG_DONE, flags, seq, portid, &[0; 4]);
                self.datagram(&dgram);
            }
            4 => {
                let a = input.arg();
                let (seq, portid) = self.addr(a >> 4);
                let errno = match a & 7 {
                    0..=2 => libc::ENOBUFS,
                    3 => libc::EBUSY,
                    4 => 0,
                    5 => libc::EINTR,
                    _ => i32::from(input.arg()) - 128,
                };
                let mut payload = errno.wrapping_neg().to_ne_bytes().to_vec();
                if a & 8 != 0 {
                    // The request's header, as the kernel includes it.
                    let mut request = Vec::new();
                    push_msg(&mut request, 18, 0x301, seq, portid, &[]);
                    payload.extend_from_slice(&request);
                }
                let mut dgram = Vec::new();
                push_msg(&mut dgram, NLMSG_ERROR, 0, seq, portid, &payload);
                self.datagram(&dgram);
            }
            5 => {
                let a = input.arg();
                let (seq, portid) = self.addr(a >> 4);
                let kind = if a & 1 != 0 {
                    NLMSG_NOOP
                } else {
                    NLMSG_OVERRUN
                };
                let mut dgram = Vec::new();
                push_msg(&mut dgram, kind, NLM_F_MULTI, seq, portid, &[]);
                self.datagram(&dgram);
            }
            6 => {
                // A datagram larger than the receive buffer: only its first
                // header arrived (or not even that).
                let a = input.arg();
                let (seq, portid) = self.addr(a >> 4);
                let first = (a & 3 != 3).then_some(Header {
                    len: 40_000,
                    kind: 16,
                    flags: NLM_F_MULTI,
                    seq,
                    portid,
                });
                self.truncated(first, 40_000 + usize::from(a));
            }
            7 => {
                // The receive failed with ENOBUFS, as `reader::drain` handles it.
                Counters::count(&self.entry.ns.counters.overruns);
                self.entry.overrun(&self.outbox, SystemTime::UNIX_EPOCH);
                self.after();
            }
            8 => {
                let empty = input.arg() & 1 != 0;
                self.entry
                    .quiet(&self.outbox, empty, SystemTime::UNIX_EPOCH);
                self.after();
            }
            9 => {
                let fixture = FIXTURES[input.arg() as usize % FIXTURES.len()];
                let mut dgram = Vec::new();
                push_fixture(&mut dgram, fixture, 0, 0, 0);
                self.datagram(&dgram);
            }
            10 => {
                // Raw bytes; the first header's address made the dump's.
                let a = input.arg();
                let n = usize::from(input.arg()) * 4;
                let mut dgram = input.take(n).to_vec();
                if dgram.len() >= 16 && a & 1 != 0 {
                    let (seq, portid) = self.addr(a >> 4);
                    dgram[8..12].copy_from_slice(&seq.to_ne_bytes());
                    dgram[12..16].copy_from_slice(&portid.to_ne_bytes());
                }
                self.datagram(&dgram);
            }
            _ => {
                // A fixture with one byte changed, as a dump part.
                let a = input.arg();
                let fixture = FIXTURES[input.arg() as usize % FIXTURES.len()];
                let at = usize::from(u16::from_ne_bytes([input.arg(), input.arg()]));
                let xor = input.arg();
                let (seq, portid) = self.addr(a >> 4);
                let mut dgram = Vec::new();
                push_fixture(&mut dgram, fixture, NLM_F_MULTI, seq, portid);
                let at = 16 + at % (dgram.len() - 16);
                dgram[at] ^= xor;
                self.datagram(&dgram);
            }
        }
    }

    /// Follows the dump in progress: a new one starts what it showed afresh.
    fn track(&mut self) {
        match self.entry.rounds.dumping() {
            Some((kind, seq)) => {
                if !matches!(&self.attempt, Some(a) if a.seq == seq) {
                    self.attempt = Some(Attempt {
                        kind,
                        seq,
                        whole: true,
                        shown: HashMap::new(),
                    });
                }
            }
            None => self.attempt = None,
        }
    }

    /// One datagram from the kernel, handled as the reader handles it; then,
    /// when it ended a whole dump, the view is checked against it.
    fn datagram(&mut self, bytes: &[u8]) {
        let mut done = false;
        if let Some(at) = self.attempt.as_mut() {
            for msg in Messages::new(bytes) {
                let Ok(msg) = msg else { break };
                if msg.seq() == at.seq && msg.portid() == self.portid {
                    at.whole &= !msg.is_dump_interrupted();
                    match msg.kind() {
                        NLMSG_DONE => done = true,
                        NLMSG_ERROR => at.whole &= is_enobufs(&msg),
                        _ => {
                            if let Ok(Some((_, object))) = Object::decode(&msg) {
                                if let Some(key) = Key::of(&object) {
                                    at.shown.insert(key, object);
                                }
                            }
                        }
                    }
                } else if msg.portid() != self.portid {
                    // A notification during the dump changes what it concludes.
                    at.whole = false;
                }
            }
        }
        handle_datagram(
            &mut self.entry,
            &self.outbox,
            Received::Kernel(bytes),
            SystemTime::UNIX_EPOCH,
        );
        if let Some(at) = self.attempt.as_ref().filter(|a| done && a.whole) {
            let shown: HashMap<Key, Object> = at
                .shown
                .iter()
                .filter(|(k, _)| k.kind() == at.kind)
                .map(|(k, o)| (*k, o.clone()))
                .collect();
            let kind = at.kind;
            let view = self.view(kind);
            assert!(
                same_view(&view, &shown),
                "after a whole {kind:?} dump the view holds {view:?}, the dump showed {shown:?}"
            );
        }
        self.after();
    }

    /// A datagram the receive buffer truncated, handled as the reader does.
    fn truncated(&mut self, first: Option<Header>, len: usize) {
        if let (Some(at), Some(h)) = (self.attempt.as_mut(), first) {
            if h.seq == at.seq && h.portid == self.portid {
                at.whole = false;
            }
        }
        handle_datagram(
            &mut self.entry,
            &self.outbox,
            Received::Truncated {
                len,
                first,
                captured: &[],
            },
            SystemTime::UNIX_EPOCH,
        );
        self.after();
    }

    /// The view's objects of `kind`, by key.
    fn view(&mut self, kind: ObjectKind) -> HashMap<Key, Object> {
        let mut copy = SnapshotCopy::new(&[kind]);
        assert!(self.entry.state.copy_step(&mut copy, usize::MAX));
        copy.into_snapshot(self.entry.ns.tag.clone(), 0, true)
            .objects()
            .filter_map(|o| Some((Key::of(&o)?, o)))
            .collect()
    }

    /// After each step: publishes what was queued and checks it.
    fn after(&mut self) {
        self.outbox.flush(&self.bus);
        while let Ok(item) = self.items.try_recv() {
            match item {
                Item::Event(ev) => {
                    assert_eq!(ev.seq, self.last_seq + 1, "events numbered out of order");
                    self.last_seq = ev.seq;
                    if ev.origin == Origin::Dump {
                        assert_eq!(self.sync_done, 0, "a dump event after SyncDone");
                        assert!(self.entry.policy.list_existing, "a dump event unasked");
                    }
                }
                Item::SyncDone { .. } => {
                    self.sync_done += 1;
                    assert_eq!(self.sync_done, 1, "SyncDone published twice");
                }
                Item::ResyncDone { .. } => {
                    assert_eq!(self.sync_done, 1, "ResyncDone before SyncDone");
                }
                Item::Lagged { missed } => panic!("the harness lost {missed} items"),
                _ => {}
            }
        }
    }

    /// After the input: lost notifications, then whole answers to every dump
    /// asked for, until the state machine is idle; the view must then be what
    /// those dumps showed.
    fn finish(&mut self) {
        Counters::count(&self.entry.ns.counters.overruns);
        self.entry.overrun(&self.outbox, SystemTime::UNIX_EPOCH);
        self.after();
        for _ in 0..FINISH_STEPS {
            self.track();
            match self.entry.rounds.dumping() {
                Some((kind, seq)) => {
                    let mut dgram = Vec::new();
                    decoded_fixtures(|d| {
                        for (fixture, _) in FIXTURES
                            .iter()
                            .zip(d)
                            .filter(|(_, o)| o.as_ref().is_some_and(|(k, _)| k.kind() == kind))
                        {
                            push_fixture(&mut dgram, fixture, NLM_F_MULTI, seq, self.portid);
                        }
                    });
                    push_msg(
                        &mut dgram,
                        NLMSG_DONE,
                        NLM_F_MULTI,
                        seq,
                        self.portid,
                        &[0; 4],
                    );
                    self.datagram(&dgram);
                }
                None => {
                    let asked = self.entry.rounds.dumps_asked();
                    self.entry.quiet(&self.outbox, true, SystemTime::UNIX_EPOCH);
                    self.after();
                    if self.entry.rounds.dumps_asked() == asked {
                        break;
                    }
                }
            }
        }
        assert!(
            self.entry.rounds.dumping().is_none(),
            "dumps still asked for after {FINISH_STEPS} whole answers"
        );
        assert_eq!(self.sync_done, 1, "no SyncDone after whole dumps");
        assert!(self.entry.rounds.synced());
        assert!(
            !self.entry.ns.counters.syncing.load(Ordering::Acquire),
            "still syncing when idle"
        );
        for kind in ObjectKind::ALL {
            if kind != ObjectKind::Link && !self.entry.policy.kinds.contains(&kind) {
                continue;
            }
            let want: HashMap<Key, Object> = decoded_fixtures(|d| {
                d.iter()
                    .flatten()
                    .filter(|(k, _)| k.kind() == kind)
                    .cloned()
                    .collect()
            });
            let view = self.view(kind);
            assert!(
                same_view(&view, &want),
                "idle after whole dumps, the {kind:?} view holds {view:?}, not {want:?}"
            );
        }
    }
}

/// Opens the socket whose requests the state machine sends, its receive
/// buffer as small as the kernel allows and already full (the answers to a few
/// dumps, never read).
fn open_socket() -> RtSocket {
    let socket = RtSocket::open(&[], Some(0)).expect("open a NETLINK_ROUTE socket");
    for seq in 1..=4 {
        let _ = socket.request_dump(ObjectKind::Link.dump(), seq);
    }
    socket
}

/// The same keys, each with the same state (`Kind::same_state`: what the view
/// keeps; an address's remaining lifetimes, say, are not state).
fn same_view(a: &HashMap<Key, Object>, b: &HashMap<Key, Object>) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(k, x)| b.get(k).is_some_and(|y| same_state(x, y)))
}

macro_rules! define_same_state {
    ($($variant:ident($module:ident::$ty:ident) $field:ident $name:literal [$($alias:literal),*] $doc:literal;)*) => {
        /// Two objects of one kind in the same state, as the view judges it.
        fn same_state(a: &Object, b: &Object) -> bool {
            match (a, b) {
                $((Object::$variant(x), Object::$variant(y)) => x.same_state(y),)*
                #[allow(unreachable_patterns)]
                _ => false,
            }
        }
    };
}

crate::object::for_each_kind!(define_same_state);

fn is_enobufs(msg: &NlMsg<'_>) -> bool {
    matches!(msg.parse(), Ok(Message::Error(e)) if e.errno() == Some(libc::ENOBUFS))
}

/// Each fixture's object and its key, decoded once per thread.
fn decoded_fixtures<R>(f: impl FnOnce(&[Option<(Key, Object)>]) -> R) -> R {
    thread_local! {
        static DECODED: Vec<Option<(Key, Object)>> = FIXTURES
            .iter()
            .map(|fixture| {
                let msg = NlMsg::new_checked(fixture).expect("a fixture");
                let (_, object) = Object::decode(&msg).ok()??;
                Some((Key::of(&object)?, object))
            })
            .collect();
    }
    DECODED.with(|d| f(d))
}

/// Appends one message with this header and payload, padded to 4 bytes.
fn push_msg(buf: &mut Vec<u8>, kind: u16, flags: u16, seq: u32, portid: u32, payload: &[u8]) {
    let len = 16 + payload.len();
    buf.extend_from_slice(&(len as u32).to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(&flags.to_ne_bytes());
    buf.extend_from_slice(&seq.to_ne_bytes());
    buf.extend_from_slice(&portid.to_ne_bytes());
    buf.extend_from_slice(payload);
    buf.resize(buf.len() - len + align(len), 0);
}

/// Appends a fixture's message with another header.
fn push_fixture(buf: &mut Vec<u8>, fixture: &[u8], flags: u16, seq: u32, portid: u32) {
    let msg = NlMsg::new_checked(fixture).expect("a fixture");
    push_msg(buf, msg.kind(), flags, seq, portid, msg.payload());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harness itself: whole rounds converge, and a short run of random
    /// inputs (the fuzz targets run far more) finds nothing.
    #[test]
    fn dump_sync_harness_runs() {
        // Nothing but the setup: the finish alone answers the initial round.
        dump_sync(&[0]);
        dump_sync(&[0xff]);
        // A part with every link, then done, then notifications and a truncation.
        dump_sync(&[0, 0, 3, 0, 1, 2, 3, 3, 0, 9, 5, 6, 0, 7, 8, 1]);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            let input: Vec<u8> = (0..64)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            dump_sync(&input);
        }
    }
}
