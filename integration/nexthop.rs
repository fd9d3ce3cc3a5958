//! Nexthop objects against the real kernel: the events `ip nexthop` changes
//! make, in order; `nlwatch snapshot --json nexthop` against `ip -j nexthop
//! show`; and what the kernel flushes without a word when a link is deleted,
//! set down or loses its carrier (see `object::nexthop`'s docs for the
//! findings these tests pin).

use crate::monitor::{collect_until, HANG_GUARD};
use crate::sandbox::{ifindex, ip, ip_json, run};
use crate::sandboxed_test;
use nlwatch::{
    objects::Nexthop, Action, Event, Item, Monitor, Netns, Object, Origin, Subscription,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::process::Command;
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");

fn nexthop(ev: &Event) -> Option<&Nexthop> {
    match &ev.object {
        Object::Nexthop(n) => Some(n),
        _ => None,
    }
}

/// `id` and its members as `id:weight`, for comparing groups in one line.
fn members(n: &Nexthop) -> String {
    n.group
        .iter()
        .map(|m| format!("{}:{}", m.id, m.weight))
        .collect::<Vec<_>>()
        .join("/")
}

/// Compares one `ip -j nexthop show` object with nlwatch's JSON object of the
/// same id, on every field `ip` printed (timers as numbers: `ip` prints `%g`).
fn same_fields(ip: &Value, ours: &Value) {
    for (k, want) in ip.as_object().unwrap() {
        let got = ours
            .get(k)
            .unwrap_or_else(|| panic!("nlwatch lacks {k:?}: ip {ip} nlwatch {ours}"));
        if k == "resilient_args" {
            for (t, v) in want.as_object().unwrap() {
                assert_eq!(got[t].as_f64(), v.as_f64(), "{t}: ip {ip} nlwatch {ours}");
            }
        } else {
            assert_eq!(got, want, "{k}: ip {ip} nlwatch {ours}");
        }
    }
}

/// `nlwatch snapshot --json nexthop` equals `ip -j nexthop show`, object by
/// object, on the fields both print; returns how many there were.
fn cli_snapshot_equals_ip() -> usize {
    let out = Command::new(BIN)
        .args(["snapshot", "--json", "nexthop"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let ours: BTreeMap<u64, Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .inspect(|v| assert_eq!(v["object"], "nexthop"))
        .map(|v| (v["id"].as_u64().unwrap(), v))
        .collect();
    let kernel = ip_json("nexthop show");
    let kernel: BTreeMap<u64, &Value> = kernel
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_u64().unwrap(), v))
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        kernel.keys().collect::<Vec<_>>()
    );
    for (id, v) in &kernel {
        same_fields(v, &ours[id]);
    }
    kernel.len()
}

