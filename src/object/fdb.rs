//! The bridge forwarding database: `RTM_NEWNEIGH` / `RTM_DELNEIGH` of family
//! `AF_BRIDGE` (the same `struct ndmsg` as IP neighbours, which `neigh` keeps),
//! with the `NDA_*` attributes of bridge ports and VXLAN remotes. The owned type,
//! its decoding, its identity in the state view, its dump, its JSON fields (named
//! as `bridge -j fdb show` names them), its text line and the fields filters look
//! at.
//!
//! What the kernel tells, found by test on this kernel (`integration/fdb.rs`,
//! `state::randomized_changes_end_in_the_kernels_state`): entries learned or
//! added on a bridge port (`master`) and the remotes of a VXLAN device (`self`,
//! with `dst`) are announced when they come and go, including when their VXLAN
//! device is deleted. But when a port leaves its bridge (`nomaster`, or
//! deleted), its local entries (`permanent`: its own MAC, and those added
//! `permanent`) are pointed, without a word, at another port of the bridge
//! with the same MAC, or at the bridge itself when the bridge has it (the
//! kernel's `fdb_delete_local`); only the others are announced gone. `infer`
//! does the same to the view (announcing the moved entries as synthesized). Entries that come from a
//! device's own unicast and multicast address lists (`self`, no `dst`: the
//! `33:33:...` and `01:00:5e:...` groups every device joins) appear in dumps but
//! change without a word (joining a group announces nothing), so the state view
//! does not keep them: they would go silently wrong. Their notifications, when
//! there are any (`bridge fdb add ... self`), are still published.

use super::compact::{HwAddr, Name};
use super::fields::{dev_name, k, opt_ip, opt_num, Fields, IfNames};
use super::{hwaddr, key, walk, IpBits, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, NeighbourMessage, NlMsg};
use std::fmt;
use std::net::IpAddr;

/// A bridge forwarding database entry, from an `AF_BRIDGE` `RTM_NEWNEIGH` /
/// `RTM_DELNEIGH`: a MAC address on a bridge port (`master`), or a remote of a
/// VXLAN device (`self`, with `dst`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FdbEntry {
    /// `ndm_ifindex`: the port (or VXLAN device) the entry is on.
    pub ifindex: u32,
    /// `NDA_LLADDR`: the MAC address.
    pub mac: Option<HwAddr>,
    /// `NDA_DST`: a VXLAN remote's address (IPv4 or IPv6, by length).
    pub dst: Option<IpAddr>,
    /// `NDA_VLAN`: the VLAN id (0: none).
    pub vlan: u16,
    /// `NDA_PORT`: a VXLAN remote's UDP port.
    pub port: Option<u16>,
    /// `NDA_VNI`: a VXLAN remote's VNI.
    pub vni: Option<u32>,
    /// `NDA_SRC_VNI`: the VNI a remote is learned on (collect-metadata devices).
    pub src_vni: Option<u32>,
    /// `NDA_IFINDEX`: the interface a VXLAN remote is reached through.
    pub via: Option<u32>,
    /// `NDA_LINK_NETNSID`: the nsid of `via`'s namespace.
    pub link_netnsid: Option<i32>,
    /// `NDA_NH_ID`: the nexthop group a remote resolves through.
    pub nh_id: Option<u32>,
    /// `NDA_MASTER`: the bridge.
    pub master: Option<u32>,
    /// `ndm_state`: NUD_* bits (`permanent`, `static` = NOARP, `stale`, or
    /// reachable = learned).
    pub state: u16,
    /// `ndm_flags`: NTF_* bits (`self`, `master`, `extern_learn`, ...).
    pub flags: u8,
}

/// A database entry's identity, as the kernel's: a bridge's entry is one per
/// (bridge, MAC, VLAN) whatever its port (a station that moves, or a local
/// entry the kernel points at another port or at the bridge when its port
/// leaves, stays the same entry); a device's own (`self`) entry is one per
/// (device, MAC, VLAN) and, for VXLAN remotes (several per MAC), remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FdbKey {
    // The bridge (or the device of a `self` entry) first: its entries are one
    // range of the map, gone with it.
    owner: u32,
    master: bool,
    mac: Option<HwAddr>,
    vlan: u16,
    dst: IpBits,
    port: u16,
    vni: u32,
    via: u32,
}

