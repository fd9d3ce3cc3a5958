#!/usr/bin/env python3
"""Compare nlwatch's picture of each namespace with iproute2's, at the quiet
points scripts/kernel-selftests.sh recorded (see its header for the method and
what is left out by design).

    scripts/selftest-compare.py RESULTS_DIR [TEST ...]

RESULTS_DIR/TEST/live.jsonl is `nlwatch --all-netns --json -d --dump`'s output,
RESULTS_DIR/TEST/qp/NNNN/ one quiet point: meta.json (netns, t0/t1: the time
before/after iproute2's dumps), iproute2's JSON per kind, snapshot.jsonl.

For each quiet point and kind, three pictures: iproute2's (the reference),
nlwatch snapshot's, and the live lines of that namespace (by its cookie, the
lines' netns_id) folded up to t1: `new` sets an object by its key, `del`
removes it (dump, resync and synthesized lines alike). Writes
RESULTS_DIR/summary.txt, RESULTS_DIR/details.txt (one mismatch per entry,
human readable) and RESULTS_DIR/details.jsonl (the same, machine readable).
Standard library only.
"""
import calendar
import collections
import json
import os
import sys
import time

KINDS = ["link", "addr", "route", "rule", "nexthop", "neigh", "fdb", "mdb"]
SIDES = ["snapshot", "live"]


def loads_dups(text):
    """json.loads keeping the first of duplicate keys (`ip route` writes an
    MPLS encap's `dst` beside the route's); later ones as `_dup_KEY`."""

    def hook(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                k2 = "_dup_" + k
                while k2 in d:
                    k2 = "_" + k2
                d[k2] = v
            else:
                d[k] = v
        return d

    text = text.strip()
    if not text:
        return []
    return json.loads(text, object_pairs_hook=hook)


_ts_cache = {}


def ts_of(s):
    v = _ts_cache.get(s)
    if v is None:
        # 2026-12-07T23:21:30.546431Z
        base, frac = s.rstrip("Z").split(".") if "." in s else (s.rstrip("Z"), "0")
        v = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + frac)
        if len(_ts_cache) < 1_000_000:
            _ts_cache[s] = v
    return v


def flagset(v):
    if v is None:
        return None
    if isinstance(v, list):
        return tuple(sorted(str(x) for x in v))
    return v


class Names:
    """ifname <-> ifindex of one namespace at one quiet point, from `ip link`."""

    def __init__(self, links):
        self.by_name = {l.get("ifname"): l.get("ifindex") for l in links}
        self.by_index = {l.get("ifindex"): l.get("ifname") for l in links}

    def idx(self, name):
        if name is None:
            return None
        return self.by_name.get(name, "?" + str(name))


# ------------------------------------------------------------------ per kind
# Each normalizer turns one object (ip's or nlwatch's) into (key, values) or
# None (left out by design). `src` is "ip" or "nl".

LINK_FIELDS = ["ifname", "flags", "mtu", "operstate", "linkmode", "master", "link",
               "link_netnsid", "address", "broadcast", "ifalias", "txqlen", "group",
               "qdisc", "promiscuity", "allmulti", "info_kind", "info_slave_kind",
               "port_state"]


def norm_link(o, src, names):
    if o.get("family") == "bridge":  # AF_BRIDGE per-port view: `bridge link`'s
        return None
    li = o.get("linkinfo") or {}
    v = {}
    for f in LINK_FIELDS:
        if f in ("info_kind", "info_slave_kind"):
            x = li.get(f)
        elif f == "port_state":
            x = (li.get("info_slave_data") or {}).get("state")
        elif f == "flags":
            # M-DOWN: ip's rendering of the *lower* device being down (from
            # that device's flags), not a flag of this link
            x = flagset([g for g in o.get("flags") or [] if g != "M-DOWN"])
        else:
            x = o.get(f)
        v[f] = x
    return (o.get("ifindex"),), v


ADDR_BOOLS = ["secondary", "temporary", "nodad", "optimistic", "dadfailed", "home",
              "deprecated", "tentative", "mngtmpaddr", "noprefixroute", "autojoin",
              "stable-privacy", "dynamic"]


