//! The bridge multicast database (`bridge mdb`): `RTM_NEWMDB` / `RTM_DELMDB`,
//! `struct br_port_msg`, the `struct br_mdb_entry` of each
//! `MDBA_MDB` / `MDBA_MDB_ENTRY` / `MDBA_MDB_ENTRY_INFO` and its
//! `MDBA_MDB_EATTR_*` attributes, and the multicast router ports of
//! `MDBA_ROUTER`. The owned type, its decoding, its identity in the state view,
//! its dump, its group, its JSON fields, its text line and the fields filters
//! look at.
//!
//! One message may carry many entries: a notification carries one, but a dump
//! answers with one message per bridge holding all its groups and router
//! ports, so this kind decodes with [`Kind::decode_each`].
//!
//! # What the kernel announces (found by `integration/mdb.rs`)
//!
//! Removing a port from its bridge (deleting it, or `nomaster`) announces
//! the deletion of each of its entries, before the port's `RTM_DELLINK`; a port
//! going down, or multicast snooping turned off, announces the deletion of the
//! temporary ones (permanent ones stay). Deleting a bridge announces its ports'
//! entries as it removes the ports, but **not** the groups the bridge itself
//! joined (entries whose port is the bridge, `bridge mdb add dev br0 port br0`):
//! those go silently, and `infer` synthesizes their deletion from the bridge's
//! `RTM_DELLINK` ([`Kind::keys_on_link`] finds every entry of a bridge, and any
//! left of a port).

use super::compact::{HwAddr, Name};
use super::fields::{dev_name, k, Fields, IfNames, Nested};
use super::{key, names, walk, AttrError, IpBits, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, MdbEntry, MdbMessage, NlMsg};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The group of an MDB entry: an IP multicast address, or a layer-2 (MAC)
/// group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MdbGroup {
    /// An IPv4 or IPv6 group (`addr.proto` `ETH_P_IP` / `ETH_P_IPV6`).
    Ip(IpAddr),
    /// A layer-2 group (`addr.proto` 0): a MAC address.
    L2([u8; 6]),
}

impl fmt::Display for MdbGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MdbGroup::Ip(ip) => write!(f, "{ip}"),
            MdbGroup::L2(mac) => match HwAddr::new(mac) {
                Some(hw) => write!(f, "{hw}"),
                None => Ok(()),
            },
        }
    }
}

/// One source of an entry's source list (`MDBA_MDB_EATTR_SRC_LIST`, IGMPv3 /
/// MLDv2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MdbSource {
    /// `MDBA_MDB_SRCATTR_ADDRESS`.
    pub address: IpAddr,
    /// `MDBA_MDB_SRCATTR_TIMER`: time left, in hundredths of a second.
    pub timer: u32,
}

impl Nested for MdbSource {
    fn fields(&self, f: &mut dyn Fields) {
        self.fields_of(f);
    }
}

impl MdbSource {
    /// Its fields, as `bridge -d -j mdb show` prints a source:
    /// `{"address":"192.0.2.1","timer":"259.98"}`.
    fn fields_of(&self, f: &mut dyn Fields) {
        f.ip(k!("address"), Some(self.address));
        f.str(
            k!("timer"),
            &format!("{}.{:02}", self.timer / 100, self.timer % 100),
        );
    }
}

/// An entry of a bridge's multicast database, from `RTM_NEWMDB` /
/// `RTM_DELMDB`: a group a port (or the bridge itself) receives, or, with no
/// [`Mdb::group`], a multicast router port of the bridge (`MDBA_ROUTER`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mdb {
    /// `br_port_msg.ifindex`: the bridge.
    pub bridge: u32,
    /// `br_mdb_entry.ifindex`: the port (the bridge's own for a group the host
    /// joined); for a router port, the port.
    pub port: u32,
    /// `br_mdb_entry.addr`; `None` for a router port.
    pub group: Option<MdbGroup>,
    /// `MDBA_MDB_EATTR_SOURCE`: the source of an (S, G) entry.
    pub src: Option<IpAddr>,
    /// `br_mdb_entry.vid`: the VLAN, 0 for none.
    pub vid: u16,
    /// `br_mdb_entry.state`: `MDB_TEMPORARY` (0) or `MDB_PERMANENT` (1).
    pub state: u8,
    /// `br_mdb_entry.flags`: `MDB_FLAGS_*`.
    pub flags: u8,
    /// `MDBA_MDB_EATTR_TIMER` (or, for a router port, `MDBA_ROUTER_PATTR_TIMER`):
    /// time left, in hundredths of a second. Changes by itself: two entries that
    /// differ only in timers are the same state.
    pub timer: Option<u32>,
    /// `MDBA_MDB_EATTR_GROUP_MODE`: `MCAST_INCLUDE` or `MCAST_EXCLUDE`.
    pub filter_mode: Option<u8>,
    /// `MDBA_MDB_EATTR_SRC_LIST`.
    pub sources: Vec<MdbSource>,
    /// `MDBA_MDB_EATTR_RTPROT`: who added it (`RTPROT_*`: `static` by `bridge
    /// mdb add`, `kernel` when learned).
    pub protocol: Option<u8>,
    /// `MDBA_ROUTER_PATTR_TYPE` of a router port: `MDB_RTR_TYPE_*`.
    pub router_type: Option<u8>,
}

