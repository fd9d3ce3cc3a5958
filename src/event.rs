//! Owned, typed events: what subscribers receive.
//!
//! The `wire` views borrow the receive buffer; the types here own their values and
//! outlive it. [`Object::decode`] turns one rtnetlink message into a typed object
//! (IPv4 and IPv6 alike) with at most the allocations its variable-length parts
//! need: interface names, kinds and labels are stored inline ([`CompactStr`]), so a
//! link, address or neighbour decodes without touching the heap; only alternative
//! names and multipath next hops allocate.
//!
//! An [`Event`] wraps an object with where and when it was seen: the namespace, a
//! per-namespace sequence number, the receive time and the action (new or del).

use crate::compact::{CompactStr, HwAddr};
use crate::json;
use crate::names;
use crate::wire::{
    self, consts::*, AddressMessage, LinkMessage, NeighbourMessage, NextHops, RouteMessage,
};
use serde::ser::Serializer;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `RTM_NEW*`: the object was created or changed.
    New,
    /// `RTM_DEL*`: the object was removed.
    Del,
}

impl Action {
    /// `"new"` or `"del"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::New => "new",
            Action::Del => "del",
        }
    }
}

/// The kinds of object nlwatch reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// Network interfaces (`RTNLGRP_LINK`).
    Link,
    /// IPv4 and IPv6 addresses (`RTNLGRP_IPV4_IFADDR`, `RTNLGRP_IPV6_IFADDR`).
    Address,
    /// IPv4 and IPv6 routes (`RTNLGRP_IPV4_ROUTE`, `RTNLGRP_IPV6_ROUTE`).
    Route,
    /// Neighbour (ARP / NDP) entries (`RTNLGRP_NEIGH`).
    Neighbour,
}

impl ObjectKind {
    /// Every kind, in the order `ip monitor` lists them.
    pub const ALL: [ObjectKind; 4] = [
        ObjectKind::Link,
        ObjectKind::Address,
        ObjectKind::Route,
        ObjectKind::Neighbour,
    ];

    /// The name used by the CLI and in JSON's `"object"`: `link`, `addr`, `route`, `neigh`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Link => "link",
            ObjectKind::Address => "addr",
            ObjectKind::Route => "route",
            ObjectKind::Neighbour => "neigh",
        }
    }

    /// The rtnetlink multicast groups that carry this kind.
    pub fn groups(self) -> &'static [u32] {
        match self {
            ObjectKind::Link => &[RTNLGRP_LINK],
            ObjectKind::Address => &[RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR],
            ObjectKind::Route => &[RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE],
            ObjectKind::Neighbour => &[RTNLGRP_NEIGH],
        }
    }
}

impl std::str::FromStr for ObjectKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "link" => Ok(ObjectKind::Link),
            "addr" | "address" => Ok(ObjectKind::Address),
            "route" => Ok(ObjectKind::Route),
            "neigh" | "neighbour" | "neighbor" => Ok(ObjectKind::Neighbour),
            other => Err(format!(
                "unknown object {other:?}: expected link, addr, route or neigh"
            )),
        }
    }
}

