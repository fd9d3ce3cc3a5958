//! Decode benchmark: nlwatch versus the rust-netlink crates on the same real messages.
//!
//! Every input is one rtnetlink notification captured from a kernel (see
//! `src/wire/fixtures/README.md`). For each one the benchmark times
//!
//! - `nlwatch/decode`: `NlMsg::new_checked` + `Object::decode`,
//! - `nlwatch/event`: the same plus the owned `Arc<Event>` a subscriber receives
//!   (namespace tag clone, sequence number, `SystemTime::now()`),
//! - `netlink-packet-route`:
//!   `NetlinkMessage::<RouteNetlinkMessage>::deserialize`; for the nexthop
//!   group, which netlink-packet-route 0.34 does not know (it answers "Unknown
//!   message type: 104"), netlink-packet-core's generic walk instead: the
//!   header parsed and every attribute copied into a `DefaultNla`, the group's
//!   entries left as bytes (the least a user of those crates has to do),
//!
//! and, in the group `event_overhead`, the two pieces `nlwatch/event` adds to
//! `nlwatch/decode` (the receive timestamp and the `Arc` allocation).
//!
//! Before criterion runs, the benchmark checks that both libraries decode every
//! message and agree on its content, then counts the heap allocations of one decode
//! with a counting global allocator (outside criterion's timing) and prints them as a
//! table on stderr. The table is printed again after criterion's own output.
//!
//! Run with `cargo bench --bench decode`.

use criterion::{black_box, Criterion, Throughput};
use netlink_packet_core::{
    DefaultNla, NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload, NlasIterator,
    Parseable,
};
use netlink_packet_route::address::AddressAttribute;
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkInfo};
use netlink_packet_route::route::{RouteAddress, RouteAttribute};
use netlink_packet_route::rule::RuleAttribute;
use netlink_packet_route::RouteNetlinkMessage;
use nlwatch::wire::NlMsg;
use nlwatch::{Action, Event, NetnsTag, Object};
use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

// ---------------------------------------------------------------------------
// Counting allocator
// ---------------------------------------------------------------------------

/// Wraps the system allocator and counts allocation calls (`alloc`,
/// `alloc_zeroed`, `realloc`). Frees are not counted.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Iterations averaged for each allocation count.
const ALLOC_ITERS: u64 = 1000;

/// Average number of allocation calls of one `f()`, including whatever `f`'s result
/// allocates before it is dropped. One untimed call first absorbs lazy one-time
/// initialisation.
fn allocs_per_call<R>(mut f: impl FnMut() -> R) -> f64 {
    drop(black_box(f()));
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..ALLOC_ITERS {
        drop(black_box(f()));
    }
    let after = ALLOCS.load(Ordering::Relaxed);
    (after - before) as f64 / ALLOC_ITERS as f64
}

// ---------------------------------------------------------------------------
// Inputs and the decoders under test
// ---------------------------------------------------------------------------

const LINK_NEW_VETH: &[u8] = include_bytes!("../src/wire/fixtures/link_new_veth.bin");
const ADDR_NEW_V4: &[u8] = include_bytes!("../src/wire/fixtures/addr_new_v4.bin");
const ADDR_NEW_V6: &[u8] = include_bytes!("../src/wire/fixtures/addr_new_v6.bin");
const ROUTE_NEW_V4: &[u8] = include_bytes!("../src/wire/fixtures/route_new_v4.bin");
const ROUTE_NEW_V6: &[u8] = include_bytes!("../src/wire/fixtures/route_new_v6.bin");
const NEXTHOP_NEW_GROUP: &[u8] = include_bytes!("../src/wire/fixtures/nexthop_new_group.bin");
const RULE_NEW_V4: &[u8] = include_bytes!("../src/wire/fixtures/rule_new_v4.bin");

struct Case {
    name: &'static str,
    bytes: &'static [u8],
    /// The rust-netlink side's decoder of it.
    peer: fn(&[u8]) -> PeerOut,
}

const CASES: [Case; 7] = [
    Case {
        name: "link_new_veth",
        bytes: LINK_NEW_VETH,
        peer: peer_deserialize,
    },
    Case {
        name: "addr_new_v4",
        bytes: ADDR_NEW_V4,
        peer: peer_deserialize,
    },
    Case {
        name: "addr_new_v6",
        bytes: ADDR_NEW_V6,
        peer: peer_deserialize,
    },
    Case {
        name: "route_new_v4",
        bytes: ROUTE_NEW_V4,
        peer: peer_deserialize,
    },
    Case {
        name: "route_new_v6",
        bytes: ROUTE_NEW_V6,
        peer: peer_deserialize,
    },
    Case {
        name: "nexthop_new_group",
        bytes: NEXTHOP_NEW_GROUP,
        peer: peer_nexthop,
    },
    Case {
        name: "rule_new_v4",
        bytes: RULE_NEW_V4,
        peer: peer_deserialize,
    },
];

