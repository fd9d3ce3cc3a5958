//! Policy routing rules: `RTM_NEWRULE` / `RTM_DELRULE`, `struct fib_rule_hdr` and
//! its `FRA_*` attributes, IPv4 and IPv6 (and `ip mrule`'s). The owned type, its decoding, its
//! identity in the state view, its dump, its groups, its JSON fields (`ip -j rule
//! show`'s), its text line (`ip monitor rule`'s) and the fields filters look at.
//!
//! # Identity
//!
//! A rule has no id. The kernel finds the rule an `ip rule del` means by
//! matching the selectors the request gives against each rule in turn, and
//! refuses an `ip rule add` (`NLM_F_EXCL`) of a rule equal to an existing one in
//! family, priority, action, table, every selector (addresses and lengths,
//! TOS/DSCP, fwmark and mask, iif and oif names, uid range, ports, IP protocol,
//! tunnel id, realms, `l3mdev`, `suppress_*`) and protocol (`rule_exists` in
//! `net/core/fib_rules.c`). So the state view keys a rule by all of them
//! (family and priority, and a digest of the rest: see `RuleKey`): two rules
//! the kernel keeps apart are two entries, and the `del` it announces (which
//! carries the whole rule) finds the one it removed. The `not` flag is
//! part of the key too (the kernel's duplicate check ignores it, but a rule and
//! its inverse can be made without `NLM_F_EXCL`); the flags the kernel sets by
//! itself (`iif_detached`, `oif_detached`, `unresolved`) are not, since they
//! change under a rule without a message. The kernel has no rule replace.
//! Identical duplicates (only `NLM_F_EXCL`-less requests make them, such as
//! `ip rule restore` run twice) are one entry in the view: deleting one removes
//! the entry until the next resync.
//!
//! # What the kernel does not announce (found by `integration/rule.rs`)
//!
//! Rules are never deleted silently: deleting a link leaves rules naming it
//! (they name devices by name, not by index). But the kernel changes a rule's
//! flags without a message: a rule whose `iif`/`oif` names no existing link is
//! `detached` (the link was deleted or renamed away, or not there yet) and is
//! attached again when a link of that name appears (a link's alternative
//! name attaches a rule made while the link has it; one added later does
//! not, and nlwatch, which recomputes only when links come, go or are
//! renamed, agrees); a `goto` rule whose
//! target priority has no rule is `unresolved`. The dump reports both, so
//! `watch::infer` recomputes them on the changes that move them and
//! publishes the rules whose flags changed as synthesized `new` events.

