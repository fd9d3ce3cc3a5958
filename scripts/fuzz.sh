#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ one after the other, SECONDS each, then
# times every input of each corpus (see RELIABILITY.md, "Fuzzing").
#
#   scripts/fuzz.sh SECONDS [TARGET...]      (all targets when none is named)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Each corpus (fuzz/corpus/TARGET, not committed) is seeded with the captured
# fixtures (src/wire/fixtures/*.bin) and grows across runs. libFuzzer runs with
# AddressSanitizer, debug assertions and overflow checks (cargo-fuzz's
# defaults), one process per target; an input that runs longer than
# FUZZ_TIMEOUT seconds (default 2) counts as a hang; FUZZ_RUNS=N stops a
# target after N executions if that comes first. Logs go to fuzz/logs/.
#
# Prints per target: executions, seconds, executions per second, then the
# slowest input of its corpus (median of 21 runs of the target's body, checks
# included, built without sanitizers or coverage).
# Exits non-zero when any target found a crash, a hang, a leak or a failed
# check; the input that did it is in fuzz/artifacts/TARGET/.
set -euo pipefail

secs=${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
timeout=${FUZZ_TIMEOUT:-2}
# FUZZ_RUNS=N also stops a target after N executions (whichever comes first).
runs=${FUZZ_RUNS:+-runs=$FUZZ_RUNS}
all=(wire_messages wire_link wire_addr wire_route wire_neigh object_decode output_json output_text dump_sync replay)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

cd "$fuzz"
mkdir -p logs
cargo +nightly fuzz build

declare -A execs took
failed=()
for t in "${targets[@]}"; do
    corpus="corpus/$t"
    mkdir -p "$corpus"
    cp -n "$root"/src/wire/fixtures/*.bin "$corpus"/
    # Recordings for the replay (the fixtures are datagrams, not files).
    [ "$t" != replay ] || cp -n "$root"/fuzz/seeds/replay/* "$corpus"/
    log="logs/$t.log"
    echo "== $t: ${secs}s" >&2
    rc=0
    cargo +nightly fuzz run "$t" "$corpus" -- \
        -max_total_time="$secs" -timeout="$timeout" -print_final_stats=1 $runs \
        >"$log" 2>&1 || rc=$?
    execs[$t]=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    took[$t]=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    if [ "$rc" -ne 0 ]; then
        failed+=("$t")
        echo "!! $t failed (exit $rc); see fuzz/$log" >&2
        grep -E "^(==[0-9]+==ERROR|SUMMARY|thread .* panicked|Test unit written)" "$log" | head -5 >&2 || true
    fi
done

# Per-input timing, outside libFuzzer and without instrumentation.
cargo +nightly build --quiet --release --bin slowest
echo
printf '%-14s %12s %8s %10s\n' target executions seconds execs/s
for t in "${targets[@]}"; do
    e=${execs[$t]:-?} s=${took[$t]:-?}
    rate='?'
    [[ "$e" =~ ^[0-9]+$ && "$s" =~ ^[0-9]+$ && "$s" -gt 0 ]] && rate=$((e / s))
    printf '%-14s %12s %8s %10s\n' "$t" "$e" "$s" "$rate"
done
echo
for t in "${targets[@]}"; do
    target/release/slowest "$t" "corpus/$t" 21 1
    if [ "$t" = output_json ]; then
        # The same inputs without the checks that parse each line again.
        target/release/slowest output_json_write "corpus/$t" 21 1
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