type Peer = NetlinkMessage<RouteNetlinkMessage>;

/// nlwatch: view + decode into the owned object.
#[inline(never)]
fn nlwatch_decode(bytes: &[u8]) -> (Action, Object) {
    let msg = NlMsg::new_checked(bytes).unwrap();
    Object::decode(&msg).unwrap().unwrap()
}

/// nlwatch: everything a subscriber receives, the decoded object inside an `Arc<Event>`.
#[inline(never)]
fn nlwatch_event(bytes: &[u8], tag: &NetnsTag) -> Arc<Event> {
    let msg = NlMsg::new_checked(bytes).unwrap();
    let (action, object) = Object::decode(&msg).unwrap().unwrap();
    // As the reader does for a link; other objects get the name from its map.
    let ifname = match &object {
        Object::Link(l) => l.ifname.clone(),
        _ => None,
    };
    // Made in its allocation and filled in there (as one struct literal was
    // before `Event` became `#[non_exhaustive]`): one copy of the object, not two.
    let mut event = Arc::new(Event::new(tag.clone(), action, object));
    let fill = Arc::get_mut(&mut event).expect("not shared yet");
    fill.seq = 1;
    fill.timestamp = SystemTime::now();
    fill.ifname = ifname;
    event
}

/// What the rust-netlink side gives back (returned, not boxed: a box would
/// add an allocation to every figure).
#[allow(clippy::large_enum_variant, dead_code)]
enum PeerOut {
    Route(Peer),
    Generic(NetlinkHeader, [u8; NHMSG_LEN], Vec<DefaultNla>),
}

const NHMSG_LEN: usize = 8;

/// rust-netlink: `NetlinkMessage::<RouteNetlinkMessage>::deserialize`.
#[inline(never)]
fn peer_deserialize(bytes: &[u8]) -> PeerOut {
    PeerOut::Route(Peer::deserialize(bytes).unwrap())
}

/// rust-netlink for a nexthop message, which netlink-packet-route does not
/// know: [`peer_generic`].
#[inline(never)]
fn peer_nexthop(bytes: &[u8]) -> PeerOut {
    let (h, nhmsg, nlas) = peer_generic(bytes);
    PeerOut::Generic(h, nhmsg, nlas)
}

/// netlink-packet-core's generic walk: the header, the fixed `struct nhmsg`
/// as bytes, every attribute copied into a `DefaultNla`.
#[inline(never)]
fn peer_generic(bytes: &[u8]) -> (NetlinkHeader, [u8; NHMSG_LEN], Vec<DefaultNla>) {
    let buf = NetlinkBuffer::new_checked(bytes).unwrap();
    let header = NetlinkHeader::parse(&buf).unwrap();
    let payload = buf.payload();
    let nhmsg: [u8; NHMSG_LEN] = payload[..NHMSG_LEN].try_into().unwrap();
    let nlas = NlasIterator::new(&payload[NHMSG_LEN..])
        .map(|n| DefaultNla::parse(&n.unwrap()).unwrap())
        .collect();
    (header, nhmsg, nlas)
}

fn make_tag() -> NetnsTag {
    NetnsTag {
        name: Arc::from(""),
        id: 1,
    }
}

// ---------------------------------------------------------------------------
// Sanity checks: both sides decode every input, and agree on what it says
// ---------------------------------------------------------------------------

fn peer_inner(bytes: &[u8], name: &str) -> RouteNetlinkMessage {
    let msg = Peer::deserialize(bytes)
        .unwrap_or_else(|e| panic!("netlink-packet-route failed to decode {name}: {e}"));
    match msg.payload {
        NetlinkPayload::InnerMessage(m) => m,
        other => panic!("netlink-packet-route: {name} is not an rtnetlink message: {other:?}"),
    }
}

fn nlwatch_object(bytes: &[u8], name: &str) -> (Action, Object) {
    let msg = NlMsg::new_checked(bytes)
        .unwrap_or_else(|e| panic!("nlwatch: {name}: bad netlink header: {e}"));
    Object::decode(&msg)
        .unwrap_or_else(|e| panic!("nlwatch failed to decode {name}: {e}"))
        .unwrap_or_else(|| panic!("nlwatch: {name} decoded to no object"))
}