use super::compact::Name;
use super::fields::{group_field, group_name, hex, k, opt_num, Fields, IfNames};
use super::route::family_name;
use super::{key, names, walk, IpBits, Kind};
use crate::wire::consts::*;
use crate::wire::{self, Dump, NlMsg, RuleMessage};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// A policy routing rule, from `RTM_NEWRULE` / `RTM_DELRULE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// `family`: `AF_INET` or `AF_INET6`.
    pub family: u8,
    /// `FRA_PRIORITY` (absent, as the kernel sends priority 0: 0).
    pub priority: u32,
    /// `FRA_SRC`: source selector.
    pub src: Option<IpAddr>,
    /// `src_len`.
    pub src_len: u8,
    /// `FRA_DST`: destination selector.
    pub dst: Option<IpAddr>,
    /// `dst_len`.
    pub dst_len: u8,
    /// `tos`: TOS (IPv4) or traffic class (IPv6) selector.
    pub tos: u8,
    /// The table looked up: `FRA_TABLE` when present (ids above 255), else the
    /// header's `table`; 0 for actions other than `lookup`.
    pub table: u32,
    /// `action`: FR_ACT_* (1 lookup, 2 goto, 3 nop, 6 blackhole, 7 unreachable,
    /// 8 prohibit).
    pub action: u8,
    /// `flags`: FIB_RULE_* (`0x2` not, `0x4` unresolved, `0x8` iif detached,
    /// `0x10` oif detached).
    pub flags: u32,
    /// `FRA_FWMARK`.
    pub fwmark: Option<u32>,
    /// `FRA_FWMASK`.
    pub fwmask: Option<u32>,
    /// `FRA_IIFNAME`: the input interface, by name (raw bytes).
    pub iif: Option<Name>,
    /// `FRA_OIFNAME`: the output interface, by name (raw bytes).
    pub oif: Option<Name>,
    /// `FRA_GOTO`: the priority a `goto` rule jumps to.
    pub goto: Option<u32>,
    /// `FRA_FLOW`: realms, `from << 16 | to` (IPv4).
    pub flow: Option<u32>,
    /// `FRA_TUN_ID`: tunnel id (sent big-endian, kept in host order).
    pub tun_id: Option<u64>,
    /// `FRA_SUPPRESS_IFGROUP`.
    pub suppress_ifgroup: Option<u32>,
    /// `FRA_SUPPRESS_PREFIXLEN`, as sent (`u32::MAX`, that is -1: not set).
    pub suppress_prefixlen: Option<u32>,
    /// `FRA_L3MDEV`: look up the table of the packet's L3 master device.
    pub l3mdev: Option<u8>,
    /// `FRA_UID_RANGE`: (start, end).
    pub uid_range: Option<(u32, u32)>,
    /// `FRA_PROTOCOL`: RTPROT_* of who made the rule.
    pub protocol: Option<u8>,
    /// `FRA_IP_PROTO`: IP protocol selector.
    pub ip_proto: Option<u8>,
    /// `FRA_SPORT_RANGE`: source ports (start, end).
    pub sport: Option<(u16, u16)>,
    /// `FRA_DPORT_RANGE`: destination ports (start, end).
    pub dport: Option<(u16, u16)>,
    /// `FRA_SPORT_MASK`.
    pub sport_mask: Option<u16>,
    /// `FRA_DPORT_MASK`.
    pub dport_mask: Option<u16>,
    /// `FRA_DSCP`.
    pub dscp: Option<u8>,
    /// `FRA_DSCP_MASK`.
    pub dscp_mask: Option<u8>,
    /// `FRA_FLOWLABEL` (IPv6; sent big-endian, kept in host order).
    pub flowlabel: Option<u32>,
    /// `FRA_FLOWLABEL_MASK`.
    pub flowlabel_mask: Option<u32>,
}

/// A `struct fib_rule_uid_range` or `struct fib_rule_port_range` payload: two
/// native-endian numbers of `N` bytes each.
fn pair<const N: usize>(a: &wire::Attr<'_>) -> wire::Result<(u64, u64)> {
    let p = a.payload();
    if p.len() != 2 * N {
        return Err(wire::Error::BadAttribute {
            kind: a.kind(),
            len: p.len(),
        });
    }
    let num = |b: &[u8]| {
        let mut v = [0u8; 8];
        // Native endian: the number's bytes are the low ones on little-endian
        // machines and the high ones on big-endian ones.
        if cfg!(target_endian = "little") {
            v[..N].copy_from_slice(b);
            u64::from_le_bytes(v)
        } else {
            v[8 - N..].copy_from_slice(b);
            u64::from_be_bytes(v)
        }
    };
    Ok((num(&p[..N]), num(&p[N..])))
}

/// A name attribute as the kernel stores it (up to the first NUL).
fn ifname(a: &wire::Attr<'_>) -> Name {
    super::name(a)
}

