//! Addresses: `RTM_NEWADDR` / `RTM_DELADDR`, `struct ifaddrmsg` and its `IFA_*`
//! attributes, IPv4 and IPv6. The owned type, its decoding, its identity in the
//! state view, its dump, its groups, its JSON fields, its text line and the
//! fields filters look at.

use super::compact::Name;
use super::fields::{
    dev_name, k, opt_ip, opt_name, opt_num, word_or_num, write_lower, FieldName, Fields, IfNames,
    IpText,
};
use super::{key, name, names, walk, AttrError, IpBits, Kind};
use crate::wire::consts::*;
use crate::wire::{self, AddressMessage, Dump, NlMsg};
use std::fmt;
use std::net::IpAddr;

/// An IPv4 or IPv6 address, from `RTM_NEWADDR` / `RTM_DELADDR`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
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
    pub label: Option<Name>,
    /// Valid lifetime in seconds from `IFA_CACHEINFO`; `u32::MAX` means forever.
    pub valid_lft: Option<u32>,
    /// Preferred lifetime in seconds from `IFA_CACHEINFO`; `u32::MAX` means forever.
    pub preferred_lft: Option<u32>,
    /// `IFA_RT_PRIORITY`: the metric of the prefix route the address makes
    /// (`ip addr add ... metric N`).
    pub metric: Option<u32>,
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

    /// Decodes an address message (see `Link::from_view` for the error rules).
    #[inline]
    fn from_view(
        msg: &AddressMessage<'_>,
        addr: &mut Address,
        skipped: &mut u32,
    ) -> wire::Result<()> {
        let family = msg.family();
        addr.family = family;
        addr.prefix_len = msg.prefix_len();
        addr.flags = msg.flags() as u32;
        addr.scope = msg.scope();
        addr.ifindex = msg.index();
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                // Addresses of the message's family (not told apart by length).
                IFA_LOCAL => addr.local = Some(key(attr.ip_of(family))?),
                IFA_ADDRESS => addr.address = Some(key(attr.ip_of(family))?),
                IFA_BROADCAST => addr.broadcast = Some(attr.ip_of(family)?),
                IFA_LABEL => addr.label = Some(name(&attr)),
                IFA_FLAGS => addr.flags = attr.u32()?,
                IFA_RT_PRIORITY => addr.metric = Some(attr.u32()?),
                IFA_CACHEINFO => {
                    let p = attr.payload();
                    if p.len() < IFA_CACHEINFO_LEN {
                        return Err(AttrError::Skip);
                    }
                    // struct ifa_cacheinfo { ifa_prefered, ifa_valid, cstamp, tstamp }
                    addr.preferred_lft = Some(u32::from_ne_bytes([p[0], p[1], p[2], p[3]]));
                    addr.valid_lft = Some(u32::from_ne_bytes([p[4], p[5], p[6], p[7]]));
                }
                _ => {}
            }
            Ok(())
        })
    }
}

/// An address's identity. Plain integers, so comparing keys (the maps compare
/// them at every lookup) is a handful of machine compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct AddrKey {
    // The interface first: a link's addresses are one range of the map.
    ifindex: u32,
    family: u8,
    local: IpBits,
    prefix_len: u8,
    /// IPv4: the peer's prefix (`IFA_ADDRESS` masked by the prefix length),
    /// which the kernel also tells addresses apart by: one local address
    /// may have several peers (`ip addr add 10.1.1.1/32 peer 10.1.1.2`, then
    /// `peer 10.1.1.3`). Zero without a peer, and for IPv6, whose addresses
    /// are one per local address on a link.
    peer: IpBits,
}

/// The `IFA_F_*` bits `ip -j` writes as keys, in its order (iproute2's
/// `ifa_flag_data`).
const IP_FLAG_KEYS: &[(u32, FieldName)] = &[
    (IFA_F_SECONDARY, k!("secondary")),
    (0x02, k!("nodad")),
    (0x04, k!("optimistic")),
    (IFA_F_DADFAILED, k!("dadfailed")),
    (0x10, k!("home")),
    (0x20, k!("deprecated")),
    (IFA_F_TENTATIVE, k!("tentative")),
    (IFA_F_PERMANENT, k!("permanent")),
    (0x100, k!("mngtmpaddr")),
    (0x200, k!("noprefixroute")),
    (0x400, k!("autojoin")),
    (0x800, k!("stable-privacy")),
];

