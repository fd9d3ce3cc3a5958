//! The state view: what one namespace currently holds, kept from its dumps and its
//! events, and copied out as a [`Snapshot`].
//!
//! Objects are kept by the identity the kernel gives them: a link by ifindex; an
//! address by interface, family, address and prefix length; a route by family,
//! table, destination, source, TOS and metric, plus the output device for IPv6
//! (the kernel's own keys, so a replaced route replaces); a neighbour by
//! interface, family, destination and, for bridge FDB entries, link-layer address.
//! Only links of family `AF_UNSPEC` (not a bridge's per-port messages) and routes
//! of IPv4 and IPv6 are kept. Keys are plain integers and the maps are ordered, so
//! snapshots come out sorted and a link's addresses and neighbours are one range.
//!
//! This module never touches a socket and never publishes: the reader decides what
//! to announce from what [`NsState::apply`] reports.

use crate::compact::{CompactStr, HwAddr};
use crate::event::{Action, Address, Link, Neighbour, NetnsTag, Object, ObjectKind, Route};
use crate::wire::consts::{AF_BRIDGE, AF_INET, AF_INET6, AF_UNSPEC};
use std::collections::btree_map::Entry;
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
    /// Addresses, by interface, family, address and prefix length.
    pub addresses: Vec<Address>,
    /// IPv4 and IPv6 routes, by family, table, destination and metric.
    pub routes: Vec<Route>,
    /// Neighbours, by interface, family and destination.
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

/// An address as a number, for keys: IPv4 in the low 32 bits, absent as 0. Keys
/// hold no family-less addresses (the family is part of every key), and the only
/// absent address the kernel sends is a default route's destination, which is
/// the zero address anyway.
fn ip_bits(ip: Option<IpAddr>) -> u128 {
    match ip {
        None => 0,
        Some(IpAddr::V4(v4)) => u32::from(v4).into(),
        Some(IpAddr::V6(v6)) => v6.into(),
    }
}

/// An address's identity. Plain integers, so comparing keys (the maps compare
/// them at every lookup) is a handful of machine compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct AddrKey {
    // The interface first: a link's addresses are one range of the map.
    ifindex: u32,
    family: u8,
    local: u128,
    prefix_len: u8,
}

/// A route's identity: the kernel's own (table, destination, source, TOS,
/// metric), plus the output device for IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RouteKey {
    family: u8,
    table: u32,
    dst: u128,
    dst_len: u8,
    src: u128,
    src_len: u8,
    tos: u8,
    priority: u32,
    oif: u32,
}

impl RouteKey {
    /// The smallest key.
    const MIN: RouteKey = RouteKey {
        family: 0,
        table: 0,
        dst: 0,
        dst_len: 0,
        src: 0,
        src_len: 0,
        tos: 0,
        priority: 0,
        oif: 0,
    };
}

/// A neighbour's identity; bridge FDB entries are told apart by link-layer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NeighKey {
    // The interface first: a link's neighbours are one range of the map.
    ifindex: u32,
    family: u8,
    dst: u128,
    lladdr: Option<HwAddr>,
}

/// The identity of a kept object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
            Object::Address(a) => Key::Address(AddrKey {
                family: a.family,
                ifindex: a.ifindex,
                local: ip_bits(a.primary()),
                prefix_len: a.prefix_len,
            }),
            Object::Route(r) if r.family == AF_INET || r.family == AF_INET6 => {
                Key::Route(RouteKey {
                    family: r.family,
                    table: r.table,
                    dst: ip_bits(r.dst),
                    dst_len: r.dst_len,
                    src: ip_bits(r.src),
                    src_len: r.src_len,
                    tos: r.tos,
                    priority: r.priority.unwrap_or(0),
                    // IPv6 keeps routes to one prefix with one metric apart per
                    // device (multicast and local routes of every link, say); IPv4
                    // does not.
                    oif: if r.family == AF_INET6 {
                        r.oif.unwrap_or(0)
                    } else {
                        0
                    },
                })
            }
            Object::Route(_) => return None,
            Object::Neighbour(n) => Key::Neighbour(NeighKey {
                family: n.family,
                ifindex: n.ifindex,
                dst: ip_bits(n.dst),
                lladdr: if n.family == AF_BRIDGE {
                    n.lladdr
                } else {
                    None
                },
            }),
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

