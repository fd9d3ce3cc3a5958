//! Links (network interfaces): `RTM_NEWLINK` / `RTM_DELLINK`, `struct ifinfomsg`
//! and its `IFLA_*` attributes. Everything nlwatch knows about links lives here:
//! the owned type, its decoding, its identity in the state view, its dump, its
//! groups, its JSON fields, its text line and the fields filters look at.

use super::compact::{HwAddr, Name};
use super::fields::{dev_name, group_field, k, opt_name, opt_num, FieldName, Fields, IfNames};
use super::link_info::LinkInfo;
pub use super::link_info::LinkData;
use super::{hwaddr, name, names, walk, AttrError, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, LinkMessage, NlMsg};
use std::fmt;
use std::sync::Arc;

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
    /// What `ip -d` shows beyond the above (queueing discipline, limits,
    /// kind-specific data): out of line, so that an event of any kind stays
    /// small, and shared (the state view keeps one copy of alike details).
    /// `None` when the message carried none of it.
    pub details: Option<Arc<LinkDetails>>,
}

/// The part of a [`Link`] `ip -d link show` adds: set by the kernel on every
/// link message, read by few consumers, kept out of line and packed (the
/// numbers as one array with a presence mask, the rarer kind-specific data
/// boxed once more): every link of the state view carries one. Shared
/// (`Arc`): links made alike have the same details, and the state view keeps
/// one copy of each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LinkDetails {
    /// `IFLA_QDISC`: the root queueing discipline (`noqueue`, `noop`, ...).
    pub qdisc: Option<Name>,
    values: [u32; Detail::COUNT],
    present: u16,
    data: Option<Box<KindData>>,
}

/// What few links have: `IFLA_INFO_DATA`, `IFLA_INFO_SLAVE_DATA` (or a
/// bridge's per-port message's `IFLA_PROTINFO`, the same attributes) and
/// `IFLA_IFALIAS`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct KindData {
    info: Option<LinkData>,
    slave: Option<LinkData>,
    alias: Option<Name>,
}

/// The numbers a [`LinkDetails`] holds, each from one `IFLA_*` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detail {
    /// `IFLA_LINKMODE`: `IF_LINK_MODE_*` (see [`names::linkmode`]).
    Linkmode,
    /// `IFLA_GROUP`: the device group (0 is `default`).
    Group,
    /// `IFLA_PROMISCUITY`: how many times promiscuous mode was asked for.
    Promiscuity,
    /// `IFLA_ALLMULTI`: how many times all-multicast mode was asked for.
    Allmulti,
    /// `IFLA_MIN_MTU`: the smallest MTU the device accepts.
    MinMtu,
    /// `IFLA_MAX_MTU`: the largest MTU the device accepts.
    MaxMtu,
    /// `IFLA_NUM_TX_QUEUES`.
    NumTxQueues,
    /// `IFLA_NUM_RX_QUEUES`.
    NumRxQueues,
    /// `IFLA_GSO_MAX_SIZE`.
    GsoMaxSize,
    /// `IFLA_GSO_MAX_SEGS`.
    GsoMaxSegs,
    /// `IFLA_TSO_MAX_SIZE`.
    TsoMaxSize,
    /// `IFLA_TSO_MAX_SEGS`.
    TsoMaxSegs,
    /// `IFLA_GRO_MAX_SIZE`.
    GroMaxSize,
    /// `IFLA_GSO_IPV4_MAX_SIZE`.
    GsoIpv4MaxSize,
    /// `IFLA_GRO_IPV4_MAX_SIZE`.
    GroIpv4MaxSize,
    /// `IFLA_INET6_ADDR_GEN_MODE` inside `IFLA_AF_SPEC`: how IPv6 link-local
    /// addresses are made (see [`names::addr_gen_mode`]).
    AddrGenMode,
}

impl Detail {
    const COUNT: usize = 16;
}

impl LinkDetails {
    /// The value of `d`, when the kernel sent it.
    pub fn get(&self, d: Detail) -> Option<u32> {
        (self.present & (1 << d as u16) != 0).then(|| self.values[d as usize])
    }

