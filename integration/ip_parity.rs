//! Field names and value formats against `ip -j -d`, one test per field that
//! was found to differ by running the kernel's selftests under nlwatch: each
//! makes the objects that carry the field, and every key `ip -j -d` writes for
//! them must be in nlwatch's line with the same value (`json_schema`'s
//! comparison), in the snapshot (`nlwatch snapshot --json -d`) or, for what only
//! notifications change, in the live picture.

use crate::json_schema::{differences, identity, iproute2_objects};
use crate::monitor::HANG_GUARD;
use crate::sandbox::{ip, run};
use crate::sandboxed_test;
use nlwatch::output::JsonEvent;
use nlwatch::{objects::Link, Action, Event, Item, Monitor, Netns, Object, Subscription};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");

/// `nlwatch snapshot` with `args`: its lines.
fn snapshot(args: &[&str]) -> Vec<String> {
    let out = Command::new(BIN)
        .arg("snapshot")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// nlwatch's snapshot lines of `kind`, parsed.
fn ours(kind: &str) -> Vec<Value> {
    snapshot(&["--json", "-d"])
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["object"] == kind)
        .collect()
}

/// iproute2 6.1 writes a lightweight tunnel's fields beside `"encap":"ip"`
/// (later versions nest them, as nlwatch does): nested here, so that one
/// comparison holds for both. A route's own encapsulation cannot be made so:
/// its `dst` takes the place of the route's in 6.1's line.
fn nest_encap(hop: &mut Value) {
    let Some(map) = hop.as_object_mut() else {
        return;
    };
    let Some(Value::String(kind)) = map.get("encap").cloned() else {
        return;
    };
    let mut encap = serde_json::Map::new();
    encap.insert("encap_type".into(), kind.into());
    for k in ["id", "src", "dst", "ttl", "tos", "hoplimit", "tc"] {
        if let Some(v) = map.remove(k) {
            encap.insert(k.into(), v);
        }
    }
    map.insert("encap".into(), Value::Object(encap));
}

/// Every object of `kind` `ip -j -d` lists that `pick` selects is in
/// nlwatch's snapshot, with every key and value `ip` gives it. Returns how
/// many were compared (at least one).
fn same_as_ip(kind: &str, pick: impl Fn(&Value) -> bool) -> usize {
    let mut theirs = iproute2_objects().remove(kind).unwrap_or_default();
    for o in &mut theirs {
        if let Some(Value::Array(hops)) = o.get_mut("nexthops") {
            hops.iter_mut().for_each(nest_encap);
        }
    }
    let mine = ours(kind);
    let by_id: BTreeMap<String, &Value> = mine.iter().map(|o| (identity(kind, o), o)).collect();
    let mut problems = Vec::new();
    let mut compared = 0;
    for t in theirs.iter().filter(|o| pick(o)) {
        compared += 1;
        let id = identity(kind, t);
        let Some(o) = by_id.get(&id) else {
            problems.push(format!("{id}: not in nlwatch's snapshot (ip: {t})"));
            continue;
        };
        let mut diffs = Vec::new();
        differences(kind, "", t, o, &mut diffs);
        problems.extend(diffs.into_iter().map(|d| format!("{id}: {d}")));
    }
    assert!(compared > 0, "ip lists no such {kind}");
    assert!(problems.is_empty(), "{kind}:\n{}", problems.join("\n"));
    compared
}

/// Whether `o`'s `key` is the string `v`.
fn is(o: &Value, key: &str, v: &str) -> bool {
    o.get(key).and_then(Value::as_str) == Some(v)
}

/// Two veth pairs, `d0` and `d1`, up, with addresses on `d0`/`d1`.
fn two_links() {
    for cmd in [
        "link add d0 type veth peer name d0p",
        "link add d1 type veth peer name d1p",
        "link set d0p up",
        "link set d1p up",
        "link set d0 up",
        "link set d1 up",
        "addr add 10.0.0.1/24 dev d0",
        "addr add 10.0.1.1/24 dev d1",
        "addr add 2001:db8::1/64 dev d0 nodad",
        "addr add 2001:db8:1::1/64 dev d1 nodad",
    ] {
        ip(cmd);
    }
}

