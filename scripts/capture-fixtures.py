#!/usr/bin/env python3
"""Capture real rtnetlink notifications from the running kernel as decoder
test fixtures for nlwatch.

Usage (from the repository root):

    sudo python3 scripts/capture-fixtures.py [OUTPUT_DIR]

OUTPUT_DIR defaults to src/wire/fixtures/ next to this script's parent.

Safety: the script never touches the host's network configuration.  Unless
NLWATCH_SANDBOXED is set it re-executes itself as

    unshare --net --mount --propagation private env NLWATCH_SANDBOXED=1 \
        NLWATCH_PARENT_NETNS=<inode> python3 <script> <args>

so every `ip` command and the netlink socket live in a brand-new, throw-away
network namespace that disappears when the process exits.  Inside, it refuses
to run if its network namespace is the same as the one it was launched from.
No traffic is sent; interfaces are only configured.

Each output .bin file holds exactly one netlink message, byte-exact as
received from the kernel (nlmsg_len bytes, no trailing padding).

Python 3.11, standard library only.
"""

import os
import select
import socket
import struct
import subprocess
import sys
import time

# ---------------------------------------------------------------------------
# Sandbox re-exec
# ---------------------------------------------------------------------------


def netns_inode():
    return os.stat("/proc/self/ns/net").st_ino


def ensure_sandbox():
    if os.environ.get("NLWATCH_SANDBOXED"):
        # Belt and braces against NLWATCH_SANDBOXED being set by hand on the
        # host: our netns must differ from the launcher's and from our parent
        # process's (unshare execs env which execs us, so the parent is
        # whatever ran `unshare`, i.e. a process in the original namespace).
        mine = netns_inode()
        parent = os.environ.get("NLWATCH_PARENT_NETNS")
        if parent is not None and int(parent) == mine:
            sys.exit("refusing to run: still in the launching network namespace")
        try:
            ppid_ns = os.stat(f"/proc/{os.getppid()}/ns/net").st_ino
        except OSError:
            ppid_ns = None
        if ppid_ns == mine:
            sys.exit("refusing to run: same network namespace as parent process; "
                     "run without NLWATCH_SANDBOXED so the script can unshare itself")
        if ppid_ns is None and parent is None:
            sys.exit("refusing to run: cannot prove we are in a private network namespace")
        existing = _ifnames() & {"veth0", "veth1", "br0"}
        if existing:
            sys.exit(f"refusing to run: {sorted(existing)} already exist in this namespace")
        return
    if os.geteuid() != 0:
        sys.exit("must be run as root (needs unshare --net and ip link add)")
    script = os.path.abspath(__file__)
    cmd = [
        "unshare", "--net", "--mount", "--propagation", "private",
        "env", "NLWATCH_SANDBOXED=1", f"NLWATCH_PARENT_NETNS={netns_inode()}",
        sys.executable or "python3", script, *sys.argv[1:],
    ]
    rc = subprocess.call(cmd)
    sys.exit(rc)


def _ifnames():
    names = set()
    with open("/proc/self/net/dev") as f:
        for line in f.readlines()[2:]:
            names.add(line.split(":", 1)[0].strip())
    return names


# ---------------------------------------------------------------------------
# Netlink constants
# ---------------------------------------------------------------------------

SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1

RTNLGRP_LINK = 1
RTNLGRP_NEIGH = 3
RTNLGRP_IPV4_IFADDR = 5
RTNLGRP_IPV4_ROUTE = 7
RTNLGRP_IPV6_IFADDR = 9
RTNLGRP_IPV6_ROUTE = 11
RTNLGRP_IPV4_RULE = 8
RTNLGRP_IPV6_RULE = 19
RTNLGRP_NSID = 28

RTM_NEWLINK, RTM_DELLINK = 16, 17
RTM_NEWADDR, RTM_DELADDR = 20, 21
RTM_NEWROUTE, RTM_DELROUTE = 24, 25
RTM_NEWNEIGH, RTM_DELNEIGH = 28, 29
RTM_NEWNEXTHOP, RTM_DELNEXTHOP = 104, 105
RTNLGRP_NEXTHOP = 32
RTM_NEWRULE, RTM_DELRULE = 32, 33
RTM_NEWNSID, RTM_DELNSID = 88, 89

MSG_NAMES = {
    RTM_NEWLINK: "RTM_NEWLINK", RTM_DELLINK: "RTM_DELLINK",
    RTM_NEWADDR: "RTM_NEWADDR", RTM_DELADDR: "RTM_DELADDR",
    RTM_NEWROUTE: "RTM_NEWROUTE", RTM_DELROUTE: "RTM_DELROUTE",
    RTM_NEWNEIGH: "RTM_NEWNEIGH", RTM_DELNEIGH: "RTM_DELNEIGH",
    RTM_NEWRULE: "RTM_NEWRULE", RTM_DELRULE: "RTM_DELRULE",
    RTM_NEWNSID: "RTM_NEWNSID", RTM_DELNSID: "RTM_DELNSID",
}

NLA_TYPE_MASK = 0x3FFF

# ifinfomsg attributes
IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_MTU = 4
IFLA_MASTER = 10
IFLA_OPERSTATE = 16
IFLA_LINKINFO = 18
IFLA_INFO_KIND = 1
IFLA_INFO_SLAVE_KIND = 4
IFLA_PROP_LIST = 52
IFLA_ALT_IFNAME = 53

IFF_UP = 0x1
IFF_RUNNING = 0x40
IFF_LOWER_UP = 0x10000

# ifaddrmsg attributes
IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_LABEL = 3
IFA_BROADCAST = 4

# rtmsg attributes
RTA_DST = 1
RTA_OIF = 4
RTA_GATEWAY = 5
RTA_PRIORITY = 6
RTA_METRICS = 8
RTA_MULTIPATH = 9
RTA_TABLE = 15
RTAX_MTU = 2

# ndmsg attributes
NDA_DST = 1
NDA_LLADDR = 2
NDA_VNI = 7
NDA_MASTER = 9

# fib_rule_hdr attributes
FRA_DST = 1
FRA_SRC = 2
FRA_IIFNAME = 3
FRA_GOTO = 4
FRA_PRIORITY = 6
FRA_FWMARK = 10
FRA_TABLE = 15
FRA_FWMASK = 16
FRA_OIFNAME = 17

# rtgenmsg attributes (RTM_*NSID)
NETNSA_NSID = 1

