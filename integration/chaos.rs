//! The chaos run: a seeded random mix of namespace additions and deletions under
//! a watched directory, veth pairs across namespaces, moves, renames, up/down,
//! addresses, routes, neighbours and bursts (`ip -batch`) against a small receive
//! buffer, read by a consumer that stalls at random. At every quiet point each
//! live namespace's snapshot, and the picture the consumer rebuilt from its
//! events, equal `ip -j`; every namespace deleted has had its `NamespaceGone`,
//! and nothing tagged with it comes after. The whole run is recorded
//! (`Builder::record`), and its replay gives every namespace's items again,
//! equal in every field and order: overruns, resyncs, arrivals and departures
//! included.
//!
//! The consumer subscribes with a small queue and [`Overflow::Block`]: what a
//! consumer that must keep a faithful picture does. It loses nothing; when it
//! stalls, its reader waits for it and the kernel's socket buffers overrun, which
//! the monitor reports as `Overrun` and repairs with a resync whose differences
//! come as `Resync` events: the consumer applies every event in order and needs
//! nothing else. (A consumer with a lossy policy would instead rebuild from
//! `Monitor::snapshots` on `Lagged`; `state::lagged_subscriber_rebuilds_from_snapshots`
//! covers that.) A `Lagged` item here is a failure.
//!
//! Two links of one namespace may get the same IPv4 prefix (the kernel then
//! keeps routes that differ only in their device; nlwatch used to key them as
//! one: RELIABILITY.md, "Chaos run"). `NLWATCH_CHAOS_SAME_V4_PREFIX=0` gives
//! each prefix to one link only, as the first runs did.
//!
//! `NLWATCH_CHAOS_SEEDS` (comma-separated, decimal or `0x` hex) replaces the
//! suite's three seeds, `NLWATCH_CHAOS_OPS` the number of operations per seed;
//! `scripts/chaos.sh` runs many seeds that way. A failure prints the seed, the
//! operations made and the difference.

use crate::monitor::HANG_GUARD;
use crate::sandbox::ip;
use crate::sandboxed_test;
use crate::state::{
    diff, kernel_view, quiet_ipv6_in, snapshot_lines, try_ip, veth_ends, End, Rebuilt, Rng,
};
use nlwatch::TryRecvError;
use nlwatch::{Filter, GoneReason, Item, Monitor, NetnsTag, Object, Overflow, Subscription};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Namespace names, reused: a name deleted may be added again (with a new tag).
const POOL: [&str; 6] = ["c0", "c1", "c2", "c3", "c4", "c5"];
/// At most this many namespaces live at once.
const MAX_LIVE: usize = 4;
/// Receive buffer asked for (the kernel doubles it): a burst overruns it.
const RCVBUF: usize = 4096;
/// The consumer's queue: a stall soon holds up its reader.
const QUEUE: usize = 64;
/// Operations per seed in the suite.
const OPS: usize = 250;

/// What the consumer thread received, in order, with its subscription (locked
/// together, so "the queue is empty" and "everything is in `items`" are one fact).
struct Consumed {
    sub: Subscription,
    items: Vec<Item>,
}

/// Receives everything, stalling at random (5-65 ms about every 100 items).
fn consume(shared: Arc<Mutex<Consumed>>, mut rng: Rng, stalls: Arc<AtomicU64>) {
    loop {
        let got = {
            let mut c = shared.lock().unwrap();
            match c.sub.try_recv() {
                Ok(item) => {
                    c.items.push(item);
                    true
                }
                Err(TryRecvError::Empty) => false,
                Err(_) => return,
            }
        };
        if !got {
            std::thread::sleep(Duration::from_millis(1));
        } else if rng.below(100) == 0 {
            stalls.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(5 + rng.below(60) as u64));
        }
    }
}

/// The consumer's picture, built item by item, and what it found wrong.
#[derive(Default)]
struct Tracker {
    scanned: usize,
    /// Namespaces announced and not gone, by tag id.
    current: BTreeMap<u64, NetnsTag>,
    gone: HashSet<u64>,
    last_seq: HashMap<u64, u64>,
    rebuilt: HashMap<u64, Rebuilt>,
    /// Links seen by (tag id, name): the quiet points' markers.
    links: HashSet<(u64, String)>,
    shutting_down: bool,
    problems: Vec<String>,
    counts: Counts,
}

