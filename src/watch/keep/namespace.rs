//! What a watched namespace is to the reader and the monitor alike: its
//! identity and counters ([`Namespace`]), what is announced for it
//! ([`Policy`]), and the one way its events are published ([`Out`], through
//! an [`Outbox`]), which keeps the sequence, the view's names and the
//! counters right. The reader's own record of it, with the socket, the state
//! view and the dump rounds, is `sync::Entry`.
//!
//! Until the initial dump is complete (`SyncDone`), every event but the dump's
//! own is held back, in order, and published right after `SyncDone`: a subscriber
//! sees the namespace's existing objects, then `SyncDone`, then the changes,
//! whatever happened during the dump (the view is kept up to date meanwhile).
//! A change read before the dump showed its object is older than what the dump
//! showed: where the held changes would leave a subscriber with another state
//! than the view's, the view's follows them ([`Held`]).
//!
//! This module never reads a socket and never decides what an event means.

use super::state::{Key, NsState};
use crate::bus::{Bus, Item};
use crate::capture::Tap;
use crate::object::{Action, Event, Name, NetnsTag, Object, ObjectKind, Origin};
use crate::watch::metrics::Counters;
#[cfg(test)]
use crate::wire::NlMsg;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::SystemTime;

/// What a reader publishes while it holds its namespaces' entries, published
/// once it has let go of them: a subscriber that blocks the reader
/// (`Overflow::Block`) then never holds an entry's lock, so `Monitor::snapshot`
/// and the other calls that read entries cannot hang behind it. Kept in order,
/// and reused (its capacity stays).
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    items: RefCell<Vec<Item>>,
}

impl Outbox {
    /// Queues `item` for publishing.
    pub(crate) fn publish(&self, item: Item) {
        self.items.borrow_mut().push(item);
    }

    /// How many items are queued.
    pub(crate) fn len(&self) -> usize {
        self.items.borrow().len()
    }

    /// Publishes what was queued, in order.
    pub(crate) fn flush(&self, bus: &Bus) {
        let mut items = std::mem::take(&mut *self.items.borrow_mut());
        for item in items.drain(..) {
            bus.publish(item);
        }
        *self.items.borrow_mut() = items;
    }
}

/// What the reader and the monitor both know of a watched namespace.
#[derive(Debug)]
pub(crate) struct Namespace {
    pub(crate) tag: NetnsTag,
    pub(crate) portid: u32,
    pub(crate) rcvbuf: usize,
    /// Shared with the monitor's ledger, which adds them to its totals once
    /// the namespace is gone.
    pub(crate) counters: Arc<Counters>,
    /// Where what its socket receives is recorded, if it is.
    pub(crate) tap: Option<Tap>,
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

/// Events held back before `SyncDone` past which they are coalesced (see
/// [`coalesce`]), or twice the view's size if that is more: a namespace whose
/// initial dump runs long under a storm of changes holds memory in proportion to
/// what it holds, not to how long the dump runs.
const HELD_CAP: usize = 1 << 16;

/// The events held back until `SyncDone`, and what the initial dump showed
/// meanwhile.
///
/// The dump's events are published at once and the held ones after
/// `SyncDone`, so a held change that happened before the dump showed its
/// object comes after the dump's (later) picture of it: a deletion read before
/// the dump showed the object created again (its creation lost in an overrun)
/// would leave a subscriber without the object the view holds. Every held
/// change is published (a program printing changes shows them all); where the
/// last of them about such an object does not leave what the view holds, the
/// view's state follows them as a `Resync` difference. (Only when the dump's
/// objects are published.)
#[derive(Debug, Default)]
pub(crate) struct Held {
    events: Vec<Event>,
    /// Objects the initial dump showed while events were held, with how many
    /// were held then: those of them about the object came before.
    shown: foldhash::HashMap<Key, usize>,
}

impl Held {
    /// The initial dump showed the object `key`: what is held about it so far
    /// is superseded.
    pub(crate) fn shown(&mut self, key: Key) {
        if !self.events.is_empty() {
            self.shown.insert(key, self.events.len());
        }
    }

    /// Holds one more event; past the cap, what is held is coalesced first
    /// (and what the dump showed is forgotten: the coalesced events are what
    /// the view held then, applied after the dump's picture).
    fn push(&mut self, event: Event, cap: usize) {
        if self.events.len() >= cap {
            self.shown.clear();
            coalesce(&mut self.events);
        }
        self.events.push(event);
    }

