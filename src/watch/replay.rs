//! [`Replay`]: a recording played back through the pipeline a live monitor
//! runs: each datagram through the reader's own `handle_datagram` (dump rounds,
//! notifications, the deletions the kernel makes silently, the state view,
//! held events until `SyncDone`), each recorded overrun through
//! `Entry::overrun`, and the items published on a bus of its own, to
//! subscriptions and sinks exactly as a monitor publishes them.
//!
//! A live reader's behaviour depends on more than the datagrams: when it found
//! its socket empty. The replay takes that from the file: the datagrams a
//! reader read together share their receive time, and after them the reader
//! looked at its socket again (`Entry::quiet`); and when an empty socket ended
//! a dump whose end a truncated datagram had lost, the recording says so
//! (`Record::DumpEnded`). The dump requests a live reader sent are not in the
//! file; the replay's namespaces ask for the same dumps in the same order with
//! the same sequence numbers (nothing is sent), so the recorded answers are
//! recognised as they were.
//!
//! This module never opens a socket and needs no privileges.

use super::keep::infer;
use super::keep::namespace::{Namespace, Outbox, Policy};
use super::keep::sync::Entry;
use super::metrics::Counters;
use super::read::reader::handle_datagram;
use super::read::socket::Received;
use crate::bus::{Bus, Filter, Item, Overflow, Sink, SinkId, Subscription};
use crate::capture::{Record, Records, ReplayCounters, ReplayError, Source};
use crate::object::{NetnsTag, ObjectKind};
use crate::wire::consts::{NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLM_F_MULTI, NLM_F_REQUEST};
use crate::wire::{Header, Messages};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

/// Plays a recording back (one made by [`Recorder`](crate::recording::Recorder), or
/// netlink captured with tcpdump on an `nlmon` device) through the pipeline a
/// live [`Monitor`](crate::Monitor) runs, and publishes what it would have
/// published: the same events, overruns, resyncs and namespace items, with the
/// times of the recording. Needs no privileges.
///
/// Subscribe (or add sinks) first, then [`run`](Replay::run), which returns at
/// the end of the file and ends the subscriptions. A replay has no kernel to
/// keep up with: by default its subscriptions make it wait while their queue is
/// full ([`Overflow::Block`]), so consume them on another thread than the one
/// running it, or use a [`Sink`].
///
/// ```no_run
/// use nlwatch::{Item, recording::Replay};
/// let replay = Replay::open("netlink.pcapng")?.list_existing(true);
/// let items = replay.subscribe();
/// let consumer = std::thread::spawn(move || {
///     for item in items {
///         if let Item::Event(ev) = item {
///             println!("{} {} {:?}", ev.netns.name, ev.action.as_str(), ev.object);
///         }
///     }
/// });
/// let stats = replay.run()?;
/// consumer.join().unwrap();
/// println!("{} datagrams replayed", stats.datagrams);
/// # Ok::<(), nlwatch::recording::ReplayError>(())
/// ```
///
/// Each namespace's items come in the order its live reader published them.
/// Namespaces read by different reader threads may interleave otherwise than
/// they did live; a recording's namespaces are replayed in file order.
pub struct Replay {
    records: Records<Box<dyn Read + Send>>,
    bus: Bus,
    list_existing: bool,
    synthesize: bool,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("list_existing", &self.list_existing)
            .field("synthesize", &self.synthesize)
            .finish()
    }
}

/// Queue length of a replay's subscriptions by default.
const CAPACITY: usize = 4096;

impl Replay {
    /// Opens the recording at `path` (pcapng or classic pcap) and reads its
    /// header.
    pub fn open(path: impl AsRef<Path>) -> Result<Replay, ReplayError> {
        let file = std::fs::File::open(path).map_err(ReplayError::Io)?;
        Replay::from_reader(std::io::BufReader::new(file))
    }

