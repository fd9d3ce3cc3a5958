#!/usr/bin/env bash
# Builds the criterion bench NAME (bench profile) and prints its executable's path,
# for scripts that run a bench binary under valgrind or perf.
#
#   scripts/bench-binary.sh NAME [CARGO ARGS...]   (e.g. --features async)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench "$1" "${@:2}" --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
