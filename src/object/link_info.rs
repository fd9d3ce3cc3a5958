//! A link's kind-specific data: `IFLA_INFO_DATA` (what a bridge, a VXLAN or a
//! macvlan device is configured with) and `IFLA_INFO_SLAVE_DATA` (a bridge
//! port's settings), kept as the kernel sent them and written as `ip -j -d`
//! writes them (`"linkinfo":{"info_kind":"vxlan","info_data":{"id":42,...}}`).
//!
//! The attributes are kept as bytes rather than decoded into a struct per kind:
//! there are a hundred of them across the kinds, a link carries at most two
//! such lists, and a table per kind (below) is the one place that names and
//! types each attribute. Values are checked against the table when the link is
//! decoded, so writing them cannot fail. Countdown timers (`gc_timer`,
//! `hold_timer`, ...) are dropped there: they change every moment without a
//! notification, so keeping them would make every resync see every bridge
//! changed.
//!
//! This module only decodes and describes; it never writes JSON itself (see
//! `fields`).

use super::compact::HwAddr;
use super::fields::{hex, k, FieldName, Fields, Nested};
use crate::wire::{self, Attr, Attrs};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The attributes of one kind-specific list (`IFLA_INFO_DATA` or
/// `IFLA_INFO_SLAVE_DATA`) of a kind nlwatch describes: the bridge, the
/// bridge port, VXLAN, macvlan and macvtap. Kept in the kernel's encoding,
/// without the countdown timers; the JSON lines name each value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LinkData {
    table: Table,
    bytes: Box<[u8]>,
}

impl std::fmt::Debug for LinkData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkData")
            .field("table", &self.table)
            .field("attrs", &self.attrs().count())
            .finish()
    }
}

/// Which list a [`LinkData`] holds: which table names its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Table {
    Bridge,
    BridgePort,
    Vxlan,
    Macvlan,
}

impl Table {
    fn specs(self) -> &'static [Spec] {
        match self {
            Table::Bridge => BRIDGE,
            Table::BridgePort => PORT,
            Table::Vxlan => VXLAN,
            Table::Macvlan => MACVLAN,
        }
    }

    /// The table of a link's `IFLA_INFO_DATA`, by its `IFLA_INFO_KIND`.
    fn of_kind(kind: &[u8]) -> Option<Table> {
        match kind {
            b"bridge" => Some(Table::Bridge),
            b"vxlan" => Some(Table::Vxlan),
            b"macvlan" | b"macvtap" => Some(Table::Macvlan),
            _ => None,
        }
    }

    /// The table of a port's `IFLA_INFO_SLAVE_DATA`, by its
    /// `IFLA_INFO_SLAVE_KIND`.
    fn of_slave_kind(kind: &[u8]) -> Option<Table> {
        (kind == b"bridge").then_some(Table::BridgePort)
    }
}

impl LinkData {
    /// The `IFLA_INFO_DATA` of a link of `kind`, when nlwatch describes that
    /// kind. Attributes whose length does not fit their type are dropped and
    /// counted in `skipped`.
    pub(crate) fn info(kind: &[u8], data: &Attr<'_>, skipped: &mut u32) -> Option<LinkData> {
        LinkData::keep(Table::of_kind(kind)?, data, skipped)
    }

    /// The `IFLA_INFO_SLAVE_DATA` of a port whose master is of `slave_kind`.
    pub(crate) fn slave(slave_kind: &[u8], data: &Attr<'_>, skipped: &mut u32) -> Option<LinkData> {
        LinkData::keep(Table::of_slave_kind(slave_kind)?, data, skipped)
    }

    fn keep(table: Table, data: &Attr<'_>, skipped: &mut u32) -> Option<LinkData> {
        let mut bytes = Vec::with_capacity(data.payload().len());
        for attr in data.nested() {
            let Ok(attr) = attr else {
                *skipped += 1;
                break;
            };
            match spec_of(table, attr.kind()).map(|s| s.fmt) {
                // Unknown to the table: nothing would print it.
                None | Some(Fmt::Timer) => continue,
                Some(fmt) if !fmt.fits(attr.payload().len()) => {
                    *skipped += 1;
                    continue;
                }
                Some(_) => {}
            }
            let p = attr.payload();
            let len = (wire::consts::NLA_HDRLEN + p.len()) as u16;
            bytes.extend_from_slice(&len.to_ne_bytes());
            bytes.extend_from_slice(&attr.kind().to_ne_bytes());
            bytes.extend_from_slice(p);
            bytes.resize(bytes.len().next_multiple_of(4), 0);
        }
        Some(LinkData {
            table,
            bytes: bytes.into_boxed_slice(),
        })
    }

