//! The state view: what one namespace currently holds, kept from its dumps and its
//! events, and copied out as a [`Snapshot`].
//!
//! Objects are kept by the identity the kernel gives them, which each kind
//! defines (`Kind::key`): a link by ifindex; an address by interface, family,
//! address and prefix length; a nexthop object by its id; a route by family, table, destination, source, TOS
//! and metric, plus the output device for IPv6 (the kernel's own keys, so a
//! replaced route replaces); a neighbour by interface, family, destination and,
//! for bridge FDB entries, link-layer address; netconf by device and family; an
//! MDB entry by bridge, port, group, source and VLAN; a policy rule by
//! everything the kernel compares when it refuses a duplicate (`object::rule`);
//! a namespace id by the id. Keys are plain integers and the
//! maps are ordered, so snapshots come out sorted and a link's addresses and
//! neighbours are one range. One map per kind, generated from the registry,
//! of what each kind stores (`stored::Store`): routes as compact records that
//! read back as the same `Route`, the other kinds as they are.
//!
//! Besides the maps, indexes serve the deletions the kernel makes without a
//! word (see `infer`): the routes that use each link, the IPv4 routes by
//! preferred source, the nexthops on each link, the groups of each nexthop and
//! the routes that use each nexthop (`RTA_NH_ID`).
//!
//! This module never touches a socket and never publishes: the reader decides what
//! to announce from what [`NsState::apply_keyed`] reports.

use super::chunk_map::ChunkMap;
use super::stored::Store;
// Every kind's type, by the registry's names (the tables below).
use crate::object::kinds::*;
use crate::object::{for_each_kind, Action, Kind, Name, NetnsTag, Object, ObjectKind};
use crate::object::{link_keys, RouteKey, RuleKey};
use crate::wire::consts::{AF_INET, RTN_LOCAL};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::ops::Bound;

/// Generates [`Snapshot`], [`Key`] and the per-kind maps from the registry.
mod copy;
mod silent;

pub(crate) use copy::SnapshotCopy;
use copy::{merge, ChangeLog};

