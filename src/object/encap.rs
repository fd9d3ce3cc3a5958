//! What routes, their hops and nexthop objects share: lightweight tunnel
//! encapsulations ([`NexthopEncap`]) and MPLS label stacks ([`MplsLabel`]),
//! decoded from the nested attributes that carry them and written as `ip`
//! writes them.
//!
//! This module never decodes a whole message: the kinds that carry these
//! hand it the attributes.

use super::fields::{k, Fields, Nested};
use super::names;
use crate::wire;
use crate::wire::consts::*;
use std::fmt;
use std::net::IpAddr;

/// One entry of an MPLS label stack (`struct mpls_label`): what `AF_MPLS` routes
/// have for addresses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MplsLabel {
    /// The 20-bit label.
    pub label: u32,
    /// The 3-bit traffic class.
    pub tc: u8,
    /// Bottom of stack: the last entry of its stack.
    pub bos: bool,
    /// Time to live.
    pub ttl: u8,
}

impl MplsLabel {
    /// An entry from its 32-bit value (host order):
    /// `label << 12 | tc << 9 | bos << 8 | ttl`.
    pub fn from_entry(entry: u32) -> MplsLabel {
        MplsLabel {
            label: entry >> MPLS_LS_LABEL_SHIFT,
            tc: ((entry >> MPLS_LS_TC_SHIFT) & 0x7) as u8,
            bos: (entry >> MPLS_LS_S_SHIFT) & 1 == 1,
            ttl: entry as u8,
        }
    }

    /// The entry's 32-bit value (host order).
    pub fn entry(self) -> u32 {
        (self.label & 0xf_ffff) << MPLS_LS_LABEL_SHIFT
            | u32::from(self.tc & 0x7) << MPLS_LS_TC_SHIFT
            | u32::from(self.bos) << MPLS_LS_S_SHIFT
            | u32::from(self.ttl)
    }
}

/// A label stack as `ip route` prints it: the labels joined by `/`, up to the
/// bottom of stack (`300`, `300/400`).
pub(crate) fn mpls_stack(labels: &[MplsLabel]) -> String {
    let mut s = String::new();
    for l in labels {
        if !s.is_empty() {
            s.push('/');
        }
        s.push_str(itoa::Buffer::new().format(l.label));
        if l.bos {
            break;
        }
    }
    s
}

/// A lightweight tunnel encapsulation (`NHA_ENCAP_TYPE`, `NHA_ENCAP` of a
/// nexthop object; `RTA_ENCAP_TYPE`, `RTA_ENCAP` of a route or hop). The
/// fields of `mpls`, `ip` and `ip6` are decoded; other types keep their type
/// alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NexthopEncap {
    /// `LWTUNNEL_ENCAP_*` (see [`names::encap_type`]).
    pub encap_type: u16,
    /// `mpls`: the labels pushed (`MPLS_IPTUNNEL_DST`).
    pub labels: Vec<MplsLabel>,
    /// `ip` / `ip6`: the tunnel id (`LWTUNNEL_IP_ID`, host order).
    pub id: Option<u64>,
    /// `ip` / `ip6`: the tunnel's source.
    pub src: Option<IpAddr>,
    /// `ip` / `ip6`: the tunnel's destination.
    pub dst: Option<IpAddr>,
    /// `mpls` and `ip`: the TTL; `ip6`: the hop limit.
    pub ttl: Option<u8>,
    /// `ip`: the TOS; `ip6`: the traffic class.
    pub tos: Option<u8>,
}

/// `NHA_ENCAP`'s (or a route's `RTA_ENCAP`'s) nested attributes, read by
/// the encapsulation's type.
pub(crate) fn decode_encap(
    encap_type: u16,
    encap: Option<wire::Attr<'_>>,
) -> wire::Result<NexthopEncap> {
    let mut e = NexthopEncap {
        encap_type,
        ..NexthopEncap::default()
    };
    let Some(encap) = encap else { return Ok(e) };
    let family = match encap_type {
        LWTUNNEL_ENCAP_IP => AF_INET,
        LWTUNNEL_ENCAP_IP6 => AF_INET6,
        LWTUNNEL_ENCAP_MPLS => {
            for a in encap.nested() {
                let a = a?;
                match a.kind() {
                    MPLS_IPTUNNEL_DST => {
                        e.labels = a.mpls_entries()?.map(MplsLabel::from_entry).collect()
                    }
                    MPLS_IPTUNNEL_TTL => e.ttl = Some(a.u8()?),
                    _ => {}
                }
            }
            return Ok(e);
        }
        _ => return Ok(e),
    };
    for a in encap.nested() {
        let a = a?;
        match a.kind() {
            // Sent in network byte order (a tunnel key).
            LWTUNNEL_IP_ID => e.id = Some(u64::from_be(a.u64()?)),
            LWTUNNEL_IP_DST => e.dst = Some(a.ip_of(family)?),
            LWTUNNEL_IP_SRC => e.src = Some(a.ip_of(family)?),
            LWTUNNEL_IP_TTL => e.ttl = Some(a.u8()?),
            LWTUNNEL_IP_TOS => e.tos = Some(a.u8()?),
            _ => {}
        }
    }
    Ok(e)
}

/// As iproute2 6.x prints it (`"encap":{"encap_type":"mpls","dst":"100"}`;
/// iproute2 6.1 wrote the same fields without the nesting).
impl Nested for NexthopEncap {
    fn fields(&self, f: &mut dyn Fields) {
        f.word(k!("encap_type"), names::encap_type(self.encap_type));
        if self.encap_type == LWTUNNEL_ENCAP_MPLS {
            if !self.labels.is_empty() {
                f.str(k!("dst"), &mpls_stack(&self.labels));
            }
            if let Some(t) = self.ttl {
                f.num(k!("ttl"), t.into());
            }
            return;
        }
        let v6 = self.encap_type == LWTUNNEL_ENCAP_IP6;
        if let Some(id) = self.id {
            f.num(k!("id"), id);
        }
        if self.src.is_some() {
            f.ip(k!("src"), self.src);
        }
        if self.dst.is_some() {
            f.ip(k!("dst"), self.dst);
        }
        if let Some(t) = self.ttl {
            f.num(if v6 { k!("hoplimit") } else { k!("ttl") }, t.into());
        }
        if let Some(t) = self.tos {
            f.num(if v6 { k!("tc") } else { k!("tos") }, t.into());
        }
    }
}

impl fmt::Display for NexthopEncap {
    /// `mpls 100 ttl 5`, `ip id 5 src 0.0.0.0 dst 10.0.0.7 ttl 0 tos 0`.
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.write_str(names::encap_type(self.encap_type))?;
        if !self.labels.is_empty() {
            write!(out, " {}", mpls_stack(&self.labels))?;
        }
        let v6 = self.encap_type == LWTUNNEL_ENCAP_IP6;
        if let Some(id) = self.id {
            write!(out, " id {id}")?;
        }
        if let Some(s) = self.src {
            write!(out, " src {s}")?;
        }
        if let Some(d) = self.dst {
            write!(out, " dst {d}")?;
        }
        if let Some(t) = self.ttl {
            write!(out, " {} {t}", if v6 { "hoplimit" } else { "ttl" })?;
        }
        if let Some(t) = self.tos {
            write!(out, " {} {t}", if v6 { "tc" } else { "tos" })?;
        }
        Ok(())
    }
}
