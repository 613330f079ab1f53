#!/usr/bin/env bash
# Builds the fast test suite with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan and runs it.
# Any sanitizer report fails its test (UB aborts: -fno-sanitize-recover=undefined).
#   scripts/sanitize.sh [ctest regex]     e.g. scripts/sanitize.sh Npy
# Compiler: clang++ when installed (checks that the tree builds with clang too), else c++; CXX overrides.
# Takes long: the whole library and every test are rebuilt instrumented (~2-3x slower to run).
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=${CXX:-$(command -v clang++ || command -v c++)}
JOBS=${JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX" "${launcher[@]}" \
      -DHEPEX_SANITIZE=ON -DHEPEX_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$JOBS"

# detect_leaks: the suite must not leak either. halt_on_error: the first report ends the test (and fails it).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
regex=()
if [ $# -gt 0 ]; then regex=(-R "$1"); fi
ctest --test-dir build-asan -LE slow --output-on-failure -j "$JOBS" --timeout 1800 "${regex[@]}"