def norm_addr(o, src, names):
    ifi = o.get("ifindex")
    if ifi is None:
        ifi = names.idx(o.get("ifname"))
    key = (ifi, o.get("family"), o.get("local"), o.get("prefixlen"), o.get("address"))
    v = {"scope": o.get("scope"), "label": o.get("label"), "broadcast": o.get("broadcast"),
         "metric": o.get("metric")}
    for b in ADDR_BOOLS:
        v[b] = bool(o.get(b))
    return key, v


METRIC_NAMES = ["lock", "mtu", "window", "rtt", "rttvar", "ssthresh", "cwnd", "advmss",
                "reordering", "hoplimit", "initcwnd", "features", "rto_min", "initrwnd",
                "quickack", "congctl", "fastopen_no_cookie"]


def hop_key(h, names):
    oif = h.get("oif")
    if oif is None:
        oif = names.idx(h.get("dev"))
    via = h.get("via")
    gw = h.get("gateway")
    return (gw, json.dumps(via, sort_keys=True) if via else None, oif, h.get("weight", 1),
            json.dumps(h.get("encap"), sort_keys=True) if h.get("encap") else None)


def route_metrics(o):
    m = {}
    for e in o.get("metrics") or []:
        if isinstance(e, dict):
            m.update(e)
    if isinstance(o.get("metrics"), dict):
        m.update(o["metrics"])
    return json.dumps(m, sort_keys=True) if m else None


def norm_route(o, src, names):
    oif = o.get("oif")
    if oif is None:
        oif = names.idx(o.get("dev"))
    hops = o.get("nexthops")
    nh = o.get("nhid")
    hopkey = tuple(sorted((hop_key(h, names) for h in hops), key=repr)) if hops else None
    encap = o.get("encap")
    if src == "ip" and encap is not None and not isinstance(encap, dict):
        encap = {k[5:] if k.startswith("_dup_") else k: v for k, v in o.items()
                 if k.startswith("_dup_") or k in ("encap",)}
    key = (o.get("family"), o.get("table"), o.get("dst"), o.get("src"), o.get("tos"),
           o.get("metric"), o.get("type"), o.get("protocol"), o.get("prefsrc"),
           None if (nh or hops) else oif, o.get("gateway"),
           json.dumps(o.get("via"), sort_keys=True) if o.get("via") else None,
           nh, None if nh else hopkey,
           json.dumps(encap, sort_keys=True) if encap else None, o.get("iif"))
    if src == "nl" and key[15] is not None and not isinstance(key[15], str):
        key = key[:15] + (names.by_index.get(key[15], key[15]),)
    v = {"scope": o.get("scope"), "flags": flagset(o.get("flags")), "pref": o.get("pref"),
         "metrics": route_metrics(o)}
    if src == "nl" and v["metrics"] is None:
        m = {k: o[k] for k in METRIC_NAMES if k in o}
        v["metrics"] = json.dumps(m, sort_keys=True) if m else None
    if hops:
        # ip writes no route-level dev on a multipath route
        v["multipath_top_dev"] = o.get("dev")
        v["hop_flags"] = tuple(sorted((str(hop_key(h, names)[:3]), flagset(h.get("flags")))
                                      for h in hops))
    if nh:
        v["nhid_hops"] = hopkey
    return key, v


def route_identity(key, o):
    """What a `new` replaces and a `del` removes (docs/json.md, "route"): an
    IPv6 route through a gateway (not from a router advertisement, not through
    a nexthop object) is one route whatever its hops, so its hops, device and
    gateway are not part of it."""
    siblings = (o.get("family") == "inet6" and o.get("nhid") is None
                and o.get("protocol") != "ra"
                and (o.get("gateway") or any(h.get("gateway") for h in o.get("nexthops") or [])))
    if siblings:
        return key[:6] + ("siblings",)
    # Through a nexthop object: the object, whatever hops a line expands it to.
    if o.get("nhid") is not None:
        return key[:6] + ("nhid", o.get("nhid"))
    return key