/// What one seed did, for RELIABILITY.md.
#[derive(Default, Debug, Clone)]
struct Counts {
    items: u64,
    events: u64,
    overruns: u64,
    resyncs_done: u64,
    added: u64,
    /// Arrivals announced while a namespace of the same name was still
    /// watched (its departure came after: see RELIABILITY.md, "Chaos run").
    early_arrivals: u64,
    gone: u64,
}

impl Tracker {
    fn feed(&mut self, items: &[Item]) {
        for item in &items[self.scanned..] {
            self.one(item);
        }
        self.scanned = items.len();
    }

    fn one(&mut self, item: &Item) {
        self.counts.items += 1;
        let tag = match item {
            Item::Event(ev) => &ev.netns,
            Item::Overrun { netns, .. }
            | Item::SyncDone { netns, .. }
            | Item::ResyncDone { netns, .. }
            | Item::NamespaceAdded { netns, .. }
            | Item::NamespaceGone { netns, .. } => netns,
            other => {
                self.problems.push(format!("unexpected item: {other:?}"));
                return;
            }
        };
        if self.gone.contains(&tag.id) {
            self.problems.push(format!(
                "item after its namespace's NamespaceGone: {item:?}"
            ));
        }
        match item {
            Item::Event(ev) => {
                self.counts.events += 1;
                let last = self.last_seq.entry(tag.id).or_default();
                if ev.seq != *last + 1 {
                    self.problems
                        .push(format!("seq {} after {} in {tag:?}", ev.seq, *last));
                }
                *last = ev.seq;
                if let Object::Link(l) = &ev.object {
                    if let Some(name) = &l.ifname {
                        self.links.insert((tag.id, name.to_string()));
                    }
                }
                self.rebuilt.entry(tag.id).or_default().apply(ev);
            }
            Item::Overrun { .. } => self.counts.overruns += 1,
            Item::ResyncDone { .. } => self.counts.resyncs_done += 1,
            Item::NamespaceAdded { netns, .. } => {
                self.counts.added += 1;
                if self.current.values().any(|t| t.name == netns.name) {
                    self.counts.early_arrivals += 1;
                }
                if self.current.insert(netns.id, netns.clone()).is_some() {
                    self.problems.push(format!("{netns:?} announced twice"));
                }
                self.rebuilt.insert(netns.id, Rebuilt::default());
            }
            Item::NamespaceGone { netns, reason, .. } => {
                self.counts.gone += 1;
                let expected = if self.shutting_down {
                    matches!(reason, GoneReason::Vanished | GoneReason::Shutdown)
                } else {
                    *reason == GoneReason::Vanished
                };
                if !expected {
                    self.problems.push(format!("{netns:?} gone for {reason:?}"));
                }
                if self.current.remove(&netns.id).is_none() {
                    self.problems
                        .push(format!("{netns:?} gone but not announced"));
                }
                self.gone.insert(netns.id);
                self.rebuilt.remove(&netns.id);
            }
            _ => {}
        }
    }
}

struct Chaos {
    seed: u64,
    rng: Rng,
    /// Live namespaces, as indexes into [`POOL`].
    live: BTreeSet<usize>,
    /// Veth pairs; an end's `ns` indexes [`POOL`].
    pairs: Vec<(End, End)>,
    /// Veth ends whose peer was in a namespace deleted since the last quiet
    /// point: the kernel deletes them when it destroys that namespace, later.
    vanishing: Vec<End>,
    /// IPv4 prefixes given to a link so far, by namespace: with
    /// `NLWATCH_CHAOS_SAME_V4_PREFIX=0`, a prefix is given once per namespace
    /// name (the first runs did, while nlwatch kept routes that differ only in
    /// their device under one key).
    v4_prefixes: BTreeSet<(usize, usize)>,
    same_v4_prefix: bool,
    counter: usize,
    quiet_points: usize,
    bursts: usize,
    burst_lines: usize,
    ns_added: usize,
    ns_deleted: usize,
    log: Vec<String>,
    /// The run's recording, kept on failure as `seed-N.pcapng` in
    /// `NLWATCH_CHAOS_RECORDINGS` (`scripts/chaos.sh` sets it): replay it with
    /// `nlwatch replay` to see what the kernel said, in order.
    recording: Option<Recording>,
}