    /// Sets `d` (what decoding does; also for building events in tests).
    pub fn set(&mut self, d: Detail, v: u32) {
        self.values[d as usize] = v;
        self.present |= 1 << d as u16;
    }

    /// `IFLA_INFO_DATA` inside `IFLA_LINKINFO`, for the kinds nlwatch
    /// describes (bridge, VXLAN, macvlan, macvtap).
    pub fn info_data(&self) -> Option<&LinkData> {
        self.data.as_ref().and_then(|d| d.info.as_ref())
    }

    /// `IFLA_INFO_SLAVE_DATA` inside `IFLA_LINKINFO`: a bridge port's
    /// settings. In a bridge's per-port message (family `AF_BRIDGE`), its
    /// `IFLA_PROTINFO`: the same settings.
    pub fn slave_data(&self) -> Option<&LinkData> {
        self.data.as_ref().and_then(|d| d.slave.as_ref())
    }

    /// `IFLA_IFALIAS`: the alias a user gave the link (`ip link set DEV
    /// alias TEXT`), any bytes.
    pub fn ifalias(&self) -> Option<&Name> {
        self.data.as_ref().and_then(|d| d.alias.as_ref())
    }

    /// The rare part, made when first needed.
    fn data_mut(&mut self) -> &mut KindData {
        self.data.get_or_insert_with(Default::default)
    }

    /// Replaces the bridge port settings (what a bridge's per-port message
    /// says of its port: see the state view).
    pub(crate) fn set_slave_data(&mut self, slave: LinkData) {
        self.data_mut().slave = Some(slave);
    }
}

impl Link {
    /// The fields `ip -j -d` adds to `ip -j`'s, in its order.
    fn detail_fields(&self, f: &mut impl Fields) {
        let none = LinkDetails::default();
        let d = self.details.as_deref().unwrap_or(&none);
        opt_num(f, k!("promiscuity"), d.get(Detail::Promiscuity));
        opt_num(f, k!("allmulti"), d.get(Detail::Allmulti));
        opt_num(f, k!("min_mtu"), d.get(Detail::MinMtu));
        opt_num(f, k!("max_mtu"), d.get(Detail::MaxMtu));
        if self.kind.is_some() || self.slave_kind.is_some() {
            f.object(
                k!("linkinfo"),
                &LinkInfo {
                    kind: self.kind.as_ref(),
                    data: d.info_data(),
                    slave_kind: self.slave_kind.as_ref(),
                    slave_data: d.slave_data(),
                },
            );
        }
        if let Some(m) = d.get(Detail::AddrGenMode).map(|m| m as u8) {
            match names::addr_gen_mode(m) {
                Some(name) => f.word(k!("inet6_addr_gen_mode"), name),
                None => f.num(k!("inet6_addr_gen_mode"), m.into()),
            }
        }
        opt_num(f, k!("num_tx_queues"), d.get(Detail::NumTxQueues));
        opt_num(f, k!("num_rx_queues"), d.get(Detail::NumRxQueues));
        for (key, detail) in OFFLOAD {
            opt_num(f, key, d.get(detail));
        }
    }