def addr_identity(key, o):
    """An IPv6 address is one per local address (and prefix length) on a
    link, whatever its peer: `ip -6 addr change` gives it another."""
    return key[:4] if o.get("family") == "inet6" else key


IDENTITY = {"route": route_identity, "addr": addr_identity}


RULE_SELECTORS = ["family", "priority", "not", "src", "srclen", "dst", "dstlen", "tos",
                  "dscp", "dscp_mask", "flowlabel", "flowlabel_mask", "fwmark", "fwmask",
                  "iif", "oif", "l3mdev", "uid_start", "uid_end", "ipproto", "sport",
                  "dport", "sport_start", "sport_end", "dport_start", "dport_end",
                  "sport_mask", "dport_mask", "tun_id", "table", "suppress_prefixlen",
                  "suppress_ifgroup", "flow_from", "flow_to", "goto", "nop", "rule_action",
                  "protocol"]


def norm_rule(o, src, names):
    o = dict(o)
    a = o.get("action")
    o["rule_action"] = None if (src == "nl" and a in ("new", "del")) else a
    key = tuple(json.dumps(o.get(f), sort_keys=True) if f in o else None
                for f in RULE_SELECTORS)
    v = {"iif_detached": bool(o.get("iif_detached")), "oif_detached": bool(o.get("oif_detached")),
         "unresolved": "unresolved" in o}
    return key, v


def norm_nexthop(o, src, names):
    oif = o.get("oif")
    if oif is None:
        oif = names.idx(o.get("dev"))
    grp = o.get("group")
    ra = o.get("resilient_args") or {}
    v = {"group": tuple(sorted(((g.get("id"), g.get("weight", 1)) for g in grp), key=repr)) if grp else None,
         "gateway": o.get("gateway"), "oif": oif, "flags": flagset(o.get("flags")),
         "blackhole": "blackhole" in o, "fdb": "fdb" in o,
         "encap": json.dumps(o.get("encap"), sort_keys=True) if o.get("encap") else None,
         "protocol": o.get("protocol"), "scope": o.get("scope"), "type": o.get("type"),
         "buckets": ra.get("buckets", o.get("buckets")),
         "idle_timer": ra.get("idle_timer", o.get("idle_timer")),
         "unbalanced_timer": ra.get("unbalanced_timer", o.get("unbalanced_timer"))}
    return (o.get("id"),), v


NEIGH_NULL_FLAGS = ["router", "proxy", "extern_learn", "offload", "managed", "extern_valid"]


def norm_neigh(o, src, names):
    st = flagset(o.get("state"))
    if not st or st == ("NONE",):
        return None
    ifi = o.get("ifindex")
    if ifi is None:
        ifi = names.idx(o.get("dev"))
    key = (ifi, o.get("family"), o.get("dst"))
    v = {"lladdr": o.get("lladdr"), "state": st}
    for f in NEIGH_NULL_FLAGS:
        v[f] = f in o
    return key, v


def norm_fdb(o, src, names):
    fl = flagset(o.get("flags")) or ()
    if "self" in fl and o.get("dst") is None:
        return None  # a device's own address-list entries (by design)
    ifi = o.get("ifindex")
    if ifi is None:
        ifi = names.idx(o.get("ifname"))
    key = (o.get("mac"), ifi, o.get("vlan"), o.get("dst"), o.get("vni"), o.get("src_vni"),
           "self" in fl)
    v = {"state": o.get("state"), "flags": fl, "master": o.get("master"), "nhid": o.get("nhid"),
         "port": o.get("port"), "viaIf": o.get("viaIf")}
    return key, v


def norm_mdb(o, src, names):
    if o.get("router") is not None and "grp" not in o:
        return None
    br = o.get("index")
    if br is None:
        br = names.idx(o.get("dev"))
    port = o.get("port_index")
    if port is None:
        port = names.idx(o.get("port"))
    key = (br, port, o.get("grp"), o.get("src"), o.get("vid"))
    sl = o.get("source_list")
    v = {"state": o.get("state"), "flags": flagset(o.get("flags")),
         "filter_mode": o.get("filter_mode"), "protocol": o.get("protocol"),
         "source_list": tuple(sorted(s.get("address") for s in sl)) if sl else None}
    return key, v