/// A group address by `addr.proto`; `None` for a protocol this crate does not know.
fn group(e: &MdbEntry<'_>) -> Option<MdbGroup> {
    let a = e.addr();
    match e.proto() {
        0 => {
            let mut mac = [0u8; 6];
            mac.copy_from_slice(&a[..6]);
            Some(MdbGroup::L2(mac))
        }
        ETH_P_IP => Some(MdbGroup::Ip(Ipv4Addr::new(a[0], a[1], a[2], a[3]).into())),
        ETH_P_IPV6 => Some(MdbGroup::Ip(Ipv6Addr::from(a).into())),
        _ => None,
    }
}

/// The family of the group's addresses: sources are read by it.
fn group_family(g: Option<MdbGroup>) -> u8 {
    match g {
        Some(MdbGroup::Ip(IpAddr::V4(_))) => AF_INET,
        Some(MdbGroup::Ip(IpAddr::V6(_))) => AF_INET6,
        _ => AF_UNSPEC,
    }
}

impl Mdb {
    /// One `MDBA_MDB_ENTRY_INFO`. A malformed `br_mdb_entry` or source (the
    /// entry's identity) is an error; other malformed attributes are skipped.
    fn from_info(info: &wire::Attr<'_>, m: &mut Mdb, skipped: &mut u32) -> wire::Result<()> {
        let e = MdbEntry::new_checked(info.payload())?;
        m.port = e.ifindex();
        m.state = e.state();
        m.flags = e.flags();
        m.vid = e.vid();
        m.group = Some(group(&e).ok_or(wire::Error::BadAttribute {
            kind: MDBA_MDB_ENTRY_INFO,
            len: info.payload().len(),
        })?);
        let family = group_family(m.group);
        walk(e.attrs(), skipped, |a| {
            match a.kind() {
                MDBA_MDB_EATTR_SOURCE => m.src = Some(key(a.ip_of(family))?),
                MDBA_MDB_EATTR_TIMER => m.timer = Some(a.u32()?),
                MDBA_MDB_EATTR_GROUP_MODE => m.filter_mode = Some(a.u8()?),
                MDBA_MDB_EATTR_RTPROT => m.protocol = Some(a.u8()?),
                MDBA_MDB_EATTR_SRC_LIST => {
                    for s in a.nested() {
                        let s = s?;
                        if s.kind() != MDBA_MDB_SRCLIST_ENTRY {
                            continue;
                        }
                        let (mut address, mut timer) = (None, 0);
                        for sa in s.nested() {
                            let sa = sa?;
                            match sa.kind() {
                                MDBA_MDB_SRCATTR_ADDRESS => address = Some(sa.ip_of(family)?),
                                MDBA_MDB_SRCATTR_TIMER => timer = sa.u32()?,
                                _ => {}
                            }
                        }
                        let address = address.ok_or(AttrError::Skip)?;
                        m.sources.push(MdbSource { address, timer });
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// One `MDBA_ROUTER_PORT`: the port's ifindex, then `MDBA_ROUTER_PATTR_*`
    /// attributes (in dumps; a notification carries the ifindex alone).
    fn from_router_port(a: &wire::Attr<'_>, m: &mut Mdb, skipped: &mut u32) -> wire::Result<()> {
        let p = a.payload();
        let head = p.get(..4).ok_or(wire::Error::BadAttribute {
            kind: MDBA_ROUTER_PORT,
            len: p.len(),
        })?;
        m.port = u32::from_ne_bytes([head[0], head[1], head[2], head[3]]);
        walk(wire::Attrs::new(&p[4..]), skipped, |pa| {
            match pa.kind() {
                MDBA_ROUTER_PATTR_TIMER => m.timer = Some(pa.u32()?),
                MDBA_ROUTER_PATTR_TYPE => m.router_type = Some(pa.u8()?),
                _ => {}
            }
            Ok(())
        })
    }

    /// Whether this is a multicast router port rather than a group.
    pub fn is_router_port(&self) -> bool {
        self.group.is_none()
    }

    /// `permanent` or `temp`, as `bridge mdb` prints the state (and a router
    /// port's type).
    fn state_name(&self) -> Option<&'static str> {
        match (self.group, self.router_type) {
            (Some(_), _) if self.state & MDB_PERMANENT != 0 => Some("permanent"),
            (Some(_), _) => Some("temp"),
            (None, Some(MDB_RTR_TYPE_TEMP_QUERY | MDB_RTR_TYPE_TEMP)) => Some("temp"),
            (None, Some(_)) => Some("permanent"),
            (None, None) => None,
        }
    }
}

/// `bridge mdb`'s names of the `MDB_FLAGS_*` bits, in its order.
const FLAGS: &[(u8, &str)] = &[
    (MDB_FLAGS_OFFLOAD, "offload"),
    (MDB_FLAGS_FAST_LEAVE, "fast_leave"),
    (MDB_FLAGS_STAR_EXCL, "added_by_star_ex"),
    (MDB_FLAGS_BLOCKED, "blocked"),
    (MDB_FLAGS_OFFLOAD_FAILED, "offload_failed"),
];

fn flag_names(flags: u8) -> impl Iterator<Item = &'static str> + Clone {
    FLAGS
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
}

/// A timer as `bridge -s` prints it: seconds right-aligned in 4, a dot,
/// hundredths (`" 259.38"`). The kernel gives hundredths of a second
/// (`clock_t` at `USER_HZ` 100).
fn timer_text(t: u32) -> String {
    format!("{:4}.{:02}", t / 100, t % 100)
}

/// What the state view keys a group by: its protocol, then its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum GroupKey {
    /// A router port: no group.
    Router,
    L2([u8; 6]),
    Ip(IpBits),
}

/// An MDB entry's identity, as the kernel keys it: the bridge (first, so that
/// a bridge's entries are one range of the map), the port, the group (with its
/// protocol), the source and the VLAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct MdbKey {
    bridge: u32,
    port: u32,
    group: GroupKey,
    src: IpBits,
    vid: u16,
}

impl Kind for Mdb {
    const MESSAGES: [u16; 2] = [RTM_NEWMDB, RTM_DELMDB];
    const GROUPS: &'static [u32] = &[RTNLGRP_MDB];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETMDB,
        header_len: BR_PORT_MSG_LEN,
        family: AF_BRIDGE,
    };
    /// The kernel answers an MDB dump with `RTM_GETMDB` messages.
    const DUMP_ANSWER: u16 = RTM_GETMDB;
    type Key = MdbKey;
    const MANY: bool = true;

    /// The message's first entry (see [`Kind::decode_each`] for all); a message
    /// holding none is an error here.
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        let mut first = None;
        Self::decode_each(msg, skipped, &mut |m| {
            if first.is_none() {
                first = Some(m);
            }
        })?;
        *into = first.ok_or(wire::Error::Truncated {
            what: "MDB entry",
            need: BR_MDB_ENTRY_LEN,
            have: 0,
        })?;
        Ok(())
    }

