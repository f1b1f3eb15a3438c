#!/usr/bin/env bash
# Builds the server and mynah-bench in release mode and runs the benchmark scenarios against the
# built `mynah` binary (loopback only; each scenario is bounded, all of them take about 2-5 minutes).
# Results are printed as tables and written as JSON under target/bench/.
#
#   scripts/bench.sh                              # every scenario once
#   BENCH_RUNS=3 scripts/bench.sh                 # three runs, then the medians of every metric
#   scripts/bench.sh --scenarios p3 --p3-rows 1000000   # extra arguments go to mynah-bench
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p mynah-bench -p mynah-server
mkdir -p target/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
runs=${BENCH_RUNS:-1}
files=()
for run in $(seq 1 "$runs"); do
  out="target/bench/results-$stamp-run$run.json"
  echo "== run $run of $runs -> $out"
  target/release/mynah-bench --out "$out" "$@"
  files+=("$out")
done
if [ "$runs" -gt 1 ]; then
  target/release/mynah-bench summarize "${files[@]}"
fi
