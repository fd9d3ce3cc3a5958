#!/usr/bin/env python3
"""Attributes the peak heap of a massif.out to nlwatch's parts.

    scripts/massif-peak.py DIR/massif.out [--sites N] [--last]

Reads the peak snapshot's allocation tree (massif --detailed-freq=1, as
`scripts/bench-burst.sh --massif DIR` runs it), walks every stack to its leaf
and files its bytes under the first category whose pattern matches the stack
(innermost frame first), then prints the categories (MiB, share) and the N
biggest allocation sites (the innermost frame of ours, i.e. in `nlwatch::`).
With --last, the last detailed snapshot instead (after the burst: what stays).
Measurement only: nothing here is nlwatch's code.
"""
import re
import sys
from collections import defaultdict

# (category, pattern on one frame): the first frame, from the allocation
# upwards, that matches any pattern decides.
CATEGORIES = [
    ("state: routes map (RouteKey -> RouteRecord; Route before)", r"<nlwatch::object::route::RouteKey, nlwatch::object::route::Route\b|<nlwatch::object::route::RouteKey, nlwatch::object::stored::RouteRecord\b|nlwatch::object::stored::RouteRest::of\b"),
    ("state: links map (u32 -> Link)", r"<u32, nlwatch::object::link::Link\b"),
    ("state: link details (LinkDetails, shared since 2026-12-08)", r"link::LinkDetails\b"),
    ("state: addresses map (AddrKey -> Address)", r"<nlwatch::object::addr::AddrKey, nlwatch::object::addr::Address\b"),
    ("state: neighbours map", r"<nlwatch::object::neigh::NeighKey"),
    ("state: netconf map (NetconfKey -> Netconf)", r"<nlwatch::object::netconf::NetconfKey, nlwatch::object::netconf::Netconf\b"),
    ("state: other kinds' maps", r"<nlwatch::object::(fdb|mdb|netconf|nexthop|nsid|rule)::\w+Key\b|<(u32|i32), nlwatch::object::(nexthop|nsid)::"),
    ("state: users index ((u32, RouteKey) set)", r"\(u32, nlwatch::object::route::RouteKey\)"),
    ("state: by_prefsrc sets (BTreeSet<RouteKey> per address)", r"<nlwatch::object::route::RouteKey, alloc::collections::btree::set_val"),
    ("state: by_prefsrc / v4_locals hash tables", r"hashbrown.*(IpAddr|core::net::ip_addr)|reindex.*state\.rs|NsState::(set_local|local)"),
    ("state: change log / snapshot copies", r"ChangeLog|SnapshotCopy|Copied|copy_step|into_snapshot"),
    ("printer: NameCache (ifindex -> name, never evicted)", r"\(u64, u32\), nlwatch::object::compact::Name|NameCache|learn \(print\.rs"),
    ("printer: output buffer, lines", r"\((main|print)\.rs:\d+\)|nlwatch::print::"),
    ("receive buffers (RecvBatch)", r"RecvBatch|socket::.*recv|reader::RecvBatch"),
    ("bus: queues, outbox, events held", r"nlwatch::bus::|Outbox|outbox|nlwatch::watch::namespace::Out"),
    ("output: printer, JSON", r"nlwatch::output::|nlwatch::run|json|BufWriter|LineWriter"),
    ("netns / monitor setup", r"nlwatch::netns::|nlwatch::watch::monitor::"),
    ("reader: decode, infer (transient)", r"nlwatch::watch::(reader|infer|sync)::"),
    ("std / runtime (threads, stdio, env)", r"std::|_dl_|__libc|pthread"),
]
PATS = [(name, re.compile(p)) for name, p in CATEGORIES]
# A frame in nlwatch's own sources (massif prints their file names bare; std's
# and dependencies' come with a directory).
OURS = re.compile(r"\((state|reader|infer|sync|socket|print|args|namespace|monitor|main|json|text|queue|outbox|sink|subscription|bus|item|filter|output|mod|link|addr|route|neigh|compact|event|names|discover|handle|opener|metrics|replay|capture|recorder|pcapng|wait|fdb|mdb|netconf|nexthop|rule|nsid)\.rs:\d+\)")


