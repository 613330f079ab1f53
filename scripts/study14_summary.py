#!/usr/bin/env python3
"""Summary of scripts/study14.sh's pruning reports.

usage: study14_summary.py WORK_DIR OUT_DIR
Reads WORK_DIR/<model>-P4Esal-<fraction>-<variant>.{json,log} and train-<model>.log; writes to OUT_DIR:
  summary.csv, summary.md  one row per run; per model and fraction the variant validation chooses
  bounds.md                per model and quality bound, the cheapest run (planned latency kept, else HE cost)
                           whose *validation* delta is within the bound, and its test delta (the number that
                           reports it)
  seeds.md                 models trained with several seeds (<name>-s<seed>): mean and spread per variant, and
                           each variant's difference to one-shot paired by seed
  tiles.md                 the joint tile-shape choices (<model>-tilechoice-<budget>.json): every candidate
  frontier_*.png (.dat/.gp) per task, the test delta of every run against what it keeps (planned latency, else
                           HE cost), one line per network and variant (needs gnuplot; the data files without)
  runs.txt, dense.txt      the result lines of every pruning and training log

A run made with --no-baseline takes its dense baseline from the run of the same model and variant that has
one (study14.sh computes it once per model and variant: it does not depend on the fraction).
"""
import csv
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

VARIANTS = ["oneshot", "kd", "gradual", "gradual+kd", "cap"]


def variant_order(variant):
    """Where a variant goes in the tables: VARIANTS' order, then the others (tile rows: rowsR, ...) by name."""
    return (VARIANTS.index(variant), "") if variant in VARIANTS else (len(VARIANTS), variant)
ABSOLUTE_BOUND = 1.5e-5   # delta MSE, the paper's operating point (autoencoders)
RELATIVE_BOUND = 0.025    # of the dense loss (autoencoders), the journal version's 2.5%
ACCURACY_BOUND = 1.0      # points of accuracy lost (classifiers), the journal version's bound


def split_seed(model):
    """'dae-mnist-s2' -> ('dae-mnist', 2); a name without a seed suffix is seed 1."""
    m = re.fullmatch(r"(.*)-s(\d+)", model)
    return (m.group(1), int(m.group(2))) if m else (model, 1)


def read_reports(work):
    reports = []
    for path in sorted(glob.glob(os.path.join(work, "*-P4Esal-*.json"))):
        model, rest = os.path.basename(path)[:-5].split("-P4Esal-")
        fraction, variant = rest.split("-", 1)
        with open(path) as f:
            reports.append((model, float(fraction), variant, json.load(f)))
    return reports


def shared_baselines(reports):
    """(model, variant) -> {split: (loss_dense, accuracy_dense or None)} from the runs that have a baseline.
    Every run of one model and variant must agree: the baseline does not depend on the fraction. A tile-rows
    variant (<variant>+rowsR; hrowsR, mrowsR: in the hidden or middle layers only) without one of its own takes
    its variant's (rowsR: one-shot's): rows add no fine-tuning phase, which is checked (the same phases and
    epochs)."""
    base, phases = {}, {}
    for model, fraction, variant, r in reports:
        if "loss_dense" not in r["test"]:
            continue
        found = {s: (r[s]["loss_dense"], r[s].get("accuracy_dense")) for s in ("val", "test") if s in r}
        key = (model, variant)
        if key in base and base[key] != found:
            sys.exit("study14_summary: %s %s: the dense baselines of two fractions differ (%s against %s)" % (
                model, variant, base[key], found))
        base[key] = found
        phases[key] = (r.get("finetune_phases"), r["finetune_epochs"])
    for model, fraction, variant, r in reports:
        m = re.fullmatch(r"(?:(.*)\+)?[hm]?rows[0-9.]+", variant)
        key, plain = (model, variant), (model, (m.group(1) or "oneshot") if m else None)
        if key in base or not m or plain not in base:
            continue
        if phases[plain] != (r.get("finetune_phases"), r["finetune_epochs"]):
            sys.exit("study14_summary: %s %s has other fine-tuning phases than %s: no shared baseline" % (
                model, variant, plain[1]))
        base[key] = base[plain]
    return base