    fn decode_each(
        msg: &NlMsg<'_>,
        skipped: &mut u32,
        each: &mut dyn FnMut(Self),
    ) -> wire::Result<()> {
        let view = MdbMessage::new_checked(*msg)?;
        let bridge = view.ifindex();
        let mut inner = 0;
        let fresh = || Mdb {
            bridge,
            ..Mdb::default()
        };
        let walked = walk(view.attrs(), skipped, |attr| {
            match attr.kind() {
                MDBA_MDB => {
                    for entry in attr.nested() {
                        let entry = entry?;
                        if entry.kind() != MDBA_MDB_ENTRY {
                            continue;
                        }
                        for info in entry.nested() {
                            let info = info?;
                            if info.kind() != MDBA_MDB_ENTRY_INFO {
                                continue;
                            }
                            let mut m = fresh();
                            key(Mdb::from_info(&info, &mut m, &mut inner))?;
                            each(m);
                        }
                    }
                }
                MDBA_ROUTER => {
                    for port in attr.nested() {
                        let port = port?;
                        if port.kind() != MDBA_ROUTER_PORT {
                            continue;
                        }
                        let mut m = fresh();
                        key(Mdb::from_router_port(&port, &mut m, &mut inner))?;
                        each(m);
                    }
                }
                _ => {}
            }
            Ok(())
        });
        *skipped += inner;
        walked
    }

