//! What the state view answers about what the kernel takes along with a
//! change without a word (`infer` asks): the objects that go with a link, a
//! nexthop or an address, the routes a replace may have replaced, the
//! deletions held until the socket is quiet, and the rules whose flags moved.
//! Queries and small bookkeeping only: `infer` decides and publishes.

use super::*;
use crate::watch::keep::stored::RouteRecord;

impl NsState {
    /// The keys of the objects that use link `ifindex` and vanish with it: those
    /// whose key starts with it (addresses, neighbours), and the routes whose
    /// output interface or any next hop is on it.
    pub(crate) fn dependents(&self, ifindex: u32) -> Vec<Key> {
        // In registry order (deletions are announced in it): the routes go after
        // the addresses and before the neighbours.
        let mut keys = self.tables.keys_on_link(ifindex);
        let at = keys.partition_point(|k| k.kind() <= ObjectKind::Route);
        let routes: Vec<Key> = self
            .routes_via(ifindex)
            .filter(|rk| !self.uses_kept_nexthop(rk))
            // IPv6 siblings on other links live on (`hops`).
            .filter(|rk| !rk.is_ipv6_siblings() || self.only_via(rk, ifindex))
            .map(Key::Route)
            .collect();
        keys.splice(at..at, routes);
        keys
    }

    /// Whether route `rk` uses a nexthop object the view keeps: then it goes
    /// with that nexthop ([`NsState::nexthops_flushed_with`]), not with the
    /// links its next hops were on (a group outlives a member's link). When
    /// the nexthop is not kept (nexthops not watched), its links decide.
    pub(crate) fn uses_kept_nexthop(&self, rk: &RouteKey) -> bool {
        self.tables
            .routes
            .get(rk)
            .and_then(|r| r.nh_id())
            .is_some_and(|id| self.tables.nexthops.contains_key(&id))
    }

    /// What the kernel removes without a word when link `ifindex` is deleted,
    /// goes down or loses its carrier (`nexthop_flush_dev`): the nexthops on
    /// it, the groups left without members, and the IPv4 routes using either;
    /// and the groups that only lose members, as they are after. Deletions in
    /// key order (nexthops by id, then routes).
    pub(crate) fn nexthops_flushed_with(&self, ifindex: u32) -> (Vec<Key>, Vec<Nexthop>) {
        let on_link: BTreeSet<u32> = self
            .nh_on_link
            .range((ifindex, 0)..=(ifindex, u32::MAX))
            .map(|(k, ())| k)
            .map(|&(_, id)| id)
            .collect();
        if on_link.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let groups: BTreeSet<u32> = on_link
            .iter()
            .flat_map(|&m| {
                self.nh_groups
                    .range((m, 0)..=(m, u32::MAX))
                    .map(|(k, ())| k)
            })
            .map(|&(_, g)| g)
            .collect();
        let mut gone = on_link;
        let mut shrunk = Vec::new();
        for g in groups {
            let Some(group) = self.tables.nexthops.get(&g) else {
                continue;
            };
            let left: Vec<_> = group
                .group
                .iter()
                .filter(|m| !gone.contains(&m.id))
                .copied()
                .collect();
            if left.is_empty() {
                gone.insert(g);
            } else {
                let mut after = group.clone();
                after.group = left;
                shrunk.push(after);
            }
        }
        let mut keys: Vec<Key> = gone.iter().map(|&id| Key::Nexthop(id)).collect();
        for &id in &gone {
            keys.extend(self.ipv4_routes_using(id));
        }
        (keys, shrunk)
    }

    /// The IPv4 routes that use nexthop `id`: what the kernel flushes,
    /// unannounced, when that nexthop goes (IPv6 routes are announced).
    pub(crate) fn ipv4_routes_using(&self, id: u32) -> Vec<Key> {
        self.nh_routes
            .range((id, RouteKey::MIN)..)
            .map(|(k, ())| k)
            .take_while(|(i, _)| *i == id)
            .filter(|(_, rk)| {
                self.tables
                    .routes
                    .get(rk)
                    .is_some_and(|r| r.family() == AF_INET)
            })
            .map(|(_, rk)| Key::Route(*rk))
            .collect()
    }

    /// Whether every next hop of route `rk` is on link `ifindex`.
    fn only_via(&self, rk: &RouteKey, ifindex: u32) -> bool {
        self.tables.routes.get(rk).is_some_and(|r| {
            if r.nexthops().is_empty() {
                r.oif() == Some(ifindex)
            } else {
                r.nexthops().iter().all(|h| h.ifindex == ifindex)
            }
        })
    }

    /// The IPv4 routes whose every next hop is on link `ifindex`: what the kernel
    /// flushes, unannounced, when the link goes down. Local routes (the link's own
    /// addresses, table local) stay.
    pub(crate) fn ipv4_routes_only_via(&self, ifindex: u32) -> Vec<Key> {
        self.routes_via(ifindex)
            .filter(|rk| !self.uses_kept_nexthop(rk))
            .filter(|rk| {
                self.tables.routes.get(rk).is_some_and(|r| {
                    r.family() == AF_INET
                        && r.route_type() != RTN_LOCAL
                        && (if r.nexthops().is_empty() {
                            r.oif() == Some(ifindex)
                        } else {
                            r.nexthops().iter().all(|h| h.ifindex == ifindex)
                        })
                })
            })
            .map(Key::Route)
            .collect()
    }

