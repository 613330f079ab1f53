#!/usr/bin/env bash
# Issue 14, part 1: a first, small measurement of the methods that may move the pruning frontier
# (docs/RESULTS.md, "HE-PEx beyond two autoencoders: first methods"). One seed, CPU-bounded (one thread):
#   MLP classifiers 784-256-10 (poly2) on MNIST and Fashion-MNIST, a denoising autoencoder
#   784-128-32-128-784 (noise sigma 0.3) on MNIST; tile 4x8; P4E + saliency + cost-aware at 0.9 and 0.95
#   (the autoencoder at 0.5, 0.7, 0.8),
#   one-shot against knowledge distillation (--distill), gradual pruning (--steps 3 --schedule cubic) and both;
#   per-layer caps (--layer-cap 0.9) on the autoencoder.
# usage: scripts/study14.sh [work-dir]   (default: study14/, git-ignored; models, logs and JSON reports stay
# there; about 30 minutes of one core). results/issue14/ gets the summary (scripts/study14_summary.py).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-study14}
hepex=${HEPEX:-./build/hepex}
[ -x "$hepex" ] || { echo "study14: $hepex missing; run ./scripts/setup.sh first" >&2; exit 1; }
mkdir -p "$work" results/issue14
run=("$hepex" --threads 1 --quiet)
seed=(--seed 1 --val-split 0.1)
finetune=(--epochs 4 --lr 1e-3 --lr-decay 0.8 --batch 128)

dense() {  # name arch data [train options...]
  local name=$1 arch=$2 data=$3
  shift 3
  [ -f "$work/$name.hpx" ] && return
  echo "== train $name"
  "${run[@]}" train --arch "$arch" --data "$data" --epochs 20 --lr-decay 0.9 "${seed[@]}" "$@" \
    -o "$work/$name.hpx" > "$work/train-$name.log"
}

prune() {  # model fraction variant
  local model=$1 fraction=$2 variant=$3 opts=()
  case $variant in
    oneshot) ;;
    kd) opts=(--distill 0.5 --temperature 4) ;;
    gradual) opts=(--steps 3 --schedule cubic) ;;
    gradual+kd) opts=(--steps 3 --schedule cubic --distill 0.5 --temperature 4) ;;
    cap) opts=(--layer-cap 0.9) ;;
    *) echo "unknown variant $variant" >&2; exit 1 ;;
  esac
  local out="$work/$model-P4Esal-$fraction-$variant"
  [ -f "$out.json" ] && return
  echo "== $model P4E/sal $fraction $variant"
  "${run[@]}" prune -m "$work/$model.hpx" --method P4E --tile 4x8 --fraction "$fraction" --saliency --cost-aware \
    "${finetune[@]}" "${seed[@]}" "${opts[@]}" --report "$out.json" > "$out.log"
}

# The most telling runs first (the machine is shared): both classifiers at 0.9, then 0.95, then the
# denoising autoencoder.
dense mlp-mnist 784-256-10:poly2 mnist
dense mlp-fashion 784-256-10:poly2 fashion
for fraction in 0.9 0.95; do
  for model in mlp-mnist mlp-fashion; do
    for variant in oneshot kd gradual gradual+kd; do prune $model $fraction $variant; done
  done
done
dense dae-mnist 784-128-32-128-784:poly2 mnist --noise 0.3
for fraction in 0.5 0.7 0.8; do
  for variant in oneshot kd gradual; do prune dae-mnist $fraction $variant; done
done
# Per-layer caps where the cost-aware ranking empties the first layer (0.8 keeps 3% of its tiles).
for fraction in 0.7 0.8; do prune dae-mnist $fraction cap; done
python3 scripts/study14_summary.py "$work" results/issue14
