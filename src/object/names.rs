//! Names of the kernel's numeric codes, spelled as `ip` (iproute2) prints them, so
//! text and JSON output read like `ip monitor` and `ip -j`. Each table here is the
//! definition of those spellings; the kernel's own numbers for the values the
//! crate acts on are in [`wire::consts`](crate::wire::consts).

use crate::wire::consts::{AF_BRIDGE, AF_INET, AF_INET6, AF_MPLS, AF_PACKET, AF_UNSPEC};
use crate::wire::consts::{IFF_RUNNING, IFF_UP};

/// `IFF_*` link flags in the order `ip link` prints them, with their names.
const LINK_FLAGS: &[(u32, &str)] = &[
    (0x8, "LOOPBACK"),
    (0x2, "BROADCAST"),
    (0x10, "POINTOPOINT"),
    (0x1000, "MULTICAST"),
    (0x80, "NOARP"),
    (0x200, "ALLMULTI"),
    (0x100, "PROMISC"),
    (0x20, "NOTRAILERS"),
    (0x4, "DEBUG"),
    (0x8000, "DYNAMIC"),
    (0x4000, "AUTOMEDIA"),
    (0x2000, "PORTSEL"),
    (0x400, "MASTER"),
    (0x800, "SLAVE"),
    (0x1, "UP"),
    (0x10000, "LOWER_UP"),
    (0x20000, "DORMANT"),
    (0x40000, "ECHO"),
];

/// The names `ip link` prints between `<` and `>` for `flags`: `NO-CARRIER` first when
/// the link is up but not running, then the set flags in iproute2's order. `RUNNING`
/// itself is not printed, as in `ip`.
///
/// ```
/// let names: Vec<_> = nlwatch::output::names::link_flags(0x1003).collect();
/// assert_eq!(names, ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"]);
/// ```
pub fn link_flags(flags: u32) -> impl Iterator<Item = &'static str> + Clone {
    let no_carrier = flags & IFF_UP != 0 && flags & IFF_RUNNING == 0;
    no_carrier
        .then_some("NO-CARRIER")
        .into_iter()
        .chain(link_flag_bits(flags))
}

/// The names of the set `IFF_*` bits alone, in iproute2's order, without the
/// derived `NO-CARRIER`: for masks such as `ifi_change`.
pub fn link_flag_bits(flags: u32) -> impl Iterator<Item = &'static str> + Clone {
    LINK_FLAGS
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
}

/// `IF_OPER_*` as `ip` prints it.
pub fn operstate(state: u8) -> &'static str {
    match state {
        1 => "NOTPRESENT",
        2 => "DOWN",
        3 => "LOWERLAYERDOWN",
        4 => "TESTING",
        5 => "DORMANT",
        6 => "UP",
        _ => "UNKNOWN",
    }
}

/// `ARPHRD_*` (a link's hardware type, `ifi_type`) as `ip -j` names it
/// (iproute2's `ll_type_n2a`); `None` for a type it has no name for, which
/// `ip` prints as `[N]`.
pub fn link_type(t: u16) -> Option<&'static str> {
    Some(match t {
        0 => "netrom",
        1 => "ether",
        2 => "eether",
        3 => "ax25",
        4 => "pronet",
        5 => "chaos",
        6 => "ieee802",
        7 => "arcnet",
        8 => "atalk",
        15 => "dlci",
        19 => "atm",
        23 => "metricom",
        24 => "ieee1394",
        32 => "infiniband",
        256 => "slip",
        257 => "cslip",
        258 => "slip6",
        259 => "cslip6",
        260 => "rsrvd",
        264 => "adapt",
        270 => "rose",
        271 => "x25",
        272 => "hwx25",
        280 => "can",
        512 => "ppp",
        513 => "hdlc",
        516 => "lapb",
        517 => "ddcmp",
        518 => "rawhdlc",
        768 => "ipip",
        769 => "tunnel6",
        770 => "frad",
        771 => "skip",
        772 => "loopback",
        773 => "ltalk",
        774 => "fddi",
        775 => "bif",
        776 => "sit",
        777 => "ip/ddp",
        778 => "gre",
        779 => "pimreg",
        780 => "hippi",
        781 => "ash",
        782 => "econet",
        783 => "irda",
        784 => "fcpp",
        785 => "fcal",
        786 => "fcpl",
        787 => "fcfb0",
        788 => "fcfb1",
        789 => "fcfb2",
        790 => "fcfb3",
        791 => "fcfb4",
        792 => "fcfb5",
        793 => "fcfb6",
        794 => "fcfb7",
        795 => "fcfb8",
        796 => "fcfb9",
        797 => "fcfb10",
        798 => "fcfb11",
        799 => "fcfb12",
        800 => "tr",
        801 => "ieee802.11",
        802 => "ieee802.11/prism",
        803 => "ieee802.11/radiotap",
        804 => "ieee802.15.4",
        805 => "ieee802.15.4/monitor",
        820 => "phonet",
        821 => "phonet_pipe",
        822 => "caif",
        823 => "gre6",
        824 => "netlink",
        825 => "6lowpan",
        65534 => "none",
        65535 => "void",
        _ => return None,
    })
}

