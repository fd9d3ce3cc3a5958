//! Numeric constants of the netlink and rtnetlink ABI (`linux/netlink.h`,
//! `linux/rtnetlink.h`, `linux/if_link.h`, `linux/if_addr.h`, `linux/neighbour.h`,
//! `linux/if.h`, `linux/if_arp.h`): the one place where the crate spells a kernel
//! number. Only the ones this crate reads or writes are listed; socket-level
//! constants (`SOL_NETLINK`, `SO_NETNS_COOKIE`, `NSFS_MAGIC`, ...) come from `libc`.
#![allow(missing_docs)]

// nlmsg_type values of the netlink core.
pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;

// nlmsg_flags.
pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_ACK: u16 = 0x04;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_ROOT: u16 = 0x100;
// In a notification: what the change did (NLM_F_REPLACE shares its bit with NLM_F_ROOT).
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;

// struct nlattr: header length and the flag bits of nla_type.
pub const NLA_HDRLEN: usize = 4;
pub const NLA_F_NESTED: u16 = 1 << 15;
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;

// ifi_flags (IFF_*, linux/if.h).
pub const IFF_UP: u32 = 0x1;
pub const IFF_RUNNING: u32 = 0x40;

// ifi_type (ARPHRD_*, linux/if_arp.h).
pub const ARPHRD_ETHER: u16 = 1;

// rtm_scope (RT_SCOPE_*).
pub const RT_SCOPE_UNIVERSE: u8 = 0;

// rtm_type (RTN_*).
pub const RTN_UNICAST: u8 = 1;
pub const RTN_LOCAL: u8 = 2;
pub const RTN_ANYCAST: u8 = 4;
pub const RTN_BLACKHOLE: u8 = 6;

// rtm_protocol (RTPROT_*).
pub const RTPROT_UNSPEC: u8 = 0;
pub const RTPROT_KERNEL: u8 = 2;
pub const RTPROT_BOOT: u8 = 3;
pub const RTPROT_RA: u8 = 9;

// rtnh_flags (RTNH_F_*): a next hop's state, also in a route's rtm_flags.
pub const RTNH_F_DEAD: u8 = 1;
pub const RTNH_F_LINKDOWN: u8 = 16;

// rtnetlink message types.
pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_DELROUTE: u16 = 25;
pub const RTM_GETROUTE: u16 = 26;
pub const RTM_NEWNEIGH: u16 = 28;
pub const RTM_DELNEIGH: u16 = 29;
pub const RTM_GETNEIGH: u16 = 30;

// Multicast groups (enum rtnetlink_groups): 1 to 32 joined by bind's nl_groups, the rest with NETLINK_ADD_MEMBERSHIP.
pub const RTNLGRP_LINK: u32 = 1;
pub const RTNLGRP_NEIGH: u32 = 3;
pub const RTNLGRP_IPV4_IFADDR: u32 = 5;
pub const RTNLGRP_IPV4_ROUTE: u32 = 7;
pub const RTNLGRP_IPV6_IFADDR: u32 = 9;
pub const RTNLGRP_IPV6_ROUTE: u32 = 11;

