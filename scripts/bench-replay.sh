#!/usr/bin/env bash
# Replay speed: how fast `nlwatch replay` plays a recording back through the
# pipeline (decode, state view, printer) with its output thrown away.
#
#   scripts/bench-replay.sh [options] FILE       # a recording (nlwatch record)
#   scripts/bench-replay.sh [options] --burst N  # first record a burst of N pairs
#
# Options:
#   --burst N     make the recording first: `scripts/bench-burst.sh --no-build
#                 --record --delete group --keep DIR N` (in scripts/sandbox.sh,
#                 as that script always runs), then replay DIR/burst.pcapng
#   --keep DIR    with --burst: the directory for that run's files (default: a
#                 temporary one, removed at the end)
#   --runs R      replays per mode (default 3); the median is reported
#   --no-build    use target/release/nlwatch as it is (default: cargo build
#                 --release first)
#   --library     also replay without printing, through the library
#                 (`cargo bench --bench replay -- FILE MESSAGES RUNS`,
#                 benches/replay.rs): the pipeline with no subscriber, and with
#                 a sink that only counts
#
# Each run is `nlwatch replay FILE --json >/dev/null`, then `nlwatch replay FILE
# >/dev/null` (text), timed from a python3 parent (wall time on the monotonic
# clock; user + system CPU and peak RSS from wait4). The messages in the file are counted by scripts/pcapng-count.py: every
# netlink message (a datagram may hold several), and of them the notifications
# of the burst's eight types (link, addr, route, neigh; new, del) that
# bench-burst.sh's reference listener counts. Messages per second = all
# messages in the file / wall time (and / CPU time). Replaying needs no
# privileges and touches no network: nothing runs in the sandbox here.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=1 runs=3 burst="" keep="" file="" library=0
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --library) library=1 ;;
        --runs) runs=$2; shift ;;
        --burst) burst=$2; shift ;;
        --keep) keep=$2; shift ;;
        -*) echo "bench-replay: unknown option $1" >&2; exit 2 ;;
        *) file=$1 ;;
    esac
    shift
done
if [ -z "$burst" ] && [ -z "$file" ]; then
    echo "usage: bench-replay.sh [--runs R] [--no-build] FILE | --burst N [--keep DIR]" >&2
    exit 2
fi
if ! [[ "$runs" =~ ^[0-9]+$ ]] || [ "$runs" -lt 1 ]; then
    echo "bench-replay: --runs takes a positive number" >&2
    exit 2
fi
if [ "$build" = 1 ]; then
    (cd "$root" && cargo build --release --quiet)
fi
nlwatch=$root/target/release/nlwatch

tmp=$(mktemp -d /tmp/bench-replay.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$burst" ]; then
    dir=${keep:-$tmp/burst}
    "$root/scripts/bench-burst.sh" --no-build --record --delete group --keep "$dir" "$burst" >"$tmp/burst.out"
    grep -E '^(Burst|Record / JSON)' "$tmp/burst.out" >&2 || true
    file=$dir/burst.pcapng
fi
[ -r "$file" ] || { echo "bench-replay: cannot read $file" >&2; exit 1; }

"$root/scripts/pcapng-count.py" "$file" >"$tmp/counts"
count() { awk -v k="$*" '{ v = $NF; $NF = ""; sub(/ $/, "") } $0 == k { print v }' "$tmp/counts"; }
messages=$(count messages)
datagrams=$(count datagrams)
kernel=0
for obj in link addr route neigh; do
    for act in new del; do
        kernel=$((kernel + $(count "$obj" "$act")))
    done
done

# run MODE: one replay, its figures appended to $tmp/MODE as "wall cpu rss lines".
run() {
    local mode=$1 opts=()
    [ "$mode" = text ] || opts=(--json)
    # wall (monotonic clock), user + system CPU and peak RSS (KiB) of the
    # replay, from wait4's rusage: microseconds, not /usr/bin/time's 10 ms.
    python3 - "$nlwatch" replay "$file" "${opts[@]}" >>"$tmp/$mode" <<'EOF'
import os, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t0
if status != 0:
    sys.exit(f"bench-replay: {' '.join(sys.argv[1:])} failed ({status})")
print(f"{wall:.3f} {ru.ru_utime + ru.ru_stime:.3f} {ru.ru_maxrss}")
EOF
}
lines_of() { # MODE: lines printed (once, apart from the timed runs)
    local opts=()
    [ "$1" = text ] || opts=(--json)
    "$nlwatch" replay "$file" "${opts[@]}" | wc -l
}
for ((i = 0; i < runs; i++)); do
    run json
    run text
done

median() { # FILE COLUMN
    awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "-" }'; }
cat <<EOF

Replay: $file ($(stat -c %s "$file") bytes)
$datagrams datagrams, $messages netlink messages (of them $kernel notifications of the burst's types, $(count other) others, $(count dump messages) dump answers)
nlwatch replay FILE [--json] >/dev/null, $runs runs each; median

| mode | lines printed | wall (runs) | CPU user+sys (runs) | messages/s (wall, median) | messages/s (CPU, median) | burst-type messages/s (wall) | peak RSS |
|---|---:|---|---|---:|---:|---:|---:|
EOF
for mode in json text; do
    w=$(median "$tmp/$mode" 1) c=$(median "$tmp/$mode" 2) r=$(median "$tmp/$mode" 3)
    printf '| %s | %s | %s s (%s) | %s s (%s) | %s | %s | %s | %s MiB |\n' \
        "$mode" "$(lines_of "$mode")" "$w" "$(awk '{ printf "%s%s", sep, $1; sep = ", " }' "$tmp/$mode")" \
        "$c" "$(awk '{ printf "%s%s", sep, $2; sep = ", " }' "$tmp/$mode")" \
        "$(rate "$messages" "$w")" "$(rate "$messages" "$c")" "$(rate "$kernel" "$w")" \
        "$(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }')"
done
if [ "$library" = 1 ]; then
    echo
    (cd "$root" && cargo bench --quiet --bench replay -- "$(realpath "$file")" "$messages" "$runs")
fi