fn route_ip(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

fn check_link() {
    let name = "link_new_veth";
    let (action, obj) = nlwatch_object(LINK_NEW_VETH, name);
    let Object::Link(link) = obj else {
        panic!("nlwatch: {name} is not a link: {obj:?}")
    };
    assert_eq!(action, Action::New);
    assert_eq!(link.ifindex, 3);
    assert_eq!(link.ifname.as_ref().and_then(|n| n.to_str()), Some("veth0"));
    assert_eq!(link.kind.as_ref().and_then(|n| n.to_str()), Some("veth"));
    assert_eq!(link.mtu, Some(1500));
    assert_eq!(
        link.address.map(|a| a.as_bytes().to_vec()),
        Some(vec![2, 0, 0, 0, 0, 1])
    );

    let RouteNetlinkMessage::NewLink(peer) = peer_inner(LINK_NEW_VETH, name) else {
        panic!("netlink-packet-route: {name} is not RTM_NEWLINK")
    };
    let mut ifname = None;
    let mut kind = None;
    let mut mtu = None;
    let mut address = None;
    let mut lower = None;
    let mut txqlen = None;
    for attr in &peer.attributes {
        match attr {
            LinkAttribute::IfName(n) => ifname = Some(n.as_str()),
            LinkAttribute::Mtu(m) => mtu = Some(*m),
            LinkAttribute::Address(a) => address = Some(a.clone()),
            LinkAttribute::Link(i) => lower = Some(*i),
            LinkAttribute::TxQueueLen(q) => txqlen = Some(*q),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    if let LinkInfo::Kind(k) = info {
                        kind = Some(k.clone());
                    }
                }
            }
            _ => {}
        }
    }
    assert_eq!(peer.header.index, link.ifindex);
    assert_eq!(ifname, link.ifname.as_ref().and_then(|n| n.to_str()));
    assert_eq!(kind, Some(InfoKind::Veth));
    assert_eq!(mtu, link.mtu);
    assert_eq!(
        address.as_deref(),
        link.address.as_ref().map(|a| a.as_bytes())
    );
    // IFLA_LINK of a veth is its peer: veth1, ifindex 2.
    assert_eq!(link.link, Some(2));
    assert_eq!(lower, link.link);
    assert_eq!(txqlen, link.txqlen);
}

fn check_addr(bytes: &[u8], name: &str, want: IpAddr, prefix_len: u8) {
    let (action, obj) = nlwatch_object(bytes, name);
    let Object::Address(addr) = obj else {
        panic!("nlwatch: {name} is not an address: {obj:?}")
    };
    assert_eq!(action, Action::New);
    assert_eq!((addr.primary(), addr.prefix_len), (Some(want), prefix_len));
    assert_eq!(addr.ifindex, 3);

    let RouteNetlinkMessage::NewAddress(peer) = peer_inner(bytes, name) else {
        panic!("netlink-packet-route: {name} is not RTM_NEWADDR")
    };
    let mut local = None;
    let mut address = None;
    let mut label = None;
    let mut broadcast = None;
    for attr in &peer.attributes {
        match attr {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            AddressAttribute::Label(l) => label = Some(l.as_str()),
            AddressAttribute::Broadcast(b) => broadcast = Some(IpAddr::V4(*b)),
            _ => {}
        }
    }
    assert_eq!(peer.header.prefix_len, addr.prefix_len);
    assert_eq!(peer.header.index, addr.ifindex);
    assert_eq!((local, address), (addr.local, addr.address));
    assert_eq!(label, addr.label.as_ref().and_then(|n| n.to_str()));
    assert_eq!(broadcast, addr.broadcast);
}

#[allow(clippy::too_many_arguments)]
fn check_route(
    bytes: &[u8],
    name: &str,
    dst: IpAddr,
    dst_len: u8,
    gateway: IpAddr,
    table: u32,
    metric: u32,
) {
    let (action, obj) = nlwatch_object(bytes, name);
    let Object::Route(route) = obj else {
        panic!("nlwatch: {name} is not a route: {obj:?}")
    };
    assert_eq!(action, Action::New);
    assert_eq!((route.dst, route.dst_len), (Some(dst), dst_len));
    assert_eq!(route.gateway, Some(gateway));
    assert_eq!(route.oif, Some(3));
    assert_eq!(route.table, table);
    assert_eq!(route.priority, Some(metric));

    let RouteNetlinkMessage::NewRoute(peer) = peer_inner(bytes, name) else {
        panic!("netlink-packet-route: {name} is not RTM_NEWROUTE")
    };
    let (mut p_dst, mut p_gw, mut p_oif, mut p_table, mut p_prio) = (None, None, None, None, None);
    for attr in &peer.attributes {
        match attr {
            RouteAttribute::Destination(a) => p_dst = route_ip(a),
            RouteAttribute::Gateway(a) => p_gw = route_ip(a),
            RouteAttribute::Oif(i) => p_oif = Some(*i),
            RouteAttribute::Table(t) => p_table = Some(*t),
            RouteAttribute::Priority(p) => p_prio = Some(*p),
            _ => {}
        }
    }
    assert_eq!(peer.header.destination_prefix_length, route.dst_len);
    assert_eq!(p_dst, route.dst);
    assert_eq!(p_gw, route.gateway);
    assert_eq!(p_oif, route.oif);
    assert_eq!(p_table.unwrap_or(peer.header.table.into()), route.table);
    assert_eq!(p_prio, route.priority);
}

