//! Routes' next hops as the kernel keeps them, where its messages do not say
//! it all: IPv6 routes of siblings, whose hops come and go one message at a
//! time, and the state of next hops, which follows their links without a
//! message.
//!
//! - IPv6 siblings (see `Route::has_ipv6_siblings`) are one route in the view,
//!   as `ip` shows them. The kernel announces a hop appended (`ip -6 route
//!   append`) or deleted (`ip -6 route del ... via`, a hop's device deleted)
//!   on its own: a new hop is merged into the kept route, a deleted one taken
//!   out of it, and what is left published as a synthesized `new`.
//! - A next hop on a link that lost its carrier is `linkdown`; on a link that
//!   went down, `dead` too; both clear when the link comes back
//!   (`fib_sync_down_dev`, `fib_sync_up`, `rt6_sync_down_dev`, `rt6_sync_up`),
//!   and an IPv4 route whose every hop is dead is flushed. None of it is
//!   announced, so it is inferred from the links' flags here, and published
//!   as synthesized `new` (or `del`) events.
//!
//! This module decides what changes; `infer` applies and publishes it. It
//! never reads a socket.

use super::state::{Key, NsState};
use super::stored::Store;
use crate::object::{Object, Route, RouteHop};
use crate::wire::consts::{
    AF_INET, AF_INET6, IFF_LOWER_UP, IFF_RUNNING, IFF_UP, RTNH_F_DEAD, RTNH_F_LINKDOWN,
    RTN_ANYCAST, RTN_LOCAL,
};

/// Whether two hops are the same next hop (device and gateway).
fn same_hop(a: &RouteHop, b: &RouteHop) -> bool {
    a.ifindex == b.ifindex && a.gateway == b.gateway && a.via == b.via
}

/// The route of IPv6 siblings the view keeps once `announced` (a `new`
/// without `NLM_F_REPLACE`) is applied to `kept`: the kernel announces an
/// appended hop alone, or with its siblings; either way the route has both
/// the kept hops and the announced ones (those as announced). What is not a
/// hop (metrics, ...) stays the kept route's: each sibling has its own, and
/// `ip` shows the first's.
///
/// Each hop remembers its own metrics where they are known, for
/// `siblings_left`: a message's metrics are those of the sibling it was
/// sent for, which is its first hop (`rt6_fill_node`), and a route of one
/// hop's are that hop's.
pub(in crate::watch) fn siblings_added(kept: &Route, announced: &Route) -> Route {
    let with_own = |route: &Route| {
        let mut hops = route.hops();
        if let Some(first) = hops.first_mut() {
            if first.own_metrics.is_none() {
                first.own_metrics = Some(route.metrics.clone());
            }
        }
        hops
    };
    let new = with_own(announced);
    let mut hops: Vec<RouteHop> = with_own(kept)
        .into_iter()
        .map(|h| match new.iter().find(|n| same_hop(n, &h)) {
            Some(n) => RouteHop {
                own_metrics: n.own_metrics.clone().or(h.own_metrics),
                ..n.clone()
            },
            None => h,
        })
        .collect();
    for n in new {
        if !hops.iter().any(|h| same_hop(h, &n)) {
            hops.push(n);
        }
    }
    kept.with_hops(hops)
}

/// What is left of the kept route of IPv6 siblings once the hops of
/// `deleted` (an announced deletion) are gone; `None` when nothing is. The
/// route's metrics become the first hop left's own, when known (`ip` shows
/// the first sibling's).
pub(in crate::watch) fn siblings_left(kept: &Route, deleted: &Route) -> Option<Route> {
    let gone = deleted.hops();
    let left: Vec<RouteHop> = kept
        .hops()
        .into_iter()
        .filter(|h| !gone.iter().any(|g| same_hop(g, h)))
        .collect();
    let first = left.first()?.own_metrics.clone();
    let mut route = kept.with_hops(left);
    if let Some(metrics) = first {
        route.metrics = metrics;
    }
    Some(route)
}

