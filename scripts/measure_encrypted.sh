#!/bin/bash
# Server-alone encrypted runs of models side by side (docs/RESULTS.md, issue 9 part 11 and issue 14): per
# model its own plan at the given tile, key set and input file (the first 256 test images, in OUT_TSV's
# directory under runs/, git-ignored: gigabytes of keys); then ROUNDS rounds over the models in rotating
# order (alternating runs), each `hepex infer` timed by /usr/bin/time (CPU, peak RSS) with its report
# (latency, layers, model bytes); last, each model's max abs error of the decrypted outputs against `hepex
# predict`. Columns: model, tile, round, 1-minute load before the run, latency s, CPU s, peak RSS MiB, model
# MiB, tiles kept, layer seconds. scripts/measure_summary.py makes the table of medians.
#   scripts/measure_encrypted.sh OUT_TSV TILE ROUNDS MODEL[@UNKNOWNS]...
# MODEL@UNKNOWNS plans the model with `--unknowns UNKNOWNS` (e.g. ae.hpx@mask-in-next-weights,clear-and-duplicate,
# mask-in-next-weights), so one model under two repair patterns alternates like two models.
# Environment: HEPEX (the binary, default build/hepex), IMAGES (an IDX image file, default MNIST's test set).
set -euo pipefail
H=$(realpath "${HEPEX:-build/hepex}")
images=$(realpath "${IMAGES:-data/mnist/t10k-images-idx3-ubyte}")
out=$1 tile=$2 rounds=$3; shift 3
entries=("$@")
work=$(dirname "$out")/runs
mkdir -p "$work"
model_of() { echo "${1%%@*}"; }
unknowns_of() { [[ $1 == *@* ]] && echo "${1#*@}" || true; }
# The entry's name in the table: the model file's, then the repair pattern in letters (C: clear-and-duplicate,
# N: in the next layer's weights); its run directory adds the tile.
label_of() {
  local u
  u=$(unknowns_of "$1" | sed 's/clear-and-duplicate/C/g; s/mask-in-next-weights/N/g; s/,//g')
  echo "$(basename "$(model_of "$1")")${u:+@$u}"
}
dir_of() { local l; l=$(label_of "$1"); echo "$work/${l/.hpx/}_$tile"; }
for e in "${entries[@]}"; do
  m=$(model_of "$e") d=$(dir_of "$e") u=$(unknowns_of "$e")
  [ -f "$d/x.ct" ] && continue
  mkdir -p "$d"
  $H plan -m "$m" --tile "$tile" ${u:+--unknowns "$u"} -o "$d/plan.json" > "$d/plan.log" 2>&1
  $H keygen --plan "$d/plan.json" -o "$d/keys" --force > /dev/null 2>&1
  $H encrypt --keys "$d/keys" -i "$images" -o "$d/x.ct" > /dev/null 2>&1
done
n=${#entries[@]}
for r in $(seq 1 "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    e=${entries[$(( (k + r) % n ))]}
    m=$(model_of "$e") d=$(dir_of "$e")
    rm -f "$d/y.ct"
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%U %S %M" -o "$d/time.txt" $H infer -m "$m" --plan "$d/keys/plan.json" --eval-keys "$d/keys/eval.keys" \
      -i "$d/x.ct" -o "$d/y.ct" --report "$d/r$r.json" > /dev/null 2>&1
    /usr/bin/python3 - "$(label_of "$e")" "$tile" "$r" "$load" "$d" >> "$out" <<'PY'
import json, sys
name, tile, r, load, d = sys.argv[1:]
rep = json.load(open(f"{d}/r{r}.json"))
u, s, rss = open(f"{d}/time.txt").read().split()
layers = "/".join(f"{l['seconds']:.2f}" for l in rep["layers"])
print("\t".join([name, tile, r, load, f"{rep['latency_s']:.3f}", f"{float(u)+float(s):.2f}",
                 f"{int(rss)/1024:.0f}", f"{rep['model_bytes']/2**20:.1f}", str(rep["tiles_kept"]), layers]))
PY
  done
done
# Error of the last run of every entry against the plaintext model.
for e in "${entries[@]}"; do
  m=$(model_of "$e") d=$(dir_of "$e")
  $H decrypt --keys "$d/keys" -i "$d/y.ct" -o "$d/y.npy" > /dev/null 2>&1
  $H predict -m "$m" -i "$images" --count 256 -o "$d/p.npy" > /dev/null 2>&1
  /usr/bin/python3 -c "import numpy as n,sys; a=n.load('$d/y.npy'); b=n.load('$d/p.npy'); print('error\t$(label_of "$e")\t$tile\t%.3e' % abs(a-b).max())" >> "$out"
done