NORM = {"link": norm_link, "addr": norm_addr, "route": norm_route, "rule": norm_rule,
        "nexthop": norm_nexthop, "neigh": norm_neigh, "fdb": norm_fdb, "mdb": norm_mdb}


def load_ip(d):
    """iproute2's objects per kind at one quiet point."""

    def j(name):
        p = os.path.join(d, name + ".json")
        try:
            with open(p) as f:
                v = loads_dups(f.read())
        except (OSError, ValueError):
            return []
        return v if isinstance(v, list) else []

    out = {}
    out["link"] = j("link")
    addrs = []
    for l in j("addr"):
        for a in l.get("addr_info") or []:
            a = dict(a)
            a["ifindex"] = l.get("ifindex")
            a["ifname"] = l.get("ifname")
            addrs.append(a)
    out["addr"] = addrs
    out["route"] = [dict(o, family="inet") for o in j("route4")] + \
                   [dict(o, family="inet6") for o in j("route6")]
    out["rule"] = [dict(o, family="inet") for o in j("rule4")] + \
                  [dict(o, family="inet6") for o in j("rule6")]
    out["nexthop"] = j("nexthop")
    out["neigh"] = [dict(o, family="inet") for o in j("neigh4")] + \
                   [dict(o, family="inet6") for o in j("neigh6")]
    out["fdb"] = j("fdb")
    mdb = []
    for b in j("mdb"):
        mdb.extend(b.get("mdb") or [])
    out["mdb"] = mdb
    return out


def picture(objs, kind, src, names):
    """key -> (values, original object); duplicate keys counted."""
    pic, dups = {}, 0
    for o in objs:
        r = NORM[kind](o, src, names)
        if r is None:
            continue
        k, v = r
        if k in pic:
            dups += 1
        pic[k] = (v, o)
    return pic, dups


def strip(o):
    return {k: v for k, v in o.items() if k not in ("ts", "netns", "netns_id", "seq")}


# ----------------------------------------------------------------- classify
def classify(kind, what, field, ipv, nlv, ipo, nlo):
    """A first guess at the cause, for the details (the report categorizes)."""
    if kind == "neigh" and what == "missing" and ipo and "NOARP" in (ipo.get("state") or []):
        return "neigh-noarp-never-notified"
    if kind == "neigh" and what == "missing" and ipo and "INCOMPLETE" in (ipo.get("state") or []):
        return "neigh-incomplete-never-notified"
    if kind == "addr" and what == "missing" and ipo and ipo.get("tentative"):
        return "addr-tentative-never-notified"
    if what == "differs":
        if isinstance(ipv, tuple) and isinstance(nlv, tuple) and \
                tuple(sorted(str(x).lower() for x in ipv)) == tuple(sorted(str(x).lower() for x in nlv)) \
                and ipv != nlv:
            return "case-only"
        if kind == "route" and field == "flags":
            return "route-flags"
        if kind == "route" and field == "hop_flags":
            return "route-hop-flags"
        if kind == "route" and field == "multipath_top_dev":
            return "route-multipath-top-dev"
        if kind == "route" and field == "nhid_hops":
            return "nhid-expansion"
        if kind == "neigh" and field == "state":
            return "neigh-kernel-timer"
        if kind == "neigh" and field in NEIGH_NULL_FLAGS:
            return "neigh-flag-key"
        if kind == "addr" and field in ("tentative", "dadfailed", "optimistic"):
            return "addr-dad"
        if kind == "link" and field == "port_state":
            return "bridge-port-state"
        if kind == "link" and field in ("flags", "operstate"):
            return "link-carrier"
        if field in ("link", "master", "ifname") and nlv is None and ipv is not None:
            return kind + "-name-unknown-when-told"
        return kind + "-" + str(field)
    return kind + "-" + what