    /// Bridge, port, group, source and VLAN.
    fn key(&self) -> Option<MdbKey> {
        Some(MdbKey {
            bridge: self.bridge,
            port: self.port,
            group: match self.group {
                None => GroupKey::Router,
                Some(MdbGroup::L2(mac)) => GroupKey::L2(mac),
                Some(MdbGroup::Ip(ip)) => GroupKey::Ip(IpBits::of(Some(ip))),
            },
            src: IpBits::of(self.src),
            vid: self.vid,
        })
    }

    /// Timers run by themselves: they do not count.
    fn same_state(&self, other: &Self) -> bool {
        let addrs = |m: &Mdb| m.sources.iter().map(|s| s.address).collect::<Vec<_>>();
        Mdb {
            timer: None,
            sources: Vec::new(),
            ..self.clone()
        } == Mdb {
            timer: None,
            sources: Vec::new(),
            ..other.clone()
        } && addrs(self) == addrs(other)
    }

    /// A bridge's entries (one range: the bridge leads the key), and any entry
    /// of the port `ifindex` (the kernel announces those, so this finds none
    /// unless a deletion was missed).
    const ON_LINK: Option<fn(&MdbKey, u32) -> bool> =
        Some(|key, ifindex| key.bridge == ifindex || key.port == ifindex);

    /// The bridge, as `bridge mdb` names it (`dev`).
    fn ifindex(&self) -> Option<u32> {
        Some(self.bridge)
    }

    /// The group's address family (`AF_INET`, `AF_INET6`); layer-2 groups and
    /// router ports have none.
    fn family(&self) -> Option<u8> {
        match group_family(self.group) {
            AF_UNSPEC => None,
            f => Some(f),
        }
    }

    fn fields(&self, f: &mut impl Fields) {
        f.num(k!("index"), self.bridge.into());
        f.num(k!("port_index"), self.port.into());
        match self.group {
            Some(g) => f.str(k!("grp"), &g.to_string()),
            None => f.yes(k!("router")),
        }
        if let Some(src) = self.src {
            f.ip(k!("src"), Some(src));
        }
        if let Some(state) = self.state_name() {
            // A router port's is its `type` in `bridge -d -j mdb show`.
            if self.group.is_some() {
                f.word(k!("state"), state);
            } else {
                f.word(k!("type"), state);
            }
        }
        // The source filter and the protocol are details: `bridge -j mdb`
        // writes them only with `-d`.
        if f.details() {
            if let Some(mode) = self.filter_mode {
                f.word(
                    k!("filter_mode"),
                    if mode == MCAST_INCLUDE {
                        "include"
                    } else {
                        "exclude"
                    },
                );
            }
            if !self.sources.is_empty() {
                f.objects(
                    k!("source_list"),
                    &mut self.sources.iter().map(|s| s as &dyn Nested),
                );
            }
            if let Some(p) = self.protocol {
                match names::protocol(p) {
                    Some(name) => f.word(k!("protocol"), name),
                    None => f.str(k!("protocol"), itoa::Buffer::new().format(p)),
                }
            }
        }
        if self.group.is_some() {
            f.words(k!("flags"), &mut flag_names(self.flags));
        }
        if self.vid != 0 {
            f.num(k!("vid"), self.vid.into());
        }
        if let Some(t) = self.timer {
            f.str(k!("timer"), &timer_text(t));
        }
    }

    /// The bridge's name as `dev`, the port's as `port`.
    fn name_fields(&self, own: Option<&Name>, names: &dyn IfNames, f: &mut impl Fields) {
        match own {
            Some(name) => f.name(k!("dev"), name),
            None => {
                if let Some(name) = names.name(self.bridge) {
                    f.name(k!("dev"), &name);
                }
            }
        }
        if let Some(name) = names.name(self.port) {
            f.name(k!("port"), &name);
        }
    }

