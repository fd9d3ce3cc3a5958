#!/usr/bin/env bash
# Recovery benchmark: how long nlwatch takes from an overrun (ENOBUFS) to
# `resync done` in a namespace holding many routes.
#
#   scripts/bench-recovery.sh [--no-build] [ROUTES [BURST]]   # default 100000 3000
#
# In scripts/sandbox.sh: namespace `rs` with a veth, ROUTES /32 routes on it,
# then `nlwatch --json --rcvbuf 4096 --netns rs route` (a 4 KiB receive buffer
# overruns at once), then BURST more routes added by one `ip -batch`. Prints
# (with --dump, so the lines rebuild the whole picture) the overrun and resync
# lines, the interval from the first `overrun` to the
# last `resync done` (their receive times), the routes the resyncs repaired
# (`origin":"resync"` lines), nlwatch's peak RSS and CPU time, and whether the view ends
# with as many routes as `ip -j route show` lists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${NLWATCH_BENCH_RECOVERY_INNER:-}" ]; then
    if [ "${1:-}" = "--no-build" ]; then shift; else (cd "$root" && cargo build --release --quiet); fi
    exec env NLWATCH_BENCH_RECOVERY_INNER=1 "$root/scripts/sandbox.sh" "$0" "$@"
fi
routes=${1:-100000} burst=${2:-3000}
bin="${CARGO_TARGET_DIR:-$root/target}/release/nlwatch"
ip netns add rs
ip -n rs link add r0 type veth peer name r1
ip -n rs link set r0 up
gen() { # FIRST COUNT: /32 routes 10.x.y.z via r0
    python3 -c "
import sys
first, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(first, first + n):
    print(f'route add 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32 dev r0')
" "$1" "$2"
}
gen 0 "$routes" > /run/base.batch
gen "$routes" "$burst" > /run/burst.batch
ip -n rs -batch /run/base.batch
"$bin" --json --dump --rcvbuf 4096 --netns rs route > /run/out.jsonl 2>/run/err.txt &
pid=$!
# Until the initial dump is done.
for _ in $(seq 600); do grep -q '"object":"sync"' /run/out.jsonl 2>/dev/null && break; sleep 0.1; done
ip -n rs -batch /run/burst.batch
for _ in $(seq 600); do
    last=$(tail -n 1 /run/out.jsonl)
    sleep 1
    [ "$(tail -n 1 /run/out.jsonl)" = "$last" ] && break
done
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
# utime + stime of every thread, in clock ticks (fields 14 and 15 of stat).
ticks=$(awk '{print $14 + $15}' /proc/$pid/stat)
kill -TERM $pid; wait $pid || true
want=$(ip -n rs -j route show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
python3 - "$hwm" "$want" "$ticks" "$(getconf CLK_TCK)" <<'PY'
import json, sys, datetime
hwm, want, ticks, hz = (int(a) for a in sys.argv[1:5])
def t(s): return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
overruns, dones, repaired, routes = [], [], 0, {}
for line in open('/run/out.jsonl'):
    e = json.loads(line)
    o = e.get('object')
    if o == 'overrun': overruns.append(t(e['ts']))
    elif o == 'resync': dones.append(t(e['ts']))
    elif o == 'route':
        if e.get('resync'): repaired += 1
        key = (e.get('dst'), e.get('table'), e.get('dev'))
        if e['action'] == 'new': routes[key] = 1
        else: routes.pop(key, None)
print(f"overrun lines {len(overruns)}, resync done lines {len(dones)}")
if overruns and dones:
    print(f"first overrun to last resync done: {(dones[-1] - overruns[0]) * 1000:.1f} ms")
print(f"routes repaired by the resyncs (origin resync): {repaired}")
print(f"nlwatch peak RSS (VmHWM): {hwm / 1024:.1f} MiB")
print(f"nlwatch CPU (user + system, initial dump included): {ticks / hz * 1000:.0f} ms")
print(f"routes in the main table rebuilt from the JSON lines: {sum(1 for k in routes if k[1] in (None, 'main'))}; ip -j route show: {want}")
PY