impl FdbEntry {
    /// Decodes an `AF_BRIDGE` neighbour message (see `walk` for what a
    /// malformed attribute does; the MAC, VLAN and remote make the key).
    #[inline]
    fn from_view(
        msg: &NeighbourMessage<'_>,
        e: &mut FdbEntry,
        skipped: &mut u32,
    ) -> wire::Result<()> {
        e.ifindex = msg.ifindex();
        e.state = msg.state();
        e.flags = msg.flags();
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                NDA_LLADDR => e.mac = Some(key(hwaddr(&attr))?),
                // A VXLAN remote is IPv4 or IPv6, told by its length (the
                // message's family is AF_BRIDGE).
                NDA_DST => e.dst = Some(key(attr.ip())?),
                NDA_VLAN => e.vlan = key(attr.u16())?,
                NDA_PORT => e.port = Some(u16::from_be(key(attr.u16())?)),
                NDA_VNI => e.vni = Some(key(attr.u32())?),
                NDA_IFINDEX => e.via = Some(key(attr.u32())?),
                NDA_SRC_VNI => e.src_vni = Some(attr.u32()?),
                NDA_LINK_NETNSID => e.link_netnsid = Some(attr.i32()?),
                NDA_NH_ID => e.nh_id = Some(attr.u32()?),
                NDA_MASTER => e.master = Some(attr.u32()?),
                _ => {}
            }
            Ok(())
        })
    }

    /// The state as `bridge fdb` writes it: `permanent`, `static`, `stale`, `""`
    /// (reachable: learned), or `None` for other bits (written `state=0x..`).
    pub fn state_name(&self) -> Option<&'static str> {
        let s = self.state;
        if s & NUD_PERMANENT != 0 {
            Some("permanent")
        } else if s & NUD_NOARP != 0 {
            Some("static")
        } else if s & NUD_STALE != 0 {
            Some("stale")
        } else if s & NUD_REACHABLE != 0 {
            Some("")
        } else {
            None
        }
    }

    /// The flags `bridge -j fdb` lists, in its order.
    fn flag_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        const NAMES: [(u8, &str); 5] = [
            (NTF_SELF, "self"),
            (NTF_ROUTER, "router"),
            (NTF_EXT_LEARNED, "extern_learn"),
            (NTF_OFFLOADED, "offload"),
            (NTF_STICKY, "sticky"),
        ];
        NAMES
            .into_iter()
            .filter(move |(bit, _)| self.flags & bit != 0)
            .map(|(_, name)| name)
    }
}