    /// Decodes a link message. Unknown attributes are skipped, malformed ones
    /// skipped and counted (a link is keyed by its header's index alone, so no
    /// attribute fails it; see `walk`).
    #[inline]
    fn from_view(msg: &LinkMessage<'_>, link: &mut Link, skipped: &mut u32) -> wire::Result<()> {
        // Built here and shared once at the end: `Arc::make_mut` on every
        // attribute cost an atomic operation each (3 % of a replay's time).
        fn details(d: &mut Option<LinkDetails>) -> &mut LinkDetails {
            d.get_or_insert_with(Default::default)
        }
        let mut d = link.details.take().map(Arc::unwrap_or_clone);
        link.family = msg.family();
        link.ifindex = msg.index();
        link.flags = msg.flags();
        link.change = msg.change();
        link.link_type = msg.link_type();
        let walked = walk(msg.attrs(), skipped, |attr| {
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
                // The kernel sends none for an empty alias.
                IFLA_IFALIAS => details(&mut d).data_mut().alias = Some(name(&attr)),
                // A bridge's per-port message: the port's settings, which
                // `IFLA_INFO_SLAVE_DATA` of the port link holds too.
                IFLA_PROTINFO if link.family == AF_BRIDGE => {
                    let mut bad = 0;
                    if let Some(slave) = LinkData::slave(b"bridge", &attr, &mut bad) {
                        details(&mut d).data_mut().slave = Some(slave);
                    }
                    if bad > 0 {
                        return Err(AttrError::Skip);
                    }
                }
                IFLA_QDISC => details(&mut d).qdisc = Some(name(&attr)),
                IFLA_LINKMODE => details(&mut d).set(Detail::Linkmode, attr.u8()?.into()),
                IFLA_GROUP => details(&mut d).set(Detail::Group, attr.u32()?),
                IFLA_PROMISCUITY => details(&mut d).set(Detail::Promiscuity, attr.u32()?),
                IFLA_ALLMULTI => details(&mut d).set(Detail::Allmulti, attr.u32()?),
                IFLA_MIN_MTU => details(&mut d).set(Detail::MinMtu, attr.u32()?),
                IFLA_MAX_MTU => details(&mut d).set(Detail::MaxMtu, attr.u32()?),
                IFLA_NUM_TX_QUEUES => details(&mut d).set(Detail::NumTxQueues, attr.u32()?),
                IFLA_NUM_RX_QUEUES => details(&mut d).set(Detail::NumRxQueues, attr.u32()?),
                IFLA_GSO_MAX_SIZE => details(&mut d).set(Detail::GsoMaxSize, attr.u32()?),
                IFLA_GSO_MAX_SEGS => details(&mut d).set(Detail::GsoMaxSegs, attr.u32()?),
                IFLA_TSO_MAX_SIZE => details(&mut d).set(Detail::TsoMaxSize, attr.u32()?),
                IFLA_TSO_MAX_SEGS => details(&mut d).set(Detail::TsoMaxSegs, attr.u32()?),
                IFLA_GRO_MAX_SIZE => details(&mut d).set(Detail::GroMaxSize, attr.u32()?),
                IFLA_GSO_IPV4_MAX_SIZE => details(&mut d).set(Detail::GsoIpv4MaxSize, attr.u32()?),
                IFLA_GRO_IPV4_MAX_SIZE => details(&mut d).set(Detail::GroIpv4MaxSize, attr.u32()?),
                IFLA_AF_SPEC => {
                    for af in attr.nested() {
                        let af = af?;
                        if af.kind() != u16::from(AF_INET6) {
                            continue;
                        }
                        for a in af.nested() {
                            let a = a?;
                            if a.kind() == IFLA_INET6_ADDR_GEN_MODE {
                                details(&mut d).set(Detail::AddrGenMode, a.u8()?.into());
                            }
                        }
                    }
                }
                IFLA_LINKINFO => {
                    // The data follows its kind, but is looked up by it: take
                    // the kinds first.
                    let (mut data, mut slave_data) = (None, None);
                    for info in attr.nested() {
                        let info = info?;
                        match info.kind() {
                            IFLA_INFO_KIND => link.kind = Some(name(&info)),
                            IFLA_INFO_SLAVE_KIND => link.slave_kind = Some(name(&info)),
                            IFLA_INFO_DATA => data = Some(info),
                            IFLA_INFO_SLAVE_DATA => slave_data = Some(info),
                            _ => {}
                        }
                    }
                    let mut bad = 0;
                    let info = match (&link.kind, data) {
                        (Some(kind), Some(d)) => LinkData::info(kind.as_bytes(), &d, &mut bad),
                        _ => None,
                    };
                    let slave = match (&link.slave_kind, slave_data) {
                        (Some(kind), Some(d)) => LinkData::slave(kind.as_bytes(), &d, &mut bad),
                        _ => None,
                    };
                    if info.is_some() || slave.is_some() {
                        let data = details(&mut d).data_mut();
                        data.info = info;
                        data.slave = slave;
                    }
                    if bad > 0 {
                        return Err(AttrError::Skip);
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
        });
        link.details = d.map(Arc::new);
        walked
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

/// The offload limits, in `ip -d`'s order, with their names.
const OFFLOAD: [(FieldName, Detail); 7] = [
    (k!("gso_max_size"), Detail::GsoMaxSize),
    (k!("gso_max_segs"), Detail::GsoMaxSegs),
    (k!("tso_max_size"), Detail::TsoMaxSize),
    (k!("tso_max_segs"), Detail::TsoMaxSegs),
    (k!("gro_max_size"), Detail::GroMaxSize),
    (k!("gso_ipv4_max_size"), Detail::GsoIpv4MaxSize),
    (k!("gro_ipv4_max_size"), Detail::GroIpv4MaxSize),
];

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
            details,
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
            && details == &b.details
    }

    fn ifindex(&self) -> Option<u32> {
        Some(self.ifindex)
    }

    /// In `ip -j -d link show`'s order, with its names; nlwatch's own
    /// additions (`change`, `master_index`, `link_index`, `link_netnsid`'s
    /// peer index) beside them.
    fn fields(&self, f: &mut impl Fields) {
        f.num(k!("ifindex"), self.ifindex.into());
        opt_name(f, k!("ifname"), &self.ifname);
        if self.family != AF_UNSPEC {
            f.word(k!("family"), names::family(self.family));
        }
        f.words(k!("flags"), &mut names::link_flags(self.flags));
        // A new link's change mask is all ones: it says nothing then, and
        // would be the longest list of the line.
        if self.change != u32::MAX {
            f.words(k!("change"), &mut names::link_flag_bits(self.change));
        }
        let none = LinkDetails::default();
        let d = self.details.as_deref().unwrap_or(&none);
        opt_num(f, k!("mtu"), self.mtu);
        opt_name(f, k!("qdisc"), &d.qdisc);
        if let Some(s) = self.operstate {
            f.word(k!("operstate"), names::operstate(s));
        }
        if let Some(m) = d.get(Detail::Linkmode).map(|m| m as u8) {
            match names::linkmode(m) {
                Some(name) => f.word(k!("linkmode"), name),
                None => f.num(k!("linkmode"), m.into()),
            }
        }
        if let Some(g) = d.get(Detail::Group) {
            group_field(f, k!("group"), g.into());
        }
        opt_num(f, k!("txqlen"), self.txqlen);
        match names::link_type(self.link_type) {
            Some(name) => f.word(k!("link_type"), name),
            None => f.str(k!("link_type"), &format!("[{}]", self.link_type)),
        }
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
        if f.details() {
            self.detail_fields(f);
        }
        if !self.alt_names.is_empty() {
            f.names(k!("altnames"), &self.alt_names);
        }
        if let Some(alias) = d.ifalias() {
            f.name(k!("ifalias"), alias);
        }
    }

    /// A link's are everything `ip -d link` adds, which sits between
    /// `link_netnsid` and `altnames` in `ip -j -d`'s order.
    fn text_details(&self, f: &mut impl Fields) {
        self.detail_fields(f);
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
            match names::link_type(self.link_type) {
                Some(kind) => write!(out, " link/{kind} {a}")?,
                None => write!(out, " link/[{}] {a}", self.link_type)?,
            }
        }
        if let Some(k) = &self.kind {
            write!(out, " kind {k}")?;
        }
        if let Some(alias) = self.details.as_deref().and_then(LinkDetails::ifalias) {
            write!(out, " alias {alias}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every link of a state view carries its details: they stay packed (the
    /// first version, a field per `Option`, took 200 bytes).
    #[test]
    fn details_stay_small_and_keep_what_is_set() {
        assert!(std::mem::size_of::<LinkDetails>() <= 112);
        assert!(std::mem::size_of::<Link>() <= 256);
        let mut d = LinkDetails::default();
        assert_eq!(d.get(Detail::Group), None);
        d.set(Detail::Group, 0);
        d.set(Detail::AddrGenMode, 3);
        assert_eq!(d.get(Detail::Group), Some(0));
        assert_eq!(d.get(Detail::AddrGenMode), Some(3));
        assert_eq!(d.get(Detail::MaxMtu), None);
    }
}
