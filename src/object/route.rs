//! Routes: `RTM_NEWROUTE` / `RTM_DELROUTE`, `struct rtmsg`, its `RTA_*` attributes
//! and the next hops of `RTA_MULTIPATH`, IPv4 and IPv6. The owned type, its
//! decoding, its identity in the state view, its dump, its groups, its JSON
//! fields, its text line and the fields filters look at.

use super::compact::Name;
use super::fields::{dev_name, k, opt_ip, opt_num, word_or_num, Fields, IfNames};
use super::{ip_bits, key, names, walk, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, MultipathHops, NlMsg, RouteMessage};
use std::fmt;
use std::net::IpAddr;

/// One next hop of a multipath route (`struct rtnexthop` in `RTA_MULTIPATH`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NextHop {
    /// `rtnh_ifindex`.
    pub ifindex: u32,
    /// `RTA_GATEWAY` (or `RTA_VIA`) of this hop.
    pub gateway: Option<IpAddr>,
    /// Weight: `rtnh_hops + 1`, as `ip route` prints it.
    pub weight: u16,
    /// `rtnh_flags`: RTNH_F_*.
    pub flags: u8,
}

impl NextHop {
    /// The fields of one next hop, in the order of the JSON line.
    pub(crate) fn fields(&self, f: &mut impl Fields) {
        // Absent gateways are `null` here (a hop's shape does not change).
        f.ip(k!("gateway"), self.gateway);
        f.num(k!("oif"), self.ifindex.into());
        f.num(k!("weight"), self.weight.into());
        f.words(k!("flags"), &mut names::nexthop_flags(self.flags));
    }
}

/// An IPv4 or IPv6 route, from `RTM_NEWROUTE` / `RTM_DELROUTE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// `rtm_family`.
    pub family: u8,
    /// `RTA_DST`; `None` for a default route.
    pub dst: Option<IpAddr>,
    /// `rtm_dst_len`.
    pub dst_len: u8,
    /// `RTA_SRC`: source selector.
    pub src: Option<IpAddr>,
    /// `rtm_src_len`.
    pub src_len: u8,
    /// `RTA_GATEWAY`, or the address of `RTA_VIA`.
    pub gateway: Option<IpAddr>,
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
    /// `RTAX_MTU` inside `RTA_METRICS`.
    pub mtu: Option<u32>,
    /// `RTA_PREF`: IPv6 router preference.
    pub pref: Option<u8>,
    /// `RTA_NH_ID`: the nexthop object this route uses.
    pub nh_id: Option<u32>,
    /// `RTA_MULTIPATH` next hops; empty for a single-path route.
    pub nexthops: Vec<NextHop>,
}

/// `RTA_VIA` payload: `struct rtvia { __kernel_sa_family_t rtvia_family; __u8 rtvia_addr[]; }`.
fn via(a: &wire::Attr<'_>) -> wire::Result<IpAddr> {
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
    match (fam, addr.len()) {
        (f, 4) if f == u16::from(AF_INET) => {
            Ok(IpAddr::from(<[u8; 4]>::try_from(addr).map_err(|_| bad)?))
        }
        (f, 16) if f == u16::from(AF_INET6) => {
            Ok(IpAddr::from(<[u8; 16]>::try_from(addr).map_err(|_| bad)?))
        }
        _ => Err(bad),
    }
}

