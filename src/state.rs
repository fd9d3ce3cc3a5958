//! The state view: what one namespace currently holds, kept from its dumps and its
//! events, and copied out as a [`Snapshot`].
//!
//! Objects are kept by the identity the kernel gives them: a link by ifindex; an
//! address by family, interface, address and prefix length; a route by family,
//! table, destination, source, TOS and metric, plus the output device for IPv6
//! (the kernel's own keys, so a replaced route replaces); a neighbour by family, interface, destination and,
//! for bridge FDB entries, link-layer address. Only links of family `AF_UNSPEC`
//! (not a bridge's per-port messages) and routes of IPv4 and IPv6 are kept.
//!
//! This module never touches a socket and never publishes: the reader decides what
//! to announce from what [`NsState::apply`] reports.

use crate::compact::{CompactStr, HwAddr};
use crate::event::{Action, Address, Link, Neighbour, NetnsTag, Object, ObjectKind, Route};
use crate::wire::consts::{AF_BRIDGE, AF_INET, AF_INET6, AF_UNSPEC};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// A consistent copy of what one namespace holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The namespace.
    pub netns: NetnsTag,
    /// The sequence number of the last event of this namespace reflected here:
    /// events with a higher `seq` happened after the copy was taken.
    pub seq: u64,
    /// Whether the initial dump has completed (before that the view is partial).
    pub synced: bool,
    /// Links, by ifindex.
    pub links: Vec<Link>,
    /// Addresses, by family, interface, address and prefix length.
    pub addresses: Vec<Address>,
    /// IPv4 and IPv6 routes, by family, table, destination and metric.
    pub routes: Vec<Route>,
    /// Neighbours, by family, interface and destination.
    pub neighbours: Vec<Neighbour>,
}

impl Snapshot {
    /// Every object, as the events that would rebuild it (all `new`).
    pub fn objects(&self) -> impl Iterator<Item = Object> + '_ {
        self.links
            .iter()
            .cloned()
            .map(Object::Link)
            .chain(self.addresses.iter().cloned().map(Object::Address))
            .chain(self.routes.iter().cloned().map(Object::Route))
            .chain(self.neighbours.iter().cloned().map(Object::Neighbour))
    }
}

/// `RTN_LOCAL`: a route to one of the host's own addresses.
const RTN_LOCAL: u8 = 2;

type AddrKey = (u8, u32, Option<IpAddr>, u8);
type RouteKey = (
    u8,
    u32,
    Option<IpAddr>,
    u8,
    Option<IpAddr>,
    u8,
    u8,
    u32,
    u32,
);
type NeighKey = (u8, u32, Option<IpAddr>, Option<HwAddr>);

/// The identity of a kept object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key {
    Link(u32),
    Address(AddrKey),
    Route(RouteKey),
    Neighbour(NeighKey),
}

impl Key {
    /// The identity of `obj`, or `None` for objects the view does not keep.
    pub(crate) fn of(obj: &Object) -> Option<Key> {
        Some(match obj {
            Object::Link(l) if l.family == AF_UNSPEC => Key::Link(l.ifindex),
            Object::Link(_) => return None,
            Object::Address(a) => Key::Address((a.family, a.ifindex, a.primary(), a.prefix_len)),
            Object::Route(r) if r.family == AF_INET || r.family == AF_INET6 => Key::Route((
                r.family,
                r.table,
                r.dst,
                r.dst_len,
                r.src,
                r.src_len,
                r.tos,
                r.priority.unwrap_or(0),
                // IPv6 keeps routes to one prefix with one metric apart per device
                // (multicast and local routes of every link, say); IPv4 does not.
                if r.family == AF_INET6 {
                    r.oif.unwrap_or(0)
                } else {
                    0
                },
            )),
            Object::Route(_) => return None,
            Object::Neighbour(n) => Key::Neighbour((
                n.family,
                n.ifindex,
                n.dst,
                if n.family == AF_BRIDGE {
                    n.lladdr
                } else {
                    None
                },
            )),
        })
    }

    pub(crate) fn kind(&self) -> ObjectKind {
        match self {
            Key::Link(_) => ObjectKind::Link,
            Key::Address(_) => ObjectKind::Address,
            Key::Route(_) => ObjectKind::Route,
            Key::Neighbour(_) => ObjectKind::Neighbour,
        }
    }
}