impl Chaos {
    fn new(seed: u64) -> Self {
        Chaos {
            seed,
            // Spread: `seed | 1` alone would make seeds 2 and 3 the same run.
            rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            live: BTreeSet::new(),
            pairs: Vec::new(),
            vanishing: Vec::new(),
            v4_prefixes: BTreeSet::new(),
            same_v4_prefix: std::env::var("NLWATCH_CHAOS_SAME_V4_PREFIX").as_deref() != Ok("0"),
            counter: 0,
            quiet_points: 0,
            bursts: 0,
            burst_lines: 0,
            ns_added: 0,
            ns_deleted: 0,
            log: Vec::new(),
            recording: None,
        }
    }

    fn fail(&self, what: &str) -> ! {
        if let (Some(recording), Ok(dir)) =
            (&self.recording, std::env::var("NLWATCH_CHAOS_RECORDINGS"))
        {
            let path = std::path::Path::new(&dir).join(format!("seed-{}.pcapng", self.seed));
            let bytes = recording.0.lock().unwrap().clone();
            match std::fs::write(&path, bytes) {
                Ok(()) => eprintln!("the run's recording: {}", path.display()),
                Err(e) => eprintln!("cannot keep the recording at {}: {e}", path.display()),
            }
        }
        panic!(
            "chaos seed {:#x}: {what}\nops ({}):\n{}",
            self.seed,
            self.log.len(),
            self.log.join("\n")
        )
    }

    fn live_ns(&mut self) -> usize {
        let live: Vec<usize> = self.live.iter().copied().collect();
        live[self.rng.below(live.len())]
    }

    fn add_ns(&mut self, k: usize) {
        self.log.push(format!("netns add {}", POOL[k]));
        ip(&format!("netns add {}", POOL[k]));
        quiet_ipv6_in(POOL[k]);
        self.live.insert(k);
        self.ns_added += 1;
    }

