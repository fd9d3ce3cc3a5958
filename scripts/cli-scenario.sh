#!/bin/bash
# scripts/cli-scenario.sh BIN OUTDIR
#
# Runs a fixed, scripted rtnetlink scenario under `BIN --json --dump` and again
# under `BIN -t --dump` (text), each in a FRESH network namespace of its own,
# and writes to OUTDIR:
#   json.raw  text.raw     what nlwatch printed
#   json.out  text.out     the same, normalised (ts, netns_id, text timestamps)
#   ip.log                 the commands run (and any error they printed)
#
# What it is for: a refactor must leave the CLI's output byte-identical;
# scripts/cli-compare.sh runs this with two builds and diffs the outputs.
# Everything that varies between runs by nature is taken out (receive times,
# netns cookies) or avoided (fixed MAC addresses, no DAD, no router
# solicitations, IPv6 on one link only: see below).
#
# Network safety: each pass re-executes this script inside scripts/sandbox.sh
# (fresh network, mount and PID namespaces), and stops if that namespace
# holds any link but lo. Nothing here touches the host's network.
set -u

BIN=${1:?usage: cli-scenario.sh BIN OUTDIR}
OUT=${2:?usage: cli-scenario.sh BIN OUTDIR}
BIN=$(readlink -f "$BIN")
SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")

# ---------------------------------------------------------------- outer level
if [ "${SCENARIO_IN_NETNS:-}" = "" ]; then
    mkdir -p "$OUT"
    OUT=$(readlink -f "$OUT")
    rm -f "$OUT"/json.raw "$OUT"/text.raw "$OUT"/json.out "$OUT"/text.out "$OUT"/ip.log
    rc=0
    for mode in json text; do
        SCENARIO_IN_NETNS=$mode "$HERE/sandbox.sh" bash "$SELF" "$BIN" "$OUT" || rc=1
    done
    # Normalise: what differs from run to run by nature.
    #  - JSON: "ts" (receive time) and "netns_id" (the namespace's cookie).
    #  - text: the leading "[RFC3339] " that -t writes.
    sed -E -e 's/"ts":"[^"]*"/"ts":"TS"/g' \
           -e 's/"netns_id":[0-9]+/"netns_id":0/g' \
        "$OUT/json.raw" > "$OUT/json.out"
    sed -E -e 's/^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\] /[TS] /' \
        "$OUT/text.raw" > "$OUT/text.out"
    exit $rc
fi

# ------------------------------------------------- inside the fresh namespace
MODE=$SCENARIO_IN_NETNS
nlinks=$(ip -o link show | wc -l)
if [ "$nlinks" != 1 ] || ! ip -o link show lo >/dev/null 2>&1; then
    echo "cli-scenario.sh: not in a fresh network namespace ($nlinks links): refusing" >&2
    exit 2
fi

LOG="$OUT/ip.log"
echo "=== pass $MODE" >> "$LOG"
# Every command is logged, and its failure too (a failure is part of the
# scenario's behaviour and should not vary either).
ipc() {
    echo "+ ip $*" | cat -v >> "$LOG"
    ip "$@" >> "$LOG" 2>&1 || echo "  (exit $?)" >> "$LOG"
}
bridgec() {
    echo "+ bridge $*" >> "$LOG"
    bridge "$@" >> "$LOG" 2>&1 || echo "  (exit $?)" >> "$LOG"
}
pause() { sleep 0.3; }
# After a change of a link's state: the kernel's linkwatch may hold a
# carrier/operstate change for up to a second.
settle() { sleep 1.2; }

# Quiet, deterministic IPv6: no DAD, no router solicitations, and no
# link-local address unless asked for (addr_gen_mode 1, none): only va0 gets
# one (eui64, from its fixed MAC). Each link with an IPv6 address sends MLD
# reports, which create silent NOARP neighbours (ff02::16) that a resync dump
# or a link's flush then shows in the kernel's hash order (random between
# runs): so one link only, va0, holds IPv6 addresses. Set before nlwatch
# starts (the dump shows them, the same every run).
for c in all default; do
    sysctl -qw net.ipv6.conf.$c.accept_dad=0 \
               net.ipv6.conf.$c.router_solicitations=0 \
               net.ipv6.conf.$c.accept_ra=0
done
sysctl -qw net.ipv6.conf.default.addr_gen_mode=1
ip link set lo up

