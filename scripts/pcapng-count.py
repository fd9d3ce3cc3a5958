#!/usr/bin/env python3
"""Counts the netlink messages in a recording made by `nlwatch record` (pcapng,
LINKTYPE_NETLINK after a 16-byte Linux cooked header), for the benchmarks.

    scripts/pcapng-count.py FILE

Prints `key value` lines:

- `datagrams`, `messages` (netlink messages, every type, NLMSG_DONE included:
  a datagram may hold several), `bytes` (of the datagrams, cooked headers not
  counted), `interfaces` (namespaces), `isb` (interface statistics blocks),
  `overruns` (the largest `isb_osdrop` seen per interface, summed);
- `dump messages`: messages addressed to the recording socket itself (their
  `nlmsg_pid` is the socket's port id, from the interface's description):
  answers to nlwatch's dump requests, NLMSG_DONE included;
- notifications (every other message) by type, as bench-burst.sh's reference
  listener counts them: `link new`, `link del`, `addr new`, `addr del`,
  `route new`, `route del`, `neigh new`, `neigh del`, and `other` for the
  rest (nexthop, rule, netconf, ...).

Only the standard library; reads the file in one pass.
"""
import struct
import sys

NAMES = {16: "link new", 17: "link del", 20: "addr new", 21: "addr del",
         24: "route new", 25: "route del", 28: "neigh new", 29: "neigh del"}
COOKED = 16


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 12 or struct.unpack_from("<I", data, 0)[0] != 0x0A0D0D0A:
        sys.exit(f"{path}: not a pcapng file")
    magic = data[8:12]
    bo = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">"
    u32 = struct.Struct(bo + "I")
    epb = struct.Struct(bo + "IIIII")
    nlh = struct.Struct(bo + "IHHII")
    counts = {v: 0 for v in NAMES.values()}
    other = datagrams = messages = dump = nbytes = isb = 0
    portids = []  # per interface
    osdrop = {}  # interface -> largest isb_osdrop
    off = 0
    end = len(data)
    while off + 12 <= end:
        btype, blen = u32.unpack_from(data, off)[0], u32.unpack_from(data, off + 4)[0]
        if blen < 12 or off + blen > end:
            break  # a block cut short (the recorder was killed): stop there
        body = off + 8
        if btype == 1:  # Interface Description Block
            port = None
            o = body + 8
            while o + 4 <= off + blen - 4:
                code, olen = struct.unpack_from(bo + "HH", data, o)
                if code == 0:
                    break
                if code == 3:  # if_description
                    for word in data[o + 4:o + 4 + olen].decode("utf-8", "replace").split():
                        if word.startswith("portid="):
                            port = int(word[7:])
                o += 4 + ((olen + 3) & ~3)
            portids.append(port)
        elif btype == 6:  # Enhanced Packet Block
            iface, _hi, _lo, caplen, _orig = epb.unpack_from(data, body)
            start = body + 20 + COOKED
            stop = body + 20 + caplen
            port = portids[iface] if iface < len(portids) else None
            datagrams += 1
            nbytes += caplen - COOKED
            m = start
            while m + 16 <= stop:
                length, kind, _flags, _seq, pid = nlh.unpack_from(data, m)
                if length < 16:
                    break
                messages += 1
                if port is not None and pid == port:
                    dump += 1
                else:
                    name = NAMES.get(kind)
                    if name:
                        counts[name] += 1
                    else:
                        other += 1
                m += (length + 3) & ~3
        elif btype == 5:  # Interface Statistics Block
            isb += 1
            iface = u32.unpack_from(data, body)[0]
            o = body + 12
            while o + 4 <= off + blen - 4:
                code, olen = struct.unpack_from(bo + "HH", data, o)
                if code == 0:
                    break
                if code == 5 and olen == 8:  # isb_osdrop
                    v = struct.unpack_from(bo + "Q", data, o + 4)[0]
                    osdrop[iface] = max(osdrop.get(iface, 0), v)
                o += 4 + ((olen + 3) & ~3)
        off += blen
    print(f"datagrams {datagrams}")
    print(f"messages {messages}")
    print(f"bytes {nbytes}")
    print(f"interfaces {len(portids)}")
    print(f"isb {isb}")
    print(f"overruns {sum(osdrop.values())}")
    print(f"dump messages {dump}")
    for k, v in counts.items():
        print(f"{k} {v}")
    print(f"other {other}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pcapng-count.py FILE")
    main(sys.argv[1])