    /// The attributes kept, in the kernel's order and encoding.
    pub fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        Attrs::new(&self.bytes).flatten()
    }

    /// The payload of attribute `kind` (an `IFLA_BR_*`, `IFLA_BRPORT_*`,
    /// `IFLA_VXLAN_*` or `IFLA_MACVLAN_*` number), when the kernel sent it.
    pub fn get(&self, kind: u16) -> Option<&[u8]> {
        self.attrs().find(|a| a.kind() == kind).map(|a| a.payload())
    }
}

impl Nested for LinkData {
    /// Each attribute the table names, as `ip -j -d` writes it.
    fn fields(&self, f: &mut dyn Fields) {
        for attr in self.attrs() {
            if let Some(spec) = spec_of(self.table, attr.kind()) {
                spec.fmt.write(spec.name, attr.payload(), f);
            }
        }
    }
}

/// `"linkinfo"`: the kind, the port's kind, and their data.
pub(crate) struct LinkInfo<'a> {
    pub(crate) kind: Option<&'a super::Name>,
    pub(crate) data: Option<&'a LinkData>,
    pub(crate) slave_kind: Option<&'a super::Name>,
    pub(crate) slave_data: Option<&'a LinkData>,
}

impl Nested for LinkInfo<'_> {
    fn fields(&self, f: &mut dyn Fields) {
        if let Some(kind) = self.kind {
            f.name(k!("info_kind"), kind);
        }
        if let Some(data) = self.data {
            f.object(k!("info_data"), data);
        }
        if let Some(kind) = self.slave_kind {
            f.name(k!("info_slave_kind"), kind);
        }
        if let Some(data) = self.slave_data {
            f.object(k!("info_slave_data"), data);
        }
    }
}

/// One attribute of a table: its number, its name in `ip -j`, its type.
struct Spec {
    attr: u16,
    name: FieldName,
    fmt: Fmt,
}

const fn spec(attr: u16, name: FieldName, fmt: Fmt) -> Spec {
    Spec { attr, name, fmt }
}

fn spec_of(table: Table, attr: u16) -> Option<&'static Spec> {
    table.specs().iter().find(|s| s.attr == attr)
}

/// How an attribute's payload is typed and written, as iproute2 writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fmt {
    U8,
    U16,
    U32,
    U64,
    /// A `u32` written only when not 0 (`ip` leaves an unset limit out).
    U32Set,
    /// A `u8` that is on or off: `true` / `false`.
    Bool,
    /// Present means set: `null`, as `ip -j` writes a flag.
    Flag,
    /// A `u16` in hex, `"0x8001"` (`print_0xhex`: `"0"` for zero).
    Hex,
    /// A port's `u16` group forward mask: in hex, and as `group_fwd_mask_str`
    /// (the protocols it names, `stp,lacp`, or `0x0`).
    FwdMask,
    /// A `u8` in hex, written only when not 0 (a VXLAN's TOS).
    HexSet,
    /// A link-layer address.
    Mac,
    /// `struct ifla_bridge_id`: two priority bytes and a MAC, `8000.02:00:..`.
    BridgeId,
    /// `BR_STATE_*` by name.
    PortState,
    /// A big-endian EtherType: `802.1Q`, `802.1ad`.
    VlanProto,
    /// `struct br_boolopt_multi`: the options its mask covers, 0 or 1 each.
    BoolOpt,
    /// A countdown: dropped when decoded (see the module docs).
    Timer,
    /// `MACVLAN_MODE_*` by name.
    MacvlanMode,
    /// A big-endian `u16` (a UDP port).
    Be16,
    /// `struct ifla_vxlan_port_range`: `{"low":..,"high":..}`.
    PortRange,
    /// `VXLAN_DF_*` by name.
    Df,
    /// A big-endian flow label in hex, written only when not 0.
    Label,
    /// An IPv4 address: `group` when multicast, `remote` when not, nothing
    /// when 0.
    Group4,
    /// An IPv6 address: `group6` when multicast, `remote6` when not, nothing
    /// when unspecified.
    Group6,
    /// An IPv4 address, written only when not 0.
    Local4,
    /// An IPv6 address, written only when specified.
    Local6,
}

