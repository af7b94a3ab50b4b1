#!/usr/bin/env bash
# Run the fuzz targets of Hearth: each for SECONDS (default 20), starting from the committed
# seeds in corpus/<target>/. What a run finds is kept in target/fuzz-corpus/<target>/, never
# in the committed seeds; a crash is written to fuzz/artifacts/<target>/ and makes the
# script exit 1 once every target has run.
#
#   ./fuzz.sh                    every target, 20 s each
#   ./fuzz.sh -t 600 chain ics   two targets, ten minutes each
#   ./fuzz.sh -j 2               two targets at a time (libFuzzer uses one core each)
#
# FUZZ_BUILD holds the build options for `cargo fuzz`; the default `-s none` builds without
# AddressSanitizer, five times faster to run and quicker to build (every Hearth crate
# forbids unsafe code, so the sanitizer would only watch dependencies). FUZZ_BUILD=
# "-s address" brings it back.
set -euo pipefail
cd "$(dirname "$0")"

secs=20
jobs=1
while [ $# -gt 0 ]; do
  case $1 in
    -t) secs=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ -z "${FUZZ_BUILD+set}" ]; then
  FUZZ_BUILD="-s none"
fi
read -r -a build <<<"$FUZZ_BUILD"
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build "${build[@]}"

out=target/fuzz-corpus
run_one() {
  local t=$1 log="$out/$1.log"
  mkdir -p "$out/$t" "fuzz/artifacts/$t"
  if cargo +nightly fuzz run "${build[@]}" "$t" "$out/$t" "corpus/$t" -- \
    -max_total_time="$secs" -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
    local runs cov
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    echo "$t: ${runs:-?} runs in ${secs} s, coverage ${cov:-?}, no crash" >"$out/$t.result"
  else
    {
      echo "$t: CRASH (log $PWD/$log)"
      grep -E 'panicked|ERROR:|SUMMARY|Test unit written|artifact' "$log" | head -20 || true
    } >"$out/$t.result"
  fi
}

mkdir -p "$out"
for t in "${targets[@]}"; do
  rm -f "$out/$t.result"
  run_one "$t" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n || true
  done
done
wait

failed=()
for t in "${targets[@]}"; do
  cat "$out/$t.result" 2>/dev/null || echo "$t: no result"
  grep -q ', no crash$' "$out/$t.result" 2>/dev/null || failed+=("$t")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets that crashed: ${failed[*]}" >&2
  exit 1
fi
