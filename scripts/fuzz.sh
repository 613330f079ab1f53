#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/targets) with clang into build-fuzz and runs each for N seconds
# (default 10; 0: build only) on a copy of its committed seed corpus (fuzz/corpus/<target>). One line per target;
# exits non-zero if any target crashed, leaked, timed out or hit a sanitizer (inputs kept in
# build-fuzz/artifacts/, logs in build-fuzz/logs/). A longer run: docs/FUZZING.md.
#   scripts/fuzz.sh [seconds] [target...]      e.g. scripts/fuzz.sh 60 npy idx
set -uo pipefail
cd "$(dirname "$0")/.."

secs=${1:-10}
shift || true
if ! [[ "$secs" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds per target] [target...]" >&2
  exit 2
fi
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found (libFuzzer needs clang)" >&2
  exit 2
fi
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
      -DHEPEX_FUZZ=ON -DHEPEX_BUILD_TESTS=OFF -DHEPEX_BUILD_BENCH=OFF >/dev/null || exit 1
cmake --build build-fuzz -j "${JOBS:-$(nproc)}" --target fuzz_all >build-fuzz/build.log 2>&1 ||
  { tail -30 build-fuzz/build.log; echo "fuzz: build failed (build-fuzz/build.log)" >&2; exit 1; }

if [ "$secs" -eq 0 ]; then echo "fuzz: built into build-fuzz/fuzz"; exit 0; fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in fuzz/targets/*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi
mkdir -p build-fuzz/artifacts build-fuzz/logs
export OMP_NUM_THREADS=1  # one thread: reproducible, and no idle spinning threads in every run
failed=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$t/." "$work/" 2>/dev/null
  log="build-fuzz/logs/$t.log"
  # rss/malloc limit 2 GiB: a loader that allocates more for a small input is a finding.
  "build-fuzz/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/artifacts/$t-" "$work" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    printf 'fuzz %-18s ok     %8s runs in %ss, %s, corpus %d files\n' "$t" "${runs:-?}" "$secs" "${cov:-cov: ?}" \
           "$(ls "$work" | wc -l)"
  else
    failed=1
    printf 'fuzz %-18s FAILED (exit %d): %s; see %s\n' "$t" "$rc" \
           "$(grep -m1 -E 'ERROR: |SUMMARY: |runtime error' "$log" | cut -c1-120)" "$log"
  fi
  rm -rf "$work"
done
exit $failed