if [ "$MODE" = json ]; then
    RAW="$OUT/json.raw"; ARGS=(--json --dump); SYNC='"object":"sync"'
else
    RAW="$OUT/text.raw"; ARGS=(-t --dump); SYNC='[sync]'
fi
# No OBJECT: every kind (the default).
"$BIN" "${ARGS[@]}" > "$RAW" 2>"$OUT/$MODE.stderr" &
NLW=$!
# If this script is stopped early, nlwatch goes with it.
trap 'kill -INT $NLW 2>/dev/null' EXIT
for _ in $(seq 1 200); do
    grep -qF -- "$SYNC" "$RAW" 2>/dev/null && break
    sleep 0.05
done
if ! grep -qF -- "$SYNC" "$RAW"; then
    echo "cli-scenario.sh: no sync line from $BIN within 10 s" >&2
    kill -INT $NLW; wait $NLW
    exit 1
fi

ODD=$'ev\x01il'      # a control byte: ip and the kernel accept it
ODD2=$'b\xffad'      # not UTF-8

# 1. veth pairs, up/down, renames
#    va0/vp0 carries every IPv6 address (the only link sending MLD reports);
#    vb0/vq0 goes down and up; vc0/vd0 is renamed and bridged.
ipc link add va0 address 02:00:00:00:00:a0 type veth peer name vp0 address 02:00:00:00:00:a1
ipc link set va0 addrgenmode eui64        # link-local fe80::ff:fe00:a0
ipc link set va0 up
settle
ipc link set vp0 up
settle
ipc link add vb0 address 02:00:00:00:00:b0 type veth peer name vq0 address 02:00:00:00:00:b1
ipc link set vb0 up
ipc link set vq0 up
settle
ipc link add vc0 address 02:00:00:00:00:c0 type veth peer name vd0 address 02:00:00:00:00:d0
ipc link set vd0 name vd1
ipc link set vc0 up
ipc link set vd1 up
settle
ipc link set vd1 down
settle
ipc link set vd1 name vd2
ipc link set vd2 up
settle

# 2. a bridge with a port (no multicast snooping: no timers in the output)
ipc link add br0 address 02:00:00:00:00:f0 type bridge mcast_snooping 0
ipc link set vc0 master br0
settle
ipc link set br0 up
settle

# 3. an interface name with odd bytes
ipc link add "$ODD" address 02:00:00:00:00:e0 type ifb
ipc link set "$ODD" up
settle
ipc addr add 10.0.7.1/24 dev "$ODD"
pause

# 4. addresses, IPv4 and IPv6 (nodad; each IPv6 one announced from a work
#    queue, so a pause after each), peer addresses
ipc addr add 10.0.1.1/24 dev va0
ipc addr add 10.0.1.2/24 dev va0
ipc addr add 10.0.1.3/24 dev va0
ipc addr add 10.0.2.1/24 brd + dev vb0 label vb0:x
ipc addr add 10.9.9.1 peer 10.9.9.2/32 dev vb0
ipc addr add 10.0.3.1/24 dev br0
pause
ipc -6 addr add 2001:db8:1::1/64 dev va0 nodad
pause
ipc -6 addr add 2001:db8:2::1/64 dev va0 nodad
pause
ipc -6 addr add 2001:db8:9::1 peer 2001:db8:9::2/128 dev va0 nodad
pause
ipc addr del 10.0.1.3/24 dev va0
pause
ipc -6 addr del 2001:db8:2::1/64 dev va0
pause

# 5. IPv4 routes: add, append (other src/proto), replace, multipath
ipc route add 10.10.0.0/16 via 10.0.1.254 dev va0
ipc route append 10.10.0.0/16 via 10.0.2.254 dev vb0 src 10.0.2.1 proto static
pause
ipc route replace 10.10.0.0/16 via 10.0.1.253 dev va0
pause
ipc route add 10.20.0.0/16 nexthop via 10.0.1.254 dev va0 weight 1 nexthop via 10.0.2.254 dev vb0 weight 3
ipc route add 10.30.0.0/16 dev va0 metric 50 mtu 1400 advmss 1300
ipc route add default via 10.0.1.254 dev va0
ipc route add 10.40.0.0/16 via 10.0.3.254 table 100
ipc route add blackhole 10.41.0.0/16
pause
ipc route replace 10.20.0.0/16 nexthop via 10.0.1.252 dev va0 nexthop via 10.0.2.252 dev vb0
pause
ipc route del 10.30.0.0/16 dev va0 metric 50
pause

