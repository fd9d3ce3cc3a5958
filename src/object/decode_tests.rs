//! Decoder tests on real messages captured from the kernel (see
//! `src/wire/fixtures/README.md` for how each was made), and a bounded fuzz loop
//! that feeds random and mutated messages through every decoder.

use crate::object::HwAddr;
use crate::object::{Action, Object};
use crate::wire::{consts::*, nexthop_group, Attrs, Message, Messages, MultipathHops, NlMsg};
use std::net::IpAddr;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../wire/fixtures/", $name, ".bin")).as_slice()
    };
}

const FIXTURES: &[(&str, &[u8])] = &[
    ("link_new_veth", fixture!("link_new_veth")),
    ("link_new_veth_up", fixture!("link_new_veth_up")),
    ("link_new_altname", fixture!("link_new_altname")),
    ("link_new_bridge", fixture!("link_new_bridge")),
    ("link_new_enslaved", fixture!("link_new_enslaved")),
    ("link_del_veth", fixture!("link_del_veth")),
    ("addr_new_v4", fixture!("addr_new_v4")),
    ("addr_new_v6", fixture!("addr_new_v6")),
    ("addr_del_v4", fixture!("addr_del_v4")),
    ("addr_del_v6", fixture!("addr_del_v6")),
    ("route_new_v4", fixture!("route_new_v4")),
    ("route_new_v4_main", fixture!("route_new_v4_main")),
    ("route_new_v6", fixture!("route_new_v6")),
    ("route_new_multipath", fixture!("route_new_multipath")),
    ("route_del_v4", fixture!("route_del_v4")),
    ("route_del_v6", fixture!("route_del_v6")),
    ("neigh_new", fixture!("neigh_new")),
    ("neigh_del", fixture!("neigh_del")),
    ("link_new_not_utf8", fixture!("link_new_not_utf8")),
    ("addr_new_not_utf8", fixture!("addr_new_not_utf8")),
    ("fdb_new_vxlan", fixture!("fdb_new_vxlan")),
    ("fdb_del_vxlan", fixture!("fdb_del_vxlan")),
    ("fdb_new_master", fixture!("fdb_new_master")),
    // netconf and MDB.
    ("netconf_new_dev", fixture!("netconf_new_dev")),
    ("netconf_new_all", fixture!("netconf_new_all")),
    ("netconf_dump_all_v6", fixture!("netconf_dump_all_v6")),
    ("netconf_del", fixture!("netconf_del")),
    ("mdb_new_v4", fixture!("mdb_new_v4")),
    ("mdb_new_v6", fixture!("mdb_new_v6")),
    ("mdb_new_src", fixture!("mdb_new_src")),
    ("mdb_new_l2", fixture!("mdb_new_l2")),
    ("mdb_new_host", fixture!("mdb_new_host")),
    ("mdb_new_router", fixture!("mdb_new_router")),
    ("mdb_dump", fixture!("mdb_dump")),
    ("mdb_del_v4", fixture!("mdb_del_v4")),
    ("nexthop_new_v4", fixture!("nexthop_new_v4")),
    ("nexthop_new_v6", fixture!("nexthop_new_v6")),
    ("nexthop_new_blackhole", fixture!("nexthop_new_blackhole")),
    ("nexthop_new_onlink", fixture!("nexthop_new_onlink")),
    ("nexthop_new_group", fixture!("nexthop_new_group")),
    ("nexthop_new_resilient", fixture!("nexthop_new_resilient")),
    ("nexthop_new_fdb", fixture!("nexthop_new_fdb")),
    ("nexthop_new_fdb_group", fixture!("nexthop_new_fdb_group")),
    ("nexthop_del_group", fixture!("nexthop_del_group")),
    ("nexthop_del_v4", fixture!("nexthop_del_v4")),
    (
        "nexthop_new_resilient_shrunk",
        fixture!("nexthop_new_resilient_shrunk"),
    ),
    ("rule_new_v6_fwmark_iif", fixture!("rule_new_v6_fwmark_iif")),
    ("rule_new_v4", fixture!("rule_new_v4")),
    ("rule_new_goto", fixture!("rule_new_goto")),
    ("rule_new_blackhole", fixture!("rule_new_blackhole")),
    ("rule_del_v4", fixture!("rule_del_v4")),
    ("rule_del_v6", fixture!("rule_del_v6")),
    ("nsid_new", fixture!("nsid_new")),
    ("nsid_del", fixture!("nsid_del")),
];