def parse(path, last=False):
    """The peak snapshot's tree as nested (bytes, desc, children)."""
    lines = open(path).read().split("\n")
    snaps, cur = [], None
    i = 0
    peak = None
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("snapshot="):
            cur = {"n": int(ln.split("=")[1])}
            snaps.append(cur)
        elif cur is not None and "=" in ln and not ln.startswith(" ") and not ln.startswith("n"):
            k, v = ln.split("=", 1)
            cur[k] = v
            if k == "heap_tree" and v == "peak":
                peak = cur
        elif cur is not None and re.match(r"^ *n\d+: ", ln):
            root, i = node(lines, i)
            cur["tree"] = root
            continue
        i += 1
    if last:
        return [s for s in snaps if "tree" in s][-1]
    if peak is None:  # no peak marked: the biggest detailed snapshot
        peak = max((s for s in snaps if "tree" in s),
                   key=lambda s: int(s["mem_heap_B"]) + int(s["mem_heap_extra_B"]))
    return peak


def node(lines, i):
    m = re.match(r"^ *n(\d+): (\d+) ?(.*)$", lines[i])
    kids, nbytes, desc = int(m.group(1)), int(m.group(2)), m.group(3)
    i += 1
    children = []
    for _ in range(kids):
        c, i = node(lines, i)
        children.append(c)
    return (nbytes, desc, children), i


def leaves(tree, stack=()):
    nbytes, desc, children = tree
    stack = stack + (desc,)
    if not children:
        yield nbytes, stack
        return
    rest = nbytes - sum(c[0] for c in children)
    if rest > 0:
        yield rest, stack
    for c in children:
        yield from leaves(c, stack)


def main():
    path = sys.argv[1]
    nsites = int(sys.argv[sys.argv.index("--sites") + 1]) if "--sites" in sys.argv else 10
    peak = parse(path, "--last" in sys.argv)
    useful, extra = int(peak["mem_heap_B"]), int(peak["mem_heap_extra_B"])
    cats = defaultdict(int)
    sites = defaultdict(int)
    for nbytes, stack in leaves(peak["tree"]):
        frames = stack[1:]  # the root is "(heap allocation functions)"
        name = "other"
        for f in frames:
            hit = next((n for n, p in PATS if p.search(f)), None)
            if hit:
                name = hit
                break
        cats[name] += nbytes
        # The site: the innermost frame in our own code (file:line), with the
        # innermost generic frame naming the type allocated.
        ours = next((f for f in frames if OURS.search(f)), "?")
        what = next((f for f in frames if re.search(r"^0x[0-9A-F]+: [\w:]+<", f)), "?")
        sites[(short(ours), short(what))] += nbytes
    mib = lambda b: b / 1048576
    print(f"{'last' if '--last' in sys.argv else 'peak'} snapshot {peak['n']}: useful heap {mib(useful):.2f} MiB, extra-heap (admin, rounding) {mib(extra):.2f} MiB, total {mib(useful + extra):.2f} MiB")
    print()
    print("| category | MiB | share |")
    print("|---|---:|---:|")
    for name, b in sorted(cats.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {mib(b):.2f} | {100 * b / useful:.1f}% |")
    print(f"| extra-heap (malloc headers, rounding) | {mib(extra):.2f} | {100 * extra / useful:.1f}% of useful |")
    print()
    print(f"Top {nsites} allocation sites (our frame; what it allocates)")
    print()
    print("| MiB | site | allocates |")
    print("|---:|---|---|")
    for (ours, what), b in sorted(sites.items(), key=lambda kv: -kv[1])[:nsites]:
        print(f"| {mib(b):.2f} | {ours} | {what} |")


def short(frame):
    frame = re.sub(r"^0x[0-9A-F]+: ", "", frame)
    frame = frame.replace("alloc::collections::btree::", "btree::").replace("nlwatch::object::", "")
    frame = frame.replace("alloc::alloc::Global", "Global").replace("alloc::collections::btree::set_val::SetValZST", "()")
    return frame[:160]


if __name__ == "__main__":
    main()