sandboxed_test! {
    /// Route flags as `ip -j` writes them: lower case, iproute2's spelling
    /// (`["onlink"]`, `"linkdown"`), and in the text line as `ip route`
    /// prints them. (nlwatch wrote `["ONLINK"]`, `["LINKDOWN"]`, and no
    /// flags in text.)
    fn route_flags_are_ips_lower_case_names() {
        two_links();
        ip("route add 10.5.0.0/24 via 10.0.0.2 dev d0 onlink");
        ip("route add 10.6.0.0/24 via 10.0.1.2 dev d1");
        ip("-6 route add 2001:db8:6::/64 via 2001:db8:1::2 dev d1");
        // d1 loses its carrier: its routes are `linkdown`.
        ip("link set d1p down");
        let flagged = |o: &Value| {
            o["flags"].as_array().is_some_and(|f| !f.is_empty())
        };
        assert!(same_as_ip("route", flagged) >= 3);
        let text = snapshot(&[]);
        for want in [
            "10.5.0.0/24 via 10.0.0.2 dev d0 table main proto boot onlink",
            "10.6.0.0/24 via 10.0.1.2 dev d1 table main proto boot linkdown",
        ] {
            assert!(text.iter().any(|l| l.ends_with(want)), "no {want:?} in {text:#?}");
        }
    }
}

sandboxed_test! {
    /// A route's TOS as `ip -j` writes it: `"tos":"0x10"`, or its
    /// `rt_dsfield` name; two routes that differ only there print apart.
    /// (nlwatch wrote no `tos`.)
    fn route_tos_is_ips_dsfield() {
        two_links();
        ip("route add 10.6.0.0/24 dev d0 tos 0x10");
        ip("route add 10.6.0.0/24 dev d0 tos 0x08");
        ip("route add 10.6.0.0/24 dev d0 tos 0x28");
        assert_eq!(same_as_ip("route", |o| o.get("tos").is_some()), 3);
        let text = snapshot(&[]);
        for want in ["10.6.0.0/24 tos 0x10 dev d0", "10.6.0.0/24 tos AF11 dev d0"] {
            assert!(text.iter().any(|l| l.contains(want)), "no {want:?} in {text:#?}");
        }
    }
}

sandboxed_test! {
    /// A route's metrics as `ip -j` writes them: `"metrics":[{"mtu":1300,
    /// ...}]`, `rtt` in milliseconds, `ecn` as a `null` key, the congestion
    /// control algorithm as `congestion`; in text as `ip route` prints them.
    /// (nlwatch wrote `"mtu":1300` at the top level and nothing else.)
    fn route_metrics_are_ips_metrics_list() {
        two_links();
        ip("route add 10.7.0.0/24 via 10.0.0.2 dev d0 mtu lock 1300 advmss 1200 rtt 100ms \
            rttvar 20ms rto_min 300ms features ecn congctl lock cubic hoplimit 5 initcwnd 10 \
            quickack 1 window 9000 initrwnd 20 reordering 4 ssthresh 7 cwnd 11 \
            fastopen_no_cookie 1");
        ip("route add 10.7.1.0/24 via 10.0.0.2 dev d0 mtu 1400");
        ip("-6 route add 2001:db8:7::/64 via 2001:db8::2 dev d0 mtu 1400 hoplimit 9");
        assert_eq!(same_as_ip("route", |o| o.get("metrics").is_some()), 3);
        // The text: as `ip route` prints the metrics, after the device.
        let out = run("ip", &["route", "show", "10.7.0.0/24"]);
        let theirs = String::from_utf8(out.stdout).unwrap();
        let metrics = theirs.split(" dev d0 ").nth(1).unwrap().trim();
        assert!(metrics.starts_with("mtu lock 1300 window 9000 rtt 100ms"), "{theirs}");
        let text = snapshot(&[]);
        let want = format!("10.7.0.0/24 via 10.0.0.2 dev d0 table main proto boot {metrics}");
        assert!(text.iter().any(|l| l.ends_with(&want)), "no {want:?} in {text:#?}");
    }
}