/// Whether two versions of a link describe the same state: all but the change
/// mask, which only says how the link came to be. Destructured so that a new field
/// cannot be forgotten.
fn same_link(a: &Link, b: &Link) -> bool {
    let Link {
        family,
        ifindex,
        ifname,
        flags,
        change: _,
        link_type,
        mtu,
        operstate,
        address,
        broadcast,
        master,
        link,
        link_netnsid,
        kind,
        slave_kind,
        txqlen,
        alt_names,
    } = a;
    (family, ifindex, ifname, flags, link_type, mtu, operstate)
        == (
            &b.family,
            &b.ifindex,
            &b.ifname,
            &b.flags,
            &b.link_type,
            &b.mtu,
            &b.operstate,
        )
        && (address, broadcast, master, link, link_netnsid)
            == (
                &b.address,
                &b.broadcast,
                &b.master,
                &b.link,
                &b.link_netnsid,
            )
        && (kind, slave_kind, txqlen, alt_names)
            == (&b.kind, &b.slave_kind, &b.txqlen, &b.alt_names)
}

/// Whether two versions of an address describe the same state: all but the
/// lifetimes, which tick by themselves.
fn same_address(a: &Address, b: &Address) -> bool {
    let Address {
        family,
        prefix_len,
        flags,
        scope,
        ifindex,
        local,
        address,
        broadcast,
        label,
        valid_lft: _,
        preferred_lft: _,
    } = a;
    (family, prefix_len, flags, scope, ifindex)
        == (&b.family, &b.prefix_len, &b.flags, &b.scope, &b.ifindex)
        && (local, address, broadcast, label) == (&b.local, &b.address, &b.broadcast, &b.label)
}

/// What applying an object changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// It was not there and now is, or it changed.
    Changed,
    /// It was there already, the same.
    Unchanged,
    /// It was there and is now removed.
    Removed,
    /// A deletion of something not kept (already gone, or never seen).
    Absent,
    /// Not an object the view keeps.
    #[cfg(test)]
    Ignored,
}

/// The links an object uses: an address's or neighbour's interface, a route's
/// output interface and next hops.
fn used_links(obj: &Object) -> impl Iterator<Item = u32> + '_ {
    let (first, hops): (Option<u32>, &[crate::event::NextHop]) = match obj {
        Object::Link(_) => (None, &[]),
        Object::Address(a) => (Some(a.ifindex), &[]),
        Object::Route(r) => (r.oif, &r.nexthops),
        Object::Neighbour(n) => (Some(n.ifindex), &[]),
    };
    first.into_iter().chain(hops.iter().map(|h| h.ifindex))
}

/// What one namespace holds.
#[derive(Debug, Default)]
pub(crate) struct NsState {
    links: BTreeMap<u32, Link>,
    addresses: BTreeMap<AddrKey, Address>,
    routes: BTreeMap<RouteKey, Route>,
    neighbours: BTreeMap<NeighKey, Neighbour>,
    /// ifindex -> the addresses, routes and neighbours that use it, so a link's
    /// deletion finds its dependents without scanning everything.
    users: HashMap<u32, BTreeSet<Key>>,
    /// Preferred source address -> the IPv4 routes that name it, so an address's
    /// removal finds the routes the kernel flushes with it without a scan.
    by_prefsrc: HashMap<IpAddr, BTreeSet<RouteKey>>,
}

/// The preferred source of `r` when the view indexes it (IPv4 routes only).
fn indexed_prefsrc(r: &Route) -> Option<IpAddr> {
    if r.family == AF_INET {
        r.prefsrc
    } else {
        None
    }
}

impl NsState {
    /// The name of link `ifindex`, if it exists.
    pub(crate) fn name(&self, ifindex: u32) -> Option<CompactStr> {
        self.links.get(&ifindex).and_then(|l| l.ifname.clone())
    }

    /// The flags of link `ifindex`, if it exists.
    pub(crate) fn link_flags(&self, ifindex: u32) -> Option<u32> {
        self.links.get(&ifindex).map(|l| l.flags)
    }