// struct ifinfomsg attributes (IFLA_*).
pub const IFLA_ADDRESS: u16 = 1;
pub const IFLA_BROADCAST: u16 = 2;
pub const IFLA_IFNAME: u16 = 3;
pub const IFLA_MTU: u16 = 4;
pub const IFLA_LINK: u16 = 5;
pub const IFLA_MASTER: u16 = 10;
/// A bridge port's settings, in a bridge's per-port (`AF_BRIDGE`) message:
/// `IFLA_BRPORT_*`, as `IFLA_INFO_SLAVE_DATA` holds them.
pub const IFLA_PROTINFO: u16 = 12;
/// The link's alias (`ip link set DEV alias TEXT`).
pub const IFLA_IFALIAS: u16 = 20;
pub const IFLA_TXQLEN: u16 = 13;
pub const IFLA_OPERSTATE: u16 = 16;
pub const IFLA_LINKINFO: u16 = 18;
pub const IFLA_AF_SPEC: u16 = 26;
pub const IFLA_LINK_NETNSID: u16 = 37;
pub const IFLA_PROP_LIST: u16 = 52;
pub const IFLA_ALT_IFNAME: u16 = 53;
pub const IFLA_QDISC: u16 = 6;
pub const IFLA_LINKMODE: u16 = 17;
pub const IFLA_GROUP: u16 = 27;
pub const IFLA_PROMISCUITY: u16 = 30;
pub const IFLA_NUM_TX_QUEUES: u16 = 31;
pub const IFLA_NUM_RX_QUEUES: u16 = 32;
pub const IFLA_GSO_MAX_SEGS: u16 = 40;
pub const IFLA_GSO_MAX_SIZE: u16 = 41;
pub const IFLA_MIN_MTU: u16 = 50;
pub const IFLA_MAX_MTU: u16 = 51;
pub const IFLA_GRO_MAX_SIZE: u16 = 58;
pub const IFLA_TSO_MAX_SIZE: u16 = 59;
pub const IFLA_TSO_MAX_SEGS: u16 = 60;
pub const IFLA_ALLMULTI: u16 = 61;
pub const IFLA_GSO_IPV4_MAX_SIZE: u16 = 63;
pub const IFLA_GRO_IPV4_MAX_SIZE: u16 = 64;
// IFLA_AF_SPEC / AF_INET6 nested attributes.
pub const IFLA_INET6_ADDR_GEN_MODE: u16 = 8;

// IFLA_LINKINFO nested attributes.
pub const IFLA_INFO_KIND: u16 = 1;
pub const IFLA_INFO_DATA: u16 = 2;
pub const IFLA_INFO_SLAVE_KIND: u16 = 4;
pub const IFLA_INFO_SLAVE_DATA: u16 = 5;

// struct ifaddrmsg attributes (IFA_*).
pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;
pub const IFA_LABEL: u16 = 3;
pub const IFA_BROADCAST: u16 = 4;
pub const IFA_CACHEINFO: u16 = 6;
pub const IFA_FLAGS: u16 = 8;
/// `IFA_RT_PRIORITY`: the metric of the prefix route an address makes.
pub const IFA_RT_PRIORITY: u16 = 9;
/// `ifa_flags`: a secondary address (IPv4), a temporary one (IPv6).
pub const IFA_F_SECONDARY: u32 = 0x01;
/// `ifa_flags`: a static address, not one learned (autoconfiguration, DHCP).
pub const IFA_F_PERMANENT: u32 = 0x80;
/// `ifa_flags`: duplicate address detection failed for the address.
pub const IFA_F_DADFAILED: u32 = 0x08;
/// `ifa_flags`: duplicate address detection is still running.
pub const IFA_F_TENTATIVE: u32 = 0x40;
/// The main routing table (`RT_TABLE_MAIN`).
pub const RT_TABLE_MAIN: u8 = 254;

// struct rtmsg attributes (RTA_*).
pub const RTA_DST: u16 = 1;
pub const RTA_SRC: u16 = 2;
pub const RTA_IIF: u16 = 3;
pub const RTA_OIF: u16 = 4;
pub const RTA_GATEWAY: u16 = 5;
pub const RTA_PRIORITY: u16 = 6;
pub const RTA_PREFSRC: u16 = 7;
pub const RTA_METRICS: u16 = 8;
pub const RTA_MULTIPATH: u16 = 9;
pub const RTA_TABLE: u16 = 15;
pub const RTA_VIA: u16 = 18;
pub const RTA_NEWDST: u16 = 19;
pub const RTA_PREF: u16 = 20;
pub const RTA_ENCAP_TYPE: u16 = 21;
pub const RTA_ENCAP: u16 = 22;
pub const RTA_NH_ID: u16 = 30;

// struct rtvia, the payload of RTA_VIA: a 16-bit family, then the address.
pub const RTVIA_FAMILY_LEN: usize = 2;

