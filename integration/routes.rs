//! IPv4 routes to one prefix that differ only in their device or next hop:
//! kept apart as the kernel keeps them, and `ip route replace` among them.

use crate::monitor::HANG_GUARD;
use crate::sandbox::{ip, run};
use crate::sandboxed_test;
use nlwatch::{objects::Route, Action, Item, Monitor, Netns, Object, Origin, Subscription};
use std::collections::BTreeSet;

/// The IPv4 routes of every table, as `ip -j route show table all` lists them.
fn kernel_routes() -> BTreeSet<String> {
    let out = run("ip", &["-j", "-4", "route", "show", "table", "all"]);
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let table = r.get("table").and_then(|t| t.as_str()).unwrap_or("main");
            let kind = r.get("type").and_then(|t| t.as_str()).unwrap_or("unicast");
            format!(
                "{kind} {} dev {} via {} table {table}",
                r["dst"].as_str().unwrap(),
                r["dev"].as_str().unwrap_or("-"),
                r.get("gateway").and_then(|g| g.as_str()).unwrap_or("-"),
            )
        })
        .collect()
}

/// The same, from the state view.
fn view_routes(monitor: &Monitor, dev: impl Fn(u32) -> String) -> BTreeSet<String> {
    let snap = &monitor.snapshots(&nlwatch::Filter::new())[0];
    snap.routes
        .iter()
        .filter(|r| r.family == 2)
        .map(|r: &Route| {
            let kind = match r.route_type {
                2 => "local",
                3 => "broadcast",
                _ => "unicast",
            };
            let table = match r.table {
                254 => "main".to_string(),
                255 => "local".to_string(),
                t => t.to_string(),
            };
            format!(
                "{kind} {} dev {} via {} table {table}",
                r.dst_string(),
                r.oif.map(&dev).unwrap_or("-".into()),
                r.gateway.map(|g| g.to_string()).unwrap_or("-".into()),
            )
        })
        .collect()
}

/// Makes a marker change and waits until it has come and no dump is due.
fn settle(monitor: &Monitor, sub: &Subscription, marker: &str, seen: &mut Vec<Item>) {
    settle_with(monitor, sub, marker, |item| seen.push(item));
}

/// [`settle`], handing each item received to `each`.
pub(crate) fn settle_with(
    monitor: &Monitor,
    sub: &Subscription,
    marker: &str,
    mut each: impl FnMut(Item),
) {
    ip(&format!("link add {marker} type veth peer name {marker}p"));
    let t = std::time::Instant::now();
    let mut got = false;
    loop {
        while let Ok(item) = sub.try_recv() {
            if matches!(&item, Item::Event(ev) if matches!(&ev.object,
                Object::Link(l) if l.ifname.as_ref().is_some_and(|n| n == marker)))
            {
                got = true;
            }
            each(item);
        }
        if got && !monitor.namespaces()[0].syncing && sub.is_empty() {
            return;
        }
        assert!(t.elapsed() < HANG_GUARD, "never settled");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

sandboxed_test! {
    /// One prefix on two links (their connected, local and broadcast routes),
    /// routes appended to one prefix through each link and a gateway, and
    /// `ip route replace` of one route of a prefix (the one it replaced is
    /// announced gone) and of a prefix with several (repaired by a resync), and
    /// the address leaving one of its two links: the view lists every IPv4
    /// route `ip -j route show table all` lists. (One key per prefix and metric
    /// used to keep one of each such group.)
    fn ipv4_routes_that_differ_only_in_device_or_next_hop_are_kept_apart() {
        ip("link add x0 type veth peer name x1");
        ip("addr add 10.1.1.1/24 dev x0");
        ip("addr add 10.1.1.1/24 dev x1");
        ip("link set x0 up");
        ip("link set x1 up");
        ip("route append 10.9.0.0/24 dev x0");
        ip("route append 10.9.0.0/24 dev x1");
        ip("route append 10.9.0.0/24 via 10.1.1.5 dev x1");
        let monitor = Monitor::builder().build().unwrap();
        let sub = monitor.subscribe();
        monitor.add_namespace(Netns::Current).unwrap();
        let (i0, i1) = (crate::sandbox::ifindex("x0"), crate::sandbox::ifindex("x1"));
        let dev = move |i: u32| {
            if i == i0 {
                "x0".to_string()
            } else if i == i1 {
                "x1".to_string()
            } else {
                format!("if{i}")
            }
        };
        let mut seen = Vec::new();
        settle(&monitor, &sub, "mk0", &mut seen);
        let only_x = |set: BTreeSet<String>| -> BTreeSet<String> {
            set.into_iter().filter(|l| l.contains(" dev x0 ") || l.contains(" dev x1 ")).collect()
        };
        assert_eq!(only_x(view_routes(&monitor, dev)), only_x(kernel_routes()));
        assert!(kernel_routes().iter().filter(|l| l.contains("10.9.0.0/24")).count() == 3);

        // One route to the prefix: replaced in place.
        ip("route add 10.8.0.0/24 via 10.1.1.5 dev x0");
        ip("route replace 10.8.0.0/24 via 10.1.1.6 dev x0");
        // Several: which one went is not said; a resync repairs the view.
        ip("route replace 10.9.0.0/24 via 10.1.1.7 dev x0");
        settle(&monitor, &sub, "mk1", &mut seen);
        assert_eq!(only_x(view_routes(&monitor, dev)), only_x(kernel_routes()));
        let gone: Vec<String> = seen
            .iter()
            .filter_map(|i| match i {
                Item::Event(ev) if ev.action == Action::Del && ev.origin == Origin::Synthesized => {
                    match &ev.object {
                        Object::Route(r) => Some(format!("{} via {:?}", r.dst_string(), r.gateway)),
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect();
        assert_eq!(gone, ["10.8.0.0/24 via Some(10.1.1.5)"]);

        // The address leaves one of its two links: the routes with it as
        // preferred source stay (the kernel flushes them only when its last
        // link loses it), and so does the other link's local route.
        ip("addr del 10.1.1.1/24 dev x0");
        settle(&monitor, &sub, "mk2", &mut seen);
        assert_eq!(only_x(view_routes(&monitor, dev)), only_x(kernel_routes()));
        assert!(kernel_routes().iter().any(|l| l.starts_with("local 10.1.1.1 dev x1")));

        // The kernel flushes the routes an address was the preferred source
        // of only in table main (or the device's VRF table): one in table 100
        // stays.
        ip("addr add 192.168.5.5/24 dev x1");
        ip("route add 7.7.7.0/24 dev x1 src 192.168.5.5 table 100");
        ip("route add 7.7.8.0/24 dev x1 src 192.168.5.5");
        ip("addr del 192.168.5.5/24 dev x1");
        settle(&monitor, &sub, "mk3", &mut seen);
        assert_eq!(only_x(view_routes(&monitor, dev)), only_x(kernel_routes()));
        assert!(kernel_routes().iter().any(|l| l.contains("7.7.7.0/24 dev x1")));
        monitor.shutdown();
    }
}