impl Fmt {
    /// Whether a payload of `len` bytes has this type's size.
    fn fits(self, len: usize) -> bool {
        match self {
            Fmt::U8 | Fmt::Bool | Fmt::HexSet | Fmt::PortState | Fmt::Df => len == 1,
            Fmt::U16 | Fmt::Hex | Fmt::FwdMask | Fmt::VlanProto | Fmt::Be16 => len == 2,
            Fmt::U32 | Fmt::U32Set | Fmt::MacvlanMode | Fmt::PortRange | Fmt::Label => len == 4,
            Fmt::Group4 | Fmt::Local4 => len == 4,
            Fmt::U64 | Fmt::BridgeId | Fmt::BoolOpt | Fmt::Timer => len == 8,
            Fmt::Group6 | Fmt::Local6 => len == 16,
            Fmt::Mac => (1..=super::MAX_ADDR_LEN).contains(&len),
            Fmt::Flag => true,
        }
    }

    /// Writes `p` (already checked by [`Fmt::fits`]) as field `name`.
    fn write(self, name: FieldName, p: &[u8], f: &mut dyn Fields) {
        let u16_ne = || u16::from_ne_bytes([p[0], p[1]]);
        let u32_ne = || u32::from_ne_bytes([p[0], p[1], p[2], p[3]]);
        match self {
            Fmt::U8 => f.num(name, p[0].into()),
            Fmt::U16 => f.num(name, u16_ne().into()),
            Fmt::U32 => f.num(name, u32_ne().into()),
            Fmt::U64 => f.num(name, u64::from_ne_bytes(p.try_into().unwrap_or_default())),
            Fmt::U32Set => {
                if u32_ne() != 0 {
                    f.num(name, u32_ne().into());
                }
            }
            Fmt::Bool => f.bool(name, p[0] != 0),
            Fmt::Flag => f.null(name),
            Fmt::Hex => f.str(name, &hex(u16_ne().into())),
            Fmt::FwdMask => {
                f.str(name, &hex(u16_ne().into()));
                f.str(k!("group_fwd_mask_str"), &fwd_mask_str(u16_ne()));
            }
            Fmt::HexSet => {
                if p[0] != 0 {
                    f.str(name, &hex(p[0].into()));
                }
            }
            Fmt::Mac => {
                if let Some(mac) = HwAddr::new(p) {
                    f.hw(name, &mac);
                }
            }
            Fmt::BridgeId => f.str(name, &bridge_id(p)),
            Fmt::PortState => f.word(name, port_state(p[0])),
            Fmt::VlanProto => match u16::from_be_bytes([p[0], p[1]]) {
                0x8100 => f.word(name, "802.1Q"),
                0x88a8 => f.word(name, "802.1ad"),
                other => f.str(name, &hex(other.into())),
            },
            Fmt::BoolOpt => {
                let val = u32_ne();
                let mask = u32::from_ne_bytes([p[4], p[5], p[6], p[7]]);
                for (bit, key) in BOOLOPTS {
                    if mask & (1 << bit) != 0 {
                        f.num(*key, u64::from(val & (1 << bit) != 0));
                    }
                }
            }
            Fmt::Timer => {}
            Fmt::MacvlanMode => f.word(name, macvlan_mode(u32_ne())),
            Fmt::Be16 => f.num(name, u16::from_be_bytes([p[0], p[1]]).into()),
            Fmt::PortRange => f.object(
                name,
                &PortRange {
                    low: u16::from_be_bytes([p[0], p[1]]),
                    high: u16::from_be_bytes([p[2], p[3]]),
                },
            ),
            Fmt::Df => f.word(
                name,
                ["unset", "set", "inherit"]
                    .get(usize::from(p[0]))
                    .copied()
                    .unwrap_or("unknown"),
            ),
            Fmt::Label => {
                let label = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
                if label != 0 {
                    f.str(name, &hex(label.into()));
                }
            }
            Fmt::Group4 | Fmt::Group6 | Fmt::Local4 | Fmt::Local6 => {
                let a: IpAddr = match <[u8; 16]>::try_from(p) {
                    Ok(v6) => Ipv6Addr::from(v6).into(),
                    Err(_) => Ipv4Addr::new(p[0], p[1], p[2], p[3]).into(),
                };
                if a.is_unspecified() {
                    return;
                }
                // `ip` names a VXLAN's destination by what it is.
                let key = match (self, a.is_multicast()) {
                    (Fmt::Group4, true) => k!("group"),
                    (Fmt::Group4, false) => k!("remote"),
                    (Fmt::Group6, true) => k!("group6"),
                    (Fmt::Group6, false) => k!("remote6"),
                    _ => name,
                };
                f.ip(key, Some(a));
            }
        }
    }
}