    /// The events held, in order, and the objects the dump showed after every
    /// held event about them (with the index of the last of those events);
    /// nothing is held after.
    pub(crate) fn take(&mut self) -> (Vec<Event>, Vec<(Key, usize)>) {
        let shown = std::mem::take(&mut self.shown);
        let mut last: foldhash::HashMap<Key, usize> = Default::default();
        if !shown.is_empty() {
            for (i, ev) in self.events.iter().enumerate() {
                if let Some(key) = Key::of(&ev.object).filter(|k| shown.contains_key(k)) {
                    last.insert(key, i);
                }
            }
        }
        let mut superseded: Vec<(Key, usize)> = last
            .into_iter()
            .filter(|(key, i)| shown.get(key).is_some_and(|&at| *i < at))
            .collect();
        // In the order of those last events, not the map's: the repairs that
        // follow are published in this order, which must be the same in a
        // replay as it was live (each map has its own random hash order).
        superseded.sort_unstable_by_key(|&(_, i)| i);
        (std::mem::take(&mut self.events), superseded)
    }
}

/// Keeps, of the events held back, only the last one of each object (in the
/// order of those last events), and those of objects the view does not keep.
/// What a subscriber rebuilds from them after `SyncDone` is the same picture;
/// the states an object went through on the way are not told.
fn coalesce(held: &mut Vec<Event>) {
    let mut last: foldhash::HashMap<Key, usize> =
        foldhash::HashMap::with_capacity_and_hasher(held.len(), Default::default());
    for (i, ev) in held.iter().enumerate() {
        if let Some(key) = Key::of(&ev.object) {
            last.insert(key, i);
        }
    }
    let mut i = 0;
    held.retain(|ev| {
        let keep = Key::of(&ev.object).map_or(true, |key| last.get(&key) == Some(&i));
        i += 1;
        keep
    });
}

/// The name of the interface `object` belongs to, as the view knows it now.
pub(super) fn ifname_of(object: &Object, state: &NsState) -> Option<Name> {
    match object {
        Object::Link(l) => l.ifname.clone(),
        // A rule names its interfaces itself (it has no ifindex).
        Object::Rule(r) => r.iif.clone().or_else(|| r.oif.clone()),
        other => other.ifindex().and_then(|i| state.name(i)),
    }
}

/// Publishes events of one namespace, keeping its state view and sequence.
pub(crate) struct Out<'a> {
    pub(crate) ns: &'a Arc<Namespace>,
    pub(crate) policy: &'a Policy,
    pub(crate) seq: &'a mut u64,
    pub(crate) state: &'a mut NsState,
    pub(crate) now: SystemTime,
    pub(crate) outbox: &'a Outbox,
    /// Where events other than the dump's wait while the initial dump runs.
    pub(super) held: Option<&'a mut Held>,
}