/// A network interface, from `RTM_NEWLINK` / `RTM_DELLINK`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// `ifi_family`: `AF_UNSPEC` (0) for the link itself; `AF_BRIDGE` (7) for the
    /// bridge-port view of it that bridges send on their own. A `del` of family 7
    /// means the link left a bridge, not that it was deleted.
    pub family: u8,
    /// `ifi_index`.
    pub ifindex: u32,
    /// `IFLA_IFNAME`.
    pub ifname: Option<CompactStr>,
    /// `ifi_flags`: IFF_* bits (see [`names::link_flags`]).
    pub flags: u32,
    /// `ifi_change`: the IFF_* bits that changed.
    pub change: u32,
    /// `ifi_type`: ARPHRD_* hardware type (1 = Ethernet).
    pub link_type: u16,
    /// `IFLA_MTU`.
    pub mtu: Option<u32>,
    /// `IFLA_OPERSTATE`: IF_OPER_* (see [`names::operstate`]).
    pub operstate: Option<u8>,
    /// `IFLA_ADDRESS`: the hardware address.
    pub address: Option<HwAddr>,
    /// `IFLA_BROADCAST`: the hardware broadcast address.
    pub broadcast: Option<HwAddr>,
    /// `IFLA_MASTER`: ifindex of the bridge or bond this link is enslaved to.
    pub master: Option<u32>,
    /// `IFLA_LINK`: ifindex of the lower or peer link (a veth's peer), which lives in
    /// the namespace named by `link_netnsid` when that is set. A value of 0 (none)
    /// is reported as `None`.
    pub link: Option<u32>,
    /// `IFLA_LINK_NETNSID`: the nsid, in this namespace, of the peer's namespace.
    pub link_netnsid: Option<i32>,
    /// `IFLA_INFO_KIND` inside `IFLA_LINKINFO`: `veth`, `bridge`, ...
    pub kind: Option<CompactStr>,
    /// `IFLA_INFO_SLAVE_KIND` inside `IFLA_LINKINFO`: the master's kind for a port.
    pub slave_kind: Option<CompactStr>,
    /// `IFLA_TXQLEN`.
    pub txqlen: Option<u32>,
    /// `IFLA_ALT_IFNAME` entries inside `IFLA_PROP_LIST`.
    pub alt_names: Vec<CompactStr>,
}

/// An IPv4 or IPv6 address, from `RTM_NEWADDR` / `RTM_DELADDR`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// `ifa_family`: `AF_INET` (2) or `AF_INET6` (10).
    pub family: u8,
    /// `ifa_prefixlen`.
    pub prefix_len: u8,
    /// IFA_F_* flags: `IFA_FLAGS` when present (all 32 bits), else `ifa_flags`.
    pub flags: u32,
    /// `ifa_scope`: RT_SCOPE_*.
    pub scope: u8,
    /// `ifa_index`.
    pub ifindex: u32,
    /// `IFA_LOCAL`: the interface's own address (IPv4; IPv6 only for point-to-point).
    pub local: Option<IpAddr>,
    /// `IFA_ADDRESS`: the prefix address, or the peer of a point-to-point link.
    pub address: Option<IpAddr>,
    /// `IFA_BROADCAST`.
    pub broadcast: Option<IpAddr>,
    /// `IFA_LABEL` (IPv4 only).
    pub label: Option<CompactStr>,
    /// Valid lifetime in seconds from `IFA_CACHEINFO`; `u32::MAX` means forever.
    pub valid_lft: Option<u32>,
    /// Preferred lifetime in seconds from `IFA_CACHEINFO`; `u32::MAX` means forever.
    pub preferred_lft: Option<u32>,
}

impl Address {
    /// The interface's own address: `IFA_LOCAL` if present, else `IFA_ADDRESS`
    /// (as `ip` does).
    pub fn primary(&self) -> Option<IpAddr> {
        self.local.or(self.address)
    }

    /// The peer address of a point-to-point link, when it differs from the local one.
    pub fn peer(&self) -> Option<IpAddr> {
        match (self.local, self.address) {
            (Some(l), Some(a)) if l != a => Some(a),
            _ => None,
        }
    }
}

/// One next hop of a multipath route (`struct rtnexthop` in `RTA_MULTIPATH`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

/// An IPv4 or IPv6 route, from `RTM_NEWROUTE` / `RTM_DELROUTE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

/// A neighbour (ARP / NDP / FDB) entry, from `RTM_NEWNEIGH` / `RTM_DELNEIGH`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbour {
    /// `ndm_family`.
    pub family: u8,
    /// `ndm_ifindex`.
    pub ifindex: u32,
    /// `NDA_DST`: the neighbour's network address.
    pub dst: Option<IpAddr>,
    /// `NDA_LLADDR`: its link-layer address.
    pub lladdr: Option<HwAddr>,
    /// `ndm_state`: NUD_* bits (see [`names::nud_states`]).
    pub state: u16,
    /// `ndm_flags`: NTF_* bits.
    pub flags: u8,
    /// `ndm_type`.
    pub neigh_type: u8,
    /// `NDA_MASTER`.
    pub master: Option<u32>,
}

/// A decoded kernel object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A link.
    Link(Link),
    /// An address.
    Address(Address),
    /// A route.
    Route(Route),
    /// A neighbour.
    Neighbour(Neighbour),
}

