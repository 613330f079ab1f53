#!/bin/bash
# Encrypted runs of issue 14 part 11 (docs/RESULTS.md): the server's memory before (build A: 227d2c9) and
# after (build B: 37c1566, a copy of the binary so that rebuilding does not change it mid-run) the input file
# read from disk part by part, the output written without copies, and the Galois keys decoded per layer,
# dense and pruned models of parts 3-9 side by side (scripts/measure_ab.sh; each build with its own plan,
# keys and input file), on MNIST's test images. From the repository root, with build A at $HEPEX_A, the
# models of `scripts/study14.sh close|part9` and the demo's default model (`hepex demo` trains and caches it):
#   HEPEX_A=<build of 227d2c9>/hepex HEPEX=<copy of build/hepex> results/issue14/part11/measure.sh
set -euo pipefail
out=results/issue14/part11
demo=$(ls "${HEPEX_CACHE_DIR:-$HOME/.cache/hepex}"/demo-784-256-64-256-784_poly2-*.hpx | head -1)
w=study14/part9
scripts/measure_ab.sh $out/ab.tsv 3 "$demo" $w/mlp-mnist.hpx $w/mlp-mnist-P4Esal-0.95-hrows0.6.hpx \
  $w/ae128.hpx $w/ae128-tilechoice-latency-0.8.hpx \
  study14/close/ae1024.hpx study14/close/ae1024-P4Esal-0.625-gradual+rows0.15.hpx
