"""scripts/study14_summary.py on small made-up pruning reports: shared dense baselines, the choice of the
cheapest run within a bound on validation (never on test; by planned latency when every run has it), a rows
run sharing its variant's baseline, the seed table's pairing, and the frontier data."""
import importlib.util
import json
import os

import pytest

_spec = importlib.util.spec_from_file_location(
    "study14_summary", os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "study14_summary.py"))
summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary)


def report(cost_kept, val_pruned, test_pruned, val_dense=None, test_dense=None):
    """A `hepex prune --report` JSON of an autoencoder (no dense fields: --no-baseline)."""
    r = {"method": "P4E/sal", "tiles_kept": int(cost_kept), "tiles_total": 100, "cost_kept": cost_kept,
         "cost_total": 100.0, "finetune_epochs": 8, "val": {"loss_pruned": val_pruned},
         "test": {"loss_pruned": test_pruned}}
    if val_dense is not None:
        r["val"].update(loss_dense=val_dense, delta_loss=val_pruned - val_dense)
        r["test"].update(loss_dense=test_dense, delta_loss=test_pruned - test_dense)
    return r


def write(work, model, fraction, variant, r):
    with open(os.path.join(work, "%s-P4Esal-%s-%s.json" % (model, fraction, variant)), "w") as f:
        json.dump(r, f)


def test_runs_without_baseline_take_the_shared_one(tmp_path):
    write(tmp_path, "ae", "0.3", "oneshot", report(80, 0.0101, 0.0102, val_dense=0.0100, test_dense=0.0100))
    write(tmp_path, "ae", "0.5", "oneshot", report(60, 0.0105, 0.0104))
    rows = {r["fraction"]: r for r in summary.rows(str(tmp_path))}
    assert rows[0.5]["baseline_shared"] == 1 and rows[0.3]["baseline_shared"] == 0
    assert rows[0.5]["val_delta_loss"] == pytest.approx(0.0105 - 0.0100)
    assert rows[0.5]["test_delta_loss"] == pytest.approx(0.0104 - 0.0100)


def test_baselines_that_disagree_or_are_missing_stop_the_summary(tmp_path):
    write(tmp_path, "ae", "0.5", "gradual", report(60, 0.0105, 0.0104))
    with pytest.raises(SystemExit, match="no dense baseline"):
        summary.rows(str(tmp_path))
    write(tmp_path, "ae", "0.3", "gradual", report(80, 0.0101, 0.0102, val_dense=0.0100, test_dense=0.0100))
    write(tmp_path, "ae", "0.7", "gradual", report(40, 0.0101, 0.0102, val_dense=0.0099, test_dense=0.0100))
    with pytest.raises(SystemExit, match="differ"):
        summary.rows(str(tmp_path))


def test_the_bound_is_met_on_validation_and_reported_on_test(tmp_path):
    dense = 0.0100
    # 0.3: within both bounds; 0.5: within the relative bound only; 0.6: within on test but not on validation
    # (must not be chosen); 0.7: within neither.
    write(tmp_path, "ae", "0.3", "oneshot", report(80, dense + 1e-5, dense + 2e-5, val_dense=dense, test_dense=dense))
    write(tmp_path, "ae", "0.5", "oneshot", report(60, dense + 2e-4, dense + 1e-4))
    write(tmp_path, "ae", "0.6", "oneshot", report(50, dense + 3e-4, dense + 1e-5))
    write(tmp_path, "ae", "0.7", "oneshot", report(40, dense + 1e-3, dense + 1e-3))
    chosen = {bound: (r["fraction"], test_ok) for _, bound, _, r, test_ok in
              summary.cheapest_within_bounds(summary.rows(str(tmp_path)))}
    absolute, relative = sorted(chosen, key=lambda b: "%" in b)
    assert chosen[absolute] == (0.3, False)  # validation within 1.5e-5, test not: reported as such
    assert chosen[relative] == (0.5, True)


def test_seed_table_pairs_each_variant_with_one_shot_of_the_same_seed(tmp_path):
    dense = 0.0100
    for seed, (oneshot, gradual) in {1: (1e-4, 0.5e-4), 2: (3e-4, 2e-4)}.items():
        model = "dae-s%d" % seed
        write(tmp_path, model, "0.7", "oneshot",
              report(40, dense + oneshot, dense + oneshot, val_dense=dense, test_dense=dense))
        write(tmp_path, model, "0.7", "gradual",
              report(42, dense + gradual, dense + gradual, val_dense=dense, test_dense=dense))
    summary.write_seeds(summary.rows(str(tmp_path)), str(tmp_path / "seeds.md"))
    gradual_row = [l for l in (tmp_path / "seeds.md").read_text().splitlines() if "| gradual |" in l][0]
    cells = [c.strip() for c in gradual_row.strip("| ").split("|")]
    assert cells[3] == "1,2"
    # Paired differences -0.5e-4 and -1e-4: mean -7.5e-5, range -1e-4 .. -5e-5; the same in test MSE, because
    # the baselines are equal here.
    assert cells[7] == "-7.50e-05 (-1.00e-04 .. -5.00e-05)"
    assert cells[8] == cells[7]


