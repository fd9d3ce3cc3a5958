//! Routes: `RTM_NEWROUTE` / `RTM_DELROUTE`, `struct rtmsg`, its `RTA_*` attributes
//! and the next hops of `RTA_MULTIPATH`: IPv4 and IPv6, and the other families
//! the all-family dump returns (`AF_MPLS`, IPv4 and IPv6 multicast routing),
//! every address decoded by its message's family. The owned type, its
//! decoding, its identity in the state view, its dump, its groups, its JSON
//! fields, its text line and the fields filters look at.

use super::compact::Name;
use super::fields::{
    dev_name, k, opt_ip, opt_num, via_family, word_or_num, Fields, IfNames, IpText, Nested,
};
use super::encap::{decode_encap, mpls_stack};
pub use super::encap::{MplsLabel, NexthopEncap};
pub use super::route_metrics::RouteMetrics;
use super::{ip_bits, key, names, walk, AttrError, IpBits, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, MultipathHops, NlMsg, RouteMessage};
use std::fmt;
use std::net::IpAddr;

/// A label stack attribute (`RTA_DST` and `RTA_NEWDST` of `AF_MPLS`).
fn labels(a: &wire::Attr<'_>) -> wire::Result<Vec<MplsLabel>> {
    Ok(a.mpls_entries()?.map(MplsLabel::from_entry).collect())
}

/// One next hop of a multipath route (`struct rtnexthop` in `RTA_MULTIPATH`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RouteHop {
    /// `rtnh_ifindex`.
    pub ifindex: u32,
    /// `RTA_GATEWAY` of this hop.
    pub gateway: Option<IpAddr>,
    /// `RTA_VIA` of this hop: a gateway of its own family (`AF_MPLS` routes,
    /// IPv4 routes through an IPv6 gateway).
    pub via: Option<IpAddr>,
    /// `RTA_NEWDST` of this hop (`AF_MPLS`): the labels it sends with.
    pub newdst: Vec<MplsLabel>,
    /// Weight: `rtnh_hops + 1`, as `ip route` prints it.
    pub weight: u16,
    /// `rtnh_flags`: RTNH_F_*.
    pub flags: u8,
    /// `RTA_ENCAP_TYPE` and `RTA_ENCAP` of this hop: a lightweight tunnel
    /// encapsulation.
    pub encap: Option<Box<NexthopEncap>>,
    /// An IPv6 sibling's own metrics, as its announcement gave them (`None`:
    /// not known, the route's). The kernel keeps metrics per sibling, but a
    /// route's messages carry the first sibling's only; the state view
    /// remembers each so that the route shows the next one's when the first
    /// goes. Not part of the hop's value (a dump cannot tell it).
    pub(crate) own_metrics: Option<Option<Box<RouteMetrics>>>,
}

impl PartialEq for RouteHop {
    fn eq(&self, other: &Self) -> bool {
        // `own_metrics` is left out: see its docs.
        let RouteHop {
            ifindex,
            gateway,
            via,
            newdst,
            weight,
            flags,
            encap,
            own_metrics: _,
        } = self;
        *ifindex == other.ifindex
            && *gateway == other.gateway
            && *via == other.via
            && *newdst == other.newdst
            && *weight == other.weight
            && *flags == other.flags
            && *encap == other.encap
    }
}

impl Eq for RouteHop {}

/// One next hop of a route as its JSON line writes it, with its device's
/// name (which only the printer knows).
struct HopLine<'a> {
    hop: &'a RouteHop,
    family: u8,
    names: &'a dyn IfNames,
}

impl Nested for HopLine<'_> {
    /// As `ip -j route` writes a hop (`print_rta_multipath`), plus its `oif`.
    fn fields(&self, f: &mut dyn Fields) {
        let h = self.hop;
        if let Some(e) = &h.encap {
            f.object(k!("encap"), e.as_ref());
        }
        if !h.newdst.is_empty() {
            f.str(k!("to"), &mpls_stack(&h.newdst));
        }
        // Absent gateways are `null` here (a hop's shape does not change).
        f.ip(k!("gateway"), h.gateway);
        if let Some(via) = h.via {
            f.via(k!("via"), via);
        }
        f.num(k!("oif"), h.ifindex.into());
        if let Some(name) = self.names.name(h.ifindex) {
            f.name(k!("dev"), &name);
        }
        // `ip` gives MPLS hops no weight.
        if self.family != AF_MPLS {
            f.num(k!("weight"), h.weight.into());
        }
        f.words(k!("flags"), &mut names::rt_flags(h.flags.into()));
    }
}

