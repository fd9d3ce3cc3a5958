//! The event bus: fans items out to filtered subscribers through bounded queues,
//! and to sinks on the publishing thread.
//!
//! - `item`: what travels ([`Item`], events and control items);
//! - `filter` and `glob`: which items a subscriber wants ([`Filter`]);
//! - `queue`: a subscriber's bounded queue and its [`Overflow`] policy;
//! - `subscription`: the subscriber's end ([`Subscription`]);
//! - `stream` (feature `async`): a subscription as a `futures_core::Stream`,
//!   and how publishers wake it;
//! - `sink`: push-model consumers ([`Sink`]);
//! - this file: the set of subscribers and sinks, and publishing ([`Bus`]).
//!
//! Each subscriber has a [`Filter`], its own bounded crossbeam queue and an
//! [`Overflow`] policy saying what happens when that queue is full: drop the oldest
//! queued item, drop the new one, or make the publisher wait. Dropped items are
//! counted per subscriber and reported to it as [`Item::Lagged`], so a loss is
//! never silent. Events travel as `Arc<Event>`: one allocation however many
//! subscribers receive it.
//!
//! # Finding the subscribers of an item
//!
//! Publishing must cost in proportion to the subscribers that want the item, not to
//! all of them. The bus therefore keeps an index, rebuilt on every subscribe and
//! unsubscribe (rare) and shared with publishers as an immutable `Arc` snapshot:
//! subscribers are grouped by namespace selector (no namespace criterion, each
//! namespace id they name, each namespace name they name) and, within a group, by
//! object kind. An event is offered to the subscribers found under
//! (no namespace, its kind), (its namespace id, its kind) and (its namespace name,
//! its kind) only; their filters then check the remaining criteria. Criteria that
//! are not indexed (action, ifindex, ifname, family, table) are checked for every
//! subscriber of the event's namespace and kind; each check is a few comparisons.
//!
//! A publisher holds the index lock only to clone the snapshot's `Arc`, never while
//! it sends, so a subscriber with [`Overflow::Block`] that waits for room does not
//! stop subscribe, unsubscribe or other publishers from reaching other subscribers.
//! Sending to a queue that has room and no loss to report takes no lock either
//! (see `queue`).
//!
//! This module must never decode or touch a socket, and must never block a
//! publisher except for a subscriber that asked for [`Overflow::Block`].

mod filter;
mod glob;
mod item;
mod queue;
mod sink;
#[cfg(feature = "async")]
mod stream;
mod subscription;

pub use filter::Filter;
pub use item::SinkId;
pub use item::{GoneReason, Item};
pub use queue::Overflow;
pub use sink::{Flow, Sink, SinkError};
#[cfg(feature = "async")]
pub use stream::SubscriptionStream;
pub use subscription::{RecvTimeoutError, Subscription, SubscriptionIter, TryRecvError};

use crate::object::{NetnsTag, ObjectKind};
use parking_lot::{Mutex, RwLock};
use queue::{Meta, Slot};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// The subscribers of one namespace selector.
struct Group {
    /// Subscribers whose filter accepts each object kind, by `ObjectKind::index`.
    by_kind: [Vec<Arc<Slot>>; ObjectKind::COUNT],
    /// Every subscriber of the group: for control items, which ignore the kind.
    all: Vec<Arc<Slot>>,
}

impl Default for Group {
    fn default() -> Self {
        Group {
            by_kind: std::array::from_fn(|_| Vec::new()),
            all: Vec::new(),
        }
    }
}

impl Group {
    fn add(&mut self, slot: &Arc<Slot>) {
        for kind in ObjectKind::ALL {
            if slot.filter.accepts_kind(kind) {
                self.by_kind[kind.index()].push(slot.clone());
            }
        }
        self.all.push(slot.clone());
    }

    /// The subscribers that may want an event of `kind`, or a control item (`None`).
    fn pick(&self, kind: Option<ObjectKind>) -> &[Arc<Slot>] {
        match kind {
            Some(k) => &self.by_kind[k.index()],
            None => &self.all,
        }
    }
}

/// An immutable snapshot of the subscribers, arranged for publishing.
#[derive(Default)]
struct Index {
    /// Subscribers without a namespace criterion.
    any_netns: Group,
    /// foldhash, as the resync's key sets: SipHash was the larger part of
    /// this lookup, made on every publish.
    by_netns_id: foldhash::HashMap<u64, Group>,
    by_netns_name: HashMap<Arc<str>, Group>,
    /// Every subscriber: for items without a namespace.
    all: Vec<Arc<Slot>>,
}

impl Index {
    fn build(slots: &[Arc<Slot>]) -> Index {
        let mut index = Index::default();
        for slot in slots {
            let filter = &slot.filter;
            if !filter.has_namespace() {
                index.any_netns.add(slot);
            }
            for id in &filter.netns_ids {
                index.by_netns_id.entry(*id).or_default().add(slot);
            }
            for name in &filter.netns_names {
                index
                    .by_netns_name
                    .entry(name.clone())
                    .or_default()
                    .add(slot);
            }
            index.all.push(slot.clone());
        }
        index
    }

    /// Calls `f` once for each subscriber that may want an item of `netns` (and of
    /// `kind`, for events). A subscriber that names both the namespace's id and its
    /// name is listed under both; it is visited under the id only.
    fn each_candidate<'a>(
        &'a self,
        netns: &NetnsTag,
        kind: Option<ObjectKind>,
        mut f: impl FnMut(&'a Arc<Slot>),
    ) {
        self.any_netns.pick(kind).iter().for_each(&mut f);
        if let Some(g) = self.by_netns_id.get(&netns.id) {
            g.pick(kind).iter().for_each(&mut f);
        }
        if let Some(g) = self.by_netns_name.get(&netns.name) {
            g.pick(kind)
                .iter()
                .filter(|s| !s.filter.netns_ids.contains(&netns.id))
                .for_each(&mut f);
        }
    }
}

