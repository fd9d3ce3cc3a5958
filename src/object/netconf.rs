//! Per-device IP settings (`ip netconf`): `RTM_NEWNETCONF` / `RTM_DELNETCONF`,
//! `struct netconfmsg` and its `NETCONFA_*` attributes, for IPv4 and IPv6 (and
//! MPLS's `input` where the `mpls_router` module is loaded), per device and for
//! `all` and `default`. The owned type, its decoding, its identity in the state
//! view, its dump, its groups, its JSON fields, its text line and the fields
//! filters look at.
//!
//! # Partial notifications
//!
//! A dump (and the notification for a new device, or IPv6 coming back on one)
//! carries every setting; the notification for one changed sysctl carries that
//! setting alone (`sysctl net.ipv4.conf.veth0.forwarding=1` sends
//! `NETCONFA_IFINDEX` and `NETCONFA_FORWARDING`). A setting a message does not
//! carry is `None`. The state view completes a notification from the version
//! it keeps ([`Kind::complete`]: each absent setting keeps its kept value)
//! before keeping it, so the view always holds every setting, and the event
//! published is the completed object: the device's settings as they now are,
//! as `ip netconf show dev` would print them. (With nothing kept for it, during
//! the initial dump before the dump has listed the device, a notification is
//! kept as it came; the dump's full answer then replaces it.)
//!
//! # What the kernel announces (found by `integration/netconf.rs`)
//!
//! Deleting a device, moving it to another namespace, or IPv6 leaving it (an
//! MTU below 1280) each send `RTM_DELNETCONF` for its families, before the
//! link's own `RTM_DELLINK`; a new device gets a full `RTM_NEWNETCONF` per
//! family before its `RTM_NEWLINK`. Nothing has to be synthesized; a link's
//! settings are still found by its ifindex ([`Kind::keys_on_link`]) should a
//! deletion go unannounced.

use super::compact::Name;
use super::fields::{dev_name, k, FieldName, Fields, IfNames};
use super::{names, walk, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, NetconfMessage, NlMsg};
use std::fmt;

/// A device's (or `all`'s, or `default`'s) IP settings of one family, from
/// `RTM_NEWNETCONF` / `RTM_DELNETCONF`. A setting the message did not carry is
/// `None` (see the module docs on partial notifications).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Netconf {
    /// `ncm_family`: `AF_INET`, `AF_INET6` (or `AF_MPLS`).
    pub family: u8,
    /// `NETCONFA_IFINDEX`: the device, or [`NETCONFA_IFINDEX_ALL`] (-1, `all`)
    /// or [`NETCONFA_IFINDEX_DEFAULT`] (-2, `default`).
    pub ifindex: i32,
    /// `NETCONFA_FORWARDING`.
    pub forwarding: Option<bool>,
    /// `NETCONFA_RP_FILTER`: 0 off, 1 strict, 2 loose (IPv4).
    pub rp_filter: Option<u32>,
    /// `NETCONFA_MC_FORWARDING`.
    pub mc_forwarding: Option<bool>,
    /// `NETCONFA_PROXY_NEIGH`: `proxy_arp` (IPv4), `proxy_ndp` (IPv6).
    pub proxy_neigh: Option<bool>,
    /// `NETCONFA_IGNORE_ROUTES_WITH_LINKDOWN`.
    pub ignore_routes_with_linkdown: Option<bool>,
    /// `NETCONFA_INPUT` (MPLS).
    pub input: Option<bool>,
}

const RP_FILTER: [&str; 3] = ["off", "strict", "loose"];

/// A boolean setting: any non-zero `u32` is on.
fn on(a: &wire::Attr<'_>) -> wire::Result<bool> {
    Ok(a.u32()? != 0)
}