/// A TOS (DS field) value as `ip route` and `ip rule` print it: its
/// `rt_dsfield` name, or `0x%02x`.
pub(crate) fn tos_name(tos: u8) -> std::borrow::Cow<'static, str> {
    match names::dsfield(tos) {
        Some(name) => name.into(),
        None => format!("0x{tos:02x}").into(),
    }
}

/// The lightweight tunnel of a route or hop: `RTA_ENCAP_TYPE` and
/// `RTA_ENCAP` (either may come first). One that does not decode, or has no
/// type, is skipped and counted.
fn encap(
    encap_type: Option<u16>,
    encap: Option<wire::Attr<'_>>,
    skipped: &mut u32,
) -> Option<Box<NexthopEncap>> {
    match encap_type {
        Some(t) => match decode_encap(t, encap) {
            Ok(e) => Some(Box::new(e)),
            Err(_) => {
                *skipped += 1;
                None
            }
        },
        None => {
            if encap.is_some() {
                *skipped += 1;
            }
            None
        }
    }
}

/// A route, from `RTM_NEWROUTE` / `RTM_DELROUTE`: IPv4 or IPv6, or `AF_MPLS`,
/// or IPv4 or IPv6 multicast routing (`RTNL_FAMILY_IPMR`, `RTNL_FAMILY_IP6MR`).
/// Its addresses are decoded by its family; one whose length does not fit the
/// family is left out and counted (see [`Object::decode_counted`](crate::Object::decode_counted)),
/// unless the state view keys the route by it (the destination and source of
/// an IPv4 or IPv6 route), which makes the message an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// `rtm_family`.
    pub family: u8,
    /// `RTA_DST`; `None` for a default route, and for `AF_MPLS` (see
    /// [`Route::dst_labels`]).
    pub dst: Option<IpAddr>,
    /// `RTA_DST` of an `AF_MPLS` route: the incoming label.
    pub dst_labels: Vec<MplsLabel>,
    /// `RTA_NEWDST` (`AF_MPLS`): the labels the route sends with, `ip route`'s
    /// `as to`.
    pub newdst: Vec<MplsLabel>,
    /// `rtm_dst_len`.
    pub dst_len: u8,
    /// `RTA_SRC`: source selector.
    pub src: Option<IpAddr>,
    /// `rtm_src_len`.
    pub src_len: u8,
    /// `RTA_GATEWAY`: a gateway of the route's family.
    pub gateway: Option<IpAddr>,
    /// `RTA_VIA`: a gateway of its own family (`AF_MPLS` routes, IPv4 routes
    /// through an IPv6 gateway), printed as `ip -j` prints it:
    /// `"via":{"family":"inet6","host":"2001:db8::1"}`.
    pub via: Option<IpAddr>,
    /// `RTA_PREFSRC`.
    pub prefsrc: Option<IpAddr>,
    /// `RTA_OIF`: output interface.
    pub oif: Option<u32>,
    /// `RTA_IIF`: input interface.
    pub iif: Option<u32>,
    /// The table id: `RTA_TABLE` when present (ids above 255), else `rtm_table`.
    pub table: u32,
    /// `rtm_protocol`: RTPROT_*.
    pub protocol: u8,
    /// `rtm_scope`: RT_SCOPE_*.
    pub scope: u8,
    /// `rtm_type`: RTN_*.
    pub route_type: u8,
    /// `rtm_tos`.
    pub tos: u8,
    /// `rtm_flags`: RTM_F_* and RTNH_F_* bits.
    pub flags: u32,
    /// `RTA_PRIORITY`: the metric.
    pub priority: Option<u32>,
    /// `RTA_METRICS`: the route's metrics (the MTU is [`Route::mtu`]);
    /// `None` when the kernel sent none.
    pub metrics: Option<Box<RouteMetrics>>,
    /// `RTA_ENCAP_TYPE` and `RTA_ENCAP`: a lightweight tunnel encapsulation.
    pub encap: Option<Box<NexthopEncap>>,
    /// `RTA_PREF`: IPv6 router preference.
    pub pref: Option<u8>,
    /// `RTA_NH_ID`: the nexthop object this route uses.
    pub nh_id: Option<u32>,
    /// `RTA_MULTIPATH` next hops; empty for a single-path route.
    pub nexthops: Vec<RouteHop>,
}

