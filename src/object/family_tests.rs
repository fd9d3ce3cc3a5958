//! Addresses are decoded by their message's family, not by their length
//! (RELIABILITY.md, "addresses read by length, not by family"): `AF_MPLS` routes carry label stacks, the
//! multicast routing families (`RTNL_FAMILY_IPMR`, `RTNL_FAMILY_IP6MR`) carry
//! IPv4 and IPv6 addresses, and an address whose length does not fit its family
//! is malformed: skipped and counted without hiding its object, unless the
//! object's identity is made of it (then the message is an error, counted too).

//!
//! How these routes print (`ip -j`'s label stacks, the family names) is checked
//! in `output`, on [`printed`].

use crate::object::{MplsLabel, Object, Route};
use crate::wire::consts::*;
use crate::wire::NlMsg;
use std::net::IpAddr;

/// A netlink message: a 16-byte `nlmsghdr` of type `kind` around `payload`.
pub(super) fn with_header(kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(16 + payload.len());
    b.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
    b.extend_from_slice(&kind.to_ne_bytes());
    b.extend_from_slice(&[0; 10]); // flags, seq, pid
    b.extend_from_slice(payload);
    b
}

/// A message of type `kind`: its fixed header, then `attrs` (type, payload).
fn message(kind: u16, header: &[u8], attrs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut p = header.to_vec();
    for (t, v) in attrs {
        p.extend_from_slice(&((4 + v.len()) as u16).to_ne_bytes());
        p.extend_from_slice(&t.to_ne_bytes());
        p.extend_from_slice(v);
        while p.len() % 4 != 0 {
            p.push(0);
        }
    }
    with_header(kind, &p)
}

/// Decodes `bytes`, returning the object and the number of attributes skipped.
fn decode_counting(bytes: &[u8]) -> (Object, u32) {
    let mut skipped = 0;
    let (_, object) = Object::decode_counted(&NlMsg::new_checked(bytes).unwrap(), &mut skipped)
        .expect("decodes")
        .expect("is an object");
    (object, skipped)
}

/// Whether `bytes` fails to decode.
fn fails(bytes: &[u8]) -> bool {
    Object::decode(&NlMsg::new_checked(bytes).unwrap()).is_err()
}

