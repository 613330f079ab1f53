#!/bin/bash
# Server-alone encrypted runs of pruned models against their dense model (docs/RESULTS.md, issue 9 part 11):
# per model its own plan at the given tile, key set and input file (the first 256 MNIST test images, in
# OUT_TSV's directory under runs/); then ROUNDS rounds over the models in rotating order (alternating runs),
# each `hepex infer` timed by /usr/bin/time (CPU, peak RSS) with its report (latency, layers, model bytes);
# last, each model's max abs error of the decrypted outputs against `hepex predict`. Columns: model, tile,
# round, 1-minute load before the run, latency s, CPU s, peak RSS MiB, model MiB, tiles kept, layer seconds.
#   results/issue9-sweep/measure.sh OUT_TSV TILE ROUNDS MODEL...     (HEPEX: the binary, default build/hepex)
set -euo pipefail
H=$(realpath "${HEPEX:-build/hepex}")
images=$(realpath data/mnist/t10k-images-idx3-ubyte)
out=$1 tile=$2 rounds=$3; shift 3
models=("$@")
work=$(dirname "$out")/runs
mkdir -p "$work"
for m in "${models[@]}"; do
  d=$work/$(basename "$m" .hpx)_$tile
  [ -f "$d/x.ct" ] && continue
  mkdir -p "$d"
  $H plan -m "$m" --tile "$tile" -o "$d/plan.json" > "$d/plan.log" 2>&1
  $H keygen --plan "$d/plan.json" -o "$d/keys" --force > /dev/null 2>&1
  $H encrypt --keys "$d/keys" -i "$images" -o "$d/x.ct" > /dev/null 2>&1
done
n=${#models[@]}
for r in $(seq 1 "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    m=${models[$(( (k + r) % n ))]}
    d=$work/$(basename "$m" .hpx)_$tile
    rm -f "$d/y.ct"
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%U %S %M" -o "$d/time.txt" $H infer -m "$m" --plan "$d/keys/plan.json" --eval-keys "$d/keys/eval.keys" \
      -i "$d/x.ct" -o "$d/y.ct" --report "$d/r$r.json" > /dev/null 2>&1
    /usr/bin/python3 - "$m" "$tile" "$r" "$load" "$d" >> "$out" <<'PY'
import json, sys
m, tile, r, load, d = sys.argv[1:]
rep = json.load(open(f"{d}/r{r}.json"))
u, s, rss = open(f"{d}/time.txt").read().split()
layers = "/".join(f"{l['seconds']:.2f}" for l in rep["layers"])
print("\t".join([m.split("/")[-1], tile, r, load, f"{rep['latency_s']:.3f}", f"{float(u)+float(s):.2f}",
                 f"{int(rss)/1024:.0f}", f"{rep['model_bytes']/2**20:.1f}", str(rep["tiles_kept"]), layers]))
PY
  done
done
# Error of the last run of every model against the plaintext model.
for m in "${models[@]}"; do
  d=$work/$(basename "$m" .hpx)_$tile
  $H decrypt --keys "$d/keys" -i "$d/y.ct" -o "$d/y.npy" > /dev/null 2>&1
  $H predict -m "$m" -i "$images" --count 256 -o "$d/p.npy" > /dev/null 2>&1
  /usr/bin/python3 -c "import numpy as n,sys; a=n.load('$d/y.npy'); b=n.load('$d/p.npy'); print('error\t$(basename $m)\t$tile\t%.3e' % abs(a-b).max())" >> "$out"
done
