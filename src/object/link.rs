//! Links (network interfaces): `RTM_NEWLINK` / `RTM_DELLINK`, `struct ifinfomsg`
//! and its `IFLA_*` attributes. Everything nlwatch knows about links lives here:
//! the owned type, its decoding, its identity in the state view, its dump, its
//! groups, its JSON fields, its text line and the fields filters look at.

use super::compact::{HwAddr, Name};
use super::fields::{dev_name, k, opt_name, opt_num, Fields, IfNames};
use super::{hwaddr, name, names, walk, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, LinkMessage, NlMsg};
use std::fmt;

/// A network interface, from `RTM_NEWLINK` / `RTM_DELLINK`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Link {
    /// `ifi_family`: `AF_UNSPEC` (0) for the link itself; `AF_BRIDGE` (7) for the
    /// bridge-port view of it that bridges send on their own. A `del` of family 7
    /// means the link left a bridge, not that it was deleted.
    pub family: u8,
    /// `ifi_index`.
    pub ifindex: u32,
    /// `IFLA_IFNAME`.
    pub ifname: Option<Name>,
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
    pub kind: Option<Name>,
    /// `IFLA_INFO_SLAVE_KIND` inside `IFLA_LINKINFO`: the master's kind for a port.
    pub slave_kind: Option<Name>,
    /// `IFLA_TXQLEN`.
    pub txqlen: Option<u32>,
    /// `IFLA_ALT_IFNAME` entries inside `IFLA_PROP_LIST`.
    pub alt_names: Vec<Name>,
}