fn hwaddr(a: &wire::Attr<'_>) -> wire::Result<HwAddr> {
    HwAddr::new(a.payload()).ok_or(wire::Error::BadAttribute {
        kind: a.kind(),
        len: a.payload().len(),
    })
}

fn compact(a: &wire::Attr<'_>) -> wire::Result<CompactStr> {
    a.str().map(CompactStr::new)
}

impl Link {
    /// Decodes a link message. Unknown attributes are skipped; a known attribute with
    /// a malformed payload, or a broken attribute walk, is an error.
    #[inline]
    pub fn decode(msg: &LinkMessage<'_>) -> wire::Result<Self> {
        let mut link = Link {
            family: msg.family(),
            ifindex: msg.index(),
            flags: msg.flags(),
            change: msg.change(),
            link_type: msg.link_type(),
            ..Link::default()
        };
        for attr in msg.attrs() {
            let attr = attr?;
            match attr.kind() {
                IFLA_IFNAME => link.ifname = Some(compact(&attr)?),
                IFLA_MTU => link.mtu = Some(attr.u32()?),
                IFLA_OPERSTATE => link.operstate = Some(attr.u8()?),
                IFLA_ADDRESS => link.address = Some(hwaddr(&attr)?),
                IFLA_BROADCAST => link.broadcast = Some(hwaddr(&attr)?),
                IFLA_MASTER => link.master = Some(attr.u32()?),
                // 0 means "no lower link" (a veth whose peer is not set up yet).
                IFLA_LINK => link.link = Some(attr.u32()?).filter(|&i| i != 0),
                IFLA_LINK_NETNSID => link.link_netnsid = Some(attr.i32()?),
                IFLA_TXQLEN => link.txqlen = Some(attr.u32()?),
                IFLA_LINKINFO => {
                    for info in attr.nested() {
                        let info = info?;
                        match info.kind() {
                            IFLA_INFO_KIND => link.kind = Some(compact(&info)?),
                            IFLA_INFO_SLAVE_KIND => link.slave_kind = Some(compact(&info)?),
                            _ => {}
                        }
                    }
                }
                IFLA_PROP_LIST => {
                    for prop in attr.nested() {
                        let prop = prop?;
                        if prop.kind() == IFLA_ALT_IFNAME {
                            link.alt_names.push(compact(&prop)?);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(link)
    }
}

impl Address {
    /// Decodes an address message (see [`Link::decode`] for the error rules).
    #[inline]
    pub fn decode(msg: &AddressMessage<'_>) -> wire::Result<Self> {
        let mut addr = Address {
            family: msg.family(),
            prefix_len: msg.prefix_len(),
            flags: msg.flags() as u32,
            scope: msg.scope(),
            ifindex: msg.index(),
            ..Address::default()
        };
        for attr in msg.attrs() {
            let attr = attr?;
            match attr.kind() {
                IFA_LOCAL => addr.local = Some(attr.ip()?),
                IFA_ADDRESS => addr.address = Some(attr.ip()?),
                IFA_BROADCAST => addr.broadcast = Some(attr.ip()?),
                IFA_LABEL => addr.label = Some(compact(&attr)?),
                IFA_FLAGS => addr.flags = attr.u32()?,
                IFA_CACHEINFO => {
                    let p = attr.payload();
                    if p.len() < IFA_CACHEINFO_LEN {
                        return Err(wire::Error::BadAttribute {
                            kind: attr.kind(),
                            len: p.len(),
                        });
                    }
                    // struct ifa_cacheinfo { ifa_prefered, ifa_valid, cstamp, tstamp }
                    addr.preferred_lft = Some(u32::from_ne_bytes([p[0], p[1], p[2], p[3]]));
                    addr.valid_lft = Some(u32::from_ne_bytes([p[4], p[5], p[6], p[7]]));
                }
                _ => {}
            }
        }
        Ok(addr)
    }
}

/// `RTA_VIA` payload: `struct rtvia { __kernel_sa_family_t rtvia_family; __u8 rtvia_addr[]; }`.
fn via(a: &wire::Attr<'_>) -> wire::Result<IpAddr> {
    let p = a.payload();
    let bad = wire::Error::BadAttribute {
        kind: a.kind(),
        len: p.len(),
    };
    if p.len() < 2 {
        return Err(bad);
    }
    let addr = &p[2..];
    let fam = u16::from_ne_bytes([p[0], p[1]]);
    match (fam, addr.len()) {
        (2, 4) => Ok(IpAddr::from(<[u8; 4]>::try_from(addr).map_err(|_| bad)?)),
        (10, 16) => Ok(IpAddr::from(<[u8; 16]>::try_from(addr).map_err(|_| bad)?)),
        _ => Err(bad),
    }
}

impl Route {
    /// Decodes a route message (see [`Link::decode`] for the error rules).
    #[inline]
    pub fn decode(msg: &RouteMessage<'_>) -> wire::Result<Self> {
        let mut route = Route {
            family: msg.family(),
            dst_len: msg.dst_len(),
            src_len: msg.src_len(),
            table: msg.table() as u32,
            protocol: msg.protocol(),
            scope: msg.scope(),
            route_type: msg.route_type(),
            tos: msg.tos(),
            flags: msg.flags(),
            ..Route::default()
        };
        for attr in msg.attrs() {
            let attr = attr?;
            match attr.kind() {
                RTA_DST => route.dst = Some(attr.ip()?),
                RTA_SRC => route.src = Some(attr.ip()?),
                RTA_GATEWAY => route.gateway = Some(attr.ip()?),
                RTA_VIA => route.gateway = Some(via(&attr)?),
                RTA_PREFSRC => route.prefsrc = Some(attr.ip()?),
                RTA_OIF => route.oif = Some(attr.u32()?),
                RTA_IIF => route.iif = Some(attr.u32()?),
                RTA_TABLE => route.table = attr.u32()?,
                RTA_PRIORITY => route.priority = Some(attr.u32()?),
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
                    for hop in NextHops::new(attr.payload()) {
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
        }
        Ok(route)
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
}

impl Neighbour {
    /// Decodes a neighbour message (see [`Link::decode`] for the error rules).
    #[inline]
    pub fn decode(msg: &NeighbourMessage<'_>) -> wire::Result<Self> {
        let mut n = Neighbour {
            family: msg.family(),
            ifindex: msg.ifindex(),
            state: msg.state(),
            flags: msg.flags(),
            neigh_type: msg.neigh_type(),
            ..Neighbour::default()
        };
        for attr in msg.attrs() {
            let attr = attr?;
            match attr.kind() {
                NDA_DST => n.dst = Some(attr.ip()?),
                NDA_LLADDR => n.lladdr = Some(hwaddr(&attr)?),
                NDA_MASTER => n.master = Some(attr.u32()?),
                _ => {}
            }
        }
        Ok(n)
    }
}

impl Object {
    /// Decodes one netlink message into an action and an object. Messages that
    /// carry no object nlwatch reports (`NLMSG_DONE`, errors, other families) give
    /// `Ok(None)`.
    ///
    /// ```
    /// use nlwatch::wire::NlMsg;
    /// use nlwatch::event::{Action, Object};
    /// // RTM_NEWLINK, ifindex 7, flags UP, one attribute IFLA_IFNAME "eth7".
    /// let mut b = vec![0u8; 16 + 16 + 12];
    /// b[0] = b.len() as u8; b[4] = 16;               // nlmsg_len, RTM_NEWLINK
    /// b[16 + 4] = 7; b[16 + 8] = 1;                  // ifi_index, ifi_flags
    /// b[32..36].copy_from_slice(&[9, 0, 3, 0]);      // nla_len 9, IFLA_IFNAME
    /// b[36..41].copy_from_slice(b"eth7\0");
    /// let msg = NlMsg::new_checked(&b).unwrap();
    /// let (action, obj) = Object::decode(&msg).unwrap().unwrap();
    /// assert_eq!(action, Action::New);
    /// let Object::Link(link) = obj else { panic!() };
    /// assert_eq!((link.ifindex, link.ifname.unwrap().as_str()), (7, "eth7"));
    /// ```
    pub fn decode(msg: &wire::NlMsg<'_>) -> wire::Result<Option<(Action, Object)>> {
        let action = match msg.kind() {
            RTM_DELLINK | RTM_DELADDR | RTM_DELROUTE | RTM_DELNEIGH => Action::Del,
            _ => Action::New,
        };
        let obj = match msg.kind() {
            RTM_NEWLINK | RTM_DELLINK => {
                Object::Link(Link::decode(&LinkMessage::new_checked(*msg)?)?)
            }
            RTM_NEWADDR | RTM_DELADDR => {
                Object::Address(Address::decode(&AddressMessage::new_checked(*msg)?)?)
            }
            RTM_NEWROUTE | RTM_DELROUTE => {
                Object::Route(Route::decode(&RouteMessage::new_checked(*msg)?)?)
            }
            RTM_NEWNEIGH | RTM_DELNEIGH => {
                Object::Neighbour(Neighbour::decode(&NeighbourMessage::new_checked(*msg)?)?)
            }
            _ => return Ok(None),
        };
        Ok(Some((action, obj)))
    }

    /// The kind of this object.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::Link(_) => ObjectKind::Link,
            Object::Address(_) => ObjectKind::Address,
            Object::Route(_) => ObjectKind::Route,
            Object::Neighbour(_) => ObjectKind::Neighbour,
        }
    }

    /// The interface the object belongs to: a link's own index, an address's or
    /// neighbour's interface, a route's output interface.
    pub fn ifindex(&self) -> Option<u32> {
        match self {
            Object::Link(l) => Some(l.ifindex),
            Object::Address(a) => Some(a.ifindex),
            Object::Route(r) => r.oif.or_else(|| r.nexthops.first().map(|h| h.ifindex)),
            Object::Neighbour(n) => Some(n.ifindex),
        }
    }
}

/// Where an event's knowledge comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Origin {
    /// A notification the kernel sent as the change happened.
    #[default]
    Live,
    /// The initial dump of a namespace: the object existed when watching began.
    Dump,
    /// A re-dump after lost notifications: the difference between what nlwatch
    /// knew and what the kernel holds.
    Resync,
    /// A deletion the kernel does not announce, inferred by nlwatch: the routes,
    /// addresses and neighbours of a deleted link, or routes a re-dump found gone
    /// after a link went down or an address was removed.
    Synthesized,
}

impl Origin {
    /// `"live"`, `"dump"`, `"resync"` or `"synthesized"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Live => "live",
            Origin::Dump => "dump",
            Origin::Resync => "resync",
            Origin::Synthesized => "synthesized",
        }
    }
}

/// The namespace an event came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NetnsTag {
    /// The name or path the namespace was added by; `""` for the namespace the
    /// program started in.
    pub name: Arc<str>,
    /// A stable id: the kernel's netns cookie (`SO_NETNS_COOKIE`), or the nsfs inode
    /// where cookies are not available.
    pub id: u64,
}

/// One change reported by the kernel, with where and when it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The namespace it happened in.
    pub netns: NetnsTag,
    /// Position in this namespace's stream, from 1, without gaps for delivered events.
    pub seq: u64,
    /// When nlwatch received the message.
    pub timestamp: SystemTime,
    /// New or del.
    pub action: Action,
    /// Live notification, initial dump, resync difference, or synthesized deletion.
    pub origin: Origin,
    /// The name of the interface the object belongs to (see [`Object::ifindex`]),
    /// when the monitor knows it: a link's own name, or the name its index had
    /// when the event was received.
    pub ifname: Option<CompactStr>,
    /// The object.
    pub object: Object,
}

/// Formats `t` as RFC 3339 in UTC with microseconds: `2026-11-27T19:53:30.123456Z`.
pub fn rfc3339(t: SystemTime) -> String {
    Rfc3339(t).to_string()
}

/// `Display` of a time as RFC 3339 in UTC with microseconds, written without
/// allocating (JSON lines format one per event).
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339(pub SystemTime);

impl Rfc3339 {
    /// The latest time written as itself (9999-12-31T23:59:59Z); later times are
    /// written as this one, earlier than 1970 as 1970-01-01T00:00:00Z.
    const MAX_SECS: u64 = 253_402_300_799;

