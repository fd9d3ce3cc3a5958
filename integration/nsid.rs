//! Namespace ids against the real kernel: ids set by hand and assigned by the
//! kernel (a veth pair across two namespaces), and their removal when the
//! peer namespace is destroyed, in each watched namespace; the dump of
//! `nlwatch snapshot --json nsid` equals `ip -j netns list-id`.

use crate::monitor::HANG_GUARD;
use crate::sandbox::{ip, ip_json, run};
use crate::sandboxed_test;
use nlwatch::{Action, Filter, Item, Monitor, Netns, Object, ObjectKind, Origin};
use std::collections::BTreeMap;

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");

/// `(namespace, action, origin, nsid)` of one nsid event.
type Seen = (String, Action, Origin, i32);

/// The nsid ids `nlwatch snapshot --json nsid` lists for namespace `netns`
/// (`None`: the current one), and those `ip -j netns list-id` lists there.
fn both_lists(netns: Option<&str>) -> (Vec<i64>, Vec<i64>) {
    let mut args = vec!["snapshot", "--json"];
    let mut ip_args = String::from("netns list-id");
    if let Some(name) = netns {
        args.extend(["--netns", name]);
        ip_args = format!("-n {name} netns list-id");
    }
    args.push("nsid");
    let out = run(BIN, &args);
    let ours = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["nsid"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let theirs = ip_json(&ip_args)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["nsid"].as_i64().unwrap())
        .collect();
    (ours, theirs)
}

sandboxed_test! {
    /// `ip netns set` and a veth pair across namespaces make ids; destroying a
    /// peer namespace removes its id, announced by the kernel in every
    /// namespace that had one (nothing to synthesize).
    fn ids_come_and_go_with_their_peers() {
        ip("netns add a");
        ip("netns add b");
        ip("netns set a 5");

        let monitor = Monitor::builder().build().expect("monitor");
        let sub = monitor.subscribe_with(Filter::new().objects([ObjectKind::Nsid]));
        let here = monitor.add_namespace(Netns::Current).unwrap();
        let a = monitor.add_namespace(Netns::Named("a".into())).unwrap();
        let b = monitor.add_namespace(Netns::Named("b".into())).unwrap();
        let mut synced = 0;
        while synced < 3 {
            match sub.recv_timeout(HANG_GUARD) {
                Ok(Item::SyncDone { .. }) => synced += 1,
                Ok(Item::NamespaceAdded { .. }) => {}
                other => panic!("expected SyncDone, got {other:?}"),
            }
        }
        // The id set before is in the dump.
        let ids = |h: &nlwatch::NamespaceHandle| -> Vec<Option<i32>> {
            monitor.snapshot(h.tag()).unwrap().nsids.iter().map(|n| n.nsid).collect()
        };
        assert_eq!(ids(&here), [Some(5)]);
        assert!(ids(&a).is_empty() && ids(&b).is_empty());
        assert_eq!(both_lists(None), (vec![5], vec![5]));

        // The kernel gives each end's namespace an id for the other.
        ip("-n a link add x type veth peer name y netns b");
        assert_eq!(both_lists(Some("a")), (vec![0], vec![0]));
        assert_eq!(both_lists(Some("b")), (vec![0], vec![0]));

        // Destroying b (nlwatch lets go of it first: its socket would keep b
        // alive) removes a's id for it; then a's, the current namespace's id 5.
        monitor.remove_namespace(&b).unwrap();
        ip("netns del b");
        let mut got: Vec<Seen> = Vec::new();
        let wait_for = |want: &Seen, got: &mut Vec<Seen>| {
            while !got.contains(want) {
                match sub.recv_timeout(HANG_GUARD) {
                    Ok(Item::Event(ev)) => {
                        let Object::Nsid(n) = &ev.object else {
                            panic!("a filter for nsid let through {:?}", ev.object)
                        };
                        got.push((ev.netns.name.to_string(), ev.action, ev.origin, n.nsid.unwrap()));
                    }
                    Ok(_) => {}
                    Err(e) => panic!("no {want:?} ({e}); got {got:?}"),
                }
            }
        };
        wait_for(&("a".into(), Action::Del, Origin::Live, 0), &mut got);
        monitor.remove_namespace(&a).unwrap();
        ip("netns del a");
        wait_for(&("".into(), Action::Del, Origin::Live, 5), &mut got);

        let mut per_ns: BTreeMap<String, Vec<(Action, i32)>> = BTreeMap::new();
        for (ns, action, origin, id) in &got {
            assert_eq!(*origin, Origin::Live);
            per_ns.entry(ns.clone()).or_default().push((*action, *id));
        }
        let expect: BTreeMap<String, Vec<(Action, i32)>> = [
            ("".to_string(), vec![(Action::Del, 5)]),
            ("a".to_string(), vec![(Action::New, 0), (Action::Del, 0)]),
            ("b".to_string(), vec![(Action::New, 0)]),
        ]
        .into_iter()
        .collect();
        assert_eq!(per_ns, expect);
        assert!(ids(&here).is_empty());
        assert_eq!(both_lists(None), (vec![], vec![]));
    }
}