    /// Reads a recording from `input` (a file, stdin, bytes in memory) and
    /// reads its header.
    pub fn from_reader(input: impl Read + Send + 'static) -> Result<Replay, ReplayError> {
        let input: Box<dyn Read + Send> = Box::new(input);
        Ok(Replay {
            records: Records::new(input)?,
            bus: Bus::new(),
            list_existing: false,
            synthesize: true,
        })
    }

    /// The comment in the recording's section header, if it has one (`nlwatch
    /// record` writes its command line there).
    pub fn comment(&self) -> Option<&str> {
        self.records.comment()
    }

    /// Publish each namespace's initial dump as `Origin::Dump` events, as
    /// [`Builder::list_existing`](crate::Builder::list_existing) does live
    /// (default: off).
    pub fn list_existing(mut self, yes: bool) -> Self {
        self.list_existing = yes;
        self
    }

    /// Publish the deletions the kernel does not announce, as
    /// [`Builder::synthesize_deletions`](crate::Builder::synthesize_deletions)
    /// does live (default: on).
    pub fn synthesize_deletions(mut self, yes: bool) -> Self {
        self.synthesize = yes;
        self
    }

    /// A subscription to every item, with a queue of 4,096 that makes the
    /// replay wait while it is full.
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_with(Filter::new())
    }

    /// A subscription to the items `filter` accepts, with a queue of 4,096 that
    /// makes the replay wait while it is full.
    pub fn subscribe_with(&self, filter: Filter) -> Subscription {
        self.bus.subscribe(filter, CAPACITY, Overflow::Block)
    }

    /// A subscription with its own queue capacity and overflow policy.
    pub fn subscribe_with_queue(
        &self,
        filter: Filter,
        capacity: usize,
        overflow: Overflow,
    ) -> Subscription {
        self.bus.subscribe(filter, capacity, overflow)
    }

    /// Hands every item `filter` accepts to `sink` on the thread running the
    /// replay (see [`Monitor::add_sink`](crate::Monitor::add_sink)).
    pub fn add_sink(&self, filter: Filter, sink: Box<dyn Sink>) -> SinkId {
        self.bus.add_sink(filter, sink)
    }

    /// Plays the whole recording, then ends every subscription. A file cut
    /// short or malformed is played up to its last whole block, then reported
    /// ([`ReplayError::Truncated`], [`ReplayError::Malformed`]).
    pub fn run(mut self) -> Result<ReplayCounters, ReplayError> {
        let mut player = Player {
            bus: &self.bus,
            outbox: Outbox::default(),
            entries: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
            foreign: None,
            look: None,
            policy: Policy {
                kinds: Vec::new(),
                list_existing: self.list_existing,
                synthesize: self.synthesize,
            },
            stats: ReplayCounters::default(),
        };
        let result = loop {
            match self.records.next() {
                None => break Ok(()),
                Some(Err(e)) => break Err(e),
                Some(Ok(record)) => player.play(record),
            }
        };
        player.end_look();
        let mut stats = std::mem::take(&mut player.stats);
        stats.events += player
            .entries
            .iter()
            .flatten()
            .map(|e| e.ns.counters.events_total())
            .sum::<u64>();
        drop(player);
        self.bus.idle();
        self.bus.close();
        stats.datagrams = self.records.datagrams;
        stats.skipped = self.records.skipped();
        result.map(|()| stats)
    }
}

/// The replay's namespaces and where it is in the file.
struct Player<'a> {
    bus: &'a Bus,
    outbox: Outbox,
    /// Namespaces by slot (`None` once gone).
    entries: Vec<Option<Entry>>,
    /// Slots of namespaces gone, made again for the next ones: the slots are
    /// as many as the namespaces in use at once, not as the file's.
    free: Vec<usize>,
    /// Slots by interface id.
    by_id: HashMap<u32, usize>,
    /// The slot of the namespace that foreign captures make up.
    foreign: Option<usize>,
    /// The slot and receive time of the datagrams being read together.
    look: Option<(usize, SystemTime)>,
    policy: Policy,
    stats: ReplayCounters,
}