sandboxed_test! {
    /// Multipath routes as `ip -j` writes them: each hop names its device
    /// (`"dev"`) and its flags in lower case, the route itself has no `dev`,
    /// and a hop's lightweight tunnel is its `encap`; a route's own
    /// encapsulation is in its text line as `ip route` prints it. (nlwatch
    /// wrote a top-level `dev` naming the first hop's device, hops without
    /// `dev`, upper-case hop flags, and no encapsulation.) MPLS
    /// encapsulation cannot be made here: this kernel has no
    /// `mpls_iptunnel`.
    fn multipath_hops_as_ip_writes_them() {
        two_links();
        ip("route add 10.8.0.0/24 nexthop via 10.0.0.2 dev d0 weight 2 \
            nexthop via 10.0.1.2 dev d1 onlink");
        ip("-6 route add 2001:db8:8::/64 nexthop via 2001:db8::2 dev d0 \
            nexthop via 2001:db8:1::2 dev d1");
        // Tunnel keys need a device that takes them from the route.
        ip("link add vx type vxlan external dstport 4789");
        ip("link set vx up");
        ip("route add 10.10.0.0/24 nexthop encap ip id 2 dst 192.0.2.5 dev vx \
            nexthop encap ip id 3 dst 192.0.2.6 ttl 9 dev vx");
        ip("route add 10.9.0.0/24 encap ip id 1 dst 192.0.2.4 dev vx");
        // d1 loses its carrier: its hops are `linkdown` (and `dead`, IPv4).
        ip("link set d1p down");
        let multipath = |o: &Value| o.get("nexthops").is_some();
        assert_eq!(same_as_ip("route", multipath), 3);
        let mine = ours("route");
        for o in mine.iter().filter(|o| multipath(o)) {
            assert!(o.get("dev").is_none(), "a multipath route has no dev: {o}");
        }
        // 6.1's JSON of a route's own encapsulation is not comparable (see
        // `nest_encap`): its text is.
        let out = run("ip", &["-d", "route", "show", "10.9.0.0/24"]);
        let theirs = String::from_utf8(out.stdout).unwrap();
        let encap = theirs
            .split("  ")
            .nth(1)
            .and_then(|s| s.split(" dev ").next())
            .unwrap()
            .trim()
            .to_string();
        assert!(encap.starts_with("encap ip id 1"), "{theirs}");
        let text = snapshot(&[]);
        assert!(
            text.iter().any(|l| l.contains(&format!("10.9.0.0/24 {encap} dev vx"))),
            "no {encap:?} in {text:#?}"
        );
        let json = mine.iter().find(|o| is(o, "dst", "10.9.0.0/24")).unwrap();
        assert_eq!(
            json["encap"],
            serde_json::json!({"encap_type":"ip","id":1,"src":"0.0.0.0","dst":"192.0.2.4","ttl":0,"tos":0}),
            "{json}"
        );
    }
}

sandboxed_test! {
    /// An address's route metric (`IFA_RT_PRIORITY`) as `ip -j` writes it:
    /// `"metric":100`, and in text as `ip addr` prints it. (nlwatch wrote
    /// none.)
    fn address_metric_is_ips() {
        two_links();
        ip("addr add 10.3.0.1/24 dev d0 metric 100");
        ip("addr add 2001:db8:3::1/64 dev d0 metric 200 nodad");
        assert_eq!(same_as_ip("addr", |o| o.get("metric").is_some()), 2);
        let text = snapshot(&[]);
        let want = "d0 inet 10.3.0.1/24 metric 100 scope global";
        assert!(text.iter().any(|l| l.contains(want)), "no {want:?} in {text:#?}");
    }
}

sandboxed_test! {
    /// A link's alias as `ip -j -d` writes it: `"ifalias":"..."`. (nlwatch
    /// wrote none.)
    fn link_alias_is_ips_ifalias() {
        two_links();
        // (A `\` would be written `\\`, as in every name nlwatch writes: see the
        // README, "Names".)
        run("ip", &["link", "set", "d0", "alias", "uplink \"a\" b"]);
        assert_eq!(same_as_ip("link", |o| o.get("ifalias").is_some()), 1);
        // Set and taken away: gone from the line, as from ip's.
        run("ip", &["link", "set", "d0", "alias", ""]);
        let mine = ours("link");
        let d0 = mine.iter().find(|o| is(o, "ifname", "d0")).unwrap();
        assert!(d0.get("ifalias").is_none(), "{d0}");
    }
}

sandboxed_test! {
    /// A neighbour's `NTF_ROUTER` as `ip -j` writes it: `"router":null`.
    /// (nlwatch wrote it only in its own `flags` list.)
    fn neighbour_router_flag_is_ips() {
        two_links();
        ip("neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev d0 router nud permanent");
        ip("-6 neigh add 2001:db8::9 lladdr 02:00:00:00:00:09 dev d0 router nud permanent");
        assert_eq!(same_as_ip("neigh", |o| o.get("router").is_some()), 2);
    }
}

/// The state of bridge port `dev` as `ip -j -d` gives it.
fn port_state(dev: &str) -> String {
    let v = crate::sandbox::ip_json(&format!("-d link show dev {dev}"));
    v[0]["linkinfo"]["info_slave_data"]["state"]
        .as_str()
        .unwrap_or("-")
        .to_string()
}