impl Kind for Address {
    const MESSAGES: [u16; 2] = [RTM_NEWADDR, RTM_DELADDR];
    const GROUPS: &'static [u32] = &[RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETADDR,
        header_len: IFADDRMSG_LEN,
        family: AF_UNSPEC,
    };
    type Key = AddrKey;

    #[inline]
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        Address::from_view(&AddressMessage::new_checked(*msg)?, into, skipped)
    }

    /// Interface, family, address, prefix length and (IPv4) the peer's
    /// prefix, as the kernel keys them (`__inet_insert_ifa`, `inet_ifa_match`).
    fn key(&self) -> Option<AddrKey> {
        let peer = match self.peer() {
            Some(IpAddr::V4(p)) if self.family == AF_INET => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix_len.min(32)))
                    .unwrap_or(0);
                IpBits::of(Some(IpAddr::V4((u32::from(p) & mask).into())))
            }
            _ => IpBits::ZERO,
        };
        Some(AddrKey {
            family: self.family,
            ifindex: self.ifindex,
            local: IpBits::of(self.primary()),
            prefix_len: self.prefix_len,
            peer,
        })
    }

    /// All but the lifetimes, which tick by themselves.
    fn same_state(&self, b: &Self) -> bool {
        let Address {
            family,
            prefix_len,
            flags,
            scope,
            ifindex,
            local,
            address,
            broadcast,
            label,
            valid_lft: _,
            preferred_lft: _,
            metric,
        } = self;
        (family, prefix_len, flags, scope, ifindex, metric)
            == (
                &b.family,
                &b.prefix_len,
                &b.flags,
                &b.scope,
                &b.ifindex,
                &b.metric,
            )
            && (local, address, broadcast, label) == (&b.local, &b.address, &b.broadcast, &b.label)
    }

    /// A link's addresses are one range of keys: its ifindex leads the key.
    fn first_key_on_link(ifindex: u32) -> Option<AddrKey> {
        Some(AddrKey {
            ifindex,
            family: 0,
            local: IpBits::ZERO,
            prefix_len: 0,
            peer: IpBits::ZERO,
        })
    }

    fn ifindex(&self) -> Option<u32> {
        Some(self.ifindex)
    }

    fn family(&self) -> Option<u8> {
        Some(self.family)
    }

    fn fields(&self, f: &mut impl Fields) {
        f.num(k!("ifindex"), self.ifindex.into());
        f.word(k!("family"), names::family(self.family));
        opt_ip(f, k!("local"), self.primary());
        opt_ip(f, k!("address"), self.peer());
        f.num(k!("prefixlen"), self.prefix_len.into());
        opt_num(f, k!("metric"), self.metric);
        opt_ip(f, k!("broadcast"), self.broadcast);
        word_or_num(f, k!("scope"), names::scope(self.scope), self.scope);
        opt_name(f, k!("label"), &self.label);
        f.words(k!("flags"), &mut names::addr_flags(self.flags));
        // `ip -j` writes the same flags as keys of their own (`"nodad":true`),
        // and the absence of `PERMANENT` as `"dynamic":true`.
        for &(bit, key) in IP_FLAG_KEYS {
            let set = self.flags & bit != 0;
            match bit {
                IFA_F_PERMANENT if !set => f.bool(k!("dynamic"), true),
                IFA_F_SECONDARY if set && self.family == AF_INET6 => f.bool(k!("temporary"), true),
                IFA_F_PERMANENT => {}
                _ if set => f.bool(key, true),
                _ => {}
            }
        }
        opt_num(f, k!("valid_life_time"), self.valid_lft);
        opt_num(f, k!("preferred_life_time"), self.preferred_lft);
    }

    /// The interface's name, as `ifname`.
    fn name_fields(&self, own: Option<&Name>, _names: &dyn IfNames, f: &mut impl Fields) {
        if let Some(name) = own {
            f.name(k!("ifname"), name);
        }
    }

    /// `7: veth0 inet 10.0.0.1/24 brd 10.0.0.255 scope global veth0:a`
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
        let dev = dev_name(names, self.ifindex);
        let fam = if self.family == AF_INET6 {
            "inet6"
        } else {
            "inet"
        };
        write!(out, " {}: {dev} {fam}", self.ifindex)?;
        if let Some(p) = self.primary() {
            write!(out, " {}", IpText(p))?;
        }
        if let Some(peer) = self.peer() {
            write!(out, " peer {}", IpText(peer))?;
        }
        write!(out, "/{}", self.prefix_len)?;
        if let Some(m) = self.metric {
            write!(out, " metric {m}")?;
        }
        if let Some(b) = self.broadcast {
            write!(out, " brd {}", IpText(b))?;
        }
        match names::scope(self.scope) {
            Some(s) => write!(out, " scope {s}")?,
            None => write!(out, " scope {}", self.scope)?,
        }
        for f in names::addr_flags(self.flags) {
            write_lower(out, f)?;
        }
        if let Some(l) = &self.label {
            write!(out, " {l}")?;
        }
        Ok(())
    }
}