macro_rules! define_tables {
    ($($variant:ident($module:ident::$ty:ident) $field:ident $name:literal [$($alias:literal),*] $doc:literal;)*) => {
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

        /// One map per kind, of what each kind stores (`Store`: routes as
        /// compact records, the others as they are).
        #[derive(Debug, Default)]
        struct Tables {
            $($field: ChunkMap<<$ty as Kind>::Key, <$ty as Store>::Stored>,)*
        }

        impl Tables {
            fn remove(&mut self, key: &Key) -> Option<Object> {
                match key {
                    $(Key::$variant(k) => self.$field.remove(k).map(|s| Object::$variant(<$ty>::unstore(s))),)*
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

            /// Completes `obj` (a notification under `key`) from the object kept
            /// under it, if any (see `Kind::complete`).
            fn complete(&self, key: &Key, obj: &mut Object) {
                match (key, obj) {
                    $((Key::$variant(k), Object::$variant(o)) if <$ty as Kind>::PARTIAL => {
                        if let Some(kept) = self.$field.get(k) {
                            <$ty>::complete_from(o, kept);
                        }
                    })*
                    // A key is always made from its own kind's object.
                    #[allow(unreachable_patterns)]
                    _ => {}
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
                    keys_on_link::<$ty, _>(&self.$field, ifindex)
                        .into_iter()
                        .map(Key::$variant),
                );)*
                keys
            }

            fn len(&self) -> usize {
                0 $(+ self.$field.len())*
            }

            fn len_of(&self, kind: ObjectKind) -> usize {
                match kind {
                    $(ObjectKind::$variant => self.$field.len(),)*
                }
            }

            /// A copy of the object kept under `key`, if any.
            fn get(&self, key: &Key) -> Option<Object> {
                match key {
                    $(Key::$variant(k) => self.$field.get(k).map(|s| Object::$variant(<$ty>::load(s))),)*
                }
            }

            /// Whether `obj` is the state kept under `key` (as `Kind::same_state`
            /// judges it).
            fn holds_same(&self, key: &Key, obj: &Object) -> bool {
                match (key, obj) {
                    $((Key::$variant(k), Object::$variant(o)) => {
                        self.$field.get(k).is_some_and(|kept| <$ty>::holds_same(kept, o))
                    })*
                    // A key is always made from its own kind's object.
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }

            fn contains(&self, key: &Key) -> bool {
                match key {
                    $(Key::$variant(k) => self.$field.contains_key(k),)*
                }
            }

            /// Copies into `into` up to `budget` objects of `kind` whose keys come
            /// after `after`; returns how many, and the last key copied.
            fn copy_range(&self, into: &mut Copied, kind: ObjectKind, after: Option<Key>, budget: usize) -> (usize, Option<Key>) {
                match kind {
                    $(ObjectKind::$variant => {
                        let from = match after {
                            Some(Key::$variant(k)) => Bound::Excluded(k),
                            _ => Bound::Unbounded,
                        };
                        if after.is_none() {
                            // Room for the whole table at once: growing by
                            // doubling would copy it under the lock (measured:
                            // 5-11 ms at 32 Ki and 64 Ki routes). Reserving
                            // touches no memory yet.
                            into.$field.0.reserve(self.$field.len());
                        }
                        let before = into.$field.0.len();
                        into.$field.0.extend(
                            self.$field
                                .range((from, Bound::Unbounded))
                                .take(budget)
                                .map(|(k, v)| (*k, <$ty>::load(v))),
                        );
                        let last = into.$field.0.last().map(|(k, _)| Key::$variant(*k));
                        (into.$field.0.len() - before, last)
                    })*
                }
            }

            /// Records in `into` what this holds under `key` now, or nothing.
            fn copy_key(&self, into: &mut Copied, key: &Key) {
                match key {
                    $(Key::$variant(k) => {
                        into.$field.1.insert(*k, self.$field.get(k).map(<$ty>::load));
                    })*
                }
            }
        }

        /// A copy in the making: per kind, the objects copied in key order, and
        /// what changed under some keys since (`None`: removed), which wins.
        #[derive(Debug, Default)]
        struct Copied {
            $($field: (Vec<(<$ty as Kind>::Key, $ty)>, BTreeMap<<$ty as Kind>::Key, Option<$ty>>),)*
        }

        impl Copied {
            fn into_snapshot(self, netns: NetnsTag, seq: u64, synced: bool) -> Snapshot {
                Snapshot {
                    netns,
                    seq,
                    synced,
                    $($field: merge(self.$field.0, self.$field.1),)*
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

/// The keys in `map` of the objects of kind `K` that belong to link
/// `ifindex` (see [`Kind::first_key_on_link`] and [`Kind::ON_LINK`]): a
/// range of keys, a walk over the kind's keys only for a kind that asks for
/// one, else none.
fn keys_on_link<K: Kind, V>(map: &ChunkMap<K::Key, V>, ifindex: u32) -> Vec<K::Key> {
    if let Some(range) = link_keys::<K>(ifindex) {
        return map.range(range).map(|(k, _)| *k).collect();
    }
    match K::ON_LINK {
        Some(on) => map.keys().filter(|k| on(k, ifindex)).copied().collect(),
        None => Vec::new(),
    }
}

/// The links a route uses: its output interface and next hops.
fn used_links(obj: &Object) -> impl Iterator<Item = u32> + '_ {
    let (first, hops): (Option<u32>, &[crate::object::RouteHop]) = match obj {
        Object::Route(r) => (r.oif, &r.nexthops),
        _ => (None, &[]),
    };
    first.into_iter().chain(hops.iter().map(|h| h.ifindex))
}

/// How many inferred deletions a namespace remembers (see
/// `NsState::inferred`): the kernel announces what it announces right after the
/// change that made nlwatch infer them.
const INFERRED_KEPT: usize = 256;

/// What one namespace holds.
#[derive(Debug, Default)]
pub(crate) struct NsState {
    tables: Tables,
    /// (ifindex, key) for every route that uses the link, so a link's deletion
    /// finds its routes with one range query. One set for the namespace rather
    /// than one per link: no allocation per link. (Addresses and neighbours need
    /// none: their keys start with the ifindex.)
    users: ChunkMap<(u32, RouteKey), ()>,
    /// Preferred source address -> the IPv4 routes that name it, so an address's
    /// removal finds the routes the kernel flushes with it without a scan.
    /// A `Vec` per address, not a set: an address is the preferred source of a
    /// few routes (its local, broadcast and prefix routes), and a `BTreeSet`'s
    /// first leaf took 720 bytes for those few keys (measured). foldhash,
    /// as every hashed set of the view: SipHash cost more than the lookup.
    by_prefsrc: foldhash::HashMap<IpAddr, Vec<RouteKey>>,
    /// How many links hold each IPv4 address: the kernel flushes the routes
    /// with an address as preferred source only when its last link loses it.
    v4_locals: foldhash::HashMap<IpAddr, u32>,
    /// (ifindex, id) for every nexthop on a device: what a link takes along.
    nh_on_link: ChunkMap<(u32, u32), ()>,
    /// (member id, group id): the groups a nexthop is in.
    nh_groups: ChunkMap<(u32, u32), ()>,
    /// (nexthop id, key) for every route that uses a nexthop object.
    nh_routes: ChunkMap<(u32, RouteKey), ()>,
    /// The keys changed while snapshots are being copied (see [`SnapshotCopy`]).
    log: ChangeLog,
    /// Routes an address's removal may have taken along, to look at once the
    /// socket is quiet (see `infer::settle_deferred`).
    deferred: Vec<Key>,
    /// Routes whose deletion was inferred (the latest [`INFERRED_KEPT`]),
    /// until the kernel speaks of them: its own announcement of one, if it
    /// comes after all, is not told again. Kept by what the kernel said, not
    /// by when the socket was quiet, so that a replay (which sees only the
    /// looks that read something) keeps the same.
    inferred: Vec<Key>,
    /// The most objects held since memory was last handed back (see
    /// [`NsState::remove`]).
    high_water: usize,
}

/// Objects a view must have shed (and half of what it held at most) before
/// the memory they took is handed back to the system: a trim walks the whole
/// heap, so it is kept for mass deletions.
const TRIM_AFTER: usize = 4096;

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
fn upsert<K: Ord + Copy, V: Store>(
    map: &mut ChunkMap<K, V::Stored>,
    key: K,
    obj: &V,
) -> Option<Option<V>> {
    map.upsert_with(key, |kept| match kept {
        Some(kept) if V::holds_same(kept, obj) => (None, None),
        Some(kept) => (None, Some(Some(V::replace(kept, obj)))),
        None => (Some(obj.store()), Some(None)),
    })
}

impl NsState {
    /// The name of link `ifindex`, if it exists.
    pub(crate) fn name(&self, ifindex: u32) -> Option<Name> {
        self.tables
            .links
            .get(&ifindex)
            .and_then(|l| l.ifname.clone())
    }

    /// The bridge (or bond) link `ifindex` is a port of, if any.
    pub(crate) fn link_master(&self, ifindex: u32) -> Option<u32> {
        self.tables.links.get(&ifindex).and_then(|l| l.master)
    }

    /// Port `port` left bridge `bridge`: its local (permanent) entries in the
    /// bridge's forwarding database now point at another port of the bridge
    /// with the same MAC, or at the bridge itself when it has that MAC, as the
    /// kernel does (`fdb_delete_local`) without a notification; the others the
    /// kernel deletes and announces. Returns the entries moved, as they are now.
    pub(crate) fn fdb_repoint_local(&mut self, port: u32, bridge: u32) -> Vec<Object> {
        let mac_of = |l: &Link| l.address;
        let others: Vec<(u32, Option<crate::object::HwAddr>)> = self
            .tables
            .links
            .values()
            .filter(|l| l.master == Some(bridge) && l.ifindex != port)
            .map(|l| (l.ifindex, mac_of(l)))
            .collect();
        let bridge_mac = self.tables.links.get(&bridge).and_then(mac_of);
        let keys = keys_on_link::<FdbEntry, _>(&self.tables.fdb, bridge);
        let mut moved = Vec::new();
        for k in keys {
            let Some(e) = self.tables.fdb.get(&k) else {
                continue;
            };
            let local = e.state & crate::wire::consts::NUD_PERMANENT != 0;
            if e.ifindex != port || !local || e.mac.is_none() {
                continue;
            }
            let target = others
                .iter()
                .find(|(_, mac)| *mac == e.mac)
                .map(|(i, _)| *i)
                .or_else(|| (bridge_mac == e.mac).then_some(bridge));
            if let Some(target) = target {
                let mut now = e.clone();
                now.ifindex = target;
                let obj = Object::Fdb(now);
                self.apply_keyed(Key::Fdb(k), Action::New, &obj);
                moved.push(obj);
            }
        }
        moved
    }

    /// Folds a bridge's per-port message (a link of family `AF_BRIDGE`) into
    /// the port link it speaks of. The port's bridge settings (its STP
    /// `state`, `bridge_id`, `root_id`, ...) change with only that message to
    /// say so (the bridge going down disables its ports, STP moves them
    /// through its states), and the view keeps the port's own link, whose
    /// `IFLA_INFO_SLAVE_DATA` holds the same settings: they are replaced by
    /// the message's `IFLA_PROTINFO`. Returns the port link as it is now
    /// when that changed it (to publish), else `None`: nothing to fold, a
    /// port the view does not hold as a bridge port, or nothing new.
    pub(crate) fn fold_bridge_port(&mut self, port: &Link) -> Option<Object> {
        if port.is_interface() {
            return None;
        }
        let settings = port.details.as_deref()?.slave_data()?;
        let kept = self.tables.links.get(&port.ifindex)?;
        if kept.slave_kind.as_ref().map_or(true, |k| k != "bridge") {
            return None;
        }
        let details = kept.details.as_deref();
        if details.and_then(|d| d.slave_data()) == Some(settings) {
            return None;
        }
        let mut now = kept.clone();
        std::sync::Arc::make_mut(now.details.get_or_insert_with(Default::default))
            .set_slave_data(settings.clone());
        // No `IFF_*` flag changed.
        now.change = 0;
        let now = Object::Link(now);
        self.apply_keyed(Key::Link(port.ifindex), Action::New, &now);
        Some(now)
    }

    /// How many objects the view holds.
    pub(crate) fn len(&self) -> usize {
        self.tables.len()
    }

    /// How many objects of `kind` the view holds.
    pub(crate) fn len_of(&self, kind: ObjectKind) -> usize {
        self.tables.len_of(kind)
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
        if let Key::Nexthop(id) = key {
            self.reindex_nexthop(id, old, new);
            return;
        }
        if let Key::Address(_) = key {
            let local = |o: Option<&Object>| match o {
                Some(Object::Address(a)) if a.family == AF_INET => a.local,
                _ => None,
            };
            let (before, after) = (local(old), local(new));
            if before != after {
                if let Some(ip) = before {
                    if let Some(n) = self.v4_locals.get_mut(&ip) {
                        *n -= 1;
                        if *n == 0 {
                            self.v4_locals.remove(&ip);
                        }
                    }
                }
                if let Some(ip) = after {
                    *self.v4_locals.entry(ip).or_default() += 1;
                }
            }
            return;
        }
        let Key::Route(rk) = key else { return };
        let nh_id = |o: Option<&Object>| match o {
            Some(Object::Route(r)) => r.nh_id,
            _ => None,
        };
        let (before, after) = (nh_id(old), nh_id(new));
        if before != after {
            if let Some(id) = before {
                self.nh_routes.remove(&(id, rk));
            }
            if let Some(id) = after {
                self.nh_routes.insert((id, rk), ());
            }
        }
        if !links(old).eq(links(new)) {
            for ifindex in links(old) {
                self.users.remove(&(ifindex, rk));
            }
            for ifindex in links(new) {
                self.users.insert((ifindex, rk), ());
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
            if let Some(keys) = self.by_prefsrc.get_mut(&ip) {
                keys.retain(|k| *k != rk);
                if keys.is_empty() {
                    self.by_prefsrc.remove(&ip);
                } else if keys.capacity() > 2 * keys.len() {
                    keys.shrink_to_fit();
                }
            }
        }
        if let Some(ip) = after {
            let keys = self.by_prefsrc.entry(ip).or_default();
            // A key is indexed once: a route keeps its key when replaced.
            if !keys.contains(&rk) {
                // Room for exactly the keys: an address is the source of a
                // few routes (three, as the kernel makes them), and doubling
                // left a fourth key's room in each of 10,000 lists (massif:
                // 2.1 MiB of lists at the burst's peak).
                keys.reserve_exact(1);
                keys.push(rk);
            }
        }
    }

    /// [`NsState::reindex`] for nexthop `id`: its link and its members.
    fn reindex_nexthop(&mut self, id: u32, old: Option<&Object>, new: Option<&Object>) {
        let parts = |o: Option<&Object>| match o {
            Some(Object::Nexthop(n)) => (n.oif, n.group.iter().map(|m| m.id).collect()),
            _ => (None, Vec::new()),
        };
        let (old_oif, old_members) = parts(old);
        let (new_oif, new_members) = parts(new);
        if old_oif != new_oif {
            if let Some(i) = old_oif {
                self.nh_on_link.remove(&(i, id));
            }
            if let Some(i) = new_oif {
                self.nh_on_link.insert((i, id), ());
            }
        }
        if old_members != new_members {
            for m in old_members {
                self.nh_groups.remove(&(m, id));
            }
            for m in new_members {
                self.nh_groups.insert((m, id), ());
            }
        }
    }

    /// Removes the object with `key`, returning it.
    pub(crate) fn remove(&mut self, key: &Key) -> Option<Object> {
        let old = self.tables.remove(key)?;
        self.log.record(*key);
        self.reindex(*key, Some(&old), None);
        let len = self.tables.len();
        if len < self.high_water / 2 && self.high_water - len >= TRIM_AFTER {
            self.high_water = len;
            crate::sys::release_freed_memory();
        }
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
                self.log.record(key);
                self.reindex(key, old.as_ref(), Some(obj));
                self.high_water = self.high_water.max(self.tables.len());
                Applied::Changed
            }
        }
    }

    /// Completes a notification of a new or changed object from the version
    /// kept under `key` (a netconf notification carries only the setting
    /// that changed): what it leaves out keeps its kept value.
    pub(crate) fn complete(&self, key: &Key, obj: &mut Object) {
        self.tables.complete(key, obj);
    }

    /// The keys of every kept object of `kind`.
    pub(crate) fn keys(&self, kind: ObjectKind) -> Vec<Key> {
        self.tables.keys(kind)
    }

    /// A copy of the object the view holds under `key`.
    pub(crate) fn get(&self, key: &Key) -> Option<Object> {
        self.tables.get(key)
    }

    /// Whether the view holds `obj`'s state under `key`.
    pub(crate) fn holds_same(&self, key: &Key, obj: &Object) -> bool {
        self.tables.holds_same(key, obj)
    }

    /// Whether the view holds an object under `key`.
    pub(crate) fn has(&self, key: &Key) -> bool {
        self.tables.contains(key)
    }
}

#[cfg(test)]
mod tests {
    use super::copy::LOG_CAP;
    use super::*;
    use crate::object::RouteHop;
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
                .map(|&ifindex| RouteHop {
                    ifindex,
                    ..RouteHop::default()
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
        // IPv4 keeps routes to one prefix on two links apart (as the kernel
        // does): 10.3.0.0/24 on link 3 is another route...
        assert_eq!(s.keys(ObjectKind::Route).len(), 3);
        s.apply(Action::New, &route4("10.3.0.0", Some(3), &[]));
        assert_eq!(s.keys(ObjectKind::Route).len(), 4);
        assert_eq!(s.dependents(3).len(), 5);
        assert_eq!(s.dependents(4).len(), 3);
        // ...and once the one on link 4 is gone, link 4 no longer counts it
        // among its users.
        s.apply(Action::Del, &route4("10.3.0.0", Some(4), &[]));
        assert_eq!(s.dependents(4).len(), 2);
        // A route whose next hops change is another route too (a replace
        // removes the old one: see `infer`); the users index follows each.
        s.apply(Action::Del, &route4("10.2.0.0", None, &[4, 3]));
        s.apply(Action::New, &route4("10.2.0.0", None, &[3]));
        assert_eq!(s.dependents(4).len(), 1);
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
        // Replaced by one with another source (another route: the old one
        // is removed, see `infer`): it moves.
        s.apply(Action::Del, &with_src("10.2.0.0", "10.0.0.1"));
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

    fn nh(id: u32, oif: Option<u32>, members: &[u32]) -> Object {
        Object::Nexthop(Nexthop {
            id,
            oif,
            group: members
                .iter()
                .map(|&id| crate::object::NexthopGroupMember { id, weight: 1 })
                .collect(),
            ..Nexthop::default()
        })
    }

    fn via_nh(dst: &str, family: u8, nh_id: u32, oif: Option<u32>) -> Object {
        let Object::Route(r) = route4(dst, oif, &[]) else {
            unreachable!()
        };
        Object::Route(Route {
            family,
            nh_id: Some(nh_id),
            ..r
        })
    }

    /// A link takes its nexthops, the groups left empty and the IPv4 routes
    /// through either; a group that keeps a member shrinks and keeps its
    /// routes, which no longer go with their next hops' links.
    #[test]
    fn a_link_flushes_its_nexthops_their_empty_groups_and_their_ipv4_routes() {
        let mut s = NsState::default();
        s.apply(Action::New, &nh(1, Some(3), &[]));
        s.apply(Action::New, &nh(2, Some(4), &[]));
        s.apply(Action::New, &nh(3, Some(3), &[]));
        s.apply(Action::New, &nh(4, None, &[])); // a blackhole
        s.apply(Action::New, &nh(10, None, &[1, 2]));
        s.apply(Action::New, &nh(12, None, &[1, 3]));
        s.apply(Action::New, &via_nh("10.1.0.0", AF_INET, 1, Some(3)));
        s.apply(Action::New, &via_nh("10.2.0.0", AF_INET, 10, None));
        s.apply(Action::New, &via_nh("10.3.0.0", AF_INET, 12, Some(3)));
        s.apply(Action::New, &via_nh("10.4.0.0", AF_INET6, 1, Some(3)));
        let (gone, shrunk) = s.nexthops_flushed_with(3);
        let ids: Vec<String> = gone
            .iter()
            .map(|k| match k {
                Key::Nexthop(id) => format!("nh {id}"),
                Key::Route(_) => "route".into(),
                other => format!("{other:?}"),
            })
            .collect();
        // Routes: 10.1.0.0 (through 1) and 10.3.0.0 (through emptied 12);
        // not the IPv6 one (announced), not 10.2.0.0 (group 10 survives).
        assert_eq!(ids, ["nh 1", "nh 3", "nh 12", "route", "route"]);
        assert_eq!(shrunk.len(), 1);
        assert_eq!(
            (shrunk[0].id, shrunk[0].group.len(), shrunk[0].group[0].id),
            (10, 1, 2)
        );
        // The link's own route list leaves the routes through kept nexthops
        // to the nexthops.
        assert!(s.dependents(3).is_empty());
        assert!(s.ipv4_routes_only_via(3).is_empty());
        // Unless the nexthop is not kept (nexthops not watched).
        s.apply(Action::Del, &nh(1, Some(3), &[]));
        assert_eq!(s.dependents(3).len(), 2);
        assert_eq!(s.ipv4_routes_using(12).len(), 1);
        // The indexes follow replacement.
        s.apply(Action::New, &nh(3, Some(5), &[]));
        assert!(s.nexthops_flushed_with(3).0.is_empty());
        // (Group 12 still lists 1 here: the kernel's update of it was not applied.)
        let (gone, shrunk) = s.nexthops_flushed_with(5);
        assert_eq!((gone, shrunk.len()), (vec![Key::Nexthop(3)], 1));
    }

    /// A copy taken a few objects at a time while the view keeps changing ends
    /// equal to the view at the moment it completes, for every step size, and
    /// leaves no change log behind; one outrun by its log starts again and
    /// still ends exact.
    #[test]
    fn a_copy_in_steps_equals_the_view_when_it_completes() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let all = [ObjectKind::Link, ObjectKind::Address, ObjectKind::Route];
        for step in [1, 3, 64, usize::MAX] {
            let mut s = NsState::default();
            let change = |s: &mut NsState, r: u64| {
                let i = (r % 97) as u32;
                let obj = match r % 3 {
                    0 => link(i, &format!("l{}", r % 5)),
                    1 => addr4(i % 7, &format!("10.0.{i}.1")),
                    _ => route4(&format!("10.{}.{i}.0", r % 4), Some(i % 5), &[]),
                };
                let action = if (r >> 8) % 3 == 0 {
                    Action::Del
                } else {
                    Action::New
                };
                s.apply(action, &obj);
            };
            for _ in 0..400 {
                let r = next(1 << 20);
                change(&mut s, r);
            }
            for kinds in [&all[..], &[ObjectKind::Route, ObjectKind::Link][..]] {
                let mut c = SnapshotCopy::new(kinds);
                let mut steps = 0;
                while !s.copy_step(&mut c, step) {
                    for _ in 0..next(4) {
                        let r = next(1 << 20);
                        change(&mut s, r);
                    }
                    steps += 1;
                    assert!(steps < 100_000, "never completes");
                }
                let got = c.into_snapshot(NetnsTag::default(), 0, true);
                let mut whole = SnapshotCopy::new(kinds);
                assert!(s.copy_step(&mut whole, usize::MAX));
                let want = whole.into_snapshot(NetnsTag::default(), 0, true);
                assert_eq!(got, want, "step {step}, kinds {kinds:?}");
                assert!(!want.routes.is_empty() && !want.links.is_empty());
                assert_eq!(
                    want.addresses.is_empty(),
                    !kinds.contains(&ObjectKind::Address)
                );
                assert_eq!((s.log.copies, s.log.keys.len()), (0, 0));
            }
        }
        // Outrun: more changes between two steps than the log keeps.
        let mut s = NsState::default();
        for i in 0..10 {
            s.apply(Action::New, &link(i, "x"));
        }
        let mut c = SnapshotCopy::new(&[ObjectKind::Link]);
        assert!(!s.copy_step(&mut c, 2));
        for i in 0..=LOG_CAP as u32 {
            s.apply(Action::New, &link(100 + i % 50, &format!("n{i}")));
        }
        s.apply(Action::Del, &link(3, "x"));
        while !s.copy_step(&mut c, 2) {}
        assert_eq!(c.restarts, 1);
        let got = c.into_snapshot(NetnsTag::default(), 0, true);
        let mut whole = SnapshotCopy::new(&[ObjectKind::Link]);
        assert!(s.copy_step(&mut whole, usize::MAX));
        assert_eq!(got, whole.into_snapshot(NetnsTag::default(), 0, true));
    }
}
#[cfg(test)]
mod sizes {
    use super::*;
    use crate::watch::keep::stored::{RouteRecord, Store};
    use std::mem::size_of;

    /// What one object costs the view, per map entry (BENCHMARKS.md, the
    /// memory budget: at 10,000 veth pairs the view holds about 70,000
    /// routes, 20,000 links, 20,000 addresses and a `users` entry per route
    /// and link it uses). A change here changes that budget: make it on
    /// purpose, and measure it (scripts/bench-burst.sh --massif).
    #[test]
    fn the_entries_the_view_is_made_of_keep_their_sizes() {
        let sizes = [
            (
                "route entry (RouteKey, RouteRecord)",
                size_of::<(RouteKey, RouteRecord)>(),
                144,
            ),
            ("route key", size_of::<RouteKey>(), 56),
            (
                "users entry (ifindex, RouteKey)",
                size_of::<(u32, RouteKey)>(),
                64,
            ),
            (
                "link entry",
                size_of::<(u32, <Link as Store>::Stored)>(),
                264,
            ),
            (
                "address entry",
                size_of::<(<Address as Kind>::Key, <Address as Store>::Stored)>(),
                160,
            ),
            (
                "neighbour entry",
                size_of::<(<Neighbour as Kind>::Key, <Neighbour as Store>::Stored)>(),
                96,
            ),
            (
                "link details (shared)",
                size_of::<crate::object::LinkDetails>(),
                112,
            ),
        ];
        let moved: Vec<_> = sizes.iter().filter(|(_, got, want)| got != want).collect();
        assert!(
            moved.is_empty(),
            "sizes moved (name, now, pinned): {moved:?}"
        );
    }
}