/// The nexthop group: netlink-packet-route cannot decode it; the generic walk
/// finds the same id and the same group entries as nlwatch.
fn check_nexthop_group() {
    let (action, obj) = nlwatch_object(NEXTHOP_NEW_GROUP, "nexthop_new_group");
    let Object::Nexthop(nh) = obj else {
        panic!("nlwatch: not a nexthop: {obj:?}")
    };
    assert_eq!((action, nh.id), (Action::New, 10));
    let ids: Vec<(u32, u32)> = nh.group.iter().map(|m| (m.id, m.weight)).collect();
    assert_eq!(ids, [(1, 1), (4, 5)]);
    let err = Peer::deserialize(NEXTHOP_NEW_GROUP)
        .expect_err("netlink-packet-route 0.34 has no nexthops");
    assert!(err.to_string().contains("104"), "{err}");
    let (_, _, nlas) = peer_generic(NEXTHOP_NEW_GROUP);
    let value = |kind: u16| {
        let nla = nlas
            .iter()
            .find(|n| netlink_packet_core::Nla::kind(*n) == kind)
            .unwrap();
        let mut v = vec![0u8; netlink_packet_core::Nla::value_len(nla)];
        netlink_packet_core::Nla::emit_value(nla, &mut v);
        v
    };
    assert_eq!(value(1), 10u32.to_ne_bytes()); // NHA_ID
    let group = value(2); // NHA_GROUP: struct nexthop_grp entries
    let peer: Vec<(u32, u32)> = group
        .chunks_exact(8)
        .map(|e| {
            (
                u32::from_ne_bytes(e[..4].try_into().unwrap()),
                u32::from(e[4]) + 1,
            )
        })
        .collect();
    assert_eq!(peer, ids);
}

/// The IPv4 rule with most selectors: both libraries read the same ones.
fn check_rule() {
    let name = "rule_new_v4";
    let (action, obj) = nlwatch_object(RULE_NEW_V4, name);
    let Object::Rule(rule) = obj else {
        panic!("nlwatch: {name} is not a rule: {obj:?}")
    };
    assert_eq!(action, Action::New);
    assert_eq!(
        (rule.priority, rule.table, rule.src_len, rule.dst_len),
        (200, 200, 8, 24)
    );
    let RouteNetlinkMessage::NewRule(peer) = peer_inner(RULE_NEW_V4, name) else {
        panic!("netlink-packet-route: {name} is not RTM_NEWRULE")
    };
    assert_eq!((peer.header.src_len, peer.header.dst_len), (8, 24));
    assert_eq!(peer.header.tos, rule.tos);
    let mut seen = 0;
    for attr in &peer.attributes {
        match attr {
            RuleAttribute::Priority(p) => assert_eq!(*p, rule.priority),
            RuleAttribute::Table(t) => assert_eq!(*t, rule.table),
            RuleAttribute::Source(a) => assert_eq!(Some(*a), rule.src),
            RuleAttribute::Destination(a) => assert_eq!(Some(*a), rule.dst),
            RuleAttribute::Oifname(n) => {
                assert_eq!(Some(n.as_str()), rule.oif.as_ref().and_then(|o| o.to_str()))
            }
            RuleAttribute::UidRange(r) => assert_eq!(Some((r.start, r.end)), rule.uid_range),
            RuleAttribute::SourcePortRange(r) => assert_eq!(Some((r.start, r.end)), rule.sport),
            RuleAttribute::DestinationPortRange(r) => {
                assert_eq!(Some((r.start, r.end)), rule.dport)
            }
            _ => continue,
        }
        seen += 1;
    }
    assert_eq!(seen, 8, "netlink-packet-route read every checked attribute");
}