    /// The 27 ASCII bytes of the text.
    pub fn to_bytes(&self) -> [u8; 27] {
        let d = self
            .0
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let (secs, micros) = if d.as_secs() > Self::MAX_SECS {
            (Self::MAX_SECS, 999_999)
        } else {
            (d.as_secs(), d.subsec_micros())
        };
        let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut v: u64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year as u64);
        put(5, 2, month as u64);
        put(8, 2, day as u64);
        put(11, 2, rem / 3600);
        put(14, 2, rem % 3600 / 60);
        put(17, 2, rem % 60);
        put(20, 6, micros.into());
        b
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        // ASCII digits and separators only.
        f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

fn table_name(table: u32) -> String {
    names::table(table).map_or_else(|| table.to_string(), str::to_string)
}

/// The JSON line of design.md: `ts`, `netns`, `netns_id`, `seq`, `object`, `action`,
/// `dump`/`resync`/`synthesized` when not live, then the object's fields named as
/// `ip -j` names them. Interface references are indexes (`ifindex`, `oif`,
/// `master_index`, `link_index`) plus the name of the object's own interface
/// (`ifname` for links and addresses, `dev` for routes and neighbours) when known;
/// [`JsonEvent`] adds the names of other interfaces.
impl serde::Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        JsonEvent {
            event: self,
            names: &|_| None,
        }
        .serialize(s)
    }
}