fn decode(bytes: &[u8]) -> (Action, Object) {
    let msg = NlMsg::new_checked(bytes).expect("valid header");
    assert_eq!(msg.len(), bytes.len());
    Object::decode(&msg)
        .expect("decodes")
        .expect("is an object")
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn mac(s: &str) -> HwAddr {
    let bytes: Vec<u8> = s
        .split(':')
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect();
    HwAddr::new(&bytes).unwrap()
}

#[test]
fn link_new_veth() {
    let (action, obj) = decode(fixture!("link_new_veth"));
    assert_eq!(action, Action::New);
    let Object::Link(l) = obj else {
        panic!("not a link: {obj:?}")
    };
    assert_eq!(l.ifindex, 3);
    assert_eq!(l.ifname.as_ref().and_then(|n| n.to_str()), Some("veth0"));
    assert_eq!(l.flags, 0x1002); // BROADCAST | MULTICAST
    assert_eq!(l.change, 0xffff_ffff);
    assert_eq!(l.mtu, Some(1500));
    assert_eq!(l.operstate, Some(2)); // DOWN
    assert_eq!(l.address, Some(mac("02:00:00:00:00:01")));
    assert_eq!(l.broadcast, Some(mac("ff:ff:ff:ff:ff:ff")));
    assert_eq!(l.kind.as_ref().and_then(|n| n.to_str()), Some("veth"));
    assert_eq!(l.slave_kind, None);
    assert_eq!(l.master, None);
    assert_eq!(l.link, Some(2), "peer veth1");
    assert_eq!(l.txqlen, Some(1000));
    assert_eq!(l.link_type, 1);
    assert!(l.alt_names.is_empty());
}

#[test]
fn link_up_altname_bridge_enslaved_and_del() {
    let (_, Object::Link(up)) = decode(fixture!("link_new_veth_up")) else {
        panic!()
    };
    assert_eq!(up.flags, 0x11043); // UP | BROADCAST | RUNNING | MULTICAST | LOWER_UP
    assert_eq!(up.operstate, Some(6));
    let names: Vec<_> = crate::object::names::link_flags(up.flags).collect();
    assert_eq!(names, ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]);

    let (_, Object::Link(alt)) = decode(fixture!("link_new_altname")) else {
        panic!()
    };
    assert_eq!(alt.alt_names, ["veth0-alt-name"]);

    let (_, Object::Link(br)) = decode(fixture!("link_new_bridge")) else {
        panic!()
    };
    assert_eq!(
        (br.ifindex, br.ifname.as_ref().and_then(|n| n.to_str())),
        (4, Some("br0"))
    );
    assert_eq!(br.kind.as_ref().and_then(|n| n.to_str()), Some("bridge"));

    let (_, Object::Link(port)) = decode(fixture!("link_new_enslaved")) else {
        panic!()
    };
    assert_eq!(port.master, Some(4));
    assert_eq!(
        port.slave_kind.as_ref().and_then(|n| n.to_str()),
        Some("bridge")
    );
    assert_eq!(port.kind.as_ref().and_then(|n| n.to_str()), Some("veth"));
    assert_eq!(port.change, 0x100); // IFF_SLAVE changed

    let (action, Object::Link(del)) = decode(fixture!("link_del_veth")) else {
        panic!()
    };
    assert_eq!(action, Action::Del);
    assert_eq!(
        (del.ifindex, del.ifname.as_ref().and_then(|n| n.to_str())),
        (3, Some("veth0"))
    );
    assert_eq!(del.kind.as_ref().and_then(|n| n.to_str()), Some("veth"));
    assert_eq!(del.alt_names, ["veth0-alt-name"]);
}

#[test]
fn addresses_v4_and_v6() {
    for (bytes, want_action) in [
        (fixture!("addr_new_v4"), Action::New),
        (fixture!("addr_del_v4"), Action::Del),
    ] {
        let (action, Object::Address(a)) = decode(bytes) else {
            panic!()
        };
        assert_eq!(action, want_action);
        assert_eq!((a.family, a.prefix_len, a.ifindex, a.scope), (2, 24, 3, 0));
        assert_eq!(a.local, Some(ip("10.0.0.1")));
        assert_eq!(a.address, Some(ip("10.0.0.1")));
        assert_eq!(a.peer(), None);
        assert_eq!(a.broadcast, Some(ip("10.0.0.255")));
        assert_eq!(a.label.as_ref().and_then(|n| n.to_str()), Some("veth0:a"));
        assert_eq!(a.flags & 0x80, 0x80, "IFA_F_PERMANENT");
        assert_eq!(a.valid_lft, Some(u32::MAX));
        assert_eq!(a.preferred_lft, Some(u32::MAX));
    }
    for (bytes, want_action) in [
        (fixture!("addr_new_v6"), Action::New),
        (fixture!("addr_del_v6"), Action::Del),
    ] {
        let (action, Object::Address(a)) = decode(bytes) else {
            panic!()
        };
        assert_eq!(action, want_action);
        assert_eq!((a.family, a.prefix_len, a.ifindex), (10, 64, 3));
        assert_eq!(a.primary(), Some(ip("2001:db8::1")));
        assert_eq!(a.local, None);
        assert_eq!(a.label, None);
        assert_eq!(a.flags & 0x82, 0x82, "IFA_F_NODAD | IFA_F_PERMANENT");
    }
}