// RTA_METRICS nested attributes (RTAX_*).
/// A bit mask: bit `1 << RTAX_X` locks metric `RTAX_X`.
pub const RTAX_LOCK: u16 = 1;
pub const RTAX_MTU: u16 = 2;
pub const RTAX_RTT: u16 = 4;
pub const RTAX_RTTVAR: u16 = 5;
pub const RTAX_HOPLIMIT: u16 = 10;
pub const RTAX_FEATURES: u16 = 12;
pub const RTAX_RTO_MIN: u16 = 13;
/// The congestion control algorithm's name (a string).
pub const RTAX_CC_ALGO: u16 = 16;
/// The last metric `ip route` names (`fastopen_no_cookie`).
pub const RTAX_FASTOPEN_NO_COOKIE: u16 = 17;
/// `RTAX_FEATURES` bits `ip route` names.
pub const RTAX_FEATURE_ECN: u32 = 1 << 0;
pub const RTAX_FEATURE_TCP_USEC_TS: u32 = 1 << 4;

// struct ndmsg attributes (NDA_*).
pub const NDA_DST: u16 = 1;
pub const NDA_LLADDR: u16 = 2;
pub const NDA_MASTER: u16 = 9;
// Bridge forwarding database (AF_BRIDGE neighbours): more NDA_*, NTF_* and NUD_*.
pub const NDA_CACHEINFO: u16 = 3;
pub const NDA_VLAN: u16 = 5;
pub const NDA_PORT: u16 = 6;
pub const NDA_VNI: u16 = 7;
pub const NDA_IFINDEX: u16 = 8;
pub const NDA_LINK_NETNSID: u16 = 10;
pub const NDA_SRC_VNI: u16 = 11;
pub const NDA_NH_ID: u16 = 13;
pub const NTF_SELF: u8 = 0x02;
pub const NTF_MASTER: u8 = 0x04;
pub const NTF_PROXY: u8 = 0x08;
pub const NTF_EXT_LEARNED: u8 = 0x10;
pub const NTF_OFFLOADED: u8 = 0x20;
pub const NTF_STICKY: u8 = 0x40;
pub const NTF_ROUTER: u8 = 0x80;
pub const NUD_REACHABLE: u16 = 0x02;
pub const NUD_STALE: u16 = 0x04;
pub const NUD_NOARP: u16 = 0x40;
pub const NUD_PERMANENT: u16 = 0x80;

// Address families.
pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_BRIDGE: u8 = 7;
pub const AF_INET6: u8 = 10;
pub const AF_PACKET: u8 = 17;
pub const AF_MPLS: u8 = 28;
/// `rtm_family` of IPv4 multicast routing (`ip mroute`) routes: their addresses are IPv4.
pub const RTNL_FAMILY_IPMR: u8 = 128;
/// `rtm_family` of IPv6 multicast routing routes: their addresses are IPv6.
pub const RTNL_FAMILY_IP6MR: u8 = 129;

// An MPLS label stack entry (`struct mpls_label`, big-endian):
// label << 12 | traffic class << 9 | bottom of stack << 8 | TTL.
pub const MPLS_LS_LABEL_SHIFT: u32 = 12;
pub const MPLS_LS_TC_SHIFT: u32 = 9;
pub const MPLS_LS_S_SHIFT: u32 = 8;
/// `sizeof(struct mpls_label)`.
pub const MPLS_LABEL_LEN: usize = 4;

/// `sizeof(struct ifinfomsg)`.
pub const IFINFOMSG_LEN: usize = 16;
/// `sizeof(struct ifaddrmsg)`.
pub const IFADDRMSG_LEN: usize = 8;
/// `sizeof(struct rtmsg)`.
pub const RTMSG_LEN: usize = 12;
/// `sizeof(struct ndmsg)`.
pub const NDMSG_LEN: usize = 12;
/// `sizeof(struct rtnexthop)`.
pub const RTNEXTHOP_LEN: usize = 8;
/// `sizeof(struct ifa_cacheinfo)`.
pub const IFA_CACHEINFO_LEN: usize = 16;

// --- netconf: linux/netconf.h ----------------------------------------------