sandboxed_test! {
    /// Single nexthops of both families, a blackhole, a group with a weight, a
    /// resilient group, FDB nexthops, a replacement and deletions: one event
    /// each, in order, with the kernel's values; the CLI's snapshot is `ip -j
    /// nexthop show`.
    fn nexthop_changes_are_reported_exactly_and_in_order() {
        let monitor = Monitor::builder().build().expect("monitor");
        let sub = monitor.subscribe();
        let handle = monitor.add_namespace(Netns::Current).expect("watch");
        ip("link add nv0 type veth peer name nv1");
        ip("link set nv0 up");
        ip("link set nv1 up");
        ip("addr add 10.60.0.1/24 dev nv0");
        ip("addr add 2001:db8:60::1/64 dev nv0 nodad");
        let nv0 = ifindex("nv0");
        ip("nexthop add id 1 via 10.60.0.2 dev nv0");
        ip("-6 nexthop add id 2 via 2001:db8:60::2 dev nv0");
        ip("nexthop add id 3 blackhole");
        ip("nexthop add id 4 via 10.60.0.3 dev nv0 onlink");
        ip("nexthop add id 10 group 1/4,5");
        ip("nexthop add id 11 group 1,2/4 type resilient buckets 8 idle_timer 60 unbalanced_timer 30");
        ip("nexthop add id 20 via 10.60.0.9 fdb");
        ip("nexthop add id 21 group 20 fdb");
        assert_eq!(cli_snapshot_equals_ip(), 8);
        ip("nexthop replace id 4 via 10.60.0.4 dev nv0");
        ip("nexthop del id 10");
        ip("nexthop del id 21");
        // Takes member 1 out of group 11: announced by the kernel; and the
        // IPv4 route through 1: not announced.
        ip("route add 10.61.0.0/24 nhid 1");
        ip("nexthop del id 1");
        let events = collect_until(&sub, |ev| {
            ev.action == Action::New && nexthop(ev).is_some_and(|n| n.id == 11 && n.group.len() == 1)
        });
        let got: Vec<String> = events
            .iter()
            .filter_map(|ev| {
                let n = nexthop(ev)?;
                assert_eq!(ev.origin, Origin::Live, "{ev:?}");
                let what = if n.is_group() {
                    format!("group {} type {:?}", members(n), n.group_type)
                } else if n.blackhole {
                    "blackhole".into()
                } else {
                    format!("via {:?} dev {:?} flags {}", n.gateway, n.oif, n.flags)
                };
                let fdb = if n.fdb { " fdb" } else { "" };
                Some(format!("{} {} {what}{fdb}", ev.action.as_str(), n.id))
            })
            .collect();
        let v4 = |a: &str| format!("{:?}", Some(a.parse::<IpAddr>().unwrap()));
        let dev = format!("{:?}", Some(nv0));
        assert_eq!(
            got,
            [
                format!("new 1 via {} dev {dev} flags 0", v4("10.60.0.2")),
                format!("new 2 via {} dev {dev} flags 0", v4("2001:db8:60::2")),
                "new 3 blackhole".into(),
                format!("new 4 via {} dev {dev} flags 4", v4("10.60.0.3")),
                "new 10 group 1:1/4:5 type Some(0)".into(),
                "new 11 group 1:2/4:1 type Some(1)".into(),
                format!("new 20 via {} dev None flags 0 fdb", v4("10.60.0.9")),
                "new 21 group 20:1 type Some(0) fdb".into(),
                format!("new 4 via {} dev {dev} flags 0", v4("10.60.0.4")),
                "del 10 group 1:1/4:5 type Some(0)".into(),
                "del 21 group 20:1 type Some(0) fdb".into(),
                format!("del 1 via {} dev {dev} flags 0", v4("10.60.0.2")),
                "new 11 group 4:1 type Some(1)".into(),
            ]
        );
        let routes: Vec<String> = events
            .iter()
            .filter_map(|ev| match &ev.object {
                Object::Route(r) if r.nh_id.is_some() => Some(format!(
                    "{} {} nhid {:?} {:?}",
                    ev.action.as_str(),
                    r.dst_string(),
                    r.nh_id,
                    ev.origin
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            routes,
            [
                "new 10.61.0.0/24 nhid Some(1) Live",
                "del 10.61.0.0/24 nhid Some(1) Synthesized"
            ]
        );
        assert!(ip_json("route show 10.61.0.0/24").as_array().unwrap().is_empty());
        let resilient = events
            .iter()
            .filter_map(|ev| nexthop(ev))
            .find(|n| n.id == 11)
            .and_then(|n| n.resilient)
            .unwrap();
        assert_eq!(
            (resilient.buckets, resilient.idle_timer, resilient.unbalanced_timer),
            (8, 6000, 3000)
        );
        // The view is the kernel's.
        let snap = monitor.snapshot(handle.tag()).unwrap();
        let ids: Vec<u32> = snap.nexthops.iter().map(|n| n.id).collect();
        assert_eq!(ids, [2, 3, 4, 11, 20]);
        assert_eq!(cli_snapshot_equals_ip(), 5);
        let ns = &monitor.namespaces()[0];
        assert_eq!((ns.counters.decode_errors, ns.counters.attributes_skipped), (0, 0));
    }
}

/// Receives until the marker link `name` is announced: everything the kernel
/// said before it has arrived.
fn settle(sub: &Subscription, name: &str) -> Vec<Arc<Event>> {
    ip(&format!("link add {name} type veth peer name {name}p"));
    collect_until(sub, |ev| {
        matches!(&ev.object, Object::Link(l)
            if l.ifname.as_ref().and_then(|n| n.to_str()) == Some(name))
    })
}

/// Waits until `dev` has a carrier, or has none (linkwatch reports a change
/// a moment after its cause, and the kernel flushes nexthops then).
fn wait_lower_up(dev: &str, up: bool) {
    let start = std::time::Instant::now();
    while ip_json(&format!("link show dev {dev}"))[0]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "LOWER_UP")
        != up
    {
        assert!(start.elapsed() < HANG_GUARD, "{dev}: carrier never {up}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The nexthops and the routes through nexthops the kernel holds, as lines.
fn kernel_nexthops_and_routes() -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for n in ip_json("nexthop show").as_array().unwrap() {
        let group: Vec<String> = n["group"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| format!("{}:{}", m["id"], m["weight"].as_u64().unwrap_or(1)))
            .collect();
        lines.insert(format!("nexthop {} {}", n["id"], group.join("/")));
    }
    for fam in ["-4", "-6"] {
        for r in ip_json(&format!("{fam} route show")).as_array().unwrap() {
            if let Some(id) = r["nhid"].as_u64() {
                lines.insert(format!("route {} nhid {id}", r["dst"].as_str().unwrap()));
            }
        }
    }
    lines
}

/// The same lines for nlwatch's view.
fn view_nexthops_and_routes(monitor: &Monitor, tag: &nlwatch::NetnsTag) -> BTreeSet<String> {
    let snap = monitor.snapshot(tag).unwrap();
    let mut lines: BTreeSet<String> = snap
        .nexthops
        .iter()
        .map(|n| format!("nexthop {} {}", n.id, members(n)))
        .collect();
    for r in &snap.routes {
        if let (Some(id), 254) = (r.nh_id, r.table) {
            lines.insert(format!("route {} nhid {id}", r.dst_string()));
        }
    }
    lines
}

sandboxed_test! {
    /// A link deleted, set down, or losing its carrier (its veth peer set
    /// down): the kernel removes the nexthops on it, shrinks or removes the
    /// groups that had them and flushes the IPv4 routes through what went,
    /// announcing none of it (only the IPv6 routes); nlwatch synthesizes it
    /// and its view stays the kernel's.
    fn links_take_their_nexthops_groups_and_ipv4_routes() {
        run("sysctl", &["-qw", "net.ipv6.conf.all.addr_gen_mode=1"]);
        run("sysctl", &["-qw", "net.ipv6.conf.default.addr_gen_mode=1"]);
        let monitor = Monitor::builder().build().expect("monitor");
        let sub = monitor.subscribe();
        let handle = monitor.add_namespace(Netns::Current).expect("watch");
        // A link that stays, with nexthop 90 for the groups to keep.
        ip("link add s0 type veth peer name s1");
        ip("link set s0 up");
        ip("link set s1 up");
        ip("addr add 10.70.0.1/24 dev s0");
        ip("nexthop add id 90 via 10.70.0.2 dev s0");
        // Link x0 of pair k gets ids k01.., routes 10.k1-3.0.0/24 and
        // 2001:db8:k5-6::/64.
        let pairs = [(1, "a", "link set a0 down"), (2, "b", "link set b1 down"), (3, "c", "link del c0")];
        for (k, x, _) in pairs {
            ip(&format!("link add {x}0 type veth peer name {x}1"));
            ip(&format!("link set {x}0 up"));
            ip(&format!("link set {x}1 up"));
            ip(&format!("addr add 10.6{k}.0.1/24 dev {x}0"));
            ip(&format!("addr add 2001:db8:6{k}::1/64 dev {x}0 nodad"));
            wait_lower_up(&format!("{x}0"), true);
            ip(&format!("nexthop add id {k}01 via 10.6{k}.0.2 dev {x}0"));
            ip(&format!("nexthop add id {k}02 via 10.6{k}.0.3 dev {x}0"));
            ip(&format!("-6 nexthop add id {k}06 via 2001:db8:6{k}::2 dev {x}0"));
            ip(&format!("nexthop add id {k}10 group {k}01/90,5"));
            ip(&format!("nexthop add id {k}11 group {k}01,2/90 type resilient buckets 8"));
            ip(&format!("nexthop add id {k}12 group {k}01/{k}02"));
            ip(&format!("nexthop add id {k}13 group {k}06"));
            ip(&format!("route add 10.{k}1.0.0/24 nhid {k}01"));
            ip(&format!("route add 10.{k}2.0.0/24 nhid {k}10"));
            ip(&format!("route add 10.{k}3.0.0/24 nhid {k}12"));
            ip(&format!("-6 route add 2001:db8:{k}5::/64 nhid {k}06"));
            ip(&format!("-6 route add 2001:db8:{k}6::/64 nhid {k}13"));
        }
        settle(&sub, "m0");
        assert_eq!(view_nexthops_and_routes(&monitor, handle.tag()), kernel_nexthops_and_routes());
        for (k, x, change) in pairs {
            ip(change);
            if k == 2 {
                wait_lower_up("b0", false);
            }
            let events = settle(&sub, &format!("m{k}"));
            let mut synthesized = BTreeSet::new();
            let mut announced = BTreeSet::new();
            for ev in &events {
                let what = match &ev.object {
                    Object::Nexthop(n) => format!("{} nexthop {} {}", ev.action.as_str(), n.id, members(n)),
                    Object::Route(r) if r.nh_id.is_some() => {
                        format!("{} route {}", ev.action.as_str(), r.dst_string())
                    }
                    _ => continue,
                };
                match ev.origin {
                    Origin::Synthesized => synthesized.insert(what),
                    _ => announced.insert(what),
                };
            }
            let want: BTreeSet<String> = [
                format!("del nexthop {k}01 "),
                format!("del nexthop {k}02 "),
                format!("del nexthop {k}06 "),
                // As the view last had them.
                format!("del nexthop {k}12 {k}01:1/{k}02:1"),
                format!("del nexthop {k}13 {k}06:1"),
                format!("new nexthop {k}10 90:5"),
                format!("new nexthop {k}11 90:1"),
                format!("del route 10.{k}1.0.0/24"),
                format!("del route 10.{k}3.0.0/24"),
            ]
            .into();
            assert_eq!(synthesized, want, "{x}: {change}");
            let want: BTreeSet<String> = [
                format!("del route 2001:db8:{k}5::/64"),
                format!("del route 2001:db8:{k}6::/64"),
            ]
            .into();
            assert_eq!(announced, want, "{x}: {change}: the kernel announces these");
            assert_eq!(
                view_nexthops_and_routes(&monitor, handle.tag()),
                kernel_nexthops_and_routes(),
                "{x}: {change}"
            );
        }
        let seen: Vec<Item> = std::iter::from_fn(|| sub.try_recv().ok()).collect();
        assert!(seen.iter().all(|i| !matches!(i, Item::Overrun { .. })));
    }
}
