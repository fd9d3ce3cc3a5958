//! The JSON lines' schema against iproute2's: for every object kind, the
//! objects of one topology as `nlwatch snapshot --json -d` prints them beside
//! `ip -j -d` / `bridge -j -d`, and as `nlwatch snapshot --json` prints them
//! beside `ip -j` / `bridge -j`.
//!
//! Checks per kind, for each of the two forms:
//! - every key iproute2 writes (nested ones too) is in nlwatch's line for the
//!   same object, with the same value, but for the documented exceptions
//!   ([`NOT_CARRIED`]);
//! - the keys nlwatch writes for the topology are those of the kind's golden
//!   file, `integration/golden/KIND.keys` with the details and
//!   `KIND.plain.keys` without (a schema change shows in review);
//!   `NLWATCH_BLESS=1` rewrites the files;
//! - every golden key is in `docs/json.md`'s table for the kind;
//! - without the details, nlwatch's line lacks every key `-d` adds to
//!   iproute2's line for the same object: the two forms follow `ip`'s habit.

use crate::sandbox::{ip, run};
use crate::sandboxed_test;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_nlwatch");

/// Keys iproute2 writes that an event does not carry, by kind (also listed in
/// `docs/json.md`): countdown timers the kernel changes every moment without a
/// notification, a rendering `ip` derives from another key, and a name `ip`
/// finds by asking the kernel about every file under `/run/netns`.
const NOT_CARRIED: &[(&str, &str)] = &[
    ("link", "linkinfo.info_data.hello_timer"),
    ("link", "linkinfo.info_data.tcn_timer"),
    ("link", "linkinfo.info_data.topology_change_timer"),
    ("link", "linkinfo.info_data.gc_timer"),
    ("link", "linkinfo.info_slave_data.hold_timer"),
    ("link", "linkinfo.info_slave_data.message_age_timer"),
    ("link", "linkinfo.info_slave_data.forward_delay_timer"),
    ("nsid", "name"),
];

/// Makes one of each kind's common shapes: a veth pair (one end with an
/// alias), a bridge with a port, a VXLAN and a macvlan device, an ifb, IPv4
/// and IPv6 addresses (one with a label, one with a metric), routes in two
/// tables (one with a TOS and metrics, one multipath), a neighbour (a
/// router), nexthops, a rule, a static FDB entry, and a namespace id.
fn topology() {
    for cmd in [
        "link add veth0 type veth peer name veth1",
        "link add br0 type bridge",
        "link set veth1 master br0",
        "link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1",
        "link add mv0 link veth0 type macvlan mode bridge",
        "link add ifb0 type ifb",
        "link set veth0 up",
        "link set br0 up",
        "link set veth1 up",
        "addr add 10.1.0.1/24 dev veth0",
        "addr add 2001:db8::1/64 dev veth0 nodad",
        "addr add 10.2.0.1/24 dev br0 label br0:x",
        "addr add 10.3.0.1/24 dev veth0 metric 50",
        "link set veth0 alias uplink",
        "route add 10.9.0.0/16 via 10.1.0.2 dev veth0 metric 5",
        "route add 10.8.0.0/16 dev veth0 table 100 proto static",
        "route add 10.7.0.0/16 via 10.1.0.2 dev veth0 tos 0x10 mtu lock 1300 features ecn",
        "route add 10.6.0.0/16 nexthop via 10.1.0.2 dev veth0 nexthop via 10.2.0.2 dev br0 onlink",
        "-6 route add 2001:db8:1::/64 via 2001:db8::2 dev veth0",
        "neigh add 10.1.0.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent router",
        "nexthop add id 1 via 10.1.0.2 dev veth0",
        "nexthop add id 2 group 1",
        "rule add from 10.5.0.0/16 table 100 pref 100",
        "netns add other",
        "netns set other 7",
    ] {
        ip(cmd);
    }
    run(
        "bridge",
        &[
            "fdb",
            "add",
            "02:00:00:00:00:09",
            "dev",
            "veth1",
            "master",
            "static",
        ],
    );
}

pub(crate) fn json_of(cmd: &str, args: &str) -> Value {
    let out = run(cmd, &args.split_whitespace().collect::<Vec<_>>());
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return Value::Array(Vec::new());
    }
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{cmd} {args}: {e}"))
}

