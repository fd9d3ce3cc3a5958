//! The `netconf` kind against the real kernel: per-device IP settings changed
//! with sysctls and `ip`, the events decoded in order (partial notifications
//! completed from the kept settings), which deletions the kernel announces, and
//! `nlwatch snapshot --json netconf` against `ip -j netconf show`.

use crate::monitor::{collect_until, HANG_GUARD};
use crate::sandbox::{ifindex, ip, ip_json, run};
use crate::sandboxed_test;
use nlwatch::{Action, Event, Item, Monitor, Netns, Object, ObjectKind, Origin, Subscription};
use std::collections::BTreeMap;

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");

/// Writes a sysctl of this namespace (`net/ipv4/conf/nc0/forwarding`).
pub(crate) fn sysctl(path: &str, value: &str) {
    std::fs::write(format!("/proc/sys/{path}"), value)
        .unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
}

/// Waits for the namespace's arrival and its initial dump; returns the
/// dump's events (with `list_existing`).
pub(crate) fn wait_synced(sub: &Subscription) -> Vec<std::sync::Arc<Event>> {
    let mut dumped = Vec::new();
    loop {
        match sub.recv_timeout(HANG_GUARD) {
            Ok(Item::SyncDone { .. }) => return dumped,
            Ok(Item::NamespaceAdded { .. }) => {}
            Ok(Item::Event(ev)) if ev.origin == Origin::Dump => dumped.push(ev),
            other => panic!("expected NamespaceAdded and SyncDone, got {other:?}"),
        }
    }
}

/// A netconf event as one line: action, family, device (by the names given),
/// settings.
fn line(ev: &Event, names: &BTreeMap<i32, &str>) -> String {
    let Object::Netconf(n) = &ev.object else {
        panic!("not netconf: {ev:?}")
    };
    let family = match n.family {
        2 => "inet",
        10 => "inet6",
        _ => "other",
    };
    let dev = names.get(&n.ifindex).copied().unwrap_or("?");
    let o = |v: Option<bool>| match v {
        None => "-",
        Some(true) => "on",
        Some(false) => "off",
    };
    let rp = n.rp_filter.map_or("-".to_string(), |v| v.to_string());
    format!(
        "{} {family} {dev} fwd {} rp {rp} mc {} proxy {} ign {}",
        ev.action.as_str(),
        o(n.forwarding),
        o(n.mc_forwarding),
        o(n.proxy_neigh),
        o(n.ignore_routes_with_linkdown),
    )
}

