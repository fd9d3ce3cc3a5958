#!/usr/bin/env bash
# Instructions per decoded message, nlwatch (owned event, Arc included) vs
# netlink-packet-route (NetlinkMessage::<RouteNetlinkMessage>::deserialize), counted
# by callgrind over the same captured messages. Instruction counts do not move with
# the machine's load, unlike criterion's times on a shared 2-core VM.
#
#   scripts/bench-decode-instructions.sh [ITERATIONS]     (needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-20000}
bin=$(scripts/bench-binary.sh decode)
count() {
    NLWATCH_DECODE_LOOP="$1:$2:$3" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" 2>&1 |
        awk '/Collected :/ { print $4 }'
}
printf '%-16s %14s %14s %8s\n' message nlwatch-event peer ratio
for f in link_new_veth addr_new_v4 addr_new_v6 route_new_v4 route_new_v6 rule_new_v4; do
    # Subtract a 0-iteration run to remove start-up costs.
    base_n=$(count nlwatch-event "$f" 0); base_p=$(count peer "$f" 0)
    n=$(( ($(count nlwatch-event "$f" "$iters") - base_n) / iters ))
    p=$(( ($(count peer "$f" "$iters") - base_p) / iters ))
    printf '%-16s %14d %14d %7.1fx\n' "$f" "$n" "$p" "$(echo "$p / $n" | bc -l)"
done