pub(crate) fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("not a list: {other}"),
    }
}

/// What iproute2 prints with `-d`, per kind, one JSON object per object.
pub(crate) fn iproute2_objects() -> BTreeMap<&'static str, Vec<Value>> {
    iproute2_objects_in(true)
}

/// What iproute2 prints with `-d` or without, per kind, one JSON object per
/// object.
fn iproute2_objects_in(details: bool) -> BTreeMap<&'static str, Vec<Value>> {
    let j = if details { "-j -d" } else { "-j" };
    let json_of = |cmd: &str, args: &str| json_of(cmd, &args.replacen("-j -d", j, 1));
    let mut kinds: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    kinds.insert("link", array(json_of("ip", "-j -d link show")));
    let mut addrs = Vec::new();
    for link in array(json_of("ip", "-j -d addr show")) {
        for mut a in array(link["addr_info"].clone()) {
            a["ifname"] = link["ifname"].clone();
            addrs.push(a);
        }
    }
    kinds.insert("addr", addrs);
    // Neither the route nor the rule lines of `ip` name their family.
    let mut with_family = |kind, fam: &str, args: &str| {
        for mut o in array(json_of("ip", args)) {
            o["family"] = fam.into();
            kinds.entry(kind).or_default().push(o);
        }
    };
    with_family("route", "inet", "-j -d -4 route show table all");
    with_family("route", "inet6", "-j -d -6 route show table all");
    with_family("rule", "inet", "-j -d -4 rule show");
    with_family("rule", "inet6", "-j -d -6 rule show");
    kinds.insert("neigh", array(json_of("ip", "-j -d neigh show")));
    kinds.insert("nexthop", array(json_of("ip", "-j -d nexthop show")));
    // The state view does not keep a device's own address-list entries (`self`
    // without `dst`): they change without a notification (README, `fdb`).
    let fdb = array(json_of("bridge", "-j -d fdb show"))
        .into_iter()
        .filter(|e| {
            let own = e["flags"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f == "self"));
            !own || e.get("dst").is_some()
        })
        .collect();
    kinds.insert("fdb", fdb);
    let mdb = array(json_of("bridge", "-j -d mdb show"))
        .into_iter()
        .flat_map(|b| array(b["mdb"].clone()))
        .collect();
    kinds.insert("mdb", mdb);
    kinds.insert("netconf", array(json_of("ip", "-j netconf show")));
    kinds.insert("nsid", array(json_of("ip", "-j netns list-id")));
    kinds
}

/// What tells objects of `kind` apart in both outputs, and in both forms:
/// a route's table and type are main and unicast where a line without the
/// details leaves them out.
pub(crate) fn identity(kind: &str, o: &Value) -> String {
    let keys: &[&str] = match kind {
        "link" => &["ifname"],
        "addr" => &["ifname", "local"],
        "route" => &["family", "dst", "table", "type", "dev", "metric", "tos"],
        "neigh" => &["dst", "dev"],
        "nexthop" => &["id"],
        "rule" => &["family", "priority", "table"],
        "fdb" => &["mac", "ifname", "vlan", "master", "dst"],
        "mdb" => &["grp", "port", "vid"],
        "netconf" => &["family", "interface"],
        "nsid" => &["nsid"],
        other => panic!("no identity for {other}"),
    };
    let default = |k: &str| match (kind, k) {
        ("route", "table") => "\"main\"".to_string(),
        ("route", "type") => "\"unicast\"".to_string(),
        _ => "-".to_string(),
    };
    keys.iter()
        .map(|k| o.get(*k).map_or_else(|| default(k), Value::to_string))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every key path of `v` (`linkinfo.info_data.id`), objects inside lists
/// included (`group.id`).
fn key_paths(prefix: &str, v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                key_paths(&path, v, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(prefix, item, out);
            }
        }
        _ => {}
    }
}