/// iproute2's `br_dump_bridge_id`: the priority in four hex digits, then the
/// MAC as glibc's `ether_ntoa` writes it, without leading zeros
/// (`8000.2:0:0:0:d:58`).
fn bridge_id(p: &[u8]) -> String {
    format!(
        "{:02x}{:02x}.{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
        p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
    )
}

/// iproute2's `_bitmask2str` of a port's group forward mask: each bit set,
/// by name (`stp`, `lacp`, `lldp`) or as `0x4`, joined by commas; `0x0` when
/// none.
fn fwd_mask_str(mask: u16) -> String {
    let mut s = String::new();
    for bit in (0..16).filter(|b| mask & (1 << b) != 0) {
        if !s.is_empty() {
            s.push(',');
        }
        match bit {
            0 => s.push_str("stp"),
            2 => s.push_str("lacp"),
            14 => s.push_str("lldp"),
            _ => s.push_str(&format!("{:#x}", 1u32 << bit)),
        }
    }
    if s.is_empty() {
        s.push_str("0x0");
    }
    s
}

/// `BR_STATE_*` as `ip -d` names a port's STP state.
fn port_state(s: u8) -> &'static str {
    [
        "disabled",
        "listening",
        "learning",
        "forwarding",
        "blocking",
    ]
    .get(usize::from(s))
    .copied()
    .unwrap_or("unknown")
}

/// `MACVLAN_MODE_*` as `ip -d` names it.
fn macvlan_mode(m: u32) -> &'static str {
    match m {
        1 => "private",
        2 => "vepa",
        4 => "bridge",
        8 => "passthru",
        16 => "source",
        _ => "unknown",
    }
}

/// The bridge options of `IFLA_BR_MULTI_BOOLOPT` (`BR_BOOLOPT_*` bit, name).
const BOOLOPTS: &[(u32, FieldName)] = &[
    (0, k!("no_linklocal_learn")),
    (1, k!("mcast_vlan_snooping")),
    (2, k!("mst_enabled")),
    (3, k!("mdb_offload_fail_notification")),
    (4, k!("fdb_local_vlan_0")),
];

/// A VXLAN's source port range.
struct PortRange {
    low: u16,
    high: u16,
}

impl Nested for PortRange {
    fn fields(&self, f: &mut dyn Fields) {
        f.num(k!("low"), self.low.into());
        f.num(k!("high"), self.high.into());
    }
}

// The tables: attribute numbers from the kernel's `linux/if_link.h`, names and
// types from iproute2's `ip/iplink_{bridge,bridge_slave,vxlan,macvlan}.c`.

