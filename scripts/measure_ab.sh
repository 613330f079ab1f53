#!/bin/bash
# Two builds of hepex side by side on server-alone encrypted runs (docs/RESULTS.md, issue 14 part 10): per
# model and build its own plan, key set and input file (the first 256 test images), made by that build (so
# each runs what it would make: plans and input files may differ), in OUT_TSV's directory under runs/
# (git-ignored); then ROUNDS rounds over the models in rotating order, each model run by both builds one
# after the other (A first in odd rounds, B first in even ones), each `hepex infer` timed by /usr/bin/time
# (CPU, peak RSS) with its report (latency). Last, each build's max abs error of the last round's decrypted
# outputs against `hepex predict`, and the input file's size. Columns: model, build, round, 1-minute load
# before the run, latency s, CPU s, peak RSS MiB, input file MB.
#   HEPEX_A=old/build/hepex scripts/measure_ab.sh OUT_TSV ROUNDS MODEL...
# Environment: HEPEX_A (required), HEPEX (build B, default build/hepex), IMAGES (an IDX image file, default
# MNIST's test set), TILE (default 4x8).
set -euo pipefail
A=$(realpath "${HEPEX_A:?HEPEX_A: the build to compare with}")
B=$(realpath "${HEPEX:-build/hepex}")
images=$(realpath "${IMAGES:-data/mnist/t10k-images-idx3-ubyte}")
tile=${TILE:-4x8}
out=$1 rounds=$2; shift 2
models=("$@")
work=$(dirname "$out")/runs
mkdir -p "$work"
dir_of() { local l; l=$(basename "$1"); echo "$work/${l/.hpx/}_$tile"; }
for m in "${models[@]}"; do
  for label in A B; do
    d=$(dir_of "$m")/$label bin=$A
    [ $label = B ] && bin=$B
    [ -f "$d/x.ct" ] && continue
    mkdir -p "$d"
    $bin plan -m "$m" --tile "$tile" -o "$d/plan.json" > "$d/plan.log" 2>&1
    $bin keygen --plan "$d/plan.json" -o "$d/keys" --force > /dev/null 2>&1
    $bin encrypt --keys "$d/keys" -i "$images" -o "$d/x.ct" > /dev/null 2>&1
  done
done
run() {  # build label, binary, model, round
  local label=$1 bin=$2 m=$3 r=$4 d load
  d=$(dir_of "$m")/$label
  rm -f "$d/y.ct"
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%U %S %M" -o "$d/time.txt" "$bin" infer -m "$m" --plan "$d/keys/plan.json" \
    --eval-keys "$d/keys/eval.keys" -i "$d/x.ct" -o "$d/y.ct" --report "$d/r$r.json" > /dev/null 2>&1
  /usr/bin/python3 - "$(basename "$m")" "$label" "$r" "$load" "$d" >> "$out" <<'PY'
import json, os, sys
name, label, r, load, d = sys.argv[1:]
rep = json.load(open(f"{d}/r{r}.json"))
u, s, rss = open(f"{d}/time.txt").read().split()
print("\t".join([name, label, r, load, f"{rep['latency_s']:.3f}", f"{float(u)+float(s):.2f}", f"{int(rss)/1024:.0f}",
                 f"{os.path.getsize(d + '/x.ct')/1e6:.1f}"]))
PY
}
n=${#models[@]}
for r in $(seq 1 "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    m=${models[$(( (k + r) % n ))]}
    if (( r % 2 )); then run A "$A" "$m" "$r"; run B "$B" "$m" "$r"; else run B "$B" "$m" "$r"; run A "$A" "$m" "$r"; fi
  done
done
for m in "${models[@]}"; do
  for label in A B; do
    d=$(dir_of "$m")/$label bin=$A
    [ $label = B ] && bin=$B
    $bin decrypt --keys "$d/keys" -i "$d/y.ct" -o "$d/y.npy" > /dev/null 2>&1
    $bin predict -m "$m" -i "$images" --count 256 -o "$d/p.npy" > /dev/null 2>&1
    /usr/bin/python3 -c "import numpy as n; a=n.load('$d/y.npy'); b=n.load('$d/p.npy'); print('error\t$(basename "$m")\t$label\t%.3e' % abs(a-b).max())" >> "$out"
  done
done