/// The links a route uses: its output interface and next hops. (Addresses and
/// neighbours are keyed by their interface, so they need no index.)
fn used_links(obj: &Object) -> impl Iterator<Item = u32> + '_ {
    let (first, hops): (Option<u32>, &[crate::event::NextHop]) = match obj {
        Object::Route(r) => (r.oif, &r.nexthops),
        _ => (None, &[]),
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
    /// (ifindex, key) for every route that uses the link, so a link's deletion
    /// finds its routes with one range query. One set for the namespace rather
    /// than one per link: no allocation per link.
    users: BTreeSet<(u32, RouteKey)>,
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

/// Inserts `obj` under `key` unless the same (by `same`) is there; returns
/// `None` when it was, else `Some(the replaced value)`.
fn upsert<K: Ord, V: Clone>(
    map: &mut BTreeMap<K, V>,
    key: K,
    obj: &V,
    same: impl Fn(&V, &V) -> bool,
) -> Option<Option<V>> {
    match map.entry(key) {
        Entry::Occupied(mut e) if !same(e.get(), obj) => Some(Some(e.insert(obj.clone()))),
        Entry::Occupied(_) => None,
        Entry::Vacant(e) => {
            e.insert(obj.clone());
            Some(None)
        }
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

    /// Keeps the indexes right after the object under `key` went from `old` to
    /// `new` (either absent).
    fn reindex(&mut self, key: Key, old: Option<&Object>, new: Option<&Object>) {
        fn links(o: Option<&Object>) -> impl Iterator<Item = u32> + '_ {
            o.into_iter().flat_map(used_links)
        }
        let Key::Route(rk) = key else { return };
        if !links(old).eq(links(new)) {
            for ifindex in links(old) {
                self.users.remove(&(ifindex, rk));
            }
            for ifindex in links(new) {
                self.users.insert((ifindex, rk));
            }
        }
        let src = |o: Option<&Object>| match o {
            Some(Object::Route(r)) => indexed_prefsrc(r),
            _ => None,
        };
        let (before, after) = (src(old), src(new));
        if before == after {
            return;
        }
        if let Some(ip) = before {
            if let Some(set) = self.by_prefsrc.get_mut(&ip) {
                set.remove(&rk);
                if set.is_empty() {
                    self.by_prefsrc.remove(&ip);
                }
            }
        }
        if let Some(ip) = after {
            self.by_prefsrc.entry(ip).or_default().insert(rk);
        }
    }

    /// Removes the object with `key`, returning it.
    pub(crate) fn remove(&mut self, key: &Key) -> Option<Object> {
        let old = match key {
            Key::Link(k) => self.links.remove(k).map(Object::Link),
            Key::Address(k) => self.addresses.remove(k).map(Object::Address),
            Key::Route(k) => self.routes.remove(k).map(Object::Route),
            Key::Neighbour(k) => self.neighbours.remove(k).map(Object::Neighbour),
        }?;
        self.reindex(*key, Some(&old), None);
        Some(old)
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
        if action == Action::Del {
            return match self.remove(&key) {
                Some(_) => Applied::Removed,
                None => Applied::Absent,
            };
        }
        let replaced = match (key, obj) {
            (Key::Link(k), Object::Link(o)) => {
                upsert(&mut self.links, k, o, same_link).map(|r| r.map(Object::Link))
            }
            (Key::Address(k), Object::Address(o)) => {
                upsert(&mut self.addresses, k, o, same_address).map(|r| r.map(Object::Address))
            }
            (Key::Route(k), Object::Route(o)) => {
                upsert(&mut self.routes, k, o, Route::eq).map(|r| r.map(Object::Route))
            }
            (Key::Neighbour(k), Object::Neighbour(o)) => {
                upsert(&mut self.neighbours, k, o, Neighbour::eq).map(|r| r.map(Object::Neighbour))
            }
            _ => None,
        };
        match replaced {
            None => Applied::Unchanged,
            Some(old) => {
                self.reindex(key, old.as_ref(), Some(obj));
                Applied::Changed
            }
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
        let addresses = self
            .addresses
            .range(
                AddrKey {
                    ifindex,
                    family: 0,
                    local: 0,
                    prefix_len: 0,
                }..,
            )
            .take_while(|(k, _)| k.ifindex == ifindex)
            .map(|(k, _)| Key::Address(*k));
        let routes = self.routes_via(ifindex).map(Key::Route);
        let neighbours = self
            .neighbours
            .range(
                NeighKey {
                    ifindex,
                    family: 0,
                    dst: 0,
                    lladdr: None,
                }..,
            )
            .take_while(|(k, _)| k.ifindex == ifindex)
            .map(|(k, _)| Key::Neighbour(*k));
        addresses.chain(routes).chain(neighbours).collect()
    }

    /// The IPv4 routes whose every next hop is on link `ifindex`: what the kernel
    /// flushes, unannounced, when the link goes down. Local routes (the link's own
    /// addresses, table local) stay.
    pub(crate) fn ipv4_routes_only_via(&self, ifindex: u32) -> Vec<Key> {
        self.routes_via(ifindex)
            .filter(|rk| {
                self.routes.get(rk).is_some_and(|r| {
                    r.family == AF_INET
                        && r.route_type != RTN_LOCAL
                        && (if r.nexthops.is_empty() {
                            r.oif == Some(ifindex)
                        } else {
                            r.nexthops.iter().all(|h| h.ifindex == ifindex)
                        })
                })
            })
            .map(Key::Route)
            .collect()
    }

    /// The keys of the routes that use link `ifindex` (output interface or a
    /// next hop), from the link index.
    fn routes_via(&self, ifindex: u32) -> impl Iterator<Item = RouteKey> + '_ {
        self.users
            .range((ifindex, RouteKey::MIN)..)
            .take_while(move |(i, _)| *i == ifindex)
            .map(|(_, k)| *k)
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