impl Netconf {
    /// Decodes a netconf message (see `Link::from_view` for the error rules).
    fn from_view(msg: &NetconfMessage<'_>, n: &mut Netconf, skipped: &mut u32) -> wire::Result<()> {
        n.family = msg.family();
        let mut ifindex = None;
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                NETCONFA_IFINDEX => ifindex = Some(super::key(attr.i32())?),
                NETCONFA_FORWARDING => n.forwarding = Some(on(&attr)?),
                NETCONFA_RP_FILTER => n.rp_filter = Some(attr.u32()?),
                NETCONFA_MC_FORWARDING => n.mc_forwarding = Some(on(&attr)?),
                NETCONFA_PROXY_NEIGH => n.proxy_neigh = Some(on(&attr)?),
                NETCONFA_IGNORE_ROUTES_WITH_LINKDOWN => {
                    n.ignore_routes_with_linkdown = Some(on(&attr)?)
                }
                NETCONFA_INPUT => n.input = Some(on(&attr)?),
                _ => {}
            }
            Ok(())
        })?;
        // The kernel always sends it: without it the settings belong to nothing.
        n.ifindex = ifindex.ok_or(wire::Error::Truncated {
            what: "NETCONFA_IFINDEX",
            need: 4,
            have: 0,
        })?;
        Ok(())
    }

    /// The device as `ip netconf` names it: `all`, `default`, or `None` for a
    /// device (named by its link).
    pub fn special_name(&self) -> Option<&'static str> {
        match self.ifindex {
            NETCONFA_IFINDEX_ALL => Some("all"),
            NETCONFA_IFINDEX_DEFAULT => Some("default"),
            _ => None,
        }
    }

    /// `rp_filter` as `ip netconf` prints it: `off`, `strict`, `loose`, or the number.
    fn rp_filter_name(v: u32) -> Option<&'static str> {
        RP_FILTER.get(v as usize).copied()
    }

    /// The on/off settings after `rp_filter`, in `ip netconf`'s order.
    fn switches(&self) -> [(&'static str, Option<bool>); 4] {
        [
            ("mc_forwarding", self.mc_forwarding),
            ("proxy_neigh", self.proxy_neigh),
            (
                "ignore_routes_with_linkdown",
                self.ignore_routes_with_linkdown,
            ),
            ("input", self.input),
        ]
    }
}

/// An on/off setting, when present: `true` / `false`, as `ip -j` prints it.
fn opt_bool(f: &mut impl Fields, key: FieldName, v: Option<bool>) {
    if let Some(v) = v {
        f.bool(key, v);
    }
}

/// A netconf entry's identity: its device (ifindex first, so that a link's
/// entries are one range of the map) and family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NetconfKey {
    ifindex: i32,
    family: u8,
}

