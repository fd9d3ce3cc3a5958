//! A watched socket as its reader holds it ([`Entry`]: the socket, the state
//! view, the event sequence and the events held back), and its dump rounds:
//! how the state view is filled when the namespace is added
//! (`Purpose::Initial`) and repaired after lost notifications
//! (`Purpose::Resync`).
//!
//! A round dumps the watched kinds one at a time (the kernel allows one dump per
//! socket), links first since every other kind is named after its link. Dump
//! answers are told from notifications by port id and sequence number. A dump the
//! kernel marks `NLM_F_DUMP_INTR`, that failed, or that lost a part (a datagram
//! truncated by a receive buffer too small for it) is redone (up to
//! [`DUMP_RETRIES`] times); what arrives meanwhile is applied in order. When a
//! kind's dump is complete and whole, what the view held and the dump did not
//! show is gone; a dump that stays incomplete concludes nothing is gone.
//! The initial round may announce what it found (`Origin::Dump`, then
//! `Item::SyncDone`); a resync announces the differences (`Origin::Resync`, then
//! `Item::ResyncDone`).
//!
//! This module never reads the socket (the reader hands it messages) and never
//! infers what the kernel deleted silently (that is `infer`).

use super::infer::{self, Rounds};
use super::namespace::{ifname_of, Held, Namespace, Out, Outbox, Policy};
use super::state::{Applied, Key, NsState, SnapshotCopy};
use crate::bus::Item;
use crate::object::{Action, Event, Object, ObjectKind, Origin};
use crate::watch::metrics::Counters;
use crate::watch::read::socket::RtSocket;
use crate::wire::consts::{NLMSG_DONE, NLMSG_ERROR};
use crate::wire::{Message, NlMsg};
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

/// The sets of keys a dump showed: a whole namespace's objects (100,000 routes)
/// go through them on every resync, and SipHash was a quarter of the reader's
/// time there (perf, `scripts/bench-recovery.sh`). foldhash is seeded at
/// random per process, so keys a container chooses (its routes) cannot be
/// picked to collide without knowing the seed.
type KeySet = foldhash::HashSet<Key>;

/// Times an interrupted dump (`NLM_F_DUMP_INTR`) is retried before its result is
/// taken as it is.
const DUMP_RETRIES: u32 = 8;

/// Why a round of dumps runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The first picture of the namespace; ends with `SyncDone`.
    Initial,
    /// After lost notifications; differences are `Origin::Resync`; ends with
    /// `ResyncDone`.
    Resync,
}

/// The dump in progress.
#[derive(Debug)]
struct Dumping {
    kind: ObjectKind,
    seq: u32,
    /// Keys the dump (or a live event during it) showed to exist.
    seen: KeySet,
    /// Keys published as `Origin::Dump` by this kind's dump in the initial round,
    /// kept across retries: a redone dump shows everything again, and each
    /// object is announced once (again only if it changed).
    announced: KeySet,
    interrupted: bool,
    /// A part of it was lost (truncated): it must be redone, and never
    /// compared with the view as it is.
    lost: bool,
    retries: u32,
}

/// The dump state machine of one socket: one dump at a time, a queue of kinds for
/// the current round, and rounds asked for meanwhile.
#[derive(Debug, Default)]
pub(crate) struct DumpRounds {
    purpose: Option<Purpose>,
    queue: VecDeque<ObjectKind>,
    current: Option<Dumping>,
    resync_wanted: bool,
    synced: bool,
    next_seq: u32,
    /// The namespace is being removed: the dump in progress is read to its
    /// end, but no new one is asked for.
    closing: bool,
    /// When the repair in progress began (what the duration of its resync
    /// is measured from); taken by its `ResyncDone`.
    resync_began: Option<SystemTime>,
}

/// A dump ended with this datagram; `retry` when it must be redone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DumpEnded {
    retry: bool,
}

impl DumpRounds {
    /// Whether the initial round has completed.
    pub(crate) fn synced(&self) -> bool {
        self.synced
    }

