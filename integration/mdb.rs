//! The `mdb` kind against the real kernel: groups added and removed on a
//! bridge with `bridge mdb`, router ports, a port going down, a port and a
//! bridge deleted; the events decoded in order, which deletions the kernel
//! announces (a bridge's own groups go silently: synthesized), and
//! `nlwatch snapshot --json -d mdb` against `bridge -d -j mdb show`.

use crate::monitor::collect_until;
use crate::netconf::{snapshot_json, sysctl, wait_synced};
use crate::sandbox::{ifindex, ip, run};
use crate::sandboxed_test;
use nlwatch::{Action, Event, Monitor, Netns, Object, ObjectKind, Origin};
use std::collections::{BTreeMap, BTreeSet};

/// `bridge` with `args` (split on spaces).
fn bridge(args: &str) {
    run("bridge", &args.split_whitespace().collect::<Vec<_>>());
}

/// A bridge `mb0` with multicast snooping and a port `mp0` (peer `mq0`), all
/// up, in a namespace where IPv6 is off: no MLD, so the kernel learns no group
/// and the bridge joins none by itself (and sends nothing: no querier).
fn bridge_with_port() -> (u32, u32) {
    sysctl("net/ipv6/conf/all/disable_ipv6", "1");
    sysctl("net/ipv6/conf/default/disable_ipv6", "1");
    ip("link add mb0 type bridge mcast_snooping 1");
    ip("link add mp0 type veth peer name mq0");
    ip("link set mp0 master mb0");
    for dev in ["mb0", "mp0", "mq0"] {
        ip(&format!("link set {dev} up"));
    }
    (ifindex("mb0"), ifindex("mp0"))
}

/// An MDB event as one line, `bridge monitor`'s words: action, port, group,
/// source, state; or a router port.
fn line(ev: &Event, names: &BTreeMap<u32, &str>) -> String {
    let Object::Mdb(m) = &ev.object else {
        panic!("not mdb: {ev:?}")
    };
    let name = |i: u32| names.get(&i).copied().unwrap_or("?");
    let origin = match ev.origin {
        Origin::Synthesized => " (synthesized)",
        _ => "",
    };
    let Some(g) = m.group else {
        return format!(
            "{} router port {} master {}{origin}",
            ev.action.as_str(),
            name(m.port),
            name(m.bridge)
        );
    };
    let src = m.src.map(|s| format!(" src {s}")).unwrap_or_default();
    let state = if m.state == 1 { "permanent" } else { "temp" };
    format!(
        "{} dev {} port {} grp {g}{src} {state} vid {}{origin}",
        ev.action.as_str(),
        name(m.bridge),
        name(m.port),
        m.vid
    )
}