/// Publishers that took this index before a subscription in it became a
/// stream may have missed that it is one, and not woken it for what they
/// queued; the last of them to let go of the index does (see `stream`).
#[cfg(feature = "async")]
impl Drop for Index {
    fn drop(&mut self) {
        self.all.iter().for_each(|slot| slot.meta.wake.notify());
    }
}

pub(crate) struct BusInner {
    closed: AtomicBool,
    /// Set by `stop_waiting` and `close`: `Block` subscribers are then treated as
    /// full queues that drop.
    no_wait: AtomicBool,
    /// The subscribers, in subscription order, and the next subscription id.
    registry: Mutex<(Vec<Arc<Slot>>, u64)>,
    /// Rebuilt from `registry` under its lock; read by publishers.
    index: RwLock<Arc<Index>>,
    /// Push-model consumers, run by the publisher itself, and the next sink id.
    sinks: Mutex<(Vec<SinkSlot>, u64)>,
    /// Whether `sinks` is non-empty, so publishing without sinks takes no lock.
    has_sinks: AtomicBool,
}

impl BusInner {
    /// Replaces the index with one of `slots`, and returns the old one, for the
    /// caller to drop once it has released the registry lock: dropping an
    /// index or a slot may wake a stream (feature `async`), and a waker runs
    /// the executor's code, which must not run under the bus's locks.
    #[must_use = "drop the old index after releasing the registry lock"]
    fn rebuild(&self, slots: &[Arc<Slot>]) -> Arc<Index> {
        std::mem::replace(&mut *self.index.write(), Arc::new(Index::build(slots)))
    }

    pub(super) fn unsubscribe(&self, id: u64) {
        let mut registry = self.registry.lock();
        let before = registry.0.len();
        registry.0.retain(|s| s.id != id);
        let old = (registry.0.len() != before).then(|| self.rebuild(&registry.0));
        drop(registry);
        drop(old);
    }
}

/// A sink and what it was added with.
struct SinkSlot {
    id: SinkId,
    filter: Filter,
    sink: Box<dyn Sink>,
}

/// Hands `item` to the sink of `slot` when its filter accepts it.
fn filter_then(slot: &mut SinkSlot, item: &Item) -> Result<Flow, SinkError> {
    if slot.filter.matches(item) {
        slot.sink.item(item)
    } else {
        Ok(Flow::Continue)
    }
}

/// Offers an item to recipients one step behind finding them, so that the last
/// one receives the item itself and only the others a clone (for an event, an
/// `Arc` increment and decrement saved per publish).
struct Fanout<'i, 's> {
    item: &'i Item,
    no_wait: &'i AtomicBool,
    last: Option<&'s Arc<Slot>>,
}

impl<'s> Fanout<'_, 's> {
    fn to(&mut self, slot: &'s Arc<Slot>) {
        if let Some(previous) = self.last.replace(slot) {
            previous.offer(self.item.clone(), self.no_wait);
        }
    }
}

/// The set of subscribers, and the way items reach them.
///
/// A [`Monitor`](crate::Monitor) owns one bus and publishes what its reader
/// decodes; a standalone bus is useful to test consumers or to fan out items
/// from elsewhere. `Bus` is `Sync`: any number of threads may publish at once.
/// Items published by one thread reach each subscriber in the order published,
/// and a loss report comes before the items that thread publishes after the
/// loss; items that other threads publish at the same moment may overtake it.
///
/// ```
/// use nlwatch::{Bus, Filter, Item, NetnsTag, Overflow};
/// use std::sync::Arc;
/// use std::time::SystemTime;
/// let bus = Bus::new();
/// let blue = NetnsTag { name: Arc::from("blue"), id: 1 };
/// let red = NetnsTag { name: Arc::from("red"), id: 2 };
/// let sub = bus.subscribe(Filter::new().namespace(&blue), 16, Overflow::DropOldest);
/// let overrun = |netns| Item::Overrun { netns, timestamp: SystemTime::UNIX_EPOCH };
/// bus.publish(overrun(red));
/// bus.publish(overrun(blue.clone()));
/// bus.close();
/// assert_eq!(sub.collect::<Vec<_>>(), vec![overrun(blue)]);
/// ```
pub struct Bus {
    shared: Arc<BusInner>,
}

impl Default for Bus {
    fn default() -> Self {
        Bus {
            shared: Arc::new(BusInner {
                closed: AtomicBool::new(false),
                no_wait: AtomicBool::new(false),
                registry: Mutex::new((Vec::new(), 0)),
                index: RwLock::new(Arc::new(Index::default())),
                sinks: Mutex::new((Vec::new(), 0)),
                has_sinks: AtomicBool::new(false),
            }),
        }
    }
}

impl fmt::Debug for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bus")
            .field("subscribers", &self.subscriber_count())
            .field("closed", &self.shared.closed.load(Ordering::Relaxed))
            .finish()
    }
}

impl Bus {
    /// An open bus without subscribers.
    pub fn new() -> Self {
        Bus::default()
    }

