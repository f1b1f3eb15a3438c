#!/usr/bin/env bash
# The long form of the reliability suite: the R1 crash test (kill -9 under load, restart, check every
# acknowledged message) over many seeds and more rounds per seed, with both durability settings.
# The short form runs in CI as part of `cargo test` (one seed, three rounds).
#
#   scripts/reliability-long.sh [SEEDS]      # default 50 seeds per durability setting
#   MYNAH_CRASH_FIRST_SEED=100 MYNAH_CRASH_ROUNDS=8 scripts/reliability-long.sh 20
set -euo pipefail
cd "$(dirname "$0")/.."

seeds=${1:-50}
first=${MYNAH_CRASH_FIRST_SEED:-1}
rounds=${MYNAH_CRASH_ROUNDS:-6}

cargo build --bin mynah
export MYNAH_BIN="$PWD/target/debug/mynah"
cargo test -p mynah-test-support --test it --no-run

failed=()
for durability in full normal; do
  for seed in $(seq "$first" $((first + seeds - 1))); do
    if MYNAH_CRASH_SEED=$seed MYNAH_CRASH_ROUNDS=$rounds MYNAH_CRASH_DURABILITY=$durability \
      cargo test -q -p mynah-test-support --test it reliability::crash::acknowledged >/tmp/mynah-crash-$seed.log 2>&1; then
      echo "seed $seed ($durability, $rounds rounds): ok"
    else
      echo "seed $seed ($durability, $rounds rounds): FAILED (log: /tmp/mynah-crash-$seed.log)"
      failed+=("$seed/$durability")
    fi
  done
done

echo "$(( seeds * 2 - ${#failed[@]} )) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  echo "reproduce with: MYNAH_CRASH_SEED=<seed> MYNAH_CRASH_DURABILITY=<durability> MYNAH_CRASH_ROUNDS=$rounds cargo test -p mynah-test-support --test it reliability::crash"
  echo "failed: ${failed[*]}"
  exit 1
fi
