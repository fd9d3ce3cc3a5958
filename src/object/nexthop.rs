//! Nexthop objects (`ip nexthop`): `RTM_NEWNEXTHOP` / `RTM_DELNEXTHOP`,
//! `struct nhmsg` and its `NHA_*` attributes: single nexthops (a gateway of the
//! message's family and/or a device, with an optional lightweight tunnel
//! encapsulation), blackholes, groups (hash-threshold and resilient, with
//! weights) and FDB nexthops. The owned type, its decoding, its identity in the
//! state view (the nexthop id), its dump, its group, its JSON fields (`ip -j
//! nexthop show`'s), its text line and the fields filters look at.
//!
//! # What the kernel does not announce
//!
//! Found by test (`integration/nexthop.rs`) on Linux 6.18, as the kernel's
//! `nexthop_flush_dev` and `remove_nexthop(..., NULL)` read:
//!
//! - A link deleted, set down, or losing its carrier (neither `IFF_RUNNING`
//!   nor `IFF_LOWER_UP`: a veth whose peer went down) takes every nexthop on
//!   it without an `RTM_DELNEXTHOP` (a blackhole has no device and stays).
//! - The groups that contained them lose those members without an
//!   `RTM_NEWNEXTHOP`; a group left empty is removed without an
//!   `RTM_DELNEXTHOP`.
//! - The IPv4 routes that used a removed nexthop or group (`RTA_NH_ID`) are
//!   flushed without an `RTM_DELROUTE`, also when the nexthop is deleted on
//!   purpose (`ip nexthop del`, which the kernel does announce, with the
//!   groups it changes). IPv6 routes are announced (with
//!   `net.ipv4.nexthop_compat_mode` on, the default).
//! - A route through a group keeps its place when the group loses a member,
//!   and the next hops the route message listed change unannounced.
//!
//! `watch::infer` synthesizes the first three: removed nexthops and emptied
//! groups as deletions, shrunk groups as a synthesized `new`, IPv4 routes as
//! deletions (a link's change is learned from its own notification; links
//! are always followed). The last is not repaired: a route through a group shows the
//! group's members as they were when the route was last announced, until a
//! resync.

use super::compact::Name;
use super::fields::{dev_name, k, Fields, IfNames, Nested};
use super::encap::{decode_encap, NexthopEncap};
use super::{key, names, walk, AttrError, Kind};
use crate::wire::consts::*;
use crate::wire::{self, nexthop_group, Dump, NexthopMessage, NlMsg};
use std::fmt;
use std::net::IpAddr;

/// One member of a nexthop group (`struct nexthop_grp` in `NHA_GROUP`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NexthopGroupMember {
    /// The member nexthop's id.
    pub id: u32,
    /// Its weight, as `ip nexthop` prints it (1 to 65,536): the weight byte
    /// plus one, and `weight_high` when the kernel says it filled it.
    pub weight: u32,
}

/// The parameters of a resilient group (`NHA_RES_GROUP`). Times are in the
/// kernel's `clock_t`, hundredths of a second (`USER_HZ`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResilientGroup {
    /// `NHA_RES_GROUP_BUCKETS`: the number of buckets.
    pub buckets: u16,
    /// `NHA_RES_GROUP_IDLE_TIMER`.
    pub idle_timer: u32,
    /// `NHA_RES_GROUP_UNBALANCED_TIMER`.
    pub unbalanced_timer: u32,
    /// `NHA_RES_GROUP_UNBALANCED_TIME`: how long the group has been
    /// unbalanced; changes by itself, so it does not count as a change of
    /// state.
    pub unbalanced_time: u64,
}