/// `RTA_VIA` payload: `struct rtvia { __kernel_sa_family_t rtvia_family; __u8 rtvia_addr[]; }`,
/// an address of its own family. `Ok(None)` for a family other than IPv4 and
/// IPv6 (`AF_PACKET`: a link-layer address), which is not kept.
fn via(a: &wire::Attr<'_>) -> wire::Result<Option<IpAddr>> {
    let p = a.payload();
    let bad = wire::Error::BadAttribute {
        kind: a.kind(),
        len: p.len(),
    };
    if p.len() < RTVIA_FAMILY_LEN {
        return Err(bad);
    }
    let (fam, addr) = p.split_at(RTVIA_FAMILY_LEN);
    let fam = u16::from_ne_bytes([fam[0], fam[1]]);
    let v4 = <[u8; 4]>::try_from(addr).map(IpAddr::from);
    let v6 = <[u8; 16]>::try_from(addr).map(IpAddr::from);
    match fam {
        f if f == u16::from(AF_INET) => v4.map(Some).map_err(|_| bad),
        f if f == u16::from(AF_INET6) => v6.map(Some).map_err(|_| bad),
        _ => Ok(None),
    }
}

/// The prefix length of a whole address of `family` (a host route's), which
/// `ip route` does not print; `None` for families without addresses.
fn host_len(family: u8) -> Option<u8> {
    match family {
        AF_INET | RTNL_FAMILY_IPMR => Some(32),
        AF_INET6 | RTNL_FAMILY_IP6MR => Some(128),
        AF_MPLS => Some(20),
        _ => None,
    }
}

/// A route's family as the JSON line names it: `names::family`'s names, and
/// `ipmr` / `ip6mr` for the multicast routing families (which only routes have).
pub(crate) fn family_name(family: u8) -> &'static str {
    match family {
        RTNL_FAMILY_IPMR => "ipmr",
        RTNL_FAMILY_IP6MR => "ip6mr",
        f => names::family(f),
    }
}