    /// Whether the object kept under `key` is `obj`, in what matters for state.
    fn holds_same(&self, key: &Key, obj: &Object) -> bool {
        match (key, obj) {
            (Key::Link(k), Object::Link(o)) => self.links.get(k).is_some_and(|x| same_link(x, o)),
            (Key::Address(k), Object::Address(o)) => {
                self.addresses.get(k).is_some_and(|x| same_address(x, o))
            }
            (Key::Route(k), Object::Route(o)) => self.routes.get(k) == Some(o),
            (Key::Neighbour(k), Object::Neighbour(o)) => self.neighbours.get(k) == Some(o),
            _ => false,
        }
    }

    fn insert(&mut self, key: Key, obj: Object) {
        // A replaced object may have used other links.
        self.unlink(&key);
        for ifindex in used_links(&obj) {
            self.users.entry(ifindex).or_default().insert(key.clone());
        }
        match (key, obj) {
            (Key::Link(k), Object::Link(o)) => {
                self.links.insert(k, o);
            }
            (Key::Address(k), Object::Address(o)) => {
                self.addresses.insert(k, o);
            }
            (Key::Route(k), Object::Route(o)) => {
                if let Some(src) = indexed_prefsrc(&o) {
                    self.by_prefsrc.entry(src).or_default().insert(k);
                }
                self.routes.insert(k, o);
            }
            (Key::Neighbour(k), Object::Neighbour(o)) => {
                self.neighbours.insert(k, o);
            }
            _ => {}
        }
    }

    /// Forgets which links (and, for a route, which preferred source) the object
    /// kept under `key` uses.
    fn unlink(&mut self, key: &Key) {
        let users = &mut self.users;
        let mut forget = |ifindex: u32| {
            if let Some(set) = users.get_mut(&ifindex) {
                set.remove(key);
                if set.is_empty() {
                    users.remove(&ifindex);
                }
            }
        };
        match key {
            Key::Link(_) => {}
            Key::Address(k) => {
                if let Some(a) = self.addresses.get(k) {
                    forget(a.ifindex);
                }
            }
            Key::Route(k) => {
                if let Some(r) = self.routes.get(k) {
                    r.oif
                        .into_iter()
                        .chain(r.nexthops.iter().map(|h| h.ifindex))
                        .for_each(&mut forget);
                    if let Some(src) = indexed_prefsrc(r) {
                        if let Some(set) = self.by_prefsrc.get_mut(&src) {
                            set.remove(k);
                            if set.is_empty() {
                                self.by_prefsrc.remove(&src);
                            }
                        }
                    }
                }
            }
            Key::Neighbour(k) => {
                if let Some(n) = self.neighbours.get(k) {
                    forget(n.ifindex);
                }
            }
        }
    }

    /// Removes the object with `key`, returning it.
    pub(crate) fn remove(&mut self, key: &Key) -> Option<Object> {
        self.unlink(key);
        match key {
            Key::Link(k) => self.links.remove(k).map(Object::Link),
            Key::Address(k) => self.addresses.remove(k).map(Object::Address),
            Key::Route(k) => self.routes.remove(k).map(Object::Route),
            Key::Neighbour(k) => self.neighbours.remove(k).map(Object::Neighbour),
        }
    }

    /// Applies one change.
    #[cfg(test)]
    pub(crate) fn apply(&mut self, action: Action, obj: &Object) -> Applied {
        match Key::of(obj) {
            Some(key) => self.apply_keyed(key, action, obj),
            None => Applied::Ignored,
        }
    }

    /// Applies one change to the object kept under `key` (`obj`'s [`Key::of`]).
    pub(crate) fn apply_keyed(&mut self, key: Key, action: Action, obj: &Object) -> Applied {
        match action {
            Action::New if self.holds_same(&key, obj) => Applied::Unchanged,
            Action::New => {
                self.insert(key, obj.clone());
                Applied::Changed
            }
            Action::Del => match self.remove(&key) {
                Some(_) => Applied::Removed,
                None => Applied::Absent,
            },
        }
    }