    /// `dev br0 port veth0 grp 239.1.1.1 permanent`, or for a router port
    /// `router port dev veth2 master br0`, as `bridge monitor` prints them.
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
        let (bridge, port) = (dev_name(names, self.bridge), dev_name(names, self.port));
        let Some(g) = self.group else {
            return write!(out, " router port dev {port} master {bridge}");
        };
        write!(out, " dev {bridge} port {port} grp {g}")?;
        if let Some(src) = self.src {
            write!(out, " src {src}")?;
        }
        if let Some(state) = self.state_name() {
            write!(out, " {state}")?;
        }
        for flag in flag_names(self.flags) {
            write!(out, " {flag}")?;
        }
        if self.vid != 0 {
            write!(out, " vid {}", self.vid)?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::object::{Action, Object};

    /// Every entry of a message, with its action.
    fn decode_all(bytes: &[u8]) -> Vec<(Action, Mdb)> {
        let msg = NlMsg::new_checked(bytes).unwrap();
        let mut all = Vec::new();
        let known = Object::decode_each(&msg, &mut 0, |action, o| match o {
            Object::Mdb(m) => all.push((action, m)),
            other => panic!("not mdb: {other:?}"),
        });
        assert_eq!(known, Ok(true));
        all
    }

    /// The one entry of a notification.
    fn decode(bytes: &[u8]) -> (Action, Mdb) {
        let mut all = decode_all(bytes);
        assert_eq!(all.len(), 1, "{all:?}");
        // `Object::decode` gives the same.
        let msg = NlMsg::new_checked(bytes).unwrap();
        let first = Object::decode(&msg).unwrap().unwrap();
        assert_eq!(first, (all[0].0, Object::Mdb(all[0].1.clone())));
        all.remove(0)
    }

    const NEW_V4: &[u8] = include_bytes!("../wire/fixtures/mdb_new_v4.bin");
    const NEW_V6: &[u8] = include_bytes!("../wire/fixtures/mdb_new_v6.bin");
    const NEW_SRC: &[u8] = include_bytes!("../wire/fixtures/mdb_new_src.bin");
    const NEW_L2: &[u8] = include_bytes!("../wire/fixtures/mdb_new_l2.bin");
    const NEW_HOST: &[u8] = include_bytes!("../wire/fixtures/mdb_new_host.bin");
    const NEW_ROUTER: &[u8] = include_bytes!("../wire/fixtures/mdb_new_router.bin");
    const DUMP: &[u8] = include_bytes!("../wire/fixtures/mdb_dump.bin");
    const DEL_V4: &[u8] = include_bytes!("../wire/fixtures/mdb_del_v4.bin");

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// A permanent group on port veth2 (8) of br0 (4), added by `bridge mdb add`.
    fn on_port(grp: MdbGroup) -> Mdb {
        Mdb {
            bridge: 4,
            port: 8,
            group: Some(grp),
            state: MDB_PERMANENT,
            timer: Some(0),
            protocol: Some(4), // static
            ..Mdb::default()
        }
    }

    #[test]
    fn notifications_of_ipv4_ipv6_source_specific_and_layer2_groups() {
        let v4 = on_port(MdbGroup::Ip(ip("239.1.1.1")));
        assert_eq!(decode(NEW_V4), (Action::New, v4.clone()));
        assert_eq!(
            decode(NEW_V6),
            (Action::New, on_port(MdbGroup::Ip(ip("ff0e::1"))))
        );
        assert_eq!(
            decode(NEW_SRC),
            (
                Action::New,
                Mdb {
                    src: Some(ip("192.0.2.1")),
                    ..on_port(MdbGroup::Ip(ip("239.1.1.2")))
                }
            )
        );
        assert_eq!(
            decode(NEW_L2),
            (
                Action::New,
                on_port(MdbGroup::L2([0x01, 0, 0x5e, 0, 0, 0x42]))
            )
        );
        let (action, del) = decode(DEL_V4);
        assert_eq!(action, Action::Del);
        assert_eq!(del.key(), v4.key());
        assert_eq!((v4.ifindex(), v4.family()), (Some(4), Some(AF_INET)));
    }

    /// `bridge mdb add dev br0 port br0`: a group the bridge itself joined is
    /// an entry on the bridge's own ifindex, temporary, without a protocol.
    #[test]
    fn a_group_the_host_joined_is_on_the_bridge_itself() {
        let (action, m) = decode(NEW_HOST);
        assert_eq!(action, Action::New);
        assert_eq!((m.bridge, m.port, m.state), (4, 4, 0));
        assert_eq!(m.group, Some(MdbGroup::Ip(ip("239.1.1.4"))));
        assert!(m.timer.is_some());
    }

    #[test]
    fn a_router_port_has_no_group() {
        let (action, m) = decode(NEW_ROUTER);
        assert_eq!(action, Action::New);
        assert_eq!(
            m,
            Mdb {
                bridge: 4,
                port: 8,
                ..Mdb::default()
            }
        );
        assert!(m.is_router_port());
        assert_ne!(m.key(), on_port(MdbGroup::Ip(ip("239.1.1.1"))).key());
    }

    /// The dump answers with one `RTM_GETMDB` message per bridge: every group
    /// and router port of br0, each its own object.
    #[test]
    fn a_dump_message_holds_every_entry_of_its_bridge() {
        let all = decode_all(DUMP);
        assert!(all.iter().all(|(a, m)| *a == Action::New && m.bridge == 4));
        let groups: Vec<String> = all
            .iter()
            .map(|(_, m)| match m.group {
                Some(g) => format!("{}/{}/{:?}", m.port, g, m.src),
                None => format!("{}/router/{:?}", m.port, m.router_type),
            })
            .collect();
        for want in [
            "4/239.1.1.4/None",
            "8/01:00:5e:00:00:42/None",
            "8/239.1.1.2/Some(192.0.2.1)",
            "8/ff0e::1/None",
            "8/239.1.1.1/None",
            "8/router/Some(2)",
        ] {
            assert!(groups.iter().any(|g| g == want), "{want} not in {groups:?}");
        }
        // The dump's copy of a notified entry is the same state (timers aside).
        let (_, v4) = decode(NEW_V4);
        let dumped = all.iter().find(|(_, m)| m.key() == v4.key()).unwrap();
        assert!(dumped.1.same_state(&v4));
        // Keys are distinct.
        let mut keys: Vec<_> = all.iter().map(|(_, m)| m.key().unwrap()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), all.len());
    }