impl Rule {
    /// Decodes a rule message (see `Link::from_view` for the error rules). The
    /// state view keys a rule by nearly everything it holds, so a malformed
    /// selector fails the message rather than filing the rule under another key.
    #[inline]
    fn from_view(msg: &RuleMessage<'_>, r: &mut Rule, skipped: &mut u32) -> wire::Result<()> {
        let family = msg.family();
        r.family = family;
        r.dst_len = msg.dst_len();
        r.src_len = msg.src_len();
        r.tos = msg.tos();
        r.table = msg.table().into();
        r.action = msg.action();
        r.flags = msg.flags();
        walk(msg.attrs(), skipped, |attr| {
            match attr.kind() {
                FRA_PRIORITY => r.priority = key(attr.u32())?,
                FRA_SRC => r.src = Some(key(attr.ip_of(family))?),
                FRA_DST => r.dst = Some(key(attr.ip_of(family))?),
                FRA_TABLE => r.table = key(attr.u32())?,
                FRA_FWMARK => r.fwmark = Some(key(attr.u32())?),
                FRA_FWMASK => r.fwmask = Some(key(attr.u32())?),
                FRA_IIFNAME => r.iif = Some(ifname(&attr)),
                FRA_OIFNAME => r.oif = Some(ifname(&attr)),
                FRA_GOTO => r.goto = Some(key(attr.u32())?),
                FRA_FLOW => r.flow = Some(key(attr.u32())?),
                FRA_TUN_ID => r.tun_id = Some(u64::from_be(key(attr.u64())?)),
                FRA_SUPPRESS_IFGROUP => r.suppress_ifgroup = Some(key(attr.u32())?),
                FRA_SUPPRESS_PREFIXLEN => r.suppress_prefixlen = Some(key(attr.u32())?),
                FRA_L3MDEV => r.l3mdev = Some(key(attr.u8())?),
                FRA_UID_RANGE => {
                    let (s, e) = key(pair::<4>(&attr))?;
                    r.uid_range = Some((s as u32, e as u32));
                }
                FRA_PROTOCOL => r.protocol = Some(key(attr.u8())?),
                FRA_IP_PROTO => r.ip_proto = Some(key(attr.u8())?),
                FRA_SPORT_RANGE => {
                    let (s, e) = key(pair::<2>(&attr))?;
                    r.sport = Some((s as u16, e as u16));
                }
                FRA_DPORT_RANGE => {
                    let (s, e) = key(pair::<2>(&attr))?;
                    r.dport = Some((s as u16, e as u16));
                }
                FRA_SPORT_MASK => r.sport_mask = Some(key(attr.u16())?),
                FRA_DPORT_MASK => r.dport_mask = Some(key(attr.u16())?),
                FRA_DSCP => r.dscp = Some(key(attr.u8())?),
                FRA_DSCP_MASK => r.dscp_mask = Some(key(attr.u8())?),
                FRA_FLOWLABEL => r.flowlabel = Some(u32::from_be(key(attr.u32())?)),
                FRA_FLOWLABEL_MASK => r.flowlabel_mask = Some(u32::from_be(key(attr.u32())?)),
                _ => {}
            }
            Ok(())
        })
    }

    /// The flags the kernel would report now (see the module docs): `detached`
    /// when no link is named as its `iif` / `oif`, `unresolved` when it is a
    /// `goto` and no rule of its family has the target priority.
    pub(crate) fn current_flags(
        &self,
        link_named: impl Fn(&Name) -> bool,
        has_priority: impl Fn(u8, u32) -> bool,
    ) -> u32 {
        let set = |flags: u32, bit: u32, on: bool| if on { flags | bit } else { flags & !bit };
        let mut flags = self.flags;
        if let Some(iif) = &self.iif {
            flags = set(flags, FIB_RULE_IIF_DETACHED, !link_named(iif));
        }
        if let Some(oif) = &self.oif {
            flags = set(flags, FIB_RULE_OIF_DETACHED, !link_named(oif));
        }
        if self.action == FR_ACT_GOTO {
            if let Some(target) = self.goto {
                let resolved = has_priority(self.family, target);
                flags = set(flags, FIB_RULE_UNRESOLVED, !resolved);
            }
        }
        flags
    }

    /// Whether the kernel may change its flags without a word: it names an
    /// interface or jumps to another rule.
    pub(crate) fn has_silent_flags(&self) -> bool {
        self.iif.is_some() || self.oif.is_some() || self.action == FR_ACT_GOTO
    }

    /// `not`: the selectors are inverted.
    pub fn is_inverted(&self) -> bool {
        self.flags & FIB_RULE_INVERT != 0
    }

    /// The prefix length of a whole address of the rule's family.
    fn host_len(&self) -> u8 {
        if self.family == AF_INET6 || self.family == RTNL_FAMILY_IP6MR {
            128
        } else {
            32
        }
    }

    /// The table as `ip rule` names it: `main`, `local`, `default`, or the number.
    fn table_name(&self) -> String {
        names::table(self.table).map_or_else(|| self.table.to_string(), str::to_string)
    }

    /// A selector (`from`/`to`) as `ip rule` prints it: `all`, `ADDR` or
    /// `ADDR/LEN`; the address and the length `ip -j` shows apart.
    fn selector(&self, addr: Option<IpAddr>, len: u8) -> (String, Option<u8>) {
        match addr {
            Some(a) if len == self.host_len() => (a.to_string(), None),
            Some(a) => (a.to_string(), Some(len)),
            None if len != 0 => ("0".to_string(), Some(len)),
            None => ("all".to_string(), None),
        }
    }

    /// `suppress_prefixlen` as `ip` shows it: only when set (not -1).
    fn suppress_prefixlen_set(&self) -> Option<i32> {
        self.suppress_prefixlen
            .map(|v| v as i32)
            .filter(|&v| v != -1)
    }