def rows(work):
    reports = read_reports(work)
    baselines = shared_baselines(reports)
    out = []
    for model, fraction, variant, r in reports:
        if (model, variant) not in baselines:
            sys.exit("study14_summary: %s %s %s has no dense baseline, nor does any run of that model and variant"
                     % (model, fraction, variant))
        base = baselines[(model, variant)]
        classifier = "accuracy_pruned" in r["test"]
        name, seed = split_seed(model)
        row = {
            "model": model,
            "network": name,
            "seed": seed,
            "method": r["method"],
            "fraction": fraction,
            "variant": variant,
            "tiles_kept_pct": 100.0 * r["tiles_kept"] / r["tiles_total"],
            "cost_kept_pct": 100.0 * r["cost_kept"] / r["cost_total"],
            # The planner's latency estimate, pruned over dense in the dense plan's layout (reports since
            # issue 14 part 4): the closer proxy of the encrypted latency.
            "planned_kept_pct": (100.0 * r["planned_latency"]["pruned_s"] / r["planned_latency"]["dense_s"]
                                 if "planned_latency" in r else None),
            "finetune_epochs": r["finetune_epochs"],
            "baseline_shared": int("loss_dense" not in r["test"]),
            "val_loss_dense": base["val"][0],
            "val_delta_loss": r["val"]["loss_pruned"] - base["val"][0],
            "test_delta_loss": r["test"]["loss_pruned"] - base["test"][0],
            "test_loss_dense": base["test"][0],
        }
        if classifier:
            row["val_delta_acc_points"] = 100.0 * (r["val"]["accuracy_pruned"] - base["val"][1])
            row["test_delta_acc_points"] = 100.0 * (r["test"]["accuracy_pruned"] - base["test"][1])
            row["test_acc_dense_pct"] = 100.0 * base["test"][1]
            row["test_acc_pruned_pct"] = 100.0 * r["test"]["accuracy_pruned"]
        out.append(row)
    out.sort(key=lambda x: (x["network"], x["seed"], x["fraction"],
                            variant_order(x["variant"])))
    return out


def is_classifier(row):
    return "val_delta_acc_points" in row


def chosen_by_validation(rows):
    """Per (model, fraction): the variant with the best validation delta (accuracy for classifiers)."""
    best = {}
    for r in rows:
        key = (r["model"], r["fraction"])
        score = -r["val_delta_acc_points"] if is_classifier(r) else r["val_delta_loss"]
        if key not in best or score < best[key][0]:
            best[key] = (score, r["variant"])
    return {k: v[1] for k, v in best.items()}


def bounds_of(row):
    """(name, within(row, split)) of the quality bounds that apply to the row's task."""
    if is_classifier(row):
        return [("<= %g pt accuracy" % ACCURACY_BOUND,
                 lambda r, s: r["%s_delta_acc_points" % s] >= -ACCURACY_BOUND)]
    dense = {"val": "val_loss_dense", "test": "test_loss_dense"}
    return [("<= %g (absolute)" % ABSOLUTE_BOUND, lambda r, s: r["%s_delta_loss" % s] <= ABSOLUTE_BOUND),
            ("<= %g%% of dense" % (100 * RELATIVE_BOUND),
             lambda r, s: r["%s_delta_loss" % s] <= RELATIVE_BOUND * r[dense[s]])]


def kept_measure(runs):
    """What a set of runs is said to keep (the field and its label): the planned latency kept when every run has
    it, else the HE cost kept (reports before issue 14 part 4). 'Cheapest' and the frontiers' x axis alike."""
    if all(r["planned_kept_pct"] is not None for r in runs):
        return "planned_kept_pct", "planned server latency kept"
    return "cost_kept_pct", "HE cost kept"