    fn del_ns(&mut self, k: usize) {
        self.log.push(format!("netns del {}", POOL[k]));
        ip(&format!("netns del {}", POOL[k]));
        self.live.remove(&k);
        self.ns_deleted += 1;
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pairs)
            .into_iter()
            .partition(|(a, b)| a.ns == k || b.ns == k);
        self.pairs = kept;
        for (a, b) in gone {
            self.vanishing
                .extend([a, b].into_iter().filter(|e| e.ns != k));
        }
        self.vanishing.retain(|e| e.ns != k);
        self.v4_prefixes.retain(|p| p.0 != k);
    }

    /// A change to links, addresses, routes or neighbours, as `(namespace,
    /// command)`, with the model updated; in namespace `only` when given (a
    /// burst's), anywhere otherwise.
    fn change(&mut self, only: Option<usize>) -> Vec<(usize, String)> {
        self.counter += 1;
        let c = self.counter;
        let ends: Vec<(usize, bool)> = (0..self.pairs.len())
            .flat_map(|i| [(i, true), (i, false)])
            .filter(|&(i, first)| {
                let e = if first {
                    &self.pairs[i].0
                } else {
                    &self.pairs[i].1
                };
                only.map_or(true, |n| e.ns == n)
            })
            .collect();
        let op = if ends.is_empty() {
            0
        } else {
            self.rng.below(19)
        };
        if op == 0 {
            let a = only.unwrap_or_else(|| self.live_ns());
            let b = self.live_ns();
            let (x, y) = (format!("v{c}"), format!("w{c}"));
            self.pairs.push(veth_ends(&x, a, &y, b));
            return vec![(
                a,
                format!("link add {x} type veth peer name {y} netns {}", POOL[b]),
            )];
        }
        let (i, first) = ends[self.rng.below(ends.len())];
        let end = if first {
            self.pairs[i].0.clone()
        } else {
            self.pairs[i].1.clone()
        };
        let (ns, dev) = (end.ns, end.name.clone());
        let k = self.rng.below(250);
        let j = 1 + self.rng.below(250);
        let set = |pairs: &mut Vec<(End, End)>, e: End| {
            if first {
                pairs[i].0 = e
            } else {
                pairs[i].1 = e
            }
        };
        // The namespace's IPv4 prefixes (gateways and preferred sources).
        let mine: Vec<usize> = self
            .v4_prefixes
            .iter()
            .filter(|p| p.0 == ns)
            .map(|p| p.1)
            .collect();
        let cmd = match op {
            1 => {
                let others: Vec<usize> = self.live.iter().copied().filter(|&n| n != ns).collect();
                if others.is_empty() {
                    format!("link set {dev} up")
                } else {
                    let to = others[self.rng.below(others.len())];
                    set(&mut self.pairs, End { name: dev.clone(), ns: to });
                    format!("link set {dev} netns {}", POOL[to])
                }
            }
            2 => {
                let new = format!("n{c}");
                set(&mut self.pairs, End { name: new.clone(), ns });
                return vec![
                    (ns, format!("link set {dev} down")),
                    (ns, format!("link set {dev} name {new}")),
                ];
            }
            3 => format!(
                "link set {dev} {}",
                if self.rng.below(2) == 0 { "up" } else { "down" }
            ),
            // One IPv4 prefix per namespace (see `same_v4_prefix`).
            4 => match (0..250)
                .map(|d| (k + d) % 250)
                .find(|x| self.same_v4_prefix || !self.v4_prefixes.contains(&(ns, *x)))
            {
                Some(x) => {
                    self.v4_prefixes.insert((ns, x));
                    format!("addr add 10.{}.{x}.1/24 dev {dev}", 60 + ns)
                }
                None => format!("addr add fd6{ns}:{k:x}::1/64 dev {dev} nodad"),
            },
            5 => format!("addr add fd6{ns}:{k:x}::1/64 dev {dev} nodad"),
            6 => format!("route add 10.{}.{k}.0/24 dev {dev}", 70 + ns),
            7 => format!("route add fd7{ns}:{k:x}::/64 dev {dev} metric {j}"),
            8 => {
                // A gateway on one of the namespace's prefixes, when it has one.
                let x = if mine.is_empty() { k } else { mine[self.rng.below(mine.len())] };
                format!(
                    "route add 172.{}.{k}.0/24 via 10.{}.{x}.2 dev {dev}",
                    16 + ns,
                    60 + ns
                )
            }
            9 => format!(
                "neigh add 10.{}.{k}.{j} lladdr 02:00:00:{ns:02x}:{k:02x}:{j:02x} dev {dev} nud permanent",
                80 + ns
            ),
            10 => format!(
                "neigh add fd8{ns}::{k:x}:{j:x} lladdr 02:00:01:{ns:02x}:{k:02x}:{j:02x} dev {dev} nud permanent"
            ),
            11 => {
                self.pairs.remove(i);
                format!("link del {dev}")
            }
            12 => format!("neigh flush dev {dev}"),
            // Routes to a few prefixes that differ only in protocol or
            // preferred source (one of the namespace's addresses): apart.
            13 => {
                if j % 2 == 0 && !mine.is_empty() {
                    format!(
                        "route append 10.{}.{}.0/24 dev {dev} src 10.{}.{}.1",
                        70 + ns,
                        k % 8,
                        60 + ns,
                        mine[j % mine.len()]
                    )
                } else {
                    format!(
                        "route append 10.{}.{}.0/24 dev {dev} proto {}",
                        70 + ns,
                        k % 8,
                        ["static", "boot", "zebra", "bird"][j % 4]
                    )
                }
            }
            // IPv6 replace among a few prefixes and metrics.
            14 if j % 5 == 0 => format!("-6 route replace blackhole fd7{ns}:{:x}::/64 metric {}", k % 8, j % 3),
            14 => format!("-6 route replace fd7{ns}:{:x}::/64 dev {dev} metric {}", k % 8, j % 3),
            // IPv6 siblings: hops appended and deleted one at a time.
            15 => format!("-6 route append fd9{ns}::{:x}:0/112 via fe80::{:x} dev {dev}", k % 4, j % 4 + 1),
            16 => format!("-6 route del fd9{ns}::{:x}:0/112 via fe80::{:x} dev {dev}", k % 4, j % 4 + 1),
            // One local address, several peers.
            17 => format!(
                "addr add 10.{}.{}.1/32 peer 10.{}.{}.{} dev {dev}",
                90 + ns,
                k % 4,
                90 + ns,
                k % 4,
                j % 4 + 2
            ),
            _ => format!("addr flush dev {dev}"),
        };
        vec![(ns, cmd)]
    }

    /// Many changes in one namespace at once, through `ip -batch`.
    fn burst(&mut self) {
        let ns = self.live_ns();
        let n = 20 + self.rng.below(300);
        let mut batch = String::new();
        for _ in 0..n {
            for (_, cmd) in self.change(Some(ns)) {
                batch += &cmd;
                batch.push('\n');
            }
        }
        let file = format!("/run/chaos-{}.batch", self.bursts);
        std::fs::write(&file, &batch).unwrap();
        let ok = try_ip(POOL[ns], &format!("-force -batch {file}"));
        self.log.push(format!(
            "{}: -batch ({n} changes{}):\n    {}",
            POOL[ns],
            if ok { "" } else { ", some refused" },
            batch.trim_end().replace('\n', "\n    ")
        ));
        self.bursts += 1;
        self.burst_lines += n;
    }

    /// One operation: a namespace added or deleted, a burst, or one change.
    fn step(&mut self) {
        let free: Vec<usize> = (0..POOL.len()).filter(|k| !self.live.contains(k)).collect();
        match self.rng.below(40) {
            0 | 1 if self.live.len() < MAX_LIVE && !free.is_empty() => {
                let k = free[self.rng.below(free.len())];
                self.add_ns(k);
            }
            2 if self.live.len() > 1 => {
                let k = self.live_ns();
                self.del_ns(k);
            }
            3 => self.burst(),
            _ => {
                for (ns, cmd) in self.change(None) {
                    let ok = try_ip(POOL[ns], &cmd);
                    self.log.push(format!(
                        "{}: {cmd}{}",
                        POOL[ns],
                        if ok { "" } else { "  (refused)" }
                    ));
                }
            }
        }
    }

    /// Waits until `done` holds on two looks 20 ms apart, or fails with `what`.
    fn wait(&self, what: &str, mut done: impl FnMut() -> Result<(), String>) {
        let start = Instant::now();
        let mut streak = 0;
        loop {
            match done() {
                Ok(()) => streak += 1,
                Err(why) => {
                    streak = 0;
                    if start.elapsed() > HANG_GUARD {
                        self.fail(&format!("{what}: {why}"));
                    }
                }
            }
            if streak == 2 {
                return;
            }
            std::thread::sleep(Duration::from_millis(if streak == 0 { 5 } else { 20 }));
        }
    }

    /// A quiet point: waits until the kernel has finished what it does on its own
    /// (destroying deleted namespaces and the veth ends that went with them) and
    /// the consumer has everything, then compares.
    fn quiet(&mut self, monitor: &Monitor, consumed: &Mutex<Consumed>, tracker: &mut Tracker) {
        let vanishing = std::mem::take(&mut self.vanishing);
        self.wait(
            "veth ends of deleted namespaces never went",
            || match vanishing
                .iter()
                .find(|e| try_ip(POOL[e.ns], &format!("link show dev {}", e.name)))
            {
                Some(e) => Err(format!("{} still in {}", e.name, POOL[e.ns])),
                None => Ok(()),
            },
        );
        let marker = format!("q{}", self.quiet_points);
        self.quiet_points += 1;
        for &k in &self.live {
            // Listing links makes the kernel give an id to every namespace a
            // link's peer is in (IFLA_LINK_NETNSID), announced as a new nsid:
            // list them before the marker, so the comparison's own listing
            // changes nothing after the quiet point.
            crate::state::touch_nsids(POOL[k]);
            ip(&format!(
                "-n {} link add {marker}a type veth peer name {marker}b",
                POOL[k]
            ));
        }
        let live: Vec<String> = self.live.iter().map(|&k| POOL[k].to_string()).collect();
        self.wait("never quiet", || {
            let c = consumed.lock().unwrap();
            tracker.feed(&c.items);
            let mut announced: Vec<String> = tracker
                .current
                .values()
                .map(|t| t.name.to_string())
                .collect();
            announced.sort();
            if announced != live {
                return Err(format!("announced {announced:?}, live {live:?}"));
            }
            if !c.sub.is_empty() {
                return Err("items queued".into());
            }
            let stats = monitor.namespaces();
            for tag in tracker.current.values() {
                let name = &tag.name;
                if !tracker.links.contains(&(tag.id, format!("{marker}a"))) {
                    return Err(format!("no marker from {name}"));
                }
                let st = stats.iter().find(|s| s.netns.id == tag.id);
                if st.map_or(true, |s| s.syncing) {
                    return Err(format!("{name} syncing or not watched"));
                }
                let snap = monitor
                    .snapshot(tag)
                    .ok_or(format!("no snapshot of {name}"))?;
                let seen = tracker.last_seq.get(&tag.id).copied().unwrap_or(0);
                if !snap.synced || snap.seq != seen {
                    return Err(format!(
                        "{name}: snapshot at {}, events to {seen}",
                        snap.seq
                    ));
                }
            }
            Ok(())
        });
        if !tracker.problems.is_empty() {
            self.fail(&tracker.problems.join("\n"));
        }
        for tag in tracker.current.values() {
            let name = &*tag.name;
            let kernel = kernel_view(name);
            let view = snapshot_lines(&monitor.snapshot(tag).unwrap());
            if view != kernel {
                self.fail(&format!(
                    "namespace {name}, snapshot: {}",
                    diff(&view, &kernel)
                ));
            }
            let mine = tracker
                .rebuilt
                .get(&tag.id)
                .map(Rebuilt::lines)
                .unwrap_or_default();
            if mine != kernel {
                self.fail(&format!(
                    "namespace {name}, rebuilt from events: {}",
                    diff(&mine, &kernel)
                ));
            }
        }
        self.log.push(format!("-- quiet point {marker}: equal"));
    }
}

