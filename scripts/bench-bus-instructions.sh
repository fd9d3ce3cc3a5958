#!/usr/bin/env bash
# Instructions per Bus::publish (inclusive of everything it calls: index lookup,
# filters, queue sends), counted by callgrind, for the groups of benches/bus.rs.
# Instruction counts do not move with the machine's load, unlike criterion's
# times on a shared 2-core VM. Draining the queues is outside `publish` and not
# counted.
#
#   scripts/bench-bus-instructions.sh [EVENTS] [CARGO ARGS...]   (needs valgrind)
#
# e.g. `scripts/bench-bus-instructions.sh 20000 --features async`: the publish
# path with the feature on and no stream among the subscribers.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-20000}
bin=$(scripts/bench-binary.sh bus "${@:2}")
count() {
    NLWATCH_BUS_LOOP="$1:$2:$3" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect='nlwatch::bus::Bus::publish' "$bin" 2>&1 |
        awk '/Collected :/ { print $4 }'
}
printf '%-18s %6s %6s %6s\n' group 1 8 64
for g in all_match one_match_netns one_match_ifindex; do
    row=$(printf '%-18s' "$g")
    for n in 1 8 64; do
        row+=$(printf ' %6d' $(( $(count "$g" "$n" "$events") / events )))
    done
    echo "$row"
done
