//! IP neighbours (ARP and NDP entries): `RTM_NEWNEIGH` / `RTM_DELNEIGH` of
//! families `AF_INET` and `AF_INET6`, `struct ndmsg` and its `NDA_*` attributes
//! (the bridge forwarding database, family `AF_BRIDGE`, is `fdb`'s). The owned type, its decoding, its
//! identity in the state view, its dump, its groups, its JSON fields, its text
//! line and the fields filters look at.

use super::compact::{HwAddr, Name};
use super::fields::{dev_name, k, opt_ip, opt_num, write_lower, Fields, IfNames, IpText};
use super::{hwaddr, key, names, walk, IpBits, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, NeighbourMessage, NlMsg};
use std::fmt;
use std::net::IpAddr;

/// An IP neighbour (ARP / NDP) entry, from `RTM_NEWNEIGH` / `RTM_DELNEIGH`
/// (bridge forwarding database entries are [`FdbEntry`](crate::objects::FdbEntry)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
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

impl Neighbour {
    /// Decodes a neighbour message (see `Link::from_view` for the error rules).
    #[inline]
    fn from_view(
        msg: &NeighbourMessage<'_>,
        n: &mut Neighbour,
        skipped: &mut u32,
    ) -> wire::Result<()> {
        n.family = msg.family();
        n.ifindex = msg.ifindex();
        n.state = msg.state();
        n.flags = msg.flags();
        n.neigh_type = msg.neigh_type();
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                NDA_DST => n.dst = Some(key(attr.ip_of(n.family))?),
                NDA_LLADDR => n.lladdr = Some(hwaddr(&attr)?),
                NDA_MASTER => n.master = Some(attr.u32()?),
                _ => {}
            }
            Ok(())
        })
    }
}

/// A neighbour's identity: interface, family and address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NeighKey {
    // The interface first: a link's neighbours are one range of the map.
    ifindex: u32,
    family: u8,
    dst: IpBits,
}

impl Kind for Neighbour {
    const MESSAGES: [u16; 2] = [RTM_NEWNEIGH, RTM_DELNEIGH];
    const GROUPS: &'static [u32] = &[RTNLGRP_NEIGH];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETNEIGH,
        header_len: NDMSG_LEN,
        family: AF_UNSPEC,
    };
    type Key = NeighKey;

    #[inline]
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        Neighbour::from_view(&NeighbourMessage::new_checked(*msg)?, into, skipped)
    }

    /// `AF_BRIDGE` messages are the forwarding database's (`fdb`).
    fn claims(msg: &NlMsg<'_>) -> bool {
        msg.payload().first() != Some(&AF_BRIDGE)
    }

    /// Interface, family and destination.
    fn key(&self) -> Option<NeighKey> {
        Some(NeighKey {
            family: self.family,
            ifindex: self.ifindex,
            dst: IpBits::of(self.dst),
        })
    }

    fn same_state(&self, other: &Self) -> bool {
        self == other
    }

    /// A link's neighbours are one range of keys: its ifindex leads the key.
    fn first_key_on_link(ifindex: u32) -> Option<NeighKey> {
        Some(NeighKey {
            ifindex,
            family: 0,
            dst: IpBits::ZERO,
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
        opt_ip(f, k!("dst"), self.dst);
        if let Some(a) = &self.lladdr {
            f.hw(k!("lladdr"), a);
        }
        f.words(k!("state"), &mut names::nud_states(self.state));
        f.words(k!("flags"), &mut names::neigh_flags(self.flags));
        // `ip -j` writes these flags as keys of their own, `null` when set.
        for (bit, key) in [
            (NTF_ROUTER, k!("router")),
            (NTF_PROXY, k!("proxy")),
            (NTF_EXT_LEARNED, k!("extern_learn")),
            (NTF_OFFLOADED, k!("offload")),
        ] {
            if self.flags & bit != 0 {
                f.null(key);
            }
        }
        opt_num(f, k!("master_index"), self.master);
    }

    /// The interface's name, as `dev`.
    fn name_fields(&self, own: Option<&Name>, _names: &dyn IfNames, f: &mut impl Fields) {
        if let Some(name) = own {
            f.name(k!("dev"), name);
        }
    }

    /// `10.0.0.2 dev veth0 lladdr 02:00:00:00:00:02 PERMANENT`
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
        match self.dst {
            Some(d) => write!(out, " {}", IpText(d))?,
            None => out.write_str(" ?")?,
        }
        let dev = dev_name(names, self.ifindex);
        write!(out, " dev {dev}")?;
        if let Some(l) = &self.lladdr {
            write!(out, " lladdr {l}")?;
        }
        for f in names::neigh_flags(self.flags) {
            write_lower(out, f)?;
        }
        for s in names::nud_states(self.state) {
            write!(out, " {s}")?;
        }
        Ok(())
    }
}