/// One chaos run of `ops` operations; returns what it did.
fn chaos_run(seed: u64, ops: usize) -> String {
    let start = Instant::now();
    let mut chaos = Chaos::new(seed);
    // Two namespaces exist before the directory is watched, the rest come later.
    chaos.add_ns(0);
    chaos.add_ns(1);
    // Everything is recorded, and replayed at the end (see `replayed_alike`).
    let recording = Recording::default();
    let recorder = nlwatch::recording::Recorder::new(recording.clone()).unwrap();
    chaos.recording = Some(recording.clone());
    let monitor = Monitor::builder()
        .readers(2)
        .rcvbuf(RCVBUF)
        .list_existing(true)
        .record(recorder.clone())
        .build()
        .unwrap();
    let consumed = Arc::new(Mutex::new(Consumed {
        sub: monitor.subscribe_with_queue(Filter::new(), QUEUE, Overflow::Block),
        items: Vec::new(),
    }));
    let stalls = Arc::new(AtomicU64::new(0));
    let consumer = {
        let (c, s) = (consumed.clone(), stalls.clone());
        let rng = Rng(seed.rotate_left(29) | 1);
        std::thread::spawn(move || consume(c, rng, s))
    };
    monitor.watch_dir(nlwatch::NETNS_RUN_DIR).unwrap();
    let mut tracker = Tracker::default();
    for _ in 0..ops {
        chaos.step();
        if chaos.rng.below(20) == 0 {
            chaos.quiet(&monitor, &consumed, &mut tracker);
        }
    }
    chaos.quiet(&monitor, &consumed, &mut tracker);
    // Every namespace deleted at the end: each gone, nothing of it after.
    for k in chaos.live.clone() {
        chaos.del_ns(k);
    }
    chaos.wait("namespaces never gone", || {
        let c = consumed.lock().unwrap();
        tracker.feed(&c.items);
        match tracker.current.values().next() {
            Some(tag) => Err(format!("{tag:?} not gone")),
            None => Ok(()),
        }
    });
    tracker.shutting_down = true;
    monitor.shutdown();
    consumer.join().unwrap();
    tracker.feed(&consumed.lock().unwrap().items);
    if !tracker.problems.is_empty() {
        chaos.fail(&tracker.problems.join("\n"));
    }
    let bytes = recording.0.lock().unwrap().clone();
    if let Err(problem) = replayed_alike(&consumed.lock().unwrap().items, bytes) {
        chaos.fail(&problem);
    }
    let n = &tracker.counts;
    // The run must have stressed what it claims to: overruns repaired by
    // resyncs, and a consumer that stalled.
    if n.overruns == 0 || n.resyncs_done == 0 || stalls.load(Ordering::Relaxed) == 0 {
        chaos.fail(&format!(
            "no stress: {n:?}, {} stalls",
            stalls.load(Ordering::Relaxed)
        ));
    }
    format!(
        "chaos seed {seed:#x}: {ops} ops ({} bursts of {} changes, {} namespaces added, {} deleted), \
         {} quiet points, {} items ({} events), {} overruns, {} resyncs, {} namespaces announced \
         ({} before the departure of the last of their name), {} gone, {} consumer stalls, {:.1} s",
        chaos.bursts,
        chaos.burst_lines,
        chaos.ns_added,
        chaos.ns_deleted,
        chaos.quiet_points,
        n.items,
        n.events,
        n.overruns,
        n.resyncs_done,
        n.added,
        n.early_arrivals,
        n.gone,
        stalls.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    )
}

