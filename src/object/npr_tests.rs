//! netlink-packet-route's own test vectors as a second fixture set: the messages
//! of its `src/{link,address,route,neighbour}/tests/*.rs` (most captured from a
//! kernel with nlmon; their payloads, without the `nlmsghdr`, are in
//! `src/wire/fixtures/npr/`, see its README), each decoded by nlwatch and
//! compared field by field with the values netlink-packet-route's test expects
//! (its `expected` message, translated into nlwatch's fields: a field its
//! message lacks is `-` here).
//!
//! Where nlwatch legitimately differs from netlink-packet-route, the entry says
//! so in a comment and holds nlwatch's value.

use super::family_tests::with_header;
use super::{MplsLabel, Object};
use crate::wire::consts::*;
use crate::wire::NlMsg;
use std::fmt::Display;

/// `-` for an absent value (names as they print: the same text for ASCII).
fn o<T: Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// `[a,b]`.
fn list<T>(v: &[T], each: impl Fn(&T) -> String) -> String {
    format!("[{}]", v.iter().map(each).collect::<Vec<_>>().join(","))
}

fn label(l: &MplsLabel) -> String {
    format!("{}:{}:{}:{}", l.label, l.tc, l.bos, l.ttl)
}

/// nlwatch's fields of `object`, as `name=value` words in the table's order.
fn fields(object: &Object) -> String {
    match object {
        Object::Link(l) => format!(
            "family={} ifindex={} link_type={} flags={:#x} change={:#x} ifname={} mtu={} \
             operstate={} address={} broadcast={} master={} link={} link_netnsid={} kind={} \
             slave_kind={} txqlen={} alt_names={}",
            l.family,
            l.ifindex,
            l.link_type,
            l.flags,
            l.change,
            o(l.ifname.as_ref()),
            o(l.mtu),
            o(l.operstate),
            o(l.address),
            o(l.broadcast),
            o(l.master),
            o(l.link),
            o(l.link_netnsid),
            o(l.kind.as_ref()),
            o(l.slave_kind.as_ref()),
            o(l.txqlen),
            list(&l.alt_names, |n| n.to_string()),
        ),
        Object::Address(a) => format!(
            "family={} prefix_len={} flags={:#x} scope={} ifindex={} local={} address={} \
             broadcast={} label={} valid_lft={} preferred_lft={}",
            a.family,
            a.prefix_len,
            a.flags,
            a.scope,
            a.ifindex,
            o(a.local),
            o(a.address),
            o(a.broadcast),
            o(a.label.as_ref()),
            o(a.valid_lft),
            o(a.preferred_lft),
        ),
        Object::Route(r) => format!(
            "family={} dst={} dst_labels={} dst_len={} src={} src_len={} gateway={} via={} newdst={} \
             prefsrc={} oif={} iif={} table={} protocol={} scope={} route_type={} tos={} \
             flags={:#x} priority={} mtu={} pref={} nh_id={} nexthops={}",
            r.family,
            o(r.dst),
            list(&r.dst_labels, label),
            r.dst_len,
            o(r.src),
            r.src_len,
            o(r.gateway),
            o(r.via),
            list(&r.newdst, label),
            o(r.prefsrc),
            o(r.oif),
            o(r.iif),
            r.table,
            r.protocol,
            r.scope,
            r.route_type,
            r.tos,
            r.flags,
            o(r.priority),
            o(r.mtu()),
            o(r.pref),
            o(r.nh_id),
            list(&r.nexthops, |h| format!(
                "{}/{}/{}/{}/{:#x}",
                h.ifindex,
                o(h.gateway),
                o(h.via),
                h.weight,
                h.flags
            )),
        ),
        Object::Neighbour(n) => format!(
            "family={} ifindex={} dst={} lladdr={} state={:#x} flags={:#x} neigh_type={} master={}",
            n.family,
            n.ifindex,
            o(n.dst),
            o(n.lladdr),
            n.state,
            n.flags,
            n.neigh_type,
            o(n.master),
        ),
        Object::Fdb(e) => format!(
            "ifindex={} mac={} dst={} vlan={} state={:#x} flags={:#x} master={}",
            e.ifindex,
            o(e.mac),
            o(e.dst),
            e.vlan,
            e.state,
            e.flags,
            o(e.master),
        ),
        // netlink-packet-route's vectors hold no nexthop, netconf, MDB, rule or nsid message.
        other => format!("{other:?}"),
    }
}