def test_a_rows_run_shares_its_variants_baseline_when_the_phases_agree(tmp_path):
    dense = 0.0100
    with_phases = lambda r, phases: dict(r, finetune_phases=phases)
    write(tmp_path, "ae", "0.5", "gradual",
          with_phases(report(60, dense + 1e-5, dense + 2e-5, val_dense=dense, test_dense=dense), 4))
    write(tmp_path, "ae", "0.5", "gradual+rows0.2", with_phases(report(50, dense + 3e-5, dense + 4e-5), 4))
    write(tmp_path, "ae", "0.5", "oneshot",
          with_phases(report(60, dense + 5e-5, dense + 5e-5, val_dense=dense + 1e-4, test_dense=dense), 2))
    write(tmp_path, "ae", "0.5", "rows0.1", with_phases(report(55, dense + 2e-4, dense + 2e-4), 2))
    write(tmp_path, "ae", "0.5", "mrows0.04", with_phases(report(57, dense + 1.5e-4, dense + 2e-4), 2))
    rows = {r["variant"]: r for r in summary.rows(str(tmp_path))}
    assert rows["gradual+rows0.2"]["val_delta_loss"] == pytest.approx(3e-5)
    assert rows["rows0.1"]["val_delta_loss"] == pytest.approx(1e-4)  # one-shot's baseline, not gradual's
    assert rows["mrows0.04"]["val_delta_loss"] == pytest.approx(5e-5)  # rows in the middle layers: one-shot's too
    # Another number of phases: the baselines would not be alike, so the summary stops.
    write(tmp_path, "ae", "0.5", "rows0.1", with_phases(report(55, dense + 2e-4, dense + 2e-4), 3))
    with pytest.raises(SystemExit, match="other fine-tuning phases"):
        summary.rows(str(tmp_path))


def test_cheapest_is_by_planned_latency_when_every_run_has_it(tmp_path):
    dense = 0.0100
    planned = lambda r, kept: dict(r, planned_latency={"dense_s": 10.0, "pruned_s": 10.0 * kept})
    # 0.5 keeps less HE cost, 0.4 less planned latency; both within 2.5%.
    write(tmp_path, "ae", "0.4", "oneshot",
          planned(report(70, dense + 1e-4, dense + 1e-4, val_dense=dense, test_dense=dense), 0.8))
    write(tmp_path, "ae", "0.5", "oneshot", planned(report(60, dense + 1e-4, dense + 1e-4), 0.9))
    relative = [r for _, bound, _, r, _ in summary.cheapest_within_bounds(summary.rows(str(tmp_path)))
                if "%" in bound][0]
    assert relative["fraction"] == 0.4 and relative["planned_kept_pct"] == pytest.approx(80.0)
    # One run without the estimate: the HE cost decides for all.
    write(tmp_path, "ae", "0.5", "oneshot", report(60, dense + 1e-4, dense + 1e-4))
    relative = [r for _, bound, _, r, _ in summary.cheapest_within_bounds(summary.rows(str(tmp_path)))
                if "%" in bound][0]
    assert relative["fraction"] == 0.5


def test_frontier_data_sorted_by_what_is_kept_in_percent_of_the_dense_loss(tmp_path, monkeypatch):
    monkeypatch.setattr(summary.shutil, "which", lambda name: None)  # the data files only, no gnuplot
    dense = 0.0100
    write(tmp_path, "ae", "0.6", "oneshot", report(50, dense + 3e-4, dense + 2e-4, val_dense=dense, test_dense=dense))
    write(tmp_path, "ae", "0.3", "oneshot", report(80, dense + 1e-5, dense + 1e-4))
    summary.write_frontiers(summary.rows(str(tmp_path)), str(tmp_path))
    points = [l.split() for l in (tmp_path / "frontier_autoencoders.dat").read_text().splitlines()
              if l and not l.startswith("#")]
    assert [(float(x), float(y), float(f)) for x, y, f in points] == [
        pytest.approx((50.0, 2.0, 0.6)), pytest.approx((80.0, 1.0, 0.3))]
    assert "index 0" in (tmp_path / "frontier_autoencoders.gp").read_text()
    assert not (tmp_path / "frontier_classifiers.dat").exists()


def test_seed_table_takes_variants_beyond_the_known_ones(tmp_path):
    dense = 0.0100
    for seed in (1, 2):
        write(tmp_path, "dae-s%d" % seed, "0.5", "oneshot",
              report(60, dense + 1e-5, dense + 1e-5, val_dense=dense, test_dense=dense))
    write(tmp_path, "dae-s1", "0.5", "rows0.2", report(50, dense + 3e-5, dense + 3e-5))
    summary.write_seeds(summary.rows(str(tmp_path)), str(tmp_path / "seeds.md"))
    variants = [l.split("|")[3].strip() for l in (tmp_path / "seeds.md").read_text().splitlines()[2:] if l.startswith("|")]
    assert variants == ["oneshot", "rows0.2"]