    /// No more dumps: the namespace is being removed.
    pub(crate) fn close(&mut self) {
        self.closing = true;
        self.queue.clear();
        self.resync_wanted = false;
    }

    /// How many dumps were asked for so far (changes when one more is).
    pub(crate) fn dumps_asked(&self) -> u32 {
        self.next_seq
    }

    /// The kind and sequence number of the dump in progress (for the fuzz
    /// harness, which checks the view against what each dump said).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn dumping(&self) -> Option<(ObjectKind, u32)> {
        self.current.as_ref().map(|d| (d.kind, d.seq))
    }

    /// Whether `msg` answers the dump in progress of the socket with `portid`.
    pub(crate) fn answers(&self, msg: &NlMsg<'_>, portid: u32) -> bool {
        self.answers_header(msg.seq(), msg.portid(), portid)
    }

    /// Whether a message with `seq` and `msg_portid` answers the dump in progress
    /// of the socket with `portid`.
    pub(crate) fn answers_header(&self, seq: u32, msg_portid: u32, portid: u32) -> bool {
        self.current
            .as_ref()
            .is_some_and(|d| seq == d.seq && msg_portid == portid)
    }

    /// A datagram of the dump in progress was lost (truncated): the dump will be
    /// redone instead of compared with the view.
    pub(crate) fn part_lost(&mut self) {
        if let Some(d) = self.current.as_mut() {
            d.lost = true;
        }
    }
}

impl Rounds for DumpRounds {
    fn want_resync(&mut self) {
        self.resync_wanted = true;
    }

    fn note_live(&mut self, key: &Key, action: Action) {
        if let Some(d) = self.current.as_mut().filter(|d| d.kind == key.kind()) {
            match action {
                Action::New => {
                    d.seen.insert(*key);
                }
                Action::Del => {
                    d.seen.remove(key);
                }
            }
        }
    }
}

/// A message that answers the dump in progress (see [`DumpRounds::answers`]):
/// its end, its failure, or one of its objects. Returns when the dump ended with
/// it.
pub(crate) fn dump_message(
    msg: &NlMsg<'_>,
    out: &mut Out<'_>,
    rounds: &mut DumpRounds,
) -> Option<DumpEnded> {
    let d = rounds.current.as_mut()?;
    if msg.is_dump_interrupted() {
        d.interrupted = true;
    }
    match msg.kind() {
        NLMSG_DONE => {
            let retry = (d.interrupted || d.lost) && d.retries < DUMP_RETRIES;
            if d.interrupted {
                Counters::count(&out.ns.counters.dumps_interrupted);
            }
            // An interrupted dump that keeps being interrupted is taken as it is;
            // one that lost a part never is: what the part held would be
            // announced as gone.
            if !retry && !d.lost {
                finish_dump(out, rounds);
            }
            Some(DumpEnded { retry })
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
                rounds.resync_wanted = true;
                return None;
            }
            // The dump failed (an errno instead of answers): redo it; if it
            // keeps failing, move on without concluding anything is gone.
            Some(DumpEnded {
                retry: d.retries < DUMP_RETRIES,
            })
        }
        _ => {
            let initial = rounds.purpose == Some(Purpose::Initial);
            let d = rounds.current.as_mut()?;
            // One message may hold several objects (an MDB dump: a bridge's
            // every group).
            let mut skipped = 0;
            let decoded = Object::decode_each(msg, &mut skipped, |_, object| {
                dumped(object, initial, out, d)
            });
            let _ = out.ns.counters.counted(decoded, skipped);
            None
        }
    }
}

/// One object of the dump in progress: keep it, and announce it as the round's
/// purpose asks.
fn dumped(object: Object, initial: bool, out: &mut Out<'_>, d: &mut Dumping) {
    // A dump of all families may answer with another kind's objects too (the
    // neighbour dump returns the bridge FDB): that kind's own dump covers them.
    if object.kind() != d.kind {
        return;
    }
    let Some(key) = Key::of(&object) else {
        return;
    };
    d.seen.insert(key);
    let changed = out.state.apply_keyed(key, Action::New, &object) == Applied::Changed;
    if initial {
        out.dump_showed(key);
        // Each object once in the initial picture: also one already learned from
        // a live event during the dump, but not again when a redone dump shows it
        // unchanged.
        if out.policy.list_existing && (d.announced.insert(key) || changed) {
            out.publish(Action::New, Origin::Dump, object);
        }
    } else if changed {
        out.publish(Action::New, Origin::Resync, object);
    }
}