/// Waits until `f` holds.
fn wait_until(what: &str, f: impl Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < HANG_GUARD, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The links a subscriber's picture holds: the links of the events it
/// received, by ifindex (not a bridge's per-port messages, which do not
/// stand for the link).
type Picture = BTreeMap<u32, Link>;

/// Folds what `sub` has into `picture` until a marker change has come and no
/// dump is due.
fn settle(monitor: &Monitor, sub: &Subscription, marker: &str, picture: &mut Picture) {
    ip(&format!("link add {marker} type veth peer name {marker}p"));
    let t = Instant::now();
    let mut got = false;
    loop {
        while let Ok(item) = sub.try_recv() {
            let Item::Event(ev) = item else { continue };
            let Object::Link(l) = &ev.object else {
                continue;
            };
            if !l.is_interface() {
                continue;
            }
            got |= l.ifname.as_ref().is_some_and(|n| n == marker);
            match ev.action {
                Action::New => picture.insert(l.ifindex, l.clone()),
                Action::Del => picture.remove(&l.ifindex),
            };
        }
        if got && !monitor.namespaces()[0].syncing && sub.is_empty() {
            return;
        }
        assert!(t.elapsed() < HANG_GUARD, "never settled");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `link`'s JSON line, its interfaces named from `links`.
fn link_line(link: &Link, links: &[Link]) -> Value {
    let names = |i: u32| {
        links
            .iter()
            .find(|l| l.ifindex == i)
            .and_then(|l| l.ifname.clone())
    };
    let event = Event::new(Default::default(), Action::New, Object::Link(link.clone()));
    let mut out = Vec::new();
    JsonEvent {
        event: &event,
        names: &names,
        details: true,
    }
    .write_line(&mut out);
    serde_json::from_slice(&out).unwrap()
}

/// What of `ours` (a link's line) differs from `ip -j -d link show dev`.
fn link_differences(dev: &str, ours: &Value) -> Vec<String> {
    let theirs = crate::sandbox::ip_json(&format!("-d link show dev {dev}"));
    let mut diffs = Vec::new();
    differences("link", "", &theirs[0], ours, &mut diffs);
    diffs
}

sandboxed_test! {
    /// A bridge port's state changes with only the bridge's per-port message
    /// (family `AF_BRIDGE`) to say so: the bridge going down disables its
    /// ports, coming up puts them back to forwarding (STP off), and no
    /// message of the port link itself follows. The port's link, in the live
    /// picture a subscriber folds and in the monitor's snapshot, must be what
    /// `ip -j -d link show` says after each. (It kept `"state":"forwarding"`
    /// after the bridge went down.)
    fn bridge_port_state_follows_the_bridges_per_port_messages() {
        ip("link add br0 type bridge");
        ip("link add v0 type veth peer name v1");
        ip("link set v0 master br0");
        for dev in ["br0", "v1", "v0"] {
            ip(&format!("link set {dev} up"));
        }
        wait_until("v0 forwarding", || port_state("v0") == "forwarding");
        let monitor = Monitor::builder().list_existing(true).build().unwrap();
        let sub = monitor.subscribe();
        monitor.add_namespace(Netns::Current).unwrap();
        let mut picture = Picture::new();
        settle(&monitor, &sub, "mk0", &mut picture);
        let v0 = crate::sandbox::ifindex("v0");
        for (i, (change, state)) in [("link set br0 down", "disabled"), ("link set br0 up", "forwarding")]
            .into_iter()
            .enumerate()
        {
            ip(change);
            wait_until(state, || port_state("v0") == state);
            settle(&monitor, &sub, &format!("mk{}", i + 1), &mut picture);
            let links: Vec<Link> = picture.values().cloned().collect();
            let live = link_line(&picture[&v0], &links);
            assert_eq!(live["linkinfo"]["info_slave_data"]["state"], state, "{live}");
            let diffs = link_differences("v0", &live);
            assert!(diffs.is_empty(), "live picture after {change}: {diffs:?}");
            let snap = &monitor.snapshots(&nlwatch::Filter::new())[0];
            let port = snap.links.iter().find(|l| l.ifindex == v0).unwrap();
            let diffs = link_differences("v0", &link_line(port, &snap.links));
            assert!(diffs.is_empty(), "snapshot after {change}: {diffs:?}");
        }
        monitor.shutdown();
    }
}
