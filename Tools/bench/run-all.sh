#!/usr/bin/env bash
# Runs every benchmark script under Tools/bench (bench-*.sh), each of which appends its section to
# docs/benchmarks.md's fresh copy. Benchmarks are added by the issues that introduce what they measure.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out="$top/Tools/bench/out"
mkdir -p "$out"
shopt -s nullglob
scripts=(Tools/bench/bench-*.sh)
if [ ${#scripts[@]} -eq 0 ]; then
    echo "bench: no benchmarks yet"
    exit 0
fi
for s in "${scripts[@]}"; do
    echo "== $s"
    bash "$s"
done
