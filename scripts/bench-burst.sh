#!/usr/bin/env bash
# Burst benchmark: nlwatch, `ip monitor` and a drain-only floor side by side, each
# on its own socket, watching the same objects (link, address, route, neigh) while
# N veth pairs are created and deleted; CPU per kernel message for each.
#
# The floor (benches/drain.rs) only takes the messages off its socket, as
# nlwatch's readers do (poll, recvmmsg with 64 slots until empty, 10 ms to
# gather) and counts their types: what any listener must spend.
#
#   scripts/bench-burst.sh [options] [N]      # N veth pairs, default 10000
#
# Options:
#   --ip-rcvbuf BYTES       give `ip monitor` `-rc BYTES` (default: ip's own, which
#                           requests 1 MiB; the kernel doubles what is requested)
#   --nlwatch-rcvbuf BYTES  give nlwatch `--rcvbuf BYTES` (default: its own, 4 MiB)
#   --perf DIR              also build nlwatch with debug info (target/perf) and
#                           record it with `perf record --call-graph dwarf` during
#                           the burst; writes DIR/perf.data (CPU figures of such a
#                           run include perf's overhead: profile only)
#   --callgrind DIR         run nlwatch under valgrind's callgrind (debug-info
#                           build, as --perf) and write DIR/callgrind.out: user-space
#                           instructions by function. nlwatch then runs ~50x slower,
#                           so it gets a 256 MiB receive buffer unless
#                           --nlwatch-rcvbuf says otherwise; its CPU figures mean
#                           nothing in such a run
#   --massif DIR            run nlwatch under valgrind's massif (debug-info build,
#                           as --perf) and write DIR/massif.out: heap snapshots
#                           with their allocation trees (ms_print DIR/massif.out),
#                           and DIR/rss.kib, nlwatch's VmHWM and VmRSS after the
#                           burst (valgrind's own included, not nlwatch's alone:
#                           compare a run without --massif; scripts/massif-peak.py
#                           DIR/massif.out sorts the peak by part). nlwatch runs
#                           slower, so it gets a 256 MiB receive buffer unless
#                           --nlwatch-rcvbuf says otherwise; its CPU figures mean
#                           nothing in such a run
#   --pause                 stop nlwatch (SIGSTOP) while each phase runs and let it
#                           read the whole backlog afterwards, so its CPU figures
#                           are the cost of decoding, keeping state and printing
#                           in large batches, without per-message wake-ups; it
#                           gets a 1 GiB receive buffer unless --nlwatch-rcvbuf
#                           says otherwise
#   --syscalls              count each program's system calls during the burst
#                           (perf stat on syscall tracepoints) and print them per
#                           event received
#   --keep DIR              copy the raw outputs (JSON lines, ip monitor lines,
#                           batch file, reference counts; with --record the
#                           recording burst.pcapng, its stderr and its counts)
#                           to DIR
#   --record                also run `nlwatch record burst.pcapng` beside the
#                           other two, with the JSON nlwatch's objects and
#                           options (--rcvbuf, NLWATCH_BENCH_EXTRA), measured the
#                           same way (CPU, RSS, drops; with --pause stopped too);
#                           the messages in its file are counted afterwards
#                           (scripts/pcapng-count.py) and a third table compares
#                           the three per message the kernel generated
#   --delete each|group     delete the pairs one `link del` each (default; the
#                           kernel takes 17-33 ms per pair, so this phase is a
#                           long trickle), or all at once with `link del group 1`
#                           (one batched unregister: a true burst)
#   --instructions          also record the burst (as --record) and replay the
#                           recording under valgrind's callgrind (`nlwatch replay
#                           FILE --json` with the same objects): nlwatch's
#                           user-space instructions per kernel message, a figure
#                           that does not move with the machine's load
#   --alone                 run nlwatch only, without `ip monitor` and the floor
#                           (their columns then read 0): what nlwatch costs with
#                           the machine to itself, against the side-by-side runs
#   --no-build              use target/release/nlwatch as it is (the floor is
#                           built all the same, unless NLWATCH_BENCH_DRAIN names
#                           its binary)
#
# NLWATCH_BENCH_EXTRA="..." adds options to nlwatch's command line (e.g.
# "--batch-window 0" to read every message as it comes, or "-d" for the details).
# Binaries are taken from $CARGO_TARGET_DIR when it is set, else from target/.
#
# Everything runs in scripts/sandbox.sh (fresh network, mount and PID namespaces,
# private /run): the host's network is never touched. Inside,
# net.ipv6.conf.default.addr_gen_mode=1 (no link-local addresses) and the peers vB*
# stay down, so vA has no carrier: the only packets, two IPv6 MLD reports per vA,
# are dropped by veth (vA's TX dropped counter) and nothing is received anywhere. A third listener (a raw NETLINK_ROUTE socket in Python, 1 GiB buffer,
# read only after the burst) counts what the kernel sent, by message type: that is
# "generated". See BENCHMARKS.md for the figures and what each count means.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "${NLWATCH_BENCH_BURST_INNER:-}" ]; then
    build=1 perf_dir=""
    args=("$@")
    while [ $# -gt 0 ]; do
        case "$1" in
            --no-build) build=0 ;;
            --perf | --callgrind | --massif) perf_dir=$2; shift ;;
            --ip-rcvbuf | --nlwatch-rcvbuf | --keep | --delete) shift ;;
        esac
        shift
    done
    if [ "$build" = 1 ]; then
        (cd "$root" && cargo build --release --quiet)
    fi
    if [ -z "${NLWATCH_BENCH_DRAIN:-}" ]; then
        NLWATCH_BENCH_DRAIN=$(cd "$root" && cargo bench --quiet --bench drain --no-run \
            --message-format=json | jq -r 'select(.target.name == "drain" and .executable != null) | .executable')
    fi
    export NLWATCH_BENCH_DRAIN
    if [ -n "$perf_dir" ]; then
        mkdir -p "$perf_dir"
        (cd "$root" && CARGO_PROFILE_RELEASE_DEBUG=true \
            cargo build --release --quiet --target-dir "${CARGO_TARGET_DIR:-$root/target}/perf")
    fi
    export NLWATCH_BENCH_BURST_INNER=1
    exec "$root/scripts/sandbox.sh" "$0" "${args[@]}"