/// `IF_LINK_MODE_*` as `ip -d` prints it.
pub fn linkmode(mode: u8) -> Option<&'static str> {
    ["DEFAULT", "DORMANT", "TESTING"]
        .get(usize::from(mode))
        .copied()
}

/// `IN6_ADDR_GEN_MODE_*` as `ip -d` prints it.
pub fn addr_gen_mode(mode: u8) -> Option<&'static str> {
    ["eui64", "none", "stable_secret", "random"]
        .get(usize::from(mode))
        .copied()
}

/// Address family as `ip -j` prints it.
pub fn family(family: u8) -> &'static str {
    match family {
        AF_UNSPEC => "unspec",
        AF_INET => "inet",
        AF_BRIDGE => "bridge",
        AF_INET6 => "inet6",
        AF_PACKET => "packet",
        AF_MPLS => "mpls",
        _ => "unknown",
    }
}

const ADDR_FLAGS: &[(u32, &str)] = &[
    (0x01, "SECONDARY"),
    (0x02, "NODAD"),
    (0x04, "OPTIMISTIC"),
    (0x08, "DADFAILED"),
    (0x10, "HOMEADDRESS"),
    (0x20, "DEPRECATED"),
    (0x40, "TENTATIVE"),
    (0x80, "PERMANENT"),
    (0x100, "MANAGETEMPADDR"),
    (0x200, "NOPREFIXROUTE"),
    (0x400, "MCAUTOJOIN"),
    (0x800, "STABLE_PRIVACY"),
];

/// `IFA_F_*` address flags as upper-case names. `IFA_F_SECONDARY` is printed as
/// `SECONDARY` (for IPv6 the same bit means a temporary address).
pub fn addr_flags(flags: u32) -> impl Iterator<Item = &'static str> + Clone {
    ADDR_FLAGS
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
}

/// `RT_SCOPE_*` as `ip` prints it.
pub fn scope(scope: u8) -> Option<&'static str> {
    Some(match scope {
        0 => "global",
        200 => "site",
        253 => "link",
        254 => "host",
        255 => "nowhere",
        _ => return None,
    })
}

/// `ICMPV6_ROUTER_PREF_*` (an IPv6 route's `RTA_PREF`) as `ip` prints it.
pub fn router_pref(pref: u8) -> Option<&'static str> {
    Some(match pref {
        0 => "medium",
        1 => "high",
        3 => "low",
        _ => return None,
    })
}

/// Routing table ids that have names in iproute2's `rt_tables`.
pub fn table(table: u32) -> Option<&'static str> {
    Some(match table {
        253 => "default",
        254 => "main",
        255 => "local",
        _ => return None,
    })
}

/// `RTPROT_*` as iproute2's `rt_protos` names them.
pub fn protocol(proto: u8) -> Option<&'static str> {
    Some(match proto {
        0 => "unspec",
        1 => "redirect",
        2 => "kernel",
        3 => "boot",
        4 => "static",
        8 => "gated",
        9 => "ra",
        10 => "mrt",
        11 => "zebra",
        12 => "bird",
        13 => "dnrouted",
        14 => "xorp",
        15 => "ntk",
        16 => "dhcp",
        17 => "mrouted",
        18 => "keepalived",
        42 => "babel",
        99 => "openr",
        186 => "bgp",
        187 => "isis",
        188 => "ospf",
        189 => "rip",
        192 => "eigrp",
        _ => return None,
    })
}

/// `RTN_*` route types as `ip` prints them.
pub fn route_type(kind: u8) -> Option<&'static str> {
    Some(match kind {
        0 => "none",
        1 => "unicast",
        2 => "local",
        3 => "broadcast",
        4 => "anycast",
        5 => "multicast",
        6 => "blackhole",
        7 => "unreachable",
        8 => "prohibit",
        9 => "throw",
        10 => "nat",
        11 => "xresolve",
        _ => return None,
    })
}

const NUD_STATES: &[(u16, &str)] = &[
    (0x01, "INCOMPLETE"),
    (0x02, "REACHABLE"),
    (0x04, "STALE"),
    (0x08, "DELAY"),
    (0x10, "PROBE"),
    (0x20, "FAILED"),
    (0x40, "NOARP"),
    (0x80, "PERMANENT"),
];

