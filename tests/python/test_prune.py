"""hepex.prune is `hepex prune`: the same method and options on the same data give the same pruned model, byte for
byte; pruning from NumPy rows drops tiles and the pruned model runs encrypted as it computes in the clear."""
import numpy as np

import hepex
from conftest import cli_ok, write_idx_data


def test_python_prune_equals_the_cli_prune(tmp_path):
    data = write_idx_data(tmp_path / "data", 96, 16, 4, seed=1)
    cli_ok("train", "--arch", "16-8-16", "--data", data, "--epochs", 2, "-o", tmp_path / "m.hpx")
    cli_ok("prune", "-m", tmp_path / "m.hpx", "--data", data, "--method", "P4E", "--tile", "4x4", "--fraction", 0.5,
           "--saliency", "--cost-aware", "--epochs", 1, "--no-baseline", "-o", tmp_path / "cli.hpx")
    pruned, report = hepex.prune(hepex.load_model(str(tmp_path / "m.hpx")), data, method="P4E", tile="4x4",
                                 fraction=0.5, saliency=True, cost_aware=True, epochs=1)
    assert report["method"] == "P4E/sal"
    assert pruned.to_bytes() == (tmp_path / "cli.hpx").read_bytes()


def test_python_tile_row_pruning_equals_the_cli(tmp_path):
    data = write_idx_data(tmp_path / "data", 96, 16, 4, seed=1)
    cli_ok("train", "--arch", "16-8-16", "--data", data, "--epochs", 2, "-o", tmp_path / "m.hpx")
    cli_ok("prune", "-m", tmp_path / "m.hpx", "--data", data, "--method", "P4E", "--tile", "4x4", "--fraction", 0.3,
           "--row-fraction", 0.25, "--row-layer-cap", 0.5, "--epochs", 1, "--no-baseline", "-o", tmp_path / "cli.hpx")
    pruned, report = hepex.prune(hepex.load_model(str(tmp_path / "m.hpx")), data, method="P4E", tile="4x4",
                                 fraction=0.3, row_fraction=0.25, row_layer_cap=0.5, epochs=1)
    assert report["method"] == "P4E+rows"
    assert pruned.to_bytes() == (tmp_path / "cli.hpx").read_bytes()
    # A quarter of the 6 tile rows (2 + 4), rounded: 2 rows empty, each a whole row of tiles.
    assert report["tiles_kept"] <= report["tiles_total"] - 2

    # One cap per layer, as a list and as --row-layer-cap's comma list: one row (a sixth, rounded), taken from
    # the layer whose cap is not 0.
    steered = []
    for caps in ([1, 0], [0, 1]):
        out = tmp_path / ("caps-%d%d.hpx" % tuple(caps))
        cli_ok("prune", "-m", tmp_path / "m.hpx", "--data", data, "--method", "P4E", "--tile", "4x4", "--fraction", 0.3,
               "--row-fraction", 0.15, "--row-layer-cap", "%d,%d" % tuple(caps), "--epochs", 1, "--no-baseline",
               "-o", out)
        model, _ = hepex.prune(hepex.load_model(str(tmp_path / "m.hpx")), data, method="P4E", tile="4x4",
                               fraction=0.3, row_fraction=0.15, row_layer_cap=caps, epochs=1)
        assert model.to_bytes() == out.read_bytes()
        steered.append(model.to_bytes())
    assert steered[0] != steered[1]


def test_pruning_numpy_rows_drops_tiles_and_runs_encrypted(tmp_path):
    rng = np.random.default_rng(2)
    x_train = rng.uniform(0, 1, (200, 16))
    dense = hepex.load_model(str(_trained_model(tmp_path)))
    pruned, report = hepex.prune(dense, x_train, method="P4E", tile="4x4", fraction=0.7, epochs=1)
    assert report["tiles_kept"] < report["tiles_total"]
    assert 0 < report["weight_density"] < 1

    plan = hepex.make_plan(pruned, tile="4x4", batch=8)
    client = hepex.Client(plan)
    client.generate_keys()
    server = hepex.Server(pruned, plan)
    server.set_eval_keys(client.eval_keys())
    x = rng.uniform(0, 1, (8, 16))
    y, he_report = server.evaluate(client.encrypt(x))
    assert he_report["tiles_kept"] < he_report["tiles_total"]
    assert np.max(np.abs(client.decrypt(y) - pruned.forward(x))) < 1e-4


def _trained_model(tmp_path):
    data = write_idx_data(tmp_path / "data", 64, 8, 4, seed=3)
    cli_ok("train", "--arch", "16-8-16", "--data", data, "--epochs", 1, "-o", tmp_path / "dense.hpx")
    return tmp_path / "dense.hpx"