    /// `suppress_ifgroup` as `ip` shows it: only when set (not -1).
    fn suppress_ifgroup_set(&self) -> Option<i32> {
        self.suppress_ifgroup.map(|v| v as i32).filter(|&v| v != -1)
    }

    /// `protocol` as `ip` shows it: only when neither unspec nor kernel.
    fn shown_protocol(&self) -> Option<u8> {
        self.protocol.filter(|&p| p != 0 && p != 2)
    }

    /// The fwmark as `ip` shows it: the mark, and the mask unless it is all ones.
    fn shown_fwmark(&self) -> Option<(u32, Option<u32>)> {
        if self.fwmark.is_none() && self.fwmask.is_none() {
            return None;
        }
        let mask = self.fwmask.filter(|&m| m != 0 && m != u32::MAX);
        Some((self.fwmark.unwrap_or(0), mask))
    }
}

/// A TOS value as `ip rule` prints it: its `rt_dsfield` name or `0x%02x`.
fn tos_name(tos: u8) -> String {
    names::dsfield(tos).map_or_else(|| format!("0x{tos:02x}"), str::to_string)
}

/// A DSCP value as `ip rule` prints it: the `rt_dsfield` name of `dscp << 2`,
/// or the number.
fn dscp_name(dscp: u8) -> String {
    names::dsfield(dscp << 2).map_or_else(|| dscp.to_string(), str::to_string)
}

/// An IP protocol as `ip rule` prints it: its `/etc/protocols` name or
/// `ipproto-N`.
fn ip_proto_name(p: u8) -> String {
    names::ip_proto(p).map_or_else(|| format!("ipproto-{p}"), str::to_string)
}

/// A realm as `ip rule` prints it (iproute2's `rt_realms` names 0 `cosmos`).
fn realm_name(realm: u32) -> String {
    if realm == 0 {
        "cosmos".to_string()
    } else {
        realm.to_string()
    }
}

/// An interface name in a key: its bytes, NUL-padded to `IFNAMSIZ` (the kernel
/// keeps and compares names that way; longer ones do not exist).
fn name_bytes(name: &Option<Name>) -> [u8; 16] {
    let mut out = [0u8; 16];
    if let Some(n) = name {
        let b = n.as_bytes();
        let len = b.len().min(16);
        out[..len].copy_from_slice(&b[..len]);
    }
    out
}

/// A rule's identity in the state view: its family and priority, and a 64-bit
/// digest of the rest of what the kernel compares ([`Identity`]). The digest
/// keeps the key as small as a route's (the dump rounds hold a key per object
/// of a kind, and every kind's key is as large as the largest), where the
/// whole identity is 190 bytes. Two different rules share a key only if they
/// have the same family and priority and their digests collide (odds of about
/// 2^-64 per pair). Family and priority first: the map is in `ip rule`'s
/// order, and a `goto`'s target is one range of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RuleKey {
    family: u8,
    priority: u32,
    digest: u64,
}

/// Everything the kernel compares when it refuses a duplicate rule (see the
/// module docs), hashed into [`RuleKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Identity {
    action: u8,
    table: u32,
    goto: u32,
    inverted: bool,
    src: IpBits,
    src_len: u8,
    dst: IpBits,
    dst_len: u8,
    tos: u8,
    fwmark: u32,
    fwmask: u32,
    iif: [u8; 16],
    oif: [u8; 16],
    /// The rarer selectors, each with its presence: uid range, port ranges
    /// and masks, IP protocol, protocol, l3mdev, DSCP and mask, realms,
    /// suppress_*, flow label and mask, tunnel id.
    rest: RareSelectors,
}

impl RuleKey {
    /// Whether this is the key of a rule of `family` with `priority`.
    pub(crate) fn is_at(&self, family: u8, priority: u32) -> bool {
        self.family == family && self.priority == priority
    }
}

/// The selectors few rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RareSelectors {
    uid_range: Option<(u32, u32)>,
    sport: Option<(u16, u16)>,
    dport: Option<(u16, u16)>,
    sport_mask: Option<u16>,
    dport_mask: Option<u16>,
    ip_proto: Option<u8>,
    protocol: Option<u8>,
    l3mdev: Option<u8>,
    dscp: Option<u8>,
    dscp_mask: Option<u8>,
    flow: Option<u32>,
    suppress_ifgroup: Option<u32>,
    suppress_prefixlen: Option<u32>,
    flowlabel: Option<(u32, Option<u32>)>,
    tun_id: Option<u64>,
}