/// Where the run's recording goes.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Recording {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The run's recording, replayed, publishes every item the live consumer
/// received, equal in every field (times and sequence numbers included), each
/// namespace's in the same order (two readers interleave namespaces as they
/// go; a replay goes in file order).
fn replayed_alike(live: &[Item], recording: Vec<u8>) -> Result<(), String> {
    type Streams<'a> = BTreeMap<(String, u64), Vec<&'a Item>>;
    fn streams(items: &[Item]) -> Streams<'_> {
        let mut by_ns: Streams<'_> = BTreeMap::new();
        for item in items {
            let netns = match item {
                Item::Event(e) => &e.netns,
                Item::Overrun { netns, .. }
                | Item::SyncDone { netns, .. }
                | Item::ResyncDone { netns, .. }
                | Item::NamespaceAdded { netns, .. }
                | Item::NamespaceGone { netns, .. } => netns,
                // Discovery's, not a namespace's: not recorded.
                _ => continue,
            };
            by_ns
                .entry((netns.name.to_string(), netns.id))
                .or_default()
                .push(item);
        }
        by_ns
    }
    let replay = nlwatch::recording::Replay::from_reader(std::io::Cursor::new(recording))
        .map_err(|e| format!("the recording: {e}"))?
        .list_existing(true);
    let sub = replay.subscribe_with_queue(Filter::new(), 1 << 20, Overflow::DropNewest);
    let stats = replay.run().map_err(|e| format!("the replay: {e}"))?;
    let replayed: Vec<Item> = sub.into_iter().collect();
    let (live, replayed) = (streams(live), streams(&replayed));
    if live.keys().ne(replayed.keys()) {
        return Err(format!(
            "replayed namespaces {:?}, live {:?}",
            replayed.keys().collect::<Vec<_>>(),
            live.keys().collect::<Vec<_>>()
        ));
    }
    for (ns, items) in &live {
        let again = &replayed[ns];
        if let Some(i) = (0..items.len().max(again.len())).find(|&i| items.get(i) != again.get(i)) {
            return Err(format!(
                "namespace {ns:?}, item {i} of {} live, {} replayed ({stats:?}):\nlive     {:?}\nreplayed {:?}",
                items.len(),
                again.len(),
                items.get(i),
                again.get(i)
            ));
        }
    }
    Ok(())
}

fn parse_seed(s: &str) -> u64 {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .unwrap_or_else(|e| panic!("seed {s:?}: {e}"))
}

sandboxed_test! {
    /// Seeded chaos (see the module's documentation): three seeds here,
    /// `NLWATCH_CHAOS_SEEDS` for others, `scripts/chaos.sh` for many.
    fn chaos_runs_end_in_the_kernels_state() {
        let seeds: Vec<u64> = match std::env::var("NLWATCH_CHAOS_SEEDS") {
            Ok(list) => list.split(',').map(parse_seed).collect(),
            Err(_) => vec![1, 2, 3],
        };
        let ops = std::env::var("NLWATCH_CHAOS_OPS")
            .map_or(OPS, |n| n.parse().expect("NLWATCH_CHAOS_OPS is a number"));
        for seed in seeds {
            eprintln!("chaos seed {seed:#x} ...");
            let figures = chaos_run(seed, ops);
            eprintln!("{figures}");
            // The sandbox shows a passing test's output to no one: a report
            // file (outside it: /tmp is shared) keeps the figures.
            if let Ok(path) = std::env::var("NLWATCH_CHAOS_REPORT") {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
                writeln!(f, "{figures}").unwrap();
            }
        }
    }
}