/// A link's state as next hops of `family` see it: administratively up, and
/// ready. IPv4 takes a link with a carrier or operationally up as ready
/// (`fib_netdev_event`: `IFF_RUNNING | IFF_LOWER_UP`); IPv6 only one
/// operationally up (`addrconf_link_ready`: `IFF_RUNNING`), so a bridge
/// that lost its carrier but not its operational state is down for IPv4's
/// hops and not for IPv6's. A link the view does not hold counts as up and
/// ready (nothing is inferred from what is not known).
fn link_state(state: &NsState, ifindex: u32, family: u8) -> (bool, bool) {
    let ready = if family == AF_INET {
        IFF_RUNNING | IFF_LOWER_UP
    } else {
        IFF_RUNNING
    };
    state.link_flags(ifindex).map_or((true, true), |f| {
        (f & IFF_UP != 0, f & IFF_UP != 0 && f & ready != 0)
    })
}

/// What the routes through link `ifindex` become, without a message, now
/// that the link is as the view holds it (it went up or down, or gained or
/// lost its carrier) or, with `deleted`, is gone: the keys of the routes
/// the kernel flushed, and the routes whose hops changed (flags, or an IPv6
/// sibling on the deleted link taken out), to apply and announce.
pub(in crate::watch) fn after_link_change(
    state: &NsState,
    ifindex: u32,
    deleted: bool,
) -> (Vec<Key>, Vec<(Key, Object)>) {
    let (mut gone, mut changed) = (Vec::new(), Vec::new());
    // A deleted link concerns only IPv6 routes of siblings (below): the
    // others are not even looked at.
    for (key, record) in state.route_records_on(ifindex, |k| !deleted || k.is_ipv6_siblings()) {
        // A route through a nexthop object follows that object (`infer`);
        // a local route's hop (scope host) is never dead nor down.
        if record.nh_id().is_some() || record.route_type() == RTN_LOCAL {
            continue;
        }
        // Where every hop is dead the outcome is known from the record (a
        // link going down takes a few routes each time): the route is read
        // back whole only when its hops may change.
        if !deleted {
            let dead = |i: u32| !link_state(state, i, record.family()).0;
            let all_dead = match (record.nexthops(), record.oif()) {
                ([], Some(oif)) => dead(oif),
                ([], None) => true,
                (hops, _) => hops.iter().all(|h| dead(h.ifindex)),
            };
            match record.family() {
                AF_INET if all_dead => {
                    // Flushed by the kernel, unannounced (`fib_flush`).
                    gone.push(Key::Route(key));
                    continue;
                }
                AF_INET6 if all_dead || record.route_type() == RTN_ANYCAST => continue,
                AF_INET | AF_INET6 => {}
                _ => continue,
            }
        }
        let route = Route::load(record);
        let mut hops = route.hops();
        if deleted {
            // IPv4 routes through a deleted link go with it whole (the
            // link's dependents); an IPv6 route of siblings loses the hops
            // there, when the kernel did not say so first.
            if route.family != AF_INET6 || !route.has_ipv6_siblings() {
                continue;
            }
            hops.retain(|h| h.ifindex != ifindex);
            if hops.is_empty() {
                gone.push(Key::Route(key));
            } else {
                changed.push((Key::Route(key), Object::Route(route.with_hops(hops))));
            }
            continue;
        }
        // What is left: a route with a hop that is not dead (IPv4), or
        // neither all dead nor anycast (IPv6), as the record said above.
        let states: Vec<(bool, bool)> = hops
            .iter()
            .map(|h| link_state(state, h.ifindex, route.family))
            .collect();
        // IPv4 hops on a link that is down are marked dead; IPv6 ones only
        // in a route of several (a one-hop IPv6 route on a link that went
        // down is deleted by the kernel, and announced, instead).
        let dead_hops = route.family == AF_INET || hops.len() > 1;
        let after = with_flags(&route, &mut hops, &states, dead_hops);
        if after != route {
            changed.push((Key::Route(key), Object::Route(after)));
        }
    }
    (gone, changed)
}