#[test]
fn netlink_packet_route_vectors_decode_field_by_field() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/wire/fixtures/npr");
    let mut wrong = Vec::new();
    for (name, kind, want) in VECTORS {
        let payload = std::fs::read(format!("{dir}/{name}.bin")).expect(name);
        let bytes = with_header(*kind, &payload);
        let msg = NlMsg::new_checked(&bytes).unwrap();
        let mut skipped = 0;
        let got = match Object::decode_counted(&msg, &mut skipped) {
            Ok(Some((_, object))) => fields(&object),
            other => {
                wrong.push(format!("{name}: does not decode: {other:?}"));
                continue;
            }
        };
        if skipped != 0 {
            wrong.push(format!("{name}: {skipped} attributes skipped"));
        }
        let got: Vec<_> = got.split(' ').collect();
        let want: Vec<_> = want.split(' ').collect();
        assert_eq!(got.len(), want.len(), "{name}: the table's fields");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                g.split('=').next(),
                w.split('=').next(),
                "{name}: field order"
            );
            if g != w {
                wrong.push(format!("{name}: nlwatch {g}, netlink-packet-route {w}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let files = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "bin")
        })
        .count();
    assert_eq!(
        (VECTORS.len(), files),
        (110, 110),
        "a fixture without a table entry"
    );
}

