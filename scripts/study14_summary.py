#!/usr/bin/env python3
"""Summary of scripts/study14.sh's pruning reports: one CSV row and one Markdown row per run, and per model
and fraction the variant that validation chooses (best validation delta; the test delta reports it).

usage: study14_summary.py WORK_DIR OUT_DIR   (reads WORK_DIR/*-P4Esal-*.{json,log} and train-*.log; writes
summary.csv, summary.md, runs.txt and dense.txt)
"""
import csv
import glob
import json
import os
import sys

VARIANTS = ["oneshot", "kd", "gradual", "gradual+kd", "cap"]


def rows(work):
    out = []
    for path in sorted(glob.glob(os.path.join(work, "*-P4Esal-*.json"))):
        model, rest = os.path.basename(path)[:-5].split("-P4Esal-")
        fraction, variant = rest.split("-", 1)
        with open(path) as f:
            r = json.load(f)
        classifier = "accuracy_pruned" in r["test"]
        row = {
            "model": model,
            "method": r["method"],
            "fraction": float(fraction),
            "variant": variant,
            "tiles_kept_pct": 100.0 * r["tiles_kept"] / r["tiles_total"],
            "cost_kept_pct": 100.0 * r["cost_kept"] / r["cost_total"],
            "finetune_epochs": r["finetune_epochs"],
            "val_delta_loss": r["val"]["delta_loss"],
            "test_delta_loss": r["test"]["delta_loss"],
            "test_loss_dense": r["test"]["loss_dense"],
        }
        if classifier:
            row["val_delta_acc_points"] = 100.0 * r["val"]["delta_accuracy"]
            row["test_delta_acc_points"] = 100.0 * r["test"]["delta_accuracy"]
            row["test_acc_dense_pct"] = 100.0 * r["test"]["accuracy_dense"]
            row["test_acc_pruned_pct"] = 100.0 * r["test"]["accuracy_pruned"]
        out.append(row)
    out.sort(key=lambda x: (x["model"], x["fraction"], VARIANTS.index(x["variant"]) if x["variant"] in VARIANTS else 99))
    return out


def chosen_by_validation(rows):
    """Per (model, fraction): the variant with the best validation delta (accuracy for classifiers)."""
    best = {}
    for r in rows:
        key = (r["model"], r["fraction"])
        score = -r["val_delta_acc_points"] if "val_delta_acc_points" in r else r["val_delta_loss"]
        if key not in best or score < best[key][0]:
            best[key] = (score, r["variant"])
    return {k: v[1] for k, v in best.items()}


def main():
    work, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    data = rows(work)
    chosen = chosen_by_validation(data)
    fields = ["model", "method", "fraction", "variant", "tiles_kept_pct", "cost_kept_pct", "finetune_epochs",
              "val_delta_loss", "test_delta_loss", "test_loss_dense", "val_delta_acc_points",
              "test_delta_acc_points", "test_acc_pruned_pct", "test_acc_dense_pct", "chosen_by_val"]
    with open(os.path.join(out_dir, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in data:
            w.writerow(dict(r, chosen_by_val=int(chosen[(r["model"], r["fraction"])] == r["variant"])))
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write("| model | fraction | variant | tiles kept | HE cost kept | val delta | test delta | test pruned (dense) "
                "| chosen by val |\n")
        f.write("|---|---:|---|---:|---:|---:|---:|---:|:-:|\n")
        for r in data:
            if "val_delta_acc_points" in r:
                val, test = "%+.2f pt" % r["val_delta_acc_points"], "%+.2f pt" % r["test_delta_acc_points"]
                quality = "%.2f%% (%.2f%%)" % (r["test_acc_pruned_pct"], r["test_acc_dense_pct"])
            else:
                val, test = "%+.2e" % r["val_delta_loss"], "%+.2e" % r["test_delta_loss"]
                quality = "%.6f (%.6f)" % (r["test_delta_loss"] + r["test_loss_dense"], r["test_loss_dense"])
            mark = "x" if chosen[(r["model"], r["fraction"])] == r["variant"] else ""
            f.write("| %s | %.2f | %s | %.1f%% | %.1f%% | %s | %s | %s | %s |\n" % (
                r["model"], r["fraction"], r["variant"], r["tiles_kept_pct"], r["cost_kept_pct"], val, test, quality,
                mark))
    # The result lines of every pruning log, as `hepex prune` printed them.
    with open(os.path.join(out_dir, "runs.txt"), "w") as f:
        for path in sorted(glob.glob(os.path.join(work, "*-P4Esal-*.log"))):
            with open(path) as log:
                lines = [l.rstrip() for l in log if l.startswith(("tiles kept", "HE cost", "val ", "test "))]
            f.write("== %s\n%s\n" % (os.path.basename(path)[:-4], "\n".join(lines)))
    with open(os.path.join(out_dir, "dense.txt"), "w") as f:
        for path in sorted(glob.glob(os.path.join(work, "train-*.log"))):
            with open(path) as log:
                lines = [l.strip() for l in log if l.startswith("test ")]
            f.write("%s: %s\n" % (os.path.basename(path)[6:-4], lines[-1] if lines else "(no result line)"))


if __name__ == "__main__":
    main()
