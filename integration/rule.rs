//! Policy rules against the real kernel: the events `ip rule` changes produce,
//! in order, including the flags the kernel changes without a message
//! (`detached`, `unresolved`), which nlwatch synthesizes; the view kept by
//! those events equals a fresh dump, and `nlwatch snapshot --json rule` equals
//! `ip -j rule show` field by field.

use crate::monitor::HANG_GUARD;
use crate::sandbox::{ip, ip_json, run};
use crate::sandboxed_test;
use nlwatch::{objects::Rule, Action, Filter, Item, Monitor, Netns, Object, ObjectKind, Origin};
use serde_json::Value;
use std::collections::BTreeMap;

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");

const INVERT: u32 = 0x2;
const UNRESOLVED: u32 = 0x4;
const IIF_DETACHED: u32 = 0x8;
const OIF_DETACHED: u32 = 0x10;

/// What a rule event is checked on: action, origin, family, priority, flags.
type Seen = (Action, Origin, u8, u32, u32);

fn seen(action: Action, origin: Origin, r: &Rule) -> Seen {
    (action, origin, r.family, r.priority, r.flags)
}

/// The rule events of `sub` until `n` have come.
fn rule_events(sub: &nlwatch::Subscription, n: usize) -> Vec<(Seen, Rule)> {
    let mut got = Vec::new();
    while got.len() < n {
        match sub.recv_timeout(HANG_GUARD) {
            Ok(Item::Event(ev)) => match &ev.object {
                Object::Rule(r) => got.push((seen(ev.action, ev.origin, r), r.clone())),
                other => panic!("a filter for rules let through {other:?}"),
            },
            Ok(_) => {}
            Err(e) => panic!("only {} rule events ({e}): {got:#?}", got.len()),
        }
    }
    got
}

/// `nlwatch snapshot --json -d rule` in this namespace: one object per rule.
fn cli_rules() -> Vec<Value> {
    let out = run(BIN, &["snapshot", "--json", "-d", "rule"]);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Compares nlwatch's rules of `family` with `ip -j rule show`'s: the same
/// rules, each with every field `ip` prints, of the same value. nlwatch adds
/// its own fields (`ts`, `netns`, `object`, ...), `family` and the port masks
/// this kernel sends and iproute2 before 6.15 does not print.
fn assert_same_rules(ours: &[Value], family: &str, ip_args: &str) {
    let extra = [
        "ts",
        "netns",
        "netns_id",
        "seq",
        "object",
        "action",
        "family",
        "sport_mask",
        "dport_mask",
    ];
    let strip = |v: &Value| -> BTreeMap<String, Value> {
        let map = v.as_object().unwrap();
        map.iter()
            .filter(|(k, _)| !extra.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let mut mine: Vec<String> = ours
        .iter()
        .filter(|v| v["family"] == family)
        .map(|v| serde_json::to_string(&strip(v)).unwrap())
        .collect();
    // `-d`: the details nlwatch's lines carry (a rule's protocol, always).
    let theirs = ip_json(&format!("-d {ip_args}"));
    let mut kernel: Vec<String> = theirs
        .as_array()
        .unwrap()
        .iter()
        .map(|v| serde_json::to_string(&strip(v)).unwrap())
        .collect();
    mine.sort();
    kernel.sort();
    assert_eq!(
        mine, kernel,
        "nlwatch (left) and `ip -j -d {ip_args}` (right)"
    );
}

sandboxed_test! {
    /// Rules added and deleted, with the changes the kernel makes to their
    /// flags silently (a link renamed or deleted; a goto's target coming and
    /// going): every event in order, and the view equals the kernel's.
    fn rules_are_reported_exactly_and_in_order() {
        let monitor = Monitor::builder().build().expect("monitor");
        let sub = monitor.subscribe_with(Filter::new().objects([ObjectKind::Rule]));
        // Filters: a rule's interface is its iif (or oif) name; its family.
        let by_name = monitor.subscribe_with(Filter::new().objects([ObjectKind::Rule]).ifname("veth*"));
        let by_family = monitor.subscribe_with(Filter::new().objects([ObjectKind::Rule]).family(10));
        let handle = monitor.add_namespace(Netns::Current).expect("watch");
        loop {
            match sub.recv_timeout(HANG_GUARD) {
                Ok(Item::SyncDone { .. }) => break,
                Ok(Item::NamespaceAdded { .. }) => {}
                other => panic!("expected SyncDone, got {other:?}"),
            }
        }
        // The default rules are in the dump (not published: no `list_existing`).
        let first = monitor.snapshot(handle.tag()).unwrap();
        let prios = |f: u8| -> Vec<u32> {
            first.rules.iter().filter(|r| r.family == f).map(|r| r.priority).collect()
        };
        assert_eq!(prios(2), [0, 32766, 32767]);
        assert_eq!(prios(10), [0, 32766]);

        ip("link add veth0 type veth peer name veth1");
        ip("-6 rule add pref 100 iif veth0 fwmark 0x10/0xff table 100");
        ip("rule add pref 200 not from 10.0.0.0/8 oif vx table 200");
        ip("rule add pref 300 goto 400");
        ip("rule add pref 400 table 5");
        ip("link set veth1 name vx");

        use Action::{Del, New};
        use Origin::{Live, Synthesized};
        let got = rule_events(&sub, 6);
        let expect: Vec<Seen> = vec![
            (New, Live, 10, 100, 0),
            (New, Live, 2, 200, INVERT | OIF_DETACHED),
            (New, Live, 2, 300, UNRESOLVED),
            (New, Live, 2, 400, 0),
            // Rule 400 resolves the goto: the kernel says nothing.
            (New, Synthesized, 2, 300, 0),
            // A link named vx appears: rule 200 is attached, silently.
            (New, Synthesized, 2, 200, INVERT),
        ];
        assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), expect);
        let iif = got[0].1.iif.as_ref().and_then(|n| n.to_str());
        assert_eq!((iif, got[0].1.fwmark, got[0].1.fwmask), (Some("veth0"), Some(0x10), Some(0xff)));

        // The view kept by the events, a fresh dump and `ip -j` agree.
        let fresh = || {
            let m = Monitor::builder().objects([ObjectKind::Rule]).build().unwrap();
            let h = m.add_namespace(Netns::Current).unwrap();
            let mut snap = m.snapshot(h.tag()).unwrap();
            while !snap.synced {
                std::thread::sleep(std::time::Duration::from_millis(5));
                snap = m.snapshot(h.tag()).unwrap();
            }
            snap.rules
        };
        assert_eq!(monitor.snapshot(handle.tag()).unwrap().rules, fresh());
        let ours = cli_rules();
        assert_same_rules(&ours, "inet", "rule show");
        assert_same_rules(&ours, "inet6", "-6 rule show");

        // Deleting veth0 takes vx (its peer): both rules are detached.
        ip("link del veth0");
        ip("rule del pref 400");
        let got = rule_events(&sub, 4);
        let expect: Vec<Seen> = vec![
            (New, Synthesized, 10, 100, IIF_DETACHED),
            (New, Synthesized, 2, 200, INVERT | OIF_DETACHED),
            (Del, Live, 2, 400, 0),
            (New, Synthesized, 2, 300, UNRESOLVED),
        ];
        assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), expect);
        assert_eq!(monitor.snapshot(handle.tag()).unwrap().rules, fresh());
        let ours = cli_rules();
        assert_same_rules(&ours, "inet", "rule show");
        assert_same_rules(&ours, "inet6", "-6 rule show");

        ip("-6 rule del pref 100");
        ip("rule del pref 200");
        ip("rule del pref 300");
        let got = rule_events(&sub, 3);
        let expect: Vec<Seen> = vec![
            (Del, Live, 10, 100, IIF_DETACHED),
            (Del, Live, 2, 200, INVERT | OIF_DETACHED),
            (Del, Live, 2, 300, UNRESOLVED),
        ];
        assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), expect);
        assert_eq!(monitor.snapshot(handle.tag()).unwrap().rules, first.rules);
        assert_eq!(monitor.namespaces()[0].counters.decode_errors, 0);

        let only_100: Vec<Seen> = vec![
            (New, Live, 10, 100, 0),
            (New, Synthesized, 10, 100, IIF_DETACHED),
            (Del, Live, 10, 100, IIF_DETACHED),
        ];
        for filtered in [&by_name, &by_family] {
            let got = rule_events(filtered, 3);
            assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), only_100);
            assert!(filtered.try_recv().is_err(), "nothing else passes the filter");
        }
    }
}

