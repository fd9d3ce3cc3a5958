#!/bin/bash
# scripts/cli-compare.sh OLD_BIN NEW_BIN [WORKDIR]
#
# Whether a change left the CLI's output as it was: runs
# scripts/cli-scenario.sh (each pass in a sandbox of its own) with OLD_BIN, then with
# NEW_BIN, and diffs the normalised outputs (JSON, then text). Exit 0 when
# both are identical, 1 with the diffs printed otherwise, 2 when a scenario
# run itself failed. Outputs are kept under WORKDIR (default: a new
# directory under /tmp).
set -u
OLD=${1:?usage: cli-compare.sh OLD_BIN NEW_BIN [WORKDIR]}
NEW=${2:?usage: cli-compare.sh OLD_BIN NEW_BIN [WORKDIR]}
WORK=${3:-$(mktemp -d /tmp/nlwatch-compare.XXXXXX)}
HERE=$(dirname "$(readlink -f "$0")")

for b in "$OLD" "$NEW"; do
    [ -x "$b" ] || { echo "cli-compare.sh: $b is not an executable" >&2; exit 2; }
done
mkdir -p "$WORK"
echo "cli-compare.sh: outputs in $WORK" >&2
bash "$HERE/cli-scenario.sh" "$OLD" "$WORK/old" || { echo "cli-compare.sh: scenario failed with $OLD" >&2; exit 2; }
bash "$HERE/cli-scenario.sh" "$NEW" "$WORK/new" || { echo "cli-compare.sh: scenario failed with $NEW" >&2; exit 2; }

# The commands must have done the same (an ip error is part of the scenario).
if ! diff -q "$WORK/old/ip.log" "$WORK/new/ip.log" >/dev/null; then
    echo "cli-compare.sh: warning: the ip commands' own output differed:" >&2
    diff -a "$WORK/old/ip.log" "$WORK/new/ip.log" >&2
fi

rc=0
for f in json.out text.out; do
    echo "== $f: $(wc -l < "$WORK/old/$f") lines old, $(wc -l < "$WORK/new/$f") lines new"
    if ! cmp -s "$WORK/old/$f" "$WORK/new/$f"; then
        rc=1
        if [ $f = json.out ]; then
            # A line added or removed renumbers every later "seq": the
            # diff with seq masked shows what changed; the full one follows
            # only when that one is empty (a change of numbering alone).
            for d in old new; do
                sed -E 's/"seq":[0-9]+/"seq":N/' "$WORK/$d/$f" > "$WORK/$d/json.noseq"
            done
            if diff -q "$WORK/old/json.noseq" "$WORK/new/json.noseq" >/dev/null; then
                diff -a -u --label "old/$f" --label "new/$f" "$WORK/old/$f" "$WORK/new/$f"
            else
                echo "(seq masked; $(diff "$WORK/old/$f" "$WORK/new/$f" | grep -c '^>') lines of new differ in all, seq included)"
                diff -a -u --label "old/$f" --label "new/$f" "$WORK/old/json.noseq" "$WORK/new/json.noseq"
            fi
        else
            diff -a -u --label "old/$f" --label "new/$f" "$WORK/old/$f" "$WORK/new/$f"
        fi
    fi
done
[ $rc = 0 ] && echo "cli-compare.sh: identical"
exit $rc