    /// The keys of the other routes to `key`'s prefix, table, TOS and metric
    /// (see [`RouteKey::aliases`]).
    pub(crate) fn route_aliases(&self, key: &RouteKey) -> Vec<RouteKey> {
        self.tables
            .routes
            .range(key.aliases())
            .map(|(k, _)| *k)
            .filter(|k| k != key)
            .collect()
    }

    /// Keeps `keys` to look at when the socket is quiet.
    pub(crate) fn defer(&mut self, keys: Vec<Key>) {
        self.deferred.extend(keys);
    }

    /// The kernel spoke of `key`: it is not looked at again when quiet, nor
    /// taken for an inferred deletion any more.
    pub(crate) fn announced(&mut self, key: &Key) {
        if !self.deferred.is_empty() {
            self.deferred.retain(|k| k != key);
        }
        if !self.inferred.is_empty() {
            self.inferred.retain(|k| k != key);
        }
    }

    /// What was deferred, still held, in key order, remembered as inferred
    /// deletions.
    pub(crate) fn take_deferred(&mut self) -> Vec<Key> {
        if self.deferred.is_empty() {
            return Vec::new();
        }
        let mut keys = std::mem::take(&mut self.deferred);
        keys.sort_unstable();
        keys.dedup();
        keys.retain(|k| self.tables.contains(k));
        self.inferred.extend_from_slice(&keys);
        let over = self.inferred.len().saturating_sub(INFERRED_KEPT);
        self.inferred.drain(..over);
        keys
    }

    /// Whether the deletion of `key` was inferred, and the kernel has not
    /// spoken of it since.
    pub(crate) fn deletion_inferred(&self, key: &Key) -> bool {
        self.inferred.contains(key) && !self.tables.contains(key)
    }

    /// The routes that use link `ifindex` (output interface or a next hop)
    /// and whose key `wanted` accepts, as the view stores them, in key order
    /// (read back whole with [`Store::load`] only where needed).
    pub(crate) fn route_records_on(
        &self,
        ifindex: u32,
        wanted: impl Fn(&RouteKey) -> bool,
    ) -> Vec<(RouteKey, &RouteRecord)> {
        self.routes_via(ifindex)
            .filter(|rk| wanted(rk))
            .filter_map(|rk| self.tables.routes.get(&rk).map(|r| (rk, r)))
            .collect()
    }

    /// The keys of the routes that use link `ifindex` (output interface or a
    /// next hop), from the link index.
    fn routes_via(&self, ifindex: u32) -> impl Iterator<Item = RouteKey> + '_ {
        self.users
            .range((ifindex, RouteKey::MIN)..)
            .map(|(k, ())| k)
            .take_while(move |(i, _)| *i == ifindex)
            .map(|(_, k)| *k)
    }

    /// How many IPv4 addresses link `ifindex` holds.
    pub(crate) fn ipv4_addresses_on(&self, ifindex: u32) -> usize {
        keys_on_link::<Address, _>(&self.tables.addresses, ifindex)
            .iter()
            .filter(|k| {
                self.tables
                    .addresses
                    .get(k)
                    .is_some_and(|a| a.family == AF_INET)
            })
            .count()
    }

    /// How many links hold IPv4 address `local`.
    pub(crate) fn ipv4_address_links(&self, local: IpAddr) -> u32 {
        self.v4_locals.get(&local).copied().unwrap_or(0)
    }

    /// The IPv4 routes whose preferred source is `local`: what the kernel flushes,
    /// unannounced, when that address is removed.
    pub(crate) fn ipv4_routes_with_prefsrc(&self, local: IpAddr) -> Vec<Key> {
        // Only table main's (or the device's VRF table, which the view does
        // not follow: fib_sync_down_addr).
        let mut keys: Vec<Key> = self
            .by_prefsrc
            .get(&local)
            .map(|keys| {
                keys.iter()
                    .filter(|k| self.tables.routes.get(k).is_some_and(|r| r.table() == 254))
                    .map(|k| Key::Route(*k))
                    .collect()
            })
            .unwrap_or_default();
        // In key order, as every list of deletions.
        keys.sort_unstable();
        keys
    }

    /// The rules whose kernel-set flags the view has wrong after a change of
    /// the links' names or of the rules (see `object::rule`): each with its
    /// flags corrected, to apply and announce. Only rules that name an
    /// interface or jump are looked at, so a view without any costs one pass
    /// over its (few) rules.
    pub(crate) fn stale_rule_flags(&self) -> Vec<(Key, Object)> {
        let rules = &self.tables.rules;
        // An alternative name counts: the kernel attaches a rule to the link
        // it finds by any of its names when the rule is made.
        let link_named = |name: &Name| {
            self.tables
                .links
                .values()
                .any(|l| l.ifname.as_ref() == Some(name) || l.alt_names.contains(name))
        };
        let has_priority =
            |family: u8, priority: u32| rules.keys().any(|k: &RuleKey| k.is_at(family, priority));
        rules
            .iter()
            .filter(|(_, r)| r.has_silent_flags())
            .filter_map(|(k, r)| {
                let flags = r.current_flags(link_named, has_priority);
                (flags != r.flags).then(|| {
                    let mut now = r.clone();
                    now.flags = flags;
                    (Key::Rule(*k), Object::Rule(now))
                })
            })
            .collect()
    }
}