impl Kind for Netconf {
    const MESSAGES: [u16; 2] = [RTM_NEWNETCONF, RTM_DELNETCONF];
    const GROUPS: &'static [u32] = &[RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETNETCONF,
        header_len: NETCONFMSG_LEN,
        family: AF_UNSPEC,
    };
    type Key = NetconfKey;

    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        Netconf::from_view(&NetconfMessage::new_checked(*msg)?, into, skipped)
    }

    /// Family and device, as the kernel keys them (one `ipv4_devconf` /
    /// `ipv6_devconf` per device and family, plus `all` and `default`).
    fn key(&self) -> Option<NetconfKey> {
        Some(NetconfKey {
            ifindex: self.ifindex,
            family: self.family,
        })
    }

    fn same_state(&self, other: &Self) -> bool {
        self == other
    }

    /// A device's settings are one range of keys: its ifindex leads the key.
    fn first_key_on_link(ifindex: u32) -> Option<NetconfKey> {
        Some(NetconfKey {
            ifindex: i32::try_from(ifindex).ok()?,
            family: 0,
        })
    }

    const PARTIAL: bool = true;

    /// Each setting the notification did not carry keeps its kept value.
    fn complete(&mut self, kept: &Self) {
        fn keep<T: Copy>(now: &mut Option<T>, kept: Option<T>) {
            if now.is_none() {
                *now = kept;
            }
        }
        keep(&mut self.forwarding, kept.forwarding);
        keep(&mut self.rp_filter, kept.rp_filter);
        keep(&mut self.mc_forwarding, kept.mc_forwarding);
        keep(&mut self.proxy_neigh, kept.proxy_neigh);
        keep(
            &mut self.ignore_routes_with_linkdown,
            kept.ignore_routes_with_linkdown,
        );
        keep(&mut self.input, kept.input);
    }

    /// A device's; `all` and `default` have none.
    fn ifindex(&self) -> Option<u32> {
        u32::try_from(self.ifindex).ok().filter(|&i| i > 0)
    }

    fn family(&self) -> Option<u8> {
        Some(self.family)
    }

    fn fields(&self, f: &mut impl Fields) {
        f.word(k!("family"), names::family(self.family));
        f.int(k!("ifindex"), self.ifindex.into());
        if let Some(name) = self.special_name() {
            f.word(k!("interface"), name);
        }
        opt_bool(f, k!("forwarding"), self.forwarding);
        if let Some(v) = self.rp_filter {
            match Netconf::rp_filter_name(v) {
                Some(name) => f.word(k!("rp_filter"), name),
                None => f.num(k!("rp_filter"), v.into()),
            }
        }
        opt_bool(f, k!("mc_forwarding"), self.mc_forwarding);
        opt_bool(f, k!("proxy_neigh"), self.proxy_neigh);
        opt_bool(
            f,
            k!("ignore_routes_with_linkdown"),
            self.ignore_routes_with_linkdown,
        );
        opt_bool(f, k!("input"), self.input);
    }

    /// A device's name, as `interface` (`ip netconf`'s name for it): its
    /// own ([`Event::ifname`](crate::Event::ifname)), else as `names` knows it.
    fn name_fields(&self, own: Option<&Name>, names: &dyn IfNames, f: &mut impl Fields) {
        let Some(ifindex) = Kind::ifindex(self) else {
            return;
        };
        match own {
            Some(name) => f.name(k!("interface"), name),
            None => {
                if let Some(name) = names.name(ifindex) {
                    f.name(k!("interface"), &name);
                }
            }
        }
    }

    /// `inet veth0 forwarding on rp_filter loose mc_forwarding off ...`
    fn write_text(&self, out: &mut dyn fmt::Write, names: &dyn IfNames) -> fmt::Result {
        write!(out, " {}", names::family(self.family))?;
        match self.special_name() {
            Some(name) => write!(out, " {name}")?,
            None => write!(out, " {}", dev_name(names, self.ifindex as u32))?,
        }
        let onoff = |v: bool| if v { "on" } else { "off" };
        if let Some(v) = self.forwarding {
            write!(out, " forwarding {}", onoff(v))?;
        }
        if let Some(v) = self.rp_filter {
            match Netconf::rp_filter_name(v) {
                Some(name) => write!(out, " rp_filter {name}")?,
                None => write!(out, " rp_filter {v}")?,
            }
        }
        for (name, v) in self.switches() {
            if let Some(v) = v {
                write!(out, " {name} {}", onoff(v))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::object::{Action, Object};

    fn decode(bytes: &[u8]) -> (Action, Netconf) {
        let msg = NlMsg::new_checked(bytes).unwrap();
        match Object::decode(&msg).unwrap().unwrap() {
            (action, Object::Netconf(n)) => (action, n),
            other => panic!("not netconf: {other:?}"),
        }
    }

    const NEW_DEV: &[u8] = include_bytes!("../wire/fixtures/netconf_new_dev.bin");
    const NEW_ALL: &[u8] = include_bytes!("../wire/fixtures/netconf_new_all.bin");
    const DUMP_ALL_V6: &[u8] = include_bytes!("../wire/fixtures/netconf_dump_all_v6.bin");
    const DEL: &[u8] = include_bytes!("../wire/fixtures/netconf_del.bin");

    /// A new device's settings: every one, for its ifindex (veth2 was 8).
    fn dev() -> Netconf {
        Netconf {
            family: AF_INET,
            ifindex: 8,
            forwarding: Some(false),
            rp_filter: Some(0),
            mc_forwarding: Some(false),
            proxy_neigh: Some(false),
            ignore_routes_with_linkdown: Some(false),
            input: None,
        }
    }

    #[test]
    fn a_new_device_carries_every_setting() {
        assert_eq!(decode(NEW_DEV), (Action::New, dev()));
        assert_eq!(dev().ifindex(), Some(8));
    }

    /// `sysctl net.ipv4.conf.all.forwarding=1`: `all` (-1), forwarding alone.
    #[test]
    fn a_sysctl_change_carries_that_setting_alone() {
        let (action, n) = decode(NEW_ALL);
        assert_eq!(action, Action::New);
        assert_eq!(
            n,
            Netconf {
                family: AF_INET,
                ifindex: NETCONFA_IFINDEX_ALL,
                forwarding: Some(true),
                ..Netconf::default()
            }
        );
        assert_eq!((n.special_name(), n.ifindex()), (Some("all"), None));
    }

    #[test]
    fn a_dump_answer_for_all_carries_every_setting_of_its_family() {
        let (action, n) = decode(DUMP_ALL_V6);
        assert_eq!(action, Action::New);
        assert_eq!(
            n,
            Netconf {
                family: AF_INET6,
                ifindex: NETCONFA_IFINDEX_ALL,
                forwarding: Some(false),
                rp_filter: None,
                mc_forwarding: Some(false),
                proxy_neigh: Some(false),
                ignore_routes_with_linkdown: Some(false),
                input: None,
            }
        );
    }

    #[test]
    fn a_deletion_carries_the_device_alone() {
        let (action, n) = decode(DEL);
        assert_eq!(action, Action::Del);
        assert_eq!(
            n,
            Netconf {
                family: AF_INET,
                ifindex: 8,
                ..Netconf::default()
            }
        );
        assert_eq!(n.key(), dev().key());
    }

    /// A partial notification keeps what it does not carry from the kept
    /// version, and changes what it carries.
    #[test]
    fn a_partial_notification_is_completed_from_the_kept_version() {
        let kept = dev();
        let mut change = Netconf {
            family: AF_INET,
            ifindex: 8,
            forwarding: Some(true),
            ..Netconf::default()
        };
        change.complete(&kept);
        assert_eq!(
            change,
            Netconf {
                forwarding: Some(true),
                ..dev()
            }
        );
        // A full one replaces every setting.
        let mut full = Netconf {
            rp_filter: Some(2),
            ..dev()
        };
        full.complete(&change);
        assert_eq!(full.rp_filter, Some(2));
        assert_eq!(full.forwarding, Some(false));
    }

    #[test]
    fn a_message_without_its_device_is_an_error() {
        // RTM_NEWNETCONF, AF_INET, NETCONFA_FORWARDING only.
        let mut b = vec![0u8; 16 + 4 + 8];
        b[0] = b.len() as u8;
        b[4] = RTM_NEWNETCONF as u8;
        b[16] = AF_INET;
        b[20..24].copy_from_slice(&[8, 0, NETCONFA_FORWARDING as u8, 0]);
        b[24] = 1;
        assert!(Object::decode(&NlMsg::new_checked(&b).unwrap()).is_err());
    }

    /// (object, a part of its JSON line, a part of its text line), for the
    /// output tests.
    pub(crate) fn printed() -> Vec<(Object, &'static str, &'static str)> {
        vec![
            (
                decode(NEW_ALL).1.into(),
                r#""dump":true,"family":"inet","ifindex":-1,"interface":"all","forwarding":true}"#,
                "[netconf] new inet all forwarding on",
            ),
            (
                decode(NEW_DEV).1.into(),
                r#""family":"inet","ifindex":8,"forwarding":false,"rp_filter":"off","mc_forwarding":false,"proxy_neigh":false,"ignore_routes_with_linkdown":false,"interface":"dummy8"}"#,
                "[netconf] new inet dummy8 forwarding off rp_filter off mc_forwarding off proxy_neigh off ignore_routes_with_linkdown off",
            ),
            (
                decode(DUMP_ALL_V6).1.into(),
                r#""family":"inet6","ifindex":-1,"interface":"all","forwarding":false,"mc_forwarding":false"#,
                "[netconf] new inet6 all forwarding off mc_forwarding off",
            ),
        ]
    }
}