/// `nlwatch snapshot --json -d OBJECT`, one JSON value per line.
pub(crate) fn snapshot_json(object: &str) -> Vec<serde_json::Value> {
    let out = run(BIN, &["snapshot", "--json", "-d", object]);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `nlwatch snapshot --json netconf` holds what `ip -j netconf show` lists,
/// every field `ip` prints equal, and nothing else.
fn snapshot_equals_ip() {
    let ours = snapshot_json("netconf");
    let theirs = ip_json("netconf show");
    let theirs = theirs.as_array().unwrap();
    assert_eq!(ours.len(), theirs.len(), "ours {ours:#?}\nip {theirs:#?}");
    for t in theirs {
        let o = ours
            .iter()
            .find(|o| o["family"] == t["family"] && o["interface"] == t["interface"])
            .unwrap_or_else(|| panic!("{t} missing from {ours:#?}"));
        assert_eq!(o["object"], "netconf");
        for (k, v) in t.as_object().unwrap() {
            assert_eq!(&o[k], v, "{k} of {t}: ours {o}");
        }
    }
}

sandboxed_test! {
    /// A new device's settings, one sysctl changed at a time (each notification
    /// carries that setting alone, completed from the kept ones), `all`
    /// changed, IPv6 leaving a device and coming back, a device moved away and
    /// one deleted: exactly the kernel's netconf messages, in order, each
    /// deletion announced by the kernel (none synthesized) before the link's.
    fn netconf_changes_are_reported_completed_and_in_order() {
        let monitor = Monitor::builder()
            .objects([ObjectKind::Link, ObjectKind::Netconf])
            .build()
            .expect("monitor");
        let sub = monitor.subscribe();
        monitor.add_namespace(Netns::Current).expect("watch this namespace");
        wait_synced(&sub);

        ip("link add nc0 type veth peer name nc1");
        let (nc0, nc1) = (ifindex("nc0") as i32, ifindex("nc1") as i32);
        sysctl("net/ipv4/conf/nc0/forwarding", "1");
        sysctl("net/ipv4/conf/nc0/rp_filter", "2");
        sysctl("net/ipv6/conf/nc0/proxy_ndp", "1");
        sysctl("net/ipv4/conf/all/forwarding", "1");
        // IPv6 leaves a device whose MTU is below 1280, and comes back.
        ip("link set nc0 mtu 1000");
        ip("link set nc0 mtu 1500");
        ip("netns add other");
        ip("link set nc1 netns other");
        ip("link del nc0");
        let events = collect_until(&sub, |ev| {
            ev.action == Action::Del && matches!(&ev.object, Object::Link(l) if l.ifindex == nc0 as u32)
        });

        let names = BTreeMap::from([(-1, "all"), (-2, "default"), (1, "lo"), (nc0, "nc0"), (nc1, "nc1")]);
        let netconf: Vec<&Event> = events
            .iter()
            .map(|e| &**e)
            .filter(|e| e.object.kind() == ObjectKind::Netconf)
            .collect();
        assert!(netconf.iter().all(|e| e.origin == Origin::Live), "{netconf:#?}");
        let got: Vec<String> = netconf.iter().map(|e| line(e, &names)).collect();
        let full4 = |dev: &str, fwd: &str, rp: u32| {
            format!("new inet {dev} fwd {fwd} rp {rp} mc off proxy off ign off")
        };
        // The kernel reports IPv6 multicast forwarding only when built with
        // IPv6 multicast routing (CONFIG_IPV6_MROUTE, which also makes
        // /proc/net/ip6_mr_vif); this machine's kernel has been built both ways.
        let mc6 = if std::path::Path::new("/proc/net/ip6_mr_vif").exists() { "off" } else { "-" };
        let full6 = |dev: &str, proxy: &str| {
            format!("new inet6 {dev} fwd off rp - mc {mc6} proxy {proxy} ign off")
        };
        let del = |family: &str, dev: &str| format!("del {family} {dev} fwd - rp - mc - proxy - ign -");
        let want = vec![
            // The peer is registered first.
            full4("nc1", "off", 0),
            full6("nc1", "off"),
            full4("nc0", "off", 0),
            full6("nc0", "off"),
            // Each sysctl: that setting, the rest kept.
            full4("nc0", "on", 0),
            full4("nc0", "on", 2),
            full6("nc0", "on"),
            // `all`: all, default, then every device (each completed too).
            full4("all", "on", 0),
            full4("default", "on", 0),
            full4("lo", "on", 0),
            full4("nc1", "on", 0),
            full4("nc0", "on", 2),
            // IPv6 leaves nc0 and comes back with its defaults.
            del("inet6", "nc0"),
            full6("nc0", "off"),
            // Moved to another namespace: gone from this one.
            del("inet", "nc1"),
            del("inet6", "nc1"),
            // Deleted.
            del("inet", "nc0"),
            del("inet6", "nc0"),
        ];
        assert_eq!(got, want);

        // The kernel announces a deleted device's settings before the device.
        let at = |pred: &dyn Fn(&Event) -> bool| events.iter().position(|e| pred(e)).unwrap();
        let netconf_gone = at(&|e| {
            e.action == Action::Del && matches!(&e.object, Object::Netconf(n) if n.ifindex == nc0 && n.family == 10)
        });
        let link_gone = at(&|e| {
            e.action == Action::Del && matches!(&e.object, Object::Link(l) if l.ifindex == nc0 as u32 && l.is_interface())
        });
        assert!(netconf_gone < link_gone);

        // The view kept the completed settings, and holds nothing of nc0 / nc1.
        let snap = monitor.snapshots(&nlwatch::Filter::new()).remove(0);
        assert!(snap.netconfs.iter().all(|n| n.ifindex != nc0 && n.ifindex != nc1));
        let all4 = snap.netconfs.iter().find(|n| n.ifindex == -1 && n.family == 2).unwrap();
        assert_eq!((all4.forwarding, all4.rp_filter), (Some(true), Some(0)));
        let stats = &monitor.namespaces()[0];
        assert_eq!((stats.counters.decode_errors, stats.counters.attributes_skipped), (0, 0));
    }
}

sandboxed_test! {
    /// `nlwatch snapshot --json netconf` equals `ip -j netconf show`, field by
    /// field: `all`, `default` and each device, IPv4 and IPv6, after changes.
    fn snapshot_equals_ip_netconf_show() {
        ip("link add ns0 type veth peer name ns1");
        ip("link add nb0 type bridge");
        sysctl("net/ipv4/conf/ns0/forwarding", "1");
        sysctl("net/ipv4/conf/ns1/rp_filter", "1");
        sysctl("net/ipv4/conf/default/rp_filter", "2");
        sysctl("net/ipv6/conf/nb0/forwarding", "1");
        sysctl("net/ipv4/conf/nb0/proxy_arp", "1");
        sysctl("net/ipv4/conf/all/ignore_routes_with_linkdown", "1");
        snapshot_equals_ip();
        ip("link del ns0");
        snapshot_equals_ip();
    }
}