/// A nexthop object, from `RTM_NEWNEXTHOP` / `RTM_DELNEXTHOP`: what `ip nexthop`
/// lists, kept by its id. Exactly one of these holds: it has a gateway and/or
/// a device (`oif`), it is a `blackhole`, or it is a group (`group` not
/// empty); `fdb` marks a nexthop or group of the bridge forwarding database
/// (VXLAN), which has a gateway and no device.
///
/// Not to be confused with [`RouteHop`](crate::objects::RouteHop), one hop of a multipath
/// route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Nexthop {
    /// `NHA_ID`: its identity.
    pub id: u32,
    /// `nh_family`: the gateway's family (`AF_UNSPEC` for a group).
    pub family: u8,
    /// `nh_scope`: RT_SCOPE_*.
    pub scope: u8,
    /// `nh_protocol`: RTPROT_* of who installed it.
    pub protocol: u8,
    /// `nh_flags`: RTNH_F_* (see [`names::rt_flags`]).
    pub flags: u32,
    /// `NHA_OIF`: its device.
    pub oif: Option<u32>,
    /// `NHA_GATEWAY`: an address of the message's family.
    pub gateway: Option<IpAddr>,
    /// `NHA_BLACKHOLE`.
    pub blackhole: bool,
    /// `NHA_FDB`.
    pub fdb: bool,
    /// `NHA_GROUP`: the members of a group, in the kernel's order.
    pub group: Vec<NexthopGroupMember>,
    /// `NHA_GROUP_TYPE`: `NEXTHOP_GRP_TYPE_MPATH` (0) or `_RES` (1); groups
    /// only.
    pub group_type: Option<u16>,
    /// `NHA_RES_GROUP`: a resilient group's parameters.
    pub resilient: Option<ResilientGroup>,
    /// `NHA_ENCAP_TYPE` and `NHA_ENCAP`.
    pub encap: Option<NexthopEncap>,
    /// `NHA_HW_STATS_ENABLE` and `NHA_HW_STATS_USED` (groups, on kernels that
    /// have them): whether hardware statistics are enabled, and used.
    pub hw_stats: Option<(bool, bool)>,
}

/// A malformed attribute found after the walk (one whose meaning depends on
/// another attribute that may come later).
fn bad(kind: u16, len: usize) -> wire::Error {
    wire::Error::BadAttribute { kind, len }
}

impl Nexthop {
    /// Whether it is a group.
    pub fn is_group(&self) -> bool {
        !self.group.is_empty()
    }

    /// Decodes a nexthop message (see `Link::from_view` for the error rules): a
    /// missing or malformed `NHA_ID` fails it.
    #[inline]
    fn from_view(
        msg: &NexthopMessage<'_>,
        nh: &mut Nexthop,
        skipped: &mut u32,
    ) -> wire::Result<()> {
        nh.family = msg.family();
        nh.scope = msg.scope();
        nh.protocol = msg.protocol();
        nh.flags = msg.flags();
        let mut id = None;
        // Read after the walk: what they mean depends on attributes that may
        // come after them (NHA_OP_FLAGS, NHA_ENCAP_TYPE).
        let (mut group, mut encap, mut encap_type) = (None, None, None);
        let mut op_flags = 0;
        let mut hw_enabled = None;
        let mut hw_used = None;
        let family = nh.family;
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                NHA_ID => id = Some(key(attr.u32())?),
                NHA_GROUP => {
                    // Checked now, so that a malformed one is counted here.
                    nexthop_group(NHA_GROUP, attr.payload()).map(drop)?;
                    group = Some(attr.payload());
                }
                NHA_GROUP_TYPE => nh.group_type = Some(attr.u16()?),
                NHA_BLACKHOLE => nh.blackhole = true,
                NHA_FDB => nh.fdb = true,
                NHA_OIF => nh.oif = Some(attr.u32()?),
                NHA_GATEWAY => nh.gateway = Some(attr.ip_of(family)?),
                NHA_ENCAP_TYPE => encap_type = Some(attr.u16()?),
                NHA_ENCAP => encap = Some(attr),
                NHA_OP_FLAGS => op_flags = attr.u32()?,
                NHA_HW_STATS_ENABLE => hw_enabled = Some(attr.u32()? != 0),
                NHA_HW_STATS_USED => hw_used = Some(attr.u32()? != 0),
                NHA_RES_GROUP => nh.resilient = Some(resilient(&attr)?),
                _ => {}
            }
            Ok(())
        })?;
        nh.id = id.ok_or(bad(NHA_ID, 0))?;
        if let Some(payload) = group {
            let high = op_flags & NHA_OP_FLAG_RESP_GRP_RESVD_0 != 0;
            nh.group = nexthop_group(NHA_GROUP, payload)?
                .map(|e| NexthopGroupMember {
                    id: e.id,
                    weight: (u32::from(if high { e.weight_high } else { 0 }) << 8
                        | u32::from(e.weight))
                        + 1,
                })
                .collect();
        }
        if let Some(encap_type) = encap_type {
            match decode_encap(encap_type, encap) {
                Ok(e) => nh.encap = Some(e),
                Err(_) => *skipped += 1,
            }
        } else if encap.is_some() {
            // An encapsulation without its type means nothing.
            *skipped += 1;
        }
        nh.hw_stats = hw_enabled.map(|e| (e, hw_used.unwrap_or(false)));
        Ok(())
    }

    /// `ip nexthop`'s group text: `1/2,5` (member ids, `,weight` when above 1).
    fn group_text(&self) -> String {
        let mut s = String::new();
        for (i, m) in self.group.iter().enumerate() {
            if i > 0 {
                s.push('/');
            }
            s.push_str(itoa::Buffer::new().format(m.id));
            if m.weight > 1 {
                s.push(',');
                s.push_str(itoa::Buffer::new().format(m.weight));
            }
        }
        s
    }
}

