//! The state view against the kernel where the kernel's own model of routes
//! and addresses is subtle: routes told apart by preferred source and
//! protocol, addresses by their peer, IPv6 `route replace`, IPv6 multipath
//! hops removed one at a time, IPv4 multipath routes whose links all go down,
//! the routes an address takes along (some announced, some not), and the
//! `linkdown` flag the kernel clears without a word. After each step, both the
//! snapshot and the picture folded from the events must equal what `ip -j -d`
//! lists, and no deletion may be told twice.

use crate::sandbox::{ip, ip_json};
use crate::sandboxed_test;
use nlwatch::{objects::Route, Action, Item, Monitor, Netns, Object, Subscription};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The route flags compared: `dead`, `onlink`, `linkdown` (`RTNH_F_*`).
const FLAGS: [(u32, &str); 3] = [(0x01, "dead"), (0x04, "onlink"), (0x10, "linkdown")];

/// What tells routes apart, as text: `ip -j -d route show`'s fields but flags.
struct RouteText<'a> {
    kind: &'a str,
    dst: &'a str,
    table: &'a str,
    metric: u64,
    proto: &'a str,
    prefsrc: &'a str,
    dev: &'a str,
    gateway: &'a str,
    hops: &'a [(String, String, u64)],
    /// The route's MTU metric (ip shows an IPv6 multipath route's first
    /// sibling's).
    mtu: Option<u64>,
}

impl RouteText<'_> {
    fn line(&self) -> String {
        let mut hops: Vec<String> = self
            .hops
            .iter()
            .map(|(dev, gw, weight)| format!("{dev}/{gw}/{weight}"))
            .collect();
        hops.sort();
        format!(
            "{} {} table {} metric {} proto {} src {} dev {} via {} hops [{}] mtu {:?}",
            self.kind,
            self.dst,
            self.table,
            self.metric,
            self.proto,
            self.prefsrc,
            self.dev,
            self.gateway,
            hops.join(" "),
            self.mtu
        )
    }
}

