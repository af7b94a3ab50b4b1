#!/usr/bin/env bash
# Run the fuzz targets of Hearth: each for SECONDS (default 20), starting from the committed
# seeds in corpus/<target>/. What a run finds is kept in target/fuzz-corpus/<target>/, never
# in the committed seeds; a crash is written to fuzz/artifacts/<target>/ and makes the
# script exit 1 after the other targets ran.
#
#   ./fuzz.sh                    every target, 20 s each
#   ./fuzz.sh -t 600 chain ics   two targets, ten minutes each
#
# Build options for `cargo fuzz` (e.g. `--dev`, `-s none`) come from FUZZ_BUILD.
set -euo pipefail
cd "$(dirname "$0")"

secs=20
if [ "${1:-}" = "-t" ]; then
  secs=$2
  shift 2
fi
read -r -a build <<<"${FUZZ_BUILD:-}"
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build "${build[@]}"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "target/fuzz-corpus/$t" "fuzz/artifacts/$t"
  log="target/fuzz-corpus/$t.log"
  if cargo +nightly fuzz run "${build[@]}" "$t" "target/fuzz-corpus/$t" "corpus/$t" -- \
    -max_total_time="$secs" -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    echo "$t: ${runs:-?} runs in ${secs} s, coverage ${cov:-?}, no crash"
  else
    echo "$t: CRASH (log $PWD/$log)" >&2
    grep -E 'panicked|ERROR:|SUMMARY|Test unit written|artifact' "$log" | head -20 >&2 || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets that crashed: ${failed[*]}" >&2
  exit 1
fi
