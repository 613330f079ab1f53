"""Shared helpers of the Python module's tests (run by CTest: /usr/bin/python3 -m pytest, PYTHONPATH=build/python,
HEPEX_CLI=the built binary). The references are independent of hepex: numpy forward passes, PyTorch, and the CLI."""
import gzip
import os
import struct
import subprocess

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import hepex


def hepex_cli(*args):
    """Runs the hepex binary; returns the CompletedProcess (text)."""
    return subprocess.run([os.environ["HEPEX_CLI"], "--quiet", *map(str, args)], capture_output=True, text=True)


def cli_ok(*args):
    r = hepex_cli(*args)
    assert r.returncode == 0, f"hepex {' '.join(map(str, args))}:\n{r.stdout}{r.stderr}"
    return r


class PolyNet:
    """widths[0] - ... - widths[-1] dense network, activation 0.5 x^2 + 0.25 x + 0.1 between layers, random
    weights: written as ONNX with onnx.helper, evaluated by numpy as the reference."""

    def __init__(self, widths, seed=0):
        rng = np.random.default_rng(seed)
        self.layers = [(rng.uniform(-0.4, 0.4, (o, i)).astype(np.float32), rng.uniform(-0.2, 0.2, o).astype(np.float32))
                       for i, o in zip(widths[:-1], widths[1:])]

    def forward(self, x):
        h = np.asarray(x, dtype=np.float64)
        for k, (w, b) in enumerate(self.layers):
            h = h @ w.T.astype(np.float64) + b
            if k + 1 < len(self.layers):
                h = 0.5 * h * h + 0.25 * h + 0.1
        return h

    def save_onnx(self, path):
        nodes, inits, value = [], [], "x"
        for k, (w, b) in enumerate(self.layers):
            inits += [numpy_helper.from_array(w, f"W{k}"), numpy_helper.from_array(b, f"b{k}")]
            nodes.append(helper.make_node("Gemm", [value, f"W{k}", f"b{k}"], [f"z{k}"], transB=1))
            value = f"z{k}"
            if k + 1 < len(self.layers):
                for name, v in (("pa", 0.5), ("pb", 0.25), ("pc", 0.1)):
                    inits.append(numpy_helper.from_array(np.array(v, np.float32), f"{name}{k}"))
                nodes += [helper.make_node("Mul", [value, value], [f"sq{k}"]),
                          helper.make_node("Mul", [f"sq{k}", f"pa{k}"], [f"asq{k}"]),
                          helper.make_node("Mul", [value, f"pb{k}"], [f"bx{k}"]),
                          helper.make_node("Add", [f"asq{k}", f"bx{k}"], [f"s{k}"]),
                          helper.make_node("Add", [f"s{k}", f"pc{k}"], [f"h{k}"])]
                value = f"h{k}"
        n_in, n_out = self.layers[0][0].shape[1], self.layers[-1][0].shape[0]
        graph = helper.make_graph(
            nodes, "polynet", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", n_in])],
            [helper.make_tensor_value_info(value, TensorProto.FLOAT, ["batch", n_out])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        return str(path)


def write_idx_data(directory, n_train, n_test, side, seed=0):
    """MNIST-style IDX files (gzip) of random images and labels 0/1: data for `hepex train` and prune."""
    rng = np.random.default_rng(seed)
    os.makedirs(directory, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, side, side), dtype=np.uint8)
        with gzip.open(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"), "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, side, side) + images.tobytes())
        with gzip.open(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(struct.pack(">II", 0x801, n) + rng.integers(0, 2, n, dtype=np.uint8).tobytes())
    return str(directory)


@pytest.fixture
def small_insecure(tmp_path):
    """A 16-8-16 model, a plan on the small test ring (allow_insecure: tests only) and a client with keys."""
    net = PolyNet([16, 8, 16], seed=1)
    model = hepex.load_model(net.save_onnx(tmp_path / "m.onnx"))
    plan = hepex.make_plan(model, tile="4x4", batch=8, ring_degree=1024, allow_insecure=True)
    client = hepex.Client(plan, allow_insecure=True)
    client.generate_keys(seed=7)
    return net, model, plan, client