fi

# ---- inside the sandbox ----
n=10000 ip_rcvbuf="" nl_rcvbuf="" perf_dir="" keep="" delete=each syscalls=0
callgrind_dir="" massif_dir="" pause=0 record=0 instructions=0 alone=0
while [ $# -gt 0 ]; do
    case "$1" in
        --pause) pause=1 ;;
        --record) record=1 ;;
        --instructions) record=1 instructions=1 ;;
        --alone) alone=1 ;;
        --callgrind) callgrind_dir=$(realpath "$2"); shift ;;
        --massif) massif_dir=$(realpath "$2"); shift ;;
        --ip-rcvbuf) ip_rcvbuf=$2; shift ;;
        --nlwatch-rcvbuf) nl_rcvbuf=$2; shift ;;
        --perf) perf_dir=$(realpath "$2"); shift ;;
        --keep) keep=$(realpath -m "$2"); shift ;;
        --delete) delete=$2; shift ;;
        --syscalls) syscalls=1 ;;
        --no-build) ;;
        -*) echo "bench-burst: unknown option $1" >&2; exit 2 ;;
        *) n=$1 ;;
    esac
    shift
done
if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 1000000 ]; then
    echo "bench-burst: N must be 1..1000000" >&2
    exit 2
fi
case "$delete" in
    each | group) ;;
    *) echo "bench-burst: --delete each|group" >&2; exit 2 ;;
esac

nlwatch=${CARGO_TARGET_DIR:-$root/target}/release/nlwatch
drain=$NLWATCH_BENCH_DRAIN
[ -z "$perf_dir" ] || nlwatch=${CARGO_TARGET_DIR:-$root/target}/perf/release/nlwatch
wrap=()
if [ -n "$callgrind_dir" ]; then
    nlwatch=${CARGO_TARGET_DIR:-$root/target}/perf/release/nlwatch
    wrap=(valgrind --tool=callgrind --callgrind-out-file="$callgrind_dir/callgrind.out")
    [ -n "$nl_rcvbuf" ] || nl_rcvbuf=268435456
fi
if [ -n "$massif_dir" ]; then
    # Heap blocks only (--pages-as-heap=no): what nlwatch allocates, plus its
    # extra-heap (--heap-admin=8: glibc's size word a chunk; massif adds the
    # rounding of each block to 16 bytes). Thread stacks are left out (--stacks
    # would slow it far more; they are a few pages a thread). --detailed-freq=1
    # keeps a detailed tree in every snapshot, so the peak's is detailed
    # whatever the run's length.
    nlwatch=${CARGO_TARGET_DIR:-$root/target}/perf/release/nlwatch
    wrap=(valgrind --tool=massif --pages-as-heap=no --heap-admin=8
        --detailed-freq=1 --max-snapshots=200 --threshold=0.5
        --massif-out-file="$massif_dir/massif.out")
    [ -n "$nl_rcvbuf" ] || nl_rcvbuf=268435456
fi
work=/run/bench-burst # /run is a private tmpfs here
mkdir -p "$work"
cd "$work"

sysctl -qw net.ipv6.conf.default.addr_gen_mode=1