impl Out<'_> {
    /// Publishes one event, named after its interface as the view knows it now.
    /// (Held back while the initial dump runs, unless it is part of the dump.)
    pub(crate) fn publish(&mut self, action: Action, origin: Origin, object: Object) {
        // Links are kept (and followed) whether asked for or not: they name the
        // rest and tell what the kernel deletes silently. Only what was asked
        // for is published.
        if !self.policy.kinds.contains(&object.kind()) {
            return;
        }
        let ifname = ifname_of(&object, self.state);
        // Only the dump's own events belong before `SyncDone`; every change
        // (live, synthesized, or a deletion the first dump of a kind found)
        // follows it, in order.
        if let Some(held) = self.held.as_mut().filter(|_| origin != Origin::Dump) {
            let event = Event {
                netns: self.ns.tag.clone(),
                seq: 0,
                timestamp: self.now,
                action,
                origin,
                ifname,
                object,
            };
            held.push(event, HELD_CAP.max(2 * self.state.len()));
            return;
        }
        *self.seq += 1;
        // Made in one expression inside its `Arc`, numbered already: the
        // object is copied once, into the allocation (an event made first and
        // numbered after was copied twice, ~250 bytes each time).
        let event = Arc::new(Event {
            netns: self.ns.tag.clone(),
            seq: *self.seq,
            timestamp: self.now,
            action,
            origin,
            ifname,
            object,
        });
        self.ns.counters.published(&event);
        self.outbox.publish(Item::Event(event));
    }

    /// The initial dump showed the object `key` (published or not): the
    /// changes held back about it so far are superseded (see [`Held`]).
    pub(crate) fn dump_showed(&mut self, key: Key) {
        if self.policy.list_existing {
            if let Some(held) = self.held.as_mut() {
                held.shown(key);
            }
        }
    }

    /// Publishes a control item about this namespace.
    pub(crate) fn control(&self, item: impl FnOnce(NetnsTag) -> Item) {
        self.outbox.publish(item(self.ns.tag.clone()));
    }

    /// Removes `keys` from the view, announcing each as a `del` of `origin` when
    /// `announce`.
    pub(crate) fn remove_all(&mut self, keys: Vec<Key>, origin: Origin, announce: bool) {
        for key in keys {
            if let Some(obj) = self.state.remove(&key) {
                if announce {
                    self.publish(Action::Del, origin, obj);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{Action, Link};
    use crate::wire::consts::{AF_BRIDGE, AF_INET, RTA_DST, RTA_GATEWAY, RTA_OIF, RTM_NEWROUTE};
    use std::sync::atomic::Ordering;

    fn ev(ifindex: u32, mtu: u32, family: u8) -> Event {
        let link = Link {
            ifindex,
            mtu: Some(mtu),
            family,
            ..Link::default()
        };
        Event::new(NetnsTag::default(), Action::New, Object::Link(link))
    }

    /// What the dump superseded comes in the order of the held events, the
    /// same every time (it came in a map's random order: a replay then
    /// published the repairs of a live run in another order, about one run in
    /// three of `a_recorded_run_with_truncated_dump_parts_replays_to_equal_items`).
    #[test]
    fn superseded_held_events_come_in_the_order_they_were_held() {
        for _ in 0..20 {
            let mut held = Held::default();
            for i in 1..=40 {
                held.push(ev(i, i, 0), HELD_CAP);
            }
            for i in 1..=40 {
                held.shown(Key::of(&ev(i, 0, 0).object).unwrap());
            }
            let (events, superseded) = held.take();
            assert_eq!(events.len(), 40);
            let order: Vec<usize> = superseded.iter().map(|&(_, i)| i).collect();
            assert_eq!(order, (0..40).collect::<Vec<_>>());
        }
    }

    /// Coalescing keeps the last event of each kept object, in the order of
    /// those last events, and every event of an object the view does not keep.
    #[test]
    fn held_events_coalesce_to_the_last_of_each_object() {
        let mut held = vec![
            ev(1, 1, 0),
            ev(2, 2, 0),
            ev(1, 3, 0),
            ev(3, 4, AF_BRIDGE),
            ev(2, 5, 0),
            ev(3, 6, AF_BRIDGE),
        ];
        coalesce(&mut held);
        let mtus: Vec<u32> = held
            .iter()
            .map(|e| match &e.object {
                Object::Link(l) => l.mtu.unwrap(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(mtus, [3, 4, 5, 6]);
    }

    /// An IPv4 route: RTA_DST 10.0.0.0, RTA_GATEWAY `gateway`, RTA_OIF 7.
    fn route(dst: &[u8], gateway: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 16];
        b[4..6].copy_from_slice(&RTM_NEWROUTE.to_ne_bytes());
        b.extend_from_slice(&[AF_INET, 24, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0]);
        for (kind, payload) in [(RTA_DST, dst), (RTA_GATEWAY, gateway)] {
            b.extend_from_slice(&(4 + payload.len() as u16).to_ne_bytes());
            b.extend_from_slice(&kind.to_ne_bytes());
            b.extend_from_slice(payload);
            b.resize(b.len().next_multiple_of(4), 0);
        }
        b.extend_from_slice(&8u16.to_ne_bytes());
        b.extend_from_slice(&RTA_OIF.to_ne_bytes());
        b.extend_from_slice(&7u32.to_ne_bytes());
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        b
    }

    /// An address that does not fit its family (its message's) is
    /// counted, as a skipped attribute (its route still published) or, when the
    /// route is keyed by it, as a decode error.
    #[test]
    fn addresses_that_do_not_fit_their_family_are_counted() {
        let v6 = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let c = Counters::default();
        let b = route(&[10, 0, 0, 0], &v6);
        let Ok(Some((Action::New, Object::Route(r)))) = c.decode(&NlMsg::new_checked(&b).unwrap())
        else {
            panic!("the route is hidden")
        };
        assert_eq!((r.gateway, r.oif), (None, Some(7)));
        let b = route(&v6, &[10, 0, 0, 1]);
        assert!(c.decode(&NlMsg::new_checked(&b).unwrap()).is_err());
        assert_eq!(c.attributes_skipped.load(Ordering::Relaxed), 1);
        assert_eq!(c.decode_errors.load(Ordering::Relaxed), 1);
    }
}
