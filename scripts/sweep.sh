#!/usr/bin/env bash
# The full pruning sweep behind results/ and docs/RESULTS.md ("HE-aware pruning"): both autoencoders,
# tiles 4x8 and 4x4, every method (and our saliency variants), real encrypted inference of the dense
# model and of the cheapest pruned model within each delta-MSE bound. About 2.5 hours on 2 cores.
#   usage: scripts/sweep.sh [work-dir]   (default: sweep/, git-ignored; models and logs stay there)
# Each (architecture, tile) pair runs the grid of every method at four fractions; at tile 4x8 also a
# refinement (P2, P2/sal, P4E/sal at more fractions) and a longer fine-tuning where the curves cross the
# bounds. Every part is one `hepex experiment`.
# results/ gets every part's CSV, the merged results.csv, results.md and the plots.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-sweep}
hepex=./build/hepex
[ -x "$hepex" ] || { echo "sweep: $hepex missing; run ./scripts/setup.sh first" >&2; exit 1; }
mkdir -p "$work" results/parts

bounds=(--bound 1.5e-5 --bound 5e-5 --bound 1e-4 --bound 3e-4)
common=("${bounds[@]}" --dense-epochs 60 --dense-lr-decay 0.96 --lr 1e-3 --lr-decay 0.8 --batch 128
        --he-batch 256 --seed 1)
grid=(--method P1 --method P2 --method P3 --method P4 --method P4E --method P2/sal --method P4E/sal
      --fraction 0.3 --fraction 0.5 --fraction 0.7 --fraction 0.9 --epochs 8)
refine=(--method P2 --method P2/sal --method P4E/sal --fraction 0.1 --fraction 0.2 --fraction 0.4 --fraction 0.6 --epochs 8)
# Three times the fine-tuning (the dense baseline too), where the saliency curves cross the bounds.
long=(--method P2/sal --method P4E/sal --fraction 0.4 --fraction 0.5 --fraction 0.6 --fraction 0.7 --epochs 24 --tag long)

part() {  # arch tile weight-mode part-name options...
  local arch=$1 tile=$2 weights=$3 what=$4 name
  shift 4
  name=$(echo "${arch}_${tile}" | tr -c 'A-Za-z0-9_\n' '_')
  if [ -f "results/parts/${name}_${what}.csv" ]; then echo "== $arch $tile $what: done before"; return; fi
  echo "== $arch tile $tile, $what (encrypted weights: $weights)"
  "$hepex" experiment --arch "$arch" --tile "$tile" --he-weights "$weights" "${common[@]}" "$@" \
    --out "$work/$name" --force 2> "$work/${name}_${what}.log"
  cp "$work/$name/results.csv" "results/parts/${name}_${what}.csv"
}

for arch in 784-128-32-128-784:poly2 784-256-64-256-784:poly2; do part $arch 4x8 pre-encoded grid "${grid[@]}"; done
part 784-128-32-128-784:poly2 4x4 pre-encoded grid "${grid[@]}"
# 784-256-64-256-784 at 4x4 holds 27,136 weight tiles, about 20 GB pre-encoded: on-the-fly fits any machine.
part 784-256-64-256-784:poly2 4x4 on-the-fly grid "${grid[@]}"
for arch in 784-128-32-128-784:poly2 784-256-64-256-784:poly2; do
  part $arch 4x8 pre-encoded refine "${refine[@]}"
  part $arch 4x8 pre-encoded long "${long[@]}"
done
# P2 below 0.3 at 4x4 too, where it meets the 1.5e-5 bound (its points need no encrypted run).
part 784-128-32-128-784:poly2 4x4 pre-encoded refine --method P2 --fraction 0.1 --fraction 0.2 --epochs 8 --no-he
part 784-256-64-256-784:poly2 4x4 on-the-fly refine --method P2 --fraction 0.1 --fraction 0.2 --epochs 8 --no-he

# One CSV over all parts (a refinement's dense row repeats its grid's, which stays the reference), then
# the table and plots from it.
{
  head -n1 "$(ls results/parts/*.csv | head -n1)"
  for f in results/parts/*_grid.csv; do tail -n +2 "$f"; done
  for f in results/parts/*_refine.csv results/parts/*_long.csv; do
    tail -n +2 "$f" | grep -v '^[^,]*,[^,]*,dense,' || true
  done
} > results/results.csv
"$hepex" experiment --replot --out results "${bounds[@]}"
# Two encrypted runs of this sweep were added by hand (docs/RESULTS.md says which): a rerun measures its own.