fn route(bytes: &[u8]) -> Route {
    match decode_counting(bytes) {
        (Object::Route(r), 0) => r,
        other => panic!("not a route without malformed attributes: {other:?}"),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Routes of the families decoded here, each with a part of its JSON line and
/// a part of its text line (interface `N` named `dummyN`), for `output`'s tests.
pub(crate) fn printed() -> Vec<(Object, &'static str, &'static str)> {
    vec![
        (
            Object::Route(route(&with_header(RTM_NEWROUTE, MPLS_300_VIA_INET6))),
            r#""family":"mpls","dst":"300","via":{"family":"inet6","host":"2001:db8:1::2"},"oif":7,"#,
            " 300 via inet6 2001:db8:1::2 dev dummy7 ",
        ),
        (
            Object::Route(route(&with_header(RTM_NEWROUTE, MPLS_100_AS_200))),
            r#""dst":"100","to":"200","via":{"family":"inet6","host":"2001:db8:1::2"},"oif":9,"#,
            " 100 as to 200 via inet6 2001:db8:1::2 dev dummy9 ",
        ),
        (
            Object::Route(mpls_stacks()),
            r#""dst":"16","to":"300/400/500","#,
            // No weight: `ip` prints none for MPLS hops.
            " 16 as to 300/400/500 table main proto boot nexthop as to 300/400/500 dev dummy5",
        ),
        (
            Object::Route(mpls_stacks()),
            r#""nexthops":[{"to":"300/400/500","gateway":null,"oif":5,"dev":"dummy5","flags":[]}]"#,
            "",
        ),
        (
            Object::Route(route(include_bytes!("../wire/fixtures/route_ip6mr.bin"))),
            r#""family":"ip6mr","dst":"ff0e::1","src":"2001:db8::1/128","#,
            " multicast ff0e::1 ",
        ),
        (
            Object::Route(route(include_bytes!("../wire/fixtures/route_ipmr.bin"))),
            r#""family":"ipmr","dst":"239.1.2.3","src":"192.0.2.2/32","#,
            " multicast 239.1.2.3 ",
        ),
    ]
}

fn label(label: u32) -> MplsLabel {
    MplsLabel {
        label,
        bos: true,
        ..MplsLabel::default()
    }
}

/// netlink-packet-route's `route/tests/mpls.rs` `test_mpls_route_to_ipv6`
/// (captured with nlmon; their payload, our header): `ip -f mpls route add 300
/// via inet6 2001:db8:1::2 dev dummy1`.
const MPLS_300_VIA_INET6: &[u8] = &[
    0x1c, 0x14, 0x00, 0x00, 0xfe, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00,
    0x00, 0x12, 0xc1, 0x00, 0x16, 0x00, 0x12, 0x00, 0x0a, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00,
    0x07, 0x00, 0x00, 0x00,
];

/// netlink-packet-route's `test_mpls_route_relable_new_dst`: `ip -f mpls route
/// add 100 as 200 via inet6 2001:db8:1::2 dev dummy1`.
const MPLS_100_AS_200: &[u8] = &[
    0x1c, 0x14, 0x00, 0x00, 0xfe, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00,
    0x00, 0x06, 0x41, 0x00, 0x08, 0x00, 0x13, 0x00, 0x00, 0x0c, 0x81, 0x00, 0x16, 0x00, 0x12, 0x00,
    0x0a, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00, 0x09, 0x00, 0x00, 0x00,
];

#[test]
fn mpls_routes_carry_labels_not_ipv4_addresses() {
    let r = route(&with_header(RTM_NEWROUTE, MPLS_300_VIA_INET6));
    assert_eq!((r.family, r.dst_len), (AF_MPLS, 20));
    assert_eq!(r.dst, None, "a label is not an IPv4 address");
    assert_eq!(r.dst_labels, [label(300)]);
    assert_eq!(r.dst_string(), "300");
    assert!(r.newdst.is_empty());
    assert_eq!((r.gateway, r.via), (None, Some(ip("2001:db8:1::2"))));
    assert_eq!(r.oif, Some(7));

    let r = route(&with_header(RTM_NEWROUTE, MPLS_100_AS_200));
    assert_eq!(r.dst_labels, [label(100)]);
    assert_eq!(r.newdst, [label(200)]);
    assert_eq!((r.via, r.oif), (Some(ip("2001:db8:1::2")), Some(9)));
}

/// An `AF_MPLS` route from label 16 (TTL 64) to the stack 300/400/500 (bottom of
/// stack on the last), as its RTA_NEWDST and its one multipath hop's (out of
/// interface 5).
fn mpls_stacks() -> Route {
    let stack: Vec<u8> = [(300u32, false), (400, false), (500, true)]
        .iter()
        .flat_map(|&(l, bos)| (l << 12 | u32::from(bos) << 8).to_be_bytes())
        .collect();
    let mut hop = vec![0u8; 8];
    hop[4..8].copy_from_slice(&5u32.to_ne_bytes()); // rtnh_ifindex
    hop.extend_from_slice(&((4 + stack.len()) as u16).to_ne_bytes());
    hop.extend_from_slice(&RTA_NEWDST.to_ne_bytes());
    hop.extend_from_slice(&stack);
    let hop_len = hop.len() as u16;
    hop[0..2].copy_from_slice(&hop_len.to_ne_bytes());
    let header = [AF_MPLS, 20, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0];
    let dst = (16u32 << 12 | 1 << 8 | 64).to_be_bytes();
    route(&message(
        RTM_NEWROUTE,
        &header,
        &[(RTA_DST, &dst), (RTA_NEWDST, &stack), (RTA_MULTIPATH, &hop)],
    ))
}

#[test]
fn mpls_label_stacks_decode_whole() {
    let r = mpls_stacks();
    assert_eq!(
        r.dst_labels,
        [MplsLabel {
            ttl: 64,
            ..label(16)
        }]
    );
    assert_eq!(r.dst_string(), "16");
    let want: Vec<_> = [300, 400, 500]
        .iter()
        .map(|&l| MplsLabel {
            bos: l == 500,
            ..label(l)
        })
        .collect();
    assert_eq!(r.newdst, want);
    assert_eq!(r.nexthops[0].newdst, want);
}

#[test]
fn mpls_label_entries_round_trip() {
    let l = MplsLabel::from_entry(0x0012_c1ff);
    assert_eq!((l.label, l.tc, l.bos, l.ttl), (300, 0, true, 255));
    let l = MplsLabel::from_entry(0xffff_fe00 | 7);
    assert_eq!((l.label, l.tc, l.bos, l.ttl), (0xfffff, 7, false, 7));
    for e in [0, 0x0012_c1ff, 0xffff_ffff, 0x0000_0b00] {
        assert_eq!(MplsLabel::from_entry(e).entry(), e);
    }
}

/// `RTNL_FAMILY_IP6MR` (129): an (S,G) entry of IPv6 multicast routing, captured
/// from the all-family dump (`scripts/sandbox.sh`, see the fixtures' README).
#[test]
fn ip6mr_routes_are_ipv6_and_named() {
    let r = route(include_bytes!("../wire/fixtures/route_ip6mr.bin"));
    assert_eq!(r.family, RTNL_FAMILY_IP6MR);
    assert_eq!((r.dst, r.dst_len), (Some(ip("ff0e::1")), 128));
    assert_eq!((r.src, r.src_len), (Some(ip("2001:db8::1")), 128));
    assert_eq!(r.iif, Some(3));
    assert_eq!(r.route_type, 5); // RTN_MULTICAST
                                 // A whole IPv6 address is a host route: no `/128` (with IPv4's rule, a /32
                                 // IPv6 prefix would lose its length and a host route would keep it).
    assert_eq!(r.dst_string(), "ff0e::1");
    let mut ten = route(include_bytes!("../wire/fixtures/route_ip6mr.bin"));
    ten.dst_len = 32;
    assert_eq!(ten.dst_string(), "ff0e::1/32");

    let r = route(include_bytes!("../wire/fixtures/route_ipmr.bin"));
    assert_eq!(r.family, RTNL_FAMILY_IPMR);
    assert_eq!((r.dst, r.dst_len), (Some(ip("239.1.2.3")), 32));
    assert_eq!(r.src, Some(ip("192.0.2.2")));
}

#[test]
fn an_address_that_does_not_fit_its_family_is_malformed() {
    let v4 = [192, 0, 2, 1];
    let v6 = ip("2001:db8::1");
    let IpAddr::V6(v6b) = v6 else { unreachable!() };
    let v6b = v6b.octets();
    let oif = 7u32.to_ne_bytes();

    // An IPv6 route whose RTA_GATEWAY is 4 bytes and RTA_PREFSRC 5: both
    // skipped and counted, the route and the rest of its attributes kept.
    let header = [AF_INET6, 64, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0];
    let dst = ip("2001:db8:1::");
    let IpAddr::V6(dstb) = dst else {
        unreachable!()
    };
    let bytes = message(
        RTM_NEWROUTE,
        &header,
        &[
            (RTA_DST, &dstb.octets()),
            (RTA_GATEWAY, &v4),
            (RTA_PREFSRC, &[1, 2, 3, 4, 5]),
            (RTA_OIF, &oif),
        ],
    );
    let (Object::Route(r), skipped) = decode_counting(&bytes) else {
        panic!()
    };
    assert_eq!(skipped, 2);
    assert_eq!((r.gateway, r.prefsrc), (None, None));
    assert_eq!((r.dst, r.oif), (Some(dst), Some(7)));
    // Its RTA_DST of 4 bytes: the route is keyed by it, so the message fails
    // (a decode error) rather than be filed as another route.
    let bytes = message(RTM_NEWROUTE, &header, &[(RTA_DST, &v4), (RTA_OIF, &oif)]);
    assert!(fails(&bytes));

    // An MPLS label stack that is not whole entries, an RTA_VIA whose address
    // does not fit its own family: skipped (MPLS routes are not kept by key).
    let header = [AF_MPLS, 20, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0];
    let mut via = u16::from(AF_INET).to_ne_bytes().to_vec();
    via.extend_from_slice(&v6b);
    let bytes = message(
        RTM_NEWROUTE,
        &header,
        &[
            (RTA_DST, &[0, 0x12, 0xc1]),
            (RTA_VIA, &via),
            (RTA_OIF, &oif),
        ],
    );
    let (Object::Route(r), skipped) = decode_counting(&bytes) else {
        panic!()
    };
    assert_eq!((skipped, r.dst_labels.len(), r.via), (2, 0, None));
    assert_eq!(r.oif, Some(7));
    // A multicast routing (IPMR) route whose RTA_DST is 16 bytes, and
    // RTA_NEWDST outside AF_MPLS.
    let header = [RTNL_FAMILY_IPMR, 32, 32, 0, 253, 17, 0, 5, 0, 0, 0, 0];
    let bytes = message(
        RTM_NEWROUTE,
        &header,
        &[(RTA_DST, &v6b), (RTA_NEWDST, &v4), (RTA_SRC, &v4)],
    );
    let (Object::Route(r), skipped) = decode_counting(&bytes) else {
        panic!()
    };
    assert_eq!((skipped, r.dst, r.src), (2, None, Some(ip("192.0.2.1"))));

    // An IPv4 address whose IFA_BROADCAST is 16 bytes: skipped; whose
    // IFA_ADDRESS is (its identity): the message fails.
    let header = [AF_INET, 24, 0, 0, 7, 0, 0, 0];
    let bytes = message(
        RTM_NEWADDR,
        &header,
        &[(IFA_BROADCAST, &v6b), (IFA_LOCAL, &v4)],
    );
    let (Object::Address(a), skipped) = decode_counting(&bytes) else {
        panic!()
    };
    assert_eq!(skipped, 1);
    assert_eq!((a.broadcast, a.local), (None, Some(ip("192.0.2.1"))));
    assert_eq!(a.ifindex, 7);
    assert!(fails(&message(
        RTM_NEWADDR,
        &header,
        &[(IFA_ADDRESS, &v6b), (IFA_LOCAL, &v4)]
    )));

    // An IPv6 neighbour whose NDA_DST (its identity) is 4 bytes fails; a bridge
    // FDB entry's NDA_DST (a VXLAN remote) may be either.
    let header = [AF_INET6, 0, 0, 0, 7, 0, 0, 0, 0x80, 0, 0, 0];
    assert!(fails(&message(RTM_NEWNEIGH, &header, &[(NDA_DST, &v4)])));
    for dst in [&v4[..], &v6b[..]] {
        let header = [AF_BRIDGE, 0, 0, 0, 7, 0, 0, 0, 0x80, 0, 0, 0];
        let bytes = message(RTM_NEWNEIGH, &header, &[(NDA_DST, dst)]);
        let (Object::Fdb(e), skipped) = decode_counting(&bytes) else {
            panic!()
        };
        assert_eq!(skipped, 0);
        assert!(e.dst.is_some());
    }
}
