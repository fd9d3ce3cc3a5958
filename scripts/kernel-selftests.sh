#!/usr/bin/env bash
# Run the Linux kernel's own rtnetlink selftests (fib_nexthops.sh, fib_tests.sh,
# rtnetlink.sh, fib_rule_tests.sh from Debian's linux-source-6.12) under
# `nlwatch --all-netns --json -d --dump` and report where nlwatch's picture of each
# namespace differs from the kernel's as iproute2 prints it. A measurement, not
# part of the test suite: selftests that need what this kernel lacks fail or skip,
# which is fine; the figures are about nlwatch, not about the selftests' verdicts.
#
#   scripts/kernel-selftests.sh [-o OUTDIR] [-t SECONDS] [TEST ...]
#
#   TEST     fib_nexthops fib_tests rtnetlink fib_rule_tests (default: all four)
#   -o DIR   where results go (default /tmp/nlwatch-selftests/results)
#   -t SECS  time bound per selftest (default 900)
#   -b BIN   the nlwatch binary (default target/release/nlwatch, built if missing)
#   -r       quiet points also where the selftest reads a namespace's state
#            (`ip -n NS route get|show|list`, `addr show`, ...): many more
#            pictures compared, mid-test ones (links down, routes replaced);
#            each costs about 0.4 s, so the run takes several times longer
#
# How:
# - The sources come from /usr/src/linux-source-6.12.tar.xz (apt-get installs
#   linux-source-6.12 when missing). Only tools/testing/selftests/net/{the four,
#   lib.sh, nettest.c} and ../kselftest/ are extracted, under /tmp; nettest is
#   built (fib_rule_tests.sh skips everything without it). `type dummy` becomes
#   `type ifb` (no dummy module on the kernels this runs on); fib_tests.sh runs
#   its tests one by one (`-t TEST`): one that meets what this kernel lacks
#   (`carrier on|off` on an ifb, a vrf) fails under `set -e`, which would end
#   the whole script.
# - Everything runs inside scripts/sandbox.sh (private net, mount and PID
#   namespaces, a private /run): never on the host's network. One sandbox per
#   selftest, each bounded by `timeout`.
# - In each, `nlwatch --all-netns --json -d --dump` writes the live stream to
#   live.jsonl. A shim `ip` first in PATH (every selftest and lib.sh's
#   cleanup_ns call `ip` through PATH; the only full-path call, /sbin/modprobe,
#   is not `ip`) catches `ip netns del|delete NAME` and `ip -all netns del|delete`
#   and, before the real deletion, records a "quiet point" for each namespace:
#   waits 0.3 s for the live stream to settle, notes the time, dumps the kernel's
#   view with iproute2 (`ip -j -d` link/addr/route -4 and -6 table all/rule -4
#   and -6/nexthop/neigh -4 and -6 `nud all`, `bridge -j -d` fdb/mdb) and runs
#   `nlwatch snapshot --json -d --netns NAME`. Namespaces still present when the
#   selftest ends get a quiet point too.
# - scripts/selftest-compare.py folds the live lines (new/del, dump, resync and
#   synthesized lines alike) per namespace cookie up to each quiet point's time
#   and compares, kind by kind and object by object, (a) the snapshot and (b) the
#   live picture against iproute2: "missing" (ip has it, nlwatch not), "extra"
#   (nlwatch has it, ip not), "differs" (same key, a compared field differs).
#
# Keys (what iproute2 tells apart): link ifindex; addr ifindex, family, local,
# prefixlen, peer; route family, table, dst, tos, metric, type, protocol, prefsrc,
# oif, gateway/via, nhid, nexthops (each hop's gateway, dev, weight), encap; rule
# every selector, action and target; nexthop id; neigh ifindex, dst; fdb mac,
# ifindex, vlan, dst, self-or-master; mdb bridge, port, grp, src, vid.
# Compared values: see FIELDS in selftest-compare.py (flags, mtu, operstate,
# master, port state, scope, lladdr, neighbour state, group members, ...).
#
# Left out by design (both sides cannot agree; said in the summary too):
# - link: a bridge's AF_BRIDGE per-port lines (`family: bridge`, `bridge link`'s
#   view, not `ip link`'s); countdown timers and statistics (docs/json.md,
#   "Not carried").
# - addr/route: lifetimes and `expires` (they count down); IPv6 route cache
#   (`ip route show cache`, not in either dump).
# - neigh: entries in NUD states INCOMPLETE/DELAY/PROBE/STALE/FAILED/REACHABLE
#   that the kernel changes on its own by timers are compared, but their
#   `state` mismatches are classed "kernel-timer" in the details, not hidden;
#   NUD_NONE entries (state []) are left out (ip hides them, the kernel keeps
#   them only for a moment).
# - fdb: a device's own address-list entries (`self` without `dst`), which change
#   without a notification (README, `fdb`).
# - mdb: multicast router ports (`bridge mdb`'s `router` list); timers.
# - netconf and nsid kinds are not compared.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
scratch=${NLWATCH_SELFTEST_SCRATCH:-/tmp/nlwatch-selftests}
ALL_TESTS=(fib_nexthops fib_tests rtnetlink fib_rule_tests)
SETTLE=${NLWATCH_SELFTEST_SETTLE:-0.3}