# The burst, as one `ip -batch` file: per pair a veth pair (vA in group 1), vA up
# (routes need it; vB stays down, so vA has no carrier and its packets, the IPv6
# MLD reports, are dropped by veth), an IPv4 /30 and an IPv6 /126 (nodad) on vA and
# a /32 route through vA; then every pair deleted (deleting vA deletes vB).
for ((i = 0; i < n; i++)); do
    a=$((i * 4))
    printf 'link add vA%d group 1 type veth peer name vB%d\n' "$i" "$i"
    printf 'link set vA%d up\n' "$i"
    printf 'addr add 10.%d.%d.%d/30 dev vA%d\n' $((a >> 16 & 255)) $((a >> 8 & 255)) $(((a & 255) + 1)) "$i"
    printf 'addr add fd00::%x:%x:1/126 dev vA%d nodad\n' $((i >> 16)) $((i & 65535)) "$i"
    printf 'route add 172.%d.%d.%d/32 dev vA%d\n' $((16 + (i >> 16))) $((i >> 8 & 255)) $((i & 255)) "$i"
done >create.batch
if [ "$delete" = group ]; then
    echo 'link del group 1' >delete.batch
else
    for ((i = 0; i < n; i++)); do
        printf 'link del vA%d\n' "$i"
    done >delete.batch
fi
cat create.batch delete.batch >burst.batch

# Reference listener: joins the same groups as nlwatch (link, neigh, IPv4/IPv6
# address and route: 0x555), forces a 1 GiB receive buffer and reads nothing until
# SIGUSR1, so it takes no CPU during the burst. Then it drains the socket and counts
# messages by type; any ENOBUFS means the reference itself lost some.
cat >refcount.py <<'EOF'
import errno, signal, socket, struct, sys
SO_RCVBUFFORCE = 33
NAMES = {16: "link new", 17: "link del", 20: "addr new", 21: "addr del",
         24: "route new", 25: "route del", 28: "neigh new", 29: "neigh del"}
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 30)
s.bind((0, 0x555))
open(sys.argv[1] + ".ready", "w").close()
signal.sigwait({signal.SIGUSR1})
counts = {v: 0 for v in NAMES.values()}
other = overruns = datagrams = 0
buf = bytearray(1 << 20)
while True:
    try:
        n = s.recv_into(buf, 0, socket.MSG_DONTWAIT)
    except BlockingIOError:
        break
    except OSError as e:
        if e.errno == errno.ENOBUFS:
            overruns += 1
            continue
        raise
    datagrams += 1
    off = 0
    while off + 16 <= n:
        length, kind = struct.unpack_from("=IH", buf, off)
        if length < 16:
            break
        name = NAMES.get(kind)
        if name:
            counts[name] += 1
        else:
            other += 1
        off += (length + 3) & ~3
with open(sys.argv[1], "w") as f:
    for k, v in counts.items():
        f.write(f"{k} {v}\n")
    f.write(f"other {other}\noverruns {overruns}\ndatagrams {datagrams}\n")
EOF