impl Route {
    /// Decodes a route message (see `Link::from_view` for the error rules).
    #[inline]
    fn from_view(msg: &RouteMessage<'_>, route: &mut Route, skipped: &mut u32) -> wire::Result<()> {
        route.family = msg.family();
        route.dst_len = msg.dst_len();
        route.src_len = msg.src_len();
        route.table = msg.table() as u32;
        route.protocol = msg.protocol();
        route.scope = msg.scope();
        route.route_type = msg.route_type();
        route.tos = msg.tos();
        route.flags = msg.flags();
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                RTA_DST => route.dst = Some(key(attr.ip())?),
                RTA_SRC => route.src = Some(key(attr.ip())?),
                RTA_GATEWAY => route.gateway = Some(attr.ip()?),
                RTA_VIA => route.gateway = Some(via(&attr)?),
                RTA_PREFSRC => route.prefsrc = Some(attr.ip()?),
                RTA_OIF => route.oif = Some(key(attr.u32())?),
                RTA_IIF => route.iif = Some(attr.u32()?),
                RTA_TABLE => route.table = key(attr.u32())?,
                RTA_PRIORITY => route.priority = Some(key(attr.u32())?),
                RTA_PREF => route.pref = Some(attr.u8()?),
                RTA_NH_ID => route.nh_id = Some(attr.u32()?),
                RTA_METRICS => {
                    for m in attr.nested() {
                        let m = m?;
                        if m.kind() == RTAX_MTU {
                            route.mtu = Some(m.u32()?);
                        }
                    }
                }
                RTA_MULTIPATH => {
                    for hop in MultipathHops::new(attr.payload()) {
                        let hop = hop?;
                        let mut gateway = None;
                        for a in hop.attrs() {
                            let a = a?;
                            match a.kind() {
                                RTA_GATEWAY => gateway = Some(a.ip()?),
                                RTA_VIA => gateway = Some(via(&a)?),
                                _ => {}
                            }
                        }
                        route.nexthops.push(NextHop {
                            ifindex: hop.ifindex(),
                            gateway,
                            weight: hop.hops() as u16 + 1,
                            flags: hop.flags(),
                        });
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// The destination as `ip route` prints it: `default`, `10.0.0.0/24`, or a bare
    /// address for a host route.
    pub fn dst_string(&self) -> String {
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
        let full = if self.family == AF_INET6 { 128 } else { 32 };
        match self.dst {
            None if self.dst_len == 0 => (None, None),
            Some(_) if self.dst_len == full => (self.dst, None),
            _ => (self.dst, Some(self.dst_len)),
        }
    }

    /// The table as `ip route` names it: `main`, `local`, or the number.
    fn table_name(&self) -> String {
        names::table(self.table).map_or_else(|| self.table.to_string(), str::to_string)
    }
}

/// A route's identity: the kernel's own (table, destination, source, TOS,
/// metric), plus the output device for IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RouteKey {
    family: u8,
    table: u32,
    dst: u128,
    dst_len: u8,
    src: u128,
    src_len: u8,
    tos: u8,
    priority: u32,
    oif: u32,
}

impl RouteKey {
    /// The smallest key.
    pub(crate) const MIN: RouteKey = RouteKey {
        family: 0,
        table: 0,
        dst: 0,
        dst_len: 0,
        src: 0,
        src_len: 0,
        tos: 0,
        priority: 0,
        oif: 0,
    };
}

impl Kind for Route {
    const MESSAGES: [u16; 2] = [RTM_NEWROUTE, RTM_DELROUTE];
    const GROUPS: &'static [u32] = &[RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETROUTE,
        header_len: RTMSG_LEN,
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
            dst: ip_bits(self.dst),
            dst_len: self.dst_len,
            src: ip_bits(self.src),
            src_len: self.src_len,
            tos: self.tos,
            priority: self.priority.unwrap_or(0),
            // IPv6 keeps routes to one prefix with one metric apart per device
            // (multicast and local routes of every link, say); IPv4 does not.
            oif: if self.family == AF_INET6 {
                self.oif.unwrap_or(0)
            } else {
                0
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
        f.word(k!("family"), names::family(self.family));
        match self.dst_parts() {
            (None, None) => f.word(k!("dst"), "default"),
            (None, Some(_)) => f.str(k!("dst"), &self.dst_string()),
            (Some(dst), len) => f.prefix(k!("dst"), dst, len),
        }
        if let Some(src) = self.src {
            f.prefix(k!("src"), src, Some(self.src_len));
        }
        opt_ip(f, k!("gateway"), self.gateway);
        opt_num(f, k!("oif"), self.oif);
        opt_num(f, k!("iif"), self.iif);
        match names::table(self.table) {
            Some(name) => f.word(k!("table"), name),
            None => f.str(k!("table"), itoa::Buffer::new().format(self.table)),
        }
        word_or_num(
            f,
            k!("protocol"),
            names::protocol(self.protocol),
            self.protocol,
        );
        match names::scope(self.scope) {
            Some("global") => f.word(k!("scope"), "universe"),
            name => word_or_num(f, k!("scope"), name, self.scope),
        }
        word_or_num(
            f,
            k!("type"),
            names::route_type(self.route_type),
            self.route_type,
        );
        opt_num(f, k!("metric"), self.priority);
        opt_ip(f, k!("prefsrc"), self.prefsrc);
        opt_num(f, k!("mtu"), self.mtu);
        opt_num(f, k!("nhid"), self.nh_id);
        f.words(k!("flags"), &mut names::nexthop_flags(self.flags as u8));
        if !self.nexthops.is_empty() {
            f.hops(k!("nexthops"), &self.nexthops);
        }
    }

    /// The output interface's name, as `dev`.
    fn name_fields(&self, own: Option<&Name>, _names: &dyn IfNames, f: &mut impl Fields) {
        if let Some(name) = own {
            f.name(k!("dev"), name);
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
        write!(out, " {}", self.dst_string())?;
        if let Some(g) = self.gateway {
            write!(out, " via {g}")?;
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
            write!(out, " src {p}")?;
        }
        if let Some(m) = self.priority {
            write!(out, " metric {m}")?;
        }
        if let Some(m) = self.mtu {
            write!(out, " mtu {m}")?;
        }
        for h in &self.nexthops {
            out.write_str(" nexthop")?;
            if let Some(g) = h.gateway {
                write!(out, " via {g}")?;
            }
            write!(out, " dev {} weight {}", dev(h.ifindex), h.weight)?;
        }
        Ok(())
    }
}