impl Kind for Rule {
    const MESSAGES: [u16; 2] = [RTM_NEWRULE, RTM_DELRULE];
    const GROUPS: &'static [u32] = &[RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE];
    const DUMP: Dump = Dump {
        msg_type: RTM_GETRULE,
        header_len: FIB_RULE_HDR_LEN,
        family: AF_UNSPEC,
    };
    type Key = RuleKey;

    #[inline]
    fn decode(msg: &NlMsg<'_>, into: &mut Self, skipped: &mut u32) -> wire::Result<()> {
        Rule::from_view(&RuleMessage::new_checked(*msg)?, into, skipped)
    }

    /// Everything the kernel compares (see the module docs). Rules of the
    /// multicast routing families (`ip mrule`: `ipmr`, `ip6mr`) are kept too:
    /// the all-family dump lists them and their notifications come on the
    /// same groups.
    fn key(&self) -> Option<RuleKey> {
        let identity = Identity {
            action: self.action,
            table: self.table,
            goto: self.goto.unwrap_or(0),
            inverted: self.is_inverted(),
            src: IpBits::of(self.src),
            src_len: self.src_len,
            dst: IpBits::of(self.dst),
            dst_len: self.dst_len,
            tos: self.tos,
            fwmark: self.fwmark.unwrap_or(0),
            fwmask: self.fwmask.unwrap_or(0),
            iif: name_bytes(&self.iif),
            oif: name_bytes(&self.oif),
            rest: RareSelectors {
                uid_range: self.uid_range,
                sport: self.sport,
                dport: self.dport,
                sport_mask: self.sport_mask,
                dport_mask: self.dport_mask,
                ip_proto: self.ip_proto,
                protocol: self.protocol,
                l3mdev: self.l3mdev,
                dscp: self.dscp,
                dscp_mask: self.dscp_mask,
                flow: self.flow,
                suppress_ifgroup: self.suppress_ifgroup,
                suppress_prefixlen: self.suppress_prefixlen,
                flowlabel: self.flowlabel.map(|l| (l, self.flowlabel_mask)),
                tun_id: self.tun_id,
            },
        };
        // SipHash with fixed keys: the same rule always gets the same digest
        // within a process (keys are never stored or compared across runs).
        let mut h = std::hash::DefaultHasher::new();
        identity.hash(&mut h);
        Some(RuleKey {
            family: self.family,
            priority: self.priority,
            digest: h.finish(),
        })
    }

    fn same_state(&self, other: &Self) -> bool {
        self == other
    }

    /// None: a rule names its interfaces by name, not by index (an ifname
    /// filter matches its `iif`, or its `oif` when it has no `iif`).
    fn ifindex(&self) -> Option<u32> {
        None
    }

    fn family(&self) -> Option<u8> {
        Some(self.family)
    }

    /// The table it looks up (none for other actions).
    fn table(&self) -> Option<u32> {
        (self.table != 0).then_some(self.table)
    }