/// (fixture in `src/wire/fixtures/npr/`, message type of the header it is given,
/// the fields netlink-packet-route's test expects, as nlwatch names them).
#[rustfmt::skip]
const VECTORS: &[(&str, u16, &str)] = &[
    // src/link/tests/afspec.rs `test_empty_af_spec`
    (
        "link_afspec_empty_af_spec",
        RTM_NEWLINK,
        "family=0 ifindex=4 link_type=1 flags=0x1002 change=0xffffffff ifname=- mtu=1500 \
         operstate=2 address=- broadcast=ff:ff:ff:ff:ff:ff master=- link=- link_netnsid=- kind=- \
         slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/afspec.rs `test_af_spec_mctp_net`
    (
        "link_afspec_af_spec_mctp_net",
        RTM_NEWLINK,
        "family=0 ifindex=1 link_type=290 flags=0x10081 change=0x0 ifname=mc0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=- slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/afspec.rs `test_af_spec_mctp_binding`
    (
        "link_afspec_af_spec_mctp_binding",
        RTM_NEWLINK,
        "family=0 ifindex=1 link_type=290 flags=0x10081 change=0x0 ifname=mc0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=- slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/amt.rs `test_parsing_link_amt_gateway`
    (
        "link_amt_parsing_link_amt_gateway",
        RTM_NEWLINK,
        "family=0 ifindex=4 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=amt slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/amt.rs `test_parsing_link_amt_relay`
    (
        "link_amt_parsing_link_amt_relay",
        RTM_NEWLINK,
        "family=0 ifindex=5 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=amt slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/amt.rs `test_parsing_link_amt_minimal`
    (
        "link_amt_parsing_link_amt_minimal",
        RTM_NEWLINK,
        "family=0 ifindex=7 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=amt slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/bareudp.rs `test_parsing_link_bareudp_basic`
    (
        "link_bareudp_parsing_link_bareudp_basic",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=bareudp0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=bareudp slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/batadv.rs `test_parsing_link_batadv_with_ra`
    (
        "link_batadv_parsing_link_batadv_with_ra",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=bat0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=batadv slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/bond.rs `test_bond_link_info`
    (
        "link_bond_bond_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=24 link_type=1 flags=0x11443 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=bond slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/bond.rs `test_bond_port_link_info`
    (
        "link_bond_bond_port_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=21 link_type=1 flags=0x11843 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=veth slave_kind=bond txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/bond.rs `test_parsing_link_bond_port_ad`
    (
        "link_bond_parsing_link_bond_port_ad",
        RTM_NEWLINK,
        "family=0 ifindex=26 link_type=1 flags=0x108c3 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=dummy slave_kind=bond txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/bond.rs `test_bond_arp_validate`
    (
        "link_bond_bond_arp_validate",
        RTM_NEWLINK,
        "family=0 ifindex=5 link_type=1 flags=0x1402 change=0x0 ifname=bond0 mtu=1500 operstate=2 \
         address=92:b3:ba:20:d7:a0 broadcast=ff:ff:ff:ff:ff:ff master=- link=- link_netnsid=- \
         kind=- slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/bridge.rs `test_parse_link_bridge_no_extention_mask`
    (
        "link_bridge_parse_link_bridge_no_extention_mask",
        RTM_NEWLINK,
        "family=0 ifindex=53 link_type=1 flags=0x11043 change=0x0 ifname=br0 mtu=1500 operstate=6 \
         address=00:23:45:67:89:1c broadcast=ff:ff:ff:ff:ff:ff master=- link=- link_netnsid=- \
         kind=bridge slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/bridge.rs `test_parse_link_bridge_stp_mode`
    (
        "link_bridge_parse_link_bridge_stp_mode",
        RTM_NEWLINK,
        "family=0 ifindex=12 link_type=1 flags=0x1002 change=0x0 ifname=brstp0 mtu=1500 \
         operstate=2 address=66:a6:c4:8e:74:66 broadcast=ff:ff:ff:ff:ff:ff master=- link=- \
         link_netnsid=- kind=bridge slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/bridge.rs `test_parse_link_bridge_port_neigh_forward_grat`
    (
        "link_bridge_parse_link_bridge_port_neigh_forward_grat",
        RTM_NEWLINK,
        "family=7 ifindex=14 link_type=0 flags=0x0 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=- slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/bridge.rs `test_bridge_port_link_info`
    (
        "link_bridge_bridge_port_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=7 link_type=1 flags=0x1002 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=veth slave_kind=bridge \
         txqlen=- alt_names=[]",
    ),
    // src/link/tests/bridge.rs `test_bridge_boolean_options`
    (
        "link_bridge_bridge_boolean_options",
        RTM_NEWLINK,
        "family=0 ifindex=28 link_type=0 flags=0x0 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=bridge slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/bridge.rs `test_bridge_boolean_options_fdb_local_vlan_0`
    (
        "link_bridge_bridge_boolean_options_fdb_local_vlan_0",
        RTM_NEWLINK,
        "family=0 ifindex=28 link_type=0 flags=0x0 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=bridge slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/bridge.rs `test_bridge_netns_immutable`
    (
        "link_bridge_bridge_netns_immutable",
        RTM_NEWLINK,
        "family=0 ifindex=4 link_type=1 flags=0x11043 change=0x0 ifname=virbr0 mtu=1500 \
         operstate=6 address=52:54:00:b0:52:d1 broadcast=ff:ff:ff:ff:ff:ff master=- link=- \
         link_netnsid=- kind=bridge slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/can.rs `test_parsing_link_can_add`
    (
        "link_can_parsing_link_can_add",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=can0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=can slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/geneve.rs `test_geneve_link_info`
    (
        "link_geneve_geneve_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=27072 link_type=65534 flags=0x90 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=geneve slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/geneve.rs `test_geneve_link_local`
    (
        "link_geneve_geneve_link_local",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=geneve4 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=geneve slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/geneve.rs `test_geneve_link_local6`
    (
        "link_geneve_geneve_link_local6",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=geneve6 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=geneve slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gre6_external`
    (
        "link_gre_create_gre6_external",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6gre slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gre6tap_external`
    (
        "link_gre_create_gre6tap_external",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6gretap slave_kind=- \
         txqlen=- alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gre6`
    (
        "link_gre_create_gre6",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6gre slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gre6_with_link`
    (
        "link_gre_create_gre6_with_link",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6gre slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gre6tap`
    (
        "link_gre_create_gre6tap",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6gretap slave_kind=- \
         txqlen=- alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gre_external`
    (
        "link_gre_create_gre_external",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=gre slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gretap_external`
    (
        "link_gre_create_gretap_external",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=gretap slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gre`
    (
        "link_gre_create_gre",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=gre slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gre_with_link`
    (
        "link_gre_create_gre_with_link",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=bar mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=gre slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_gretap`
    (
        "link_gre_create_gretap",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=gretap slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_erspan_v1`
    (
        "link_gre_create_erspan_v1",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=erspan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_erspan_v2`
    (
        "link_gre_create_erspan_v2",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=erspan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_ip6erspan_v1`
    (
        "link_gre_create_ip6erspan_v1",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6erspan slave_kind=- \
         txqlen=- alt_names=[]",
    ),
    // src/link/tests/gre.rs `test_create_ip6erspan_v2`
    (
        "link_gre_create_ip6erspan_v2",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=foo mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6erspan slave_kind=- \
         txqlen=- alt_names=[]",
    ),
    // src/link/tests/gtp.rs `test_parsing_link_gtp`
    (
        "link_gtp_parsing_link_gtp",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=gtp0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=gtp slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/hsr.rs `test_parsing_link_hsr`
    (
        "link_hsr_parsing_link_hsr",
        RTM_NEWLINK,
        "family=0 ifindex=45 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=hsr slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/hsr.rs `test_parsing_interlink_hsr`
    (
        "link_hsr_parsing_interlink_hsr",
        RTM_NEWLINK,
        "family=0 ifindex=45 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=hsr slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/ipoib.rs `test_create_ipoib_with_pkey_and_mode`
    (
        "link_ipoib_create_ipoib_with_pkey_and_mode",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=veth1.8001 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ipoib slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/iptunnel.rs `test_iptunnel_ipip_link_info`
    (
        "link_iptunnel_iptunnel_ipip_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=6 link_type=768 flags=0x90 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ipip slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/iptunnel.rs `test_iptunnel_ipip6_link_info`
    (
        "link_iptunnel_iptunnel_ipip6_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=6 link_type=769 flags=0x90 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6tnl slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/iptunnel.rs `test_iptunnel_ip6ip6_link_info`
    (
        "link_iptunnel_iptunnel_ip6ip6_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=6 link_type=769 flags=0x90 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ip6tnl slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/iptunnel.rs `test_iptunnel_sit_link_info`
    (
        "link_iptunnel_iptunnel_sit_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=7 link_type=768 flags=0x90 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=sit slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/ipvlan.rs `test_ipvlan_link_info`
    (
        "link_ipvlan_ipvlan_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=18 link_type=1 flags=0x1002 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ipvlan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/ipvlan.rs `test_ipvlan_bridge_link_info`
    (
        "link_ipvlan_ipvlan_bridge_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=18 link_type=1 flags=0x1002 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ipvlan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/ipvtap.rs `test_ipvtap_link_info`
    (
        "link_ipvtap_ipvtap_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=18 link_type=1 flags=0x1002 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=ipvtap slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/macsec.rs `test_macsec_link_info`
    (
        "link_macsec_macsec_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=9 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=macsec slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/macvlan.rs `test_macvlan_link_info`
    (
        "link_macvlan_macvlan_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=23 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=macvlan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/macvlan.rs `test_macvlan_modify_mac_addr_mode`
    (
        "link_macvlan_macvlan_modify_mac_addr_mode",
        RTM_NEWLINK,
        "family=0 ifindex=219 link_type=0 flags=0x0 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=macvlan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/macvtap.rs `test_macvtap_link_info`
    (
        "link_macvtap_macvtap_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=12 link_type=1 flags=0x1002 change=0x0 ifname=mtap0 mtu=1500 \
         operstate=2 address=92:41:ed:4c:60:97 broadcast=ff:ff:ff:ff:ff:ff master=- link=3 \
         link_netnsid=- kind=macvtap slave_kind=- txqlen=500 alt_names=[]",
    ),
    // src/link/tests/macvtap.rs `test_macvtap_modify_mac_addr_mode`
    (
        "link_macvtap_macvtap_modify_mac_addr_mode",
        RTM_NEWLINK,
        "family=0 ifindex=224 link_type=0 flags=0x0 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=macvtap slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/netdevsim.rs `test_show_netdevsim`
    (
        "link_netdevsim_show_netdevsim",
        RTM_NEWLINK,
        "family=0 ifindex=4 link_type=1 flags=0x2 change=0x0 ifname=sim0 mtu=1500 operstate=2 \
         address=00:23:45:67:89:20 broadcast=ff:ff:ff:ff:ff:ff master=- link=- link_netnsid=- \
         kind=- slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/netkit.rs `test_create_netkit`
    (
        "link_netkit_create_netkit",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=nktest0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=netkit slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/pfcp.rs `test_parsing_link_pfcp`
    (
        "link_pfcp_parsing_link_pfcp",
        RTM_NEWLINK,
        "family=0 ifindex=16 link_type=65534 flags=0x1090 change=0x0 ifname=pfcp0 mtu=- \
         operstate=- address=- broadcast=- master=- link=- link_netnsid=- kind=pfcp slave_kind=- \
         txqlen=- alt_names=[]",
    ),
    // src/link/tests/prop_list.rs `test_wlan0_with_prop_altname`
    (
        "link_prop_list_wlan0_with_prop_altname",
        RTM_NEWLINK,
        "family=0 ifindex=2 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=- slave_kind=- txqlen=- \
         alt_names=[wlp0s20f3,wifi]",
    ),
    // src/link/tests/rmnet.rs `test_parsing_link_rmnet`
    (
        "link_rmnet_parsing_link_rmnet",
        RTM_NEWLINK,
        "family=0 ifindex=13 link_type=519 flags=0x0 change=0x0 ifname=rm0 mtu=1496 operstate=2 \
         address=- broadcast=- master=- link=10 link_netnsid=- kind=rmnet slave_kind=- \
         txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/statistics.rs `test_parsing_link_statistics_on_kernel_4_18`
    (
        "link_statistics_parsing_link_statistics_on_kernel_4_18",
        RTM_NEWLINK,
        "family=0 ifindex=2 link_type=1 flags=0x11043 change=0x0 ifname=ens3 mtu=1500 operstate=6 \
         address=52:54:00:f3:c5:cf broadcast=ff:ff:ff:ff:ff:ff master=- link=- link_netnsid=- \
         kind=- slave_kind=- txqlen=1000 alt_names=[enp0s3]",
    ),
    // src/link/tests/statistics.rs `test_parsing_link_statistics`
    (
        "link_statistics_parsing_link_statistics",
        RTM_NEWLINK,
        "family=0 ifindex=3 link_type=1 flags=0x11043 change=0x0 ifname=wlan0 mtu=1500 \
         operstate=6 address=10:a5:1d:6f:d2:18 broadcast=ff:ff:ff:ff:ff:ff master=- link=- \
         link_netnsid=- kind=- slave_kind=- txqlen=1000 alt_names=[wlp0s20f3]",
    ),
    // src/link/tests/vcan.rs `test_show_vcan`
    (
        "link_vcan_show_vcan",
        RTM_NEWLINK,
        "family=0 ifindex=7 link_type=280 flags=0x80 change=0x0 ifname=vcan1 mtu=2060 operstate=2 \
         address=- broadcast=- master=- link=- link_netnsid=- kind=vcan slave_kind=- txqlen=1000 \
         alt_names=[]",
    ),
    // src/link/tests/veth.rs `test_veth_get_link_info`
    (
        "link_veth_veth_get_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=25 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=veth slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/veth.rs `test_crate_veth`
    (
        "link_veth_crate_veth",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=veth1 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=veth slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/vlan.rs `test_parsing_link_vlan`
    (
        "link_vlan_parsing_link_vlan",
        RTM_NEWLINK,
        "family=0 ifindex=34 link_type=1 flags=0x11043 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=vlan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/vrf.rs `test_parsing_link_vrf`
    (
        "link_vrf_parsing_link_vrf",
        RTM_NEWLINK,
        "family=0 ifindex=34 link_type=1 flags=0x104c1 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=vrf slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/vrf.rs `test_link_info_with_ifla_vrf_port_table`
    (
        "link_vrf_link_info_with_ifla_vrf_port_table",
        RTM_NEWLINK,
        "family=0 ifindex=35 link_type=1 flags=0x1002 change=0x0 ifname=veth20 mtu=1500 \
         operstate=2 address=82:84:7b:35:68:99 broadcast=ff:ff:ff:ff:ff:ff master=33 link=34 \
         link_netnsid=- kind=veth slave_kind=vrf txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/vti.rs `test_parsing_link_vti`
    // nlwatch differs: IFLA_LINK 0 ("no lower link") is None in nlwatch.
    (
        "link_vti_parsing_link_vti",
        RTM_NEWLINK,
        "family=0 ifindex=18 link_type=768 flags=0x90 change=0x0 ifname=vti0 mtu=1480 operstate=2 \
         address=c0:a8:01:01 broadcast=0a:00:00:01 master=- link=- link_netnsid=- kind=vti \
         slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/vti.rs `test_parsing_link_vti6`
    // nlwatch differs: IFLA_LINK 0 ("no lower link") is None in nlwatch.
    (
        "link_vti_parsing_link_vti6",
        RTM_NEWLINK,
        "family=0 ifindex=20 link_type=769 flags=0x90 change=0x0 ifname=vti60 mtu=1332 \
         operstate=2 address=20:01:0d:b8:00:00:00:00:00:00:00:00:00:00:00:02 \
         broadcast=20:01:0d:b8:00:00:00:00:00:00:00:00:00:00:00:01 master=- link=- link_netnsid=- \
         kind=vti6 slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/vxcan.rs `test_vxcan_get_link_info`
    (
        "link_vxcan_vxcan_get_link_info",
        RTM_NEWLINK,
        "family=0 ifindex=25 link_type=280 flags=0x100c1 change=0x0 ifname=vxcan0 mtu=72 \
         operstate=6 address=- broadcast=- master=- link=- link_netnsid=- kind=vxcan slave_kind=- \
         txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/vxcan.rs `test_create_vxcan`
    (
        "link_vxcan_create_vxcan",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=vxcan0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=vxcan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/vxlan.rs `test_parsing_link_vxlan`
    (
        "link_vxlan_parsing_link_vxlan",
        RTM_NEWLINK,
        "family=0 ifindex=23 link_type=1 flags=0x11043 change=0x0 ifname=vxlan0 mtu=1450 \
         operstate=0 address=00:23:45:67:89:1c broadcast=ff:ff:ff:ff:ff:ff master=- link=- \
         link_netnsid=- kind=vxlan slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/vxlan.rs `test_parsing_link_vxlan_ipv6`
    (
        "link_vxlan_parsing_link_vxlan_ipv6",
        RTM_NEWLINK,
        "family=0 ifindex=27070 link_type=1 flags=0x1002 change=0x0 ifname=vxlan1 mtu=1430 \
         operstate=2 address=00:01:02:03:04:05 broadcast=ff:ff:ff:ff:ff:ff master=- link=- \
         link_netnsid=- kind=vxlan slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/vxlan.rs `test_create_vxlan_with_mcroute`
    (
        "link_vxlan_create_vxlan_with_mcroute",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=vxlan0 mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=vxlan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/wireguard.rs `test_parsing_link_wireguard`
    (
        "link_wireguard_parsing_link_wireguard",
        RTM_NEWLINK,
        "family=0 ifindex=3 link_type=65534 flags=0x100d1 change=0x0 ifname=cn mtu=1280 \
         operstate=0 address=- broadcast=- master=- link=- link_netnsid=- kind=wireguard \
         slave_kind=- txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/wwan.rs `test_parsing_link_wwan_show`
    (
        "link_wwan_parsing_link_wwan_show",
        RTM_NEWLINK,
        "family=0 ifindex=14 link_type=65534 flags=0x90 change=0x0 ifname=wwan1 mtu=1500 \
         operstate=2 address=- broadcast=- master=- link=- link_netnsid=- kind=wwan slave_kind=- \
         txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/wwan.rs `test_parsing_link_wwan_add`
    (
        "link_wwan_parsing_link_wwan_add",
        RTM_NEWLINK,
        "family=0 ifindex=0 link_type=0 flags=0x0 change=0x0 ifname=wwan0p mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=wwan slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/xfrm.rs `test_parsing_link_xfrm`
    (
        "link_xfrm_parsing_link_xfrm",
        RTM_NEWLINK,
        "family=0 ifindex=40 link_type=65534 flags=0x100c1 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=xfrm slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/link/tests/message.rs: `LINK_MSG`, read attribute by attribute in
    // `link_message_packet_header_read` and `link_mssage_packet_attributes_read`
    // (IFLA_NUM_RX_QUEUES and IFLA_GSO_MAX_SEGS, not asserted there, are not
    // nlwatch fields either).
    (
        "link_message_link_msg",
        RTM_NEWLINK,
        "family=0 ifindex=1 link_type=772 flags=0x10049 change=0x0 ifname=lo mtu=65536 \
         operstate=0 address=- broadcast=- master=- link=- link_netnsid=- kind=- slave_kind=- \
         txqlen=1000 alt_names=[]",
    ),
    // src/link/tests/message.rs `link_type_mctp`: a header alone (index and flags
    // as its comments give them; the test asserts family and type).
    (
        "link_message_link_type_mctp",
        RTM_NEWLINK,
        "family=0 ifindex=1 link_type=290 flags=0x10041 change=0x0 ifname=- mtu=- operstate=- \
         address=- broadcast=- master=- link=- link_netnsid=- kind=- slave_kind=- txqlen=- \
         alt_names=[]",
    ),
    // src/address/tests/ipv4.rs `test_ipv4_get_loopback_address`
    (
        "address_ipv4_ipv4_get_loopback_address",
        RTM_NEWADDR,
        "family=2 prefix_len=8 flags=0x80 scope=254 ifindex=1 local=127.0.0.1 address=127.0.0.1 \
         broadcast=- label=lo valid_lft=4294967295 preferred_lft=4294967295",
    ),
    // src/address/tests/ipv6.rs `test_get_loopback_ipv6_addr`
    (
        "address_ipv6_get_loopback_ipv6_addr",
        RTM_NEWADDR,
        "family=10 prefix_len=128 flags=0x280 scope=254 ifindex=1 local=- address=::1 broadcast=- \
         label=- valid_lft=4294967295 preferred_lft=4294967295",
    ),
    // src/address/tests/ipv6.rs `test_get_ipv6_address_ra_protocol`
    (
        "address_ipv6_get_ipv6_address_ra_protocol",
        RTM_NEWADDR,
        "family=10 prefix_len=64 flags=0x100 scope=0 ifindex=271 local=- \
         address=2001:db8:a:0:b402:dfff:fe56:c3ce broadcast=- label=- valid_lft=1795 \
         preferred_lft=1795",
    ),
    // src/route/tests/cache_info.rs `test_ipv6_route_cache_info`
    (
        "route_cache_info_ipv6_route_cache_info",
        RTM_NEWROUTE,
        "family=10 dst=- dst_labels=[] dst_len=0 src=- src_len=0 \
         gateway=fe80::d638:9cff:fe01:e852 via=- newdst=[] prefsrc=- oif=2 iif=- table=254 \
         protocol=9 scope=0 route_type=1 tos=0 flags=0x0 priority=1024 mtu=1432 pref=1 nh_id=- \
         nexthops=[]",
    ),
    // src/route/tests/expires.rs `test_ipv6_route_expires`
    (
        "route_expires_ipv6_route_expires",
        RTM_NEWROUTE,
        "family=10 dst=2001:db8:1:: dst_labels=[] dst_len=64 src=- src_len=0 gateway=- via=- \
         newdst=[] prefsrc=- oif=2 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 \
         flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/ip6_tunnel.rs `test_ip6_tunnel`
    (
        "route_ip6_tunnel_ip6_tunnel",
        RTM_NEWROUTE,
        "family=2 dst=192.0.2.0 dst_labels=[] dst_len=24 src=- src_len=0 gateway=- via=- \
         newdst=[] prefsrc=- oif=8 iif=- table=254 protocol=3 scope=253 route_type=1 tos=0 \
         flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/loopback.rs `test_ipv4_route_loopback`
    (
        "route_loopback_ipv4_route_loopback",
        RTM_NEWROUTE,
        "family=2 dst=127.0.0.0 dst_labels=[] dst_len=8 src=- src_len=0 gateway=- via=- newdst=[] \
         prefsrc=127.0.0.1 oif=1 iif=- table=255 protocol=2 scope=254 route_type=2 tos=0 \
         flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/loopback.rs `test_ipv4_route_loopback_broadcast`
    (
        "route_loopback_ipv4_route_loopback_broadcast",
        RTM_NEWROUTE,
        "family=2 dst=127.255.255.255 dst_labels=[] dst_len=32 src=- src_len=0 gateway=- via=- \
         newdst=[] prefsrc=127.0.0.1 oif=1 iif=- table=255 protocol=2 scope=253 route_type=3 \
         tos=0 flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/loopback.rs `test_ipv6_route_loopback`
    (
        "route_loopback_ipv6_route_loopback",
        RTM_NEWROUTE,
        "family=10 dst=::1 dst_labels=[] dst_len=128 src=- src_len=0 gateway=- via=- newdst=[] \
         prefsrc=- oif=1 iif=- table=255 protocol=2 scope=0 route_type=2 tos=0 flags=0x0 \
         priority=0 mtu=- pref=0 nh_id=- nexthops=[]",
    ),
    // src/route/tests/metrics.rs `test_route_metrics_mtu_window_rtt_hoplimit`
    (
        "route_metrics_route_metrics_mtu_window_rtt_hoplimit",
        RTM_NEWROUTE,
        "family=2 dst=10.103.0.0 dst_labels=[] dst_len=16 src=- src_len=0 gateway=10.0.0.254 \
         via=- newdst=[] prefsrc=- oif=17 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 \
         flags=0x0 priority=- mtu=1500 pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/metrics.rs `test_route_metrics_advmss_ssthresh_cwnd_initcwnd_initrwnd`
    (
        "route_metrics_route_metrics_advmss_ssthresh_cwnd_initcwnd_initrwnd",
        RTM_NEWROUTE,
        "family=2 dst=10.106.0.0 dst_labels=[] dst_len=16 src=- src_len=0 gateway=10.0.0.254 \
         via=- newdst=[] prefsrc=- oif=17 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 \
         flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/metrics.rs `test_route_metrics_reordering_rto_min_quickack_fastopen`
    (
        "route_metrics_route_metrics_reordering_rto_min_quickack_fastopen",
        RTM_NEWROUTE,
        "family=2 dst=10.107.0.0 dst_labels=[] dst_len=16 src=- src_len=0 gateway=10.0.0.254 \
         via=- newdst=[] prefsrc=- oif=17 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 \
         flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/metrics.rs `test_route_metrics_features_ecn`
    (
        "route_metrics_route_metrics_features_ecn",
        RTM_NEWROUTE,
        "family=2 dst=10.108.0.0 dst_labels=[] dst_len=16 src=- src_len=0 gateway=10.0.0.254 \
         via=- newdst=[] prefsrc=- oif=17 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 \
         flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/mpls.rs `test_mpls_route_to_ipv4`
    (
        "route_mpls_mpls_route_to_ipv4",
        RTM_NEWROUTE,
        "family=2 dst=198.51.100.1 dst_labels=[] dst_len=32 src=- src_len=0 gateway=192.0.2.1 \
         via=- newdst=[] prefsrc=- oif=10 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 \
         flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/mpls.rs `test_ipv6_to_mpls_route`
    (
        "route_mpls_ipv6_to_mpls_route",
        RTM_NEWROUTE,
        "family=10 dst=2001:db8:2:: dst_labels=[] dst_len=64 src=- src_len=0 \
         gateway=2001:db8:1::2 via=- newdst=[] prefsrc=- oif=7 iif=- table=254 protocol=3 scope=0 \
         route_type=1 tos=0 flags=0x0 priority=1024 mtu=- pref=0 nh_id=- nexthops=[]",
    ),
    // src/route/tests/mpls.rs `test_mpls_route_to_ipv6`
    (
        "route_mpls_mpls_route_to_ipv6",
        RTM_NEWROUTE,
        "family=28 dst=- dst_labels=[300:0:true:0] dst_len=20 src=- src_len=0 gateway=- \
         via=2001:db8:1::2 newdst=[] prefsrc=- oif=7 iif=- table=254 protocol=3 scope=0 \
         route_type=1 tos=0 flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/mpls.rs `test_mpls_route_relable_new_dst`
    (
        "route_mpls_mpls_route_relable_new_dst",
        RTM_NEWROUTE,
        "family=28 dst=- dst_labels=[100:0:true:0] dst_len=20 src=- src_len=0 gateway=- \
         via=2001:db8:1::2 newdst=[200:0:true:0] prefsrc=- oif=9 iif=- table=254 protocol=3 \
         scope=0 route_type=1 tos=0 flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/mpls.rs `test_mpls_ttl_propagate`
    (
        "route_mpls_mpls_ttl_propagate",
        RTM_NEWROUTE,
        "family=28 dst=- dst_labels=[100:0:true:0] dst_len=20 src=- src_len=0 gateway=- \
         via=2001:db8:1::2 newdst=[200:0:true:0] prefsrc=- oif=8 iif=- table=254 protocol=3 \
         scope=0 route_type=1 tos=0 flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/multipath.rs `test_route_multipath_two_nexthops`
    (
        "route_multipath_route_multipath_two_nexthops",
        RTM_NEWROUTE,
        "family=2 dst=10.109.0.0 dst_labels=[] dst_len=16 src=- src_len=0 gateway=- via=- \
         newdst=[] prefsrc=- oif=- iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 \
         flags=0x0 priority=- mtu=- pref=- nh_id=- \
         nexthops=[17/10.0.0.254/-/1/0x0,17/10.0.0.253/-/2/0x0]",
    ),
    // src/route/tests/realm.rs `test_ipv4_route_realm`
    (
        "route_realm_ipv4_route_realm",
        RTM_NEWROUTE,
        "family=2 dst=192.0.2.1 dst_labels=[] dst_len=32 src=- src_len=0 gateway=- via=- \
         newdst=[] prefsrc=172.17.2.12 oif=1 iif=- table=254 protocol=0 scope=0 route_type=1 \
         tos=0 flags=0x80000200 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/route_flags.rs `test_ipv6_add_route_onlink`
    (
        "route_route_flags_ipv6_add_route_onlink",
        RTM_NEWROUTE,
        "family=10 dst=2001:db8:1:: dst_labels=[] dst_len=64 src=- src_len=0 gateway=- via=- \
         newdst=[] prefsrc=- oif=1 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 \
         flags=0x4 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/seg6.rs `test_encap`
    (
        "route_seg6_encap",
        RTM_NEWROUTE,
        "family=10 dst=fe80:: dst_labels=[] dst_len=32 src=- src_len=0 gateway=- via=- newdst=[] \
         prefsrc=- oif=2 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 flags=0x0 \
         priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/seg6.rs `test_inline`
    (
        "route_seg6_inline",
        RTM_NEWROUTE,
        "family=10 dst=fe80:: dst_labels=[] dst_len=32 src=- src_len=0 gateway=- via=- newdst=[] \
         prefsrc=- oif=2 iif=- table=254 protocol=3 scope=0 route_type=1 tos=0 flags=0x0 \
         priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/uid.rs `test_ipv4_route_uid`
    (
        "route_uid_ipv4_route_uid",
        RTM_NEWROUTE,
        "family=2 dst=127.0.0.1 dst_labels=[] dst_len=32 src=- src_len=0 gateway=- via=- \
         newdst=[] prefsrc=127.0.0.1 oif=1 iif=- table=254 protocol=0 scope=0 route_type=2 tos=0 \
         flags=0x80000200 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/route/tests/via.rs `test_ipv4_route_via`
    (
        "route_via_ipv4_route_via",
        RTM_NEWROUTE,
        "family=2 dst=192.0.2.1 dst_labels=[] dst_len=32 src=- src_len=0 gateway=- \
         via=2001:db8:1:: newdst=[] prefsrc=- oif=1 iif=- table=254 protocol=3 scope=0 \
         route_type=1 tos=0 flags=0x0 priority=- mtu=- pref=- nh_id=- nexthops=[]",
    ),
    // src/neighbour/tests/bridge.rs `test_bridge_neighbour_show`
    (
        "neighbour_bridge_bridge_neighbour_show",
        RTM_NEWNEIGH,
        // An AF_BRIDGE neighbour: the forwarding database's (`fdb`).
        "ifindex=3 mac=01:00:5e:00:00:01 dst=- vlan=0 state=0x80 flags=0x2 master=-",
    ),
    // src/neighbour/tests/ip.rs `test_ipv4_neighbour_show`
    (
        "neighbour_ip_ipv4_neighbour_show",
        RTM_NEWNEIGH,
        "family=2 ifindex=3 dst=172.17.2.1 lladdr=1c:69:7a:07:c3:36 state=0x2 flags=0x0 \
         neigh_type=1 master=-",
    ),
    // src/neighbour/tests/ip.rs `test_ipv6_neighbour_show`
    (
        "neighbour_ip_ipv6_neighbour_show",
        RTM_NEWNEIGH,
        "family=10 ifindex=3 dst=fe80::1e69:7aff:fe07:c336 lladdr=1c:69:7a:07:c3:36 state=0x4 \
         flags=0x80 neigh_type=1 master=-",
    ),
    // src/neighbour/tests/ip.rs `test_ipv4_neighbour_protocol_show`
    (
        "neighbour_ip_ipv4_neighbour_protocol_show",
        RTM_NEWNEIGH,
        "family=2 ifindex=3 dst=172.17.2.99 lladdr=00:11:22:33:44:55 state=0x80 flags=0x0 \
         neigh_type=1 master=-",
    ),
    // src/neighbour/tests/ip.rs `test_ipv4_neighbour_add_ext_flags`
    (
        "neighbour_ip_ipv4_neighbour_add_ext_flags",
        RTM_NEWNEIGH,
        "family=2 ifindex=3 dst=172.17.2.1 lladdr=- state=0x0 flags=0x0 neigh_type=0 master=-",
    ),
    // src/neighbour/tests/ip.rs `test_ipv4_neighbour_show_ext_flags`
    (
        "neighbour_ip_ipv4_neighbour_show_ext_flags",
        RTM_NEWNEIGH,
        "family=2 ifindex=3 dst=172.17.2.1 lladdr=48:21:0b:3c:1f:01 state=0x2 flags=0x0 \
         neigh_type=1 master=-",
    ),
];