    #[test]
    fn a_bridge_entries_and_a_port_entries_are_found_by_link() {
        let keys: Vec<MdbKey> = decode_all(DUMP)
            .into_iter()
            .map(|(_, m)| m.key().unwrap())
            .collect();
        let on = |i: u32| -> Vec<&MdbKey> {
            keys.iter()
                .filter(|k| Mdb::ON_LINK.is_some_and(|on| on(k, i)))
                .collect()
        };
        assert_eq!(on(4).len(), keys.len());
        let on_port = on(8);
        assert!(!on_port.is_empty() && on_port.iter().all(|k| k.port == 8));
        assert!(on(9).is_empty());
    }

    #[test]
    fn a_message_without_entries_holds_no_object() {
        // RTM_NEWMDB for bridge 4 with an empty MDBA_MDB.
        let mut b = vec![0u8; 16 + 8 + 4];
        b[0] = b.len() as u8;
        b[4] = RTM_NEWMDB as u8;
        b[16] = AF_BRIDGE;
        b[20] = 4;
        b[24..28].copy_from_slice(&[4, 0, MDBA_MDB as u8, 0]);
        assert!(decode_all(&b).is_empty());
        assert!(Object::decode(&NlMsg::new_checked(&b).unwrap()).is_err());
    }

    #[test]
    fn an_entry_too_short_is_an_error() {
        let mut b = NEW_V4.to_vec();
        // MDBA_MDB_ENTRY_INFO's length, at 16 + 8 + 4 + 4: cut to 4 + 20.
        let at = 16 + 8 + 4 + 4;
        assert_eq!(
            u16::from_ne_bytes([b[at + 2], b[at + 3]]),
            MDBA_MDB_ENTRY_INFO
        );
        b[at..at + 2].copy_from_slice(&24u16.to_ne_bytes());
        let msg = NlMsg::new_checked(&b).unwrap();
        assert!(Object::decode_each(&msg, &mut 0, |_, _| {}).is_err());
    }

    /// An attribute, padded.
    fn nla(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(payload);
        v.resize(wire::align(v.len()), 0);
        v
    }