/// `IFLA_INFO_DATA` of a bridge (`IFLA_BR_*`), in the order `ip -d` prints them.
const BRIDGE: &[Spec] = &[
    spec(1, k!("forward_delay"), Fmt::U32), // IFLA_BR_FORWARD_DELAY
    spec(2, k!("hello_time"), Fmt::U32),    // IFLA_BR_HELLO_TIME
    spec(3, k!("max_age"), Fmt::U32),       // IFLA_BR_MAX_AGE
    spec(4, k!("ageing_time"), Fmt::U32),   // IFLA_BR_AGEING_TIME
    spec(5, k!("stp_state"), Fmt::U32),     // IFLA_BR_STP_STATE
    spec(6, k!("priority"), Fmt::U16),      // IFLA_BR_PRIORITY
    spec(7, k!("vlan_filtering"), Fmt::U8), // IFLA_BR_VLAN_FILTERING
    spec(8, k!("vlan_protocol"), Fmt::VlanProto), // IFLA_BR_VLAN_PROTOCOL
    spec(11, k!("bridge_id"), Fmt::BridgeId), // IFLA_BR_BRIDGE_ID
    spec(10, k!("root_id"), Fmt::BridgeId), // IFLA_BR_ROOT_ID
    spec(12, k!("root_port"), Fmt::U16),    // IFLA_BR_ROOT_PORT
    spec(13, k!("root_path_cost"), Fmt::U32), // IFLA_BR_ROOT_PATH_COST
    spec(14, k!("topology_change"), Fmt::U8), // IFLA_BR_TOPOLOGY_CHANGE
    spec(15, k!("topology_change_detected"), Fmt::U8), // IFLA_BR_TOPOLOGY_CHANGE_DETECTED
    spec(39, k!("vlan_default_pvid"), Fmt::U16), // IFLA_BR_VLAN_DEFAULT_PVID
    spec(41, k!("vlan_stats_enabled"), Fmt::U8), // IFLA_BR_VLAN_STATS_ENABLED
    spec(45, k!("vlan_stats_per_port"), Fmt::U8), // IFLA_BR_VLAN_STATS_PER_PORT
    spec(9, k!("group_fwd_mask"), Fmt::Hex), // IFLA_BR_GROUP_FWD_MASK
    spec(20, k!("group_addr"), Fmt::Mac),   // IFLA_BR_GROUP_ADDR
    spec(23, k!("mcast_snooping"), Fmt::U8), // IFLA_BR_MCAST_SNOOPING
    spec(46, k!(""), Fmt::BoolOpt),         // IFLA_BR_MULTI_BOOLOPT
    spec(22, k!("mcast_router"), Fmt::U8),  // IFLA_BR_MCAST_ROUTER
    spec(24, k!("mcast_query_use_ifaddr"), Fmt::U8), // IFLA_BR_MCAST_QUERY_USE_IFADDR
    spec(25, k!("mcast_querier"), Fmt::U8), // IFLA_BR_MCAST_QUERIER
    spec(26, k!("mcast_hash_elasticity"), Fmt::U32), // IFLA_BR_MCAST_HASH_ELASTICITY
    spec(27, k!("mcast_hash_max"), Fmt::U32), // IFLA_BR_MCAST_HASH_MAX
    spec(28, k!("mcast_last_member_cnt"), Fmt::U32), // IFLA_BR_MCAST_LAST_MEMBER_CNT
    spec(29, k!("mcast_startup_query_cnt"), Fmt::U32), // IFLA_BR_MCAST_STARTUP_QUERY_CNT
    spec(30, k!("mcast_last_member_intvl"), Fmt::U64), // IFLA_BR_MCAST_LAST_MEMBER_INTVL
    spec(31, k!("mcast_membership_intvl"), Fmt::U64), // IFLA_BR_MCAST_MEMBERSHIP_INTVL
    spec(32, k!("mcast_querier_intvl"), Fmt::U64), // IFLA_BR_MCAST_QUERIER_INTVL
    spec(33, k!("mcast_query_intvl"), Fmt::U64), // IFLA_BR_MCAST_QUERY_INTVL
    spec(34, k!("mcast_query_response_intvl"), Fmt::U64), // IFLA_BR_MCAST_QUERY_RESPONSE_INTVL
    spec(35, k!("mcast_startup_query_intvl"), Fmt::U64), // IFLA_BR_MCAST_STARTUP_QUERY_INTVL
    spec(42, k!("mcast_stats_enabled"), Fmt::U8), // IFLA_BR_MCAST_STATS_ENABLED
    spec(43, k!("mcast_igmp_version"), Fmt::U8), // IFLA_BR_MCAST_IGMP_VERSION
    spec(44, k!("mcast_mld_version"), Fmt::U8), // IFLA_BR_MCAST_MLD_VERSION
    spec(36, k!("nf_call_iptables"), Fmt::U8), // IFLA_BR_NF_CALL_IPTABLES
    spec(37, k!("nf_call_ip6tables"), Fmt::U8), // IFLA_BR_NF_CALL_IP6TABLES
    spec(38, k!("nf_call_arptables"), Fmt::U8), // IFLA_BR_NF_CALL_ARPTABLES
    spec(16, k!(""), Fmt::Timer),           // IFLA_BR_HELLO_TIMER
    spec(17, k!(""), Fmt::Timer),           // IFLA_BR_TCN_TIMER
    spec(18, k!(""), Fmt::Timer),           // IFLA_BR_TOPOLOGY_CHANGE_TIMER
    spec(19, k!(""), Fmt::Timer),           // IFLA_BR_GC_TIMER
];