def cheapest_within_bounds(rows):
    """Per model and bound: the cheapest run (kept_measure) whose validation delta is within the bound (None if
    no run is), with the number of runs of that model (the candidates)."""
    out = []
    for model in sorted({r["model"] for r in rows}):
        runs = [r for r in rows if r["model"] == model]
        kept = kept_measure(runs)[0]
        for name, within in bounds_of(runs[0]):
            ok = [r for r in runs if within(r, "val")]
            best = min(ok, key=lambda r: (r[kept], r["val_delta_loss"])) if ok else None
            out.append((model, name, len(runs), best, within(best, "test") if best else None))
    return out


def fmt_pct(value):
    return "" if value is None else "%.1f%%" % value


def fmt_delta(r, split):
    if is_classifier(r):
        return "%+.2f pt" % r["%s_delta_acc_points" % split]
    return "%+.2e" % r["%s_delta_loss" % split]


def write_bounds(rows, path):
    with open(path, "w") as f:
        f.write("| model | bound | runs | chosen on val | tiles kept | HE cost kept | HE cost cut | planned latency "
                "kept | val delta | test delta | test within |\n")
        f.write("|---|---|---:|---|---:|---:|---:|---:|---:|---:|:-:|\n")
        for model, bound, n, r, test_ok in cheapest_within_bounds(rows):
            if r is None:
                f.write("| %s | %s | %d | none | | | | | | | |\n" % (model, bound, n))
                continue
            f.write("| %s | %s | %d | %s %g | %.1f%% | %.1f%% | %.1f%% | %s | %s | %s | %s |\n" % (
                model, bound, n, r["variant"], r["fraction"], r["tiles_kept_pct"], r["cost_kept_pct"],
                100.0 - r["cost_kept_pct"], fmt_pct(r["planned_kept_pct"]), fmt_delta(r, "val"), fmt_delta(r, "test"),
                "yes" if test_ok else "no"))


def spread(values, fmt):
    """'mean (min .. max)' of values, formatted with fmt."""
    return "%s (%s .. %s)" % (fmt % statistics.mean(values), fmt % min(values), fmt % max(values))


