#!/usr/bin/python3
"""Bring your own model, end to end in Python: train a small MNIST autoencoder with a degree-2 polynomial activation
in PyTorch, export it to ONNX, import it into hepex, prune it HE-aware (P4E + saliency, as `hepex prune`), run it
encrypted through hepex.Client / hepex.Server, and compare with PyTorch and the plaintext model.

    PYTHONPATH=build/python /usr/bin/python3 examples/pytorch_mnist.py [--epochs 3] [--count 64] [--hidden 64]

Needs Debian's python3-torch and python3-numpy (setup.sh installs them) and MNIST in data/mnist (setup.sh fetches it).
"""
import argparse
import gzip
import io
import os
import time

import numpy as np
import torch

import hepex


def read_idx_images(path):
    """MNIST IDX images (plain or .gz) as float32 rows in [0, 1]."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows * cols).astype(np.float32) / 255.0


def mnist(data_dir, split):
    for name in (f"{split}-images-idx3-ubyte", f"{split}-images-idx3-ubyte.gz"):
        if os.path.exists(os.path.join(data_dir, name)):
            return read_idx_images(os.path.join(data_dir, name))
    raise SystemExit(f"no MNIST {split} images in {data_dir} (run ./scripts/setup.sh)")


class Poly2(torch.nn.Module):
    """0.1 x^2 + 0.5 x: a degree-2 polynomial, what CKKS evaluates (ReLU is not a polynomial)."""

    def forward(self, x):
        return 0.1 * x * x + 0.5 * x


def train(x_train, hidden, epochs, seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(784, hidden), Poly2(), torch.nn.Linear(hidden, 784))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    data = torch.from_numpy(x_train)
    for epoch in range(epochs):
        order = torch.randperm(len(data))
        total = 0.0
        for i in range(0, len(data), 128):
            batch = data[order[i:i + 128]]
            loss = torch.nn.functional.mse_loss(net(batch), batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        print(f"  epoch {epoch + 1}/{epochs}: train MSE {total / len(data):.5f}")
    return net.eval()


def onnx_bytes(net):
    buffer = io.BytesIO()
    torch.onnx.export(net, torch.randn(1, 784), buffer, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    return buffer.getvalue()


def mse(a, b):
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/mnist", help="directory of the MNIST IDX files")
    ap.add_argument("--hidden", type=int, default=64, help="hidden width of the 784-H-784 autoencoder")
    ap.add_argument("--epochs", type=int, default=3, help="PyTorch training epochs")
    ap.add_argument("--fraction", type=float, default=0.5, help="fraction of weights pruned (P4E)")
    ap.add_argument("--tile", default="4x8", help="tile shape t1xt2")
    ap.add_argument("--count", type=int, default=64, help="test images run encrypted")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    timings = {}

    def timed(name, f):
        start = time.perf_counter()
        result = f()
        timings[name] = time.perf_counter() - start
        return result

    x_train, x_test = mnist(args.data, "train"), mnist(args.data, "t10k")[: args.count]
    print(f"1. PyTorch: training 784-{args.hidden}-784 with 0.1 x^2 + 0.5 x on {len(x_train)} MNIST images")
    net = timed("train (PyTorch)", lambda: train(x_train, args.hidden, args.epochs, args.seed))
    with torch.no_grad():
        y_torch = net(torch.from_numpy(x_test)).numpy()

    print("2. ONNX export -> hepex import")
    model = hepex.import_onnx(onnx_bytes(net))
    print(f"  imported {model.arch}: max |hepex - PyTorch| = {np.max(np.abs(model.forward(x_test) - y_torch)):.2e}")

    print(f"3. HE-aware pruning: P4E + saliency, tile {args.tile}, fraction {args.fraction}")
    pruned, report = timed("prune", lambda: hepex.prune(model, x_train[:10000], method="P4E", tile=args.tile,
                                                        fraction=args.fraction, saliency=True, epochs=1, seed=args.seed))
    print(f"  tiles kept {report['tiles_kept']} / {report['tiles_total']}, weight density {report['weight_density']:.3f}")
    y_plain = pruned.forward(x_test)

    print(f"4. encrypted inference of {args.count} test images (Client: keys, encrypt, decrypt; Server: evaluate)")
    plan = hepex.make_plan(pruned, tile=args.tile, batch=args.count)
    client = hepex.Client(plan)
    print(f"  security: {client.security}")
    timed("keygen", client.generate_keys)
    server = hepex.Server(pruned, hepex.Plan.from_bytes(client.plan_bytes()))
    timed("server: load eval keys", lambda: server.set_eval_keys(client.eval_keys()))
    x_ct = timed("encrypt", lambda: client.encrypt(x_test))
    y_ct, he_report = timed("server: evaluate", lambda: server.evaluate(x_ct))
    y_he = timed("decrypt", lambda: client.decrypt(y_ct, rows=args.count))

    print("results")
    print(f"  ciphertexts: input {len(x_ct) / 1e6:.1f} MB, output {len(y_ct) / 1e6:.1f} MB, "
          f"eval keys {len(client.eval_keys()) / 1e6:.1f} MB, ring N = {plan.ring_degree}")
    print(f"  max |encrypted - plaintext pruned model| = {np.max(np.abs(y_he - y_plain)):.2e}")
    print(f"  max |encrypted - PyTorch (dense)|        = {np.max(np.abs(y_he - y_torch)):.2e}")
    print(f"  reconstruction MSE: PyTorch dense {mse(y_torch, x_test):.5f}, pruned plaintext {mse(y_plain, x_test):.5f}, "
          f"pruned encrypted {mse(y_he, x_test):.5f}")
    for name, seconds in timings.items():
        print(f"  time {name:24s} {seconds:8.2f} s")
    print(f"  server latency (report) {he_report['latency_s']:.2f} s, weights encoded in {he_report['preencode_s']:.2f} s")


if __name__ == "__main__":
    main()