# The netlink socket inodes of a process.
sock_inodes() {
    local fd
    for fd in /proc/"$1"/fd/*; do
        readlink "$fd" 2>/dev/null || true
    done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'
}
# The /proc/net/netlink line of the NETLINK_ROUTE socket of PID that has joined
# multicast groups (Eth 0, Groups non-zero), if any.
listening_line() {
    local inodes
    inodes=$(sock_inodes "$1" | tr '\n' ' ')
    awk -v inodes=" $inodes" '$2 == 0 && $4 != "00000000" && index(inodes, " " $10 " ") { print; exit }' /proc/net/netlink
}
wait_listening() { # PID NAME
    local t
    for ((t = 0; t < 100; t++)); do
        [ -n "$(listening_line "$1")" ] && return 0
        sleep 0.05
    done
    echo "bench-burst: $2 (pid $1) is not listening after 5 s" >&2
    exit 1
}
# utime + stime in clock ticks (the kernel scales them to the exact run time).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat; }
sys_ticks() { awk '{ sub(/^.*\) /, ""); print $13 }' /proc/"$1"/stat; }
# Context switches (voluntary + involuntary) of the live threads of PID.
ctxsw() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches:/ { s += $2 } END { print s }'; }
# write(2)-family system calls of the process (all threads, dead ones included).
writes() { awk '$1 == "syscw:" { print $2 }' /proc/"$1"/io; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' /proc/"$1"/status; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }
# The kernel's receive buffer (SO_RCVBUF as getsockopt reports it) of PID's
# listening socket, found in `ss -n` by its port id (which ss prints signed).
rcvbuf_of() {
    local port
    port=$(listening_line "$1" | awk '{ p = $3; if (p >= 2147483648) p -= 4294967296; printf "%d", p }')
    ss -n -m -f netlink | awk -v a="0:$port" '$3 == a && match($0, /rb[0-9]+/) { print substr($0, RSTART + 2, RLENGTH - 2); exit }'
}
# Kernel drop counter (sk_drops: notifications dropped for a full buffer).
drops_of() { listening_line "$1" | awk '{ print $9 }'; }
lines() { wc -l <"$1"; }

python3 refcount.py ref.counts &
ref_pid=$!
for ((t = 0; t < 100; t++)); do
    [ -e ref.counts.ready ] && break
    sleep 0.05
done
[ -e ref.counts.ready ] || { echo "bench-burst: reference listener did not start" >&2; exit 1; }

[ "$pause" = 0 ] || [ -n "$nl_rcvbuf" ] || nl_rcvbuf=1073741824
objects=(link addr route neigh)
nl_args=(--json ${NLWATCH_BENCH_EXTRA:-})
[ -z "$nl_rcvbuf" ] || nl_args+=(--rcvbuf "$nl_rcvbuf")
"${wrap[@]}" "$nlwatch" "${nl_args[@]}" "${objects[@]}" >nlwatch.jsonl 2>nlwatch.err &
nl_pid=$!
# The floor: the same groups (0x555), nlwatch's receive buffer (4 MiB unless
# --nlwatch-rcvbuf says otherwise).
# With --alone, a process that does nothing stands in for the floor and for
# ip monitor, so that every figure below is still taken (as 0).
if [ "$alone" = 1 ]; then
    printf 'messages 0\noverruns 0\n' >drain.counts
    sleep 1000000 &
else
    "$drain" 0x555 "${nl_rcvbuf:-4194304}" drain.counts 2>drain.err &
fi
dr_pid=$!
ip_args=()
[ -z "$ip_rcvbuf" ] || ip_args+=(-rc "$ip_rcvbuf")
# -o: one line per message; label: [LINK]/[ADDR]/[ROUTE]/[NEIGH] prefix, to count
# by object; -ts: a timestamp per line, as nlwatch's JSON has one.
if [ "$alone" = 1 ]; then
    : >ipmon.txt
    : >ipmon.err
    sleep 1000000 &
else
    ip "${ip_args[@]}" -ts -o monitor label link address route neigh >ipmon.txt 2>ipmon.err &
fi
ip_pid=$!
# The recorder: nlwatch's options but --json (and without callgrind's wrapper).
rec_args=()
for a in "${nl_args[@]}"; do
    [ "$a" = --json ] || rec_args+=("$a")
done
if [ "$record" = 1 ]; then
    "$nlwatch" record "$work/burst.pcapng" "${rec_args[@]}" "${objects[@]}" >record.out 2>record.err &
    rec_pid=$!
fi
wait_listening "$nl_pid" nlwatch
if [ "$alone" = 0 ]; then
    wait_listening "$ip_pid" "ip monitor"
    wait_listening "$dr_pid" "the floor"
fi
[ "$record" = 0 ] || wait_listening "$rec_pid" "nlwatch record"
sleep 0.5 # nlwatch's start-up link dump
nl_cpu0=$(cpu_ticks "$nl_pid") ip_cpu0=$(cpu_ticks "$ip_pid") dr_cpu0=$(cpu_ticks "$dr_pid")
dr_sys0=$(sys_ticks "$dr_pid")
nl_sys0=$(sys_ticks "$nl_pid") ip_sys0=$(sys_ticks "$ip_pid")
nl_cs0=$(ctxsw "$nl_pid") ip_cs0=$(ctxsw "$ip_pid")
nl_w0=$(writes "$nl_pid") ip_w0=$(writes "$ip_pid")
nl_lines0=$(lines nlwatch.jsonl) ip_lines0=$(lines ipmon.txt)
nl_rss0=$(rss_kib "$nl_pid") ip_rss0=$(rss_kib "$ip_pid")
if [ "$record" = 1 ]; then
    rec_cpu0=$(cpu_ticks "$rec_pid") rec_sys0=$(sys_ticks "$rec_pid")
    rec_cs0=$(ctxsw "$rec_pid") rec_w0=$(writes "$rec_pid")
fi

if [ -n "$perf_dir" ]; then
    perf record -q --call-graph dwarf,16384 -F 999 -p "$nl_pid" -o "$perf_dir/perf.data" 2>perf.err &
    perf_pid=$!
    sleep 1
fi

sc_events=raw_syscalls:sys_enter,syscalls:sys_enter_recvmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,syscalls:sys_enter_write,context-switches
if [ "$syscalls" = 1 ]; then
    perf stat -x, -e "$sc_events" -p "$nl_pid" -o nl.syscalls 2>/dev/null &
    nl_stat_pid=$!
    perf stat -x, -e "$sc_events" -p "$ip_pid" -o ip.syscalls 2>/dev/null &
    ip_stat_pid=$!
    sleep 1
fi

echo "bench-burst: $n veth pairs, $(wc -l <burst.batch) commands" >&2
# Over when neither output has grown for 2 s.
settle() {
    local prev="" still=0 now
    while [ "$still" -lt 4 ]; do
        sleep 0.5
        now="$(lines nlwatch.jsonl) $(lines ipmon.txt)"
        [ "$record" = 0 ] || now+=" $(stat -c %s burst.pcapng)"
        if [ "$now" = "$prev" ]; then still=$((still + 1)); else still=0; prev=$now; fi
    done
}
# The two phases are run apart, so each one's CPU is known. Creation comes as a
# steady stream (about 10,000 messages a second here); deletion, even by group,
# as a sparser one (the kernel takes 40-60 s to unregister 20,000 links here).
# phase BATCH: runs it (nlwatch stopped meanwhile with --pause), waits until the
# outputs settle, and sets phase_secs to the batch's own duration.
phase() {
    local t0 t1
    t0=$(date +%s.%N)
    [ "$pause" = 0 ] || kill -STOP "$nl_pid" ${rec_pid:-}
    ip -batch "$1"
    t1=$(date +%s.%N)
    [ "$pause" = 0 ] || kill -CONT "$nl_pid" ${rec_pid:-}
    settle
    phase_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}
phase create.batch
create_secs=$phase_secs
nl_cpu_mid=$(cpu_ticks "$nl_pid") ip_cpu_mid=$(cpu_ticks "$ip_pid")
nl_lines_mid=$(lines nlwatch.jsonl) ip_lines_mid=$(lines ipmon.txt)
[ "$record" = 0 ] || rec_cpu_mid=$(cpu_ticks "$rec_pid")
phase delete.batch
delete_secs=$phase_secs

if [ -n "$perf_dir" ]; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
fi

if [ "$syscalls" = 1 ]; then
    kill -INT "$nl_stat_pid" "$ip_stat_pid"
    wait "$nl_stat_pid" "$ip_stat_pid" || true
fi

nl_cpu1=$(cpu_ticks "$nl_pid") ip_cpu1=$(cpu_ticks "$ip_pid") dr_cpu1=$(cpu_ticks "$dr_pid")
nl_sys1=$(sys_ticks "$nl_pid") ip_sys1=$(sys_ticks "$ip_pid") dr_sys1=$(sys_ticks "$dr_pid")
dr_hwm=$(hwm_kib "$dr_pid") dr_drops=$(drops_of "$dr_pid")
nl_cs1=$(ctxsw "$nl_pid") ip_cs1=$(ctxsw "$ip_pid")
nl_w1=$(writes "$nl_pid") ip_w1=$(writes "$ip_pid")
nl_hwm=$(hwm_kib "$nl_pid") ip_hwm=$(hwm_kib "$ip_pid")
nl_rss=$(rss_kib "$nl_pid") ip_rss=$(rss_kib "$ip_pid")
nl_rb=$(rcvbuf_of "$nl_pid") ip_rb=$(rcvbuf_of "$ip_pid")
nl_drops=$(drops_of "$nl_pid") ip_drops=$(drops_of "$ip_pid")
ip_threads=$(awk '/^Threads:/ { print $2 }' /proc/"$ip_pid"/status)
nl_threads=$(awk '/^Threads:/ { print $2 }' /proc/"$nl_pid"/status)
if [ "$record" = 1 ]; then
    rec_cpu1=$(cpu_ticks "$rec_pid") rec_sys1=$(sys_ticks "$rec_pid")
    rec_cs1=$(ctxsw "$rec_pid") rec_w1=$(writes "$rec_pid")
    rec_hwm=$(hwm_kib "$rec_pid") rec_rb=$(rcvbuf_of "$rec_pid") rec_drops=$(drops_of "$rec_pid")
    rec_threads=$(awk '/^Threads:/ { print $2 }' /proc/"$rec_pid"/status)
fi
kill -TERM "$nl_pid" "$ip_pid" "$dr_pid" ${rec_pid:-}
wait "$dr_pid" || [ "$alone" = 1 ]
dr_msgs=$(awk '$1 == "messages" { print $2 }' drain.counts)
dr_overruns=$(awk '$1 == "overruns" { print $2 }' drain.counts)
nl_rc=0
wait "$nl_pid" || nl_rc=$?
wait "$ip_pid" || true
if [ "$record" = 1 ]; then
    rec_rc=0
    wait "$rec_pid" || rec_rc=$?
fi
kill -USR1 "$ref_pid"
wait "$ref_pid"
ref_drops=$(awk '$1 == "overruns" { print $2 }' ref.counts)

# ---- counts ----
ref() { awk -v k="$1 $2" '$1 " " $2 == k { print $3 }' ref.counts; }
nl_count() {
    grep -c "\"object\":\"$1\",\"action\":\"$2\"" nlwatch.jsonl || true
}
ip_count() {
    local label=$1 del=$2
    if [ "$del" = del ]; then
        grep -c "\[$label\]Deleted " ipmon.txt || true
    else
        grep "\[$label\]" ipmon.txt | grep -vc "\[$label\]Deleted " || true
    fi
}
declare -A label=([link]=LINK [addr]=ADDR [route]=ROUTE [neigh]=NEIGH)
gen_total=0 nl_total=0 ip_total=0
rows=""
for obj in link addr route neigh; do
    for act in new del; do
        g=$(ref "$obj" "$act") r=$(nl_count "$obj" "$act") m=$(ip_count "${label[$obj]}" "$act")
        gen_total=$((gen_total + g)) nl_total=$((nl_total + r)) ip_total=$((ip_total + m))
        [ "$g$r$m" = 000 ] || rows+="| $obj $act | $g | $r | $m |"$'\n'
    done
done
nl_lines=$(lines nlwatch.jsonl) ip_lines=$(lines ipmon.txt)
nl_overrun=$(grep -c '"object":"overrun"' nlwatch.jsonl || true)
nl_lagged=$({ grep '"object":"lagged"' nlwatch.jsonl || true; } | jq -s 'map(.missed) | add // 0')
ip_enobufs=$(cat ipmon.err ipmon.txt | grep -c 'No buffer space available' || true)
tck=$(getconf CLK_TCK)

us_per() { # ticks events
    awk -v t="$1" -v e="$2" -v hz="$tck" 'BEGIN { if (e > 0) printf "%.2f", t / hz * 1e6 / e; else print "-" }'
}
secs() { awk -v t="$1" -v hz="$tck" 'BEGIN { printf "%.2f", t / hz }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
nl_dt=$((nl_cpu1 - nl_cpu0)) ip_dt=$((ip_cpu1 - ip_cpu0)) dr_dt=$((dr_cpu1 - dr_cpu0))

cat <<EOF

Burst: $n veth pairs, deleted $delete ($(wc -l <burst.batch) ip -batch commands), creation ran $create_secs s, deletion $delete_secs s
nlwatch: ${nl_args[*]}; ip: ${ip_args[*]:+${ip_args[*]} }-ts -o monitor label link address route neigh

Messages by type (generated = counted by the reference listener: ${ref_drops} overruns there)

| type | generated | nlwatch | ip monitor |
|---|---:|---:|---:|
${rows}| **total** | **$gen_total** | **$nl_total** | **$ip_total** |

| | nlwatch | ip monitor |
|---|---:|---:|
| output lines | $nl_lines | $ip_lines |
| events received (link/addr/route/neigh) | $nl_total | $ip_total |
| missing against generated | $((gen_total - nl_total)) | $((gen_total - ip_total)) |
| overruns reported | $nl_overrun overrun lines, lagged missed $nl_lagged | $ip_enobufs ENOBUFS lines |
| kernel drops (/proc/net/netlink) | $nl_drops | $ip_drops |
| receive buffer (SO_RCVBUF as applied) | $nl_rb | $ip_rb |
| CPU during the burst (utime+stime) | $(secs "$nl_dt") s | $(secs "$ip_dt") s |
| of which system (stime) | $(secs $((nl_sys1 - nl_sys0))) s | $(secs $((ip_sys1 - ip_sys0))) s |
| CPU per event received | $(us_per "$nl_dt" "$nl_total") µs | $(us_per "$ip_dt" "$ip_total") µs |
| creation: lines, CPU per line | $((nl_lines_mid - nl_lines0)), $(us_per $((nl_cpu_mid - nl_cpu0)) $((nl_lines_mid - nl_lines0))) µs | $((ip_lines_mid - ip_lines0)), $(us_per $((ip_cpu_mid - ip_cpu0)) $((ip_lines_mid - ip_lines0))) µs |
| deletion: lines, CPU per line | $((nl_lines - nl_lines_mid)), $(us_per $((nl_cpu1 - nl_cpu_mid)) $((nl_lines - nl_lines_mid))) µs | $((ip_lines - ip_lines_mid)), $(us_per $((ip_cpu1 - ip_cpu_mid)) $((ip_lines - ip_lines_mid))) µs |
| context switches per event (live threads) | $(per $((nl_cs1 - nl_cs0)) "$nl_total") | $(per $((ip_cs1 - ip_cs0)) "$ip_total") |
| write calls per event (/proc/PID/io syscw) | $(per $((nl_w1 - nl_w0)) "$nl_total") | $(per $((ip_w1 - ip_w0)) "$ip_total") |
| CPU at start-up (before the burst) | $(secs "$nl_cpu0") s | $(secs "$ip_cpu0") s |
| RSS before the burst (VmRSS) | $(mib "$nl_rss0") MiB | $(mib "$ip_rss0") MiB |
| peak RSS (VmHWM) | $(mib "$nl_hwm") MiB | $(mib "$ip_hwm") MiB |
| RSS after the burst (VmRSS) | $(mib "$nl_rss") MiB | $(mib "$ip_rss") MiB |
| threads | $nl_threads | $ip_threads |
| exit after SIGTERM | $nl_rc | (killed) |

Side by side on this burst: CPU (utime+stime) per kernel message generated ($gen_total)

| | nlwatch | ip monitor | floor (drain only) |
|---|---:|---:|---:|
| messages received | $nl_total events | $ip_total lines | $dr_msgs |
| overruns / kernel drops | $nl_overrun / $nl_drops | $ip_enobufs / $ip_drops | $dr_overruns / $dr_drops |
| CPU during the burst | $(secs "$nl_dt") s | $(secs "$ip_dt") s | $(secs "$dr_dt") s |
| of which system | $(secs $((nl_sys1 - nl_sys0))) s | $(secs $((ip_sys1 - ip_sys0))) s | $(secs $((dr_sys1 - dr_sys0))) s |
| **CPU per kernel message** | **$(us_per "$nl_dt" "$gen_total") µs** | **$(us_per "$ip_dt" "$gen_total") µs** | **$(us_per "$dr_dt" "$gen_total") µs** |
| peak RSS (VmHWM) | $(mib "$nl_hwm") MiB | $(mib "$ip_hwm") MiB | $(mib "$dr_hwm") MiB |

nlwatch / ip monitor: $(per "$nl_dt" "$ip_dt") (goal: at most 0.33); nlwatch / floor: $(per "$nl_dt" "$dr_dt") (goal: at most 2)
EOF
[ "$alone" = 0 ] || echo "(--alone: ip monitor and the floor were not run; their columns read 0)"
if [ "$syscalls" = 1 ]; then
    sc() { awk -F, -v e="$2" -v n="$3" '$3 == e { if (n > 0) printf "%.2f", $1 / n; exit }' "$1"; }
    printf '\nPer event received, during the burst (perf stat)\n\n| | nlwatch | ip monitor |\n|---|---:|---:|\n'
    for e in ${sc_events//,/ }; do
        printf '| %s | %s | %s |\n' "$e" "$(sc nl.syscalls "$e" "$nl_total")" "$(sc ip.syscalls "$e" "$ip_total")"
    done
fi
if [ "$record" = 1 ]; then
    "$root/scripts/pcapng-count.py" burst.pcapng >record.counts
    rc_() { awk -v k="$*" '{ v = $NF; $NF = ""; sub(/ $/, "") } $0 == k { print v }' record.counts; }
    rec_total=0 rec_rows=""
    for obj in link addr route neigh; do
        for act in new del; do
            g=$(ref "$obj" "$act") r=$(rc_ "$obj" "$act")
            rec_total=$((rec_total + r))
            [ "$g$r" = 00 ] || rec_rows+="| $obj $act | $g | $r |"$'\n'
        done
    done
    # "nlwatch: recorded N datagrams, M overruns, from K namespaces (B bytes)"
    rec_line=$(grep '^nlwatch: recorded ' record.err || true)
    rec_said() { # WORD: the number just before WORD in the recorder's line
        awk -v w="$1" '{ for (i = 2; i <= NF; i++) { f = $i; gsub(/[(),]/, "", f); if (f == w) { v = $(i - 1); gsub(/[(),]/, "", v); print v; exit } } }' <<<"$rec_line"
    }
    rec_dt=$((rec_cpu1 - rec_cpu0))
    # The JSON nlwatch's events that the kernel sent (not the deletions it
    # synthesized): what it received of the generated messages.
    nl_kernel=$({ grep -E '"object":"(link|addr|route|neigh)","action":"(new|del)"' nlwatch.jsonl || true; } | grep -vc '"synthesized":true' || true)
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
    cat <<EOF

Record: nlwatch record burst.pcapng ${rec_args[*]}
recorder's stderr: ${rec_line:-(no "recorded" line)}

Notifications in the recording (dump answers apart: $(rc_ dump messages) messages)

| type | generated | recorded |
|---|---:|---:|
${rec_rows}| **total** | **$gen_total** | **$rec_total** |

| | nlwatch --json | nlwatch record | ip monitor |
|---|---:|---:|---:|
| messages the kernel generated (link/addr/route/neigh) | $gen_total | $gen_total | $gen_total |
| received (JSON events not synthesized, recorded notifications, ip lines) | $nl_kernel | $rec_total | $ip_total |
| missing against generated | $((gen_total - nl_kernel)) | $((gen_total - rec_total)) | $((gen_total - ip_total)) |
| overruns reported | $nl_overrun overrun lines | $(rec_said overruns) (stderr), $(rc_ overruns) in the file | $ip_enobufs ENOBUFS lines |
| kernel drops (/proc/net/netlink) | $nl_drops | $rec_drops | $ip_drops |
| receive buffer (SO_RCVBUF as applied) | $nl_rb | $rec_rb | $ip_rb |
| CPU during the burst (utime+stime) | $(secs "$nl_dt") s | $(secs "$rec_dt") s | $(secs "$ip_dt") s |
| of which system (stime) | $(secs $((nl_sys1 - nl_sys0))) s | $(secs $((rec_sys1 - rec_sys0))) s | $(secs $((ip_sys1 - ip_sys0))) s |
| creation / deletion CPU | $(secs $((nl_cpu_mid - nl_cpu0))) / $(secs $((nl_cpu1 - nl_cpu_mid))) s | $(secs $((rec_cpu_mid - rec_cpu0))) / $(secs $((rec_cpu1 - rec_cpu_mid))) s | $(secs $((ip_cpu_mid - ip_cpu0))) / $(secs $((ip_cpu1 - ip_cpu_mid))) s |
| **CPU per kernel message generated** | **$(us_per "$nl_dt" "$gen_total") µs** | **$(us_per "$rec_dt" "$gen_total") µs** | **$(us_per "$ip_dt" "$gen_total") µs** |
| context switches per kernel message (live threads) | $(per $((nl_cs1 - nl_cs0)) "$gen_total") | $(per $((rec_cs1 - rec_cs0)) "$gen_total") | $(per $((ip_cs1 - ip_cs0)) "$gen_total") |
| write calls per kernel message (/proc/PID/io syscw) | $(per $((nl_w1 - nl_w0)) "$gen_total") | $(per $((rec_w1 - rec_w0)) "$gen_total") | $(per $((ip_w1 - ip_w0)) "$gen_total") |
| CPU at start-up (before the burst) | $(secs "$nl_cpu0") s | $(secs "$rec_cpu0") s | $(secs "$ip_cpu0") s |
| peak RSS (VmHWM) | $(mib "$nl_hwm") MiB | $(mib "$rec_hwm") MiB | $(mib "$ip_hwm") MiB |
| output size | $(stat -c %s nlwatch.jsonl) bytes | $(stat -c %s burst.pcapng) bytes ($(rec_said datagrams) datagrams, $(rc_ messages) messages) | $(stat -c %s ipmon.txt) bytes |
| threads | $nl_threads | $rec_threads | $ip_threads |
| exit after SIGTERM | $nl_rc | $rec_rc | (killed) |

Record / JSON, CPU per kernel message: $(ratio "$rec_dt" "$nl_dt") (goal: at most 1.25, with nothing missing)
EOF
fi
if [ "$instructions" = 1 ]; then
    # The recording replayed under callgrind: nlwatch's user-space work for the
    # very messages of this burst (decode, state view, JSON), without the
    # system calls of reading them live.
    rp_args=(--json)
    [[ " ${NLWATCH_BENCH_EXTRA:-} " != *" -d "* ]] || rp_args+=(-d)
    valgrind --tool=callgrind --callgrind-out-file=replay.callgrind \
        "$nlwatch" replay "$work/burst.pcapng" "${rp_args[@]}" "${objects[@]}" >/dev/null 2>replay.err
    ir=$(awk '/^(summary|totals):/ { print $2; exit }' replay.callgrind)
    rec_msgs=$(rc_ messages)
    cat <<EOF

User-space instructions (callgrind, nlwatch replay burst.pcapng ${rp_args[*]} ${objects[*]}):
$ir instructions for $rec_msgs recorded messages: $(per "$ir" "$rec_msgs") per kernel message
EOF
fi
if [ -s nlwatch.err ]; then
    echo "nlwatch stderr:" >&2
    cat nlwatch.err >&2
fi

if [ -n "$keep" ]; then
    mkdir -p "$keep"
    cp burst.batch nlwatch.jsonl nlwatch.err ipmon.txt ipmon.err ref.counts drain.counts "$keep"/
    [ "$record" = 0 ] || cp burst.pcapng record.err record.counts "$keep"/
fi
if [ -n "$massif_dir" ]; then
    echo "$nl_hwm $nl_rss" >"$massif_dir/rss.kib" # VmHWM, VmRSS (valgrind's included)
    echo "massif data: $massif_dir/massif.out (ms_print $massif_dir/massif.out)" >&2
fi
if [ -n "$perf_dir" ]; then
    cp perf.err "$perf_dir"/ 2>/dev/null || true
    echo "perf data: $perf_dir/perf.data (perf report -i $perf_dir/perf.data --no-children)" >&2
fi