impl Player<'_> {
    fn play(&mut self, record: Record<'_>) {
        match record {
            Record::Interface { id, source } => self.describe(id, source),
            Record::Watched { id, time } => {
                self.end_look();
                if let Some(slot) = self.by_id.get(&id).copied() {
                    self.announce(slot, time);
                }
            }
            Record::Datagram {
                id,
                time,
                bytes,
                original_len,
            } => {
                let Some(slot) = self.by_id.get(&id).copied() else {
                    return;
                };
                if self.look != Some((slot, time)) {
                    self.end_look();
                    self.look = Some((slot, time));
                }
                self.announce(slot, time);
                let foreign = self.foreign == Some(slot);
                let Some(entry) = self.entries[slot].as_mut() else {
                    return;
                };
                let truncated = original_len > bytes.len();
                if truncated {
                    self.stats.truncated += 1;
                }
                if foreign && truncated {
                    cut_notification(entry, &self.outbox, bytes, time);
                } else if foreign {
                    notifications(entry, &self.outbox, bytes, time);
                } else {
                    let first = Header::peek(bytes);
                    let received = if truncated {
                        Received::Truncated {
                            len: original_len,
                            first,
                            captured: bytes,
                        }
                    } else {
                        Received::Kernel(bytes)
                    };
                    handle_datagram(entry, &self.outbox, received, time);
                }
                self.outbox.flush(self.bus);
            }
            Record::DumpEnded { id, time } => {
                // Where the live reader found the socket empty with a dump
                // whose end was lost, and asked for it again.
                let Some(slot) = self.by_id.get(&id).copied() else {
                    return;
                };
                if let Some(entry) = self.entries[slot].as_mut() {
                    entry.quiet(&self.outbox, true, time);
                    self.outbox.flush(self.bus);
                }
            }
            Record::Overrun { id, time } => {
                let Some(slot) = self.by_id.get(&id).copied() else {
                    return;
                };
                // An overrun at another time than the look in progress came in
                // a look of its own: the one before ended (quiet) first, as
                // the live reader ended it.
                if self.look != Some((slot, time)) {
                    self.end_look();
                    self.look = Some((slot, time));
                }
                let Some(entry) = self.entries[slot].as_mut() else {
                    return;
                };
                Counters::count(&entry.ns.counters.overruns);
                entry.overrun(&self.outbox, time);
                self.stats.overruns += 1;
                self.outbox.flush(self.bus);
            }
            Record::Gone { id, time, reason } => {
                self.end_look();
                let Some(slot) = self.by_id.remove(&id) else {
                    return;
                };
                let Some(mut entry) = self.entries[slot].take() else {
                    return;
                };
                if self.foreign != Some(slot) {
                    self.free.push(slot);
                }
                entry.rounds.close();
                entry.release_held(&self.outbox);
                self.outbox.flush(self.bus);
                self.stats.events += entry.ns.counters.events_total();
                self.bus.publish(Item::NamespaceGone {
                    netns: entry.ns.tag.clone(),
                    reason,
                    timestamp: time,
                });
            }
        }
    }

    /// A namespace the file describes: nlwatch's (dumped as it was live), or
    /// the one all foreign captures make up.
    fn describe(&mut self, id: u32, source: Source) {
        match source {
            Source::Namespace { tag, portid, kinds } => {
                let policy = Policy {
                    kinds,
                    ..self.policy.clone()
                };
                let entry = Entry::new(None, namespace(tag, portid), policy);
                let slot = self.place(entry);
                self.by_id.insert(id, slot);
            }
            Source::Foreign => {
                let slot = match self.foreign {
                    Some(slot) => slot,
                    None => {
                        let policy = Policy {
                            kinds: ObjectKind::ALL.to_vec(),
                            ..self.policy.clone()
                        };
                        let tag = NetnsTag {
                            name: Arc::from(""),
                            id: 0,
                        };
                        let mut entry = Entry::new(None, namespace(tag, 0), policy);
                        entry.without_dumps();
                        let slot = self.place(entry);
                        self.foreign = Some(slot);
                        slot
                    }
                };
                self.by_id.insert(id, slot);
            }
        }
    }

    /// A slot for a new namespace: one a namespace gone left, or a new one.
    fn place(&mut self, entry: Entry) -> usize {
        match self.free.pop() {
            Some(slot) => {
                self.entries[slot] = Some(entry);
                slot
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        }
    }

    /// Announces namespace `slot` (once) and starts its initial dump round, as
    /// a reader does when it begins to watch it.
    fn announce(&mut self, slot: usize, time: SystemTime) {
        let Some(entry) = self.entries[slot].as_mut().filter(|e| !e.announced) else {
            return;
        };
        entry.announced = true;
        self.stats.namespaces += 1;
        self.bus.publish(Item::NamespaceAdded {
            netns: entry.ns.tag.clone(),
            timestamp: time,
        });
        // Asks for nothing (no socket): numbers the dumps as the live one did.
        let _ = entry.start();
    }

    /// The datagrams read together are done: the live reader then found the
    /// socket (nearly) empty.
    fn end_look(&mut self) {
        if let Some((slot, time)) = self.look.take() {
            if let Some(entry) = self.entries[slot].as_mut() {
                entry.quiet(&self.outbox, false, time);
                self.outbox.flush(self.bus);
            }
        }
    }
}