AF_INET = 2
AF_INET6 = 10
AF_BRIDGE = 7

# ---------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------


def nlmsg_align(n):
    return (n + 3) & ~3


class Msg:
    __slots__ = ("raw", "type", "flags", "seq", "pid")

    def __init__(self, raw):
        self.raw = raw
        _, self.type, self.flags, self.seq, self.pid = struct.unpack_from("<IHHII", raw, 0)

    @property
    def name(self):
        return MSG_NAMES.get(self.type, str(self.type))

    @property
    def payload(self):
        return self.raw[16:]


def split_datagram(data):
    msgs = []
    off = 0
    while off + 16 <= len(data):
        (length,) = struct.unpack_from("<I", data, off)
        if length < 16 or off + length > len(data):
            raise ValueError(f"bad nlmsg_len {length} at offset {off} of {len(data)}")
        msgs.append(Msg(bytes(data[off:off + length])))
        off += nlmsg_align(length)
    return msgs


def parse_attrs(buf):
    """Return list of (type, value) with NLA_F_NESTED/NET_BYTEORDER masked off."""
    out = []
    off = 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("<HH", buf, off)
        if alen < 4 or off + alen > len(buf):
            break
        out.append((atype & NLA_TYPE_MASK, bytes(buf[off + 4:off + alen])))
        off += nlmsg_align(alen)
    return out


def attr(attrs, t):
    for at, v in attrs:
        if at == t:
            return v
    return None


def cstr(v):
    # Names need not be UTF-8 (the kernel takes any byte but NUL, '/', ':' and
    # white space): keep the odd bytes as surrogate escapes.
    if v is None:
        return None
    return v.split(b"\0", 1)[0].decode("utf-8", errors="surrogateescape")


def u32(v):
    return struct.unpack("<I", v[:4])[0] if v is not None else None


def ipaddr(family, v):
    if v is None:
        return None
    return socket.inet_ntop(socket.AF_INET if family == AF_INET else socket.AF_INET6, v)


def mac(v):
    return ":".join(f"{b:02x}" for b in v) if v is not None else None


def parse_link(m):
    family, _, iftype, index, flags, change = struct.unpack_from("<BBHiII", m.payload, 0)
    attrs = parse_attrs(m.payload[16:])
    info = {
        "family": family, "ifi_type": iftype, "ifindex": index,
        "flags": flags, "change": change,
        "ifname": cstr(attr(attrs, IFLA_IFNAME)),
        "master": u32(attr(attrs, IFLA_MASTER)),
        "mtu": u32(attr(attrs, IFLA_MTU)),
        "address": mac(attr(attrs, IFLA_ADDRESS)),
        "kind": None, "slave_kind": None, "altnames": [],
        "has_linkinfo": False,
    }
    li = attr(attrs, IFLA_LINKINFO)
    if li is not None:
        info["has_linkinfo"] = True
        la = parse_attrs(li)
        info["kind"] = cstr(attr(la, IFLA_INFO_KIND))
        info["slave_kind"] = cstr(attr(la, IFLA_INFO_SLAVE_KIND))
    pl = attr(attrs, IFLA_PROP_LIST)
    if pl is not None:
        info["altnames"] = [cstr(v) for t, v in parse_attrs(pl) if t == IFLA_ALT_IFNAME]
    op = attr(attrs, IFLA_OPERSTATE)
    info["operstate"] = op[0] if op else None
    return info


def parse_addr(m):
    family, prefixlen, flags, scope, index = struct.unpack_from("<BBBBi", m.payload, 0)
    attrs = parse_attrs(m.payload[8:])
    return {
        "family": family, "prefixlen": prefixlen, "ifa_flags": flags,
        "scope": scope, "ifindex": index,
        "address": ipaddr(family, attr(attrs, IFA_ADDRESS)),
        "local": ipaddr(family, attr(attrs, IFA_LOCAL)),
        "broadcast": ipaddr(family, attr(attrs, IFA_BROADCAST)),
        "label": cstr(attr(attrs, IFA_LABEL)),
    }


def parse_route(m):
    (family, dst_len, src_len, tos, table, proto, scope, rtype, flags) = struct.unpack_from(
        "<BBBBBBBBI", m.payload, 0)
    attrs = parse_attrs(m.payload[12:])
    rta_table = u32(attr(attrs, RTA_TABLE))
    info = {
        "family": family, "dst_len": dst_len, "rtm_table": table,
        "rta_table": rta_table, "table": rta_table if rta_table is not None else table,
        "protocol": proto, "scope": scope, "rtm_type": rtype,
        "dst": ipaddr(family, attr(attrs, RTA_DST)),
        "gateway": ipaddr(family, attr(attrs, RTA_GATEWAY)),
        "oif": u32(attr(attrs, RTA_OIF)),
        "priority": u32(attr(attrs, RTA_PRIORITY)),
        "metrics": None, "multipath": None,
    }
    met = attr(attrs, RTA_METRICS)
    if met is not None:
        info["metrics"] = {t: u32(v) for t, v in parse_attrs(met)}
    mp = attr(attrs, RTA_MULTIPATH)
    if mp is not None:
        hops = []
        off = 0
        while off + 8 <= len(mp):
            rtnh_len, rtnh_flags, rtnh_hops, rtnh_ifindex = struct.unpack_from("<HBBi", mp, off)
            if rtnh_len < 8:
                break
            na = parse_attrs(mp[off + 8:off + rtnh_len])
            hops.append({
                "ifindex": rtnh_ifindex, "weight": rtnh_hops + 1,
                "gateway": ipaddr(family, attr(na, RTA_GATEWAY)),
            })
            off += nlmsg_align(rtnh_len)
        info["multipath"] = hops
    return info


def parse_neigh(m):
    family, _, _, index, state, flags, ntype = struct.unpack_from("<BBHiHBB", m.payload, 0)
    attrs = parse_attrs(m.payload[12:])
    dst = attr(attrs, NDA_DST)
    if family == AF_BRIDGE and dst is not None:
        # A VXLAN remote: IPv4 or IPv6 by length.
        dst_family = AF_INET if len(dst) == 4 else socket.AF_INET6
    else:
        dst_family = family
    vni = attr(attrs, NDA_VNI)
    master = attr(attrs, NDA_MASTER)
    return {
        "family": family, "ifindex": index, "state": state, "ndm_flags": flags,
        "ndm_type": ntype,
        "dst": ipaddr(dst_family, dst),
        "lladdr": mac(attr(attrs, NDA_LLADDR)),
        "vni": struct.unpack("<I", vni)[0] if vni is not None else None,
        "master": struct.unpack("<I", master)[0] if master is not None else None,
    }


