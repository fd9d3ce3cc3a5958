//! The state view: what one namespace currently holds, kept from its dumps and its
//! events, and copied out as a [`Snapshot`].
//!
//! Objects are kept by the identity the kernel gives them, which each kind
//! defines (`Kind::key`): a link by ifindex; an address by interface, family,
//! address and prefix length; a route by family, table, destination, source, TOS
//! and metric, plus the output device for IPv6 (the kernel's own keys, so a
//! replaced route replaces); a neighbour by interface, family, destination and,
//! for bridge FDB entries, link-layer address. Keys are plain integers and the
//! maps are ordered, so snapshots come out sorted and a link's addresses and
//! neighbours are one range. One map per kind, generated from the registry.
//!
//! Besides the maps, two indexes serve the deletions the kernel makes without a
//! word (see `infer`): the routes that use each link, and the IPv4 routes by
//! preferred source.
//!
//! This module never touches a socket and never publishes: the reader decides what
//! to announce from what [`NsState::apply_keyed`] reports.

use crate::object::RouteKey;
use crate::object::{
    for_each_kind, Action, Address, Kind, Link, Name, Neighbour, NetnsTag, Object, ObjectKind,
    Route,
};
use crate::wire::consts::{AF_INET, RTN_LOCAL};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// Generates [`Snapshot`], [`Key`] and the per-kind maps from the registry.
macro_rules! define_tables {
    ($($variant:ident($ty:ident) $field:ident $name:literal [$($alias:literal),*] $doc:literal;)*) => {
        /// A consistent copy of what one namespace holds.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Snapshot {
            /// The namespace.
            pub netns: NetnsTag,
            /// The sequence number of the last event of this namespace reflected
            /// here: events with a higher `seq` happened after the copy was taken.
            pub seq: u64,
            /// Whether the initial dump has completed (before that the view is
            /// partial).
            pub synced: bool,
            $(
                #[doc = concat!("The `", $name, "` objects, in key order (empty when not asked for).")]
                pub $field: Vec<$ty>,
            )*
        }

        impl Snapshot {
            /// Every object, as the events that would rebuild it (all `new`), kind
            /// by kind in registry order.
            pub fn objects(&self) -> impl Iterator<Item = Object> + '_ {
                std::iter::empty()
                    $(.chain(self.$field.iter().cloned().map(Object::$variant)))*
            }
        }

        /// The identity of a kept object.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum Key {
            $($variant(<$ty as Kind>::Key),)*
        }

        impl Key {
            /// The identity of `obj`, or `None` for objects the view does not keep.
            pub(crate) fn of(obj: &Object) -> Option<Key> {
                match obj {
                    $(Object::$variant(o) => o.key().map(Key::$variant),)*
                }
            }

            pub(crate) fn kind(&self) -> ObjectKind {
                match self {
                    $(Key::$variant(_) => ObjectKind::$variant,)*
                }
            }
        }

        /// One map per kind.
        #[derive(Debug, Default)]
        struct Tables {
            $($field: BTreeMap<<$ty as Kind>::Key, $ty>,)*
        }

        impl Tables {
            fn remove(&mut self, key: &Key) -> Option<Object> {
                match key {
                    $(Key::$variant(k) => self.$field.remove(k).map(Object::$variant),)*
                }
            }

            /// Inserts `obj` under `key`: `None` when the same state was there,
            /// else `Some(the replaced object)`.
            fn upsert(&mut self, key: Key, obj: &Object) -> Option<Option<Object>> {
                match (key, obj) {
                    $((Key::$variant(k), Object::$variant(o)) => {
                        upsert(&mut self.$field, k, o).map(|r| r.map(Object::$variant))
                    })*
                    // A key is always made from its own kind's object.
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }

            fn keys(&self, kind: ObjectKind) -> Vec<Key> {
                match kind {
                    $(ObjectKind::$variant => self.$field.keys().map(|k| Key::$variant(*k)).collect(),)*
                }
            }

            /// The keys of every kind that find link `ifindex`'s objects.
            fn keys_on_link(&self, ifindex: u32) -> Vec<Key> {
                let mut keys = Vec::new();
                $(keys.extend(
                    <$ty as Kind>::keys_on_link(&self.$field, ifindex)
                        .into_iter()
                        .map(Key::$variant),
                );)*
                keys
            }

            fn snapshot(&self, netns: NetnsTag, seq: u64, synced: bool, kinds: &[ObjectKind]) -> Snapshot {
                let want = |k| kinds.contains(&k);
                Snapshot {
                    netns,
                    seq,
                    synced,
                    $($field: if want(ObjectKind::$variant) {
                        self.$field.values().cloned().collect()
                    } else {
                        Vec::new()
                    },)*
                }
            }
        }
    };
}