    /// A new subscription that receives every item published from now on that
    /// `filter` accepts, through a queue of `capacity` items (at least 1, and at
    /// least 2 for [`Overflow::DropOldest`]) managed by `overflow`.
    ///
    /// Dropping the [`Subscription`] unsubscribes it at once. Subscribing to a
    /// closed bus gives a subscription that has already ended.
    pub fn subscribe(&self, filter: Filter, capacity: usize, overflow: Overflow) -> Subscription {
        let min = if overflow == Overflow::DropOldest {
            2
        } else {
            1
        };
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(min));
        let meta = Arc::new(Meta {
            filter,
            overflow,
            dropped: AtomicU64::new(0),
            unsubscribed: AtomicBool::new(false),
            #[cfg(feature = "async")]
            wake: Default::default(),
        });
        let mut registry = self.shared.registry.lock();
        let id = registry.1;
        registry.1 += 1;
        if !self.shared.closed.load(Ordering::Acquire) {
            let slot = Arc::new(Slot {
                id,
                filter: meta.filter.clone(),
                meta: meta.clone(),
                tx,
                oldest: (overflow == Overflow::DropOldest).then(|| rx.clone()),
                unreported: AtomicU64::new(0),
                lock: Mutex::new(()),
                #[cfg(feature = "async")]
                _wake_on_drop: queue::WakeOnDrop(meta.clone()),
            });
            registry.0.push(slot);
            let old = self.shared.rebuild(&registry.0);
            drop(registry);
            drop(old);
        }
        Subscription {
            rx,
            meta,
            bus: Arc::downgrade(&self.shared),
            id,
        }
    }

    /// Offers `item` to every subscriber whose filter accepts it (see [`Filter`]);
    /// what happens at a full queue is the subscriber's [`Overflow`] policy. An
    /// `Item::Lagged` passed here reaches every subscriber. Does nothing once the bus
    /// is closed.
    ///
    /// Returns at once unless a subscriber that accepts the item uses
    /// [`Overflow::Block`] and its queue is full.
    pub fn publish(&self, item: Item) {
        if self.shared.closed.load(Ordering::Acquire) {
            return;
        }
        let stopped = if self.shared.has_sinks.load(Ordering::Acquire) {
            Some(self.run_sinks(|sink| filter_then(sink, &item)))
        } else {
            None
        };
        let no_wait = &self.shared.no_wait;
        let index = self.shared.index.read().clone();
        let mut fanout = Fanout {
            item: &item,
            no_wait,
            last: None,
        };
        match &item {
            Item::Event(event) => {
                index.each_candidate(&event.netns, Some(event.object.kind()), |slot| {
                    if slot.filter.matches_event(event) {
                        fanout.to(slot);
                    }
                });
            }
            Item::Overrun { netns, .. }
            | Item::SyncDone { netns, .. }
            | Item::ResyncDone { netns, .. }
            | Item::NamespaceAdded { netns, .. }
            | Item::NamespaceGone { netns, .. } => {
                index.each_candidate(netns, None, |slot| {
                    if slot.filter.matches_netns(netns) {
                        fanout.to(slot);
                    }
                });
            }
            Item::Lagged { .. } | Item::SinkStopped { .. } | Item::DiscoveryFailed { .. } => {
                index.all.iter().for_each(|slot| fanout.to(slot))
            }
        }
        if let Some(slot) = fanout.last.take() {
            slot.offer(item, no_wait);
        }
        // After the item that made them stop.
        if let Some(stopped) = stopped {
            self.report_stopped(stopped);
        }
    }

    /// Adds a push-model consumer: from now on, every published item `filter`
    /// accepts is handed to `sink` on the publishing thread, before the queued
    /// subscribers get it. See [`Sink`] for what that thread may and may not do,
    /// and how it stops. The id returned is the one [`Item::SinkStopped`] names.
    pub fn add_sink(&self, filter: Filter, sink: Box<dyn Sink>) -> SinkId {
        let mut sinks = self.shared.sinks.lock();
        let id = SinkId(sinks.1);
        sinks.1 += 1;
        sinks.0.push(SinkSlot { id, filter, sink });
        self.shared.has_sinks.store(true, Ordering::Release);
        id
    }

    /// Tells every sink that a publisher has nothing more for now (see
    /// [`Sink::idle`]).
    pub(crate) fn idle(&self) {
        if self.shared.has_sinks.load(Ordering::Acquire) {
            let stopped = self.run_sinks(|slot| slot.sink.idle());
            self.report_stopped(stopped);
        }
    }

    /// Calls `call` on every sink and removes those that stop or fail; returns
    /// their reports, to be published once the sinks' lock is released.
    fn run_sinks(
        &self,
        mut call: impl FnMut(&mut SinkSlot) -> Result<Flow, SinkError>,
    ) -> Vec<Item> {
        let mut stopped = Vec::new();
        let mut sinks = self.shared.sinks.lock();
        sinks.0.retain_mut(|slot| {
            let error = match call(slot) {
                Ok(Flow::Continue) => return true,
                Ok(Flow::Stop) => None,
                Err(e) => Some(Arc::from(e.to_string())),
            };
            stopped.push(Item::SinkStopped {
                sink: slot.id,
                error,
            });
            false
        });
        if sinks.0.is_empty() {
            self.shared.has_sinks.store(false, Ordering::Release);
        }
        stopped
    }

    /// Publishes the reports of sinks that stopped.
    fn report_stopped(&self, stopped: Vec<Item>) {
        for item in stopped {
            self.publish(item);
        }
    }

    /// Stops publishers from waiting for [`Overflow::Block`] subscribers: those
    /// waiting give up within 50 ms, and from now on an item that finds such a
    /// subscriber's queue full is dropped for it and counted in
    /// [`Subscription::dropped`]. The bus stays open otherwise. A shutdown calls
    /// this before joining the threads that publish, so none of them can be
    /// stuck on a subscriber that no longer reads, and may still publish final
    /// items (such as [`Item::NamespaceGone`]) before [`close`](Self::close).
    pub(crate) fn stop_waiting(&self) {
        self.shared.no_wait.store(true, Ordering::Release);
    }

    /// Closes the bus: every subscription's iteration ends once its queue is
    /// drained, later publishes do nothing, and publishers waiting for a
    /// [`Overflow::Block`] subscriber give up within 50 ms.
    pub fn close(&self) {
        self.shared.no_wait.store(true, Ordering::Release);
        self.shared.closed.store(true, Ordering::Release);
        let mut registry = self.shared.registry.lock();
        for slot in &registry.0 {
            slot.last_report();
        }
        registry.0.clear();
        let old = self.shared.rebuild(&registry.0);
        drop(registry);
        drop(old);
        // Sinks get a last idle (to flush) and are dropped; what they answer
        // cannot be reported any more.
        let sinks = std::mem::take(&mut self.shared.sinks.lock().0);
        self.shared.has_sinks.store(false, Ordering::Release);
        for mut slot in sinks {
            let _ = slot.sink.idle();
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// The number of current subscriptions.
    pub fn subscriber_count(&self) -> usize {
        self.shared.registry.lock().0.len()
    }

    /// The current subscriptions, in subscription order: how full each queue
    /// is and how many items each has lost.
    pub fn subscribers(&self) -> Vec<SubscriberCounters> {
        self.shared
            .registry
            .lock()
            .0
            .iter()
            .map(|slot| SubscriberCounters {
                id: slot.id,
                queued: slot.tx.len(),
                capacity: slot.tx.capacity().unwrap_or(usize::MAX),
                dropped: slot.meta.dropped.load(Ordering::Relaxed),
                overflow: slot.meta.overflow,
            })
            .collect()
    }
}

/// One subscription as [`Bus::subscribers`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriberCounters {
    /// Its id on this bus, in subscription order (ids are not reused).
    pub id: u64,
    /// Items in its queue, not yet received.
    pub queued: usize,
    /// How many items its queue holds.
    pub capacity: usize,
    /// Items it lost over its life (reported to it as [`Item::Lagged`]), or
    /// that a blocked publisher gave up on.
    pub dropped: u64,
    /// What happens when its queue is full.
    pub overflow: Overflow,
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::object::{Action, Address, Event, Link, Neighbour, Object, Route};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::time::SystemTime;

    pub(super) fn tag(name: &str, id: u64) -> NetnsTag {
        NetnsTag {
            name: Arc::from(name),
            id,
        }
    }

    fn link(ifindex: u32, name: &str) -> Object {
        Object::Link(Link {
            ifindex,
            ifname: Some(crate::object::Name::new(name)),
            flags: 0x1003,
            link_type: 1,
            mtu: Some(1500),
            operstate: Some(6),
            txqlen: Some(1000),
            ..Link::default()
        })
    }

    fn addr(family: u8, ifindex: u32) -> Object {
        let ip = if family == 10 {
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))
        } else {
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))
        };
        Object::Address(Address {
            family,
            prefix_len: 24,
            flags: 0x80,
            ifindex,
            local: Some(ip),
            address: Some(ip),
            ..Address::default()
        })
    }

    fn route(family: u8, table: u32, oif: Option<u32>) -> Object {
        Object::Route(Route {
            family,
            oif,
            table,
            protocol: 4,
            route_type: 1,
            priority: Some(50),
            ..Route::default()
        })
    }

    fn neigh(family: u8, ifindex: u32) -> Object {
        Object::Neighbour(Neighbour {
            family,
            ifindex,
            state: 0x80,
            neigh_type: 1,
            ..Neighbour::default()
        })
    }

    /// An event labelled by `seq` (unique across the test stream, so that every
    /// received item names exactly one published one).
    pub(super) fn event(
        netns: &NetnsTag,
        seq: u64,
        action: Action,
        ifname: Option<&str>,
        object: Object,
    ) -> Item {
        Item::Event(Arc::new(Event {
            netns: netns.clone(),
            seq,
            timestamp: SystemTime::UNIX_EPOCH,
            action,
            origin: Default::default(),
            ifname: ifname.map(crate::object::Name::new),
            object,
        }))
    }

    /// Publishes link events `from..=to` on a new thread, returning once that thread
    /// has started (it may then wait on a full `Block` queue).
    pub(super) fn publish_on_thread(
        bus: &Arc<Bus>,
        from: u64,
        to: u64,
    ) -> std::thread::JoinHandle<()> {
        let (started_tx, started) = crossbeam_channel::bounded(0);
        let bus = bus.clone();
        let publisher = std::thread::spawn(move || {
            started_tx.send(()).unwrap();
            links(from, to).for_each(|i| bus.publish(i));
        });
        started.recv().unwrap();
        publisher
    }

    /// Link events `from..=to` in namespace `a`, for the overflow tests.
    pub(super) fn links(from: u64, to: u64) -> impl Iterator<Item = Item> {
        let a = tag("a", 1);
        (from..=to).map(move |seq| event(&a, seq, Action::New, Some("x"), link(1, "x")))
    }

    /// What a subscriber holds, as labels: `7` for the event with seq 7,
    /// `lagged:3`, `over:b`, `add:a`, `gone:a`.
    pub(super) fn drain(sub: &Subscription) -> Vec<String> {
        std::iter::from_fn(|| sub.try_recv().ok())
            .map(label)
            .collect()
    }

    /// One item as `drain` labels it.
    pub(super) fn label(item: Item) -> String {
        match item {
            Item::Event(e) => e.seq.to_string(),
            Item::Lagged { missed } => format!("lagged:{missed}"),
            Item::Overrun { netns, .. } => format!("over:{}", netns.name),
            Item::NamespaceAdded { netns, .. } => format!("add:{}", netns.name),
            Item::NamespaceGone { netns, .. } => format!("gone:{}", netns.name),
            Item::SyncDone { netns, .. } => format!("sync:{}", netns.name),
            Item::ResyncDone { netns, .. } => format!("resync:{}", netns.name),
            Item::SinkStopped { sink, .. } => format!("stopped:{}", sink.0),
            Item::DiscoveryFailed { path, .. } => format!("failed:{}", path.display()),
        }
    }

    pub(super) fn labels(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    /// Two namespaces, every kind, both actions, both families, two tables, known
    /// and unknown interface names, and control items in between.
    fn stream() -> Vec<Item> {
        let (a, b) = (tag("a", 1), tag("b", 2));
        use Action::{Del, New};
        vec![
            Item::NamespaceAdded {
                netns: a.clone(),
                timestamp: SystemTime::UNIX_EPOCH,
            },
            event(&a, 1, New, Some("lo"), link(1, "lo")),
            event(&a, 2, New, Some("veth0"), link(2, "veth0")),
            event(&a, 3, New, Some("veth0"), addr(2, 2)),
            event(&a, 4, New, Some("veth0"), addr(10, 2)),
            event(&a, 5, New, Some("veth0"), route(2, 254, Some(2))),
            event(&a, 6, New, Some("br0"), route(10, 100, Some(3))),
            event(&a, 7, New, Some("veth0"), neigh(2, 2)),
            Item::NamespaceAdded {
                netns: b.clone(),
                timestamp: SystemTime::UNIX_EPOCH,
            },
            event(&b, 8, New, Some("eth0"), link(2, "eth0")),
            event(&b, 9, Del, Some("eth0"), addr(2, 2)),
            // No output interface, so neither an ifindex nor a name.
            event(&b, 10, New, None, route(2, 100, None)),
            // A bridge FDB entry (AF_BRIDGE) on an interface whose name is unknown.
            event(&b, 11, Del, None, neigh(7, 5)),
            event(&b, 12, Del, Some("veth9"), link(5, "veth9")),
            Item::Overrun {
                netns: b.clone(),
                timestamp: SystemTime::UNIX_EPOCH,
            },
            event(&a, 13, Del, Some("veth0"), route(2, 254, Some(2))),
            Item::NamespaceGone {
                netns: a,
                reason: GoneReason::Removed,
                timestamp: SystemTime::UNIX_EPOCH,
            },
        ]
    }

    #[test]
    fn each_criterion_selects_exactly_what_it_names() {
        use ObjectKind::*;
        let cases: Vec<(Filter, &str)> = vec![
            (
                Filter::new(),
                "add:a 1 2 3 4 5 6 7 add:b 8 9 10 11 12 over:b 13 gone:a",
            ),
            // Namespace: ids, names, both (each item once), a namespace not seen.
            (
                Filter::new().namespace_id(1),
                "add:a 1 2 3 4 5 6 7 13 gone:a",
            ),
            (
                Filter::new().namespace_name("b"),
                "add:b 8 9 10 11 12 over:b",
            ),
            (
                Filter::new().namespace_id(1).namespace_name("b"),
                "add:a 1 2 3 4 5 6 7 add:b 8 9 10 11 12 over:b 13 gone:a",
            ),
            (
                Filter::new().namespace_id(1).namespace_name("a"),
                "add:a 1 2 3 4 5 6 7 13 gone:a",
            ),
            (
                Filter::new()
                    .namespace_id(2)
                    .namespace_name("b")
                    .object(Link),
                "add:b 8 12 over:b",
            ),
            (Filter::new().namespace_id(3), ""),
            // Object kinds; control items ignore every criterion but the namespace.
            (
                Filter::new().object(Link),
                "add:a 1 2 add:b 8 12 over:b gone:a",
            ),
            (
                Filter::new().objects([Address, Neighbour]),
                "add:a 3 4 7 add:b 9 11 over:b gone:a",
            ),
            (
                Filter::new().action(Action::Del),
                "add:a add:b 9 11 12 over:b 13 gone:a",
            ),
            (
                Filter::new().action(Action::New).action(Action::Del),
                "add:a 1 2 3 4 5 6 7 add:b 8 9 10 11 12 over:b 13 gone:a",
            ),
            (
                Filter::new().ifindex(2),
                "add:a 2 3 4 5 7 add:b 8 9 over:b 13 gone:a",
            ),
            (
                Filter::new().ifindex(3).ifindex(5),
                "add:a 6 add:b 11 12 over:b gone:a",
            ),
            (
                Filter::new().ifname("veth*"),
                "add:a 2 3 4 5 7 add:b 12 over:b 13 gone:a",
            ),
            (
                Filter::new().ifname("eth?"),
                "add:a add:b 8 9 over:b gone:a",
            ),
            (
                Filter::new().ifname("*"),
                "add:a 1 2 3 4 5 6 7 add:b 8 9 12 over:b 13 gone:a",
            ),
            // Links never match a family.
            (
                Filter::new().family(2),
                "add:a 3 5 7 add:b 9 10 over:b 13 gone:a",
            ),
            (Filter::new().family(10), "add:a 4 6 add:b over:b gone:a"),
            (Filter::new().family(7), "add:a add:b 11 over:b gone:a"),
            // Only routes have a table.
            (Filter::new().table(100), "add:a 6 add:b 10 over:b gone:a"),
            (Filter::new().table(254), "add:a 5 add:b over:b 13 gone:a"),
            // All criteria together.
            (
                Filter::new()
                    .namespace_id(1)
                    .object(Route)
                    .action(Action::New)
                    .ifindex(2)
                    .ifname("veth?")
                    .family(2)
                    .table(254),
                "add:a 5 gone:a",
            ),
            (
                Filter::new()
                    .namespace_name("b")
                    .action(Action::Del)
                    .ifname("*9"),
                "add:b 12 over:b",
            ),
        ];
        let bus = Bus::new();
        let subs: Vec<_> = cases
            .iter()
            .map(|(f, _)| bus.subscribe(f.clone(), 64, Overflow::DropNewest))
            .collect();
        for item in stream() {
            bus.publish(item);
        }
        for ((filter, want), sub) in cases.iter().zip(&subs) {
            assert_eq!(sub.subscribed_filter(), filter);
            let got = drain(sub);
            assert_eq!(got, labels(want), "filter {filter:?}");
            // The bus and `Filter::matches` agree.
            let matching = stream().iter().filter(|i| filter.matches(i)).count();
            assert_eq!(got.len(), matching, "filter {filter:?}");
            assert_eq!(sub.dropped(), 0);
        }
    }

    #[test]
    fn events_are_shared_not_copied() {
        let bus = Bus::new();
        let subs: Vec<_> = (0..3)
            .map(|_| bus.subscribe(Filter::new(), 4, Overflow::DropOldest))
            .collect();
        let item = links(1, 1).next().unwrap();
        let Item::Event(published) = &item else {
            unreachable!()
        };
        let published = published.clone();
        bus.publish(item);
        for sub in &subs {
            let Ok(Item::Event(got)) = sub.try_recv() else {
                panic!("no event")
            };
            assert!(Arc::ptr_eq(&got, &published));
        }
    }

    #[test]
    fn lagged_reaches_its_own_subscriber_before_its_next_item() {
        let bus = Bus::new();
        let routes = bus.subscribe(
            Filter::new().object(ObjectKind::Route),
            2,
            Overflow::DropNewest,
        );
        let other = bus.subscribe(
            Filter::new().object(ObjectKind::Link),
            64,
            Overflow::DropNewest,
        );
        for item in stream() {
            bus.publish(item);
        }
        // Routes are 5, 6, 10 and 13; the queue held two, and the control items
        // (which pass an object-kind filter) were dropped like any item.
        assert_eq!(drain(&routes), labels("add:a 5"));
        assert_eq!(routes.dropped(), 6);
        // A published item the filter rejects does not carry the report ...
        bus.publish(links(20, 20).next().unwrap());
        assert_eq!(drain(&routes), Vec::<String>::new());
        // ... the next one it accepts does, after the report.
        bus.publish(event(
            &tag("a", 1),
            21,
            Action::New,
            None,
            route(2, 254, None),
        ));
        assert_eq!(drain(&routes), labels("lagged:6 21"));
        // The other subscriber lost nothing and saw no report.
        assert_eq!(
            drain(&other),
            labels("add:a 1 2 add:b 8 12 over:b gone:a 20")
        );
        assert_eq!(other.dropped(), 0);
    }

    #[test]
    fn drop_oldest_keeps_the_newest_and_reports_the_exact_count() {
        let bus = Bus::new();
        let sub = bus.subscribe(Filter::new(), 4, Overflow::DropOldest);
        links(1, 10).for_each(|i| bus.publish(i));
        assert_eq!(sub.dropped(), 6);
        assert_eq!(drain(&sub), labels("7 8 9 10"));
        links(11, 12).for_each(|i| bus.publish(i));
        assert_eq!(drain(&sub), labels("lagged:6 11 12"));
        assert_eq!(sub.dropped(), 6);
    }

    #[test]
    fn drop_oldest_recounts_a_report_it_had_to_remove() {
        let bus = Bus::new();
        let sub = bus.subscribe(Filter::new(), 2, Overflow::DropOldest);
        links(1, 5).for_each(|i| bus.publish(i));
        assert_eq!(sub.try_recv().ok().map(|_| ()), Some(()));
        // Queue [5]; 6 brings the report for 1..=3 but pushes 5 out; 7 pushes the
        // report out, so its count is carried into the next one.
        links(6, 7).for_each(|i| bus.publish(i));
        assert_eq!(drain(&sub), labels("6 7"));
        links(8, 8).for_each(|i| bus.publish(i));
        assert_eq!(drain(&sub), labels("lagged:4 8"));
        assert_eq!(sub.dropped(), 4); // 1, 2, 3 and 5
    }

    #[test]
    fn drop_oldest_needs_room_for_a_report_and_an_item() {
        let bus = Bus::new();
        let sub = bus.subscribe(Filter::new(), 1, Overflow::DropOldest);
        assert_eq!(sub.rx.capacity(), Some(2));
        links(1, 3).for_each(|i| bus.publish(i));
        assert_eq!(drain(&sub), labels("2 3"));
        links(4, 4).for_each(|i| bus.publish(i));
        assert_eq!(drain(&sub), labels("lagged:1 4"));
    }

    #[test]
    fn drop_newest_keeps_the_oldest_and_reports_the_exact_count() {
        let bus = Bus::new();
        let sub = bus.subscribe(Filter::new(), 4, Overflow::DropNewest);
        links(1, 10).for_each(|i| bus.publish(i));
        assert_eq!(sub.dropped(), 6);
        assert_eq!(drain(&sub), labels("1 2 3 4"));
        links(11, 12).for_each(|i| bus.publish(i));
        assert_eq!(drain(&sub), labels("lagged:6 11 12"));
        // With one free place the report takes it and the new item is dropped.
        links(13, 17).for_each(|i| bus.publish(i));
        assert_eq!(sub.try_recv().ok().map(|_| ()), Some(()));
        links(18, 18).for_each(|i| bus.publish(i));
        assert_eq!(drain(&sub), labels("14 15 16 lagged:1"));
        links(19, 19).for_each(|i| bus.publish(i));
        assert_eq!(drain(&sub), labels("lagged:1 19"));
        assert_eq!(sub.dropped(), 8);
    }

    #[test]
    fn block_delivers_everything_in_order_to_a_consumer_on_another_thread() {
        let bus = Bus::new();
        let sub = bus.subscribe(Filter::new(), 2, Overflow::Block);
        let consumer = std::thread::spawn(move || {
            let mut seqs = Vec::new();
            for item in &sub {
                let Item::Event(e) = item else {
                    panic!("unexpected {item:?}")
                };
                seqs.push(e.seq);
            }
            (seqs, sub.dropped())
        });
        links(1, 2000).for_each(|i| bus.publish(i));
        bus.close();
        let (seqs, dropped) = consumer.join().unwrap();
        assert_eq!(seqs, (1..=2000).collect::<Vec<_>>());
        assert_eq!(dropped, 0);
    }

    #[test]
    fn block_gives_up_when_the_bus_closes() {
        let bus = Arc::new(Bus::new());
        let sub = bus.subscribe(Filter::new(), 1, Overflow::Block);
        links(1, 1).for_each(|i| bus.publish(i));
        // The queue is full and nobody reads: this waits until close.
        let publisher = publish_on_thread(&bus, 2, 3);
        bus.close();
        publisher.join().unwrap();
        // Whether the publisher was already waiting when the bus closed or not,
        // nothing after the first item was delivered and the iteration ends.
        assert_eq!(sub.map(|_| ()).count(), 1);
    }

    #[test]
    fn stop_waiting_frees_block_publishers_and_keeps_the_bus_open() {
        let bus = Arc::new(Bus::new());
        let stuck = bus.subscribe(Filter::new(), 1, Overflow::Block);
        let other = bus.subscribe(Filter::new(), 8, Overflow::Block);
        links(1, 1).for_each(|i| bus.publish(i));
        let publisher = publish_on_thread(&bus, 2, 2);
        bus.stop_waiting();
        publisher.join().unwrap();
        // Still open: a later item reaches the subscriber with room at once and
        // is dropped, counted, for the full one.
        links(3, 3).for_each(|i| bus.publish(i));
        assert!(!bus.is_closed());
        assert_eq!(drain(&other), labels("1 2 3"));
        assert_eq!(drain(&stuck), labels("1"));
        assert_eq!(stuck.dropped(), 2);
    }

    #[test]
    fn block_gives_up_when_the_subscription_is_dropped() {
        let bus = Arc::new(Bus::new());
        let sub = bus.subscribe(Filter::new(), 1, Overflow::Block);
        // A clone of the receiver keeps the channel open: only the drop of the
        // subscription says the subscriber is gone.
        let keep = sub.rx.clone();
        links(1, 1).for_each(|i| bus.publish(i));
        let publisher = publish_on_thread(&bus, 2, 2);
        drop(sub);
        publisher.join().unwrap();
        assert!(!bus.is_closed());
        assert_eq!(keep.len(), 1);
    }

    #[test]
    fn concurrent_publishers_lose_nothing_uncounted_and_keep_their_order() {
        const PER_THREAD: u64 = 20_000;
        for overflow in [Overflow::DropOldest, Overflow::DropNewest] {
            let bus = Arc::new(Bus::new());
            let sub = bus.subscribe(Filter::new(), 16, overflow);
            let consumer = std::thread::spawn(move || {
                let (mut events, mut reported) = (Vec::new(), 0);
                for item in &sub {
                    match item {
                        Item::Event(e) => events.push((e.netns.id, e.seq)),
                        Item::Lagged { missed } => reported += missed,
                        other => panic!("unexpected {other:?}"),
                    }
                }
                (events, reported, sub.dropped())
            });
            let publishers: Vec<_> = (1..=2)
                .map(|id| {
                    let bus = bus.clone();
                    std::thread::spawn(move || {
                        let netns = tag("", id);
                        for seq in 1..=PER_THREAD {
                            bus.publish(event(&netns, seq, Action::New, None, link(1, "x")));
                        }
                    })
                })
                .collect();
            publishers.into_iter().for_each(|p| p.join().unwrap());
            bus.close();
            let (events, reported, dropped) = consumer.join().unwrap();
            assert_eq!(
                events.len() as u64 + dropped,
                2 * PER_THREAD,
                "{overflow:?}"
            );
            // Losses after the last delivered report have no later item to precede.
            assert!(reported <= dropped, "{overflow:?}: {reported} > {dropped}");
            for id in 1..=2 {
                let seqs: Vec<u64> = events.iter().filter(|e| e.0 == id).map(|e| e.1).collect();
                assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{overflow:?}");
            }
        }
    }

    #[test]
    fn a_dropped_subscription_is_removed() {
        let bus = Bus::new();
        let kept = bus.subscribe(Filter::new().namespace_id(1), 8, Overflow::DropNewest);
        let gone = [Overflow::DropOldest, Overflow::DropNewest, Overflow::Block]
            .map(|o| bus.subscribe(Filter::new().namespace_id(1), 8, o));
        assert_eq!(bus.subscriber_count(), 4);
        drop(gone);
        assert_eq!(bus.subscriber_count(), 1);
        let index = bus.shared.index.read().clone();
        assert_eq!(index.all.len(), 1);
        assert_eq!(index.by_netns_id[&1].all.len(), 1);
        links(1, 2).for_each(|i| bus.publish(i));
        assert_eq!(drain(&kept), labels("1 2"));
    }

    #[test]
    fn a_stuck_subscriber_does_not_hold_back_another() {
        let bus = Bus::new();
        let stuck_oldest = bus.subscribe(Filter::new(), 4, Overflow::DropOldest);
        let stuck_newest = bus.subscribe(Filter::new(), 4, Overflow::DropNewest);
        let reader = bus.subscribe(Filter::new(), 1000, Overflow::DropNewest);
        links(1, 1000).for_each(|i| bus.publish(i));
        let seqs: Vec<u64> = drain(&reader).iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(seqs, (1..=1000).collect::<Vec<_>>());
        assert_eq!(reader.dropped(), 0);
        assert_eq!(stuck_oldest.dropped(), 996);
        assert_eq!(stuck_newest.dropped(), 996);
        assert_eq!(drain(&stuck_oldest), labels("997 998 999 1000"));
        assert_eq!(drain(&stuck_newest), labels("1 2 3 4"));
    }

    #[test]
    fn close_ends_every_subscription_and_later_ones() {
        let bus = Bus::new();
        let before = bus.subscribe(Filter::new(), 8, Overflow::DropOldest);
        links(1, 1).for_each(|i| bus.publish(i));
        bus.close();
        links(2, 2).for_each(|i| bus.publish(i));
        let after = bus.subscribe(Filter::new(), 8, Overflow::DropOldest);
        assert_eq!(bus.subscriber_count(), 0);
        assert_eq!(before.map(|_| ()).count(), 1);
        assert_eq!(after.recv(), None);
    }

    /// A `DropOldest` subscriber that read nothing while the last items came
    /// still learns, when the bus closes, that it lost some: the report takes
    /// the oldest item's place (it was never delivered before: every offer
    /// found the queue full, and none came after).
    #[test]
    fn a_loss_left_unreported_at_close_is_reported() {
        let bus = Bus::new();
        let sub = bus.subscribe(Filter::new(), 4, Overflow::DropOldest);
        links(1, 10).for_each(|i| bus.publish(i));
        bus.close();
        let dropped = sub.dropped();
        let items: Vec<Item> = sub.collect();
        let missed: u64 = items
            .iter()
            .map(|i| match *i {
                Item::Lagged { missed } => missed,
                _ => 0,
            })
            .sum();
        assert_eq!(missed, 7, "{items:?}");
        assert_eq!(missed + items.len() as u64 - 1, 10);
        assert_eq!(dropped, 7);
    }

    /// A sink that counts what it is given and answers `answers` in turn
    /// (continue once they run out).
    struct Scripted {
        seen: Arc<AtomicU64>,
        answers: Vec<Result<Flow, &'static str>>,
    }

    impl Sink for Scripted {
        fn item(&mut self, _item: &Item) -> Result<Flow, SinkError> {
            self.seen.fetch_add(1, Ordering::Relaxed);
            if self.answers.is_empty() {
                return Ok(Flow::Continue);
            }
            self.answers.remove(0).map_err(SinkError::from)
        }
    }

    #[test]
    fn a_sink_that_stops_or_fails_is_removed_and_reported_to_everyone() {
        let bus = Bus::new();
        let all = bus.subscribe(Filter::new(), 64, Overflow::DropNewest);
        let control = bus.subscribe(Filter::new().events(false), 64, Overflow::DropNewest);
        let counts: Vec<Arc<AtomicU64>> = (0..3).map(|_| Arc::default()).collect();
        let sink = |i: usize, answers| {
            bus.add_sink(
                Filter::new(),
                Box::new(Scripted {
                    seen: counts[i].clone(),
                    answers,
                }),
            )
        };
        let stops = sink(0, vec![Ok(Flow::Continue), Ok(Flow::Stop)]);
        let fails = sink(1, vec![Err("disk full")]);
        let keeps = sink(2, vec![]);
        assert_ne!(stops, fails);
        links(1, 4).for_each(|i| bus.publish(i));
        // Each was called until it answered otherwise, never after: the first
        // stops at the report of the second's failure. The one that keeps going
        // also saw both reports.
        let seen: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        assert_eq!(seen, [2, 1, 6]);
        // Each report follows the item that made its sink stop.
        let label = |sink: SinkId| {
            if sink == stops {
                "stopped:stops"
            } else if sink == fails {
                "stopped:fails"
            } else {
                "stopped:?"
            }
        };
        let labelled = |sub: &Subscription| -> Vec<String> {
            sub.try_iter()
                .map(|item| match item {
                    Item::Event(e) => e.seq.to_string(),
                    Item::SinkStopped { sink, error } => {
                        format!("{}:{}", label(sink), error.as_deref().unwrap_or_default())
                    }
                    other => format!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(
            labelled(&all),
            labels("1 stopped:fails:disk-full stopped:stops: 2 3 4")
                .iter()
                .map(|l| l.replace("disk-full", "disk full"))
                .collect::<Vec<_>>()
        );
        // The control subscriber received the reports and no event.
        assert_eq!(
            labelled(&control),
            ["stopped:fails:disk full", "stopped:stops:"]
        );
        assert_ne!(keeps, stops);
        assert_eq!(bus.shared.sinks.lock().0.len(), 1);
    }

    /// A subscriber's bounded queue allocates all its slots when it subscribes
    /// (65,536 by default), so every byte of `Item` counts 64 KiB per
    /// subscriber: a new variant must not make it grow. (It grew from 32 when
    /// control items got their time, which a replay must reproduce.)
    #[test]
    fn an_item_stays_48_bytes() {
        assert_eq!(std::mem::size_of::<Item>(), 48);
    }

    #[test]
    fn a_published_lagged_reaches_every_subscriber() {
        let bus = Bus::new();
        let a = bus.subscribe(Filter::new().namespace_id(1), 8, Overflow::DropOldest);
        let b = bus.subscribe(
            Filter::new().object(ObjectKind::Route),
            8,
            Overflow::DropOldest,
        );
        bus.publish(Item::Lagged { missed: 5 });
        assert_eq!(drain(&a), labels("lagged:5"));
        assert_eq!(drain(&b), labels("lagged:5"));
    }
}