    fn fields(&self, f: &mut impl Fields) {
        f.word(k!("family"), family_name(self.family));
        f.num(k!("priority"), self.priority.into());
        if self.is_inverted() {
            f.null(k!("not"));
        }
        let (src, srclen) = self.selector(self.src, self.src_len);
        f.str(k!("src"), &src);
        opt_num(f, k!("srclen"), srclen);
        if self.dst.is_some() || self.dst_len != 0 {
            let (dst, dstlen) = self.selector(self.dst, self.dst_len);
            f.str(k!("dst"), &dst);
            opt_num(f, k!("dstlen"), dstlen);
        }
        if self.tos != 0 {
            f.str(k!("tos"), &tos_name(self.tos));
        }
        if let Some((mark, mask)) = self.shown_fwmark() {
            f.str(k!("fwmark"), &hex(mark.into()));
            if let Some(mask) = mask {
                f.str(k!("fwmask"), &hex(mask.into()));
            }
        }
        if let Some(iif) = &self.iif {
            f.name(k!("iif"), iif);
            if self.flags & FIB_RULE_IIF_DETACHED != 0 {
                f.null(k!("iif_detached"));
            }
        }
        if let Some(oif) = &self.oif {
            f.name(k!("oif"), oif);
            if self.flags & FIB_RULE_OIF_DETACHED != 0 {
                f.null(k!("oif_detached"));
            }
        }
        if self.l3mdev.is_some_and(|m| m != 0) {
            f.null(k!("l3mdev"));
        }
        if let Some((start, end)) = self.uid_range {
            f.num(k!("uid_start"), start.into());
            f.num(k!("uid_end"), end.into());
        }
        if let Some(p) = self.ip_proto {
            f.str(k!("ipproto"), &ip_proto_name(p));
        }
        ports(f, self.sport, self.sport_mask, PORT_KEYS[0]);
        ports(f, self.dport, self.dport_mask, PORT_KEYS[1]);
        opt_num(f, k!("tun_id"), self.tun_id);
        if self.table != 0 {
            match names::table(self.table) {
                Some(name) => f.word(k!("table"), name),
                None => f.str(k!("table"), itoa::Buffer::new().format(self.table)),
            }
            if let Some(pl) = self.suppress_prefixlen_set() {
                f.int(k!("suppress_prefixlen"), pl.into());
            }
            if let Some(g) = self.suppress_ifgroup_set() {
                group_field(f, k!("suppress_ifgroup"), g.into());
            }
        }
        if let Some(flow) = self.flow {
            let (from, to) = (flow >> 16, flow & 0xffff);
            if from != 0 {
                f.str(k!("flow_from"), &realm_name(from));
            }
            f.str(k!("flow_to"), &realm_name(to));
        }
        match self.action {
            FR_ACT_TO_TBL => {}
            FR_ACT_GOTO => {
                match self.goto {
                    Some(t) => f.num(k!("goto"), t.into()),
                    None => f.word(k!("goto"), "none"),
                }
                if self.flags & FIB_RULE_UNRESOLVED != 0 {
                    f.null(k!("unresolved"));
                }
            }
            FR_ACT_NOP => f.null(k!("nop")),
            a => match names::route_type(a) {
                Some(name) => f.word(k!("action"), name),
                None => f.str(k!("action"), itoa::Buffer::new().format(a)),
            },
        }
        // Plain `ip -j` leaves unspec and kernel out, as the text line does;
        // `ip -j -d` writes it always.
        if let Some(p) = self
            .protocol
            .filter(|&p| f.details() || (p != RTPROT_UNSPEC && p != RTPROT_KERNEL))
        {
            match names::protocol(p) {
                Some(name) => f.word(k!("protocol"), name),
                None => f.str(k!("protocol"), itoa::Buffer::new().format(p)),
            }
        }
        if let Some(d) = self.dscp {
            f.str(k!("dscp"), &dscp_name(d));
            if let Some(m) = self.dscp_mask {
                f.str(k!("dscp_mask"), &hex(m.into()));
            }
        }
        if let (Some(l), Some(m)) = (self.flowlabel, self.flowlabel_mask) {
            f.str(k!("flowlabel"), &hex(l.into()));
            f.str(k!("flowlabel_mask"), &hex(m.into()));
        }
    }

    /// Nothing: its interfaces are names already (`iif`, `oif`).
    fn name_fields(&self, _own: Option<&Name>, _names: &dyn IfNames, _f: &mut impl Fields) {}