#[test]
fn routes_v4_v6_metrics_and_multipath() {
    for (bytes, want_action) in [
        (fixture!("route_new_v4"), Action::New),
        (fixture!("route_del_v4"), Action::Del),
    ] {
        let (action, Object::Route(r)) = decode(bytes) else {
            panic!()
        };
        assert_eq!(action, want_action);
        assert_eq!(r.family, 2);
        assert_eq!((r.dst, r.dst_len), (Some(ip("10.1.0.0")), 24));
        assert_eq!(r.dst_string(), "10.1.0.0/24");
        assert_eq!(r.gateway, Some(ip("10.0.0.2")));
        assert_eq!(r.oif, Some(3));
        assert_eq!(r.table, 100);
        assert_eq!(r.protocol, 4); // static
        assert_eq!(r.priority, Some(50));
        assert_eq!(r.route_type, 1);
        assert!(r.nexthops.is_empty());
    }

    let (_, Object::Route(r)) = decode(fixture!("route_new_v4_main")) else {
        panic!()
    };
    assert_eq!(
        (r.dst_string(), r.table, r.mtu()),
        ("10.3.0.0/16".into(), 254, Some(1400))
    );

    for bytes in [fixture!("route_new_v6"), fixture!("route_del_v6")] {
        let (_, Object::Route(r)) = decode(bytes) else {
            panic!()
        };
        assert_eq!(r.family, 10);
        assert_eq!(r.dst_string(), "2001:db8:1::/64");
        assert_eq!(r.gateway, Some(ip("2001:db8::2")));
        assert_eq!((r.oif, r.table, r.priority), (Some(3), 254, Some(1024)));
    }

    let (_, Object::Route(r)) = decode(fixture!("route_new_multipath")) else {
        panic!()
    };
    assert_eq!(r.dst_string(), "10.2.0.0/24");
    assert_eq!(r.gateway, None);
    let hops: Vec<_> = r
        .nexthops
        .iter()
        .map(|h| (h.ifindex, h.gateway, h.weight))
        .collect();
    assert_eq!(
        hops,
        [(3, Some(ip("10.0.0.2")), 1), (3, Some(ip("10.0.0.3")), 2)]
    );
}

#[test]
fn neighbours() {
    let (action, Object::Neighbour(n)) = decode(fixture!("neigh_new")) else {
        panic!()
    };
    assert_eq!(action, Action::New);
    assert_eq!((n.family, n.ifindex), (2, 3));
    assert_eq!(n.dst, Some(ip("10.0.0.2")));
    assert_eq!(n.lladdr, Some(mac("02:00:00:00:00:02")));
    assert_eq!(n.state, 0x80);
    let (action, Object::Neighbour(n)) = decode(fixture!("neigh_del")) else {
        panic!()
    };
    assert_eq!(action, Action::Del);
    assert_eq!(n.dst, Some(ip("10.0.0.2")));
    assert_eq!(n.state, 0x20); // FAILED, as the kernel reports a deleted entry
}