/// `NHA_RES_GROUP`'s nested attributes.
fn resilient(a: &wire::Attr<'_>) -> Result<ResilientGroup, AttrError> {
    let mut r = ResilientGroup::default();
    for n in a.nested() {
        let n = n?;
        match n.kind() {
            NHA_RES_GROUP_BUCKETS => r.buckets = n.u16()?,
            NHA_RES_GROUP_IDLE_TIMER => r.idle_timer = n.u32()?,
            NHA_RES_GROUP_UNBALANCED_TIMER => r.unbalanced_timer = n.u32()?,
            NHA_RES_GROUP_UNBALANCED_TIME => r.unbalanced_time = n.u64()?,
            _ => {}
        }
    }
    Ok(r)
}

/// A `clock_t` (hundredths of a second) as `ip` prints it: seconds, to six
/// significant digits (`%g` of `__jiffies_to_tv`'s value).
pub(crate) fn clock_secs(centis: u64) -> f64 {
    let secs = (centis / 100) as f64 + ((centis % 100) * 10_000) as f64 / 1e6;
    format!("{secs:.5e}").parse().unwrap_or(secs)
}

/// `%g` as text, for text lines: `60`, `0.5`, `1.23457e+06`.
fn g_text(centis: u64) -> String {
    g(clock_secs(centis))
}