impl Kind for FdbEntry {
    const MESSAGES: [u16; 2] = [RTM_NEWNEIGH, RTM_DELNEIGH];
    const GROUPS: &'static [u32] = &[RTNLGRP_NEIGH];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETNEIGH,
        header_len: NDMSG_LEN,
        family: AF_BRIDGE,
    };
    type Key = FdbKey;

    #[inline]
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        FdbEntry::from_view(&NeighbourMessage::new_checked(*msg)?, into, skipped)
    }

    /// `AF_BRIDGE` neighbour messages only (the rest are `neigh`'s).
    fn claims(msg: &NlMsg<'_>) -> bool {
        msg.payload().first() == Some(&AF_BRIDGE)
    }

    /// Entries of a device's own address lists (`self` without a remote) are not
    /// kept: they change without notifications (see the module docs).
    fn key(&self) -> Option<FdbKey> {
        if self.flags & NTF_SELF != 0 && self.dst.is_none() {
            return None;
        }
        let master = self.flags & NTF_SELF == 0;
        Some(FdbKey {
            owner: if master {
                self.master.unwrap_or(self.ifindex)
            } else {
                self.ifindex
            },
            master,
            mac: self.mac,
            vlan: self.vlan,
            dst: IpBits::of(self.dst),
            port: self.port.unwrap_or(0),
            vni: self.vni.unwrap_or(0),
            via: self.via.unwrap_or(0),
        })
    }

    fn same_state(&self, other: &Self) -> bool {
        self == other
    }

    /// A bridge's entries, and a device's own, are one range of keys: its
    /// ifindex leads the key. (A port's entries are the kernel's to announce
    /// gone, but for its local ones: see `infer`.)
    fn first_key_on_link(ifindex: u32) -> Option<FdbKey> {
        Some(FdbKey {
            owner: ifindex,
            master: false,
            mac: None,
            vlan: 0,
            dst: IpBits::ZERO,
            port: 0,
            vni: 0,
            via: 0,
        })
    }

    fn ifindex(&self) -> Option<u32> {
        Some(self.ifindex)
    }

    fn family(&self) -> Option<u8> {
        Some(AF_BRIDGE)
    }

    fn fields(&self, f: &mut impl Fields) {
        f.num(k!("ifindex"), self.ifindex.into());
        if let Some(mac) = &self.mac {
            f.hw(k!("mac"), mac);
        }
        opt_ip(f, k!("dst"), self.dst);
        if self.vlan != 0 {
            f.num(k!("vlan"), self.vlan.into());
        }
        opt_num(f, k!("port"), self.port);
        opt_num(f, k!("vni"), self.vni);
        opt_num(f, k!("src_vni"), self.src_vni);
        opt_num(f, k!("viaIfIndex"), self.via.filter(|&i| i != 0));
        if let Some(id) = self.link_netnsid {
            f.int(k!("linkNetNsId"), id.into());
        }
        opt_num(f, k!("nhid"), self.nh_id);
        f.words(k!("flags"), &mut self.flag_names());
        opt_num(f, k!("master_index"), self.master);
        match self.state_name() {
            Some(name) => f.word(k!("state"), name),
            None => f.str(k!("state"), &format!("state={:#x}", self.state)),
        }
    }

    /// The port's name as `ifname`, the interface a remote is reached through
    /// as `viaIf` (in this namespace only), and the bridge's as `master`.
    fn name_fields(&self, own: Option<&Name>, names: &dyn IfNames, f: &mut impl Fields) {
        if let Some(name) = own {
            f.name(k!("ifname"), name);
        }
        if self.link_netnsid.is_none() {
            if let Some(name) = self.via.and_then(|i| names.name(i)) {
                f.name(k!("viaIf"), &name);
            }
        }
        if let Some(name) = self.master.and_then(|i| names.name(i)) {
            f.name(k!("master"), &name);
        }
    }

    /// `02:00:00:00:00:aa dev v0 vlan 10 master br0 static`, as `bridge monitor`
    /// writes it.
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
        match &self.mac {
            Some(mac) => write!(out, " {mac}")?,
            None => out.write_str(" ?")?,
        }
        write!(out, " dev {}", dev_name(names, self.ifindex))?;
        if let Some(dst) = self.dst {
            write!(out, " dst {dst}")?;
        }
        if self.vlan != 0 {
            write!(out, " vlan {}", self.vlan)?;
        }
        if let Some(port) = self.port {
            write!(out, " port {port}")?;
        }
        if let Some(vni) = self.vni {
            write!(out, " vni {vni}")?;
        }
        if let Some(vni) = self.src_vni {
            write!(out, " src_vni {vni}")?;
        }
        if let Some(via) = self.via.filter(|&i| i != 0) {
            write!(out, " via {}", dev_name(names, via))?;
        }
        for flag in self.flag_names() {
            write!(out, " {flag}")?;
        }
        if let Some(master) = self.master {
            write!(out, " master {}", dev_name(names, master))?;
        }
        match self.state_name() {
            Some("") => Ok(()),
            Some(name) => write!(out, " {name}"),
            None => write!(out, " state={:#x}", self.state),
        }
    }
}