fn sanity_checks() {
    check_link();
    check_rule();
    check_addr(
        ADDR_NEW_V4,
        "addr_new_v4",
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        24,
    );
    check_addr(
        ADDR_NEW_V6,
        "addr_new_v6",
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        64,
    );
    check_route(
        ROUTE_NEW_V4,
        "route_new_v4",
        IpAddr::V4(Ipv4Addr::new(10, 1, 0, 0)),
        24,
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        100,
        50,
    );
    check_route(
        ROUTE_NEW_V6,
        "route_new_v6",
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0)),
        64,
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
        254,
        1024,
    );
    check_nexthop_group();
    // The benchmarked functions themselves succeed on every input.
    let tag = make_tag();
    for case in &CASES {
        nlwatch_decode(case.bytes);
        nlwatch_event(case.bytes, &tag);
        (case.peer)(case.bytes);
    }
}

// ---------------------------------------------------------------------------
// Allocation table
// ---------------------------------------------------------------------------

struct AllocRow {
    name: &'static str,
    len: usize,
    decode: f64,
    event: f64,
    peer: f64,
}

fn measure_allocs() -> Vec<AllocRow> {
    let tag = make_tag();
    CASES
        .iter()
        .map(|case| AllocRow {
            name: case.name,
            len: case.bytes.len(),
            decode: allocs_per_call(|| nlwatch_decode(black_box(case.bytes))),
            event: allocs_per_call(|| nlwatch_event(black_box(case.bytes), &tag)),
            peer: allocs_per_call(|| (case.peer)(black_box(case.bytes))),
        })
        .collect()
}

fn print_allocs(rows: &[AllocRow]) {
    eprintln!();
    eprintln!(
        "Heap allocations per message (alloc + alloc_zeroed + realloc calls, mean of {ALLOC_ITERS} decodes):"
    );
    eprintln!(
        "{:<17} {:>6} {:>15} {:>14} {:>21}",
        "message", "bytes", "nlwatch decode", "nlwatch event", "netlink-packet-route"
    );
    for r in rows {
        eprintln!(
            "{:<17} {:>6} {:>15.2} {:>14.2} {:>21.2}",
            r.name, r.len, r.decode, r.event, r.peer
        );
    }
    eprintln!(
        "size_of::<nlwatch::Event>() = {} bytes, size_of::<nlwatch::Object>() = {} bytes",
        std::mem::size_of::<Event>(),
        std::mem::size_of::<Object>()
    );
    eprintln!();
}

// ---------------------------------------------------------------------------
// Criterion
// ---------------------------------------------------------------------------

fn bench_decode(c: &mut Criterion) {
    let tag = make_tag();
    for case in &CASES {
        let mut g = c.benchmark_group(case.name);
        g.throughput(Throughput::Elements(1));
        g.bench_function("nlwatch/decode", |b| {
            b.iter(|| nlwatch_decode(black_box(case.bytes)))
        });
        g.bench_function("nlwatch/event", |b| {
            b.iter(|| nlwatch_event(black_box(case.bytes), &tag))
        });
        g.bench_function("netlink-packet-route", |b| {
            b.iter(|| (case.peer)(black_box(case.bytes)))
        });
        g.finish();
    }

    // What `nlwatch/event` adds to `nlwatch/decode`, piece by piece.
    let mut g = c.benchmark_group("event_overhead");
    g.bench_function("SystemTime::now", |b| b.iter(SystemTime::now));
    let (action, object) = nlwatch_decode(LINK_NEW_VETH);
    g.bench_function("Arc::new(Event) of a decoded link", |b| {
        b.iter(|| {
            let mut event = Event::new(tag.clone(), action, black_box(&object).clone());
            event.seq = 1;
            Arc::new(event)
        })
    });
    g.finish();
}

/// `NLWATCH_DECODE_LOOP=<nlwatch-event|peer>:<fixture>:<iterations>` runs just that
/// loop and exits: `scripts/bench-decode-instructions.sh` counts its instructions
/// with callgrind, a figure that does not move with the machine's load.
fn decode_loop(spec: &str) {
    let mut parts = spec.split(':');
    let (who, name, iters) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(100_000),
    );
    let case = CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("unknown fixture {name:?}"));
    let tag = make_tag();
    for _ in 0..iters {
        match who {
            "nlwatch-event" => drop(black_box(nlwatch_event(black_box(case.bytes), &tag))),
            "peer" => drop(black_box((case.peer)(black_box(case.bytes)))),
            other => panic!("unknown decoder {other:?}: nlwatch-event or peer"),
        }
    }
}

fn main() {
    if let Ok(spec) = std::env::var("NLWATCH_DECODE_LOOP") {
        return decode_loop(&spec);
    }
    sanity_checks();
    let rows = measure_allocs();
    print_allocs(&rows);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_decode(&mut c);
    c.final_summary();

    print_allocs(&rows);
}