/// A number already rounded to six significant digits as C's `%g` writes
/// it: `60`, `0.5`, `1.23457e+06`.
pub(crate) fn g(v: f64) -> String {
    if v != 0.0 && !(1e-4..1e6).contains(&v) {
        let s = format!("{v:e}");
        // Rust writes `1.23457e6`; C writes `1.23457e+06`.
        match s.split_once('e') {
            Some((m, x)) => {
                let x: i32 = x.parse().unwrap_or(0);
                format!("{m}e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs())
            }
            None => s,
        }
    } else {
        v.to_string()
    }
}

impl Nested for NexthopGroupMember {
    fn fields(&self, f: &mut dyn Fields) {
        f.num(k!("id"), self.id.into());
        if self.weight > 1 {
            f.num(k!("weight"), self.weight.into());
        }
    }
}

impl Nested for ResilientGroup {
    fn fields(&self, f: &mut dyn Fields) {
        f.num(k!("buckets"), self.buckets.into());
        f.float(k!("idle_timer"), clock_secs(self.idle_timer.into()));
        f.float(
            k!("unbalanced_timer"),
            clock_secs(self.unbalanced_timer.into()),
        );
        f.float(k!("unbalanced_time"), clock_secs(self.unbalanced_time));
    }
}

/// `{"enabled":false,"used":false}`, as `ip -d -j nexthop` prints it.
struct HwStats(bool, bool);

impl Nested for HwStats {
    fn fields(&self, f: &mut dyn Fields) {
        f.bool(k!("enabled"), self.0);
        f.bool(k!("used"), self.1);
    }
}

impl Kind for Nexthop {
    const MESSAGES: [u16; 2] = [RTM_NEWNEXTHOP, RTM_DELNEXTHOP];
    const GROUPS: &'static [u32] = &[RTNLGRP_NEXTHOP];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETNEXTHOP,
        header_len: NHMSG_LEN,
        family: AF_UNSPEC,
    };
    type Key = u32;

    #[inline]
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        Nexthop::from_view(&NexthopMessage::new_checked(*msg)?, into, skipped)
    }

    /// The id: the kernel keys nexthops by it alone.
    fn key(&self) -> Option<u32> {
        Some(self.id)
    }

    /// All but a resilient group's unbalanced time, which grows by itself.
    fn same_state(&self, other: &Self) -> bool {
        let calm = |n: &Self| {
            n.resilient.map(|r| ResilientGroup {
                unbalanced_time: 0,
                ..r
            })
        };
        Nexthop {
            resilient: calm(self),
            ..self.clone()
        } == Nexthop {
            resilient: calm(other),
            ..other.clone()
        }
    }

    fn ifindex(&self) -> Option<u32> {
        self.oif
    }

    /// The gateway's family; `AF_UNSPEC` (0) for groups and blackholes.
    fn family(&self) -> Option<u8> {
        Some(self.family)
    }

    fn fields(&self, f: &mut impl Fields) {
        f.num(k!("id"), self.id.into());
        f.word(k!("family"), names::family(self.family));
        if !self.group.is_empty() {
            f.objects(
                k!("group"),
                &mut self.group.iter().map(|m| m as &dyn Nested),
            );
        }
        match self.group_type {
            None | Some(NEXTHOP_GRP_TYPE_MPATH) => {}
            Some(NEXTHOP_GRP_TYPE_RES) => f.word(k!("type"), "resilient"),
            Some(t) => f.num(k!("type"), t.into()),
        }
        if let Some(r) = &self.resilient {
            f.object(k!("resilient_args"), r);
        }
        if let Some(e) = &self.encap {
            f.object(k!("encap"), e);
        }
        if self.gateway.is_some() {
            f.ip(k!("gateway"), self.gateway);
        }
        if let Some(oif) = self.oif {
            f.num(k!("oif"), oif.into());
        }
        // `ip -j` leaves out a global scope and an unspec protocol, `ip -j
        // -d` (iproute2 6.1) writes them; later versions leave them out in
        // both.
        if f.details() || self.scope != RT_SCOPE_UNIVERSE {
            match names::scope(self.scope) {
                Some(s) => f.word(k!("scope"), s),
                None => f.str(k!("scope"), itoa::Buffer::new().format(self.scope)),
            }
        }
        if self.blackhole {
            f.null(k!("blackhole"));
        }
        if f.details() || self.protocol != RTPROT_UNSPEC {
            match names::protocol(self.protocol) {
                Some(p) => f.word(k!("protocol"), p),
                None => f.str(k!("protocol"), itoa::Buffer::new().format(self.protocol)),
            }
        }
        f.words(k!("flags"), &mut names::rt_flags(self.flags));
        if self.fdb {
            f.null(k!("fdb"));
        }
        if let Some((enabled, used)) = self.hw_stats {
            f.object(k!("hw_stats"), &HwStats(enabled, used));
        }
    }

    /// The device's name, as `dev`.
    fn name_fields(&self, own: Option<&Name>, _names: &dyn IfNames, f: &mut impl Fields) {
        if let Some(name) = own {
            f.name(k!("dev"), name);
        }
    }

    /// `id 10 group 1/2,5`, `id 1 via 10.0.0.2 dev veth0 scope link`, as
    /// `ip monitor nexthop` prints them.
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
        write!(out, " id {}", self.id)?;
        if !self.group.is_empty() {
            write!(out, " group {}", self.group_text())?;
        }
        match self.group_type {
            None | Some(NEXTHOP_GRP_TYPE_MPATH) => {}
            Some(NEXTHOP_GRP_TYPE_RES) => out.write_str(" type resilient")?,
            Some(t) => write!(out, " type {t}")?,
        }
        if let Some(r) = &self.resilient {
            write!(
                out,
                " buckets {} idle_timer {} unbalanced_timer {} unbalanced_time {}",
                r.buckets,
                g_text(r.idle_timer.into()),
                g_text(r.unbalanced_timer.into()),
                g_text(r.unbalanced_time)
            )?;
        }
        if let Some(e) = &self.encap {
            write!(out, " encap {e}")?;
        }
        if let Some(g) = self.gateway {
            write!(out, " via {g}")?;
        }
        if let Some(o) = self.oif {
            write!(out, " dev {}", dev_name(names, o))?;
        }
        if self.scope != RT_SCOPE_UNIVERSE {
            match names::scope(self.scope) {
                Some(s) => write!(out, " scope {s}")?,
                None => write!(out, " scope {}", self.scope)?,
            }
        }
        if self.blackhole {
            out.write_str(" blackhole")?;
        }
        if self.protocol != 0 {
            match names::protocol(self.protocol) {
                Some(p) => write!(out, " proto {p}")?,
                None => write!(out, " proto {}", self.protocol)?,
            }
        }
        for flag in names::rt_flags(self.flags) {
            write!(out, " {flag}")?;
        }
        if self.fdb {
            out.write_str(" fdb")?;
        }
        Ok(())
    }
}