impl Route {
    /// Decodes a route message (see `Link::from_view` for the error rules), every
    /// address by the message's family.
    #[inline]
    fn from_view(msg: &RouteMessage<'_>, route: &mut Route, skipped: &mut u32) -> wire::Result<()> {
        let family = msg.family();
        // The state view keys IPv4 and IPv6 routes by destination and source: a
        // malformed one fails the message. Other families are not kept, and
        // theirs are skipped like any attribute.
        let kept = family == AF_INET || family == AF_INET6;
        let ident = |r: wire::Result<IpAddr>| if kept { key(r) } else { Ok(r?) };
        route.family = family;
        route.dst_len = msg.dst_len();
        route.src_len = msg.src_len();
        route.table = msg.table() as u32;
        route.protocol = msg.protocol();
        route.scope = msg.scope();
        route.route_type = msg.route_type();
        route.tos = msg.tos();
        route.flags = msg.flags();
        // Read after the walk: either may come first.
        let (mut encap_type, mut encap_attr) = (None, None);
        let mut hop_skipped = 0;
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                RTA_DST if family == AF_MPLS => route.dst_labels = labels(&attr)?,
                RTA_NEWDST if family == AF_MPLS => route.newdst = labels(&attr)?,
                RTA_NEWDST => return Err(AttrError::Skip),
                RTA_DST => route.dst = Some(ident(attr.ip_of(family))?),
                RTA_SRC => route.src = Some(ident(attr.ip_of(family))?),
                RTA_GATEWAY => route.gateway = Some(attr.ip_of(family)?),
                RTA_VIA => route.via = via(&attr)?,
                RTA_PREFSRC => route.prefsrc = Some(attr.ip_of(family)?),
                RTA_OIF => route.oif = Some(key(attr.u32())?),
                RTA_IIF => route.iif = Some(attr.u32()?),
                RTA_TABLE => route.table = key(attr.u32())?,
                RTA_PRIORITY => route.priority = Some(key(attr.u32())?),
                RTA_PREF => route.pref = Some(attr.u8()?),
                RTA_NH_ID => route.nh_id = Some(attr.u32()?),
                RTA_METRICS => route.metrics = Some(Box::new(RouteMetrics::decode(&attr)?)),
                RTA_ENCAP_TYPE => encap_type = Some(attr.u16()?),
                RTA_ENCAP => encap_attr = Some(attr),
                RTA_MULTIPATH => {
                    for hop in MultipathHops::new(attr.payload()) {
                        let hop = hop?;
                        let (mut gateway, mut via_addr) = (None, None);
                        let mut newdst = Vec::new();
                        let (mut hop_encap_type, mut hop_encap) = (None, None);
                        for a in hop.attrs() {
                            let a = a?;
                            match a.kind() {
                                RTA_GATEWAY => gateway = Some(a.ip_of(family)?),
                                RTA_VIA => via_addr = via(&a)?,
                                RTA_NEWDST if family == AF_MPLS => newdst = labels(&a)?,
                                RTA_NEWDST => return Err(AttrError::Skip),
                                RTA_ENCAP_TYPE => hop_encap_type = Some(a.u16()?),
                                RTA_ENCAP => hop_encap = Some(a),
                                _ => {}
                            }
                        }
                        route.nexthops.push(RouteHop {
                            ifindex: hop.ifindex(),
                            gateway,
                            via: via_addr,
                            newdst,
                            weight: hop.hops() as u16 + 1,
                            flags: hop.flags(),
                            encap: encap(hop_encap_type, hop_encap, &mut hop_skipped),
                            own_metrics: None,
                        });
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        *skipped += hop_skipped;
        route.encap = encap(encap_type, encap_attr, skipped);
        Ok(())
    }

    /// `RTAX_MTU` of the route's metrics.
    pub fn mtu(&self) -> Option<u32> {
        self.metrics.as_ref()?.get(RTAX_MTU)
    }

    /// Whether this is an IPv6 route whose next hops the kernel keeps as
    /// siblings of one route (`rt6_qualify_for_ecmp`): through a gateway, not
    /// learnt from a router advertisement, not through a nexthop object.
    /// Their hops come and go one at a time (`ip -6 route append` adds one,
    /// `ip -6 route del ... via` removes one, and a device's deletion its
    /// own), and `ip` shows them as one route, with `nexthops` when there are
    /// several: so the view keeps them as one route, whatever hops it has.
    pub(crate) fn has_ipv6_siblings(&self) -> bool {
        self.family == AF_INET6
            && self.nh_id.is_none()
            && self.protocol != RTPROT_RA
            && (self.gateway.is_some() || self.nexthops.iter().any(|h| h.gateway.is_some()))
    }

    /// The next hops of a route, as hops: its multipath hops, or its one
    /// (output device and gateway, with the route's own next-hop flags).
    pub(crate) fn hops(&self) -> Vec<RouteHop> {
        if !self.nexthops.is_empty() {
            return self.nexthops.clone();
        }
        match self.oif {
            Some(ifindex) => vec![RouteHop {
                ifindex,
                gateway: self.gateway,
                via: self.via,
                newdst: Vec::new(),
                weight: 1,
                flags: self.flags as u8,
                encap: self.encap.clone(),
                own_metrics: None,
            }],
            None => Vec::new(),
        }
    }

    /// This route with `hops` as its next hops: one is written as the
    /// kernel writes a route with one (output device and gateway, its flags
    /// the route's), several as multipath hops.
    pub(crate) fn with_hops(&self, mut hops: Vec<RouteHop>) -> Route {
        let mut route = self.clone();
        const HOP_FLAGS: u32 = 0xff;
        if hops.len() == 1 {
            let hop = hops.remove(0);
            route.oif = Some(hop.ifindex);
            route.gateway = hop.gateway;
            route.via = hop.via;
            route.flags = (route.flags & !HOP_FLAGS) | u32::from(hop.flags);
            route.encap = hop.encap;
            route.nexthops = Vec::new();
        } else {
            route.oif = None;
            route.gateway = None;
            route.via = None;
            route.encap = None;
            route.nexthops = hops;
        }
        route
    }

    /// A digest of what tells IPv4 routes to one prefix (table, TOS, metric)
    /// apart besides their output device, as the kernel tells them apart (a
    /// `fib_alias` by its type, its `fib_info` by protocol, scope, preferred
    /// source, metrics and next hops: `fib_info` comparison in `fib_create_info`):
    /// routes that differ in any of these are two routes, which `ip route
    /// append` makes, and so does the kernel itself while it promotes a
    /// secondary address. What the kernel changes without a message (the
    /// `linkdown` and `dead` flags) is left out. Words mixed by multiplication
    /// (bytes only for the rare text parts): deterministic, and two routes of
    /// one prefix colliding is not a practical concern. (FNV-1a a byte at a
    /// time cost about 250 instructions a route, for every route message and
    /// every route a dump shows.)
    pub(crate) fn hop_digest(&self) -> u64 {
        let mut d = Digest(0xcbf2_9ce4_8422_2325);
        // A route through a nexthop object is told apart by the object, not by
        // the hops the kernel expands it to in a message (which follow the
        // object, and which its deletion leaves out), nor by the type a
        // message gives it while the object is a blackhole (`blackhole`,
        // whatever the route's own: `fib_dump_info`, `rt6_fill_node`).
        let hops_of_object = self.nh_id.is_some();
        let route_type = match self.route_type {
            RTN_BLACKHOLE if hops_of_object => RTN_UNICAST,
            t => t,
        };
        d.word(u64::from(route_type) << 16 | u64::from(self.protocol) << 8 | u64::from(self.scope));
        let own = |ip: Option<IpAddr>| if hops_of_object { None } else { ip };
        d.ip(own(self.gateway));
        d.ip(own(self.via));
        d.ip(self.prefsrc);
        d.word(u64::from(self.nh_id.unwrap_or(0)));
        if let Some(m) = &self.metrics {
            d.word(u64::from(m.lock));
            for (kind, value) in &m.values {
                d.word(u64::from(*kind) << 32 | u64::from(*value));
            }
            if let Some(cc) = &m.congctl {
                d.text(cc.as_bytes());
            }
        }
        // Encapsulations are rare: their text is digest enough. An object's
        // follows the object.
        if let Some(e) = self.encap.as_ref().filter(|_| !hops_of_object) {
            d.text(format!("{e:?}").as_bytes());
        }
        for hop in self.nexthops.iter().filter(|_| !hops_of_object) {
            d.word(u64::from(hop.ifindex) << 32 | u64::from(hop.weight));
            d.ip(hop.gateway);
            d.ip(hop.via);
            if let Some(e) = &hop.encap {
                d.text(format!("{e:?}").as_bytes());
            }
        }
        d.0
    }

    /// The destination as `ip route` prints it: `default`, `10.0.0.0/24`, or a bare
    /// address for a host route; an `AF_MPLS` route's label (`300`).
    pub fn dst_string(&self) -> String {
        if let Some(labels) = self.mpls_dst() {
            return labels;
        }
        match self.dst_parts() {
            (None, None) => "default".to_string(),
            (None, Some(len)) => format!("default/{len}"),
            (Some(dst), None) => dst.to_string(),
            (Some(dst), Some(len)) => format!("{dst}/{len}"),
        }
    }

    /// What [`Route::dst_string`] shows: the address (`None`: `default`) and the
    /// prefix length when it is shown (not for a host route or a plain default).
    pub(crate) fn dst_parts(&self) -> (Option<IpAddr>, Option<u8>) {
        match self.dst {
            None if self.dst_len == 0 => (None, None),
            Some(_) if Some(self.dst_len) == host_len(self.family) => (self.dst, None),
            _ => (self.dst, Some(self.dst_len)),
        }
    }

    /// An `AF_MPLS` route's destination as `ip route` prints it: its label
    /// stack (`300`), with the length when it is not a whole label's.
    fn mpls_dst(&self) -> Option<String> {
        if self.dst_labels.is_empty() {
            return None;
        }
        let mut s = mpls_stack(&self.dst_labels);
        if Some(self.dst_len) != host_len(self.family) {
            s.push('/');
            s.push_str(itoa::Buffer::new().format(self.dst_len));
        }
        Some(s)
    }

    /// The table as `ip route` names it: `main`, `local`, or the number.
    fn table_name(&self) -> String {
        names::table(self.table).map_or_else(|| self.table.to_string(), str::to_string)
    }
}

/// The running digest of [`Route::hop_digest`]: words mixed in by
/// multiplication.
struct Digest(u64);

impl Digest {
    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 ^= self.0 >> 32;
    }

    fn ip(&mut self, ip: Option<IpAddr>) {
        let bits = ip_bits(ip);
        self.word((bits >> 64) as u64);
        self.word(bits as u64);
    }

    /// Bytes, with their length (so that two texts cannot run together).
    fn text(&mut self, bytes: &[u8]) {
        self.word(bytes.len() as u64);
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(w));
        }
    }
}

