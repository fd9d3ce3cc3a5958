// Events covering every field and every naming branch of the JSON line (and
// values no fixture holds), written as text and JSON lines in `constructed.txt`
// (its JSON lines first recorded with the serde path).
{
    use crate_root::object::*;
    use crate_root::objects::{HwAddr, Name};
    use std::net::IpAddr;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};
    let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
    let mac = |b: u8| HwAddr::new(&[2, 0, 0, 0, 0, b]);
    let at = |s: u64, us: u32| SystemTime::UNIX_EPOCH + Duration::new(s, us * 1000);
    let ev = |n: u64, origin: Origin, action: Action, ifname: Option<&str>, object: Object| Event {
        netns: NetnsTag {
            name: Arc::from(if n % 2 == 0 { "" } else { "ns\"1\u{1}" }),
            id: 4_026_531_840 + n,
        },
        seq: n,
        timestamp: at(1_795_000_000 + n * 86_399, (n as u32 * 123_457) % 1_000_000),
        action,
        origin,
        ifname: ifname.map(Name::new),
        object,
    };
    vec![
        ev(1, Origin::Dump, Action::New, Some("veth\"0\\"), Object::Link(Link {
            family: 0,
            ifindex: 7,
            ifname: Some(Name::new("veth\"0\\")),
            flags: 0x11043,
            change: 1,
            link_type: 1,
            mtu: Some(1500),
            operstate: Some(6),
            address: mac(1),
            broadcast: HwAddr::new(&[255; 6]),
            master: Some(4),
            link: Some(2),
            link_netnsid: None,
            kind: Some(Name::new("veth")),
            slave_kind: Some(Name::new("bridge")),
            txqlen: Some(1000),
            alt_names: vec![Name::new("alt\tname"), Name::new("a-very-long-alternative-name-over-thirty")],
            details: Some(std::sync::Arc::new({
                let mut d = LinkDetails::default();
                d.qdisc = Some(Name::new("noqueue"));
                for (detail, v) in [
                    (Detail::Linkmode, 1),
                    (Detail::Group, 5),
                    (Detail::Promiscuity, 1),
                    (Detail::Allmulti, 2),
                    (Detail::MinMtu, 68),
                    (Detail::MaxMtu, 65535),
                    (Detail::NumTxQueues, 2),
                    (Detail::NumRxQueues, 3),
                    (Detail::GsoMaxSize, 65536),
                    (Detail::GsoMaxSegs, 65535),
                    (Detail::TsoMaxSize, 524280),
                    (Detail::TsoMaxSegs, 65535),
                    (Detail::GroMaxSize, 65536),
                    (Detail::GroIpv4MaxSize, 1),
                    (Detail::AddrGenMode, 9),
                ] {
                    d.set(detail, v);
                }
                d
            })),
        })),
        ev(2, Origin::Synthesized, Action::Del, None, Object::Link(Link {
            family: 7,
            ifindex: 8,
            flags: 0,
            change: u32::MAX,
            link_type: 772,
            master: Some(99),
            link: Some(3),
            link_netnsid: Some(-1),
            ..Link::default()
        })),
        ev(3, Origin::Resync, Action::New, Some("eth0"), Object::Address(Address {
            family: 2,
            prefix_len: 24,
            flags: 0x80 | 0x2,
            scope: 77,
            ifindex: 7,
            local: ip("10.0.0.1"),
            address: ip("10.0.0.2"),
            broadcast: ip("10.0.0.255"),
            label: Some(Name::new("eth0:a")),
            valid_lft: Some(u32::MAX),
            preferred_lft: Some(0),
            metric: Some(100),
        })),
        ev(4, Origin::Live, Action::Del, None, Object::Address(Address {
            family: 10,
            prefix_len: 64,
            flags: 0x100,
            scope: 253,
            ifindex: 9,
            address: ip("2001:db8::1"),
            ..Address::default()
        })),
        ev(5, Origin::Live, Action::New, Some("eth0"), Object::Route(Route {
            family: 2,
            dst: ip("10.1.0.0"),
            dst_len: 16,
            src: ip("10.9.0.0"),
            src_len: 8,
            gateway: ip("10.0.0.254"),
            prefsrc: ip("10.0.0.1"),
            oif: Some(7),
            iif: Some(1),
            table: 100,
            protocol: 99,
            scope: 0,
            route_type: 99,
            tos: 0,
            flags: 0x10,
            priority: Some(50),
            metrics: Some(Box::new(crate_root::objects::RouteMetrics { lock: 0, values: vec![(2, 1400)], congctl: None })),
            pref: None,
            nh_id: Some(12),
            nexthops: vec![
                RouteHop { ifindex: 7, gateway: ip("fe80::1"), via: None, newdst: Vec::new(), weight: 1, flags: 1, encap: None, own_metrics: None },
                RouteHop { ifindex: 8, gateway: None, via: None, newdst: Vec::new(), weight: 256, flags: 0, encap: None, own_metrics: None },
            ],
            ..Route::default()
        })),
        ev(6, Origin::Live, Action::New, None, Object::Route(Route {
            family: 2,
            dst_len: 0,
            table: 254,
            protocol: 3,
            scope: 253,
            route_type: 1,
            ..Route::default()
        })),
        ev(7, Origin::Live, Action::Del, None, Object::Route(Route {
            family: 10,
            dst: None,
            dst_len: 8,
            table: 255,
            protocol: 2,
            scope: 254,
            route_type: 2,
            ..Route::default()
        })),
        ev(8, Origin::Live, Action::New, Some("lo"), Object::Route(Route {
            family: 10,
            dst: ip("::ffff:192.0.2.1"),
            dst_len: 128,
            oif: Some(1),
            table: 4_000_000_000,
            protocol: 0,
            scope: 200,
            route_type: 0,
            priority: Some(0),
            ..Route::default()
        })),
        ev(9, Origin::Live, Action::New, Some("br0"), Object::Neighbour(Neighbour {
            family: 7,
            ifindex: 4,
            dst: None,
            lladdr: mac(9),
            state: 0x80 | 0x40,
            flags: 0x02 | 0x80,
            neigh_type: 1,
            master: Some(4),
        })),
        ev(10, Origin::Live, Action::Del, None, Object::Neighbour(Neighbour {
            family: 10,
            ifindex: 7,
            dst: ip("fe80::2:0:0:3"),
            lladdr: HwAddr::new(&[]),
            state: 0,
            flags: 0,
            neigh_type: 0,
            master: None,
        })),
        // Names that are not UTF-8 (the kernel takes any byte but NUL, `/`, `:`
        // and white space), and one that only looks like their escaped form.
        {
            let mut e = ev(11, Origin::Live, Action::New, None, Object::Link(Link {
                family: 0,
                ifindex: 9,
                ifname: Some(Name::new(b"ev\xffil")),
                flags: 0x1002,
                change: 0,
                link_type: 1,
                kind: Some(Name::new(b"ve\xe2\x82th")),
                alt_names: vec![Name::new(br"ev\xffil"), Name::new(b"\xc3\xa9t\xc3")],
                ..Link::default()
            }));
            e.ifname = Some(Name::new(b"ev\xffil"));
            e
        },
        // An id unassigned, with the id of the namespace asking.
        ev(12, Origin::Live, Action::New, None, Object::Nsid(Nsid {
            nsid: Some(-1),
            current_nsid: Some(3),
        })),
    ]
}