NOT_CARRIED = {"linkinfo.info_data.hello_timer", "linkinfo.info_data.tcn_timer",
               "linkinfo.info_data.topology_change_timer", "linkinfo.info_data.gc_timer",
               "linkinfo.info_slave_data.hold_timer", "linkinfo.info_slave_data.message_age_timer",
               "linkinfo.info_slave_data.forward_delay_timer", "stats64", "expires", "timer",
               "valid_life_time", "preferred_life_time", "used", "updated", "probes", "refcnt"}


def key_paths(v, prefix="", out=None):
    if out is None:
        out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            if k.startswith("_dup_"):
                k = "encap:" + k[5:]
            p = prefix + "." + k if prefix else k
            out.add(p)
            key_paths(x, p, out)
    elif isinstance(v, list):
        for x in v:
            key_paths(x, prefix + "[]", out)
    return out


def schema_gaps(kind, io, no):
    """Keys iproute2 writes for an object that nlwatch's line for it lacks."""
    gaps = key_paths(io) - key_paths(no)
    return {g for g in gaps if g not in NOT_CARRIED and not g.startswith("nh_info")
            and not g.startswith("stats64")}


def compare(ipp, nlp):
    """Yield (what, key, field, ip value, nlwatch value, ip object, nlwatch object)."""
    for k in ipp.keys() - nlp.keys():
        yield "missing", k, None, None, None, ipp[k][1], None
    for k in nlp.keys() - ipp.keys():
        yield "extra", k, None, None, None, None, nlp[k][1]
    for k in ipp.keys() & nlp.keys():
        iv, io = ipp[k]
        nv, no = nlp[k]
        fields = [f for f in iv if iv.get(f) != nv.get(f)]
        if fields:
            yield "differs", k, fields, {f: iv.get(f) for f in fields}, \
                {f: nv.get(f) for f in fields}, io, no


# --------------------------------------------------------------------- live
class Live:
    """The live stream of one selftest, folded per namespace cookie on demand."""

    def __init__(self, path):
        self.lines = collections.defaultdict(list)  # cookie -> [(ts, obj)]
        self.names = collections.defaultdict(list)  # name -> [(first ts, cookie)]
        self.counts = collections.Counter()
        seen = set()
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    o = json.loads(line)
                except ValueError:
                    self.counts["bad line"] += 1
                    continue
                obj = o.get("object")
                self.counts[obj] += 1
                ck = o.get("netns_id")
                if ck is None:
                    continue
                t = ts_of(o["ts"]) if "ts" in o else None
                if (o.get("netns"), ck) not in seen:
                    seen.add((o.get("netns"), ck))
                    self.names[o.get("netns")].append((t, ck))
                if obj in NORM or obj == "netns":
                    self.lines[ck].append((t, o))
        self.state = {}  # cookie -> [pos, {kind: {key: (values, obj)}}, twice]

    def cookie(self, name, t):
        best = None
        for t0, ck in self.names.get(name, []):
            if t0 is not None and t0 <= t:
                best = ck
        return best

    def fold(self, ck, t, names):
        st = self.state.get(ck)
        if st is None:
            st = self.state[ck] = [0, {k: {} for k in KINDS}, collections.Counter(), {},
                                   {k: {} for k in KINDS}]
        lines = self.lines.get(ck, [])
        pos, pic, twice, _, _ = st
        while pos < len(lines) and (lines[pos][0] is None or lines[pos][0] <= t):
            _, o = lines[pos]
            pos += 1
            kind = o.get("object")
            if kind == "netns":
                if o.get("action") == "del":
                    for k in KINDS:
                        pic[k].clear()
                        st[4][k].clear()
                continue
            r = NORM[kind](o, "nl", names)
            if r is None:
                continue
            key, v = r
            # Folded by identity, compared by key.
            ident = IDENTITY.get(kind, lambda k, _o: k)(key, o)
            gone = st[3]
            idents = st[4][kind]
            if o.get("action") == "del":
                how = "synthesized" if o.get("synthesized") else "kernel"
                if ident in idents:
                    del pic[kind][idents.pop(ident)]
                    gone[(kind, ident)] = how
                elif (kind, ident) in gone:
                    # the same deletion told twice (first how, then this)
                    twice[(kind, "told twice: " + gone[(kind, ident)] + " then " + how)] += 1
                else:
                    twice[(kind, "never told before: " + how + " del")] += 1
            else:
                if ident in idents:
                    pic[kind].pop(idents[ident], None)
                idents[ident] = key
                pic[kind][key] = (v, o)
                gone.pop((kind, ident), None)
        st[0] = pos
        return pic