    /// An IGMPv3 entry as the kernel sends one it learned: (*, 239.1.1.1) on
    /// port 8 of bridge 4, include mode, two sources, protocol kernel. (No
    /// fixture: only reports from the wire make a source list, and the tests
    /// send no traffic.)
    fn igmpv3_entry() -> Vec<u8> {
        let mut entry = 8u32.to_ne_bytes().to_vec();
        entry.extend_from_slice(&[0, 0, 0, 0]); // state temp, flags, vid 0
        entry.extend_from_slice(&[239, 1, 1, 1]);
        entry.extend_from_slice(&[0; 12]);
        entry.extend_from_slice(&ETH_P_IP.to_be_bytes());
        entry.extend_from_slice(&[0; 2]);
        assert_eq!(entry.len(), BR_MDB_ENTRY_LEN);
        let source = |ip: [u8; 4], timer: u32| {
            let mut s = nla(MDBA_MDB_SRCATTR_ADDRESS, &ip);
            s.extend(nla(MDBA_MDB_SRCATTR_TIMER, &timer.to_ne_bytes()));
            nla(MDBA_MDB_SRCLIST_ENTRY, &s)
        };
        let mut list = source([192, 0, 2, 1], 25998);
        list.extend(source([192, 0, 2, 2], 100));
        entry.extend(nla(MDBA_MDB_EATTR_TIMER, &25998u32.to_ne_bytes()));
        entry.extend(nla(MDBA_MDB_EATTR_RTPROT, &[2]));
        entry.extend(nla(MDBA_MDB_EATTR_SRC_LIST, &list));
        entry.extend(nla(MDBA_MDB_EATTR_GROUP_MODE, &[MCAST_INCLUDE]));
        let mdb = nla(
            MDBA_MDB,
            &nla(MDBA_MDB_ENTRY, &nla(MDBA_MDB_ENTRY_INFO, &entry)),
        );
        let mut msg = vec![0u8; 16];
        msg[4..6].copy_from_slice(&RTM_NEWMDB.to_ne_bytes());
        msg.extend_from_slice(&[AF_BRIDGE, 0, 0, 0]);
        msg.extend_from_slice(&4u32.to_ne_bytes());
        msg.extend(mdb);
        let len = msg.len() as u32;
        msg[..4].copy_from_slice(&len.to_ne_bytes());
        msg
    }

    #[test]
    fn an_igmpv3_entry_has_a_filter_mode_and_a_source_list() {
        let (_, m) = decode(&igmpv3_entry());
        assert_eq!(m.group, Some(MdbGroup::Ip(ip("239.1.1.1"))));
        assert_eq!(
            (m.filter_mode, m.protocol, m.timer),
            (Some(MCAST_INCLUDE), Some(2), Some(25998))
        );
        assert_eq!(
            m.sources,
            [
                MdbSource {
                    address: ip("192.0.2.1"),
                    timer: 25998
                },
                MdbSource {
                    address: ip("192.0.2.2"),
                    timer: 100
                },
            ]
        );
        // Timers run by themselves: a copy with others is the same state.
        let mut later = m.clone();
        later.timer = Some(1);
        later.sources[0].timer = 7;
        assert!(m.same_state(&later));
        later.sources.pop();
        assert!(!m.same_state(&later));
    }

    /// (object, a part of its JSON line, a part of its text line), for the
    /// output tests.
    pub(crate) fn printed() -> Vec<(Object, &'static str, &'static str)> {
        vec![
            (
                decode(&igmpv3_entry()).1.into(),
                r#""grp":"239.1.1.1","state":"temp","filter_mode":"include","source_list":[{"address":"192.0.2.1","timer":"259.98"},{"address":"192.0.2.2","timer":"1.00"}],"protocol":"kernel","flags":[],"timer":" 259.98""#,
                "grp 239.1.1.1 temp",
            ),
            (
                decode(NEW_SRC).1.into(),
                r#""dump":true,"index":4,"port_index":8,"grp":"239.1.1.2","src":"192.0.2.1","state":"permanent","protocol":"static","flags":[],"timer":"   0.00","dev":"dummy4","port":"dummy8"}"#,
                "[mdb] new dev dummy4 port dummy8 grp 239.1.1.2 src 192.0.2.1 permanent",
            ),
            (
                decode(NEW_L2).1.into(),
                r#""grp":"01:00:5e:00:00:42","state":"permanent""#,
                "grp 01:00:5e:00:00:42 permanent",
            ),
            (
                decode(NEW_ROUTER).1.into(),
                r#""index":4,"port_index":8,"router":true,"dev":"dummy4","port":"dummy8"}"#,
                "[mdb] new router port dev dummy8 master dummy4",
            ),
        ]
    }
}