def parse_rule(m):
    family, dst_len, src_len, tos, table, _, _, action, flags = struct.unpack_from(
        "<BBBBBBBBI", m.payload, 0)
    attrs = parse_attrs(m.payload[12:])
    fra_table = u32(attr(attrs, FRA_TABLE))
    return {
        "family": family, "dst_len": dst_len, "src_len": src_len, "tos": tos,
        "table": fra_table if fra_table is not None else table, "action": action,
        "rule_flags": flags,
        "priority": u32(attr(attrs, FRA_PRIORITY)) or 0,
        "src": ipaddr(family, attr(attrs, FRA_SRC)),
        "dst": ipaddr(family, attr(attrs, FRA_DST)),
        "iif": cstr(attr(attrs, FRA_IIFNAME)),
        "oif": cstr(attr(attrs, FRA_OIFNAME)),
        "fwmark": u32(attr(attrs, FRA_FWMARK)),
        "fwmask": u32(attr(attrs, FRA_FWMASK)),
        "goto": u32(attr(attrs, FRA_GOTO)),
    }


def parse_nsid(m):
    attrs = parse_attrs(m.payload[4:])
    v = attr(attrs, NETNSA_NSID)
    return {"nsid": struct.unpack("<i", v)[0] if v is not None and len(v) == 4 else None}


# netconf and MDB (step 13) ------------------------------------------------

RTNLGRP_IPV4_NETCONF = 24
RTNLGRP_IPV6_NETCONF = 25
RTNLGRP_MDB = 26
RTM_NEWNETCONF, RTM_DELNETCONF, RTM_GETNETCONF = 80, 81, 82
RTM_NEWMDB, RTM_DELMDB, RTM_GETMDB = 84, 85, 86
MSG_NAMES.update({
    RTM_NEWNETCONF: "RTM_NEWNETCONF", RTM_DELNETCONF: "RTM_DELNETCONF",
    RTM_NEWMDB: "RTM_NEWMDB", RTM_DELMDB: "RTM_DELMDB", RTM_GETMDB: "RTM_GETMDB",
})
NETCONFA_NAMES = {1: "ifindex", 2: "forwarding", 3: "rp_filter", 4: "mc_forwarding",
                  5: "proxy_neigh", 6: "ignore_routes_with_linkdown", 7: "input"}
ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD


def parse_netconf(m):
    family = m.payload[0]
    attrs = parse_attrs(m.payload[4:])
    ifi = attr(attrs, 1)
    return {
        "family": family,
        "ifindex": struct.unpack("<i", ifi[:4])[0] if ifi else None,
        "attrs": [NETCONFA_NAMES.get(t, str(t)) for t, _ in attrs],
    }


def parse_mdb(m):
    family, bridge = struct.unpack_from("<B3xI", m.payload, 0)
    entries, routers = [], []
    for t, v in parse_attrs(m.payload[8:]):
        if t == 1:  # MDBA_MDB
            for et, ev in parse_attrs(v):
                for it, iv in parse_attrs(ev):
                    if et != 1 or it != 1 or len(iv) < 28:
                        continue
                    port, state, flags, vid = struct.unpack_from("<IBBH", iv, 0)
                    (proto,) = struct.unpack_from(">H", iv, 24)
                    raw = iv[8:24]
                    grp = (socket.inet_ntop(socket.AF_INET, raw[:4]) if proto == ETH_P_IP
                           else socket.inet_ntop(socket.AF_INET6, raw) if proto == ETH_P_IPV6
                           else mac(raw[:6]))
                    src = None
                    for at, av in parse_attrs(iv[28:]):
                        if at == 4:  # MDBA_MDB_EATTR_SOURCE
                            src = socket.inet_ntop(
                                socket.AF_INET if len(av) == 4 else socket.AF_INET6, av)
                    entries.append({"port": port, "grp": grp, "src": src, "state": state})
        elif t == 2:  # MDBA_ROUTER
            for rt, rv in parse_attrs(v):
                if rt == 1 and len(rv) >= 4:
                    routers.append(u32(rv))
    return {"family": family, "ifindex": bridge, "entries": entries, "routers": routers}


def dump_request(mtype, header):
    """A dump request (NLM_F_REQUEST | NLM_F_DUMP) with a zeroed family header
    but for its first byte."""
    body = header + b"\0" * ((4 - len(header) % 4) % 4)
    return struct.pack("<IHHII", 16 + len(body), mtype, 0x301, 424242, 0) + body


def parse_nexthop(m):
    family, scope, proto, _, flags = struct.unpack_from("<BBBBI", m.payload, 0)
    attrs = parse_attrs(m.payload[8:])
    grp = attr(attrs, 2)  # NHA_GROUP
    op_flags = u32(attr(attrs, 14))  # NHA_OP_FLAGS
    high = op_flags is not None and op_flags & (1 << 31)
    group = None
    if grp is not None:
        group = []
        for off in range(0, len(grp) - 7, 8):
            gid, w, wh = struct.unpack_from("<IBB", grp, off)
            group.append((gid, ((wh if high else 0) << 8 | w) + 1))
    gw = attr(attrs, 6)  # NHA_GATEWAY
    return {
        "family": family, "scope": scope, "protocol": proto, "nh_flags": flags,
        "id": u32(attr(attrs, 1)), "oif": u32(attr(attrs, 5)),
        "gateway": ipaddr(family, gw) if gw is not None else None,
        "blackhole": attr(attrs, 4) is not None, "fdb": attr(attrs, 11) is not None,
        "group": group, "group_type": attr(attrs, 3) and struct.unpack("<H", attr(attrs, 3))[0],
        "res_group": attr(attrs, 12) is not None, "op_flags": op_flags,
        "attrs": sorted({t for t, _ in attrs}),
    }


PARSERS = {
    RTM_NEWNETCONF: parse_netconf, RTM_DELNETCONF: parse_netconf,
    RTM_NEWMDB: parse_mdb, RTM_DELMDB: parse_mdb, RTM_GETMDB: parse_mdb,
    RTM_NEWLINK: parse_link, RTM_DELLINK: parse_link,
    RTM_NEWADDR: parse_addr, RTM_DELADDR: parse_addr,
    RTM_NEWROUTE: parse_route, RTM_DELROUTE: parse_route,
    RTM_NEWNEIGH: parse_neigh, RTM_DELNEIGH: parse_neigh,
    RTM_NEWRULE: parse_rule, RTM_DELRULE: parse_rule,
    RTM_NEWNSID: parse_nsid, RTM_DELNSID: parse_nsid,
}