/// `nlwatch snapshot --json -d mdb` holds what `bridge -d -j mdb show` lists (its
/// groups, and its router ports), every field `bridge` prints equal, and
/// nothing else.
fn snapshot_equals_bridge() {
    let ours = snapshot_json("mdb");
    let out = run("bridge", &["-d", "-j", "mdb", "show"]);
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups = theirs[0]["mdb"].as_array().cloned().unwrap_or_default();
    let (our_routers, our_groups): (Vec<_>, Vec<_>) =
        ours.iter().partition(|o| o["router"] == true);
    assert_eq!(
        our_groups.len(),
        groups.len(),
        "ours {ours:#?}\nbridge {groups:#?}"
    );
    for t in &groups {
        let o = our_groups
            .iter()
            .find(|o| o["port"] == t["port"] && o["grp"] == t["grp"] && o["src"] == t["src"])
            .unwrap_or_else(|| panic!("{t} missing from {ours:#?}"));
        assert_eq!(o["object"], "mdb");
        for (k, v) in t.as_object().unwrap() {
            assert_eq!(&o[k], v, "{k} of {t}: ours {o}");
        }
    }
    // Router ports: {"mb0":[{"port":"mp0"}]}.
    let mut routers = BTreeSet::new();
    for (dev, ports) in theirs[0]["router"].as_object().into_iter().flatten() {
        for p in ports.as_array().unwrap() {
            routers.insert((dev.clone(), p["port"].as_str().unwrap().to_string()));
        }
    }
    let ours: BTreeSet<(String, String)> = our_routers
        .iter()
        .map(|o| {
            (
                o["dev"].as_str().unwrap().into(),
                o["port"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(ours, routers);
}

sandboxed_test! {
    /// IPv4, IPv6, source-specific, layer-2 and host-joined groups, a
    /// temporary one, a router port; deletions by hand, by a port going down
    /// (its temporary groups), by the port's deletion (the rest of its groups)
    /// and by the bridge's deletion (its own groups: the kernel says nothing,
    /// nlwatch synthesizes them after the bridge's RTM_DELLINK).
    fn mdb_changes_are_reported_in_order_and_silent_deletions_synthesized() {
        let (br, port) = bridge_with_port();
        let monitor = Monitor::builder()
            .objects([ObjectKind::Link, ObjectKind::Mdb])
            .build()
            .expect("monitor");
        let sub = monitor.subscribe();
        monitor.add_namespace(Netns::Current).expect("watch this namespace");
        wait_synced(&sub);

        bridge("mdb add dev mb0 port mp0 grp 239.1.1.1 permanent");
        bridge("mdb add dev mb0 port mp0 grp ff0e::1 permanent");
        bridge("mdb add dev mb0 port mp0 grp 239.1.1.2 src 192.0.2.1 permanent");
        bridge("mdb add dev mb0 port mp0 grp 01:00:5e:00:00:42 permanent");
        bridge("mdb add dev mb0 port mb0 grp 239.1.1.4");
        bridge("mdb add dev mb0 port mp0 grp 239.1.1.3 temp");
        ip("link set mp0 type bridge_slave mcast_router 2");
        snapshot_equals_bridge();
        bridge("mdb del dev mb0 port mp0 grp 239.1.1.1");
        ip("link set mp0 type bridge_slave mcast_router 1");
        // A port going down loses its temporary groups, not its permanent ones.
        ip("link set mp0 down");
        snapshot_equals_bridge();
        ip("link set mp0 up");
        ip("link del mp0");
        snapshot_equals_bridge();
        ip("link del mb0");
        let events = collect_until(&sub, |ev| {
            ev.origin == Origin::Synthesized && ev.object.kind() == ObjectKind::Mdb
        });

        let names = BTreeMap::from([(br, "mb0"), (port, "mp0")]);
        let mdb: Vec<&Event> = events
            .iter()
            .map(|e| &**e)
            .filter(|e| e.object.kind() == ObjectKind::Mdb)
            .collect();
        let got: Vec<String> = mdb.iter().map(|e| line(e, &names)).collect();
        let (head, rest) = got.split_at(got.len().min(10));
        assert_eq!(
            head,
            [
                "new dev mb0 port mp0 grp 239.1.1.1 permanent vid 0",
                "new dev mb0 port mp0 grp ff0e::1 permanent vid 0",
                "new dev mb0 port mp0 grp 239.1.1.2 src 192.0.2.1 permanent vid 0",
                "new dev mb0 port mp0 grp 01:00:5e:00:00:42 permanent vid 0",
                "new dev mb0 port mb0 grp 239.1.1.4 temp vid 0",
                "new dev mb0 port mp0 grp 239.1.1.3 temp vid 0",
                "new router port mp0 master mb0",
                "del dev mb0 port mp0 grp 239.1.1.1 permanent vid 0",
                "del router port mp0 master mb0",
                "del dev mb0 port mp0 grp 239.1.1.3 temp vid 0",
            ],
            "{got:#?}"
        );
        // The port's deletion: the kernel announces each of its groups (in the
        // order of its list), then the bridge's deletion: its own group, which
        // the kernel does not announce.
        let (port_gone, bridge_gone) = rest.split_at(rest.len().saturating_sub(1));
        let port_gone: BTreeSet<&str> = port_gone.iter().map(String::as_str).collect();
        assert_eq!(
            port_gone,
            BTreeSet::from([
                "del dev mb0 port mp0 grp ff0e::1 permanent vid 0",
                "del dev mb0 port mp0 grp 239.1.1.2 src 192.0.2.1 permanent vid 0",
                "del dev mb0 port mp0 grp 01:00:5e:00:00:42 permanent vid 0",
            ]),
            "{got:#?}"
        );
        assert_eq!(
            bridge_gone,
            ["del dev mb0 port mb0 grp 239.1.1.4 temp vid 0 (synthesized)"]
        );
        // Only that one is synthesized; the port's groups went before the
        // port's own RTM_DELLINK, the bridge's after the bridge's.
        assert_eq!(mdb.iter().filter(|e| e.origin == Origin::Synthesized).count(), 1);
        let at = |pred: &dyn Fn(&Event) -> bool| events.iter().position(|e| pred(e)).unwrap();
        let link_del = |i: u32| {
            move |e: &Event| {
                e.action == Action::Del
                    && matches!(&e.object, Object::Link(l) if l.ifindex == i && l.is_interface())
            }
        };
        let last_port_group = events
            .iter()
            .rposition(|e| matches!(&e.object, Object::Mdb(m) if m.port == port))
            .unwrap();
        assert!(last_port_group < at(&link_del(port)));
        assert!(at(&link_del(br)) < events.len() - 1);
        // Nothing of the bridge is left in the view.
        let snap = monitor.snapshots(&nlwatch::Filter::new()).remove(0);
        assert!(snap.mdbs.is_empty(), "{:#?}", snap.mdbs);
        let stats = &monitor.namespaces()[0];
        assert_eq!((stats.counters.decode_errors, stats.counters.attributes_skipped), (0, 0));
    }
}

sandboxed_test! {
    /// A bridge deleted with groups still on its ports: the kernel announces
    /// the ports' groups as it removes the ports; the bridge's own groups are
    /// synthesized.
    fn a_deleted_bridge_takes_its_groups() {
        let (br, port) = bridge_with_port();
        bridge("mdb add dev mb0 port mp0 grp 239.1.1.1 permanent");
        bridge("mdb add dev mb0 port mb0 grp 239.1.1.4");
        bridge("mdb add dev mb0 port mb0 grp 239.1.1.5");
        let monitor = Monitor::builder()
            .objects([ObjectKind::Link, ObjectKind::Mdb])
            .list_existing(true)
            .build()
            .expect("monitor");
        let sub = monitor.subscribe();
        monitor.add_namespace(Netns::Current).expect("watch this namespace");
        // The initial dump (one RTM_GETMDB message for the bridge) lists each.
        let names = BTreeMap::from([(br, "mb0"), (port, "mp0")]);
        let dumped: BTreeSet<String> = wait_synced(&sub)
            .iter()
            .filter(|e| e.object.kind() == ObjectKind::Mdb)
            .map(|e| line(e, &names))
            .collect();
        assert_eq!(
            dumped,
            BTreeSet::from([
                "new dev mb0 port mp0 grp 239.1.1.1 permanent vid 0".to_string(),
                "new dev mb0 port mb0 grp 239.1.1.4 temp vid 0".to_string(),
                "new dev mb0 port mb0 grp 239.1.1.5 temp vid 0".to_string(),
            ])
        );
        ip("link del mb0");
        let events = collect_until(&sub, |ev| {
            ev.action == Action::Del
                && ev.origin == Origin::Synthesized
                && matches!(&ev.object, Object::Mdb(m) if m.group.map(|g| g.to_string()).as_deref() == Some("239.1.1.5"))
        });
        let got: Vec<String> = events
            .iter()
            .filter(|e| e.object.kind() == ObjectKind::Mdb && e.action == Action::Del)
            .map(|e| line(e, &names))
            .collect();
        assert_eq!(
            got,
            [
                "del dev mb0 port mp0 grp 239.1.1.1 permanent vid 0",
                "del dev mb0 port mb0 grp 239.1.1.4 temp vid 0 (synthesized)",
                "del dev mb0 port mb0 grp 239.1.1.5 temp vid 0 (synthesized)",
            ]
        );
    }
}

sandboxed_test! {
    /// With IGMPv3 the kernel adds each entry's filter mode (and source list):
    /// the snapshot still equals `bridge -d -j mdb show`.
    fn snapshot_equals_bridge_mdb_show_with_igmpv3() {
        bridge_with_port();
        ip("link set mb0 type bridge mcast_igmp_version 3");
        bridge("mdb add dev mb0 port mp0 grp 239.1.1.1 permanent");
        bridge("mdb add dev mb0 port mp0 grp 239.1.1.2 src 192.0.2.1 permanent");
        bridge("mdb add dev mb0 port mb0 grp 239.1.1.4");
        let ours = snapshot_json("mdb");
        assert!(ours.iter().any(|o| o["filter_mode"] == "exclude"), "{ours:#?}");
        assert!(ours.iter().any(|o| o["filter_mode"] == "include"), "{ours:#?}");
        snapshot_equals_bridge();
    }
}