/// An event as a JSON line, with the names of the interfaces it refers to besides
/// its own (a link's `master` and `link`) looked up in `names`.
///
/// ```
/// # use nlwatch::event::{Event, JsonEvent};
/// # fn show(event: &Event) -> serde_json::Result<String> {
/// let names = |ifindex: u32| (ifindex == 4).then(|| "br0".to_string());
/// serde_json::to_string(&JsonEvent { event, names: &names })
/// # }
/// ```
pub struct JsonEvent<'a> {
    /// The event.
    pub event: &'a Event,
    /// Names of other interfaces of the event's namespace.
    pub names: &'a dyn IfNames,
}

impl serde::Serialize for JsonEvent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = json::SerdeFields::new(s.serialize_map(None)?);
        json::event_fields(self.event, self.names, &mut f);
        f.end()
    }
}

impl JsonEvent<'_> {
    /// Appends the JSON line (without the newline) to `out`: the same text as
    /// `serde_json::to_writer`, written without serde, several times faster (the
    /// CLI's `--json` uses it).
    ///
    /// ```
    /// # use nlwatch::event::{Event, JsonEvent};
    /// # fn show(event: &Event) {
    /// let mut line = Vec::new();
    /// JsonEvent { event, names: &|_| None }.write_line(&mut line);
    /// assert_eq!(line, serde_json::to_vec(event).unwrap());
    /// # }
    /// ```
    pub fn write_line(&self, out: &mut Vec<u8>) {
        let mut w = json::Writer::new(out);
        json::event_fields(self.event, self.names, &mut w);
        w.end();
    }
}