def describe(m):
    p = PARSERS.get(m.type)
    return p(m) if p else {}


# ---------------------------------------------------------------------------
# Socket
# ---------------------------------------------------------------------------


def open_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((0, 0))
    for g in (RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE,
              RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE,
              RTNLGRP_IPV6_RULE, RTNLGRP_NSID):
        s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g)
    return s


def drain(s, quiet=0.3, until=None, max_wait=5.0):
    """Read until no datagram for `quiet` seconds.  If `until` is given, keep
    waiting (up to max_wait) until it returns true for the collected list."""
    msgs = []
    deadline = time.monotonic() + max_wait
    while True:
        r, _, _ = select.select([s], [], [], quiet)
        if r:
            data = s.recv(1 << 20)
            msgs.extend(split_datagram(data))
            continue
        if until is None or until(msgs) or time.monotonic() >= deadline:
            return msgs


def flush(s):
    """Discard anything already queued (non-blocking); return it."""
    msgs = []
    while True:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return msgs
        msgs.extend(split_datagram(s.recv(1 << 20)))


def run(cmd):
    print("+ " + cmd, flush=True)
    subprocess.run(cmd, shell=True, check=True)


# ---------------------------------------------------------------------------
# Capture
# ---------------------------------------------------------------------------


class Capture:
    def __init__(self, outdir):
        self.outdir = outdir
        self.sock = open_socket()
        self.records = []   # dicts for README / manifest
        self.problems = []
        self.idx = {}

    def step(self, cmds, until=None, max_wait=5.0):
        stray = flush(self.sock)
        if stray:
            print(f"  (discarded {len(stray)} late message(s) from earlier steps: "
                  + ", ".join(m.name for m in stray) + ")")
        for c in cmds:
            run(c)
        msgs = drain(self.sock, until=until, max_wait=max_wait)
        print(f"  received {len(msgs)} message(s): "
              + ", ".join(m.name for m in msgs))
        return msgs

    def save(self, fname, cmds, msgs, mtype, pred, prefer=None, note=""):
        cands = []
        for m in msgs:
            if m.type != mtype:
                continue
            d = describe(m)
            if pred(d):
                cands.append((m, d))
        ncands = len(cands)
        if prefer is not None:
            pref = [c for c in cands if prefer(c[1])]
            if pref:
                cands = pref
            else:
                note += " (no candidate matched the preferred criteria; fell back)"
        if not cands:
            msg = f"{fname}: no matching {MSG_NAMES[mtype]} seen"
            print("  !! " + msg)
            self.problems.append(msg)
            return None
        m, d = cands[-1]
        with open(os.path.join(self.outdir, fname), "wb") as f:
            f.write(m.raw)
        print(f"  -> {fname}: {m.name} {len(m.raw)} bytes "
              f"(picked last of {len(cands)}, {ncands} matched)")
        self.records.append({
            "file": fname, "cmds": cmds, "type": m.type, "name": m.name,
            "len": len(m.raw), "flags": m.flags, "seq": m.seq, "pid": m.pid,
            "fields": d, "matched": ncands, "chosen_from": len(cands),
            "note": note.strip(),
        })
        return d