# --------------------------------------------------------------------- main
def fmt_key(k):
    return " ".join("-" if x is None else str(x) for x in k)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    res = sys.argv[1]
    tests = sys.argv[2:] or sorted(d for d in os.listdir(res)
                                   if os.path.isdir(os.path.join(res, d, "qp")))
    # table[test][side][kind] = Counter(compared, missing, extra, differs)
    table = {}
    classes = collections.Counter()  # (side, class) -> n
    gaps = collections.Counter()  # (kind, key path) -> matched snapshot objects lacking it
    gap_example = {}
    dfile = open(os.path.join(res, "details.txt"), "w")
    jfile = open(os.path.join(res, "details.jsonl"), "w")
    notes = []
    for test in tests:
        tdir = os.path.join(res, test)
        qps = sorted(os.listdir(os.path.join(tdir, "qp"))) if os.path.isdir(os.path.join(tdir, "qp")) else []
        qps = [q for q in qps if os.path.isfile(os.path.join(tdir, "qp", q, "meta.json"))]
        live = Live(os.path.join(tdir, "live.jsonl")) if os.path.exists(os.path.join(tdir, "live.jsonl")) else None
        tab = table[test] = {s: {k: collections.Counter() for k in KINDS} for s in SIDES}
        nolive = 0
        for q in qps:
            d = os.path.join(tdir, "qp", q)
            meta = json.load(open(d + "/meta.json"))
            ns = meta["netns"]
            ipobjs = load_ip(d)
            names = Names(ipobjs["link"])
            snap = collections.defaultdict(list)
            ck = None
            with open(d + "/snapshot.jsonl", errors="replace") as f:
                for line in f:
                    try:
                        o = json.loads(line)
                    except ValueError:
                        continue
                    ck = o.get("netns_id", ck)
                    snap[o.get("object")].append(o)
            if live is not None and ck is None:
                ck = live.cookie(ns, meta["t0"])
            livepic = None
            if live is not None and ck is not None:
                livepic = live.fold(ck, meta["t1"], names)
            else:
                nolive += 1
            for kind in KINDS:
                ipp, _ = picture(ipobjs[kind], kind, "ip", names)
                sides = {"snapshot": picture(snap.get(kind, []), kind, "nl", names)[0]}
                if livepic is not None:
                    sides["live"] = livepic[kind]
                snp = sides["snapshot"]
                for k in ipp.keys() & snp.keys():
                    for g in schema_gaps(kind, ipp[k][1], snp[k][1]):
                        gaps[(kind, g)] += 1
                        gap_example.setdefault((kind, g), (test, q, ipp[k][1], strip(snp[k][1])))
                for side, nlp in sides.items():
                    c = tab[side][kind]
                    c["compared"] += len(ipp.keys() | nlp.keys())
                    for what, k, fields, iv, nv, io, no in compare(ipp, nlp):
                        c[what] += 1
                        cls = [classify(kind, what, f, iv[f], nv[f], io, no) for f in fields] \
                            if fields else [classify(kind, what, None, None, None, io, no)]
                        for cl in set(cls):
                            classes[(side, cl)] += 1
                        rec = {"test": test, "qp": q, "netns": ns, "caller": meta.get("caller"),
                               "side": side, "kind": kind, "what": what, "class": sorted(set(cls)),
                               "key": [str(x) for x in k]}
                        if fields:
                            rec["fields"] = fields
                            rec["ip_values"] = {f: iv[f] for f in fields}
                            rec["nl_values"] = {f: nv[f] for f in fields}
                        rec["ip"] = io
                        rec["nlwatch"] = strip(no) if no else None
                        jfile.write(json.dumps(rec, default=str) + "\n")
                        dfile.write(f"[{test} qp {q} ns {ns} ({meta.get('caller')})] {side} {kind} "
                                    f"{what} {{{fmt_key(k)}}} class={','.join(sorted(set(cls)))}\n")
                        if fields:
                            for f in fields:
                                dfile.write(f"    {f}: ip {iv[f]!r}  nlwatch {nv[f]!r}\n")
                        if io is not None:
                            dfile.write(f"    ip:      {json.dumps(io)}\n")
                        if no is not None:
                            dfile.write(f"    nlwatch: {json.dumps(strip(no))}\n")
        if live is not None:
            tw = collections.Counter()
            for st in live.state.values():
                tw.update(st[2])
            if tw:
                notes.append(f"{test}: live deletions of objects the live picture did not hold: "
                             + ", ".join(f"{k[0]}/{k[1]} {n}" for k, n in sorted(tw.items())))
            c = live.counts
            notes.append(f"{test}: {len(qps)} quiet points; live lines {sum(c.values())} "
                         f"(overrun {c['overrun']}, resync {c['resync']}, lagged {c['lagged']})"
                         + (f"; {nolive} quiet points without a live picture" if nolive else ""))
    dfile.close()
    jfile.close()

    out = []
    hdr = f"{'':16} {'kind':8} | {'snapshot vs ip':^34} | {'live vs ip':^34}"
    sub = f"{'':16} {'':8} | {'compared':>8} {'missing':>8} {'extra':>7} {'differs':>8} | " \
          f"{'compared':>8} {'missing':>8} {'extra':>7} {'differs':>8}"
    total = {s: {k: collections.Counter() for k in KINDS} for s in SIDES}
    for test in list(table) + ["TOTAL"]:
        out.append("")
        out.append(hdr)
        out.append(sub)
        tab = total if test == "TOTAL" else table[test]
        for kind in KINDS + ["all"]:
            row = f"{test if kind == 'link' else '':16} {kind:8} |"
            for s in SIDES:
                if kind == "all":
                    c = sum((tab[s][k] for k in KINDS), collections.Counter())
                else:
                    c = tab[s][kind]
                    if test != "TOTAL":
                        total[s][kind].update(c)
                row += f" {c['compared']:8} {c['missing']:8} {c['extra']:7} {c['differs']:8} |"
            out.append(row.rstrip("|"))
    out.append("")
    out.append("mismatches by first-guess class (side, class: count):")
    for (side, cl), n in sorted(classes.items(), key=lambda x: (x[0][0], -x[1])):
        out.append(f"  {side:8} {cl:28} {n}")
    out.append("")
    out.append("keys ip -j -d writes that nlwatch snapshot's line for the same object lacks"
               " (kind key: objects; docs/json.md's \"Not carried\" excepted):")
    for (kind, g), n in sorted(gaps.items()):
        out.append(f"  {kind:8} {g:40} {n}")
    with open(os.path.join(res, "schema-gaps.txt"), "w") as f:
        for (kind, g), (test, q, io, no) in sorted(gap_example.items()):
            f.write(f"{kind} {g} (first in {test} qp {q})\n    ip:      {json.dumps(io)}\n"
                    f"    nlwatch: {json.dumps(no)}\n")
    out.append("")
    out.extend(notes)
    out.append("")
    out.append("Not compared by design: netconf, nsid; AF_BRIDGE link lines; lifetimes,"
               " expires, timers, statistics; fdb `self` entries without dst; mdb router"
               " ports; NUD_NONE neighbours.")
    out.append(f"details: {os.path.join(res, 'details.txt')} "
               f"(machine readable: {os.path.join(res, 'details.jsonl')})")
    text = "\n".join(out) + "\n"
    with open(os.path.join(res, "summary.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