/// A resolver of interface names for display: `ifindex -> name`.
pub trait IfNames {
    /// The name of `ifindex`, if known.
    fn name(&self, ifindex: u32) -> Option<String>;
}

impl<F: Fn(u32) -> Option<String>> IfNames for F {
    fn name(&self, ifindex: u32) -> Option<String> {
        self(ifindex)
    }
}

/// Writes an event as one `ip monitor`-style line (without the trailing newline),
/// naming interfaces with `names` where it can and as `if<N>` where it cannot.
///
/// ```text
/// [link] new 7: veth0 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP link/ether 02:00:00:00:00:01 kind veth
/// [addr] new 7: veth0 inet 10.0.0.1/24 brd 10.0.0.255 scope global veth0:a
/// [route] new 10.1.0.0/24 via 10.0.0.2 dev veth0 table 100 proto static metric 50
/// [neigh] new 10.0.0.2 dev veth0 lladdr 02:00:00:00:00:02 PERMANENT
/// ```
pub fn write_text(
    out: &mut impl fmt::Write,
    obj: &Object,
    action: Action,
    names: &dyn IfNames,
) -> fmt::Result {
    let dev = |i: u32| names.name(i).unwrap_or_else(|| format!("if{i}"));
    write!(out, "[{}] {}", obj.kind().as_str(), action.as_str())?;
    match obj {
        Object::Link(l) => {
            let name = l
                .ifname
                .as_ref()
                .map_or_else(|| dev(l.ifindex), |n| n.to_string());
            write!(out, " {}: {name}", l.ifindex)?;
            if let Some(peer) = l.link {
                match l.link_netnsid {
                    Some(_) => write!(out, "@if{peer}")?,
                    None => write!(out, "@{}", dev(peer))?,
                }
            }
            out.write_str(" <")?;
            for (i, f) in names::link_flags(l.flags).enumerate() {
                if i > 0 {
                    out.write_str(",")?;
                }
                out.write_str(f)?;
            }
            out.write_str(">")?;
            if let Some(mtu) = l.mtu {
                write!(out, " mtu {mtu}")?;
            }
            if let Some(m) = l.master {
                write!(out, " master {}", dev(m))?;
            }
            if let Some(s) = l.operstate {
                write!(out, " state {}", names::operstate(s))?;
            }
            if let Some(a) = &l.address {
                let kind = if l.link_type == 1 { "ether" } else { "addr" };
                write!(out, " link/{kind} {a}")?;
            }
            if let Some(k) = &l.kind {
                write!(out, " kind {k}")?;
            }
        }
        Object::Address(a) => {
            let fam = if a.family == AF_INET6 {
                "inet6"
            } else {
                "inet"
            };
            write!(out, " {}: {} {fam}", a.ifindex, dev(a.ifindex))?;
            if let Some(p) = a.primary() {
                write!(out, " {p}")?;
            }
            if let Some(peer) = a.peer() {
                write!(out, " peer {peer}")?;
            }
            write!(out, "/{}", a.prefix_len)?;
            if let Some(b) = a.broadcast {
                write!(out, " brd {b}")?;
            }
            match names::scope(a.scope) {
                Some(s) => write!(out, " scope {s}")?,
                None => write!(out, " scope {}", a.scope)?,
            }
            for f in names::addr_flags(a.flags) {
                write!(out, " {}", f.to_ascii_lowercase())?;
            }
            if let Some(l) = &a.label {
                write!(out, " {l}")?;
            }
        }
        Object::Route(r) => {
            if r.route_type != 1 {
                if let Some(t) = names::route_type(r.route_type) {
                    write!(out, " {t}")?;
                }
            }
            write!(out, " {}", r.dst_string())?;
            if let Some(g) = r.gateway {
                write!(out, " via {g}")?;
            }
            if let Some(o) = r.oif {
                write!(out, " dev {}", dev(o))?;
            }
            write!(out, " table {}", table_name(r.table))?;
            match names::protocol(r.protocol) {
                Some(p) => write!(out, " proto {p}")?,
                None => write!(out, " proto {}", r.protocol)?,
            }
            if let Some(s) = names::scope(r.scope).filter(|_| r.scope != 0) {
                write!(out, " scope {s}")?;
            }
            if let Some(p) = r.prefsrc {
                write!(out, " src {p}")?;
            }
            if let Some(m) = r.priority {
                write!(out, " metric {m}")?;
            }
            if let Some(m) = r.mtu {
                write!(out, " mtu {m}")?;
            }
            for h in &r.nexthops {
                out.write_str(" nexthop")?;
                if let Some(g) = h.gateway {
                    write!(out, " via {g}")?;
                }
                write!(out, " dev {} weight {}", dev(h.ifindex), h.weight)?;
            }
        }
        Object::Neighbour(n) => {
            match n.dst {
                Some(d) => write!(out, " {d}")?,
                None => out.write_str(" ?")?,
            }
            write!(out, " dev {}", dev(n.ifindex))?;
            if let Some(l) = &n.lladdr {
                write!(out, " lladdr {l}")?;
            }
            for f in names::neigh_flags(n.flags) {
                write!(out, " {}", f.to_ascii_lowercase())?;
            }
            for s in names::nud_states(n.state) {
                write!(out, " {s}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_in_utc_with_microseconds() {
        let at = |secs: u64, micros: u64| {
            rfc3339(
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros),
            )
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        // A leap day, and the last second of a year.
        assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(at(1_798_761_599, 999_999), "2026-12-31T23:59:59.999999Z");
    }
}
