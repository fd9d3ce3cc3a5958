//! What nlwatch counts about itself, as plain values: [`Metrics`], returned by
//! [`Monitor::metrics`](crate::Monitor::metrics), and the resync-duration
//! [`Histogram`] the readers feed.
//!
//! The readers count with relaxed atomics in each namespace's [`Counters`]
//! (defined here, with what it counts); this module turns them into owned values, and keeps the totals of namespaces
//! that are gone ([`Ledger`]) so that a total never goes down. It never
//! formats an exposition and never touches the network: the `metrics`
//! feature's `nlwatch::metrics` encodes these values for Prometheus, and the
//! CLI serves them.

use crate::bus::SubscriberCounters;
#[cfg(test)]
use crate::object::Object;
use crate::object::{Action, Event, NetnsTag, ObjectKind, Origin};
use crate::wire;
#[cfg(test)]
use crate::wire::NlMsg;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The upper bounds of the resync-duration buckets, in seconds. A resync is a
/// round of dumps: a few milliseconds for a namespace with a handful of
/// objects, seconds for one with a full routing table.
pub const RESYNC_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A histogram of durations, in atomics: the buckets of [`RESYNC_BUCKETS`]
/// and one past the last, and the sum in nanoseconds.
#[derive(Debug, Default)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; RESYNC_BUCKETS.len() + 1],
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Counts one duration.
    pub(crate) fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let at = RESYNC_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(RESYNC_BUCKETS.len());
        self.buckets[at].fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    pub(crate) fn values(&self) -> DurationHistogram {
        let mut counts = [0; RESYNC_BUCKETS.len() + 1];
        for (c, b) in counts.iter_mut().zip(&self.buckets) {
            *c = b.load(Ordering::Relaxed);
        }
        DurationHistogram {
            counts,
            sum_ns: self.sum_ns.load(Ordering::Relaxed),
        }
    }
}

/// Durations counted into the buckets of [`RESYNC_BUCKETS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DurationHistogram {
    /// How many durations fell in each bucket (not cumulative): `counts[i]`
    /// those at most `RESYNC_BUCKETS[i]` seconds and more than the bucket
    /// before; the last, those longer than every bound.
    pub counts: [u64; RESYNC_BUCKETS.len() + 1],
    /// The sum of the durations, in nanoseconds.
    pub sum_ns: u64,
}

impl DurationHistogram {
    /// How many durations were counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The sum of the durations, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_ns as f64 / 1e9
    }

    /// `(upper bound in seconds, durations at most that long)` for every
    /// bucket, cumulative as Prometheus wants them, the last bound infinite.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut total = 0;
        RESYNC_BUCKETS
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(self.counts)
            .map(|(bound, n)| {
                total += n;
                (bound, total)
            })
            .collect()
    }

    fn add(&mut self, other: &DurationHistogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.sum_ns = self.sum_ns.saturating_add(other.sum_ns);
    }
}

/// The counters of one namespace, or the total of all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NamespaceCounters {
    /// Datagrams received on the namespace's socket (forged ones too).
    pub datagrams: u64,
    /// Netlink messages in those datagrams.
    pub messages: u64,
    /// Events published, by kind (in [`ObjectKind::ALL`]'s order) and action
    /// (`new`, `del`); see [`events`](Self::events).
    pub events: [[u64; 2]; ObjectKind::COUNT],
    /// Deletions nlwatch inferred and published (`Origin::Synthesized`).
    pub synthesized_deletions: u64,
    /// Messages that could not be decoded (counted and skipped).
    pub decode_errors: u64,
    /// Malformed attributes skipped in objects that were still published.
    pub attributes_skipped: u64,
    /// Datagrams dropped because their sender was not the kernel (forged).
    pub foreign_dropped: u64,
    /// Times the kernel reported lost notifications (`ENOBUFS`).
    pub overruns: u64,
    /// Datagrams larger than the receive buffer (their tail was lost).
    pub truncated: u64,
    /// Full re-dumps made to repair lost notifications.
    pub resyncs: u64,
    /// Dumps the kernel marked inconsistent (`NLM_F_DUMP_INTR`), redone.
    pub dumps_interrupted: u64,
    /// How long each repair took: from the loss that asked for a resync (or
    /// the end of the round it had to wait for) to its `ResyncDone`, by the
    /// receive times of what the kernel sent (a replay gives the same
    /// figures). One per `ResyncDone`: fewer than `resyncs` when a round had
    /// to be started again.
    pub resync_seconds: DurationHistogram,
}

impl NamespaceCounters {
    /// Events of `kind` with `action` published.
    pub fn events(&self, kind: ObjectKind, action: Action) -> u64 {
        self.events[kind.index()][usize::from(action == Action::Del)]
    }

    /// Events published, of every kind and action.
    pub fn events_total(&self) -> u64 {
        self.events.iter().flatten().sum()
    }