/// The kernel's routes on the test's links (`dev` starting with `t`) or
/// through nexthop objects, both families, every table: each with its flags (hops' flags after `|`).
fn kernel_routes() -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    for family in ["-4", "-6"] {
        let routes = ip_json(&format!("{family} -d route show table all"));
        for r in routes.as_array().unwrap() {
            let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_string();
            let hops: Vec<(String, String, u64)> = r
                .get("nexthops")
                .and_then(|h| h.as_array())
                .map(|hops| {
                    hops.iter()
                        .map(|h| {
                            (
                                h["dev"].as_str().unwrap_or("-").to_string(),
                                h.get("gateway")
                                    .and_then(|g| g.as_str())
                                    .unwrap_or("-")
                                    .to_string(),
                                h.get("weight").and_then(|w| w.as_u64()).unwrap_or(1),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let on_test_links = std::iter::once(s("dev"))
                .chain(hops.iter().map(|h| h.0.clone()))
                .any(|d| d.starts_with('t'));
            // Routes through nexthop objects too (a blackhole object's are on lo).
            if !on_test_links && r.get("nhid").is_none() {
                continue;
            }
            let table = s("table");
            let line = RouteText {
                kind: &s("type"),
                dst: &s("dst"),
                table: if table == "-" { "main" } else { &table },
                metric: r.get("metric").and_then(|m| m.as_u64()).unwrap_or(0),
                proto: &s("protocol"),
                prefsrc: &s("prefsrc"),
                dev: &s("dev"),
                gateway: &s("gateway"),
                hops: &hops,
                mtu: r
                    .get("metrics")
                    .and_then(|m| m.as_array())
                    .and_then(|m| m.iter().find_map(|m| m.get("mtu")?.as_u64())),
            }
            .line();
            let mut flags: Vec<String> = r["flags"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f.as_str())
                .filter(|f| FLAGS.iter().any(|(_, n)| n == f))
                .map(str::to_string)
                .collect();
            if let Some(hops) = r.get("nexthops").and_then(|h| h.as_array()) {
                let mut hf: Vec<String> = hops
                    .iter()
                    .map(|h| {
                        let mut f: Vec<&str> = h["flags"]
                            .as_array()
                            .map(|a| a.iter().filter_map(|f| f.as_str()).collect())
                            .unwrap_or_default();
                        f.retain(|f| FLAGS.iter().any(|(_, n)| n == f));
                        format!("{}:{}", h["dev"].as_str().unwrap_or("-"), f.join(","))
                    })
                    .collect();
                hf.sort();
                flags.push(format!("| {}", hf.join(" ")));
            }
            all.insert(line, flags.join(" "));
        }
    }
    all
}

/// One route as [`kernel_routes`] writes it, with the view's names.
fn view_route(r: &Route, name: &dyn Fn(u32) -> String) -> Option<(String, String)> {
    let dev_of = |i: Option<u32>| i.map_or("-".to_string(), name);
    let devs = std::iter::once(r.oif)
        .chain(r.nexthops.iter().map(|h| Some(h.ifindex)))
        .any(|i| dev_of(i).starts_with('t'));
    if !(devs || r.nh_id.is_some()) || (r.family != 2 && r.family != 10) {
        return None;
    }
    let kind = nlwatch::output::names::route_type(r.route_type).unwrap_or("-");
    let table = nlwatch::output::names::table(r.table).map_or(r.table.to_string(), str::to_string);
    let proto =
        nlwatch::output::names::protocol(r.protocol).map_or(r.protocol.to_string(), str::to_string);
    let ip = |a: Option<std::net::IpAddr>| a.map_or("-".to_string(), |a| a.to_string());
    let hops: Vec<(String, String, u64)> = r
        .nexthops
        .iter()
        .map(|h| (name(h.ifindex), ip(h.gateway), h.weight.into()))
        .collect();
    let dev = if r.nexthops.is_empty() {
        dev_of(r.oif)
    } else {
        // A multipath route names its devices per hop only, as ip does.
        "-".to_string()
    };
    let line = RouteText {
        kind,
        dst: &r.dst_string(),
        table: &table,
        metric: r.priority.unwrap_or(0).into(),
        proto: &proto,
        prefsrc: &ip(r.prefsrc),
        dev: &dev,
        gateway: &ip(r.gateway),
        hops: &hops,
        mtu: r.mtu().map(u64::from),
    }
    .line();
    let mut flags: Vec<String> = FLAGS
        .iter()
        .filter(|(bit, _)| r.flags & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    if !r.nexthops.is_empty() {
        let mut hf: Vec<String> = r
            .nexthops
            .iter()
            .map(|h| {
                let f: Vec<&str> = FLAGS
                    .iter()
                    .filter(|(bit, _)| u32::from(h.flags) & bit != 0)
                    .map(|(_, n)| *n)
                    .collect();
                format!("{}:{}", name(h.ifindex), f.join(","))
            })
            .collect();
        hf.sort();
        flags.push(format!("| {}", hf.join(" ")));
    }
    Some((line, flags.join(" ")))
}

/// The kernel's addresses on the test's links: `dev local/len peer`.
fn kernel_addresses() -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for link in ip_json("addr show").as_array().unwrap() {
        let dev = link["ifname"].as_str().unwrap();
        if !dev.starts_with('t') {
            continue;
        }
        for a in link["addr_info"].as_array().unwrap() {
            // Link-local addresses are the kernel's own, made a moment after
            // a link comes up: not what is compared here.
            if a["local"].as_str().unwrap().starts_with("fe80:") {
                continue;
            }
            all.insert(format!(
                "{dev} {}/{} peer {}",
                a["local"].as_str().unwrap(),
                a["prefixlen"],
                a.get("address").and_then(|p| p.as_str()).unwrap_or("-")
            ));
        }
    }
    all
}

/// The watched namespace's picture: from a snapshot, or folded from events.
#[derive(Default, Debug, PartialEq)]
struct Picture {
    routes: BTreeMap<String, String>,
    addresses: BTreeSet<String>,
}

fn address_line(a: &nlwatch::objects::Address, name: &dyn Fn(u32) -> String) -> Option<String> {
    let dev = name(a.ifindex);
    let link_local = a
        .primary()
        .is_some_and(|l| l.to_string().starts_with("fe80:"));
    (dev.starts_with('t') && !link_local).then(|| {
        format!(
            "{dev} {}/{} peer {}",
            a.primary().map_or("-".into(), |l| l.to_string()),
            a.prefix_len,
            a.peer().map_or("-".into(), |p| p.to_string())
        )
    })
}

/// A route's identity as docs/json.md gives it, as text: what the view keys
/// routes by. IPv6 routes through a gateway (not learnt from a router
/// advertisement) are siblings: one route whatever their hops; so is a route
/// through a nexthop object.
fn route_identity(r: &Route, line: &str) -> String {
    let siblings = r.family == 10
        && r.protocol != 9
        && (r.gateway.is_some() || r.nexthops.iter().any(|h| h.gateway.is_some()));
    // A route through a nexthop object: the object, whatever hops a message
    // expands it to.
    if siblings || r.nh_id.is_some() {
        let head = line.split(" dev ").next().unwrap();
        // The type a message gives a route through a nexthop object follows
        // the object (`blackhole` while the object is one), not the route.
        let head = match r.nh_id {
            Some(_) => head.split_once(' ').map_or(head, |(_, rest)| rest),
            None => head,
        };
        format!("{head} nhid {:?}", r.nh_id)
    } else {
        line.to_string()
    }
}

/// What a subscriber folds from the events: every `new` sets its object
/// (by its identity), every `del` removes it, and a `del` of what the
/// picture does not hold (a deletion told twice) is counted.
#[derive(Default)]
struct Fold {
    /// Route identity -> (line, flags).
    routes: BTreeMap<String, (String, String)>,
    picture: Picture,
    names: HashMap<u32, String>,
    told_twice: Vec<String>,
    /// Steps checked so far: each settles with a marker link of its own.
    steps: usize,
}

impl Fold {
    fn event(&mut self, item: &Item) {
        let Item::Event(ev) = item else { return };
        let names = self.names.clone();
        let name = move |i: u32| names.get(&i).cloned().unwrap_or_else(|| format!("if{i}"));
        match (&ev.object, ev.action) {
            (Object::Link(l), Action::New) => {
                if let Some(n) = l.ifname.as_ref().and_then(|n| n.to_str()) {
                    self.names.insert(l.ifindex, n.to_string());
                }
            }
            (Object::Route(r), action) => {
                if let Some((line, flags)) = view_route(r, &name) {
                    let id = route_identity(r, &line);
                    if action == Action::New {
                        self.routes.insert(id, (line, flags));
                    } else if self.routes.remove(&id).is_none() {
                        self.told_twice.push(format!("{:?} {line}", ev.origin));
                    }
                    self.picture.routes = self.routes.values().cloned().collect();
                }
            }
            (Object::Address(a), action) => {
                if let Some(line) = address_line(a, &name) {
                    if action == Action::New {
                        self.picture.addresses.insert(line);
                    } else if !self.picture.addresses.remove(&line) {
                        self.told_twice.push(format!("{:?} {line}", ev.origin));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The view's picture now.
fn snapshot(monitor: &Monitor) -> Picture {
    let snap = &monitor.snapshots(&nlwatch::Filter::new())[0];
    let names: HashMap<u32, String> = snap
        .links
        .iter()
        .filter_map(|l| Some((l.ifindex, l.ifname.as_ref()?.to_str()?.to_string())))
        .collect();
    let name = |i: u32| names.get(&i).cloned().unwrap_or_else(|| format!("if{i}"));
    Picture {
        routes: snap
            .routes
            .iter()
            .filter_map(|r| view_route(r, &name))
            .collect(),
        addresses: snap
            .addresses
            .iter()
            .filter_map(|a| address_line(a, &name))
            .collect(),
    }
}

/// Checks the snapshot and the folded picture against the kernel, and that
/// nothing was told twice, after step `step`.
fn check(monitor: &Monitor, sub: &Subscription, fold: &mut Fold, step: &str) {
    fold.steps += 1;
    let marker = format!("m{}", fold.steps);
    crate::routes::settle_with(monitor, sub, &marker, |item| fold.event(&item));
    let kernel = Picture {
        routes: kernel_routes(),
        addresses: kernel_addresses(),
    };
    assert_eq!(snapshot(monitor), kernel, "snapshot after {step}");
    assert_eq!(fold.picture, kernel, "events folded after {step}");
    assert!(
        fold.told_twice.is_empty(),
        "told twice after {step}: {:#?}",
        fold.told_twice
    );
}

fn watch() -> (Monitor, Subscription, Fold) {
    let monitor = Monitor::builder().build().unwrap();
    let sub = monitor.subscribe();
    monitor.add_namespace(Netns::Current).unwrap();
    let mut fold = Fold::default();
    // The loopback link is there before the events start (a blackhole
    // object's routes are on it).
    fold.names.insert(1, "lo".to_string());
    (monitor, sub, fold)
}

fn pair(a: &str, b: &str) {
    ip(&format!("link add {a} type veth peer name {b}"));
    ip(&format!("link set {a} up"));
    ip(&format!("link set {b} up"));
}

sandboxed_test! {
    /// IPv4 routes that differ only in preferred source or protocol are two
    /// routes, and so are addresses with one local address and two peers
    /// (the view merged each pair into one before).
    fn routes_by_source_and_protocol_and_addresses_by_peer_are_apart() {
        let (monitor, sub, mut fold) = watch();
        pair("t0", "t1");
        ip("addr add 10.0.0.1/24 dev t0");
        ip("addr add 10.0.0.2/24 dev t0");
        ip("route append 10.9.0.0/16 dev t0 src 10.0.0.1");
        ip("route append 10.9.0.0/16 dev t0 src 10.0.0.2");
        ip("route append 10.8.0.0/16 dev t0 proto static");
        ip("route append 10.8.0.0/16 dev t0 proto boot");
        ip("addr add 10.1.1.1/32 peer 10.1.1.2 dev t0");
        ip("addr add 10.1.1.1/32 peer 10.1.1.3 dev t0");
        check(&monitor, &sub, &mut fold, "appends and peers");
        ip("addr del 10.1.1.1/32 peer 10.1.1.2 dev t0");
        ip("route del 10.9.0.0/16 dev t0 src 10.0.0.1");
        check(&monitor, &sub, &mut fold, "one of each deleted");
        monitor.shutdown();
    }
}

sandboxed_test! {
    /// `ip -6 route replace` replaces the route it names (the kernel's first
    /// of the same metric): the view keeps one route, not each one it saw
    /// (three were kept before, with no deletion).
    fn ipv6_route_replace_leaves_one_route() {
        let (monitor, sub, mut fold) = watch();
        pair("t0", "t1");
        ip("-6 route add 2001:db8:9::/64 dev t0");
        ip("-6 route replace 2001:db8:9::/64 dev t1");
        check(&monitor, &sub, &mut fold, "replaced by another device");
        ip("-6 route replace blackhole 2001:db8:9::/64");
        check(&monitor, &sub, &mut fold, "replaced by a blackhole");
        ip("-6 addr add 2001:db8:1::1/64 dev t0 nodad");
        ip("-6 addr add 2001:db8:2::1/64 dev t1 nodad");
        ip("-6 route add 2001:db8:7::/64 via 2001:db8:1::5 dev t0");
        ip("-6 route replace 2001:db8:7::/64 nexthop via 2001:db8:1::6 dev t0 nexthop via 2001:db8:2::6 dev t1");
        check(&monitor, &sub, &mut fold, "replaced by a multipath route");
        ip("-6 route replace 2001:db8:7::/64 via 2001:db8:2::7 dev t1");
        check(&monitor, &sub, &mut fold, "multipath replaced by one hop");
        monitor.shutdown();
    }
}

sandboxed_test! {
    /// IPv6 multipath routes lose and gain hops one at a time: the kernel
    /// announces the hop, not the route. The view keeps the rest of the route
    /// (it kept the hop removed), and a device deleted later takes only its
    /// own hop (the whole route was inferred gone before).
    fn ipv6_multipath_hops_come_and_go_one_at_a_time() {
        let (monitor, sub, mut fold) = watch();
        pair("t0", "t1");
        pair("t2", "t3");
        ip("-6 addr add 2001:db8:1::1/64 dev t0 nodad");
        ip("-6 addr add 2001:db8:2::1/64 dev t2 nodad");
        ip("-6 route add 2001:db8:3::/64 nexthop via 2001:db8:1::2 dev t0 nexthop via 2001:db8:2::2 dev t2");
        check(&monitor, &sub, &mut fold, "a multipath route");
        ip("-6 route del 2001:db8:3::/64 via 2001:db8:1::2 dev t0");
        check(&monitor, &sub, &mut fold, "one hop deleted");
        ip("-6 route append 2001:db8:3::/64 via 2001:db8:1::3 dev t0");
        check(&monitor, &sub, &mut fold, "one hop appended");
        ip("-6 route append 2001:db8:3::/64 via 2001:db8:1::4 dev t0");
        check(&monitor, &sub, &mut fold, "another hop appended");
        // Each sibling has its own metrics; ip shows the first's, so the
        // second's once the first is gone.
        ip("-6 route add 2001:db8:5::/64 via 2001:db8:2::2 dev t2");
        ip("-6 route append 2001:db8:5::/64 via 2001:db8:1::2 dev t0 mtu 1400");
        ip("-6 route append 2001:db8:5::/64 via 2001:db8:1::3 dev t0");
        check(&monitor, &sub, &mut fold, "siblings with their own metrics");
        ip("-6 route del 2001:db8:5::/64 via 2001:db8:2::2 dev t2");
        check(&monitor, &sub, &mut fold, "the first sibling deleted");
        ip("-6 route del 2001:db8:5::/64 via 2001:db8:1::2 dev t0");
        check(&monitor, &sub, &mut fold, "the next first sibling deleted");
        ip("link del t0");
        check(&monitor, &sub, &mut fold, "a hop's device deleted");
        monitor.shutdown();
    }
}

sandboxed_test! {
    /// An IPv4 multipath route with hops on two links: one link down marks
    /// its hop dead, both down flush the route, silently (the view kept it:
    /// it inferred the flush only for routes all on one link).
    fn ipv4_multipath_over_two_links_goes_when_both_go_down() {
        let (monitor, sub, mut fold) = watch();
        pair("t0", "t1");
        pair("t2", "t3");
        ip("addr add 10.1.0.1/24 dev t0");
        ip("addr add 10.2.0.1/24 dev t2");
        ip("route add 10.7.0.0/16 nexthop via 10.1.0.2 dev t0 nexthop via 10.2.0.2 dev t2");
        check(&monitor, &sub, &mut fold, "a multipath route");
        ip("link set t0 down");
        check(&monitor, &sub, &mut fold, "one link down");
        ip("link set t2 down");
        check(&monitor, &sub, &mut fold, "both links down");
        monitor.shutdown();
    }
}

sandboxed_test! {
    /// An address's removal: the kernel announces the deletion of its own
    /// prefix, local and broadcast routes and flushes, unannounced, the other
    /// routes it was the preferred source of, and, with the link's last IPv4
    /// address, the routes through the link. Each deletion is told once
    /// (nlwatch inferred the announced ones too, before they came).
    fn an_address_s_routes_are_deleted_once() {
        let (monitor, sub, mut fold) = watch();
        pair("t0", "t1");
        ip("addr add 10.3.0.1/24 dev t0");
        ip("addr add 10.4.0.1/24 dev t0");
        ip("route add 10.5.0.0/16 via 10.3.0.9 dev t0 src 10.3.0.1");
        ip("route add 10.6.0.0/16 via 10.4.0.9 dev t0");
        check(&monitor, &sub, &mut fold, "two addresses, two routes");
        ip("addr del 10.3.0.1/24 dev t0");
        check(&monitor, &sub, &mut fold, "the first address deleted");
        ip("addr del 10.4.0.1/24 dev t0");
        check(&monitor, &sub, &mut fold, "the last address deleted");
        monitor.shutdown();
    }
}

sandboxed_test! {
    /// Routes through a link without carrier are `linkdown`; the kernel
    /// clears (and sets) the flag without a message when the carrier comes
    /// back (or goes). The view follows (it kept the flag before).
    fn the_linkdown_flag_follows_the_carrier() {
        let (monitor, sub, mut fold) = watch();
        pair("t0", "t1");
        pair("t2", "t3");
        ip("link set t1 down");
        ip("addr add 10.1.0.1/24 dev t0");
        ip("addr add 10.2.0.1/24 dev t2");
        ip("-6 addr add 2001:db8:1::1/64 dev t0 nodad");
        ip("route add 10.7.0.0/16 via 10.1.0.2 dev t0");
        ip("route add 10.8.0.0/16 nexthop via 10.1.0.2 dev t0 nexthop via 10.2.0.2 dev t2");
        ip("-6 route add 2001:db8:7::/64 via 2001:db8:1::2 dev t0");
        check(&monitor, &sub, &mut fold, "routes through a link without carrier");
        ip("link set t1 up");
        check(&monitor, &sub, &mut fold, "the carrier back");
        ip("link set t1 down");
        check(&monitor, &sub, &mut fold, "the carrier lost again");
        monitor.shutdown();
    }
}

sandboxed_test! {
    /// A route through a nexthop object is one route whatever hops the
    /// kernel expands the object to in a message: the group replaced (the
    /// kernel announces the route again, with the new hops) and then
    /// deleted (the IPv4 route flushed with it, unannounced) leave one route,
    /// then none, each told once (the expanded hops made two routes of one
    /// before, and its deletion was told twice).
    fn a_route_through_a_nexthop_object_is_one_route_whatever_its_hops() {
        let (monitor, sub, mut fold) = watch();
        pair("t0", "t1");
        ip("addr add 10.1.0.1/24 dev t0");
        ip("nexthop add id 21 via 10.1.0.2 dev t0");
        ip("nexthop add id 22 via 10.1.0.3 dev t0");
        ip("nexthop add id 23 via 10.1.0.4 dev t0");
        ip("nexthop add id 122 group 21/22");
        ip("route add 10.9.0.0/16 nhid 122");
        check(&monitor, &sub, &mut fold, "a route through a group");
        ip("nexthop replace id 122 group 21/23");
        check(&monitor, &sub, &mut fold, "the group replaced");
        ip("route del 10.9.0.0/16");
        ip("route add 10.9.0.0/16 nhid 122");
        check(&monitor, &sub, &mut fold, "the route deleted and added again");
        ip("nexthop del id 122");
        check(&monitor, &sub, &mut fold, "the group deleted");
        // A route's type in a message is `blackhole` while its object is one.
        ip("nexthop add id 24 via 10.1.0.5 dev t0");
        ip("route add 10.8.0.0/16 nhid 24");
        ip("nexthop replace id 24 blackhole");
        check(&monitor, &sub, &mut fold, "the object made a blackhole");
        ip("nexthop replace id 24 via 10.1.0.5 dev t0");
        check(&monitor, &sub, &mut fold, "the object a gateway again");
        ip("route replace 10.8.0.0/16 nhid 23");
        check(&monitor, &sub, &mut fold, "the route replaced by one through another object");
        // IPv6: a route replaced by one through another object is one route.
        ip("-6 addr add 2001:db8:1::1/64 dev t0 nodad");
        ip("nexthop add id 81 via 2001:db8:1::2 dev t0");
        ip("-6 nexthop add id 83 blackhole");
        ip("-6 route add 2001:db8:9::/64 nhid 81");
        ip("-6 route replace 2001:db8:9::/64 nhid 83");
        check(&monitor, &sub, &mut fold, "an IPv6 route through another object");
        monitor.shutdown();
    }
}

sandboxed_test! {
    /// What the kernel never announces: the `NOARP` neighbour entries it
    /// makes for the multicast groups a link sends to (here `ff02::16`, where
    /// MLD reports go once IPv6 is up on the link) come with no
    /// `RTM_NEWNEIGH`. The view lists them after a dump (the snapshot, a
    /// resync), never as a live event (README, "What the kernel changes
    /// without a message").
    fn noarp_neighbours_are_in_dumps_and_never_announced() {
        let neighbours = || {
            Monitor::builder()
                .objects([nlwatch::ObjectKind::Link, nlwatch::ObjectKind::Neighbour])
                .build()
                .unwrap()
        };
        let monitor = neighbours();
        let sub = monitor.subscribe();
        monitor.add_namespace(Netns::Current).unwrap();
        pair("t0", "t1");
        // The kernel makes the entry when the first MLD report leaves (after
        // a random delay of up to a second): wait for `ip` to list it.
        let listed = || {
            crate::sandbox::ip_json("-6 neigh show dev t0 nud noarp")
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["dst"] == "ff02::16")
        };
        let mut tries = 0;
        while !listed() {
            tries += 1;
            assert!(tries < 1000, "the kernel never made the ff02::16 entry");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let mut announced = Vec::new();
        crate::routes::settle_with(&monitor, &sub, "m1", |item| {
            if let Item::Event(ev) = item {
                if let Object::Neighbour(n) = &ev.object {
                    announced.push(n.dst);
                }
            }
        });
        let ff02_16: std::net::IpAddr = "ff02::16".parse().unwrap();
        assert!(!announced.contains(&Some(ff02_16)), "{announced:?}");
        // The view holds what was dumped and announced: not it; a dump (a
        // new monitor's here, or a resync) lists it.
        let snap = monitor.snapshots(&nlwatch::Filter::new());
        assert!(
            !snap[0].neighbours.iter().any(|n| n.dst == Some(ff02_16)),
            "the view holds what was dumped and announced: not it"
        );
        drop(monitor);
        let monitor = neighbours();
        let sub = monitor.subscribe();
        monitor.add_namespace(Netns::Current).unwrap();
        crate::routes::settle_with(&monitor, &sub, "m2", |_| {});
        let snap = monitor.snapshots(&nlwatch::Filter::new());
        let entry = snap[0]
            .neighbours
            .iter()
            .find(|n| n.dst == Some(ff02_16))
            .expect("the dump lists it");
        assert_eq!(entry.state, 0x40, "NUD_NOARP");
        monitor.shutdown();
    }
}
