//! The bridge forwarding database (`fdb`): entries on a bridge port and VXLAN
//! remotes, reported as the kernel made them, and kept as `bridge -j fdb show`
//! lists them.

use crate::monitor::{collect_until, HANG_GUARD};
use crate::sandbox::{ifindex, run};
use crate::sandboxed_test;
use nlwatch::{Event, Filter, Item, Monitor, Netns, Object, ObjectKind, Origin};
use std::collections::BTreeSet;

fn bridge(args: &str) {
    run("bridge", &args.split_whitespace().collect::<Vec<_>>());
}

fn ip(args: &str) {
    crate::sandbox::ip(args);
}

/// A bridge `br0` with port `v0` (peer `v1`) and a VXLAN device `vx0`, all left
/// down: no traffic, so nothing is learned behind the test's back.
fn topology() {
    ip("link add br0 type bridge");
    ip("link add v0 type veth peer name v1");
    ip("link set v0 master br0");
    ip("link add vx0 type vxlan id 100 dstport 4789 local 10.0.0.1");
}

/// One fdb event as a line: action, origin, MAC, device, remote, VNI, port,
/// flags, bridge, state.
fn line(ev: &Event) -> String {
    let Object::Fdb(e) = &ev.object else {
        panic!("not an fdb event: {ev:?}")
    };
    let name = |i: Option<u32>| match i {
        Some(i) if i == ifindex("br0") => "br0".to_string(),
        Some(i) => format!("if{i}"),
        None => "-".to_string(),
    };
    format!(
        "{} {} {} dev {} dst {} vni {} port {} flags {:#x} master {} state {}",
        ev.action.as_str(),
        ev.origin.as_str(),
        e.mac.map(|m| m.to_string()).unwrap_or_default(),
        ev.ifname
            .as_ref()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        e.dst.map(|d| d.to_string()).unwrap_or("-".into()),
        e.vni.map(|v| v.to_string()).unwrap_or("-".into()),
        e.port.map(|v| v.to_string()).unwrap_or("-".into()),
        e.flags,
        name(e.master),
        e.state_name().unwrap_or("?"),
    )
}

sandboxed_test! {
    /// Entries added and deleted on a bridge port and on a VXLAN device, and the
    /// remotes a deleted VXLAN device takes with it, reported exactly and in
    /// order as `fdb` events (and not as `neigh` ones).
    fn fdb_changes_are_reported_exactly_and_in_order() {
        topology();
        let monitor = Monitor::builder().build().unwrap();
        let sub = monitor.subscribe_with(Filter::new().object(ObjectKind::Fdb));
        let neigh = monitor.subscribe_with(Filter::new().object(ObjectKind::Neighbour));
        monitor.add_namespace(Netns::Current).unwrap();
        // The view is complete once SyncDone has come: changes follow it.
        let t = std::time::Instant::now();
        loop {
            match sub.recv_timeout(HANG_GUARD) {
                Ok(Item::SyncDone { .. }) => break,
                Ok(_) => {}
                Err(e) => panic!("no SyncDone: {e}"),
            }
            assert!(t.elapsed() < HANG_GUARD);
        }
        bridge("fdb add 02:00:00:00:00:aa dev v0 master static");
        bridge("fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.2");
        bridge("fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.3 vni 200 port 4790");
        bridge("fdb del 02:00:00:00:00:aa dev v0 master");
        bridge("fdb del 00:00:00:00:00:00 dev vx0 dst 10.0.0.2");
        ip("link del vx0");
        bridge("fdb add 02:00:00:00:00:ff dev v0 master static");
        let events = collect_until(&sub, |ev| {
            matches!(&ev.object, Object::Fdb(e) if e.mac.is_some_and(|m| m.as_bytes()[5] == 0xff))
        });
        let got: Vec<String> = events.iter().map(|e| line(e)).collect();
        let want = [
            "new live 02:00:00:00:00:aa dev v0 dst - vni - port - flags 0x0 master br0 state static",
            "new live 00:00:00:00:00:00 dev vx0 dst 10.0.0.2 vni - port - flags 0x2 master - state permanent",
            "new live 00:00:00:00:00:00 dev vx0 dst 10.0.0.3 vni 200 port 4790 flags 0x2 master - state permanent",
            "del live 02:00:00:00:00:aa dev v0 dst - vni - port - flags 0x0 master br0 state static",
            "del live 00:00:00:00:00:00 dev vx0 dst 10.0.0.2 vni - port - flags 0x2 master - state permanent",
            "del live 00:00:00:00:00:00 dev vx0 dst 10.0.0.3 vni 200 port 4790 flags 0x2 master - state permanent",
            "new live 02:00:00:00:00:ff dev v0 dst - vni - port - flags 0x0 master br0 state static",
        ];
        assert_eq!(got, want);
        assert!(events.iter().all(|e| e.origin == Origin::Live));
        // Nothing of the bridge's database reached the neighbour subscriber.
        monitor.shutdown();
        let neighbours: Vec<Item> = neigh
            .into_iter()
            .filter(|i| matches!(i, Item::Event(_)))
            .collect();
        assert!(neighbours.is_empty(), "{neighbours:#?}");
    }
}