/// A route's identity: the kernel's own (table, destination, source, TOS,
/// metric), plus the output device, and for IPv4 the next hop: IPv4 keeps
/// routes that differ only there apart (`ip route append`, and the connected,
/// local and broadcast routes of one prefix on two links). The output device
/// and next hop come last, so the routes of one prefix are one range
/// ([`RouteKey::aliases`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RouteKey {
    family: u8,
    table: u32,
    dst: IpBits,
    dst_len: u8,
    src: IpBits,
    src_len: u8,
    tos: u8,
    priority: u32,
    oif: u32,
    /// IPv4: a digest of the type and next hop(s) (see [`Route::hop_digest`]).
    hop: u64,
}

impl RouteKey {
    /// The smallest key.
    pub(crate) const MIN: RouteKey = RouteKey {
        family: 0,
        table: 0,
        dst: IpBits::ZERO,
        dst_len: 0,
        src: IpBits::ZERO,
        src_len: 0,
        tos: 0,
        priority: 0,
        oif: 0,
        hop: 0,
    };

    /// The range of the keys of the routes to the same prefix, in the same
    /// table, with the same TOS and metric: the IPv4 routes one `ip route
    /// replace` may have replaced.
    pub(crate) fn aliases(&self) -> std::ops::RangeInclusive<RouteKey> {
        let first = RouteKey {
            oif: 0,
            hop: 0,
            ..*self
        };
        let last = RouteKey {
            oif: u32::MAX,
            hop: u64::MAX,
            ..*self
        };
        first..=last
    }