/// `IFLA_INFO_SLAVE_DATA` of a bridge port (`IFLA_BRPORT_*`), in the order `ip -d` prints them.
const PORT: &[Spec] = &[
    spec(1, k!("state"), Fmt::PortState),      // IFLA_BRPORT_STATE
    spec(2, k!("priority"), Fmt::U16),         // IFLA_BRPORT_PRIORITY
    spec(3, k!("cost"), Fmt::U32),             // IFLA_BRPORT_COST
    spec(4, k!("hairpin"), Fmt::Bool),         // IFLA_BRPORT_MODE
    spec(5, k!("guard"), Fmt::Bool),           // IFLA_BRPORT_GUARD
    spec(6, k!("root_block"), Fmt::Bool),      // IFLA_BRPORT_PROTECT
    spec(7, k!("fastleave"), Fmt::Bool),       // IFLA_BRPORT_FAST_LEAVE
    spec(8, k!("learning"), Fmt::Bool),        // IFLA_BRPORT_LEARNING
    spec(9, k!("flood"), Fmt::Bool),           // IFLA_BRPORT_UNICAST_FLOOD
    spec(17, k!("id"), Fmt::Hex),              // IFLA_BRPORT_ID
    spec(18, k!("no"), Fmt::Hex),              // IFLA_BRPORT_NO
    spec(15, k!("designated_port"), Fmt::U16), // IFLA_BRPORT_DESIGNATED_PORT
    spec(16, k!("designated_cost"), Fmt::U16), // IFLA_BRPORT_DESIGNATED_COST
    spec(14, k!("bridge_id"), Fmt::BridgeId),  // IFLA_BRPORT_BRIDGE_ID
    spec(13, k!("root_id"), Fmt::BridgeId),    // IFLA_BRPORT_ROOT_ID
    spec(19, k!("topology_change_ack"), Fmt::U8), // IFLA_BRPORT_TOPOLOGY_CHANGE_ACK
    spec(20, k!("config_pending"), Fmt::U8),   // IFLA_BRPORT_CONFIG_PENDING
    spec(10, k!("proxy_arp"), Fmt::Bool),      // IFLA_BRPORT_PROXYARP
    spec(12, k!("proxy_arp_wifi"), Fmt::Bool), // IFLA_BRPORT_PROXYARP_WIFI
    spec(25, k!("multicast_router"), Fmt::U8), // IFLA_BRPORT_MULTICAST_ROUTER
    spec(27, k!("mcast_flood"), Fmt::Bool),    // IFLA_BRPORT_MCAST_FLOOD
    spec(30, k!("bcast_flood"), Fmt::Bool),    // IFLA_BRPORT_BCAST_FLOOD
    spec(28, k!("mcast_to_unicast"), Fmt::Bool), // IFLA_BRPORT_MCAST_TO_UCAST
    spec(32, k!("neigh_suppress"), Fmt::Bool), // IFLA_BRPORT_NEIGH_SUPPRESS
    spec(43, k!("neigh_vlan_suppress"), Fmt::Bool), // IFLA_BRPORT_NEIGH_VLAN_SUPPRESS
    spec(31, k!("group_fwd_mask"), Fmt::FwdMask), // IFLA_BRPORT_GROUP_FWD_MASK
    spec(29, k!("vlan_tunnel"), Fmt::Bool),    // IFLA_BRPORT_VLAN_TUNNEL
    spec(33, k!("isolated"), Fmt::Bool),       // IFLA_BRPORT_ISOLATED
    spec(39, k!("locked"), Fmt::Bool),         // IFLA_BRPORT_LOCKED
    spec(40, k!("mab"), Fmt::Bool),            // IFLA_BRPORT_MAB
    spec(44, k!("backup_nhid"), Fmt::U32),     // IFLA_BRPORT_BACKUP_NHID
    spec(23, k!(""), Fmt::Timer),              // IFLA_BRPORT_HOLD_TIMER
    spec(21, k!(""), Fmt::Timer),              // IFLA_BRPORT_MESSAGE_AGE_TIMER
    spec(22, k!(""), Fmt::Timer),              // IFLA_BRPORT_FORWARD_DELAY_TIMER
];