/// The current dump's kind is complete: what the view held and the dump did not
/// show is gone.
fn finish_dump(out: &mut Out<'_>, rounds: &DumpRounds) {
    let Some(d) = rounds.current.as_ref() else {
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

/// A watched socket, owned by its reader.
pub(crate) struct Entry {
    /// The socket; `None` for a namespace replayed from a recording, whose
    /// dump requests go nowhere (the answers are in the recording).
    pub(crate) socket: Option<RtSocket>,
    pub(crate) ns: Arc<Namespace>,
    pub(crate) policy: Policy,
    /// Sequence number of the last event published for this namespace.
    pub(crate) seq: u64,
    pub(crate) state: NsState,
    pub(crate) rounds: DumpRounds,
    /// Events held back until `SyncDone` (numbered when they are published).
    pub(crate) held: Held,
    /// Whether its `NamespaceAdded` was published: its socket is not read
    /// before.
    pub(crate) announced: bool,
}

impl Entry {
    pub(crate) fn new(socket: Option<RtSocket>, ns: Arc<Namespace>, policy: Policy) -> Self {
        Entry {
            socket,
            ns,
            policy,
            seq: 0,
            state: NsState::default(),
            rounds: DumpRounds::default(),
            held: Held::default(),
            announced: false,
        }
    }

    /// One step of a copy of the state view (see [`SnapshotCopy`]): when it
    /// completes, the `seq` and `synced` the copy reflects.
    pub(crate) fn copy_step(&mut self, c: &mut SnapshotCopy, budget: usize) -> Option<(u64, bool)> {
        self.state
            .copy_step(c, budget)
            .then(|| (self.seq, self.rounds.synced()))
    }

    /// The publisher of this namespace's events for what was read at `now`, and
    /// the dump rounds beside it (the two are changed together).
    pub(crate) fn out<'a>(
        &'a mut self,
        outbox: &'a Outbox,
        now: SystemTime,
    ) -> (Out<'a>, &'a mut DumpRounds) {
        let Entry {
            ns,
            policy,
            seq,
            state,
            rounds,
            held,
            ..
        } = self;
        let hold = !rounds.synced();
        let out = Out {
            ns,
            policy,
            seq,
            state,
            now,
            outbox,
            held: hold.then_some(held),
        };
        (out, rounds)
    }

    /// The initial picture is complete: publishes `SyncDone`, then the events
    /// held back meanwhile, in order, and the view's state of an object where
    /// they would leave another (see [`Held`]).
    pub(crate) fn sync_done(&mut self, outbox: &Outbox, now: SystemTime) {
        outbox.publish(Item::SyncDone {
            netns: self.ns.tag.clone(),
            timestamp: now,
        });
        self.release_held(outbox);
    }

    /// Publishes the events held back, in order. Also what a namespace that goes
    /// away before its initial picture completed does with them, just before its
    /// `NamespaceGone`: they happened, and are not lost with it.
    pub(crate) fn release_held(&mut self, outbox: &Outbox) {
        let (events, superseded) = self.held.take();
        // What the held changes leave of an object the dump showed later,
        // against what the view holds: the view's state where they differ.
        let mut repairs = Vec::new();
        for (key, last) in superseded {
            let left = &events[last];
            let agrees = match (left.action, self.state.has(&key)) {
                (Action::New, true) => self.state.holds_same(&key, &left.object),
                (Action::Del, false) => true,
                _ => false,
            };
            if agrees {
                continue;
            }
            let (action, object) = match self.state.get(&key) {
                Some(kept) => (Action::New, kept),
                None => (Action::Del, left.object.clone()),
            };
            let mut event = Event::new(self.ns.tag.clone(), action, object);
            event.origin = Origin::Resync;
            event.timestamp = left.timestamp;
            event.ifname = ifname_of(&event.object, &self.state);
            repairs.push(event);
        }
        for mut event in events.into_iter().chain(repairs) {
            self.seq += 1;
            event.seq = self.seq;
            self.ns.counters.published(&event);
            outbox.publish(Item::Event(Arc::new(event)));
        }
    }
}

impl Entry {
    /// Starts the initial round of dumps. Called before the reader sees the socket,
    /// after the groups were joined, so no change falls between dump and events.
    pub(crate) fn start(&mut self) -> io::Result<()> {
        self.begin(Purpose::Initial)
    }

    /// Starts a round: every watched kind, links first (the names of everything
    /// else come from them, so links are dumped even when not watched).
    fn begin(&mut self, purpose: Purpose) -> io::Result<()> {
        if self.rounds.closing {
            return Ok(());
        }
        // Until a first round completes, any round is the initial picture
        // (one could not be sent): its objects are dump events before SyncDone.
        let purpose = if self.rounds.synced {
            purpose
        } else {
            Purpose::Initial
        };
        let kinds: VecDeque<ObjectKind> = ObjectKind::ALL
            .into_iter()
            .filter(|k| *k == ObjectKind::Link || self.policy.kinds.contains(k))
            .collect();
        self.rounds.purpose = Some(purpose);
        self.rounds.queue = kinds;
        self.ns.counters.syncing.store(true, Ordering::Release);
        self.next_dump(0)
    }

    /// A namespace replayed from a capture nlwatch did not make (tcpdump on
    /// `nlmon`): no dump of its own answers in it, so it is taken as complete
    /// from the start (its events are live) and never dumped.
    pub(crate) fn without_dumps(&mut self) {
        self.rounds.synced = true;
        self.rounds.close();
    }

    /// Starts a full resync now, counted, for what happened at `now`. Its
    /// duration is measured from then to the `ResyncDone` that ends it; a
    /// round dropped on the way (a dump request that could not be sent) and
    /// started again is one repair, timed from the first loss.
    fn resync(&mut self, now: SystemTime) {
        // Syncing before counted: a reader of the metrics that sees the count
        // and `syncing` false sees a repair that is done.
        self.ns.counters.syncing.store(true, Ordering::Release);
        Counters::count(&self.ns.counters.resyncs);
        self.rounds.resync_began.get_or_insert(now);
        let _ = self.begin(Purpose::Resync);
    }

    /// Asks for the next dump of the round, or again for the current one when
    /// `retries` > 0.
    fn next_dump(&mut self, retries: u32) -> io::Result<()> {
        if self.rounds.closing {
            self.rounds.current = None;
            return Ok(());
        }
        let rounds = &mut self.rounds;
        let (kind, announced) = match rounds.current.take() {
            // Retrying an interrupted dump of the same kind.
            Some(d) if retries > 0 => (d.kind, d.announced),
            _ => match rounds.queue.pop_front() {
                Some(k) => (k, KeySet::default()),
                None => return Ok(()),
            },
        };
        // Sequence numbers from 1; 0 is what notifications carry.
        rounds.next_seq = rounds.next_seq.wrapping_add(1).max(1);
        let seq = rounds.next_seq;
        // Room for every object of the kind the view holds, which a resync's
        // dump shows again: grown by doubling instead, the set rehashed its
        // way up (4 % of a 100,000-route resync's instructions) and held
        // the old table and the new one at once at the peak.
        let expected = self.state.len_of(kind);
        rounds.current = Some(Dumping {
            kind,
            seq,
            seen: KeySet::with_capacity_and_hasher(expected, Default::default()),
            announced,
            interrupted: false,
            lost: false,
            retries,
        });
        let sent = match &self.socket {
            Some(socket) => socket.request_dump(kind.dump(), seq),
            // Replayed: the answers are in the recording.
            None => Ok(()),
        };
        if sent.is_err() {
            // No answer will come: drop the round and ask for a full one once the
            // socket is quiet, rather than wait forever.
            let rounds = &mut self.rounds;
            rounds.current = None;
            rounds.queue.clear();
            rounds.purpose = None;
            rounds.resync_wanted = true;
        }
        sent
    }

    /// The socket has nothing more queued: a dump that lost a part and has not
    /// ended is over (the kernel queues a dump's next part as the previous one
    /// is read, so an empty socket means its end was in what was lost) and is
    /// redone; a round of dumps that could not be started earlier is tried
    /// again now.
    pub(crate) fn quiet(&mut self, outbox: &Outbox, empty: bool, now: SystemTime) {
        // What the kernel did not announce of what was read is known now.
        let (mut out, _) = self.out(outbox, now);
        infer::settle_deferred(&mut out);
        if let Some(d) = self.rounds.current.as_ref().filter(|d| d.lost && empty) {
            let retry = d.retries < DUMP_RETRIES;
            if let Some(tap) = &self.ns.tap {
                // A replay cannot tell an empty socket from the datagrams.
                tap.dump_ended(now);
            }
            self.dump_ended(DumpEnded { retry }, outbox, now);
        }
        if self.rounds.current.is_none() && self.rounds.resync_wanted {
            self.rounds.resync_wanted = false;
            self.resync(now);
        }
    }

    /// Notifications were lost: say so, and re-dump everything once the dump in
    /// progress (if any) has ended.
    pub(crate) fn overrun(&mut self, outbox: &Outbox, now: SystemTime) {
        outbox.publish(Item::Overrun {
            netns: self.ns.tag.clone(),
            timestamp: now,
        });
        if self.rounds.current.is_some() {
            self.rounds.resync_wanted = true;
        } else {
            self.resync(now);
        }
    }

    /// Moves the rounds on after a dump ended: redo it, ask for the next kind, or
    /// end the round (announcing it) and start a resync that was asked for
    /// meanwhile.
    pub(crate) fn dump_ended(&mut self, ended: DumpEnded, outbox: &Outbox, now: SystemTime) {
        if ended.retry {
            let retries = self.rounds.current.as_ref().map_or(1, |d| d.retries + 1);
            let _ = self.next_dump(retries);
            return;
        }
        self.rounds.current = None;
        if !self.rounds.queue.is_empty() {
            let _ = self.next_dump(0);
            return;
        }
        // The round is over. One cut short because the namespace is going away
        // (`close` dropped its other kinds) completed nothing: it is not
        // announced (what was held back is published with the departure).
        let netns = self.ns.tag.clone();
        let purpose = self.rounds.purpose.take();
        match purpose.filter(|_| !self.rounds.closing) {
            Some(Purpose::Initial) => {
                // A resync asked for before the first picture was complete
                // was folded into it: nothing to time.
                self.rounds.resync_began = None;
                self.rounds.synced = true;
                self.sync_done(outbox, now);
            }
            // Notifications were lost again while this round ran: what it
            // dumped before that loss may be stale, so the picture is not
            // repaired yet. No `ResyncDone`: the next round (started below)
            // continues this repair, timed from its first loss, and only a
            // round that lost nothing announces it done. A consumer sees
            // several `Overrun`s, the differences of each round, then one
            // `ResyncDone` when the picture is whole again.
            Some(Purpose::Resync) if self.rounds.resync_wanted => {}
            Some(Purpose::Resync) => {
                if let Some(began) = self.rounds.resync_began.take() {
                    // A clock set back counts as no time, not as a panic.
                    let took = now.duration_since(began).unwrap_or_default();
                    self.ns.counters.resync_seconds.observe(took);
                }
                outbox.publish(Item::ResyncDone {
                    netns,
                    timestamp: now,
                })
            }
            None => {}
        }
        if self.rounds.resync_wanted {
            self.rounds.resync_wanted = false;
            self.resync(now);
        } else {
            self.ns.counters.syncing.store(false, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::NetnsTag;
    use crate::watch::keep::namespace::{Namespace, Policy};
    use crate::wire::consts::NLM_F_MULTI;
    use std::sync::Arc;
    use std::time::SystemTime;

    /// A namespace as a replay holds it (no socket: dump requests go nowhere),
    /// port 77, watching `kinds`.
    fn entry(kinds: &[ObjectKind], list_existing: bool) -> Entry {
        let ns = Arc::new(Namespace {
            tag: NetnsTag::default(),
            portid: 77,
            rcvbuf: 0,
            counters: Default::default(),
            tap: None,
        });
        let policy = Policy {
            kinds: kinds.to_vec(),
            list_existing,
            synthesize: true,
        };
        Entry::new(None, ns, policy)
    }

    /// `NLMSG_DONE` of dump `seq` to port `portid`.
    fn done(seq: u32, portid: u32) -> Vec<u8> {
        let mut d = 20u32.to_ne_bytes().to_vec();
        d.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        d.extend_from_slice(&NLM_F_MULTI.to_ne_bytes());
        d.extend_from_slice(&seq.to_ne_bytes());
        d.extend_from_slice(&portid.to_ne_bytes());
        d.extend_from_slice(&0u32.to_ne_bytes());
        d
    }

    fn end_dump(entry: &mut Entry, outbox: &Outbox, seq: u32) {
        let bytes = done(seq, entry.ns.portid);
        feed(entry, outbox, &bytes);
    }

    /// A namespace going away while a resync runs (`close`): the dump in
    /// progress is read to its end, and the round it cut short is not
    /// announced as done (it was: `ResyncDone`, with the other kinds never
    /// dumped).
    #[test]
    fn a_round_cut_short_by_a_departure_is_not_announced_done() {
        let mut entry = entry(&[ObjectKind::Link, ObjectKind::Address], false);
        let outbox = Outbox::default();
        entry.start().unwrap();
        end_dump(&mut entry, &outbox, 1);
        end_dump(&mut entry, &outbox, 2);
        entry.overrun(&outbox, SystemTime::UNIX_EPOCH);
        assert_eq!(published(&outbox), ["SyncDone", "Overrun"]);
        // The resync dumps links (3), then addresses (4): the first one ends
        // after the namespace began to go.
        entry.rounds.close();
        end_dump(&mut entry, &outbox, 3);
        assert_eq!(published(&outbox), Vec::<String>::new());
        assert!(entry.rounds.current.is_none());
        // Whole rounds are still announced.
        let mut other = Entry::new(None, entry.ns.clone(), entry.policy.clone());
        other.start().unwrap();
        end_dump(&mut other, &outbox, 1);
        end_dump(&mut other, &outbox, 2);
        other.overrun(&outbox, SystemTime::UNIX_EPOCH);
        end_dump(&mut other, &outbox, 3);
        end_dump(&mut other, &outbox, 4);
        assert_eq!(published(&outbox), ["SyncDone", "Overrun", "ResyncDone"]);
    }

    /// Notifications lost again while a resync runs: that round's picture
    /// may be stale, so it is not announced done; a second round follows at
    /// once, and only it says `ResyncDone`, once, timed from the first loss.
    /// (It was: `ResyncDone` after each round, the first while the picture
    /// still lacked what the second loss took.)
    #[test]
    fn an_overrun_during_a_resync_ends_in_one_resync_done() {
        let mut entry = entry(&[ObjectKind::Link, ObjectKind::Address], false);
        let outbox = Outbox::default();
        entry.start().unwrap();
        end_dump(&mut entry, &outbox, 1);
        end_dump(&mut entry, &outbox, 2);
        let t0 = SystemTime::UNIX_EPOCH;
        entry.overrun(&outbox, t0);
        // Links dumped (3); lost again during the address dump (4).
        end_dump(&mut entry, &outbox, 3);
        entry.overrun(&outbox, t0 + std::time::Duration::from_millis(5));
        entry.overrun(&outbox, t0 + std::time::Duration::from_millis(6));
        end_dump(&mut entry, &outbox, 4);
        assert_eq!(
            published(&outbox),
            ["SyncDone", "Overrun", "Overrun", "Overrun"]
        );
        // The second round: links (5), addresses (6).
        let seqs: Vec<u32> = entry.rounds.current.iter().map(|d| d.seq).collect();
        assert_eq!(seqs, [5]);
        end_dump(&mut entry, &outbox, 5);
        assert!(published(&outbox).is_empty());
        let last = done(6, entry.ns.portid);
        let t1 = t0 + std::time::Duration::from_millis(40);
        crate::watch::read::reader::handle_datagram(
            &mut entry,
            &outbox,
            crate::watch::read::socket::Received::Kernel(&last),
            t1,
        );
        assert_eq!(published(&outbox), ["ResyncDone"]);
        assert_eq!(entry.ns.counters.resyncs.load(Ordering::Relaxed), 2);
        let took = entry.ns.counters.resync_seconds.values();
        assert_eq!((took.count(), took.sum_ns), (1, 40_000_000));
        assert!(!entry.ns.counters.syncing.load(Ordering::Relaxed));
        assert!(entry.rounds.current.is_none());
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/src/wire/fixtures/{name}.bin",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn feed(entry: &mut Entry, outbox: &Outbox, bytes: &[u8]) {
        crate::watch::read::reader::handle_datagram(
            entry,
            outbox,
            crate::watch::read::socket::Received::Kernel(bytes),
            SystemTime::UNIX_EPOCH,
        );
    }

    /// What was published, as `kind action origin` (events) or the item's name.
    fn published(outbox: &Outbox) -> Vec<String> {
        let bus = crate::bus::Bus::new();
        let sub = bus.subscribe(
            crate::bus::Filter::new(),
            64,
            crate::bus::Overflow::DropNewest,
        );
        outbox.flush(&bus);
        bus.close();
        sub.into_iter()
            .map(|i| match i {
                Item::Event(e) => format!(
                    "{} {} {:?}",
                    e.object.kind().as_str(),
                    e.action.as_str(),
                    e.origin
                ),
                other => format!("{other:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string(),
            })
            .collect()
    }

    /// Changes read during the initial round are all published after
    /// `SyncDone`; where those read before the dump showed their object would
    /// leave another state than the view's (a device's netconf deleted, then
    /// shown again by the netconf dump, its new device's creation lost in an
    /// overrun), the view's state follows them as a resync difference. (Found
    /// by the chaos run: the subscriber's picture lacked a netconf the view
    /// held.) A change that agrees with the dump, or comes after it, needs
    /// nothing more.
    #[test]
    fn held_changes_older_than_the_dumps_picture_are_followed_by_the_views_state() {
        let outbox = Outbox::default();
        let mut answer = fixture("netconf_new_dev");
        answer[6..8].copy_from_slice(&NLM_F_MULTI.to_ne_bytes());
        answer[8..12].copy_from_slice(&2u32.to_ne_bytes());
        answer[12..16].copy_from_slice(&77u32.to_ne_bytes());
        let cases: [(&str, &[&str], &[&str]); 3] = [
            (
                "deleted before the dump",
                &["netconf_del"],
                &[
                    "netconf new Dump",
                    "SyncDone",
                    "netconf del Live",
                    "netconf new Resync",
                ],
            ),
            (
                "created before the dump, as it shows",
                &["netconf_new_dev"],
                &["netconf new Dump", "SyncDone", "netconf new Live"],
            ),
            (
                "deleted after the dump",
                &[],
                &["netconf new Dump", "SyncDone", "netconf del Live"],
            ),
        ];
        for (case, before, expected) in cases {
            let mut entry = entry(&[ObjectKind::Link, ObjectKind::Netconf], true);
            entry.start().unwrap();
            end_dump(&mut entry, &outbox, 1);
            // The netconf dump (2) runs.
            for name in before {
                feed(&mut entry, &outbox, &fixture(name));
            }
            feed(&mut entry, &outbox, &answer);
            if before.is_empty() {
                feed(&mut entry, &outbox, &fixture("netconf_del"));
            }
            end_dump(&mut entry, &outbox, 2);
            assert_eq!(published(&outbox), expected, "{case}");
        }
    }
}