pub const RTM_NEWNETCONF: u16 = 80;
pub const RTM_DELNETCONF: u16 = 81;
pub const RTM_GETNETCONF: u16 = 82;
pub const RTNLGRP_IPV4_NETCONF: u32 = 24;
pub const RTNLGRP_IPV6_NETCONF: u32 = 25;
/// `sizeof(struct netconfmsg)`: the family byte alone (its attributes start at 4).
pub const NETCONFMSG_LEN: usize = 1;
// struct netconfmsg attributes (NETCONFA_*).
pub const NETCONFA_IFINDEX: u16 = 1;
pub const NETCONFA_FORWARDING: u16 = 2;
pub const NETCONFA_RP_FILTER: u16 = 3;
pub const NETCONFA_MC_FORWARDING: u16 = 4;
pub const NETCONFA_PROXY_NEIGH: u16 = 5;
pub const NETCONFA_IGNORE_ROUTES_WITH_LINKDOWN: u16 = 6;
pub const NETCONFA_INPUT: u16 = 7;
/// `NETCONFA_IFINDEX` of the `all` settings.
pub const NETCONFA_IFINDEX_ALL: i32 = -1;
/// `NETCONFA_IFINDEX` of the `default` settings (those new devices start with).
pub const NETCONFA_IFINDEX_DEFAULT: i32 = -2;

// --- mdb: linux/if_bridge.h -------------------------------------------------

pub const RTM_NEWMDB: u16 = 84;
pub const RTM_DELMDB: u16 = 85;
pub const RTM_GETMDB: u16 = 86;
pub const RTNLGRP_MDB: u32 = 26;
/// `sizeof(struct br_port_msg)`: family, 3 bytes of padding, the bridge's ifindex.
pub const BR_PORT_MSG_LEN: usize = 8;
/// `sizeof(struct br_mdb_entry)`: ifindex, state, flags, vid, a 16-byte address
/// union, the 16-bit protocol, padded to 4.
pub const BR_MDB_ENTRY_LEN: usize = 28;
// struct br_port_msg attributes (MDBA_*).
pub const MDBA_MDB: u16 = 1;
pub const MDBA_ROUTER: u16 = 2;
// MDBA_MDB nested attributes.
pub const MDBA_MDB_ENTRY: u16 = 1;
// MDBA_MDB_ENTRY nested attributes.
pub const MDBA_MDB_ENTRY_INFO: u16 = 1;
// Attributes after the struct br_mdb_entry of an MDBA_MDB_ENTRY_INFO (MDBA_MDB_EATTR_*).
pub const MDBA_MDB_EATTR_TIMER: u16 = 1;
pub const MDBA_MDB_EATTR_SRC_LIST: u16 = 2;
pub const MDBA_MDB_EATTR_GROUP_MODE: u16 = 3;
pub const MDBA_MDB_EATTR_SOURCE: u16 = 4;
pub const MDBA_MDB_EATTR_RTPROT: u16 = 5;
// MDBA_MDB_EATTR_SRC_LIST entries (MDBA_MDB_SRCLIST_ENTRY) and their attributes.
pub const MDBA_MDB_SRCLIST_ENTRY: u16 = 1;
pub const MDBA_MDB_SRCATTR_ADDRESS: u16 = 1;
pub const MDBA_MDB_SRCATTR_TIMER: u16 = 2;
// MDBA_ROUTER nested attributes: MDBA_ROUTER_PORT, a u32 port ifindex followed by
// MDBA_ROUTER_PATTR_* attributes.
pub const MDBA_ROUTER_PORT: u16 = 1;
pub const MDBA_ROUTER_PATTR_TIMER: u16 = 1;
pub const MDBA_ROUTER_PATTR_TYPE: u16 = 2;
/// `br_mdb_entry.state`: `MDB_TEMPORARY` is 0.
pub const MDB_PERMANENT: u8 = 1;
// br_mdb_entry.flags (MDB_FLAGS_*).
pub const MDB_FLAGS_OFFLOAD: u8 = 1 << 0;
pub const MDB_FLAGS_FAST_LEAVE: u8 = 1 << 1;
pub const MDB_FLAGS_STAR_EXCL: u8 = 1 << 2;
pub const MDB_FLAGS_BLOCKED: u8 = 1 << 3;
pub const MDB_FLAGS_OFFLOAD_FAILED: u8 = 1 << 4;
// Multicast router types of a router port (MDB_RTR_TYPE_*): the temporary ones.
pub const MDB_RTR_TYPE_TEMP_QUERY: u8 = 1;
pub const MDB_RTR_TYPE_TEMP: u8 = 3;
// br_mdb_entry.addr.proto (big-endian on the wire): ETH_P_IP, ETH_P_IPV6; 0 is
// a layer-2 group (a MAC address).
pub const ETH_P_IP: u16 = 0x0800;
pub const ETH_P_IPV6: u16 = 0x86dd;
// MDBA_MDB_EATTR_GROUP_MODE values (linux/in.h).
pub const MCAST_EXCLUDE: u8 = 0;
pub const MCAST_INCLUDE: u8 = 1;
// ---- nexthop objects (linux/nexthop.h, linux/lwtunnel.h) ----------------------

