#!/usr/bin/env bash
# Chaos run: seeded random namespace additions and deletions under a watched
# /run/netns, veth pairs across namespaces, moves, renames, up/down, addresses,
# routes, neighbours and `ip -batch` bursts against a small receive buffer, read
# by a consumer that stalls at random; at every quiet point each namespace's
# snapshot and the picture rebuilt from events must equal `ip -j` (see
# integration/chaos.rs). Everything runs in the integration tests' sandbox.
#
#   scripts/chaos.sh [SEEDS]     # a count (seeds 1..N, default 20) or a list: 7,0x2a
#
# Environment: NLWATCH_CHAOS_OPS (operations per seed, default 400),
# NLWATCH_CHAOS_SAME_V4_PREFIX=0 (never let two links of a namespace share an
# IPv4 prefix, as the first runs did: see RELIABILITY.md, "Chaos run"). Each seed runs on its own; the script
# goes on after a failure, prints the failing seeds at the end and exits 1 if any
# failed. A failure's output (seed, operations, difference) is kept in
# $CHAOS_LOGS (default target/chaos) as seed-N.log, and the run's recording of
# what the kernel said as seed-N.pcapng (`nlwatch replay --json FILE`, or tshark).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-20}
if [[ $seeds =~ ^[0-9]+$ ]]; then
    seeds=$(seq -s, 1 "$seeds")
fi
export NLWATCH_CHAOS_OPS=${NLWATCH_CHAOS_OPS:-400}
logs=${CHAOS_LOGS:-target/chaos}
mkdir -p "$logs"
logs=$(realpath "$logs")
report="$logs/figures.txt"
: >"$report"
cargo test --all-features --test integration --no-run 2>/dev/null
failed=()
IFS=, read -ra list <<<"$seeds"
for seed in "${list[@]}"; do
    log="$logs/seed-$seed.log"
    if NLWATCH_CHAOS_SEEDS=$seed NLWATCH_CHAOS_REPORT="$report" NLWATCH_CHAOS_RECORDINGS="$logs" \
        cargo test -q --all-features --test integration chaos -- --nocapture >"$log" 2>&1; then
        tail -n 1 "$report"
        rm -f "$log"
    else
        echo "chaos seed $seed FAILED (replay: scripts/chaos.sh $seed; output in $log):"
        grep -m 1 -A 12 "^chaos seed .*: [a-z]" "$log" || tail -n 20 "$log"
        failed+=("$seed")
    fi
done
echo "chaos: ${#list[@]} seeds, $((${#list[@]} - ${#failed[@]})) passed, $NLWATCH_CHAOS_OPS ops each"
if ((${#failed[@]})); then
    echo "failed seeds: ${failed[*]}"
    exit 1
fi