/// `NUD_*` neighbour states as upper-case names; an empty state is `NONE`.
pub fn nud_states(state: u16) -> impl Iterator<Item = &'static str> + Clone {
    (state == 0).then_some("NONE").into_iter().chain(
        NUD_STATES
            .iter()
            .filter(move |(bit, _)| state & bit != 0)
            .map(|(_, name)| *name),
    )
}

const NTF_FLAGS: &[(u8, &str)] = &[
    (0x01, "USE"),
    (0x02, "SELF"),
    (0x04, "MASTER"),
    (0x08, "PROXY"),
    (0x10, "EXTERN_LEARN"),
    (0x20, "OFFLOAD"),
    (0x40, "STICKY"),
    (0x80, "ROUTER"),
];

/// `NTF_*` neighbour flags as upper-case names.
pub fn neigh_flags(flags: u8) -> impl Iterator<Item = &'static str> + Clone {
    NTF_FLAGS
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
}

const RTNH_FLAGS: &[(u8, &str)] = &[
    (0x01, "DEAD"),
    (0x02, "PERVASIVE"),
    (0x04, "ONLINK"),
    (0x08, "OFFLOAD"),
    (0x10, "LINKDOWN"),
    (0x20, "UNRESOLVED"),
    (0x40, "TRAP"),
];

/// `RTNH_F_*` next-hop flags (also the low byte of `rtm_flags`) as upper-case names.
pub fn nexthop_flags(flags: u8) -> impl Iterator<Item = &'static str> + Clone {
    RTNH_FLAGS
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
}

/// The bits of a nexthop object's `nh_flags` that `ip nexthop` names, in its
/// order and spelling (`print_rt_flags`): `RTNH_F_*`, then `RTM_F_*`.
const RT_FLAGS: &[(u32, &str)] = &[
    (0x01, "dead"),
    (0x04, "onlink"),
    (0x02, "pervasive"),
    (0x08, "offload"),
    (0x40, "trap"),
    (crate::wire::consts::RTM_F_NOTIFY, "notify"),
    (0x10, "linkdown"),
    (0x20, "unresolved"),
    (crate::wire::consts::RTM_F_OFFLOAD, "rt_offload"),
    (crate::wire::consts::RTM_F_TRAP, "rt_trap"),
    (
        crate::wire::consts::RTM_F_OFFLOAD_FAILED,
        "rt_offload_failed",
    ),
];

/// A nexthop object's flags as `ip -j nexthop` names them: lower-case, in
/// iproute2's order.
///
/// ```
/// let names: Vec<_> = nlwatch::output::names::rt_flags(0x5).collect();
/// assert_eq!(names, ["dead", "onlink"]);
/// ```
pub fn rt_flags(flags: u32) -> impl Iterator<Item = &'static str> + Clone {
    RT_FLAGS
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
}

/// A lightweight tunnel encapsulation type (`LWTUNNEL_ENCAP_*`) as `ip` names it.
pub fn encap_type(kind: u16) -> &'static str {
    match kind {
        1 => "mpls",
        2 => "ip",
        3 => "ila",
        4 => "ip6",
        5 => "seg6",
        6 => "bpf",
        7 => "seg6local",
        8 => "rpl",
        9 => "ioam6",
        10 => "xfrm",
        _ => "unknown",
    }
}

/// IP protocol numbers as `/etc/protocols` (netbase) names them, which is what
/// `ip rule` prints for `ipproto` (through `getprotobynumber`).
pub fn ip_proto(proto: u8) -> Option<&'static str> {
    Some(match proto {
        0 => "ip",
        1 => "icmp",
        2 => "igmp",
        4 => "ipencap",
        6 => "tcp",
        17 => "udp",
        33 => "dccp",
        41 => "ipv6",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        89 => "ospf",
        94 => "ipip",
        103 => "pim",
        112 => "vrrp",
        115 => "l2tp",
        132 => "sctp",
        136 => "udplite",
        137 => "mpls-in-ip",
        _ => return None,
    })
}

/// DS field (TOS) values as iproute2's default `rt_dsfield` names them; `ip`
/// prints any other value as `0x%02x`.
pub fn dsfield(tos: u8) -> Option<&'static str> {
    Some(match tos {
        0x00 => "default",
        0x20 => "CS1",
        0x28 => "AF11",
        0x30 => "AF12",
        0x38 => "AF13",
        0x40 => "CS2",
        0x48 => "AF21",
        0x50 => "AF22",
        0x58 => "AF23",
        0x60 => "CS3",
        0x68 => "AF31",
        0x70 => "AF32",
        0x78 => "AF33",
        0x80 => "CS4",
        0x88 => "AF41",
        0x90 => "AF42",
        0x98 => "AF43",
        0xa0 => "CS5",
        0xb8 => "EF",
        0xc0 => "CS6",
        0xe0 => "CS7",
        _ => return None,
    })
}
