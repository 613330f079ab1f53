#!/bin/bash
# Encrypted runs of issue 14 part 8 (docs/RESULTS.md): per network, its dense model and the cheapest pruned
# model within each bound (chosen on validation: bounds.md), server alone, rounds in rotating order
# (scripts/measure_encrypted.sh), on the network's own test images; mlp512-fashion also 0.95 (0.96, chosen on
# validation, is 1.31 points below its dense model on test). From the repository root, after
# `scripts/study14.sh tasks` (models in study14/tasks/):
#   results/issue14/tasks/measure.sh GROUP...    GROUP: mlp-mnist mlp-fashion dae ae-fashion ae1024 mlp-rows
# (ae1024: 784-1024-256-1024-784 at 1.5e-5, mlp-rows: 784-512-128-10 with tile rows, both from
# `scripts/study14.sh close`, models in study14/close/)
set -euo pipefail
w=study14/tasks
out=results/issue14/tasks
fashion=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
p() { echo "$w/$1-P4Esal-$2.hpx"; }
for group in "$@"; do
  case $group in
    mlp-mnist) scripts/measure_encrypted.sh $out/mlp-mnist.tsv 4x8 3 $w/mlp-mnist.hpx "$(p mlp-mnist 0.97-oneshot)" \
                 $w/mlp512-mnist.hpx "$(p mlp512-mnist 0.96-oneshot)" ;;
    mlp-fashion) IMAGES=$fashion scripts/measure_encrypted.sh $out/mlp-fashion.tsv 4x8 3 $w/mlp512-fashion.hpx \
                   "$(p mlp512-fashion 0.95-oneshot)" "$(p mlp512-fashion 0.96-oneshot)" ;;
    dae) scripts/measure_encrypted.sh $out/dae.tsv 4x8 3 $w/dae-mnist.hpx "$(p dae-mnist 0.5-rows0.2)" \
           "$(p dae-mnist 0.5-rows0.3)" ;;
    ae-fashion) IMAGES=$fashion scripts/measure_encrypted.sh $out/ae-fashion.tsv 4x8 3 $w/ae256-fashion.hpx \
                  "$(p ae256-fashion 0.2-oneshot)" "$(p ae256-fashion 0.6-gradual)" $w/ae512-fashion.hpx \
                  "$(p ae512-fashion 0.3-gradual)" "$(p ae512-fashion 0.6-gradual)" ;;
    ae1024) c=study14/close
            scripts/measure_encrypted.sh $out/ae1024.tsv 4x8 3 $c/ae1024.hpx $c/ae1024-P4Esal-0.625-gradual.hpx \
              "$c/ae1024-P4Esal-0.625-gradual+rows0.15.hpx" ;;
    mlp-rows) c=study14/close
              scripts/measure_encrypted.sh $out/mlp-rows.tsv 4x8 3 $c/mlp512-mnist-s1.hpx \
                $c/mlp512-mnist-s1-P4Esal-0.96-oneshot.hpx $c/mlp512-mnist-s1-P4Esal-0.95-rows0.5.hpx \
                $c/mlp512-mnist-s1-P4Esal-0.96-rows0.5.hpx
              IMAGES=$fashion scripts/measure_encrypted.sh $out/mlp-rows-fashion.tsv 4x8 3 $c/mlp512-fashion-s1.hpx \
                $c/mlp512-fashion-s1-P4Esal-0.95-rows0.5.hpx ;;
    *) echo "measure.sh: unknown group $group (mlp-mnist, mlp-fashion, dae, ae-fashion, ae1024, mlp-rows)" >&2
       exit 1 ;;
  esac
done