# ---------------------------------------------------------------- inner parts
# The shim: `ip` first in PATH inside the sandbox.
if [ "${1:-}" = "--shim-ip" ]; then
    shift
    real=$NLWATCH_REAL_IP
    del=() ; all=0 ; args=("$@") ; i=0 ; nsopt= ; read_qp=
    # Find `netns del|delete NAME` or `-all netns del|delete` among global options.
    while [ $i -lt ${#args[@]} ]; do
        a=${args[$i]}
        case "$a" in
            -all|--all|-a) all=1 ;;
            -n|-netns|--netns) nsopt=${args[$((i+1))]:-}; i=$((i+1)) ;;
            -b|-batch|-rc|-rcvbuf|-l|-loops|-f|-family) i=$((i+1)) ;;
            netns|nets|net|ne|n)
                verb=${args[$((i+1))]:-}
                case "$verb" in
                    del|delete|de|d)
                        if [ $all = 1 ]; then
                            while read -r ns _; do [ -n "$ns" ] && del+=("$ns"); done < <("$real" netns list 2>/dev/null)
                        else
                            nm=${args[$((i+2))]:-}
                            [ -n "$nm" ] && [ -e "/run/netns/$nm" ] && del+=("$nm")
                        fi ;;
                esac
                break ;;
            -*) ;;
            *)
                # With -r: the selftest reading a namespace's state (`ip -n NS
                # route get|show|list`, `addr show`, ...) is a quiet point too.
                if [ "${NLWATCH_SELFTEST_READS:-0}" = 1 ] && [ -n "$nsopt" ] && [ -e "/run/netns/$nsopt" ]; then
                    rest=" ${args[*]:$i} "
                    case "$rest" in
                        *" get "*|*" show "*|*" list "*|*" lst "*|*" sh "*|*" ls "*) read_qp=$nsopt ;;
                        " "[rlan]*" ") case "${args[*]:$i}" in *" "*) ;; *) read_qp=$nsopt ;; esac ;;
                    esac
                fi
                break ;;
        esac
        i=$((i+1))
    done
    if [ -n "$read_qp" ]; then
        NLWATCH_SELFTEST_CALLER="read: ip ${args[*]}" "$NLWATCH_SELFTEST_SELF" --quiet-point "$read_qp" || true
    fi
    for ns in "${del[@]}"; do
        "$NLWATCH_SELFTEST_SELF" --quiet-point "$ns" || true
    done
    exec "$real" "$@"
fi