    /// `inet6 100: from all fwmark 0x10/0xff iif veth0 lookup 100`, as
    /// `ip monitor rule` writes it after the family.
    fn write_text(&self, out: &mut dyn fmt::Write, _names: &dyn IfNames) -> fmt::Result {
        write!(out, " {} {}:", family_name(self.family), self.priority)?;
        if self.is_inverted() {
            out.write_str(" not")?;
        }
        let (src, srclen) = self.selector(self.src, self.src_len);
        write!(out, " from {src}")?;
        if let Some(l) = srclen {
            write!(out, "/{l}")?;
        }
        if self.dst.is_some() || self.dst_len != 0 {
            let (dst, dstlen) = self.selector(self.dst, self.dst_len);
            write!(out, " to {dst}")?;
            if let Some(l) = dstlen {
                write!(out, "/{l}")?;
            }
        }
        if self.tos != 0 {
            write!(out, " tos {}", tos_name(self.tos))?;
        }
        if let Some((mark, mask)) = self.shown_fwmark() {
            write!(out, " fwmark {}", hex(mark.into()))?;
            if let Some(mask) = mask {
                write!(out, "/{}", hex(mask.into()))?;
            }
        }
        if let Some(iif) = &self.iif {
            write!(out, " iif {iif}")?;
            if self.flags & FIB_RULE_IIF_DETACHED != 0 {
                out.write_str(" [detached]")?;
            }
        }
        if let Some(oif) = &self.oif {
            write!(out, " oif {oif}")?;
            if self.flags & FIB_RULE_OIF_DETACHED != 0 {
                out.write_str(" [detached]")?;
            }
        }
        if self.l3mdev.is_some_and(|m| m != 0) {
            out.write_str(" lookup [l3mdev-table]")?;
        }
        if let Some((start, end)) = self.uid_range {
            write!(out, " uidrange {start}-{end}")?;
        }
        if let Some(p) = self.ip_proto {
            write!(out, " ipproto {}", ip_proto_name(p))?;
        }
        for (word, range, mask) in [
            ("sport", self.sport, self.sport_mask),
            ("dport", self.dport, self.dport_mask),
        ] {
            match (range, mask) {
                (Some((s, e)), _) if s != e => write!(out, " {word} {s}-{e}")?,
                (Some((s, _)), Some(m)) if m != u16::MAX => {
                    write!(out, " {word} {}/{}", hex(s.into()), hex(m.into()))?
                }
                (Some((s, _)), _) => write!(out, " {word} {s}")?,
                (None, _) => {}
            }
        }
        if let Some(t) = self.tun_id {
            write!(out, " tun_id {t}")?;
        }
        if self.table != 0 {
            write!(out, " lookup {}", self.table_name())?;
            if let Some(pl) = self.suppress_prefixlen_set() {
                write!(out, " suppress_prefixlength {pl}")?;
            }
            if let Some(g) = self.suppress_ifgroup_set() {
                write!(out, " suppress_ifgroup {}", group_name(g.into()))?;
            }
        }
        if let Some(flow) = self.flow {
            let (from, to) = (flow >> 16, flow & 0xffff);
            out.write_str(" realms ")?;
            if from != 0 {
                write!(out, "{}/", realm_name(from))?;
            }
            out.write_str(&realm_name(to))?;
        }
        match self.action {
            FR_ACT_TO_TBL => {}
            FR_ACT_GOTO => {
                match self.goto {
                    Some(t) => write!(out, " goto {t}")?,
                    None => out.write_str(" goto none")?,
                }
                if self.flags & FIB_RULE_UNRESOLVED != 0 {
                    out.write_str(" [unresolved]")?;
                }
            }
            FR_ACT_NOP => out.write_str(" nop")?,
            a => match names::route_type(a) {
                Some(name) => write!(out, " {name}")?,
                None => write!(out, " {a}")?,
            },
        }
        if let Some(p) = self.shown_protocol() {
            match names::protocol(p) {
                Some(name) => write!(out, " proto {name}")?,
                None => write!(out, " proto {p}")?,
            }
        }
        if let Some(d) = self.dscp {
            match self.dscp_mask.filter(|&m| m != 0x3f) {
                Some(m) => write!(out, " dscp {}/{}", hex(d.into()), hex(m.into()))?,
                None => write!(out, " dscp {}", dscp_name(d))?,
            }
        }
        if let (Some(l), Some(m)) = (self.flowlabel, self.flowlabel_mask) {
            write!(out, " flowlabel {}", hex(l.into()))?;
            if m != 0xf_ffff {
                write!(out, "/{}", hex(m.into()))?;
            }
        }
        Ok(())
    }
}

/// The JSON names of a port selector: (single, start, end, mask), for source
/// and destination ports.
const PORT_KEYS: [[super::fields::FieldName; 4]; 2] = [
    [
        k!("sport"),
        k!("sport_start"),
        k!("sport_end"),
        k!("sport_mask"),
    ],
    [
        k!("dport"),
        k!("dport_start"),
        k!("dport_end"),
        k!("dport_mask"),
    ],
];

/// A port selector as `ip -j rule` writes it: one port (with its mask when the
/// kernel sends one), or a range as start and end.
fn ports(
    f: &mut impl Fields,
    range: Option<(u16, u16)>,
    mask: Option<u16>,
    keys: [super::fields::FieldName; 4],
) {
    let [one, start, end, mask_key] = keys;
    match range {
        Some((s, e)) if s == e => {
            f.num(one, s.into());
            if let Some(m) = mask {
                f.str(mask_key, &hex(m.into()));
            }
        }
        Some((s, e)) => {
            f.num(start, s.into());
            f.num(end, e.into());
        }
        None => {}
    }
}