pub const RTM_NEWNEXTHOP: u16 = 104;
pub const RTM_DELNEXTHOP: u16 = 105;
pub const RTM_GETNEXTHOP: u16 = 106;
/// The last group `bind`'s `nl_groups` can name (bit 31).
pub const RTNLGRP_NEXTHOP: u32 = 32;
/// `sizeof(struct nhmsg)`.
pub const NHMSG_LEN: usize = 8;
/// `sizeof(struct nexthop_grp)`: `id` (u32), `weight` (u8), `weight_high` (u8),
/// `resvd2` (u16).
pub const NEXTHOP_GRP_LEN: usize = 8;

// struct nhmsg attributes (NHA_*).
pub const NHA_ID: u16 = 1;
pub const NHA_GROUP: u16 = 2;
pub const NHA_GROUP_TYPE: u16 = 3;
pub const NHA_BLACKHOLE: u16 = 4;
pub const NHA_OIF: u16 = 5;
pub const NHA_GATEWAY: u16 = 6;
pub const NHA_ENCAP_TYPE: u16 = 7;
pub const NHA_ENCAP: u16 = 8;
pub const NHA_FDB: u16 = 11;
pub const NHA_RES_GROUP: u16 = 12;
pub const NHA_OP_FLAGS: u16 = 14;
pub const NHA_HW_STATS_ENABLE: u16 = 16;
pub const NHA_HW_STATS_USED: u16 = 17;

/// In `NHA_OP_FLAGS` of an answer: `nexthop_grp.weight_high` holds the high
/// byte of the weight (older kernels leave it reserved, zero).
pub const NHA_OP_FLAG_RESP_GRP_RESVD_0: u32 = 1 << 31;

// NHA_GROUP_TYPE values.
pub const NEXTHOP_GRP_TYPE_MPATH: u16 = 0;
pub const NEXTHOP_GRP_TYPE_RES: u16 = 1;

// NHA_RES_GROUP nested attributes.
pub const NHA_RES_GROUP_BUCKETS: u16 = 1;
pub const NHA_RES_GROUP_IDLE_TIMER: u16 = 2;
pub const NHA_RES_GROUP_UNBALANCED_TIMER: u16 = 3;
pub const NHA_RES_GROUP_UNBALANCED_TIME: u16 = 4;

// Lightweight tunnel encapsulations (NHA_ENCAP_TYPE, LWTUNNEL_ENCAP_*).
pub const LWTUNNEL_ENCAP_MPLS: u16 = 1;
pub const LWTUNNEL_ENCAP_IP: u16 = 2;
pub const LWTUNNEL_ENCAP_IP6: u16 = 4;
// NHA_ENCAP of LWTUNNEL_ENCAP_MPLS (MPLS_IPTUNNEL_*).
pub const MPLS_IPTUNNEL_DST: u16 = 1;
pub const MPLS_IPTUNNEL_TTL: u16 = 2;
// NHA_ENCAP of LWTUNNEL_ENCAP_IP and _IP6 (LWTUNNEL_IP_* / LWTUNNEL_IP6_*: the
// same numbers; IPv6 has a hop limit and a traffic class where IPv4 has a TTL
// and a TOS).
pub const LWTUNNEL_IP_ID: u16 = 1;
pub const LWTUNNEL_IP_DST: u16 = 2;
pub const LWTUNNEL_IP_SRC: u16 = 3;
pub const LWTUNNEL_IP_TTL: u16 = 4;
pub const LWTUNNEL_IP_TOS: u16 = 5;