    /// The keys of every kept object of `kind`.
    pub(crate) fn keys(&self, kind: ObjectKind) -> Vec<Key> {
        match kind {
            ObjectKind::Link => self.links.keys().map(|k| Key::Link(*k)).collect(),
            ObjectKind::Address => self.addresses.keys().map(|k| Key::Address(*k)).collect(),
            ObjectKind::Route => self.routes.keys().map(|k| Key::Route(*k)).collect(),
            ObjectKind::Neighbour => self.neighbours.keys().map(|k| Key::Neighbour(*k)).collect(),
        }
    }

    /// The keys of the addresses, routes and neighbours that use link `ifindex`
    /// (a route uses it when its output interface or any of its next hops does).
    pub(crate) fn dependents(&self, ifindex: u32) -> Vec<Key> {
        self.users
            .get(&ifindex)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The IPv4 routes whose every next hop is on link `ifindex`: what the kernel
    /// flushes, unannounced, when the link goes down. Local routes (the link's own
    /// addresses, table local) stay.
    pub(crate) fn ipv4_routes_only_via(&self, ifindex: u32) -> Vec<Key> {
        self.dependents(ifindex)
            .into_iter()
            .filter(|k| match k {
                Key::Route(rk) => self.routes.get(rk).is_some_and(|r| {
                    r.family == AF_INET
                        && r.route_type != RTN_LOCAL
                        && (if r.nexthops.is_empty() {
                            r.oif == Some(ifindex)
                        } else {
                            r.nexthops.iter().all(|h| h.ifindex == ifindex)
                        })
                }),
                _ => false,
            })
            .collect()
    }

    /// The IPv4 routes whose preferred source is `local`: what the kernel flushes,
    /// unannounced, when that address is removed.
    pub(crate) fn ipv4_routes_with_prefsrc(&self, local: IpAddr) -> Vec<Key> {
        self.by_prefsrc
            .get(&local)
            .map(|set| set.iter().map(|k| Key::Route(*k)).collect())
            .unwrap_or_default()
    }

    /// A copy of the objects of the `kinds` given.
    pub(crate) fn snapshot(
        &self,
        netns: NetnsTag,
        seq: u64,
        synced: bool,
        kinds: &[ObjectKind],
    ) -> Snapshot {
        let want = |k| kinds.contains(&k);
        Snapshot {
            netns,
            seq,
            synced,
            links: if want(ObjectKind::Link) {
                self.links.values().cloned().collect()
            } else {
                Vec::new()
            },
            addresses: if want(ObjectKind::Address) {
                self.addresses.values().cloned().collect()
            } else {
                Vec::new()
            },
            routes: if want(ObjectKind::Route) {
                self.routes.values().cloned().collect()
            } else {
                Vec::new()
            },
            neighbours: if want(ObjectKind::Neighbour) {
                self.neighbours.values().cloned().collect()
            } else {
                Vec::new()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::NextHop;

    fn link(ifindex: u32, name: &str) -> Object {
        Object::Link(Link {
            ifindex,
            ifname: Some(CompactStr::new(name)),
            ..Link::default()
        })
    }

    #[test]
    fn apply_reports_changes_and_ignores_what_it_does_not_keep() {
        let mut s = NsState::default();
        assert_eq!(s.apply(Action::New, &link(2, "a")), Applied::Changed);
        assert_eq!(s.apply(Action::New, &link(2, "a")), Applied::Unchanged);
        // Only the change mask differs: the same state.
        let mut with_change = link(2, "a");
        if let Object::Link(l) = &mut with_change {
            l.change = 0xffff_ffff;
        }
        assert_eq!(s.apply(Action::New, &with_change), Applied::Unchanged);
        assert_eq!(s.apply(Action::New, &link(2, "b")), Applied::Changed);
        assert_eq!(s.name(2).as_deref(), Some("b"));
        // A bridge's per-port view does not replace the link.
        let port = Object::Link(Link {
            family: AF_BRIDGE,
            ifindex: 2,
            ..Link::default()
        });
        assert_eq!(s.apply(Action::Del, &port), Applied::Ignored);
        assert_eq!(s.name(2).as_deref(), Some("b"));
        assert_eq!(s.apply(Action::Del, &link(2, "b")), Applied::Removed);
        assert_eq!(s.apply(Action::Del, &link(2, "b")), Applied::Absent);
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    fn addr4(ifindex: u32, local: &str) -> Object {
        Object::Address(Address {
            family: 2,
            ifindex,
            local: ip(local),
            prefix_len: 24,
            ..Address::default()
        })
    }

    /// An IPv4 /24 in table main, through `oif` or, when `hops` is not empty,
    /// through next hops on those links.
    fn route4(dst: &str, oif: Option<u32>, hops: &[u32]) -> Object {
        Object::Route(Route {
            family: 2,
            table: 254,
            dst: ip(dst),
            dst_len: 24,
            oif,
            nexthops: hops
                .iter()
                .map(|&ifindex| NextHop {
                    ifindex,
                    ..NextHop::default()
                })
                .collect(),
            ..Route::default()
        })
    }

    #[test]
    fn dependents_of_a_link_are_its_addresses_routes_and_neighbours() {
        let mut s = NsState::default();
        s.apply(Action::New, &link(3, "v"));
        s.apply(Action::New, &addr4(3, "10.0.0.1"));
        s.apply(Action::New, &addr4(4, "10.0.1.1"));
        s.apply(Action::New, &route4("10.1.0.0", Some(3), &[]));
        s.apply(Action::New, &route4("10.2.0.0", None, &[4, 3]));
        s.apply(Action::New, &route4("10.3.0.0", Some(4), &[]));
        s.apply(
            Action::New,
            &Object::Neighbour(Neighbour {
                family: 2,
                ifindex: 3,
                dst: ip("10.0.0.2"),
                ..Neighbour::default()
            }),
        );
        let deps = s.dependents(3);
        let kinds: Vec<_> = deps.iter().map(Key::kind).collect();
        assert_eq!(
            kinds,
            [
                ObjectKind::Address,
                ObjectKind::Route,
                ObjectKind::Route,
                ObjectKind::Neighbour
            ]
        );
        // The same key replaces: 10.3.0.0/24 moves from link 4 to link 3.
        assert_eq!(s.keys(ObjectKind::Route).len(), 3);
        s.apply(Action::New, &route4("10.3.0.0", Some(3), &[]));
        assert_eq!(s.keys(ObjectKind::Route).len(), 3);
        assert_eq!(s.dependents(3).len(), 5);
        // And link 4 no longer counts it among its users.
        assert_eq!(s.dependents(4).len(), 2);
    }

    #[test]
    fn routes_by_preferred_source_follow_replacement_and_removal() {
        let with_src = |dst: &str, src: &str| match route4(dst, Some(3), &[]) {
            Object::Route(r) => Object::Route(Route {
                prefsrc: ip(src),
                ..r
            }),
            _ => unreachable!(),
        };
        let mut s = NsState::default();
        s.apply(Action::New, &with_src("10.1.0.0", "10.0.0.1"));
        s.apply(Action::New, &with_src("10.2.0.0", "10.0.0.1"));
        s.apply(Action::New, &with_src("10.3.0.0", "10.0.0.2"));
        let a = ip("10.0.0.1").unwrap();
        let b = ip("10.0.0.2").unwrap();
        assert_eq!(s.ipv4_routes_with_prefsrc(a).len(), 2);
        assert_eq!(s.ipv4_routes_with_prefsrc(b).len(), 1);
        // Replaced under the same key with another source: it moves.
        s.apply(Action::New, &with_src("10.2.0.0", "10.0.0.2"));
        assert_eq!(s.ipv4_routes_with_prefsrc(a).len(), 1);
        assert_eq!(s.ipv4_routes_with_prefsrc(b).len(), 2);
        // Removed: forgotten, and the emptied entry with it.
        s.apply(Action::Del, &with_src("10.1.0.0", "10.0.0.1"));
        assert!(s.ipv4_routes_with_prefsrc(a).is_empty());
        assert!(!s.by_prefsrc.contains_key(&a));
        // IPv6 routes are not indexed (the kernel flushes by prefsrc for IPv4 only).
        let v6 = Object::Route(Route {
            family: AF_INET6,
            dst: ip("2001:db8::"),
            dst_len: 64,
            prefsrc: ip("2001:db8::1"),
            oif: Some(3),
            ..Route::default()
        });
        s.apply(Action::New, &v6);
        assert!(s
            .ipv4_routes_with_prefsrc(ip("2001:db8::1").unwrap())
            .is_empty());
    }
}