/// `IFLA_INFO_DATA` of a VXLAN device (`IFLA_VXLAN_*`), in the order `ip -d` prints them.
const VXLAN: &[Spec] = &[
    spec(1, k!("id"), Fmt::U32),                  // IFLA_VXLAN_ID
    spec(2, k!("group"), Fmt::Group4),            // IFLA_VXLAN_GROUP
    spec(16, k!("group6"), Fmt::Group6),          // IFLA_VXLAN_GROUP6
    spec(4, k!("local"), Fmt::Local4),            // IFLA_VXLAN_LOCAL
    spec(17, k!("local6"), Fmt::Local6),          // IFLA_VXLAN_LOCAL6
    spec(3, k!("link_index"), Fmt::U32),          // IFLA_VXLAN_LINK
    spec(10, k!("port_range"), Fmt::PortRange),   // IFLA_VXLAN_PORT_RANGE
    spec(15, k!("port"), Fmt::Be16),              // IFLA_VXLAN_PORT
    spec(7, k!("learning"), Fmt::Bool),           // IFLA_VXLAN_LEARNING
    spec(11, k!("proxy"), Fmt::Bool),             // IFLA_VXLAN_PROXY
    spec(12, k!("rsc"), Fmt::Bool),               // IFLA_VXLAN_RSC
    spec(13, k!("l2miss"), Fmt::Bool),            // IFLA_VXLAN_L2MISS
    spec(14, k!("l3miss"), Fmt::Bool),            // IFLA_VXLAN_L3MISS
    spec(6, k!("tos"), Fmt::HexSet),              // IFLA_VXLAN_TOS
    spec(5, k!("ttl"), Fmt::U8),                  // IFLA_VXLAN_TTL
    spec(29, k!("df"), Fmt::Df),                  // IFLA_VXLAN_DF
    spec(26, k!("label"), Fmt::Label),            // IFLA_VXLAN_LABEL
    spec(8, k!("ageing"), Fmt::U32),              // IFLA_VXLAN_AGEING
    spec(9, k!("limit"), Fmt::U32Set),            // IFLA_VXLAN_LIMIT
    spec(18, k!("udp_csum"), Fmt::Bool),          // IFLA_VXLAN_UDP_CSUM
    spec(19, k!("udp_zero_csum6_tx"), Fmt::Bool), // IFLA_VXLAN_UDP_ZERO_CSUM6_TX
    spec(20, k!("udp_zero_csum6_rx"), Fmt::Bool), // IFLA_VXLAN_UDP_ZERO_CSUM6_RX
    spec(21, k!("remcsum_tx"), Fmt::Bool),        // IFLA_VXLAN_REMCSUM_TX
    spec(22, k!("remcsum_rx"), Fmt::Bool),        // IFLA_VXLAN_REMCSUM_RX
    spec(25, k!("external"), Fmt::Bool),          // IFLA_VXLAN_COLLECT_METADATA
    spec(23, k!("gbp"), Fmt::Flag),               // IFLA_VXLAN_GBP
    spec(27, k!("gpe"), Fmt::Flag),               // IFLA_VXLAN_GPE
];

/// `IFLA_INFO_DATA` of a macvlan or macvtap device (`IFLA_MACVLAN_*`), in the order `ip -d` prints them.
const MACVLAN: &[Spec] = &[
    spec(1, k!("mode"), Fmt::MacvlanMode),   // IFLA_MACVLAN_MODE
    spec(7, k!("bcqueuelen"), Fmt::U32),     // IFLA_MACVLAN_BC_QUEUE_LEN
    spec(8, k!("usedbcqueuelen"), Fmt::U32), // IFLA_MACVLAN_BC_QUEUE_LEN_USED
    spec(6, k!("macaddr_count"), Fmt::U32),  // IFLA_MACVLAN_MACADDR_COUNT
];

#[cfg(test)]
mod tests {
    use super::*;