#[test]
fn views_are_per_family_and_attributes_stay_inside_their_message() {
    // Two real messages back to back in one datagram, as the kernel batches them.
    let link = fixture!("link_new_veth");
    let addr = fixture!("addr_new_v4");
    let mut datagram = link.to_vec();
    datagram.resize(crate::wire::align(link.len()), 0);
    datagram.extend_from_slice(addr);
    let msgs: Vec<_> = Messages::new(&datagram).map(Result::unwrap).collect();
    assert_eq!(msgs.len(), 2);
    // An address view of a link message is refused, not misread.
    assert!(crate::wire::AddressMessage::new_checked(msgs[0]).is_err());
    match (msgs[0].parse().unwrap(), msgs[1].parse().unwrap()) {
        (Message::Link(l), Message::Address(a)) => {
            // The link's attribute walk ends at the link message's own end: it never
            // reaches the address message that follows in the datagram.
            // The link's attribute walk covers exactly the link message after its
            // 16-byte nlmsghdr and 16-byte ifinfomsg: not one byte of the address
            // message that follows in the datagram.
            let walked: usize = l
                .attrs()
                .map(|a| crate::wire::align(a.unwrap().payload().len() + 4))
                .sum();
            assert_eq!(walked, crate::wire::align(link.len()) - 32);
            // And the address view starts after its own 8-byte ifaddrmsg.
            let walked: usize = a
                .attrs()
                .map(|a| crate::wire::align(a.unwrap().payload().len() + 4))
                .sum();
            assert_eq!(walked, addr.len() - 16 - 8);
            // IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_LABEL, IFA_FLAGS, IFA_CACHEINFO.
            assert_eq!(a.attrs().count(), 6);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn control_messages() {
    let done = [
        20u8, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let msg = NlMsg::new_checked(&done).unwrap();
    assert!(msg.is_multi());
    assert!(matches!(msg.parse(), Ok(Message::Done)));
    // NLMSG_ERROR with -EEXIST (17) and the original header; then an ACK.
    let mut err = vec![36u8, 0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0];
    err.extend_from_slice(&(-17i32).to_ne_bytes());
    err.extend_from_slice(&[16, 0, 0, 0, 16, 0, 5, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    let Ok(Message::Error(e)) = NlMsg::new_checked(&err).unwrap().parse() else {
        panic!()
    };
    assert_eq!((e.errno(), e.is_ack()), (Some(17), false));
    // A positive code (no kernel sends one; the fuzzer did) stays positive.
    let mut odd = err.clone();
    odd[16..20].copy_from_slice(&65536i32.to_ne_bytes());
    let Ok(Message::Error(o)) = NlMsg::new_checked(&odd).unwrap().parse() else {
        panic!()
    };
    assert_eq!(o.errno(), Some(65536));
    odd[16..20].copy_from_slice(&i32::MIN.to_ne_bytes());
    let Ok(Message::Error(o)) = NlMsg::new_checked(&odd).unwrap().parse() else {
        panic!()
    };
    assert_eq!(o.errno(), Some(i32::MAX));
    assert_eq!(
        (e.request_kind(), e.request_seq()),
        (Some(RTM_NEWLINK), Some(9))
    );
    err[16..20].copy_from_slice(&0i32.to_ne_bytes());
    let Ok(Message::Error(ack)) = NlMsg::new_checked(&err).unwrap().parse() else {
        panic!()
    };
    assert!(ack.is_ack());
    // NLM_F_DUMP_INTR is exposed.
    let intr = [16u8, 0, 0, 0, 16, 0, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert!(NlMsg::new_checked(&intr).unwrap().is_dump_interrupted());
    // Unknown types pass through.
    let other = [16u8, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert!(matches!(
        NlMsg::new_checked(&other).unwrap().parse(),
        Ok(Message::Other(_))
    ));
    assert!(Object::decode(&NlMsg::new_checked(&other).unwrap())
        .unwrap()
        .is_none());
}

#[test]
fn truncated_headers_are_typed_errors() {
    let link = fixture!("link_new_veth");
    let first_attr_len = u16::from_ne_bytes([link[32], link[33]]) as usize;
    assert!(first_attr_len > 5);
    // Cut inside the nlmsghdr, inside the ifinfomsg, inside the first attribute.
    for cut in [0, 7, 15, 16, 20, 31, 32 + first_attr_len - 1] {
        let mut b = link[..cut].to_vec();
        if cut >= 4 {
            // Keep nlmsg_len honest so the error comes from the inner structure.
            b[..4].copy_from_slice(&(cut as u32).to_ne_bytes());
        }
        match NlMsg::new_checked(&b) {
            Err(e) => assert!(cut < 16, "cut at {cut}: {e}"),
            Ok(msg) => {
                let err = Object::decode(&msg).expect_err("truncated message decoded");
                assert!(
                    matches!(err, crate::wire::Error::Truncated { .. }),
                    "cut at {cut}: {err:?}"
                );
            }
        }
    }
    // nlmsg_len larger than the bytes, and smaller than a header.
    let mut b = link.to_vec();
    b[..4].copy_from_slice(&(link.len() as u32 + 4).to_ne_bytes());
    assert!(NlMsg::new_checked(&b).is_err());
    b[..4].copy_from_slice(&8u32.to_ne_bytes());
    assert!(matches!(
        NlMsg::new_checked(&b),
        Err(crate::wire::Error::BadLength { len: 8, .. })
    ));
}

/// Deterministic xorshift64*, so a failing case can be replayed from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Walks every view and attribute of every message of `bytes`, the way the reader
/// and any consumer would; any panic fails the test.
fn exercise(bytes: &[u8]) {
    for msg in Messages::new(bytes) {
        let Ok(msg) = msg else { continue };
        let _ = Object::decode(&msg);
        let _ = Object::decode_each(&msg, &mut 0, |_, o| {
            let _ = (o.ifindex(), o.family());
        });
        match msg.parse() {
            Ok(Message::Link(m)) => walk(m.attrs()),
            Ok(Message::Address(m)) => walk(m.attrs()),
            Ok(Message::Neighbour(m)) => walk(m.attrs()),
            Ok(Message::Netconf(m)) => walk(m.attrs()),
            Ok(Message::Mdb(m)) => walk(m.attrs()),
            Ok(Message::Nexthop(m)) => {
                for a in m.attrs().flatten() {
                    for e in nexthop_group(a.kind(), a.payload()).into_iter().flatten() {
                        let _ = (e.id, e.weight, e.weight_high);
                    }
                }
                walk(m.attrs());
            }
            Ok(Message::Rule(m)) => walk(m.attrs()),
            Ok(Message::Nsid(m)) => walk(m.attrs()),
            Ok(Message::Route(m)) => {
                for a in m.attrs().flatten() {
                    for hop in MultipathHops::new(a.payload()).flatten() {
                        walk(hop.attrs());
                    }
                }
                walk(m.attrs());
            }
            Ok(Message::Error(e)) => {
                let _ = (e.errno(), e.request_kind(), e.request_seq());
            }
            _ => {}
        }
    }
}

fn walk(attrs: Attrs<'_>) {
    for a in attrs.flatten() {
        let _ = (a.u8(), a.u16(), a.u32(), a.u64(), a.str(), a.ip());
        walk(a.nested());
    }
}

#[test]
fn fuzz_random_and_mutated_messages_never_panic() {
    let seed = std::env::var("NLWATCH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6e6c_7761_7463_6821u64);
    let iterations: usize = std::env::var("NLWATCH_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    eprintln!("fuzz seed {seed:#x}, {iterations} iterations");
    let mut rng = Rng(seed | 1);
    let types = [
        RTM_NEWLINK,
        RTM_DELLINK,
        RTM_NEWADDR,
        RTM_NEWROUTE,
        RTM_NEWNEIGH,
        RTM_NEWNETCONF,
        RTM_NEWMDB,
        RTM_GETMDB,
        RTM_NEWNEXTHOP,
        RTM_DELNEXTHOP,
        NLMSG_ERROR,
        NLMSG_DONE,
    ];
    let mut buf = Vec::with_capacity(4096);
    for _ in 0..iterations {
        buf.clear();
        match rng.below(4) {
            // Pure noise.
            0 => {
                let len = rng.below(128);
                buf.extend((0..len).map(|_| rng.next() as u8));
            }
            // A valid header of a known type over random payload.
            1 => {
                let len = 16 + rng.below(96);
                buf.extend_from_slice(&(len as u32).to_ne_bytes());
                buf.extend_from_slice(&types[rng.below(types.len())].to_ne_bytes());
                buf.extend((6..len).map(|_| rng.next() as u8));
            }
            // A real message with bytes flipped, lengths rewritten or cut short.
            _ => {
                let (_, base) = FIXTURES[rng.below(FIXTURES.len())];
                buf.extend_from_slice(base);
                for _ in 0..1 + rng.below(8) {
                    if buf.is_empty() {
                        break;
                    }
                    let at = rng.below(buf.len());
                    match rng.below(3) {
                        0 => buf[at] = rng.next() as u8,
                        // Attribute and header lengths are u16/u32 little-endian:
                        // give them small, edge or huge values.
                        1 if at + 1 < buf.len() => {
                            let v = [0u16, 1, 3, 4, 5, 8, 0xffff][rng.below(7)];
                            buf[at..at + 2].copy_from_slice(&v.to_ne_bytes());
                        }
                        _ => buf.truncate(at),
                    }
                }
            }
        }
        exercise(&buf);
    }
    // And every fixture intact, concatenated into one datagram.
    let mut all = Vec::new();
    for (_, f) in FIXTURES {
        all.extend_from_slice(f);
        all.resize(crate::wire::align(all.len()), 0);
    }
    let decoded = Messages::new(&all)
        .filter(|m| matches!(m.map(|m| Object::decode(&m)), Ok(Ok(Some(_)))))
        .count();
    assert_eq!(decoded, FIXTURES.len());
}

/// A link named with a byte that is not UTF-8, as the kernel sent it: the link
/// and its name's exact bytes are there (one such attribute used to fail the
/// whole message, hiding the interface).
#[test]
fn link_new_not_utf8() {
    let (action, obj) = decode(fixture!("link_new_not_utf8"));
    assert_eq!(action, Action::New);
    let Object::Link(l) = obj else {
        panic!("not a link: {obj:?}")
    };
    assert_eq!(l.ifindex, 6);
    assert_eq!(
        l.ifname.as_ref().map(|n| n.as_bytes()),
        Some(&b"ev\xffil"[..])
    );
    assert_eq!(l.ifname.as_ref().and_then(|n| n.to_str()), None);
    assert_eq!(l.ifname.unwrap().to_string(), r"ev\xffil");
    assert_eq!(l.kind.unwrap(), "veth");
    assert_eq!(l.mtu, Some(1500));
}

/// A link whose alias (`IFLA_IFALIAS`) is not UTF-8: `link_new_not_utf8`
/// with its name (`ev\xffil`) made the alias. For `output`'s tests too.
pub(crate) fn link_with_alias() -> Object {
    let bytes = retagged(fixture!("link_new_not_utf8"), 16, IFLA_IFNAME, IFLA_IFALIAS);
    decode(&bytes).1
}

/// A link's alias is a user's text, any bytes: kept exactly (`output`'s
/// tests check it is written escaped as names are).
#[test]
fn link_alias_is_kept_as_the_kernel_sent_it() {
    let obj = link_with_alias();
    let Object::Link(l) = &obj else {
        panic!("not a link: {obj:?}")
    };
    let alias = l.details.as_deref().and_then(|d| d.ifalias());
    assert_eq!(alias.map(|a| a.as_bytes()), Some(&b"ev\xffil"[..]));
}

#[test]
fn addr_new_not_utf8() {
    let (_, obj) = decode(fixture!("addr_new_not_utf8"));
    let Object::Address(a) = obj else {
        panic!("not an address: {obj:?}")
    };
    assert_eq!(a.local, Some(ip("10.8.0.1")));
    assert_eq!(a.label.unwrap().as_bytes(), b"ev\xffil:\xfe");
}

/// `bytes` with the type of its first top-level attribute of type `from`
/// changed to `to` (`header_len`: the family header after the netlink header).
fn retagged(bytes: &[u8], header_len: usize, from: u16, to: u16) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let mut at = 16 + header_len;
    while at + 4 <= b.len() {
        let len = u16::from_ne_bytes([b[at], b[at + 1]]) as usize;
        if u16::from_ne_bytes([b[at + 2], b[at + 3]]) & 0x3fff == from {
            b[at + 2..at + 4].copy_from_slice(&to.to_ne_bytes());
            return b;
        }
        at += len.max(4).next_multiple_of(4);
    }
    panic!("no attribute {from}");
}

fn decode_counted(bytes: &[u8]) -> (crate::wire::Result<Option<(Action, Object)>>, u32) {
    let mut skipped = 0;
    let r = Object::decode_counted(&NlMsg::new_checked(bytes).unwrap(), &mut skipped);
    (r, skipped)
}

/// A malformed attribute is skipped and counted; the object and its other
/// attributes are still there. Only a malformed attribute of the object's key
/// fails the message (it would be filed under another key).
#[test]
fn a_malformed_attribute_is_skipped_and_counted_not_the_object() {
    // veth0's IFLA_IFNAME ("veth0\0", 6 bytes) read as IFLA_MTU (a u32).
    let bad = retagged(fixture!("link_new_veth"), 16, IFLA_IFNAME, IFLA_MTU);
    let (r, skipped) = decode_counted(&bad);
    let Some((_, Object::Link(l))) = r.unwrap() else {
        panic!("not a link")
    };
    assert_eq!(
        (l.ifindex, l.ifname, l.mtu, skipped),
        (3, None, Some(1500), 1)
    );
    assert_eq!(l.kind.unwrap(), "veth");

    // The label (8 bytes) read as IFA_FLAGS (a u32): skipped.
    let bad = retagged(fixture!("addr_new_v4"), 8, IFA_LABEL, IFA_FLAGS);
    let (r, skipped) = decode_counted(&bad);
    let Some((_, Object::Address(a))) = r.unwrap() else {
        panic!("not an address")
    };
    assert_eq!((a.local, a.label, skipped), (Some(ip("10.0.0.1")), None, 1));

    // The label read as IFA_LOCAL, part of the address's key: an error.
    let bad = retagged(fixture!("addr_new_v4"), 8, IFA_LABEL, IFA_LOCAL);
    assert!(decode_counted(&bad).0.is_err());

    // The neighbour's link-layer address (6 bytes) read as NDA_DST (its key).
    let bad = retagged(fixture!("neigh_new"), 12, NDA_LLADDR, NDA_DST);
    assert!(decode_counted(&bad).0.is_err());
}

/// A VXLAN remote in the bridge forwarding database, as the kernel sent it: an
/// `fdb` entry (no longer a neighbour), its remote, VNI and port decoded (its
/// lines, as `bridge -j fdb` / `bridge monitor` write them, are in
/// `output/golden/fixtures.txt`).
#[test]
fn fdb_vxlan_remote_new_and_del() {
    for (fixture, want) in [
        (fixture!("fdb_new_vxlan"), Action::New),
        (fixture!("fdb_del_vxlan"), Action::Del),
    ] {
        let (action, obj) = decode(fixture);
        assert_eq!(action, want);
        let Object::Fdb(e) = &obj else {
            panic!("not an fdb entry: {obj:?}")
        };
        assert_eq!(e.ifindex, 7);
        assert_eq!(e.mac, Some(mac("00:00:00:00:00:00")));
        assert_eq!(e.dst, Some(ip("10.0.0.3")));
        assert_eq!((e.vni, e.port, e.vlan), (Some(200), Some(4790), 0));
        assert_eq!(e.flags, NTF_SELF);
        assert_eq!(e.state_name(), Some("permanent"));
        assert!(crate::object::Kind::key(e).is_some(), "a remote is kept");
    }
}

/// A static entry added on a bridge port: the bridge's (`NDA_MASTER`, no
/// `NTF_SELF`), state `static`.
#[test]
fn fdb_master_entry_on_a_bridge_port() {
    let (action, obj) = decode(fixture!("fdb_new_master"));
    assert_eq!(action, Action::New);
    let Object::Fdb(e) = &obj else {
        panic!("not an fdb entry: {obj:?}")
    };
    assert_eq!((e.ifindex, e.master), (10, Some(8)));
    assert_eq!(e.mac, Some(mac("02:00:00:00:00:aa")));
    assert_eq!((e.dst, e.flags), (None, 0));
    assert_eq!(e.state_name(), Some("static"));
}

fn nexthop(name: &str, bytes: &[u8]) -> (Action, crate::object::Nexthop) {
    let mut skipped = 0;
    let msg = NlMsg::new_checked(bytes).unwrap();
    let (action, obj) = Object::decode_counted(&msg, &mut skipped).unwrap().unwrap();
    assert_eq!(skipped, 0, "{name}");
    let Object::Nexthop(nh) = obj else {
        panic!("{name}: not a nexthop: {obj:?}")
    };
    (action, nh)
}

/// Single nexthops of both families, a blackhole, onlink, and their deletion.
#[test]
fn nexthops_single_blackhole_and_del() {
    let (action, v4) = nexthop("v4", fixture!("nexthop_new_v4"));
    assert_eq!(action, Action::New);
    assert_eq!(
        (v4.id, v4.family, v4.scope, v4.protocol),
        (1, AF_INET, 253, 0)
    );
    assert_eq!((v4.oif, v4.gateway), (Some(8), Some(ip("10.7.0.2"))));
    assert!(!v4.blackhole && !v4.fdb && !v4.is_group() && v4.encap.is_none());
    let (action, del) = nexthop("del", fixture!("nexthop_del_v4"));
    assert_eq!(action, Action::Del);
    assert_eq!(del, v4);

    let (_, v6) = nexthop("v6", fixture!("nexthop_new_v6"));
    assert_eq!((v6.id, v6.family), (2, AF_INET6));
    assert_eq!((v6.oif, v6.gateway), (Some(8), Some(ip("2001:db8:7::2"))));

    let (_, bh) = nexthop("blackhole", fixture!("nexthop_new_blackhole"));
    assert_eq!(
        (bh.id, bh.blackhole, bh.oif, bh.gateway, bh.scope),
        (3, true, None, None, 0)
    );

    let (_, onlink) = nexthop("onlink", fixture!("nexthop_new_onlink"));
    assert_eq!((onlink.id, onlink.flags), (4, 4)); // RTNH_F_ONLINK
    let flags: Vec<_> = crate::object::names::rt_flags(onlink.flags).collect();
    assert_eq!(flags, ["onlink"]);
}

/// A hash-threshold group with a weight, its deletion, and a resilient group
/// before and after losing a member (weights read with `weight_high`, which
/// `NHA_OP_FLAGS` says the kernel filled).
#[test]
fn nexthop_groups_and_resilient_groups() {
    use crate::object::{NexthopGroupMember, ResilientGroup};
    let m = |id, weight| NexthopGroupMember { id, weight };
    let (action, g) = nexthop("group", fixture!("nexthop_new_group"));
    assert_eq!(action, Action::New);
    assert_eq!((g.id, g.family, g.group_type), (10, AF_UNSPEC, Some(0)));
    assert_eq!(g.group, [m(1, 1), m(4, 5)]);
    assert!(g.resilient.is_none() && g.oif.is_none() && g.gateway.is_none());
    let (action, del) = nexthop("del group", fixture!("nexthop_del_group"));
    assert_eq!((action, del), (Action::Del, g));

    let (_, r) = nexthop("resilient", fixture!("nexthop_new_resilient"));
    assert_eq!((r.id, r.group_type), (11, Some(1)));
    assert_eq!(r.group, [m(1, 2), m(2, 1), m(4, 1)]);
    let args = ResilientGroup {
        buckets: 8,
        idle_timer: 6000,
        unbalanced_timer: 3000,
        unbalanced_time: 0,
    };
    assert_eq!(r.resilient, Some(args));
    let (_, shrunk) = nexthop("shrunk", fixture!("nexthop_new_resilient_shrunk"));
    assert_eq!(shrunk.group, [m(2, 1), m(4, 1)]);
    assert_eq!(shrunk.resilient.map(|r| r.buckets), Some(8));
}

/// FDB nexthops (VXLAN): a gateway and no device, and a group of them.
#[test]
fn fdb_nexthops() {
    let (_, f) = nexthop("fdb", fixture!("nexthop_new_fdb"));
    assert_eq!(
        (f.id, f.fdb, f.oif, f.gateway),
        (20, true, None, Some(ip("10.7.0.9")))
    );
    let (_, g) = nexthop("fdb group", fixture!("nexthop_new_fdb_group"));
    assert_eq!(
        (g.id, g.fdb, g.group.len(), g.group[0].id),
        (21, true, 1, 20)
    );
}

/// A weight above 256 is read with its high byte only when `NHA_OP_FLAGS`
/// says so (older kernels left the byte reserved); a group attribute that is
/// not whole entries, an encapsulation and a missing id.
#[test]
fn nexthop_weights_encap_and_bad_attributes() {
    fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 4) as u16).to_ne_bytes().to_vec();
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(payload);
        v.resize(crate::wire::align(v.len()), 0);
        v
    }
    fn msg(family: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
        let mut b = vec![0u8; 16];
        b[4..6].copy_from_slice(&RTM_NEWNEXTHOP.to_ne_bytes());
        b.extend_from_slice(&[family, 0, 0, 0, 0, 0, 0, 0]);
        for a in attrs {
            b.extend_from_slice(a);
        }
        let len = b.len() as u32;
        b[..4].copy_from_slice(&len.to_ne_bytes());
        b
    }
    let decode = |b: &[u8]| {
        let mut skipped = 0;
        let r = Object::decode_counted(&NlMsg::new_checked(b).unwrap(), &mut skipped);
        (r, skipped)
    };
    // Member 7 with weight 300: low byte 299 & 0xff = 43, high byte 1.
    let grp = attr(NHA_GROUP, &[7, 0, 0, 0, 43, 1, 0, 0]);
    let id = attr(NHA_ID, &9u32.to_ne_bytes());
    let flags = attr(NHA_OP_FLAGS, &NHA_OP_FLAG_RESP_GRP_RESVD_0.to_ne_bytes());
    for (with_flags, weight) in [(true, 300), (false, 44)] {
        let mut attrs = vec![id.clone(), grp.clone()];
        if with_flags {
            attrs.push(flags.clone());
        }
        let (r, skipped) = decode(&msg(0, &attrs));
        let Some((_, Object::Nexthop(n))) = r.unwrap() else {
            panic!()
        };
        assert_eq!((n.group[0].id, n.group[0].weight, skipped), (7, weight, 0));
    }
    // A group of 6 bytes is skipped and counted; the object stays.
    let (r, skipped) = decode(&msg(0, &[id.clone(), attr(NHA_GROUP, &[7, 0, 0, 0, 0, 0])]));
    let Some((_, Object::Nexthop(n))) = r.unwrap() else {
        panic!()
    };
    assert_eq!((n.id, n.group.len(), skipped), (9, 0, 1));
    // No id: an error (the state view is keyed by it).
    assert!(decode(&msg(0, std::slice::from_ref(&grp))).0.is_err());
    // An MPLS encapsulation arriving before its type; an IP one with a key.
    let mut mpls = attr(MPLS_IPTUNNEL_DST, &(100u32 << 12 | 1 << 8).to_be_bytes());
    mpls.extend(attr(MPLS_IPTUNNEL_TTL, &[5]));
    let (r, skipped) = decode(&msg(
        AF_INET,
        &[
            id.clone(),
            attr(NHA_ENCAP | NLA_F_NESTED, &mpls),
            attr(NHA_ENCAP_TYPE, &LWTUNNEL_ENCAP_MPLS.to_ne_bytes()),
        ],
    ));
    let Some((_, Object::Nexthop(n))) = r.unwrap() else {
        panic!()
    };
    let e = n.encap.clone().unwrap();
    assert_eq!(
        (e.labels.len(), e.labels[0].label, e.ttl, skipped),
        (1, 100, Some(5), 0)
    );
    assert_eq!(e.to_string(), "mpls 100 ttl 5");
    let mut ipt = attr(LWTUNNEL_IP_ID, &5u64.to_be_bytes());
    ipt.extend(attr(LWTUNNEL_IP_DST, &[10, 0, 0, 7]));
    ipt.extend(attr(LWTUNNEL_IP_TTL, &[0]));
    let (r, _) = decode(&msg(
        AF_INET,
        &[
            id,
            attr(NHA_ENCAP_TYPE, &LWTUNNEL_ENCAP_IP.to_ne_bytes()),
            attr(NHA_ENCAP, &ipt),
        ],
    ));
    let Some((_, Object::Nexthop(n))) = r.unwrap() else {
        panic!()
    };
    assert_eq!(n.encap.unwrap().to_string(), "ip id 5 dst 10.0.0.7 ttl 0");
}

/// A fixture decoded, by name: for the output tests, which may not read bytes.
/// Every object of every message in `bytes` (a fixture), each with the
/// attributes skipped in its message, or the error its message decoded to:
/// for the recorded lines of every fixture (`output/golden`).
pub(crate) fn objects_of(bytes: &[u8]) -> Vec<Result<(Action, Object, u32), String>> {
    let mut all = Vec::new();
    for msg in Messages::new(bytes) {
        let msg = match msg {
            Ok(msg) => msg,
            Err(e) => {
                all.push(Err(e.to_string()));
                break;
            }
        };
        let mut skipped = 0;
        let mut objects = Vec::new();
        match Object::decode_each(&msg, &mut skipped, |a, o| objects.push((a, o))) {
            Ok(_) => all.extend(objects.into_iter().map(|(a, o)| Ok((a, o, skipped)))),
            Err(e) => all.push(Err(e.to_string())),
        }
    }
    all
}

pub(crate) fn decoded(name: &str) -> (Action, Object) {
    let (_, bytes) = FIXTURES
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a fixture");
    decode(bytes)
}