/// The keys of `theirs` missing from `ours` or with another value there. A
/// list of objects (a route's `nexthops`, its `metrics`) is compared item by
/// item, each as an object: nlwatch may add keys there too.
pub(crate) fn differences(
    kind: &str,
    path: &str,
    theirs: &Value,
    ours: &Value,
    out: &mut Vec<String>,
) {
    if let (Value::Array(t), Value::Array(o)) = (theirs, ours) {
        if t.len() == o.len() && t.iter().any(Value::is_object) {
            for (t, o) in t.iter().zip(o) {
                differences(kind, path, t, o, out);
            }
            return;
        }
    }
    let Value::Object(map) = theirs else {
        if theirs != ours {
            out.push(format!("{path}: ip {theirs}, nlwatch {ours}"));
        }
        return;
    };
    for (k, v) in map {
        let p = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        if NOT_CARRIED.contains(&(kind, p.as_str())) {
            continue;
        }
        match ours.get(k) {
            None => out.push(format!("{p}: missing (ip: {v})")),
            Some(o) => differences(kind, &p, v, o, out),
        }
    }
}

/// The keys `docs/json.md` documents for `kind`: the first cell of each table
/// row under its heading (`## \`kind\``) and under `## Every line`, without
/// backquotes (a cell may name several keys, separated by commas).
fn documented(doc: &str, kind: &str) -> BTreeSet<String> {
    let heading = format!("## `{kind}`");
    let mut keys = BTreeSet::new();
    let mut inside = false;
    for line in doc.lines() {
        if line.starts_with("## ") {
            inside = line.trim() == heading || line.trim() == "## Every line";
            continue;
        }
        if inside && line.starts_with("| `") {
            let cell = line[1..].split('|').next().unwrap_or("");
            for key in cell.split(',') {
                keys.insert(key.trim().trim_matches('`').to_string());
            }
        }
    }
    keys
}

/// `nlwatch snapshot --json` (with `-d` when `details`): its lines of `kind`.
fn snapshot_of(kind: &str, details: bool) -> Vec<Value> {
    let mut args = vec!["snapshot", "--json"];
    if details {
        args.push("-d");
    }
    let snapshot = Command::new(BIN).args(&args).output().unwrap();
    assert!(
        snapshot.status.success(),
        "{}",
        String::from_utf8_lossy(&snapshot.stderr)
    );
    String::from_utf8(snapshot.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["object"] == kind)
        .collect()
}

/// The checks of the module docs for `kind`, in a fresh sandbox with the
/// whole topology.
fn check(kind: &str) {
    topology();
    let mut problems = check_form(kind, true);
    problems.extend(check_form(kind, false));
    problems.extend(plain_lacks_details(kind));
    assert!(problems.is_empty(), "{kind}:\n{}", problems.join("\n"));
}

/// The first three checks, for one form: what differs from iproute2's
/// objects, from the golden keys and from the docs.
fn check_form(kind: &str, details: bool) -> Vec<String> {
    let form = if details { "with -d" } else { "without -d" };
    // iproute2's view before and after the snapshot: what both show the same
    // stood still throughout (the kernel adds multicast groups and neighbours
    // of its own as links come up), so the snapshot must show it too.
    let before = iproute2_objects_in(details)
        .remove(kind)
        .unwrap_or_default();
    let mine = snapshot_of(kind, details);
    let after = iproute2_objects_in(details)
        .remove(kind)
        .unwrap_or_default();
    let theirs: Vec<&Value> = before.iter().filter(|o| after.contains(o)).collect();
    assert!(!theirs.is_empty(), "the topology made no {kind}");
    let root = env!("CARGO_MANIFEST_DIR");
    let mut problems = Vec::new();
    let by_id: BTreeMap<String, &Value> = mine.iter().map(|o| (identity(kind, o), o)).collect();
    for t in theirs {
        let id = identity(kind, t);
        let Some(o) = by_id.get(&id) else {
            problems.push(format!("{form}: {id}: not in nlwatch's snapshot"));
            continue;
        };
        let mut diffs = Vec::new();
        differences(kind, "", t, o, &mut diffs);
        problems.extend(diffs.into_iter().map(|d| format!("{form}: {id}: {d}")));
    }
    let mut keys = BTreeSet::new();
    for o in &mine {
        key_paths("", o, &mut keys);
    }
    let golden_path = if details {
        format!("{root}/integration/golden/{kind}.keys")
    } else {
        format!("{root}/integration/golden/{kind}.plain.keys")
    };
    if std::env::var_os("NLWATCH_BLESS").is_some() {
        let text: String = keys.iter().map(|k| format!("{k}\n")).collect();
        std::fs::write(&golden_path, text).unwrap();
    }
    let golden = std::fs::read_to_string(&golden_path).unwrap_or_default();
    let golden: BTreeSet<String> = golden.lines().map(str::to_string).collect();
    if golden != keys {
        problems.push(format!(
            "keys differ from {golden_path} (NLWATCH_BLESS=1 rewrites it): new {:?}, gone {:?}",
            keys.difference(&golden).collect::<Vec<_>>(),
            golden.difference(&keys).collect::<Vec<_>>()
        ));
    }
    let doc = std::fs::read_to_string(format!("{root}/docs/json.md")).unwrap();
    let docs = documented(&doc, kind);
    let undocumented: Vec<_> = golden
        .iter()
        .filter(|k| !docs.contains(*k) && !docs.contains(k.rsplit('.').next().unwrap()))
        .collect();
    if !undocumented.is_empty() {
        problems.push(format!("{form}: not in docs/json.md: {undocumented:?}"));
    }
    problems
}

