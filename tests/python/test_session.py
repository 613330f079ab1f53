"""The Python Client/Server against the CLI and the plaintext model: keygen, encrypt, evaluate, decrypt give the
numpy forward pass's outputs (~1e-4), the CLI's keygen/encrypt/infer/decrypt the same, and files made by one
side are read by the other."""
import numpy as np

import hepex
from conftest import PolyNet, cli_ok

TOL = 1e-4


def test_python_round_trip_equals_the_cli_and_the_plaintext_model(tmp_path):
    net = PolyNet([16, 8, 16], seed=2)
    onnx_path = net.save_onnx(tmp_path / "m.onnx")
    x = np.random.default_rng(3).uniform(0, 1, (6, 16))
    np.save(tmp_path / "x.npy", x)
    reference = net.forward(x)

    # Python: the default (128-bit secure) plan, bytes all the way.
    model = hepex.load_model(onnx_path)
    plan = hepex.make_plan(model, tile="4x4", batch=8)
    assert plan.secure
    client = hepex.Client(plan)
    client.generate_keys()
    server = hepex.Server(model, hepex.Plan.from_bytes(client.plan_bytes()))
    server.set_eval_keys(client.eval_keys())
    y_bytes, report = server.evaluate(client.encrypt(x))
    y_python = client.decrypt(y_bytes, rows=6)
    assert y_python.shape == (6, 16)
    assert np.max(np.abs(y_python - reference)) < TOL
    assert report["output_ct_bytes"] == len(y_bytes)
    assert len(report["layers"]) == 2

    # The CLI on the same model, plan and inputs.
    plan.save(str(tmp_path / "plan.json"))
    cli_ok("keygen", "--plan", tmp_path / "plan.json", "-o", tmp_path / "keys")
    cli_ok("encrypt", "--keys", tmp_path / "keys", "-i", tmp_path / "x.npy", "--count", 6, "-o", tmp_path / "x.ct")
    cli_ok("infer", "-m", onnx_path, "--plan", tmp_path / "keys/plan.json", "--eval-keys", tmp_path / "keys/eval.keys",
           "-i", tmp_path / "x.ct", "-o", tmp_path / "y.ct")
    cli_ok("decrypt", "--keys", tmp_path / "keys", "-i", tmp_path / "y.ct", "--count", 6, "-o", tmp_path / "y.npy")
    y_cli = np.load(tmp_path / "y.npy")
    assert np.max(np.abs(y_cli - reference)) < TOL
    assert np.max(np.abs(y_python - y_cli)) < 2 * TOL

    # Files of one side are bytes of the other: the Python client decrypts the CLI's output exactly as the CLI
    # did, and a Python server answers the CLI's input file.
    cli_client = hepex.Client.load_keys(str(tmp_path / "keys"))
    assert np.array_equal(cli_client.decrypt_file(str(tmp_path / "y.ct"), rows=6), y_cli)
    file_server = hepex.Server.from_files(onnx_path, str(tmp_path / "keys/plan.json"))
    file_server.load_eval_keys(str(tmp_path / "keys/eval.keys"))
    y2, _ = file_server.evaluate((tmp_path / "x.ct").read_bytes())
    assert np.max(np.abs(cli_client.decrypt(y2, rows=6) - reference)) < TOL


def test_keys_saved_by_python_are_read_by_the_cli(tmp_path, small_insecure):
    net, model, plan, client = small_insecure
    client.save_keys(str(tmp_path / "keys"))
    x = np.random.default_rng(4).uniform(0, 1, (8, 16))
    (tmp_path / "x.ct").write_bytes(client.encrypt(x))
    server = hepex.Server(model, plan, allow_insecure=True)
    server.load_eval_keys(str(tmp_path / "keys/eval.keys"))
    report = server.evaluate_file(str(tmp_path / "x.ct"), str(tmp_path / "y.ct"))
    assert report["batch"] == 8 and report["input_ct_bytes"] == (tmp_path / "x.ct").stat().st_size
    cli_ok("decrypt", "--allow-insecure", "--keys", tmp_path / "keys", "-i", tmp_path / "y.ct", "-o", tmp_path / "y.npy")
    assert np.max(np.abs(np.load(tmp_path / "y.npy") - net.forward(x))) < TOL


def test_keys_travel_as_bytes(small_insecure):
    net, model, plan, client = small_insecure
    public_only = hepex.Client.from_key_bytes(client.plan_bytes(), public_key=client.public_key(), allow_insecure=True)
    assert not public_only.has_secret_key
    restored = hepex.Client.from_key_bytes(client.plan_bytes(), client.secret_key(), client.public_key(),
                                           allow_insecure=True)
    server = hepex.Server(model, plan, allow_insecure=True)
    server.set_eval_keys(client.eval_keys())
    x = np.random.default_rng(5).uniform(0, 1, (3, 16))
    y, _ = server.evaluate(public_only.encrypt(x))
    assert np.max(np.abs(restored.decrypt(y, rows=3) - net.forward(x))) < TOL
