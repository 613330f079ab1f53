#!/bin/bash
# Encrypted runs of issue 14 part 9 (docs/RESULTS.md): 784-256-10 on MNIST and Fashion-MNIST, dense, tiles
# alone and with tile rows in the hidden layer only (--row-layer-cap 1,0: the output layer's rows are its
# classes), the picks of bounds.md and the runs marked there, server alone, rounds in rotating order
# (scripts/measure_encrypted.sh), on the network's own test images. From the repository root, after
# `scripts/study14.sh part9` (models in study14/part9/):
#   results/issue14/part9/measure.sh
set -euo pipefail
w=study14/part9
out=results/issue14/part9
p() { echo "$w/$1-P4Esal-$2.hpx"; }
scripts/measure_encrypted.sh $out/mlp-mnist.tsv 4x8 5 $w/mlp-mnist.hpx "$(p mlp-mnist 0.97-oneshot)" \
  "$(p mlp-mnist 0.95-hrows0.6)" "$(p mlp-mnist 0.97-hrows0.6)"
IMAGES=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz scripts/measure_encrypted.sh \
  $out/mlp-fashion.tsv 4x8 5 $w/mlp-fashion.hpx "$(p mlp-fashion 0.95-oneshot)" "$(p mlp-fashion 0.95-hrows0.45)" \
  "$(p mlp-fashion 0.95-hrows0.6)" "$(p mlp-fashion 0.97-hrows0.6)"
# The tile shape chosen with the pruning (part 2: 8x4 at half the dense per-sample HE cost on
# 784-128-32-128-784), against 4x8 at the same budget, each with its dense model at its shape, and the choice
# by planned latency (4x8 at 0.8 of it); the two shapes in two sets (the script takes one tile), one after the
# other.
scripts/measure_encrypted.sh $out/tiles-4x8.tsv 4x8 3 $w/ae128.hpx $w/ae128-tile4x8-0.5.hpx \
  $w/ae128-tilechoice-latency-0.8.hpx
scripts/measure_encrypted.sh $out/tiles-8x4.tsv 8x4 3 $w/ae128.hpx $w/ae128-tile8x4-0.5.hpx