def main():
    ensure_sandbox()
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "src", "wire", "fixtures")
    outdir = os.path.abspath(outdir)
    os.makedirs(outdir, exist_ok=True)

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    cap = Capture(outdir)
    time.sleep(0.2)
    flush(cap.sock)

    def is_link(name_or_idx):
        def p(d):
            return d["ifindex"] == cap.idx[name_or_idx]
        return p

    # 1. veth pair ----------------------------------------------------------
    c = ["ip link add veth0 address 02:00:00:00:00:01 type veth peer name veth1 address 02:00:00:00:00:02"]
    msgs = cap.step(c)
    cap.idx["veth0"] = socket.if_nametoindex("veth0")
    cap.idx["veth1"] = socket.if_nametoindex("veth1")
    print(f"  veth0 ifindex={cap.idx['veth0']} veth1 ifindex={cap.idx['veth1']}")
    cap.save("link_new_veth.bin", c, msgs, RTM_NEWLINK,
             lambda d: d["ifindex"] == cap.idx["veth0"],
             prefer=lambda d: d["family"] == 0 and d["kind"] == "veth",
             note="Preferred: AF_UNSPEC message with IFLA_INFO_KIND \"veth\"; last such one.")

    c = ["ip link set veth0 up", "ip link set veth1 up"]

    def veth0_lower_up(ms):
        for m in ms:
            if m.type == RTM_NEWLINK:
                d = parse_link(m)
                if d["ifindex"] == cap.idx["veth0"] and d["flags"] & IFF_LOWER_UP:
                    return True
        return False

    msgs = cap.step(c, until=veth0_lower_up, max_wait=5.0)
    cap.save("link_new_veth_up.bin", c, msgs, RTM_NEWLINK,
             lambda d: d["ifindex"] == cap.idx["veth0"] and d["family"] == 0,
             prefer=lambda d: bool(d["flags"] & IFF_UP and d["flags"] & IFF_LOWER_UP),
             note="Waited (up to 5 s) for the linkwatch carrier-up notification; "
                  "picked the last AF_UNSPEC RTM_NEWLINK for veth0 with IFF_UP|IFF_LOWER_UP.")

    # 2/3. addresses --------------------------------------------------------
    c = ["ip addr add 10.0.0.1/24 broadcast 10.0.0.255 dev veth0 label veth0:a"]
    msgs = cap.step(c)
    cap.save("addr_new_v4.bin", c, msgs, RTM_NEWADDR,
             lambda d: d["family"] == AF_INET and d["ifindex"] == cap.idx["veth0"]
             and d["local"] == "10.0.0.1")

    c = ["ip addr add 2001:db8::1/64 dev veth0 nodad"]
    msgs = cap.step(c)
    cap.save("addr_new_v6.bin", c, msgs, RTM_NEWADDR,
             lambda d: d["family"] == AF_INET6 and d["ifindex"] == cap.idx["veth0"]
             and d["address"] == "2001:db8::1")

    # 4-7. routes -----------------------------------------------------------
    c = ["ip route add 10.1.0.0/24 via 10.0.0.2 dev veth0 table 100 proto static metric 50"]
    msgs = cap.step(c)
    cap.save("route_new_v4.bin", c, msgs, RTM_NEWROUTE,
             lambda d: d["family"] == AF_INET and d["table"] == 100
             and d["dst"] == "10.1.0.0" and d["dst_len"] == 24)

    c = ["ip route add 10.3.0.0/16 via 10.0.0.2 dev veth0 mtu 1400"]
    msgs = cap.step(c)
    cap.save("route_new_v4_main.bin", c, msgs, RTM_NEWROUTE,
             lambda d: d["family"] == AF_INET and d["table"] == 254
             and d["dst"] == "10.3.0.0" and d["dst_len"] == 16)

    c = ["ip -6 route add 2001:db8:1::/64 via 2001:db8::2 dev veth0 metric 1024"]
    msgs = cap.step(c)
    cap.save("route_new_v6.bin", c, msgs, RTM_NEWROUTE,
             lambda d: d["family"] == AF_INET6 and d["table"] == 254
             and d["dst"] == "2001:db8:1::" and d["dst_len"] == 64)

    c = ["ip route add 10.2.0.0/24 nexthop via 10.0.0.2 dev veth0 weight 1 "
         "nexthop via 10.0.0.3 dev veth0 weight 2"]
    msgs = cap.step(c)
    cap.save("route_new_multipath.bin", c, msgs, RTM_NEWROUTE,
             lambda d: d["family"] == AF_INET and d["dst"] == "10.2.0.0"
             and d["dst_len"] == 24,
             prefer=lambda d: d["multipath"] is not None)

    # 8. neighbour ----------------------------------------------------------
    c = ["ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent"]
    msgs = cap.step(c)
    cap.save("neigh_new.bin", c, msgs, RTM_NEWNEIGH,
             lambda d: d["family"] == AF_INET and d["ifindex"] == cap.idx["veth0"]
             and d["dst"] == "10.0.0.2")

    # 9. altname ------------------------------------------------------------
    c = ["ip link property add dev veth0 altname veth0-alt-name"]
    try:
        msgs = cap.step(c)
        cap.save("link_new_altname.bin", c, msgs, RTM_NEWLINK,
                 lambda d: d["ifindex"] == cap.idx["veth0"] and d["family"] == 0,
                 prefer=lambda d: "veth0-alt-name" in d["altnames"],
                 note="Picked the last AF_UNSPEC RTM_NEWLINK for veth0 whose "
                      "IFLA_PROP_LIST contains IFLA_ALT_IFNAME \"veth0-alt-name\".")
    except subprocess.CalledProcessError as e:
        msg = f"link_new_altname.bin: altname not supported ({e})"
        print("  !! " + msg)
        cap.problems.append(msg)

    # 10. bridge ------------------------------------------------------------
    c = ["ip link add br0 type bridge"]
    msgs = cap.step(c)
    cap.idx["br0"] = socket.if_nametoindex("br0")
    print(f"  br0 ifindex={cap.idx['br0']}")
    cap.save("link_new_bridge.bin", c, msgs, RTM_NEWLINK,
             lambda d: d["ifindex"] == cap.idx["br0"],
             prefer=lambda d: d["family"] == 0 and d["kind"] == "bridge",
             note="Preferred: AF_UNSPEC message with IFLA_INFO_KIND \"bridge\"; last such one.")

    c = ["ip link set veth0 master br0"]
    msgs = cap.step(c)
    cap.save("link_new_enslaved.bin", c, msgs, RTM_NEWLINK,
             lambda d: d["ifindex"] == cap.idx["veth0"] and d["master"] == cap.idx["br0"],
             prefer=lambda d: d["family"] == 0 and d["slave_kind"] == "bridge",
             note="Candidates: RTM_NEWLINK for veth0 with IFLA_MASTER = br0. Preferred "
                  "AF_UNSPEC (not the AF_BRIDGE-family port messages) with "
                  "IFLA_INFO_SLAVE_KIND \"bridge\"; last such one.")

    c = ["ip link set veth0 nomaster"]
    cap.step(c)

    # 11. deletions ---------------------------------------------------------
    c = ["ip neigh del 10.0.0.2 dev veth0"]
    msgs = cap.step(c)
    cap.save("neigh_del.bin", c, msgs, RTM_DELNEIGH,
             lambda d: d["family"] == AF_INET and d["ifindex"] == cap.idx["veth0"]
             and d["dst"] == "10.0.0.2")

    c = ["ip route del 10.1.0.0/24 table 100"]
    msgs = cap.step(c)
    cap.save("route_del_v4.bin", c, msgs, RTM_DELROUTE,
             lambda d: d["family"] == AF_INET and d["table"] == 100
             and d["dst"] == "10.1.0.0" and d["dst_len"] == 24)

    c = ["ip -6 route del 2001:db8:1::/64"]
    msgs = cap.step(c)
    cap.save("route_del_v6.bin", c, msgs, RTM_DELROUTE,
             lambda d: d["family"] == AF_INET6 and d["dst"] == "2001:db8:1::"
             and d["dst_len"] == 64)

    c = ["ip addr del 2001:db8::1/64 dev veth0"]
    msgs = cap.step(c)
    cap.save("addr_del_v6.bin", c, msgs, RTM_DELADDR,
             lambda d: d["family"] == AF_INET6 and d["ifindex"] == cap.idx["veth0"]
             and d["address"] == "2001:db8::1")

    c = ["ip addr del 10.0.0.1/24 dev veth0"]
    msgs = cap.step(c)
    cap.save("addr_del_v4.bin", c, msgs, RTM_DELADDR,
             lambda d: d["family"] == AF_INET and d["ifindex"] == cap.idx["veth0"]
             and d["local"] == "10.0.0.1")

    c = ["ip link del veth0"]
    msgs = cap.step(c)
    cap.save("link_del_veth.bin", c, msgs, RTM_DELLINK,
             lambda d: d["ifindex"] == cap.idx["veth0"],
             prefer=lambda d: d["family"] == 0,
             note="Picked the last AF_UNSPEC RTM_DELLINK for veth0.")

    # 12. names that are not UTF-8 (last, so the ifindexes above stay) --------
    c = ["ip link add \"$(printf 'ev\\377il')\" type veth peer name \"$(printf 'ev\\134xffil')\"",
         "ip addr add 10.8.0.1/24 dev \"$(printf 'ev\\377il')\" label \"$(printf 'ev\\377il:\\376')\""]
    msgs = cap.step(c)
    cap.save("link_new_not_utf8.bin", c, msgs, RTM_NEWLINK,
             lambda d: d["ifname"] == "ev\udcffil" and d["family"] == 0,
             note="Picked the last AF_UNSPEC RTM_NEWLINK for the link named "
                  "b\"ev\\xffil\" (its peer is named b\"ev\\\\xffil\").")
    cap.save("addr_new_not_utf8.bin", c, msgs, RTM_NEWADDR,
             lambda d: d["family"] == AF_INET and d["local"] == "10.8.0.1")

    # 13. the bridge forwarding database (last, so the ifindexes above stay) --
    c = ["ip link add vx0 type vxlan id 100 dstport 4789 local 10.0.0.1",
         "bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.3 vni 200 port 4790"]
    msgs = cap.step(c)
    cap.save("fdb_new_vxlan.bin", c, msgs, RTM_NEWNEIGH,
             lambda d: d["family"] == AF_BRIDGE and d["dst"] == "10.0.0.3",
             note="A VXLAN remote: NDA_DST 10.0.0.3, NDA_VNI 200, NDA_PORT 4790.")
    c = ["bridge fdb del 00:00:00:00:00:00 dev vx0 dst 10.0.0.3 vni 200 port 4790"]
    msgs = cap.step(c)
    cap.save("fdb_del_vxlan.bin", c, msgs, RTM_DELNEIGH,
             lambda d: d["family"] == AF_BRIDGE and d["dst"] == "10.0.0.3")
    c = ["ip link add fdbbr type bridge",
         "ip link add fdba type veth peer name fdbb",
         "ip link set fdba master fdbbr",
         "bridge fdb add 02:00:00:00:00:aa dev fdba master static"]
    msgs = cap.step(c)
    cap.save("fdb_new_master.bin", c, msgs, RTM_NEWNEIGH,
             lambda d: d["family"] == AF_BRIDGE and d["lladdr"] == "02:00:00:00:00:aa",
             note="A static entry on bridge port fdba (NTF_MASTER, NDA_MASTER fdbbr).")

    # 14. netconf and MDB. Captured while this was step 13: a run
    # of the script now gives them other ifindexes than the saved fixtures.
    for g in (RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF, RTNLGRP_MDB):
        cap.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g)
    c = ["ip link add veth2 type veth peer name veth3"]
    msgs = cap.step(c)
    cap.idx["veth2"] = socket.if_nametoindex("veth2")
    cap.save("netconf_new_dev.bin", c, msgs, RTM_NEWNETCONF,
             lambda d: d["family"] == AF_INET and d["ifindex"] == cap.idx["veth2"],
             note="A new device's RTM_NEWNETCONF carries every setting.")

    c = ["sysctl -qw net.ipv4.conf.all.forwarding=1"]
    msgs = cap.step(c)
    cap.save("netconf_new_all.bin", c, msgs, RTM_NEWNETCONF,
             lambda d: d["family"] == AF_INET and d["ifindex"] == -1,
             note="A sysctl change carries NETCONFA_IFINDEX and the changed setting alone.")

    c = ["dump RTM_GETNETCONF (family AF_INET6)"]
    flush(cap.sock)
    cap.sock.send(dump_request(RTM_GETNETCONF, bytes([AF_INET6])))
    msgs = drain(cap.sock)
    cap.save("netconf_dump_all_v6.bin", c, msgs, RTM_NEWNETCONF,
             lambda d: d["family"] == AF_INET6 and d["ifindex"] == -1,
             note="A dump answer: every setting, for `all`.")

    c = ["ip link set veth2 master br0",
         "sysctl -qw net.ipv6.conf.veth2.disable_ipv6=1 net.ipv6.conf.veth3.disable_ipv6=1",
         "ip link set br0 up", "ip link set veth2 up", "ip link set veth3 up"]
    cap.step(c)

    mdb_steps = [
        ("mdb_new_v4.bin", "bridge mdb add dev br0 port veth2 grp 239.1.1.1 permanent",
         RTM_NEWMDB, "239.1.1.1", None),
        ("mdb_new_v6.bin", "bridge mdb add dev br0 port veth2 grp ff0e::1 permanent",
         RTM_NEWMDB, "ff0e::1", None),
        ("mdb_new_src.bin",
         "bridge mdb add dev br0 port veth2 grp 239.1.1.2 src 192.0.2.1 permanent",
         RTM_NEWMDB, "239.1.1.2", "192.0.2.1"),
        ("mdb_new_l2.bin", "bridge mdb add dev br0 port veth2 grp 01:00:5e:00:00:42 permanent",
         RTM_NEWMDB, "01:00:5e:00:00:42", None),
        ("mdb_new_host.bin", "bridge mdb add dev br0 port br0 grp 239.1.1.4",
         RTM_NEWMDB, "239.1.1.4", None),
    ]
    for fname, cmd, mtype, grp, src in mdb_steps:
        msgs = cap.step([cmd])
        cap.save(fname, [cmd], msgs, mtype,
                 lambda d, grp=grp, src=src: any(
                     e["grp"] == grp and e["src"] == src for e in d["entries"]))

    c = ["ip link set veth2 type bridge_slave mcast_router 2"]
    msgs = cap.step(c)
    cap.save("mdb_new_router.bin", c, msgs, RTM_NEWMDB,
             lambda d: cap.idx["veth2"] in d["routers"])

    c = ["dump RTM_GETMDB (family AF_BRIDGE)"]
    flush(cap.sock)
    cap.sock.send(dump_request(RTM_GETMDB, bytes([AF_BRIDGE]) + b"\0" * 7))
    msgs = drain(cap.sock)
    cap.save("mdb_dump.bin", c, msgs, RTM_GETMDB,
             lambda d: d["ifindex"] == cap.idx["br0"] and len(d["entries"]) >= 5,
             note="The dump answers with one RTM_GETMDB message per bridge: every "
                  "group and router port of br0 in one message.")

    c = ["bridge mdb del dev br0 port veth2 grp 239.1.1.1"]
    msgs = cap.step(c)
    cap.save("mdb_del_v4.bin", c, msgs, RTM_DELMDB,
             lambda d: any(e["grp"] == "239.1.1.1" for e in d["entries"]))

    c = ["ip link del veth2"]
    msgs = cap.step(c)
    cap.save("netconf_del.bin", c, msgs, RTM_DELNETCONF,
             lambda d: d["family"] == AF_INET and d["ifindex"] == cap.idx["veth2"])

    # 15. nexthop objects (captured while this was step 14: a run of the
    # script now gives them other ifindexes than the saved fixtures) --------
    # RTNLGRP_NEXTHOP is 32: only NETLINK_ADD_MEMBERSHIP can join it.
    cap.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_NEXTHOP)
    MSG_NAMES.update({RTM_NEWNEXTHOP: "RTM_NEWNEXTHOP", RTM_DELNEXTHOP: "RTM_DELNEXTHOP"})
    PARSERS.update({RTM_NEWNEXTHOP: parse_nexthop, RTM_DELNEXTHOP: parse_nexthop})
    c = ["ip link add nh0 type veth peer name nh1", "ip link set nh0 up", "ip link set nh1 up",
         "ip addr add 10.7.0.1/24 dev nh0", "ip addr add 2001:db8:7::1/64 dev nh0 nodad"]
    cap.step(c)

    def nh_id(i):
        return lambda d: d["id"] == i

    for fname, cmd, i in [
        ("nexthop_new_v4.bin", "ip nexthop add id 1 via 10.7.0.2 dev nh0", 1),
        ("nexthop_new_v6.bin", "ip -6 nexthop add id 2 via 2001:db8:7::2 dev nh0", 2),
        ("nexthop_new_blackhole.bin", "ip nexthop add id 3 blackhole", 3),
        ("nexthop_new_onlink.bin", "ip nexthop add id 4 via 10.9.0.3 dev nh0 onlink", 4),
        ("nexthop_new_group.bin", "ip nexthop add id 10 group 1/4,5", 10),
        ("nexthop_new_resilient.bin", "ip nexthop add id 11 group 1,2/2/4 type resilient "
         "buckets 8 idle_timer 60 unbalanced_timer 30", 11),
        ("nexthop_new_fdb.bin", "ip nexthop add id 20 via 10.7.0.9 fdb", 20),
        ("nexthop_new_fdb_group.bin", "ip nexthop add id 21 group 20 fdb", 21),
    ]:
        msgs = cap.step([cmd])
        cap.save(fname, [cmd], msgs, RTM_NEWNEXTHOP, nh_id(i))

    c = ["ip nexthop del id 10"]
    msgs = cap.step(c)
    cap.save("nexthop_del_group.bin", c, msgs, RTM_DELNEXTHOP, nh_id(10))

    c = ["ip nexthop del id 1"]
    msgs = cap.step(c)
    cap.save("nexthop_del_v4.bin", c, msgs, RTM_DELNEXTHOP, nh_id(1))
    cap.save("nexthop_new_resilient_shrunk.bin", c, msgs, RTM_NEWNEXTHOP, nh_id(11),
             note="The kernel's RTM_NEWNEXTHOP for the resilient group 11, which lost "
                  "member 1 with it.")

    # 16. policy rules (devices named by name: `lo`, which every namespace has).
    # Captured while this was step 13 (rules name no ifindex).
    c = ["ip -6 rule add pref 100 iif lo fwmark 0x10/0xff table 100"]
    msgs = cap.step(c)
    cap.save("rule_new_v6_fwmark_iif.bin", c, msgs, RTM_NEWRULE,
             lambda d: d["family"] == AF_INET6 and d["priority"] == 100)
    c = ["ip rule add pref 200 not from 10.0.0.0/8 to 192.168.1.0/24 tos 0x10 oif lo "
         "uidrange 100-200 ipproto tcp sport 1000-2000 dport 80 table 200 "
         "suppress_prefixlength 0 proto static"]
    msgs = cap.step(c)
    cap.save("rule_new_v4.bin", c, msgs, RTM_NEWRULE,
             lambda d: d["family"] == AF_INET and d["priority"] == 200)
    c = ["ip rule add pref 300 goto 400"]
    msgs = cap.step(c)
    cap.save("rule_new_goto.bin", c, msgs, RTM_NEWRULE,
             lambda d: d["family"] == AF_INET and d["priority"] == 300,
             note="No rule has priority 400: the kernel marks it unresolved.")
    c = ["ip rule add pref 310 fwmark 5 blackhole"]
    msgs = cap.step(c)
    cap.save("rule_new_blackhole.bin", c, msgs, RTM_NEWRULE,
             lambda d: d["family"] == AF_INET and d["priority"] == 310)
    c = ["ip rule del pref 200"]
    msgs = cap.step(c)
    cap.save("rule_del_v4.bin", c, msgs, RTM_DELRULE,
             lambda d: d["family"] == AF_INET and d["priority"] == 200)
    c = ["ip -6 rule del pref 100"]
    msgs = cap.step(c)
    cap.save("rule_del_v6.bin", c, msgs, RTM_DELRULE,
             lambda d: d["family"] == AF_INET6 and d["priority"] == 100)

    # 17. namespace ids (the peer is destroyed asynchronously: wait for its DELNSID)
    c = ["ip netns add nsid-peer", "ip netns set nsid-peer 5"]
    msgs = cap.step(c)
    cap.save("nsid_new.bin", c, msgs, RTM_NEWNSID, lambda d: d["nsid"] == 5)
    c = ["ip netns del nsid-peer"]
    msgs = cap.step(c, until=lambda ms: any(m.type == RTM_DELNSID for m in ms))
    cap.save("nsid_del.bin", c, msgs, RTM_DELNSID, lambda d: d["nsid"] == 5)

    write_docs(cap, outdir)
    if cap.problems:
        print("PROBLEMS:\n  " + "\n  ".join(cap.problems))
    return 0


