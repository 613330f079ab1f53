#!/usr/bin/env python3
"""Table of results/issue9-sweep: per (architecture, tile) the dense model and the cheapest pruned model within
each delta-MSE bound (points_*.csv, chosen by HE cost as the sweep chooses), with the medians of the
server-alone encrypted runs (runs_*.tsv, measure.sh) and the cuts against the dense model.
    python3 results/issue9-sweep/summarize.py > results/issue9-sweep/summary.md"""
import csv
import glob
import os
import statistics as st

here = os.path.dirname(os.path.abspath(__file__))
bounds = [1.5e-5, 5e-5, 1e-4, 3e-4]


def model_name(arch, tile, method, fraction):
    slug = arch.replace("-", "_").replace(":", "_")
    if method == "dense":
        return f"dense_{slug}_e60_d0.96_s1.hpx"
    return f"pruned_{slug}_{tile}_{method.replace('/', '_')}_{fraction}.hpx"


runs, errors = {}, {}
for path in glob.glob(os.path.join(here, "runs_*.tsv")):
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if f[0] == "error":
            errors[(f[1], f[2])] = float(f[3])
            continue
        runs.setdefault((f[0], f[1]), []).append(
            dict(load=float(f[3]), latency=float(f[4]), cpu=float(f[5]), rss=float(f[6]), model=float(f[7]),
                 layers=[float(x) for x in f[9].split("/")]))

print("| arch | tile | bound | model | tiles kept | HE cost kept | delta MSE | latency s (median, min) | CPU s | "
      "peak RSS MiB | model MiB | max abs error | latency / CPU / RSS / model cut |")
print("|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|")
for path in sorted(glob.glob(os.path.join(here, "points_*.csv"))):
    rows = list(csv.DictReader(open(path)))
    for tile in sorted({r["tile"] for r in rows}, reverse=True):
        rs = [r for r in rows if r["tile"] == tile]
        dense = next(r for r in rs if r["method"] == "dense")
        chosen = [("dense", dense)]
        for b in bounds:
            ok = [r for r in rs if r["method"] != "dense" and float(r["delta_mse"]) <= b]
            if ok:
                chosen.append((f"{b:g}", min(ok, key=lambda r: int(r["cost_kept"]))))
        base = None
        for bound, r in chosen:
            name = model_name(r["arch"], tile, r["method"], r["fraction"])
            rr = runs.get((name, tile))
            if not rr:
                continue
            m = dict(latency=st.median(x["latency"] for x in rr), low=min(x["latency"] for x in rr),
                     cpu=st.median(x["cpu"] for x in rr), rss=st.median(x["rss"] for x in rr), model=rr[0]["model"])
            if base is None:
                base = m
            cut = "/".join(f"{100 * (1 - m[k] / base[k]):.0f}%" for k in ("latency", "cpu", "rss", "model"))
            what = "dense" if r["method"] == "dense" else f"{r['method']} {r['fraction']}"
            print(f"| {r['arch'].split(':')[0]} | {tile} | {bound} | {what} | "
                  f"{100 * int(r['tiles_kept']) / int(r['tiles_total']):.1f}% | "
                  f"{100 * int(r['cost_kept']) / int(r['cost_total']):.1f}% | {float(r['delta_mse']):+.2e} | "
                  f"{m['latency']:.2f} ({m['low']:.2f}) | {m['cpu']:.1f} | {m['rss']:.0f} | {m['model']:.1f} | "
                  f"{errors.get((name, tile), float('nan')):.1e} | {cut if r['method'] != 'dense' else '-'} |")
