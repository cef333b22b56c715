#!/bin/bash
# Runs one libFuzzer target for FUZZ_SECONDS (default 60) from its corpus
# in the source tree, keeping what it finds in a scratch copy, and reports
# one TAP line. A finding is left as crash-* in the build's fuzz-findings/
# directory: add it to the corpus, so that it becomes a regression test.
set -uo pipefail
fuzzer=$1 corpus=$2
seconds=${FUZZ_SECONDS:-60}
name=$(basename "$fuzzer")
findings=$(dirname "$fuzzer")/fuzz-findings/$name
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$findings"

echo "1..1"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$findings/" "$scratch" "$corpus" >"$scratch.log" 2>&1
status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch.log")
if [ $status -eq 0 ]; then
        echo "ok 1 - $name: ${runs:-?} inputs in $seconds s, nothing found"
else
        tail -n 40 "$scratch.log" | sed 's/^/# /'
        echo "not ok 1 - $name: finding after ${runs:-?} inputs (exit $status), see $findings"
fi
rm -f "$scratch.log"
exit $status