/// `route` with its hops' `dead` and `linkdown` as their links' `states`
/// make them: a hop on a link that is down is dead (where `dead_hops`: a
/// multipath hop, or any IPv4 one) and down; on a link without carrier,
/// down. A route of several hops is `linkdown` itself when all of them are.
fn with_flags(
    route: &Route,
    hops: &mut [RouteHop],
    states: &[(bool, bool)],
    dead_hops: bool,
) -> Route {
    for (hop, &(up, carrier)) in hops.iter_mut().zip(states) {
        hop.flags &= !(RTNH_F_DEAD | RTNH_F_LINKDOWN);
        if !up && dead_hops {
            hop.flags |= RTNH_F_DEAD;
        }
        if !carrier {
            hop.flags |= RTNH_F_LINKDOWN;
        }
    }
    let several = hops.len() > 1;
    let all_down = hops.iter().all(|h| h.flags & RTNH_F_LINKDOWN != 0);
    let mut after = route.with_hops(hops.to_vec());
    if several && route.family == AF_INET {
        after.flags &= !u32::from(RTNH_F_DEAD | RTNH_F_LINKDOWN);
        if all_down {
            after.flags |= u32::from(RTNH_F_LINKDOWN);
        }
    }
    after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(ifindex: u32, gw: &str) -> RouteHop {
        RouteHop {
            ifindex,
            gateway: gw.parse().ok(),
            weight: 1,
            ..RouteHop::default()
        }
    }

    fn route(hops: Vec<RouteHop>) -> Route {
        let base = Route {
            family: AF_INET6,
            dst: "2001:db8:3::".parse().ok(),
            dst_len: 64,
            table: 254,
            priority: Some(1024),
            ..Route::default()
        };
        base.with_hops(hops)
    }

    /// A hop appended alone or with its siblings, and hops deleted one at a
    /// time: the route keeps every hop the kernel still has.
    #[test]
    fn siblings_are_added_and_taken_out_one_at_a_time() {
        let a = route(vec![hop(3, "2001:db8:1::2")]);
        let b = route(vec![hop(5, "2001:db8:2::2")]);
        let ab = siblings_added(&a, &b);
        assert_eq!(ab.nexthops.len(), 2);
        assert_eq!((ab.oif, ab.gateway), (None, None));
        // Announced with its siblings: the same route.
        assert_eq!(siblings_added(&a, &ab), ab);
        let left = siblings_left(&ab, &a).unwrap();
        assert_eq!(left, b);
        assert_eq!(siblings_left(&left, &b), None);
        // A deletion of the whole route takes every hop.
        assert_eq!(siblings_left(&ab, &ab), None);
        // What is not a hop stays the kept route's (each sibling has its own
        // metrics; `ip` shows the first's).
        let mut with_mtu = a.clone();
        with_mtu.metrics = Some(Box::new(crate::object::RouteMetrics {
            lock: 0,
            values: vec![(2, 1400)],
            congctl: None,
        }));
        assert_eq!(siblings_added(&with_mtu, &b).metrics, with_mtu.metrics);
        assert_eq!(siblings_added(&a, &with_mtu).metrics, None);
        // Until the first goes: then the route has the next one's.
        let mut b_mtu = b.clone();
        b_mtu.metrics = with_mtu.metrics.clone();
        let ab = siblings_added(&a, &b_mtu);
        assert_eq!(ab.metrics, None);
        let c = route(vec![hop(7, "2001:db8:4::2")]);
        // Announced with its siblings, the metrics its own (the first hop's).
        let abc = siblings_added(&ab, &siblings_added(&c, &ab));
        assert_eq!(abc.nexthops.len(), 3);
        let bc = siblings_left(&abc, &a).unwrap();
        assert_eq!(bc.metrics, with_mtu.metrics);
        assert_eq!(siblings_left(&bc, &b).unwrap().metrics, None);
    }
}