# ---------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------


def fmt_fields(r):
    d = dict(r["fields"])
    t = r["type"]
    keys = []
    if t in (RTM_NEWLINK, RTM_DELLINK):
        d["flags"] = f"0x{d['flags']:x}"
        d["change"] = f"0x{d['change']:x}"
        keys = ["family", "ifindex", "ifname", "flags", "change", "operstate", "mtu",
                "address", "kind", "slave_kind", "master", "altnames"]
    elif t in (RTM_NEWADDR, RTM_DELADDR):
        keys = ["family", "prefixlen", "ifindex", "scope", "ifa_flags", "address",
                "local", "broadcast", "label"]
    elif t in (RTM_NEWROUTE, RTM_DELROUTE):
        keys = ["family", "dst", "dst_len", "rtm_table", "rta_table", "protocol",
                "scope", "rtm_type", "gateway", "oif", "priority", "metrics", "multipath"]
    elif t in (RTM_NEWNEIGH, RTM_DELNEIGH):
        d["state"] = f"0x{d['state']:x}"
        keys = ["family", "ifindex", "dst", "lladdr", "state", "ndm_flags", "ndm_type",
                "vni", "master"]
    elif t in (RTM_NEWNETCONF, RTM_DELNETCONF):
        keys = ["family", "ifindex", "attrs"]
    elif t in (RTM_NEWMDB, RTM_DELMDB, RTM_GETMDB):
        keys = ["family", "ifindex", "entries", "routers"]
    elif t in (RTM_NEWNEXTHOP, RTM_DELNEXTHOP):
        keys = ["id", "family", "scope", "protocol", "nh_flags", "oif", "gateway", "blackhole",
                "fdb", "group", "group_type", "res_group", "op_flags", "attrs"]
    elif t in (RTM_NEWRULE, RTM_DELRULE):
        keys = ["family", "priority", "src", "src_len", "dst", "dst_len", "tos", "iif",
                "oif", "fwmark", "fwmask", "table", "action", "goto", "rule_flags"]
    elif t in (RTM_NEWNSID, RTM_DELNSID):
        keys = ["nsid"]
    parts = []
    for k in keys:
        v = d.get(k)
        if v is None or v == [] or v is False:
            continue
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def write_docs(cap, outdir):
    with open(os.path.join(outdir, "manifest.txt"), "w", errors="backslashreplace") as f:
        for r in cap.records:
            f.write(f"{r['file']}\t{r['type']}\t{r['len']}\t{' && '.join(r['cmds'])}\n")

    uname = os.uname()
    ipver = subprocess.run(["ip", "-V"], capture_output=True, text=True).stdout.strip()
    L = []
    L.append("# rtnetlink fixtures")
    L.append("")
    L.append("Real rtnetlink multicast notifications captured from a Linux kernel, for "
             "nlwatch's decoder tests.")
    L.append("")
    L.append("## Regenerating")
    L.append("")
    L.append("```")
    L.append("sudo python3 scripts/capture-fixtures.py")
    L.append("```")
    L.append("")
    L.append("This writes into `src/wire/fixtures/` (the .bin files, `manifest.txt` and this "
             "README). The script re-executes itself under `unshare --net --mount "
             "--propagation private`, so everything happens in a throw-away network "
             "namespace; the host's network is never touched and no traffic is sent. "
             "Byte contents depend on the kernel version (attribute sets, stats, "
             "ifindexes), so regenerated files will differ in detail.")
    L.append("")
    L.append("## Capture environment")
    L.append("")
    L.append(f"- kernel: `{uname.sysname} {uname.release} {uname.machine}`")
    L.append(f"- iproute2: `{ipver}`")
    L.append(f"- captured: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    L.append(f"- ifindexes in this run: veth0={cap.idx.get('veth0')}, "
             f"veth1={cap.idx.get('veth1')}, br0={cap.idx.get('br0')} (lo=1)")
    L.append("- MACs: veth0=02:00:00:00:00:01, veth1=02:00:00:00:00:02")
    L.append("")
    L.append("## Format")
    L.append("")
    L.append("Each `.bin` holds exactly one netlink message (`struct nlmsghdr` + payload), "
             "byte-exact as received on a NETLINK_ROUTE socket subscribed to "
             "RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE, "
             "RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, "
             "RTNLGRP_IPV6_RULE and RTNLGRP_NSID. The file length equals "
             "`nlmsg_len` (no trailing alignment padding). Host byte order is "
             "little-endian. Multicast notifications carry nlmsg_pid of the originating "
             "`ip` process's port id (or 0 for kernel-originated events) and the "
             "request's sequence number.")
    L.append("")
    L.append("`manifest.txt`: one line per fixture, `file<TAB>nlmsg_type<TAB>length<TAB>command`.")
    L.append("")
    L.append("When one step produced several qualifying messages, the **last** one was kept "
             "unless a note says otherwise. `matched` = number of messages of that type "
             "passing the filter; `chosen from` = number left after the preference rule.")
    L.append("")
    L.append("## Fixtures")
    L.append("")
    L.append("| file | type | bytes | command |")
    L.append("|---|---|---|---|")
    for r in cap.records:
        cmd = "<br>".join(f"`{x}`" for x in r["cmds"])
        L.append(f"| `{r['file']}` | {r['name']} ({r['type']}) | {r['len']} | {cmd} |")
    L.append("")
    for r in cap.records:
        L.append(f"### {r['file']}")
        L.append("")
        for x in r["cmds"]:
            L.append(f"- command: `{x}`")
        L.append(f"- message: {r['name']} (nlmsg_type {r['type']}), {r['len']} bytes, "
                 f"nlmsg_flags=0x{r['flags']:x}, seq={r['seq']}, pid={r['pid']}")
        L.append(f"- decoded: {fmt_fields(r)}")
        L.append(f"- selection: matched {r['matched']}, chosen from {r['chosen_from']}, "
                 "kept the last")
        if r["note"]:
            L.append(f"- note: {r['note']}")
        L.append("")
    if cap.problems:
        L.append("## Problems in this run")
        L.append("")
        for p in cap.problems:
            L.append(f"- {p}")
        L.append("")
    L.append("## Notes")
    L.append("")
    L.append("- Route table: `table` is RTA_TABLE when present, else rtm_table (table 100 "
             "and 254/main fit in rtm_table, and the kernel also sends RTA_TABLE).")
    L.append("- `ip link set veth0 nomaster` was run after the bridge step; its messages "
             "(including an AF_BRIDGE-family RTM_DELLINK for the port) are not saved.")
    L.append("- nlmsg_seq / nlmsg_pid are run-specific (iproute2 seeds seq from the clock; "
             "pid is the `ip` process's port id, 0 for kernel-originated events). Tests "
             "should not assert on them.")
    L.append("- Late, unrelated messages (e.g. IPv6 link-local address/DAD updates, "
             "fe80::/64 and multicast routes) may appear in any step; fixtures were "
             "chosen by content (ifindex, family, address, dst/prefix, table), not by "
             "position.")
    L.append("- `ip link del veth0` also removes veth1; only veth0's RTM_DELLINK is saved.")
    L.append("")
    with open(os.path.join(outdir, "README.md"), "w", errors="backslashreplace") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    sys.exit(main())