sandboxed_test! {
    /// Every selector and action `ip rule` offers, as `ip -j rule show` prints
    /// them, and two rules that differ only in one selector kept apart.
    fn every_selector_prints_as_ip_prints_it() {
        let monitor = Monitor::builder().build().expect("monitor");
        let sub = monitor.subscribe_with(Filter::new().objects([ObjectKind::Rule]));
        monitor.add_namespace(Netns::Current).expect("watch");
        let rules = [
            "rule add pref 10 from 192.0.2.0/24 to 198.51.100.7 tos 0x08 table 10",
            "rule add pref 11 fwmark 0x5/0xf iif lo oif lo table main",
            "rule add pref 12 uidrange 1000-2000 ipproto udp sport 53 dport 1000-2000 prohibit",
            "rule add pref 13 ipproto tcp dport 443 unreachable",
            "rule add pref 14 l3mdev",
            "rule add pref 15 table 7 suppress_prefixlength 0 suppress_ifgroup 3 proto 99",
            "rule add pref 16 realms 3/4 table 8",
            "rule add pref 17 nop",
            "rule add pref 18 tun_id 42 table 9",
            "rule add pref 9 goto 14",
            "rule add pref 20 from 192.0.2.0/24 table 10",
            "rule add pref 20 from 192.0.2.0/25 table 10",
            // IPv4 takes TOS bits only; IPv6 any traffic class (named as `ip` names it).
            "-6 rule add pref 10 from 2001:db8::/32 to 2001:db8:1::1 tos 0x20 table 10",
            "-6 rule add pref 11 not fwmark 0x7 iif lo blackhole",
        ];
        for r in rules {
            ip(r);
        }
        let got = rule_events(&sub, rules.len());
        assert!(got.iter().all(|((a, o, ..), _)| *a == Action::New && *o == Origin::Live));
        let ours = cli_rules();
        assert_same_rules(&ours, "inet", "rule show");
        assert_same_rules(&ours, "inet6", "-6 rule show");
    }
}
