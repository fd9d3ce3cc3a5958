#!/usr/bin/env bash
# Watch nlwatch report changes without touching this machine's network: runs the
# CLI inside a fresh network namespace (and private mount namespace), makes a few
# changes there with `ip`, prints what nlwatch saw, and lets the namespace vanish.
#
#   scripts/demo.sh [--json]          (as root, or where user namespaces are allowed)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release
bin="$PWD/target/release/nlwatch"

if [ -z "${NLWATCH_IN_SANDBOX:-}" ]; then
    exec scripts/sandbox.sh "$0" "$@"
fi

out=$(mktemp)
"$bin" "$@" >"$out" &
pid=$!
# Wait until nlwatch has joined its multicast groups (per-namespace /proc/net/netlink).
until awk 'NR > 1 && $2 == 0 && $4 != "00000000" { found = 1 } END { exit !found }' /proc/net/netlink; do
    sleep 0.05
done
ip link add veth0 type veth peer name veth1
ip link set veth0 up
ip link set veth1 up
ip addr add 10.0.0.1/24 dev veth0
ip -6 addr add 2001:db8::1/64 dev veth0 nodad
ip route add 10.1.0.0/24 via 10.0.0.2 table 100
ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev veth0 nud permanent
ip link del veth0
sleep 0.3
kill -TERM "$pid"
wait "$pid"
cat "$out"
rm -f "$out"