    /// Whether this is an IPv4 route's key.
    pub(crate) fn is_ipv4(&self) -> bool {
        self.family == AF_INET
    }

    /// Whether this is the key of an IPv6 route whose next hops are siblings
    /// (see [`Route::has_ipv6_siblings`]).
    pub(crate) fn is_ipv6_siblings(&self) -> bool {
        self.family == AF_INET6 && self.hop == IPV6_SIBLINGS
    }
}

/// The `hop` of the key of an IPv6 route of siblings: they are one route
/// whatever their next hops.
const IPV6_SIBLINGS: u64 = 1;

/// Marks the `hop` of the key of an IPv6 route through a nexthop object,
/// whose id it holds in its low 32 bits.
const IPV6_OBJECT: u64 = 1 << 32;

impl Kind for Route {
    const MESSAGES: [u16; 2] = [RTM_NEWROUTE, RTM_DELROUTE];
    const GROUPS: &'static [u32] = &[RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETROUTE,
        header_len: RTMSG_LEN,
        family: AF_UNSPEC,
    };
    type Key = RouteKey;

    #[inline]
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        Route::from_view(&RouteMessage::new_checked(*msg)?, into, skipped)
    }

    /// The kernel's keys; only IPv4 and IPv6 routes are kept.
    fn key(&self) -> Option<RouteKey> {
        if self.family != AF_INET && self.family != AF_INET6 {
            return None;
        }
        Some(RouteKey {
            family: self.family,
            table: self.table,
            dst: IpBits::of(self.dst),
            dst_len: self.dst_len,
            src: IpBits::of(self.src),
            src_len: self.src_len,
            tos: self.tos,
            priority: self.priority.unwrap_or(0),
            // Both keep routes to one prefix with one metric apart per device
            // (local and multicast routes of every link, say), but for
            // IPv6 siblings, which are one route whatever their hops, and a
            // route through a nexthop object, whose hops are the object's.
            oif: if self.has_ipv6_siblings() || self.nh_id.is_some() {
                0
            } else {
                self.oif.unwrap_or(0)
            },
            // IPv4 also by next hop and what else its kernel tells routes
            // apart by; IPv6 by its nexthop object, when it has one (routes
            // of one prefix and metric through two objects are two).
            hop: match (self.family, self.nh_id) {
                (AF_INET, _) => self.hop_digest(),
                _ if self.has_ipv6_siblings() => IPV6_SIBLINGS,
                (_, Some(id)) => IPV6_OBJECT | u64::from(id),
                _ => 0,
            },
        })
    }

    fn same_state(&self, other: &Self) -> bool {
        self == other
    }

    /// The output interface, or the first next hop's.
    fn ifindex(&self) -> Option<u32> {
        self.oif
            .or_else(|| self.nexthops.first().map(|h| h.ifindex))
    }

    fn family(&self) -> Option<u8> {
        Some(self.family)
    }

    fn table(&self) -> Option<u32> {
        Some(self.table)
    }

    fn fields(&self, f: &mut impl Fields) {
        f.word(k!("family"), family_name(self.family));
        match (self.mpls_dst(), self.dst_parts()) {
            (Some(labels), _) => f.str(k!("dst"), &labels),
            (None, (None, None)) => f.word(k!("dst"), "default"),
            (None, (None, Some(_))) => f.str(k!("dst"), &self.dst_string()),
            (None, (Some(dst), len)) => f.prefix(k!("dst"), dst, len),
        }
        if let Some(src) = self.src {
            f.prefix(k!("src"), src, Some(self.src_len));
        }
        if !self.newdst.is_empty() {
            f.str(k!("to"), &mpls_stack(&self.newdst));
        }
        if let Some(e) = &self.encap {
            f.object(k!("encap"), e.as_ref());
        }
        if self.tos != 0 {
            f.str(k!("tos"), &tos_name(self.tos));
        }
        opt_ip(f, k!("gateway"), self.gateway);
        if let Some(via) = self.via {
            f.via(k!("via"), via);
        }
        opt_num(f, k!("oif"), self.oif);
        opt_num(f, k!("iif"), self.iif);
        // `ip -j` leaves out the main table, the boot protocol, the global
        // scope and the unicast type; `ip -j -d` writes them all.
        let details = f.details();
        if details || self.table != u32::from(RT_TABLE_MAIN) {
            match names::table(self.table) {
                Some(name) => f.word(k!("table"), name),
                None => f.str(k!("table"), itoa::Buffer::new().format(self.table)),
            }
        }
        if details || self.protocol != RTPROT_BOOT {
            word_or_num(
                f,
                k!("protocol"),
                names::protocol(self.protocol),
                self.protocol,
            );
        }
        if details || self.scope != RT_SCOPE_UNIVERSE {
            word_or_num(f, k!("scope"), names::scope(self.scope), self.scope);
        }
        if details || self.route_type != RTN_UNICAST {
            word_or_num(
                f,
                k!("type"),
                names::route_type(self.route_type),
                self.route_type,
            );
        }
        opt_num(f, k!("metric"), self.priority);
        opt_ip(f, k!("prefsrc"), self.prefsrc);
        opt_num(f, k!("nhid"), self.nh_id);
        if let Some(p) = self.pref {
            word_or_num(f, k!("pref"), names::router_pref(p), p);
        }
        f.words(k!("flags"), &mut names::rt_flags(self.flags));
        if let Some(m) = &self.metrics {
            f.objects(
                k!("metrics"),
                &mut std::iter::once(m.as_ref() as &dyn Nested),
            );
        }
    }

    /// The output interface's name, as `dev` (a multipath route has none:
    /// its hops name theirs), and the next hops, each naming its device.
    fn name_fields(&self, own: Option<&Name>, names: &dyn IfNames, f: &mut impl Fields) {
        if let Some(name) = own.filter(|_| self.oif.is_some()) {
            f.name(k!("dev"), name);
        }
        if !self.nexthops.is_empty() {
            let hops: Vec<HopLine<'_>> = self
                .nexthops
                .iter()
                .map(|hop| HopLine {
                    hop,
                    family: self.family,
                    names,
                })
                .collect();
            f.objects(k!("nexthops"), &mut hops.iter().map(|h| h as &dyn Nested));
        }
    }

    /// `10.1.0.0/24 via 10.0.0.2 dev veth0 table 100 proto static metric 50`
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
        let dev = |i: u32| dev_name(names, i);
        if self.route_type != RTN_UNICAST {
            if let Some(t) = names::route_type(self.route_type) {
                write!(out, " {t}")?;
            }
        }
        // `dst_string`'s text, without a String for it.
        match (self.dst_labels.is_empty(), self.dst_parts()) {
            (false, _) => write!(out, " {}", self.dst_string())?,
            (true, (None, None)) => out.write_str(" default")?,
            (true, (None, Some(len))) => write!(out, " default/{len}")?,
            (true, (Some(dst), None)) => write!(out, " {}", IpText(dst))?,
            (true, (Some(dst), Some(len))) => write!(out, " {}/{len}", IpText(dst))?,
        }
        // As `ip route` prints a route through a nexthop object.
        if let Some(id) = self.nh_id {
            write!(out, " nhid {id}")?;
        }
        if !self.newdst.is_empty() {
            write!(out, " as to {}", mpls_stack(&self.newdst))?;
        }
        if let Some(e) = &self.encap {
            write!(out, " encap {e}")?;
        }
        if self.tos != 0 {
            write!(out, " tos {}", tos_name(self.tos))?;
        }
        if let Some(g) = self.gateway {
            write!(out, " via {}", IpText(g))?;
        }
        if let Some(v) = self.via {
            write!(out, " via {} {v}", via_family(v))?;
        }
        if let Some(o) = self.oif {
            write!(out, " dev {}", dev(o))?;
        }
        write!(out, " table {}", self.table_name())?;
        match names::protocol(self.protocol) {
            Some(p) => write!(out, " proto {p}")?,
            None => write!(out, " proto {}", self.protocol)?,
        }
        if let Some(s) = names::scope(self.scope).filter(|_| self.scope != RT_SCOPE_UNIVERSE) {
            write!(out, " scope {s}")?;
        }
        if let Some(p) = self.prefsrc {
            write!(out, " src {}", IpText(p))?;
        }
        if let Some(m) = self.priority {
            write!(out, " metric {m}")?;
        }
        for flag in names::rt_flags(self.flags) {
            write!(out, " {flag}")?;
        }
        if let Some(m) = self.metrics.as_ref().filter(|m| m.shown().next().is_some()) {
            write!(out, " {m}")?;
        }
        for h in &self.nexthops {
            out.write_str(" nexthop")?;
            if let Some(e) = &h.encap {
                write!(out, " encap {e}")?;
            }
            if !h.newdst.is_empty() {
                write!(out, " as to {}", mpls_stack(&h.newdst))?;
            }
            if let Some(g) = h.gateway {
                write!(out, " via {}", IpText(g))?;
            }
            if let Some(v) = h.via {
                write!(out, " via {} {v}", via_family(v))?;
            }
            write!(out, " dev {}", dev(h.ifindex))?;
            if self.family != AF_MPLS {
                write!(out, " weight {}", h.weight)?;
            }
            for flag in names::rt_flags(h.flags.into()) {
                write!(out, " {flag}")?;
            }
        }
        Ok(())
    }
}
