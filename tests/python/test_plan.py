"""make_plan's batch_layout, hoisted_rotations, unknowns and sum_after_rescale: the plan records what was asked
for (as `hepex plan --batch-layout` does, checked against the CLI's plan.json), every choice decrypts to the numpy
forward pass, and an unknown layout or a hoisting count that is not a power of two is refused."""
import json

import numpy as np
import pytest

import hepex
from conftest import PolyNet, cli_ok

TOL = 1e-4


@pytest.mark.parametrize("layout,hoisted,unknowns,after", [("inner", 1, "clear-and-duplicate", False),
                                                            ("outer", 4, "auto", None),
                                                            ("outer", 2, "mask-in-next-weights", True)])
def test_batch_layout_is_the_plans_and_runs_encrypted(tmp_path, layout, hoisted, unknowns, after):
    net = PolyNet([16, 8, 16], seed=4)
    onnx_path = net.save_onnx(tmp_path / "m.onnx")
    model = hepex.load_model(onnx_path)
    plan = hepex.make_plan(model, tile="4x4", batch=8, ring_degree=1024, allow_insecure=True, batch_layout=layout,
                           hoisted_rotations=hoisted, unknowns=unknowns, sum_after_rescale=after)
    assert plan.batch_layout == layout
    assert plan.hoisted_rotations == hoisted
    if after is not None:
        assert plan.sum_after_rescale == after
    layers = json.loads(plan.to_bytes())["layers"]
    if unknowns != "auto":  # the hidden layer sums over an inner slot dimension in both layouts (rows)
        assert layers[0]["unknowns_to_next"] == (unknowns == "mask-in-next-weights")
        assert layers[1]["input_copies"] == (unknowns == "mask-in-next-weights")

    # The CLI's plan for the same option says the same.
    cli_ok("plan", "-m", onnx_path, "--tile", "4x4", "--batch", 8, "--batch-layout", layout, "-o", tmp_path / "p.json")
    assert json.loads((tmp_path / "p.json").read_text())["batch_layout"] == layout
    assert json.loads(plan.to_bytes())["batch_layout"] == layout

    x = np.random.default_rng(5).uniform(0, 1, (5, 16))
    client = hepex.Client(plan, allow_insecure=True)
    client.generate_keys()
    server = hepex.Server(model, hepex.Plan.from_bytes(client.plan_bytes()), allow_insecure=True)
    server.set_eval_keys(client.eval_keys())
    y_bytes, _ = server.evaluate(client.encrypt(x))
    assert np.max(np.abs(client.decrypt(y_bytes, rows=5) - net.forward(x))) < TOL


def test_auto_is_the_planners_choice_and_others_are_refused(tmp_path):
    model = hepex.load_model(PolyNet([16, 8, 16], seed=1).save_onnx(tmp_path / "m.onnx"))
    assert hepex.make_plan(model, tile="4x4", batch=8).batch_layout in ("inner", "outer")
    with pytest.raises(hepex.InvalidArgument, match="batch layout 'sideways'"):
        hepex.make_plan(model, tile="4x4", batch=8, batch_layout="sideways")
    with pytest.raises(hepex.InvalidArgument, match="hoisted rotations 3"):
        hepex.make_plan(model, tile="4x4", batch=8, hoisted_rotations=3)
    with pytest.raises(hepex.InvalidArgument, match="unknowns repair 'zero'"):
        hepex.make_plan(model, tile="4x4", batch=8, unknowns="zero")


def test_precision_check_is_the_clis(tmp_path):
    """precision_check=False is `hepex plan --no-precision-check`, and the default the CLI's default."""
    onnx_path = PolyNet([16, 8, 8, 16], seed=2).save_onnx(tmp_path / "m.onnx")
    model = hepex.load_model(onnx_path)
    for flag, checked in (([], True), (["--no-precision-check"], False)):
        cli_ok("plan", "-m", onnx_path, "--tile", "4x4", "--batch", 8, *flag, "-o", tmp_path / "p.json")
        plan = hepex.make_plan(model, tile="4x4", batch=8, precision_check=checked)
        assert json.loads(plan.to_bytes()) == json.loads((tmp_path / "p.json").read_text())