    /// Adds `other`'s counts to these.
    fn add(&mut self, other: &NamespaceCounters) {
        self.datagrams += other.datagrams;
        self.messages += other.messages;
        for (a, b) in self
            .events
            .iter_mut()
            .flatten()
            .zip(other.events.iter().flatten())
        {
            *a += b;
        }
        self.synthesized_deletions += other.synthesized_deletions;
        self.decode_errors += other.decode_errors;
        self.attributes_skipped += other.attributes_skipped;
        self.foreign_dropped += other.foreign_dropped;
        self.overruns += other.overruns;
        self.truncated += other.truncated;
        self.resyncs += other.resyncs;
        self.dumps_interrupted += other.dumps_interrupted;
        self.resync_seconds.add(&other.resync_seconds);
    }
}

/// One watched namespace in [`Metrics`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NamespaceMetrics {
    /// The namespace (the name it was first added by, and its id).
    pub netns: NetnsTag,
    /// Its counters.
    pub counters: NamespaceCounters,
    /// Objects its state view holds, by kind (in [`ObjectKind::ALL`]'s order;
    /// links are kept whether asked for or not).
    pub objects: [u64; ObjectKind::COUNT],
    /// Whether a round of dumps (initial or resync) is running or due.
    pub syncing: bool,
}

impl NamespaceMetrics {
    /// Objects of `kind` its state view holds.
    pub fn held(&self, kind: ObjectKind) -> u64 {
        self.objects[kind.index()]
    }
}

/// What a monitor counts, at one moment; see [`Monitor::metrics`](crate::Monitor::metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// The namespaces watched (and those being let go), in the order they
    /// were added.
    pub namespaces: Vec<NamespaceMetrics>,
    /// The counters of every namespace ever watched by this monitor, those
    /// gone included: they never go down.
    pub total: NamespaceCounters,
    /// Namespaces watched (added and not removed).
    pub namespaces_watched: usize,
    /// Reader threads.
    pub readers: usize,
    /// The subscriptions, in subscription order.
    pub subscribers: Vec<SubscriberCounters>,
}

/// Every namespace's counters, kept past the namespace: the live ones are
/// read when asked, and those of namespaces gone are added to `retired`.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    live: Vec<(NetnsTag, Arc<Counters>)>,
    retired: NamespaceCounters,
    /// `live` is pruned when it grows past this: a monitor whose namespaces
    /// come and go and whose metrics nobody reads holds what it watches, not
    /// everything it ever watched.
    prune_at: usize,
}

impl Ledger {
    /// Keeps the counters of a namespace being added.
    pub(crate) fn add(&mut self, tag: NetnsTag, counters: Arc<Counters>) {
        if self.live.len() >= self.prune_at {
            self.prune();
            self.prune_at = (2 * self.live.len()).max(64);
        }
        self.live.push((tag, counters));
    }

    /// Adds the namespaces whose counters only the ledger holds to the
    /// retired total and forgets them: nothing can count for them any more.
    fn prune(&mut self) {
        let retired = &mut self.retired;
        self.live.retain(|(_, c)| {
            let gone = Arc::strong_count(c) == 1;
            if gone {
                retired.add(&c.values());
            }
            !gone
        });
    }

    /// The counters of the namespaces still held by anything (a reader, the
    /// registry), and the total of all. A namespace whose counters only the
    /// ledger holds can count nothing more: it is added to the retired total
    /// and forgotten, under the same lock, so no count is ever missed or
    /// counted twice.
    pub(crate) fn read(&mut self) -> (Vec<(NetnsTag, NamespaceCounters)>, NamespaceCounters) {
        self.prune();
        let mut total = self.retired.clone();
        let live: Vec<_> = self
            .live
            .iter()
            .map(|(tag, c)| {
                let values = c.values();
                total.add(&values);
                (tag.clone(), values)
            })
            .collect();
        (live, total)
    }
}

/// Counters of one namespace, shared between its reader and `Monitor::namespaces`
/// (and `Monitor::metrics`). Plain relaxed atomics on a cache line the reader
/// of this namespace alone writes: a counted datagram costs one uncontended
/// add.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Datagrams received (truncated and forged ones too).
    pub(crate) datagrams: AtomicU64,
    /// Netlink messages in them.
    pub(crate) messages: AtomicU64,
    /// Events published, by kind (`ObjectKind::index`) and action (new, del).
    pub(crate) published: [[AtomicU64; 2]; ObjectKind::COUNT],
    /// Deletions published as `Origin::Synthesized`.
    pub(crate) synthesized_deletions: AtomicU64,
    /// How long each resync took (from what asked for it to `ResyncDone`).
    pub(crate) resync_seconds: Histogram,
    pub(crate) foreign_dropped: AtomicU64,
    pub(crate) decode_errors: AtomicU64,
    pub(crate) attributes_skipped: AtomicU64,
    pub(crate) overruns: AtomicU64,
    pub(crate) truncated: AtomicU64,
    pub(crate) resyncs: AtomicU64,
    pub(crate) dumps_interrupted: AtomicU64,
    /// A round of dumps is running or waiting to run.
    pub(crate) syncing: AtomicBool,
}