# A quiet point: what the kernel and nlwatch snapshot say about namespace $2.
if [ "${1:-}" = "--quiet-point" ]; then
    ns=$2 ; real=$NLWATCH_REAL_IP ; out=$NLWATCH_SELFTEST_OUT
    mkdir -p "$out/qp"
    # A sequence number; one shim runs at a time (the selftests are sequential).
    n=$(( $(cat "$out/qp/.count" 2>/dev/null || echo 0) + 1 ))
    echo $n > "$out/qp/.count"
    d=$out/qp/$(printf %04d "$n")
    mkdir -p "$d"
    sleep "$SETTLE"
    t0=$(date +%s.%N)
    j() { local f=$1; shift; "$@" > "$d/$f.json" 2> "$d/$f.err" || true; }
    j link     "$real" -n "$ns" -j -d link show
    j addr     "$real" -n "$ns" -j -d addr show
    j route4   "$real" -n "$ns" -4 -j -d route show table all
    j route6   "$real" -n "$ns" -6 -j -d route show table all
    j rule4    "$real" -n "$ns" -4 -j -d rule show
    j rule6    "$real" -n "$ns" -6 -j -d rule show
    j nexthop  "$real" -n "$ns" -j -d nexthop show
    j neigh4   "$real" -n "$ns" -4 -j -d neigh show nud all
    j neigh6   "$real" -n "$ns" -6 -j -d neigh show nud all
    j fdb      "$NLWATCH_REAL_BRIDGE" -n "$ns" -j -d fdb show
    j mdb      "$NLWATCH_REAL_BRIDGE" -n "$ns" -j -d mdb show
    t1=$(date +%s.%N)
    "$NLWATCH_BIN" snapshot --json -d --netns "$ns" > "$d/snapshot.jsonl" 2> "$d/snapshot.err" || true
    t2=$(date +%s.%N)
    caller=${NLWATCH_SELFTEST_CALLER:-ip netns del}
    caller=${caller//\\/\\\\}; caller=${caller//\"/\\\"}
    printf '{"netns":"%s","t0":%s,"t1":%s,"t2":%s,"test":"%s","caller":"%s"}\n' \
        "$ns" "$t0" "$t1" "$t2" "$NLWATCH_SELFTEST_NAME" "$caller" > "$d/meta.json"
    exit 0
fi

# Inside the sandbox: nlwatch in the background, the selftest in the foreground.
if [ "${1:-}" = "--inner" ]; then
    test=$2 ; srcdir=$3 ; out=$4
    export NLWATCH_SELFTEST_OUT=$out NLWATCH_SELFTEST_NAME=$test NLWATCH_SELFTEST_SELF=$0
    export NLWATCH_REAL_IP NLWATCH_REAL_BRIDGE NLWATCH_BIN SETTLE NLWATCH_SELFTEST_READS
    shimdir=$out/shim ; mkdir -p "$shimdir"
    # Fast path in sh for every `ip` call that cannot be a namespace deletion.
    if [ "${NLWATCH_SELFTEST_READS:-0}" = 1 ]; then
        printf '#!/bin/sh\ncase " $* " in *" netns "*|*" -n "*|*" -netns "*) exec "%s" --shim-ip "$@";; esac\nexec "%s" "$@"\n' \
            "$0" "$NLWATCH_REAL_IP" > "$shimdir/ip"
    else
        printf '#!/bin/sh\ncase " $* " in *" netns "*) exec "%s" --shim-ip "$@";; esac\nexec "%s" "$@"\n' \
            "$0" "$NLWATCH_REAL_IP" > "$shimdir/ip"
    fi
    chmod +x "$shimdir/ip"
    "$NLWATCH_BIN" --all-netns --json -d --dump > "$out/live.jsonl" 2> "$out/live.err" &
    nl=$!
    # Wait for the current namespace's initial dump.
    for _ in $(seq 100); do grep -q '"object":"sync"' "$out/live.jsonl" 2>/dev/null && break; sleep 0.1; done
    date +%s.%N > "$out/start"
    cd "$srcdir"
    set +e
    if [ "$test" = fib_tests ]; then
        # A test that meets what this kernel lacks (`carrier on|off` on an ifb,
        # a vrf) fails a command under `set -e`, which ends the whole script:
        # run its tests one by one.
        eval "$(sed -n '/^TESTS="/,/"$/p' fib_tests.sh)"
        rc=0
        for t in $TESTS; do
            PATH=$shimdir:$PATH bash ./fib_tests.sh -t "$t" >> "$out/selftest.log" 2>&1 || rc=$?
        done
        echo $rc > "$out/selftest.rc"
    else
        PATH=$shimdir:$PATH bash "./$test.sh" > "$out/selftest.log" 2>&1
        echo $? > "$out/selftest.rc"
    fi
    set -e
    # Namespaces the selftest left behind.
    for f in /run/netns/*; do
        [ -e "$f" ] || continue
        NLWATCH_SELFTEST_CALLER="end of selftest" "$0" --quiet-point "$(basename "$f")" || true
    done
    sleep "$SETTLE"
    kill -INT $nl; wait $nl || true
    date +%s.%N > "$out/end"
    exit 0
fi

# ---------------------------------------------------------------- outer part
outdir=$scratch/results ; tmo=900 ; NLWATCH_BIN=$root/target/release/nlwatch
NLWATCH_SELFTEST_READS=0
while getopts "o:t:b:rh" opt; do
    case $opt in
        o) outdir=$OPTARG ;; t) tmo=$OPTARG ;; b) NLWATCH_BIN=$OPTARG ;; r) NLWATCH_SELFTEST_READS=1 ;;
        *) sed -n '2,20p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND-1))
tests=("$@") ; [ ${#tests[@]} -gt 0 ] || tests=("${ALL_TESTS[@]}")
for t in "${tests[@]}"; do
    case " ${ALL_TESTS[*]} " in *" $t "*) ;; *) echo "unknown selftest $t" >&2; exit 2 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (the selftests need it)" >&2; exit 1; }
if [ ! -x "$NLWATCH_BIN" ]; then
    (cd "$root" && cargo build --release)
fi
NLWATCH_BIN=$(readlink -f "$NLWATCH_BIN")
NLWATCH_REAL_IP=$(command -v ip); [ -x /usr/bin/ip ] && NLWATCH_REAL_IP=/usr/bin/ip
[ -x "$NLWATCH_REAL_IP" ] || NLWATCH_REAL_IP=/sbin/ip
NLWATCH_REAL_BRIDGE=$(command -v bridge || echo /sbin/bridge)
export NLWATCH_REAL_IP NLWATCH_REAL_BRIDGE NLWATCH_BIN SETTLE NLWATCH_SELFTEST_READS

tarball=/usr/src/linux-source-6.12.tar.xz
if [ ! -f $tarball ]; then
    apt-get update
    apt-get install -y linux-source-6.12
fi
src=$scratch/src
sel=tools/testing/selftests
if [ ! -f "$src/$sel/net/.extracted" ]; then
    rm -rf "$src"; mkdir -p "$src"
    tar -xJf $tarball -C "$src" --strip-components=1 \
        linux-source-6.12/$sel/net/fib_nexthops.sh linux-source-6.12/$sel/net/fib_tests.sh \
        linux-source-6.12/$sel/net/rtnetlink.sh linux-source-6.12/$sel/net/fib_rule_tests.sh \
        linux-source-6.12/$sel/net/lib.sh linux-source-6.12/$sel/net/nettest.c \
        linux-source-6.12/$sel/kselftest
    # fib_rule_tests.sh needs the selftests' nettest program (it skips everything
    # without it); build it when a C compiler is there.
    if command -v cc > /dev/null; then
        cc -O1 -o "$src/$sel/net/nettest" "$src/$sel/net/nettest.c" || true
    fi
    # What the four source beyond lib.sh (lib.sh sources ../kselftest/ktap_helpers.sh
    # only when asked; none sources forwarding/lib.sh).
    sed -i 's/type dummy/type ifb/g' "$src/$sel"/net/*.sh
    touch "$src/$sel/net/.extracted"
fi

rm -rf "$outdir"; mkdir -p "$outdir"
start=$(date +%s)
for t in "${tests[@]}"; do
    o=$outdir/$t ; mkdir -p "$o"
    s=$(date +%s)
    echo "== $t (bound ${tmo}s)"
    rc=0
    timeout --kill-after=20 "$tmo" "$here/sandbox.sh" "$0" --inner "$t" "$src/$sel/net" "$o" || rc=$?
    echo "   selftest exit $(cat "$o/selftest.rc" 2>/dev/null || echo "none (sandbox exit $rc, timed out?)")," \
         "$(ls -d "$o"/qp/0* 2>/dev/null | wc -l) quiet points, $(( $(date +%s) - s ))s;" \
         "$(grep -cE '\[ ?OK ?\]|PASS' "$o/selftest.log" 2>/dev/null || true) passed," \
         "$(grep -cE 'FAIL' "$o/selftest.log" 2>/dev/null || true) failed"
done
echo "== selftests done in $(( $(date +%s) - start ))s"
python3 "$here/selftest-compare.py" "$outdir" "${tests[@]}"
