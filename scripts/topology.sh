#!/usr/bin/env bash
# Build (or tear down) a chain of test namespaces joined by veth pairs:
#   ns1 <-> ns2 <-> ... <-> nsN, link i between ns<i> and ns<i+1> on 10.255.<i>.0/24.
# Run it inside scripts/sandbox.sh so nothing touches this machine's network, e.g.
#
#   scripts/sandbox.sh bash -c 'scripts/topology.sh up 3 &&
#       target/release/nlwatch --all-netns & sleep 1; ip -n ns2 link set v2-3 down; sleep 1'
#
#   scripts/topology.sh up [N]      (default 3)
#   scripts/topology.sh down [N]
set -euo pipefail
cmd=${1:-up}
n=${2:-3}
# scripts/sandbox.sh marks its inside; elsewhere this would add namespaces to the
# machine itself, so it takes an explicit NLWATCH_TOPOLOGY_ANYWHERE=1.
if [ -z "${NLWATCH_IN_SANDBOX:-}" ] && [ -z "${NLWATCH_TOPOLOGY_ANYWHERE:-}" ]; then
    echo "topology.sh: run it inside scripts/sandbox.sh (or set NLWATCH_TOPOLOGY_ANYWHERE=1)" >&2
    exit 1
fi
case "$cmd" in
up)
    for i in $(seq 1 "$n"); do
        ip netns add "ns$i"
        ip -n "ns$i" link set lo up
    done
    for i in $(seq 1 $((n - 1))); do
        j=$((i + 1))
        ip -n "ns$i" link add "v$i-$j" type veth peer name "v$j-$i" netns "ns$j"
        ip -n "ns$i" addr add "10.255.$i.1/24" dev "v$i-$j"
        ip -n "ns$j" addr add "10.255.$i.2/24" dev "v$j-$i"
        ip -n "ns$i" link set "v$i-$j" up
        ip -n "ns$j" link set "v$j-$i" up
    done
    ;;
down)
    for i in $(seq 1 "$n"); do
        ip netns del "ns$i" 2>/dev/null || true
    done
    ;;
*)
    echo "usage: $0 up|down [N]" >&2
    exit 2
    ;;
esac