/// The keys `-d` adds to iproute2's line of an object, which nlwatch's
/// line without the details must lack too; and that there are some to
/// lack where the kind has details at all (else the check tests nothing).
fn plain_lacks_details(kind: &str) -> Vec<String> {
    let plain = iproute2_objects_in(false).remove(kind).unwrap_or_default();
    let detailed = iproute2_objects_in(true).remove(kind).unwrap_or_default();
    let mine = snapshot_of(kind, false);
    let plain: BTreeMap<String, &Value> = plain.iter().map(|o| (identity(kind, o), o)).collect();
    let mine: BTreeMap<String, &Value> = mine.iter().map(|o| (identity(kind, o), o)).collect();
    let mut problems = Vec::new();
    let mut checked = 0;
    for d in &detailed {
        let id = identity(kind, d);
        let (Some(Value::Object(p)), Some(Value::Object(d)), Some(o)) =
            (plain.get(&id).copied(), Some(d), mine.get(&id))
        else {
            continue;
        };
        for key in d.keys().filter(|k| !p.contains_key(*k)) {
            checked += 1;
            if let Some(v) = o.get(key) {
                problems.push(format!(
                    "without -d: {id}: {key} is a detail (only ip -j -d writes it), nlwatch wrote {v}"
                ));
            }
        }
    }
    // The kinds whose `ip -j -d` adds nothing for this topology.
    if checked == 0 && !["addr", "neigh", "fdb", "netconf", "nsid"].contains(&kind) {
        problems.push("no detail keys compared: the check tested nothing".into());
    }
    problems
}

/// One test per kind: `fn NAME() { check(KIND) }` in the sandbox; and one
/// that fails while a kind has none.
macro_rules! schema_tests {
    ($($name:ident: $kind:literal,)*) => {
        $(sandboxed_test! {
            fn $name() {
                check($kind);
            }
        })*

        #[test]
        fn every_kind_is_compared_with_iproute2() {
            let compared = [$($kind),*];
            let missing: Vec<&str> = nlwatch::ObjectKind::ALL
                .iter()
                .map(|k| k.as_str())
                .filter(|k| !compared.contains(k))
                .collect();
            assert!(missing.is_empty(), "kinds not compared with ip -j: {missing:?}");
        }
    };
}

schema_tests! {
    link_lines_have_ip_link_shows_keys: "link",
    addr_lines_have_ip_addr_shows_keys: "addr",
    route_lines_have_ip_route_shows_keys: "route",
    nexthop_lines_have_ip_nexthop_shows_keys: "nexthop",
    rule_lines_have_ip_rule_shows_keys: "rule",
    neigh_lines_have_ip_neigh_shows_keys: "neigh",
    fdb_lines_have_bridge_fdb_shows_keys: "fdb",
    mdb_lines_have_bridge_mdb_shows_keys: "mdb",
    netconf_lines_have_ip_netconf_shows_keys: "netconf",
    nsid_lines_have_ip_netns_list_ids_keys: "nsid",
}