impl Counters {
    /// Counts one published event.
    pub(crate) fn published(&self, event: &Event) {
        let action = usize::from(event.action == Action::Del);
        Counters::count(&self.published[event.object.kind().index()][action]);
        if event.origin == Origin::Synthesized && event.action == Action::Del {
            Counters::count(&self.synthesized_deletions);
        }
    }

    /// Events published, of every kind and action.
    pub(crate) fn events_total(&self) -> u64 {
        self.published
            .iter()
            .flatten()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// What the counters say now.
    pub(crate) fn values(&self) -> NamespaceCounters {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut events = [[0; 2]; ObjectKind::COUNT];
        for (out, by_action) in events.iter_mut().zip(&self.published) {
            *out = [load(&by_action[0]), load(&by_action[1])];
        }
        NamespaceCounters {
            datagrams: load(&self.datagrams),
            messages: load(&self.messages),
            events,
            synthesized_deletions: load(&self.synthesized_deletions),
            decode_errors: load(&self.decode_errors),
            attributes_skipped: load(&self.attributes_skipped),
            foreign_dropped: load(&self.foreign_dropped),
            overruns: load(&self.overruns),
            truncated: load(&self.truncated),
            resyncs: load(&self.resyncs),
            dumps_interrupted: load(&self.dumps_interrupted),
            resync_seconds: self.resync_seconds.values(),
        }
    }

    /// Adds one to `counter`.
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Decodes one message, counting what could not be decoded: a message
    /// (`decode_errors`, then `Err`) or malformed attributes skipped in an object
    /// that is still returned (`attributes_skipped`).
    #[cfg(test)]
    pub(crate) fn decode(&self, msg: &NlMsg<'_>) -> wire::Result<Option<(Action, Object)>> {
        let mut skipped = 0;
        let decoded = Object::decode_counted(msg, &mut skipped);
        self.counted(decoded, skipped)
    }

    /// Counts what [`Object::decode_each`] could not decode: the message
    /// (`decode_errors`) or `skipped` malformed attributes.
    pub(crate) fn counted<T>(&self, decoded: wire::Result<T>, skipped: u32) -> wire::Result<T> {
        if skipped > 0 {
            self.attributes_skipped
                .fetch_add(skipped.into(), Ordering::Relaxed);
        }
        if decoded.is_err() {
            Counters::count(&self.decode_errors);
        }
        decoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each duration lands in the first bucket whose bound is not below it;
    /// the cumulative buckets end with every one of them.
    #[test]
    fn durations_land_in_their_buckets() {
        let h = Histogram::default();
        for ms in [0, 1, 2, 700, 60_000] {
            h.observe(Duration::from_millis(ms));
        }
        let v = h.values();
        assert_eq!(v.count(), 5);
        assert_eq!(v.counts[0], 2); // 0 and 1 ms: at most 0.001 s
        assert_eq!(v.counts[1], 1); // 2 ms
        assert_eq!(v.counts[9], 1); // 0.7 s: at most 1 s
        assert_eq!(v.counts[RESYNC_BUCKETS.len()], 1); // past 30 s
        assert_eq!(v.sum_ns, 60_703_000_000);
        let c = v.cumulative();
        assert_eq!(c.len(), RESYNC_BUCKETS.len() + 1);
        assert_eq!(c[0], (0.001, 2));
        assert_eq!(c[RESYNC_BUCKETS.len() - 1], (30.0, 4));
        assert_eq!(c[RESYNC_BUCKETS.len()], (f64::INFINITY, 5));
    }

    /// A namespace's counts stay in the total once it is gone.
    #[test]
    fn the_total_keeps_what_gone_namespaces_counted() {
        let mut ledger = Ledger::default();
        let a = Arc::new(Counters::default());
        let b = Arc::new(Counters::default());
        ledger.add(NetnsTag::default(), a.clone());
        ledger.add(NetnsTag::default(), b.clone());
        Counters::count(&a.datagrams);
        Counters::count(&b.datagrams);
        Counters::count(&b.datagrams);
        let (live, total) = ledger.read();
        assert_eq!((live.len(), total.datagrams), (2, 3));
        drop(b);
        let (live, total) = ledger.read();
        assert_eq!((live.len(), total.datagrams), (1, 3));
        Counters::count(&a.datagrams);
        assert_eq!(ledger.read().1.datagrams, 4);
    }

    /// Namespaces that come and go while nobody reads the metrics are
    /// folded into the total as more are added, not kept one by one.
    #[test]
    fn the_ledger_stays_bounded_without_reads() {
        let mut ledger = Ledger::default();
        for _ in 0..10_000 {
            let c = Arc::new(Counters::default());
            Counters::count(&c.datagrams);
            ledger.add(NetnsTag::default(), c);
        }
        assert!(ledger.live.len() <= 64, "{}", ledger.live.len());
        assert_eq!(ledger.read().1.datagrams, 10_000);
    }
}