impl Link {
    /// Decodes a link message. Unknown attributes are skipped, malformed ones
    /// skipped and counted (a link is keyed by its header's index alone, so no
    /// attribute fails it; see `walk`).
    #[inline]
    fn from_view(msg: &LinkMessage<'_>, link: &mut Link, skipped: &mut u32) -> wire::Result<()> {
        link.family = msg.family();
        link.ifindex = msg.index();
        link.flags = msg.flags();
        link.change = msg.change();
        link.link_type = msg.link_type();
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                IFLA_IFNAME => link.ifname = Some(name(&attr)),
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
                            IFLA_INFO_KIND => link.kind = Some(name(&info)),
                            IFLA_INFO_SLAVE_KIND => link.slave_kind = Some(name(&info)),
                            _ => {}
                        }
                    }
                }
                IFLA_PROP_LIST => {
                    for prop in attr.nested() {
                        let prop = prop?;
                        if prop.kind() == IFLA_ALT_IFNAME {
                            link.alt_names.push(name(&prop));
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// Whether this is the link itself (`AF_UNSPEC`), not a bridge's view of one
    /// of its ports (`AF_BRIDGE`), which neither creates nor deletes a link.
    pub fn is_interface(&self) -> bool {
        self.family == AF_UNSPEC
    }

    /// Whether the link is administratively up (`IFF_UP`).
    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }
}

impl Kind for Link {
    const MESSAGES: [u16; 2] = [RTM_NEWLINK, RTM_DELLINK];
    const GROUPS: &'static [u32] = &[RTNLGRP_LINK];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETLINK,
        header_len: IFINFOMSG_LEN,
        family: AF_UNSPEC,
    };
    /// The ifindex.
    type Key = u32;

    #[inline]
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        Link::from_view(&LinkMessage::new_checked(*msg)?, into, skipped)
    }

    /// Only the link itself is kept, not a bridge's per-port messages.
    fn key(&self) -> Option<u32> {
        self.is_interface().then_some(self.ifindex)
    }

    /// All but the change mask, which only says how the link came to be.
    /// Destructured so that a new field cannot be forgotten.
    fn same_state(&self, b: &Self) -> bool {
        let Link {
            family,
            ifindex,
            ifname,
            flags,
            change: _,
            link_type,
            mtu,
            operstate,
            address,
            broadcast,
            master,
            link,
            link_netnsid,
            kind,
            slave_kind,
            txqlen,
            alt_names,
        } = self;
        (family, ifindex, ifname, flags, link_type, mtu, operstate)
            == (
                &b.family,
                &b.ifindex,
                &b.ifname,
                &b.flags,
                &b.link_type,
                &b.mtu,
                &b.operstate,
            )
            && (address, broadcast, master, link, link_netnsid)
                == (
                    &b.address,
                    &b.broadcast,
                    &b.master,
                    &b.link,
                    &b.link_netnsid,
                )
            && (kind, slave_kind, txqlen, alt_names)
                == (&b.kind, &b.slave_kind, &b.txqlen, &b.alt_names)
    }

    fn ifindex(&self) -> Option<u32> {
        Some(self.ifindex)
    }

    fn fields(&self, f: &mut impl Fields) {
        f.num(k!("ifindex"), self.ifindex.into());
        opt_name(f, k!("ifname"), &self.ifname);
        if self.family != AF_UNSPEC {
            f.word(k!("family"), names::family(self.family));
        }
        f.words(k!("flags"), &mut names::link_flags(self.flags));
        f.words(k!("change"), &mut names::link_flag_bits(self.change));
        opt_num(f, k!("mtu"), self.mtu);
        if let Some(s) = self.operstate {
            f.word(k!("operstate"), names::operstate(s));
        }
        f.num(k!("link_type_id"), self.link_type.into());
        if let Some(a) = &self.address {
            f.hw(k!("address"), a);
        }
        if let Some(a) = &self.broadcast {
            f.hw(k!("broadcast"), a);
        }
        opt_num(f, k!("master_index"), self.master);
        opt_num(f, k!("link_index"), self.link);
        if let Some(id) = self.link_netnsid {
            f.int(k!("link_netnsid"), id.into());
        }
        opt_name(f, k!("kind"), &self.kind);
        opt_name(f, k!("slave_kind"), &self.slave_kind);
        opt_num(f, k!("txqlen"), self.txqlen);
        if !self.alt_names.is_empty() {
            f.names(k!("altnames"), &self.alt_names);
        }
    }

    /// The master's and the peer's names; the link's own name is a field already.
    /// A peer in another namespace (`link_netnsid`) cannot be named from here.
    fn name_fields(&self, _own: Option<&Name>, names: &dyn IfNames, f: &mut impl Fields) {
        if let Some(name) = self.master.and_then(|i| names.name(i)) {
            f.name(k!("master"), &name);
        }
        if self.link_netnsid.is_none() {
            if let Some(name) = self.link.and_then(|i| names.name(i)) {
                f.name(k!("link"), &name);
            }
        }
    }

    /// `7: veth0@veth1 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP link/ether 02:00:00:00:00:01 kind veth`
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
        let dev = |i: u32| dev_name(names, i);
        match &self.ifname {
            Some(name) => write!(out, " {}: {name}", self.ifindex)?,
            None => write!(out, " {}: {}", self.ifindex, dev(self.ifindex))?,
        }
        if let Some(peer) = self.link {
            match self.link_netnsid {
                Some(_) => write!(out, "@if{peer}")?,
                None => write!(out, "@{}", dev(peer))?,
            }
        }
        out.write_str(" <")?;
        for (i, f) in names::link_flags(self.flags).enumerate() {
            if i > 0 {
                out.write_str(",")?;
            }
            out.write_str(f)?;
        }
        out.write_str(">")?;
        if let Some(mtu) = self.mtu {
            write!(out, " mtu {mtu}")?;
        }
        if let Some(m) = self.master {
            write!(out, " master {}", dev(m))?;
        }
        if let Some(s) = self.operstate {
            write!(out, " state {}", names::operstate(s))?;
        }
        if let Some(a) = &self.address {
            let kind = if self.link_type == ARPHRD_ETHER {
                "ether"
            } else {
                "addr"
            };
            write!(out, " link/{kind} {a}")?;
        }
        if let Some(k) = &self.kind {
            write!(out, " kind {k}")?;
        }
        Ok(())
    }
}