def write_seeds(rows, path):
    """Networks with several seeds: per fraction and variant the mean and range over seeds, and differences to
    one-shot paired by seed (the same dense model, split and fine-tuning order): of the test delta, and of the
    pruned model's own test quality (a variant whose baseline moves, as distillation's does, can gain in delta
    and lose in quality)."""
    by_net = {}
    for r in rows:
        by_net.setdefault(r["network"], []).append(r)
    with open(path, "w") as f:
        f.write("| network | fraction | variant | seeds | HE cost kept | val delta | test delta "
                "| test delta minus one-shot's | test quality minus one-shot's |\n")
        f.write("|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
        for net, runs in sorted(by_net.items()):
            if len({r["seed"] for r in runs}) < 2:
                continue
            classifier = is_classifier(runs[0])
            key = "test_delta_acc_points" if classifier else "test_delta_loss"
            vkey = "val_delta_acc_points" if classifier else "val_delta_loss"
            fmt = "%+.2f" if classifier else "%+.2e"
            quality = (lambda r: r["test_acc_pruned_pct"]) if classifier else (
                lambda r: r["test_delta_loss"] + r["test_loss_dense"])
            oneshot = {(r["seed"], r["fraction"]): r for r in runs if r["variant"] == "oneshot"}
            cells = {}
            for r in runs:
                cells.setdefault((r["fraction"], variant_order(r["variant"]), r["variant"]), []).append(r)
            for (fraction, _, variant), group in sorted(cells.items()):
                pairs = [(r, oneshot[(r["seed"], fraction)]) for r in group
                         if variant != "oneshot" and (r["seed"], fraction) in oneshot]
                paired_delta = spread([r[key] - o[key] for r, o in pairs], fmt) if pairs else ""
                paired_quality = spread([quality(r) - quality(o) for r, o in pairs], fmt) if pairs else ""
                f.write("| %s | %g | %s | %s | %s | %s | %s | %s | %s |\n" % (
                    net, fraction, variant, ",".join(str(r["seed"]) for r in sorted(group, key=lambda r: r["seed"])),
                    spread([r["cost_kept_pct"] for r in group], "%.1f%%"), spread([r[vkey] for r in group], fmt),
                    spread([r[key] for r in group], fmt), paired_delta, paired_quality))
        f.write("\nmean (min .. max) over seeds. Classifiers: deltas and quality in accuracy points (quality: the "
                "pruned model's test accuracy); autoencoders: MSE (quality: the pruned model's test MSE, lower is "
                "better).\n")


def write_tile_choices(work, path):
    """Per --tile-shapes run: each candidate shape (the fraction that meets the budget, its per-sample HE cost
    from the mask search, the validation loss after fine-tuning), and the chosen one's report."""
    with open(path, "w") as f:
        for json_path in sorted(glob.glob(os.path.join(work, "*-tilechoice-*.json"))):
            with open(json_path) as g:
                r = json.load(g)
            choice = r["tile_choice"]
            measure = choice.get("cost_measure", "per-sample HE cost")  # reports before the choice had one
            f.write("%s: budget %.3g of the dense %s at %s\n\n" % (
                os.path.basename(json_path)[:-5], choice["budget"], measure, choice["candidates"][0]["tile"]))
            f.write("| tile | fits | fraction | %s | val loss | chosen |\n|---|:-:|---:|---:|---:|:-:|\n" % measure)
            for i, c in enumerate(choice["candidates"]):
                f.write("| %s | %s | %.4f | %.1f%% | %s | %s |\n" % (
                    c["tile"], "yes" if c["fits"] else "no", c["fraction"], 100.0 * c.get("cost", c.get("per_sample_cost")),
                    "%.6f" % c["val_loss"] if c["fits"] else "", "x" if i == choice["chosen"] else ""))
            f.write("\nchosen %s: tiles kept %.1f%%, HE cost kept %.1f%% (at its shape), val delta %+.2e, test delta "
                    "%+.2e (test MSE %.6f, dense %.6f)\n\n" % (
                        r["tile"], 100.0 * r["tiles_kept"] / r["tiles_total"], 100.0 * r["cost_kept"] / r["cost_total"],
                        r["val"]["delta_loss"], r["test"]["delta_loss"], r["test"]["loss_pruned"],
                        r["test"]["loss_dense"]))


def write_run_tables(data, out_dir):
    """summary.csv and summary.md: one row per run, with the variant validation chooses per model and fraction."""
    chosen = chosen_by_validation(data)
    fields = ["model", "network", "seed", "method", "fraction", "variant", "tiles_kept_pct", "cost_kept_pct",
              "planned_kept_pct",
              "finetune_epochs", "baseline_shared", "val_delta_loss", "test_delta_loss", "val_loss_dense",
              "test_loss_dense", "val_delta_acc_points", "test_delta_acc_points", "test_acc_pruned_pct",
              "test_acc_dense_pct", "chosen_by_val"]
    with open(os.path.join(out_dir, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in data:
            w.writerow(dict(r, chosen_by_val=int(chosen[(r["model"], r["fraction"])] == r["variant"])))
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write("| model | fraction | variant | tiles kept | HE cost kept | planned latency kept | val delta | test delta "
                "| test pruned (dense) | chosen by val |\n")
        f.write("|---|---:|---|---:|---:|---:|---:|---:|---:|:-:|\n")
        for r in data:
            if is_classifier(r):
                quality = "%.2f%% (%.2f%%)" % (r["test_acc_pruned_pct"], r["test_acc_dense_pct"])
            else:
                quality = "%.6f (%.6f)" % (r["test_delta_loss"] + r["test_loss_dense"], r["test_loss_dense"])
            mark = "x" if chosen[(r["model"], r["fraction"])] == r["variant"] else ""
            f.write("| %s | %g | %s | %.1f%% | %.1f%% | %s | %s | %s | %s | %s |\n" % (
                r["model"], r["fraction"], r["variant"], r["tiles_kept_pct"], r["cost_kept_pct"],
                fmt_pct(r["planned_kept_pct"]), fmt_delta(r, "val"),
                fmt_delta(r, "test"), quality, mark))


def write_frontiers(data, out_dir):
    """frontier_autoencoders / frontier_classifiers: .dat (one gnuplot index per network and variant, sorted by
    what the run keeps), .gp, and the .png when gnuplot is installed. Autoencoders: test delta in % of the
    dense model's loss (so networks compare; the 2.5% bound drawn); classifiers: accuracy points lost."""
    for task, classifier in (("autoencoders", False), ("classifiers", True)):
        runs = [r for r in data if is_classifier(r) == classifier]
        if not runs:
            continue
        series = {}
        for r in runs:
            series.setdefault((r["model"], r["variant"]), []).append(r)
        kept, kept_label = kept_measure(runs)
        x_of = lambda r: r[kept]
        y_of = ((lambda r: -r["test_delta_acc_points"]) if classifier else
                (lambda r: 100.0 * r["test_delta_loss"] / r["test_loss_dense"]))
        name = "frontier_" + task
        with open(os.path.join(out_dir, name + ".dat"), "w") as f:
            for (model, variant), group in sorted(series.items()):
                f.write("# %s %s: kept %%, test delta, fraction\n" % (model, variant))
                for r in sorted(group, key=x_of):
                    f.write("%.2f %.5f %g\n" % (x_of(r), y_of(r), r["fraction"]))
                f.write("\n\n")
        bound = 1.0 if classifier else 100 * RELATIVE_BOUND
        lines = [
            "set terminal pngcairo size 1000,620",
            "set output '%s.png'" % name,
            "set key outside right top noenhanced",
            "set grid",
            "set title 'issue 14: %s, test delta against what the pruned model keeps' noenhanced" % task,
            "set xlabel '%s (%% of dense)'" % kept_label,
            "set ylabel '%s'" % ("accuracy points lost (test)" if classifier else
                                 "test delta loss, % of the dense loss"),
            "set yrange [-1:%g]" % (4 * bound),
            "set arrow from graph 0, first %g to graph 1, first %g nohead dt 2" % (bound, bound),
            "plot " + ", ".join("'%s.dat' index %d using 1:2 with linespoints title '%s %s'" % (
                name, i, model, variant) for i, (model, variant) in enumerate(sorted(series))),
        ]
        with open(os.path.join(out_dir, name + ".gp"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if shutil.which("gnuplot"):
            subprocess.run(["gnuplot", name + ".gp"], cwd=out_dir, check=True)


def main():
    work, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    data = rows(work)
    if not data and not glob.glob(os.path.join(work, "*-tilechoice-*.json")):
        sys.exit("study14_summary: no pruning reports in %s" % work)
    if data:
        write_run_tables(data, out_dir)
        write_bounds(data, os.path.join(out_dir, "bounds.md"))
        write_frontiers(data, out_dir)
    if len({(r["network"], r["seed"]) for r in data}) > len({r["network"] for r in data}):
        write_seeds(data, os.path.join(out_dir, "seeds.md"))
    if glob.glob(os.path.join(work, "*-tilechoice-*.json")):
        write_tile_choices(work, os.path.join(out_dir, "tiles.md"))
    # The result lines of every pruning log, as `hepex prune` printed them.
    with open(os.path.join(out_dir, "runs.txt"), "w") as f:
        for path in sorted(glob.glob(os.path.join(work, "*-P4Esal-*.log")) +
                           glob.glob(os.path.join(work, "*-tilechoice-*.log"))):
            with open(path) as log:
                lines = [l.rstrip() for l in log
                         if l.startswith(("tiles kept", "HE cost", "val ", "test ", "tile shape choice"))]
            f.write("== %s\n%s\n" % (os.path.basename(path)[:-4], "\n".join(lines)))
    with open(os.path.join(out_dir, "dense.txt"), "w") as f:
        for path in sorted(glob.glob(os.path.join(work, "train-*.log"))):
            with open(path) as log:
                lines = [l.strip() for l in log if l.startswith("test ")]
            f.write("%s: %s\n" % (os.path.basename(path)[6:-4], lines[-1] if lines else "(no result line)"))


if __name__ == "__main__":
    main()