for_each_kind!(define_tables);

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

/// The links a route uses: its output interface and next hops.
fn used_links(obj: &Object) -> impl Iterator<Item = u32> + '_ {
    let (first, hops): (Option<u32>, &[crate::object::NextHop]) = match obj {
        Object::Route(r) => (r.oif, &r.nexthops),
        _ => (None, &[]),
    };
    first.into_iter().chain(hops.iter().map(|h| h.ifindex))
}

/// What one namespace holds.
#[derive(Debug, Default)]
pub(crate) struct NsState {
    tables: Tables,
    /// (ifindex, key) for every route that uses the link, so a link's deletion
    /// finds its routes with one range query. One set for the namespace rather
    /// than one per link: no allocation per link. (Addresses and neighbours need
    /// none: their keys start with the ifindex.)
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

/// Inserts `obj` under `key` unless the same state is there; returns `None` when
/// it was, else `Some(the replaced value)`.
fn upsert<K: Ord, V: Kind>(map: &mut BTreeMap<K, V>, key: K, obj: &V) -> Option<Option<V>> {
    match map.entry(key) {
        Entry::Occupied(mut e) if !e.get().same_state(obj) => Some(Some(e.insert(obj.clone()))),
        Entry::Occupied(_) => None,
        Entry::Vacant(e) => {
            e.insert(obj.clone());
            Some(None)
        }
    }
}

impl NsState {
    /// The name of link `ifindex`, if it exists.
    pub(crate) fn name(&self, ifindex: u32) -> Option<Name> {
        self.tables
            .links
            .get(&ifindex)
            .and_then(|l| l.ifname.clone())
    }

    /// The flags of link `ifindex`, if it exists.
    pub(crate) fn link_flags(&self, ifindex: u32) -> Option<u32> {
        self.tables.links.get(&ifindex).map(|l| l.flags)
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
        let old = self.tables.remove(key)?;
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
        match self.tables.upsert(key, obj) {
            None => Applied::Unchanged,
            Some(old) => {
                self.reindex(key, old.as_ref(), Some(obj));
                Applied::Changed
            }
        }
    }

    /// The keys of every kept object of `kind`.
    pub(crate) fn keys(&self, kind: ObjectKind) -> Vec<Key> {
        self.tables.keys(kind)
    }

    /// The keys of the objects that use link `ifindex` and vanish with it: those
    /// whose key starts with it (addresses, neighbours), and the routes whose
    /// output interface or any next hop is on it.
    pub(crate) fn dependents(&self, ifindex: u32) -> Vec<Key> {
        // In registry order (deletions are announced in it): the routes go after
        // the addresses and before the neighbours.
        let mut keys = self.tables.keys_on_link(ifindex);
        let at = keys.partition_point(|k| k.kind() <= ObjectKind::Route);
        keys.splice(at..at, self.routes_via(ifindex).map(Key::Route));
        keys
    }

    /// The IPv4 routes whose every next hop is on link `ifindex`: what the kernel
    /// flushes, unannounced, when the link goes down. Local routes (the link's own
    /// addresses, table local) stay.
    pub(crate) fn ipv4_routes_only_via(&self, ifindex: u32) -> Vec<Key> {
        self.routes_via(ifindex)
            .filter(|rk| {
                self.tables.routes.get(rk).is_some_and(|r| {
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
        self.tables.snapshot(netns, seq, synced, kinds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::NextHop;
    use crate::wire::consts::{AF_BRIDGE, AF_INET6};

    fn link(ifindex: u32, name: &str) -> Object {
        Object::Link(Link {
            ifindex,
            ifname: Some(Name::new(name)),
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
        assert_eq!(s.name(2).as_ref().and_then(|n| n.to_str()), Some("b"));
        // A bridge's per-port view does not replace the link.
        let port = Object::Link(Link {
            family: AF_BRIDGE,
            ifindex: 2,
            ..Link::default()
        });
        assert_eq!(s.apply(Action::Del, &port), Applied::Ignored);
        assert_eq!(s.name(2).as_ref().and_then(|n| n.to_str()), Some("b"));
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