    /// One attribute in the kernel's encoding.
    fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut b = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
        b.extend_from_slice(&kind.to_ne_bytes());
        b.extend_from_slice(payload);
        b.resize(b.len().next_multiple_of(4), 0);
        b
    }

    /// A field list as `(key, value)` text, for comparing.
    struct Collect(Vec<String>);

    impl Fields for Collect {
        fn details(&self) -> bool {
            true
        }
        fn str(&mut self, key: FieldName, v: &str) {
            self.0.push(format!("{}={v}", key.bare));
        }
        fn name(&mut self, key: FieldName, v: &super::super::Name) {
            self.0.push(format!("{}={v}", key.bare));
        }
        fn word(&mut self, key: FieldName, v: &'static str) {
            self.0.push(format!("{}={v}", key.bare));
        }
        fn num(&mut self, key: FieldName, v: u64) {
            self.0.push(format!("{}={v}", key.bare));
        }
        fn int(&mut self, key: FieldName, v: i64) {
            self.0.push(format!("{}={v}", key.bare));
        }
        fn yes(&mut self, key: FieldName) {
            self.0.push(format!("{}=yes", key.bare));
        }
        fn ip(&mut self, key: FieldName, v: Option<std::net::IpAddr>) {
            self.0.push(format!("{}={v:?}", key.bare));
        }
        fn prefix(&mut self, key: FieldName, v: std::net::IpAddr, len: Option<u8>) {
            self.0.push(format!("{}={v}/{len:?}", key.bare));
        }
        fn hw(&mut self, key: FieldName, v: &HwAddr) {
            self.0.push(format!("{}={v}", key.bare));
        }
        fn time(&mut self, key: FieldName, _: std::time::SystemTime) {
            self.0.push(key.bare.into());
        }
        fn words(&mut self, key: FieldName, _: &mut dyn Iterator<Item = &'static str>) {
            self.0.push(key.bare.into());
        }
        fn names(&mut self, key: FieldName, _: &[super::super::Name]) {
            self.0.push(key.bare.into());
        }
        fn via(&mut self, key: FieldName, _: std::net::IpAddr) {
            self.0.push(key.bare.into());
        }
        fn null(&mut self, key: FieldName) {
            self.0.push(format!("{}=null", key.bare));
        }
        fn bool(&mut self, key: FieldName, v: bool) {
            self.0.push(format!("{}={v}", key.bare));
        }
        fn float(&mut self, key: FieldName, v: f64) {
            self.0.push(format!("{}={v}", key.bare));
        }
        fn object(&mut self, key: FieldName, v: &dyn Nested) {
            let mut inner = Collect(Vec::new());
            v.fields(&mut inner);
            self.0
                .push(format!("{}={{{}}}", key.bare, inner.0.join(",")));
        }
        fn objects(&mut self, key: FieldName, _: &mut dyn Iterator<Item = &dyn Nested>) {
            self.0.push(key.bare.into());
        }
    }

    fn fields(data: &LinkData) -> Vec<String> {
        let mut c = Collect(Vec::new());
        data.fields(&mut c);
        c.0
    }

    #[test]
    fn timers_and_misfits_are_dropped_and_the_rest_named() {
        let mut nested = Vec::new();
        nested.extend(attr(1, &1500u32.to_ne_bytes())); // forward_delay
        nested.extend(attr(19, &7u64.to_ne_bytes())); // IFLA_BR_GC_TIMER
        nested.extend(attr(6, &[1, 2, 3])); // priority: a u16 of 3 bytes
        nested.extend(attr(11, &[0x80, 0, 2, 0, 0, 0, 0x0d, 1])); // bridge_id
        nested.extend(attr(9, &8u16.to_ne_bytes())); // group_fwd_mask
        nested.extend(attr(999, &[1])); // unknown
        let outer = attr(2, &nested);
        let data_attr = Attrs::new(&outer).next().unwrap().unwrap();
        let mut skipped = 0;
        let data = LinkData::info(b"bridge", &data_attr, &mut skipped).unwrap();
        assert_eq!(skipped, 1, "the 3-byte priority");
        assert_eq!(data.attrs().count(), 3);
        assert_eq!(data.get(19), None, "the timer is not kept");
        assert_eq!(
            fields(&data),
            [
                "forward_delay=1500",
                "bridge_id=8000.2:0:0:0:d:1",
                "group_fwd_mask=0x8"
            ]
        );
        assert!(LinkData::info(b"veth", &data_attr, &mut skipped).is_none());
    }

    #[test]
    fn vxlan_and_port_fields_follow_iproute2s_rules() {
        let mut nested = Vec::new();
        nested.extend(attr(1, &42u32.to_ne_bytes())); // id
        nested.extend(attr(2, &[239, 1, 1, 1])); // group: multicast
        nested.extend(attr(4, &[0, 0, 0, 0])); // local: unset
        nested.extend(attr(10, &[0, 10, 0, 20])); // port_range
        nested.extend(attr(15, &4789u16.to_be_bytes())); // port
        nested.extend(attr(9, &0u32.to_ne_bytes())); // limit 0: left out
        nested.extend(attr(23, &[])); // gbp
        let outer = attr(2, &nested);
        let a = Attrs::new(&outer).next().unwrap().unwrap();
        let data = LinkData::info(b"vxlan", &a, &mut 0).unwrap();
        assert_eq!(
            fields(&data),
            [
                "id=42",
                "group=Some(239.1.1.1)",
                "port_range={low=10,high=20}",
                "port=4789",
                "gbp=null"
            ]
        );
        let mut port = Vec::new();
        port.extend(attr(1, &[3])); // state
        port.extend(attr(4, &[0])); // hairpin
        port.extend(attr(31, &0x4001u16.to_ne_bytes())); // group_fwd_mask
        let outer = attr(5, &port);
        let a = Attrs::new(&outer).next().unwrap().unwrap();
        let data = LinkData::slave(b"bridge", &a, &mut 0).unwrap();
        assert_eq!(
            fields(&data),
            [
                "state=forwarding",
                "hairpin=false",
                "group_fwd_mask=0x4001",
                "group_fwd_mask_str=stp,lldp"
            ]
        );
    }
}