/// A namespace replayed: no socket, no recording of its own.
fn namespace(tag: NetnsTag, portid: u32) -> Arc<Namespace> {
    Arc::new(Namespace {
        tag,
        portid,
        rcvbuf: 0,
        counters: Default::default(),
        tap: None,
    })
}

/// A datagram of a foreign capture: only the kernel's notifications count
/// (a capture on `nlmon` also holds programs' requests, the kernel's answers to
/// their dumps and acknowledgements, which are no one's notifications).
fn notifications(entry: &mut Entry, outbox: &Outbox, bytes: &[u8], time: SystemTime) {
    let (mut out, rounds) = entry.out(outbox, time);
    for msg in Messages::new(bytes) {
        let Ok(msg) = msg else {
            Counters::count(&out.ns.counters.decode_errors);
            break;
        };
        let answer = msg.flags() & (NLM_F_REQUEST | NLM_F_MULTI) != 0;
        if answer || matches!(msg.kind(), NLMSG_DONE | NLMSG_ERROR | NLMSG_NOOP) {
            continue;
        }
        infer::notification(&msg, &mut out, rounds);
    }
}

/// A datagram of a foreign capture cut short (by the capture's snap length):
/// handled as a live reader handles a truncated datagram that is no dump's.
/// A notification was lost, which is an overrun; what the captured header
/// shows to be a request, an answer to a dump or an acknowledgement is no one's
/// notification, and skipped as a whole one is.
fn cut_notification(entry: &mut Entry, outbox: &Outbox, bytes: &[u8], time: SystemTime) {
    Counters::count(&entry.ns.counters.truncated);
    let lost = Header::peek(bytes).map_or(true, |h| {
        h.flags & (NLM_F_REQUEST | NLM_F_MULTI) == 0
            && !matches!(h.kind, NLMSG_DONE | NLMSG_ERROR | NLMSG_NOOP)
    });
    if lost {
        entry.overrun(outbox, time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{Action, Origin};
    use std::time::Duration;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/src/wire/fixtures/{name}.bin",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// A classic pcap file (microseconds, this host's byte order) of `frames`:
    /// (microseconds since the epoch, frame).
    fn pcap(linktype: u32, frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
        pcap_cut(65535, linktype, frames)
    }

    /// A classic pcap file as `tcpdump -s SNAPLEN` writes it: each frame cut
    /// to `snaplen` bytes, with its original length.
    fn pcap_cut(snaplen: u32, linktype: u32, frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&0xa1b2_c3d4u32.to_ne_bytes());
        f.extend_from_slice(&2u16.to_ne_bytes());
        f.extend_from_slice(&4u16.to_ne_bytes());
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&snaplen.to_ne_bytes());
        f.extend_from_slice(&linktype.to_ne_bytes());
        for (us, frame) in frames {
            let kept = &frame[..frame.len().min(snaplen as usize)];
            f.extend_from_slice(&((us / 1_000_000) as u32).to_ne_bytes());
            f.extend_from_slice(&((us % 1_000_000) as u32).to_ne_bytes());
            f.extend_from_slice(&(kept.len() as u32).to_ne_bytes());
            f.extend_from_slice(&(frame.len() as u32).to_ne_bytes());
            f.extend_from_slice(kept);
        }
        f
    }

    /// A frame as tcpdump captures it on `nlmon`: the cooked header, then the
    /// datagram.
    fn nlmon(family: u16, datagram: &[u8]) -> Vec<u8> {
        let mut f = vec![0, 4, 0x03, 0x38, 0, 0];
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&family.to_be_bytes());
        f.extend_from_slice(datagram);
        f
    }

    fn with_flags(mut datagram: Vec<u8>, flags: u16) -> Vec<u8> {
        datagram[6..8].copy_from_slice(&flags.to_ne_bytes());
        datagram
    }

    fn replayed(bytes: Vec<u8>) -> (Vec<Item>, ReplayCounters) {
        let replay = Replay::from_reader(std::io::Cursor::new(bytes)).unwrap();
        let sub = replay.subscribe_with_queue(Filter::new(), 1 << 12, Overflow::DropNewest);
        let stats = replay.run().unwrap();
        (sub.into_iter().collect(), stats)
    }

    /// What a capture on `nlmon` holds beside the kernel's notifications (each
    /// once per listening socket, requests, dump answers, other families) is
    /// skipped; the notifications are one namespace's live events, at the
    /// capture's times.
    #[test]
    fn a_capture_on_nlmon_replays_its_notifications_as_one_namespace() {
        let second = 1_000_000;
        let link = fixture("link_new_veth");
        let frames = vec![
            (second, nlmon(0, &link)),
            // The same notification delivered to a second listener.
            (second + 20, nlmon(0, &link)),
            // A program's request, and the kernel's answer to its dump.
            (
                2 * second,
                nlmon(0, &with_flags(fixture("link_del_veth"), 0x301)),
            ),
            (
                2 * second + 1,
                nlmon(0, &with_flags(fixture("link_del_veth"), 0x2)),
            ),
            // Generic netlink.
            (3 * second, nlmon(16, &fixture("addr_new_v4"))),
            (4 * second, nlmon(0, &fixture("addr_new_v4"))),
            (5 * second, nlmon(0, &fixture("link_del_veth"))),
        ];
        for linktype in [253, 113] {
            let (items, stats) = replayed(pcap(linktype, &frames));
            assert_eq!(
                (stats.namespaces, stats.datagrams, stats.skipped),
                (1, 5, 2),
                "{stats:?}"
            );
            let Item::NamespaceAdded { netns, timestamp } = &items[0] else {
                panic!("{items:#?}")
            };
            assert_eq!((&*netns.name, netns.id), ("", 0));
            assert_eq!(*timestamp, SystemTime::UNIX_EPOCH + Duration::from_secs(1));
            let events: Vec<(&str, Action, Origin, SystemTime)> = items[1..]
                .iter()
                .map(|i| match i {
                    Item::Event(e) => (e.object.kind().as_str(), e.action, e.origin, e.timestamp),
                    other => panic!("{other:?}"),
                })
                .collect();
            let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
            // The address is veth0's: its link's deletion takes it along.
            let expected = vec![
                ("link", Action::New, Origin::Live, at(1)),
                ("addr", Action::New, Origin::Live, at(4)),
                ("link", Action::Del, Origin::Live, at(5)),
                ("addr", Action::Del, Origin::Synthesized, at(5)),
            ];
            assert_eq!(events, expected);
        }
    }

    /// `tcpdump -s 64 -i nlmon0`: frames longer than 64 bytes are cut. A cut
    /// notification is a truncated datagram, as a live socket's: its
    /// notification was lost (an overrun, counted as truncated); a cut request
    /// is no one's notification and is skipped as a whole one is; the frames
    /// that fit replay as ever.
    #[test]
    fn a_classic_pcap_cut_by_its_snap_length_replays_cut_frames_as_truncated() {
        let second = 1_000_000;
        let link = fixture("link_new_veth");
        assert!(COOKED + link.len() > 64);
        let frames = vec![
            (second, nlmon(0, &link)),
            (
                2 * second,
                nlmon(0, &with_flags(fixture("link_del_veth"), 0x301)),
            ),
        ];
        for linktype in [253, 113] {
            let (items, stats) = replayed(pcap_cut(64, linktype, &frames));
            assert_eq!(
                (stats.namespaces, stats.datagrams, stats.truncated),
                (1, 2, 2),
                "{stats:?}"
            );
            let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
            let got: Vec<(&str, SystemTime)> = items
                .iter()
                .map(|i| match i {
                    Item::NamespaceAdded { timestamp, .. } => ("added", *timestamp),
                    Item::Overrun { timestamp, .. } => ("overrun", *timestamp),
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(got, [("added", at(1)), ("overrun", at(1))]);
        }
    }

    /// The cooked header's length, before each datagram of a capture.
    const COOKED: usize = 16;

    /// A recording of `n` namespaces, each watched; when `leave`, each is gone
    /// before the next is watched.
    fn namespaces(n: u64, leave: bool) -> Vec<u8> {
        let out = Shared::default();
        let recorder = crate::capture::Recorder::new(out.clone()).unwrap();
        let t = |ms: u64| SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        for i in 0..n {
            let tag = NetnsTag {
                name: Arc::from(format!("n{i}")),
                id: i,
            };
            let ns = recorder.interface(&tag, 1, &[ObjectKind::Link]);
            recorder.watched(ns, t(i));
            if leave {
                recorder.gone(ns, t(i), &crate::bus::GoneReason::Removed);
            }
        }
        recorder.flush().unwrap();
        let bytes = out.0.lock().clone();
        bytes
    }

    /// A file can make a replay hold at most 65,536 namespaces at once: one
    /// more ends it with an error naming the limit, before it is made. As many
    /// one after the other are no trouble.
    #[test]
    fn a_replay_holds_at_most_the_limit_of_namespaces_at_once() {
        let over = Replay::from_reader(std::io::Cursor::new(namespaces(65_537, false))).unwrap();
        let error = over.run().expect_err("past the limit");
        assert!(error.to_string().contains("65536"), "{error}");
        assert!(matches!(
            error,
            ReplayError::TooManyNamespaces { limit: 65_536, .. }
        ));
        let one_by_one =
            Replay::from_reader(std::io::Cursor::new(namespaces(65_537, true))).unwrap();
        let stats = one_by_one.run().unwrap();
        assert_eq!(stats.namespaces, 65_537);
    }

    /// A `Write` that a recorder owns and a test reads.
    #[derive(Clone, Default)]
    struct Shared(Arc<parking_lot::Mutex<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    crate::sandboxed_test! {
        /// A live run whose initial dump loses truncated parts (512-byte receive
        /// slots) and whose changes come during and after it, recorded: the
        /// replay publishes every item the live subscription received, equal in
        /// every field (times and sequence numbers included), in the same order.
        fn a_recorded_run_with_truncated_dump_parts_replays_to_equal_items() {
            use crate::sandbox::ip;
            for i in 0..20 {
                ip(&format!("link add tr{i} type veth peer name trp{i}"));
                ip(&format!("addr add 10.3.0.{}/32 dev tr{i}", i + 1));
            }
            let out = Shared::default();
            let recorder = crate::capture::Recorder::new(out.clone()).unwrap();
            let monitor = super::super::Monitor::builder()
                .list_existing(true)
                .recv_buffer(512)
                .record(recorder.clone())
                .build()
                .unwrap();
            let live = monitor.subscribe();
            monitor.add_namespace(crate::netns::Netns::Current).unwrap();
            for i in 20..30 {
                ip(&format!("link add tr{i} type veth peer name trp{i}"));
            }
            ip("link del tr3");
            ip("link add mark type veth peer name mark1");
            let mut items = Vec::new();
            loop {
                let item = live.recv_timeout(Duration::from_secs(20)).unwrap();
                let marked = matches!(&item, Item::Event(e)
                    if e.ifname.as_ref().is_some_and(|n| n.as_bytes() == b"mark1"));
                items.push(item);
                if marked {
                    break;
                }
            }
            let truncated = monitor.namespaces()[0].counters.truncated;
            assert!(truncated >= 1, "nothing was truncated");
            monitor.shutdown();
            items.extend(live);
            let bytes = out.0.lock().clone();
            let replay = Replay::from_reader(std::io::Cursor::new(bytes))
                .unwrap()
                .list_existing(true);
            let replayed = replay.subscribe_with_queue(Filter::new(), 1 << 16, Overflow::DropNewest);
            let stats = replay.run().unwrap();
            assert_eq!(stats.datagrams, recorder.stats().datagrams);
            let replayed: Vec<Item> = replayed.into_iter().collect();
            assert_eq!(replayed.len(), items.len());
            for (i, (r, l)) in replayed.iter().zip(&items).enumerate() {
                assert_eq!(r, l, "item {i}");
            }
        }
    }

    /// A dump answer: `msg` re-addressed to port `portid` and dump `seq`, then
    /// `NLMSG_DONE`.
    fn answer(msg: &[u8], seq: u32, portid: u32) -> Vec<u8> {
        let mut d = msg.to_vec();
        d[6..8].copy_from_slice(&NLM_F_MULTI.to_ne_bytes());
        d[8..12].copy_from_slice(&seq.to_ne_bytes());
        d[12..16].copy_from_slice(&portid.to_ne_bytes());
        d.resize(d.len().next_multiple_of(4), 0);
        d.extend_from_slice(&20u32.to_ne_bytes());
        d.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        d.extend_from_slice(&NLM_F_MULTI.to_ne_bytes());
        d.extend_from_slice(&seq.to_ne_bytes());
        d.extend_from_slice(&portid.to_ne_bytes());
        d.extend_from_slice(&0u32.to_ne_bytes());
        d
    }

    /// The last part of a dump truncated by the receive buffer (its end was in
    /// what was lost): the live reader found the socket empty after it and
    /// asked again, under the next sequence number; the recording says where.
    /// The replay asks again there, and recognises the answer to the second
    /// request.
    #[test]
    fn a_dump_whose_end_was_truncated_is_asked_again_in_the_replay() {
        let out = Shared::default();
        let recorder = crate::capture::Recorder::new(out.clone()).unwrap();
        let tag = NetnsTag {
            name: Arc::from("t"),
            id: 9,
        };
        let portid = 4321;
        let ns = recorder.interface(&tag, portid, &[ObjectKind::Link]);
        let t = |ms: u64| SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        recorder.watched(ns, t(1));
        let link = fixture("link_new_veth");
        let first = answer(&link, 1, portid);
        // 40 bytes arrived of the first answer: its link and its end are lost.
        recorder.datagram(ns, t(2), &first[..40], first.len());
        recorder.dump_ended(ns, t(2));
        recorder.datagram(ns, t(3), &answer(&link, 2, portid), first.len());
        recorder.flush().unwrap();
        let replay = Replay::from_reader(std::io::Cursor::new(out.0.lock().clone()))
            .unwrap()
            .list_existing(true);
        let sub = replay.subscribe_with_queue(Filter::new(), 64, Overflow::DropNewest);
        replay.run().unwrap();
        let items: Vec<String> = sub
            .into_iter()
            .map(|i| match i {
                Item::Event(e) => format!(
                    "{} {:?} {:?}",
                    e.object.kind().as_str(),
                    e.origin,
                    e.timestamp
                ),
                Item::NamespaceAdded { .. } => "added".into(),
                Item::SyncDone { timestamp, .. } => format!("synced {timestamp:?}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            items,
            [
                "added".to_string(),
                format!("link Dump {:?}", t(3)),
                format!("synced {:?}", t(3)),
            ]
        );
    }
}