/// `ifi_flags`: the link has a carrier (with `IFF_RUNNING`, what keeps its
/// nexthops).
pub const IFF_LOWER_UP: u32 = 0x1_0000;

// RTM_F_* bits of nh_flags that `ip` names besides the RTNH_F_* ones.
pub const RTM_F_NOTIFY: u32 = 0x100;
pub const RTM_F_OFFLOAD: u32 = 0x4000;
pub const RTM_F_TRAP: u32 = 0x8000;
pub const RTM_F_OFFLOAD_FAILED: u32 = 0x2000_0000;

// ---- rule: policy routing rules (linux/fib_rules.h) --------------------------
pub const RTM_NEWRULE: u16 = 32;
pub const RTM_DELRULE: u16 = 33;
pub const RTM_GETRULE: u16 = 34;
pub const RTNLGRP_IPV4_RULE: u32 = 8;
pub const RTNLGRP_IPV6_RULE: u32 = 19;
/// `sizeof(struct fib_rule_hdr)`.
pub const FIB_RULE_HDR_LEN: usize = 12;
// struct fib_rule_hdr attributes (FRA_*).
pub const FRA_DST: u16 = 1;
pub const FRA_SRC: u16 = 2;
pub const FRA_IIFNAME: u16 = 3;
pub const FRA_GOTO: u16 = 4;
pub const FRA_PRIORITY: u16 = 6;
pub const FRA_FWMARK: u16 = 10;
pub const FRA_FLOW: u16 = 11;
pub const FRA_TUN_ID: u16 = 12;
pub const FRA_SUPPRESS_IFGROUP: u16 = 13;
pub const FRA_SUPPRESS_PREFIXLEN: u16 = 14;
pub const FRA_TABLE: u16 = 15;
pub const FRA_FWMASK: u16 = 16;
pub const FRA_OIFNAME: u16 = 17;
pub const FRA_L3MDEV: u16 = 19;
pub const FRA_UID_RANGE: u16 = 20;
pub const FRA_PROTOCOL: u16 = 21;
pub const FRA_IP_PROTO: u16 = 22;
pub const FRA_SPORT_RANGE: u16 = 23;
pub const FRA_DPORT_RANGE: u16 = 24;
pub const FRA_DSCP: u16 = 25;
pub const FRA_FLOWLABEL: u16 = 26;
pub const FRA_FLOWLABEL_MASK: u16 = 27;
pub const FRA_SPORT_MASK: u16 = 28;
pub const FRA_DPORT_MASK: u16 = 29;
pub const FRA_DSCP_MASK: u16 = 30;
// fib_rule_hdr.flags (FIB_RULE_*).
pub const FIB_RULE_PERMANENT: u32 = 0x1;
pub const FIB_RULE_INVERT: u32 = 0x2;
pub const FIB_RULE_UNRESOLVED: u32 = 0x4;
pub const FIB_RULE_IIF_DETACHED: u32 = 0x8;
pub const FIB_RULE_OIF_DETACHED: u32 = 0x10;
// fib_rule_hdr.action (FR_ACT_*).
pub const FR_ACT_TO_TBL: u8 = 1;
pub const FR_ACT_GOTO: u8 = 2;
pub const FR_ACT_NOP: u8 = 3;
pub const FR_ACT_BLACKHOLE: u8 = 6;
pub const FR_ACT_UNREACHABLE: u8 = 7;
pub const FR_ACT_PROHIBIT: u8 = 8;

// ---- nsid: ids of peer network namespaces (linux/net_namespace.h) ------------
pub const RTM_NEWNSID: u16 = 88;
pub const RTM_DELNSID: u16 = 89;
pub const RTM_GETNSID: u16 = 90;
pub const RTNLGRP_NSID: u32 = 28;
/// `sizeof(struct rtgenmsg)`.
pub const RTGENMSG_LEN: usize = 1;
// struct rtgenmsg attributes (NETNSA_*).
pub const NETNSA_NSID: u16 = 1;
pub const NETNSA_PID: u16 = 2;
pub const NETNSA_FD: u16 = 3;
pub const NETNSA_TARGET_NSID: u16 = 4;
pub const NETNSA_CURRENT_NSID: u16 = 5;