# 6. IPv6 routes via gateways, siblings appended and deleted, multipath
ipc -6 route add 2001:db8:100::/48 via 2001:db8:1::fe dev va0
pause
ipc -6 route append 2001:db8:100::/48 via 2001:db8:1::fd dev va0 mtu 1400
pause
ipc -6 route append 2001:db8:100::/48 via fe80::1 dev va0
pause
ipc -6 route del 2001:db8:100::/48 via 2001:db8:1::fe dev va0
pause
ipc -6 route del 2001:db8:100::/48 via fe80::1 dev va0
pause
ipc -6 route add 2001:db8:101::/48 via 2001:db8:1::fe dev va0 metric 100
pause
ipc -6 route replace 2001:db8:101::/48 via 2001:db8:1::fd dev va0 metric 100
pause
ipc -6 route add 2001:db8:102::/48 nexthop via 2001:db8:1::fe dev va0 nexthop via fe80::2 dev va0
pause

# 7. a macvlan and a VXLAN device, forwarding entries
ipc link add mv0 link va0 address 02:00:00:00:00:71 type macvlan mode bridge
ipc link add vx0 address 02:00:00:00:00:72 type vxlan id 42 local 10.0.1.2 dstport 4789 nolearning
ipc link set mv0 up
ipc link set vx0 up
settle
bridgec fdb add 02:00:00:00:09:99 dev vx0 dst 10.0.1.99
bridgec fdb add 02:00:00:00:09:98 dev vc0 master static
pause
bridgec fdb del 02:00:00:00:09:98 dev vc0 master static
pause

# 8. neighbours (permanent)
ipc neigh add 10.0.1.254 lladdr 02:00:00:00:01:fe dev va0 nud permanent
ipc neigh add 10.0.2.254 lladdr 02:00:00:00:02:fe dev vb0 nud permanent
ipc -6 neigh add 2001:db8:1::fe lladdr 02:00:00:00:01:fd dev va0 nud permanent
pause
ipc neigh replace 10.0.1.254 lladdr 02:00:00:00:01:fc dev va0 nud permanent
ipc neigh del 10.0.2.254 dev vb0
pause

# 9. rules
ipc rule add from 10.0.1.0/24 table 100 pref 1000
ipc -6 rule add to 2001:db8:100::/48 table 100 pref 1001
pause
ipc rule del pref 1000
pause

# 10. nexthop objects, a group, routes through them
ipc nexthop add id 1 via 10.0.1.254 dev va0
ipc nexthop add id 2 via 10.0.2.254 dev vb0
ipc nexthop add id 3 via 10.0.1.253 dev va0
ipc nexthop add id 10 group 1/2
pause
ipc route add 10.50.0.0/16 nhid 10
pause
ipc nexthop replace id 10 group 1,3/3
pause
ipc nexthop add id 4 via 10.0.1.250 dev va0
ipc route add 10.70.0.0/16 nhid 4
pause
ipc nexthop replace id 4 blackhole
pause
ipc nexthop add id 5 blackhole
ipc route add 10.71.0.0/16 nhid 5
pause
ipc -6 nexthop add id 6 via 2001:db8:1::fe dev va0
ipc -6 nexthop add id 7 via 2001:db8:1::fd dev va0
ipc -6 route add 2001:db8:200::/48 nhid 6
pause
ipc -6 route replace 2001:db8:200::/48 nhid 7
pause
ipc nexthop del id 2
pause

# 11. a link down and up (IPv4 routes through it go), an odd rename
ipc link set vb0 down
settle
ipc link set vb0 up
settle
ipc link set "$ODD" down
settle
ipc link set "$ODD" name "$ODD2"
ipc link set "$ODD2" up
settle

# 12. link deletions that take routes, addresses, neighbours, nexthops along
#     (va0's IPv6 neighbour goes first: two of one table on one link are
#     flushed in the kernel's hash order, which is random)
ipc -6 neigh del 2001:db8:1::fe dev va0
pause
ipc link del va0
settle
ipc link del vx0
settle
ipc link del "$ODD2"
settle
ipc link del br0
settle
ipc link del vb0
settle
ipc link del vc0
settle

sleep 1
kill -INT $NLW
wait $NLW
echo "  nlwatch exit $?" >> "$LOG"
trap - EXIT
