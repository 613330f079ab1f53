#!/usr/bin/env python3
"""Medians of scripts/measure_encrypted.sh's runs, as a Markdown table.

usage: measure_summary.py TSV...
Per entry (model[@pattern]): rounds, server latency median (min .. max), CPU median, peak RSS (max), weight and
bias plaintexts held, max abs error; and for a pruned model of scripts/study14.sh (<dense>-P4Esal-<...>.hpx) the
ratios of its medians to its dense model's in the same file.
"""
import statistics
import sys


def read(path):
    runs, errors, order = {}, {}, []
    with open(path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if c[0] == "error":
                errors[c[1]] = float(c[3])
                continue
            if c[0] not in runs:
                order.append(c[0])
            runs.setdefault(c[0], []).append({"latency": float(c[4]), "cpu": float(c[5]), "rss": int(c[6]),
                                              "model_mib": float(c[7]), "load": float(c[3])})
    return order, runs, errors


def main():
    print("| model | rounds | latency s, median (min .. max) | x dense | CPU s | x dense | peak MiB | x dense "
          "| weights MiB | max abs error | load |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for path in sys.argv[1:]:
        order, runs, errors = read(path)
        med = {k: {m: statistics.median(r[m] for r in v) for m in ("latency", "cpu")} for k, v in runs.items()}
        peak = {k: max(r["rss"] for r in v) for k, v in runs.items()}
        for name in sorted(order, key=lambda n: (n.split("-P4Esal-")[0].removesuffix(".hpx"), "-P4Esal-" in n, n)):
            v = runs[name]
            dense = name.split("-P4Esal-")[0] + ".hpx" if "-P4Esal-" in name else None
            ratio = (lambda m: "x%.2f" % (med[name][m] / med[dense][m])) if dense in runs else (lambda m: "")
            loads = [r["load"] for r in v]
            print("| %s | %d | %.2f (%.2f .. %.2f) | %s | %.1f | %s | %d | %s | %.1f | %s | %.1f-%.1f |" % (
                name, len(v), med[name]["latency"], min(r["latency"] for r in v), max(r["latency"] for r in v),
                ratio("latency"), med[name]["cpu"], ratio("cpu"), peak[name],
                "x%.2f" % (peak[name] / peak[dense]) if dense in runs else "", v[0]["model_mib"],
                "%.1e" % errors[name] if name in errors else "", min(loads), max(loads)))


if __name__ == "__main__":
    main()
