#!/usr/bin/env bash
# Runs each fuzz target for a while (default 60 s) with the nightly toolchain and cargo-fuzz.
# Outside CI: `cargo install cargo-fuzz` once; the nightly toolchain must be installed.
#
#   fuzz/run.sh            # every target, 60 s each
#   fuzz/run.sh 600 usersig
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame_decode usersig)

for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "== fuzzing $target for ${seconds}s"
  # -rss_limit_mb: the decoders cap their input and inflated sizes; a blow-up is a finding.
  cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=70000 -print_final_stats=1 2>&1 | tail -n 25
done