/// The entries of `bridge -j fdb show` the state view keeps (all but a device's
/// own address-list entries: `self` without `dst`), as comparable lines.
fn kernel_fdb() -> BTreeSet<String> {
    let out = run("bridge", &["-j", "fdb", "show"]);
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let is_self = e["flags"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f == "self"));
            !(is_self && e.get("dst").is_none())
        })
        .map(fdb_line)
        .collect()
}

fn fdb_line(e: &serde_json::Value) -> String {
    let field = |k: &str| e.get(k).map(|v| v.to_string()).unwrap_or_default();
    format!(
        "mac={} ifname={} dst={} vlan={} port={} vni={} flags={} master={} state={}",
        field("mac"),
        field("ifname"),
        field("dst"),
        field("vlan"),
        field("port"),
        field("vni"),
        field("flags"),
        field("master"),
        field("state"),
    )
}

sandboxed_test! {
    /// `nlwatch snapshot --json fdb` lists what `bridge -j fdb show` lists (but
    /// a device's own address-list entries, which change without notifications),
    /// field by field.
    fn snapshot_of_fdb_equals_bridge_fdb_show() {
        topology();
        ip("link add vx6 type vxlan id 600 dstport 4789 local 2001:db8::1");
        bridge("fdb add 02:00:00:00:00:aa dev v0 master static");
        bridge("fdb add 02:00:00:00:00:ab dev v0 master permanent");
        bridge("fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.2");
        bridge("fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.3 vni 200 port 4790");
        bridge("fdb add 02:00:00:00:00:cc dev vx0 dst 10.0.0.4 self permanent");
        bridge("fdb append 00:00:00:00:00:00 dev vx6 dst 2001:db8::2");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_nlwatch"))
            .args(["snapshot", "--json", "fdb"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let mine: BTreeSet<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert_eq!(v["object"], "fdb");
                fdb_line(&v)
            })
            .collect();
        let kernel = kernel_fdb();
        assert_eq!(mine, kernel);
        // The bridge's entries (its own MAC on v0 too) and the four remotes.
        assert!(kernel.len() >= 7, "{kernel:#?}");
    }
}

sandboxed_test! {
    /// A port leaving its bridge: its local (permanent) entries are pointed,
    /// without a notification, at another port with the same MAC or at the
    /// bridge when it has that MAC; the view follows (the moved entries are
    /// announced as synthesized) and still equals `bridge -j fdb show`.
    fn local_entries_of_a_port_that_leaves_follow_its_mac() {
        ip("link add br0 address 02:00:00:00:0b:01 type bridge");
        for (port, peer, mac) in [
            ("p1", "q1", "02:00:00:00:0a:01"),
            ("p2", "q2", "02:00:00:00:0a:01"),
            ("p3", "q3", "02:00:00:00:0b:01"),
        ] {
            ip(&format!("link add {port} address {mac} type veth peer name {peer}"));
            ip(&format!("link set {port} master br0"));
        }
        let monitor = Monitor::builder().build().unwrap();
        let sub = monitor.subscribe_with(Filter::new().object(ObjectKind::Fdb));
        monitor.add_namespace(Netns::Current).unwrap();
        loop {
            match sub.recv_timeout(HANG_GUARD) {
                Ok(Item::SyncDone { .. }) => break,
                Ok(_) => {}
                Err(e) => panic!("no SyncDone: {e}"),
            }
        }
        // p1's MAC is p2's too: its local entry moves to p2. p3's is the
        // bridge's, whose own entry it shared: nothing moves.
        ip("link set p1 nomaster");
        ip("link del p3");
        bridge("fdb add 02:00:00:00:00:ff dev p2 master static");
        let events = collect_until(&sub, |ev| {
            matches!(&ev.object, Object::Fdb(e) if e.mac.is_some_and(|m| m.as_bytes()[5] == 0xff))
        });
        let moved: Vec<String> = events
            .iter()
            .filter(|e| e.origin == Origin::Synthesized)
            .map(|e| line(e))
            .collect();
        assert_eq!(
            moved,
            [
                "new synthesized 02:00:00:00:0a:01 dev p2 dst - vni - port - flags 0x0 master br0 state permanent",
            ],
            "{:#?}",
            events.iter().map(|e| line(e)).collect::<Vec<_>>()
        );
        let snap = &monitor.snapshots(&Filter::new())[0];
        let names: std::collections::HashMap<u32, String> = snap
            .links
            .iter()
            .map(|l| (l.ifindex, l.ifname.as_ref().unwrap().to_string()))
            .collect();
        let mine: BTreeSet<String> = snap
            .fdb
            .iter()
            .map(|e| {
                let name = |i: u32| names.get(&i).cloned().unwrap_or_default();
                format!(
                    "mac={} dev={} master={} state={}",
                    e.mac.unwrap(),
                    name(e.ifindex),
                    e.master.map(name).unwrap_or_default(),
                    e.state_name().unwrap()
                )
            })
            .collect();
        let kernel: BTreeSet<String> = kernel_fdb()
            .iter()
            .map(|l| {
                let v = |k: &str| {
                    l.split_whitespace()
                        .find_map(|w| w.strip_prefix(&format!("{k}=")))
                        .unwrap_or("")
                        .trim_matches('"')
                        .to_string()
                };
                format!("mac={} dev={} master={} state={}", v("mac"), v("ifname"), v("master"), v("state"))
            })
            .collect();
        assert_eq!(mine, kernel);
    }
}
