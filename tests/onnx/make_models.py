#!/usr/bin/python3
"""Reference side of hepex's ONNX tests (run with Debian's /usr/bin/python3: python3-torch, python3-onnx).

  make_models.py build OUTDIR
      Builds small PyTorch models, exports them with torch.onnx.export (dynamic batch axis), and writes for
      each NAME: NAME.onnx, NAME.in.f32 and NAME.out.f32 (float32 little-endian, row-major, batch 7, not the
      export batch) and manifest.json. Also writes models hepex must refuse (refuse_*.onnx, listed in the
      manifest with a text the error must contain).
  make_models.py check MODEL.onnx IN.f32 OUT.f32
      Checks an ONNX file hepex exported: onnx.checker (full check), only Gemm/Mul/Add nodes, and the graph
      evaluated independently in numpy and in torch equals OUT (hepex's forward) to 1e-5.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

BATCH = 7  # run batch; the export uses 3, so the dynamic batch axis is exercised
torch.manual_seed(0)


class Poly(torch.nn.Module):
    """Element-wise activations written the ways people write them."""

    def __init__(self, form):
        super().__init__()
        self.form = form
        if form == "params":  # trainable scalar coefficients -> scalar initializers
            self.a = torch.nn.Parameter(torch.tensor(0.3))
            self.b = torch.nn.Parameter(torch.tensor(-0.7))
            self.c = torch.nn.Parameter(torch.tensor(0.05))

    def forward(self, x):
        f = self.form
        if f == "mul":
            return x * x
        if f == "pow":
            return x ** 2
        if f == "square":
            return torch.square(x)
        if f == "abc":
            return 0.5 * x * x + 0.25 * x + 0.1
        if f == "horner":
            return 0.1 + x * (0.25 + 0.5 * x)
        if f == "factored":
            return (x + 1.0) * (x - 2.0) / 4.0
        if f == "params":
            return self.a * x * x + self.b * x + self.c
        raise ValueError(f)


class MatMulAdd(torch.nn.Module):
    """x @ W + b with raw parameters (exports MatMul + Add, not Gemm)."""

    def __init__(self, n, m):
        super().__init__()
        self.W = torch.nn.Parameter(torch.randn(n, m) / n ** 0.5)
        self.b = torch.nn.Parameter(torch.randn(m) * 0.1)

    def forward(self, x):
        return x @ self.W + self.b


class FeatureScale(torch.nn.Module):
    """x*x scaled per feature: hepex folds the scale into the next layer (or an extra identity layer)."""

    def __init__(self, n):
        super().__init__()
        self.s = torch.nn.Parameter(torch.rand(n) + 0.5)
        self.t = torch.nn.Parameter(torch.randn(n) * 0.1)

    def forward(self, x):
        return (x * x) * self.s + self.t


class Fn(torch.nn.Module):
    """Any element-wise expression (traced by the exporter)."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


class Reshape(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        return x.reshape(-1, self.n)


def L(n, m):
    return torch.nn.Linear(n, m)


def seq(*mods):
    return torch.nn.Sequential(*mods)


def torch_models():
    """name -> (module, non-batch input shape, expected hepex layer count)"""
    return {
        "linear_stack": (seq(L(20, 16), L(16, 8), L(8, 4)), [20], 3),
        "matmul_add": (seq(MatMulAdd(20, 12), Poly("mul"), MatMulAdd(12, 5)), [20], 2),
        "square_mul": (seq(L(20, 16), Poly("mul"), L(16, 6)), [20], 2),
        "square_pow": (seq(L(20, 16), Poly("pow"), L(16, 6)), [20], 2),
        "torch_square": (seq(L(20, 16), Poly("square"), L(16, 6)), [20], 2),
        "poly_abc": (seq(L(20, 16), Poly("abc"), L(16, 12), Poly("params"), L(12, 6)), [20], 3),
        "poly_horner": (seq(L(20, 16), Poly("horner"), L(16, 6)), [20], 2),
        "poly_factored": (seq(L(20, 16), Poly("factored"), L(16, 6)), [20], 2),
        "flatten_image": (seq(torch.nn.Flatten(), L(64, 10), Poly("mul"), L(10, 64)), [1, 8, 8], 2),
        "reshape": (seq(Reshape(16), L(16, 8), Poly("pow"), L(8, 3)), [4, 4], 2),
        "feature_scale": (seq(L(20, 16), FeatureScale(16), L(16, 6)), [20], 2),
        "feature_scale_out": (seq(L(20, 16), FeatureScale(16)), [20], 2),
        "dropout_eval": (seq(L(20, 16), torch.nn.Dropout(0.5), Poly("mul"), L(16, 6)), [20], 2),
        # the bias Add after MatMul belongs to the pre-activation, whatever the polynomial's form
        "matmul_params": (seq(MatMulAdd(20, 16), Poly("params"), MatMulAdd(16, 6)), [20], 2),
        "matmul_factored": (seq(MatMulAdd(20, 16), Poly("factored"), MatMulAdd(16, 6)), [20], 2),
        "linear_scaled": (seq(L(20, 16), Fn(lambda x: x * 2.0 - 1.0), L(16, 6)), [20], 2),
        "normalized_input": (seq(Fn(lambda x: (x - 0.5) / 0.25), L(20, 16), Poly("square"), L(16, 6)), [20], 2),
        "view_batch": (seq(Fn(lambda x: x.view(x.size(0), -1)), L(16, 8), Poly("mul"), L(8, 3)), [4, 4], 2),
        "autoencoder32": (seq(L(32, 16), Poly("params"), L(16, 32)), [32], 2),
    }


def refused_torch_models():
    """name -> (module, input shape, text the error must contain)"""
    return {
        "refuse_relu": (seq(L(20, 16), torch.nn.ReLU(), L(16, 4)), [20], "(Relu): unsupported operator"),
        "refuse_sigmoid": (seq(L(20, 16), torch.nn.Sigmoid(), L(16, 4)), [20], "(Sigmoid): unsupported operator"),
        "refuse_conv": (seq(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), L(72, 4)), [1, 8, 8],
                        "(Conv): unsupported operator"),
        "refuse_cubic": (seq(L(20, 16), Poly("mul"), Poly("mul"), L(16, 4)), [20], "degree > 2"),
    }


def export_torch(module, shape, path):
    module.eval()
    dummy = torch.randn(3, *shape)
    torch.onnx.export(module, dummy, path, input_names=["x"], output_names=["y"], opset_version=13,
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})


def save_f32(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def helper_models(out):
    """Graphs torch does not emit: Gemm with transA/alpha/beta on transposed data, Identity, Dropout."""
    rng = np.random.default_rng(1)
    n, m, k = 6, 5, 3
    W1 = rng.standard_normal((n, m)).astype(np.float32)  # used as op(B) with transB=0
    C1 = rng.standard_normal((m,)).astype(np.float32)
    W2 = rng.standard_normal((k, m)).astype(np.float32)  # used as A, data as B with transB=1
    C2 = rng.standard_normal((k, 1)).astype(np.float32)
    inits = [numpy_helper.from_array(W1, "W1"), numpy_helper.from_array(C1, "C1"),
             numpy_helper.from_array(W2, "W2"), numpy_helper.from_array(C2, "C2"),
             numpy_helper.from_array(np.array(0.3, np.float32), "ratio")]
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], name="to_features_first"),
        helper.make_node("Identity", ["xt"], ["xt2"], name="identity"),
        # op(A) = xt^T = x: [batch, n]; y1 = 0.5 x W1 + 2 C1
        helper.make_node("Gemm", ["xt2", "W1", "C1"], ["y1"], name="gemm_transA", transA=1, alpha=0.5, beta=2.0),
        helper.make_node("Dropout", ["y1", "ratio"], ["y1d"], name="dropout"),
        helper.make_node("Mul", ["y1d", "y1d"], ["sq"], name="square"),
        # data as B with transB=1: W2 @ sq^T + C2 -> [k, batch]
        helper.make_node("Gemm", ["W2", "sq", "C2"], ["y2t"], name="gemm_data_as_B", transB=1),
        helper.make_node("Transpose", ["y2t"], ["y"], name="to_batch_first", perm=[1, 0]),
    ]
    graph = helper.make_graph(nodes, "gemm_variants",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", n])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", k])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "gemm_variants.onnx"))
    x = rng.standard_normal((BATCH, n)).astype(np.float32)
    y1 = 0.5 * (x @ W1) + 2.0 * C1
    y = (W2 @ (y1 * y1).T + C2).T
    save_f32(os.path.join(out, "gemm_variants.in.f32"), x)
    save_f32(os.path.join(out, "gemm_variants.out.f32"), y)
    return {"name": "gemm_variants", "input": [n], "output": k, "layers": 2}


def refused_helper_models(out):
    """Malformed or unsupported graphs that only onnx.helper can write."""
    W = numpy_helper.from_array(np.ones((10, 20), np.float32), "W")
    W2 = numpy_helper.from_array(np.ones((5, 30), np.float32), "W2")
    cases = {}

    def save(name, nodes, inputs, inits, expect, out_dim=5):
        graph = helper.make_graph(nodes, name, inputs,
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", out_dim])], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        onnx.save(model, os.path.join(out, name + ".onnx"))
        cases[name] = expect

    x20 = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 20])]
    save("refuse_nonchaining", [helper.make_node("Gemm", ["x", "W"], ["h"], name="g1", transB=1),
                                helper.make_node("Gemm", ["h", "W2"], ["y"], name="g2", transB=1)],
         x20, [W, W2], "node 'g2' (Gemm): the weights take 30 features, the value has 10")
    save("refuse_huge_input", [helper.make_node("Gemm", ["x", "W"], ["y"], name="g", transB=1)],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1 << 40])], [W],
         "dim 1 must be a fixed size between 1 and 2^20")
    huge = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])
    save("refuse_huge_initializer", [helper.make_node("Gemm", ["x", "W"], ["y"], name="g", transB=1)],
         x20, [huge], "initializer 'W': dimension 1099511627776 is negative or larger than 2^26")
    short = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[10, 20], raw_data=b"\0" * 16)
    save("refuse_short_data", [helper.make_node("Gemm", ["x", "W"], ["y"], name="g", transB=1)],
         x20, [short], "raw data has 16 bytes, the dims need 800")
    s = numpy_helper.from_array(np.arange(10, dtype=np.float32), "s")
    save("refuse_mixed_activation", [helper.make_node("Gemm", ["x", "W"], ["h"], name="g", transB=1),
                                     helper.make_node("Mul", ["h", "h"], ["h2"], name="sq"),
                                     helper.make_node("Mul", ["h", "s"], ["hs"], name="lin"),
                                     helper.make_node("Add", ["h2", "hs"], ["y"], name="sum")],
         x20, [W, s], "the activation differs between features", out_dim=10)
    save("refuse_two_branches", [helper.make_node("Gemm", ["x", "W"], ["h"], name="g", transB=1),
                                 helper.make_node("Gemm", ["x", "W"], ["k"], name="g_other", transB=1),
                                 helper.make_node("Add", ["h", "k"], ["y"], name="merge")],
         x20, [W], "node 'merge' (Add): combines two different values", out_dim=10)
    save("refuse_shape_arithmetic", [helper.make_node("Shape", ["x"], ["s"], name="shape"),
                                     helper.make_node("Add", ["x", "s"], ["y"], name="add_shape")],
         x20, [], "node 'add_shape' (Add): computes with a shape", out_dim=20)
    big = numpy_helper.from_array(np.array(1e30, np.float32), "big")
    W3 = numpy_helper.from_array(np.ones((5, 10), np.float32), "W3")
    save("refuse_overflow", [helper.make_node("Gemm", ["x", "W"], ["h"], name="g1", transB=1),
                             helper.make_node("Mul", ["h", "big"], ["h1"], name="scale1"),
                             helper.make_node("Mul", ["h1", "big"], ["h2"], name="scale2"),
                             helper.make_node("Gemm", ["h2", "W3"], ["y"], name="g2", transB=1)],
         x20, [W, big, W3], "node 'g2' (Gemm): the folded weights of layer 0 overflow float")
    nan = numpy_helper.from_array(np.full((10, 20), np.nan, np.float32), "W")
    save("refuse_nan_weights", [helper.make_node("Gemm", ["x", "W"], ["y"], name="g", transB=1)],
         x20, [nan], "initializer 'W': holds a NaN or infinite value")
    wide = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1 << 16])]
    chain = [helper.make_node("Identity", [f"v{i}" if i else "x"], [f"v{i + 1}"], name=f"id{i}") for i in range(300)]
    save("refuse_too_many_values", chain, wide, [], "more than 2^24 feature values", out_dim=1 << 16)
    return cases


def build(out):
    os.makedirs(out, exist_ok=True)
    manifest = {"models": [], "refused": {}}
    for name, (module, shape, layers) in torch_models().items():
        path = os.path.join(out, name + ".onnx")
        export_torch(module, shape, path)
        x = torch.randn(BATCH, *shape)
        with torch.no_grad():
            y = module(x)
        save_f32(os.path.join(out, name + ".in.f32"), x.numpy())
        save_f32(os.path.join(out, name + ".out.f32"), y.numpy())
        features = int(np.prod(shape))
        manifest["models"].append({"name": name, "input": features, "output": int(y.shape[1]), "layers": layers})
    gv = helper_models(out)
    manifest["models"].append({"name": gv["name"], "input": gv["input"][0], "output": gv["output"],
                               "layers": gv["layers"]})
    for name, (module, shape, expect) in refused_torch_models().items():
        export_torch(module, shape, os.path.join(out, name + ".onnx"))
        manifest["refused"][name] = expect
    manifest["refused"].update(refused_helper_models(out))
    manifest["batch"] = BATCH
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def run_graph(model, x, lib):
    """Evaluates an exported hepex graph (Gemm, Mul, Add) with numpy or torch, independently of hepex."""
    to = (lambda a: a) if lib == "numpy" else (lambda a: torch.from_numpy(np.array(a)))
    vals = {t.name: to(numpy_helper.to_array(t)) for t in model.graph.initializer}
    vals[model.graph.input[0].name] = to(x)
    for node in model.graph.node:
        ins = [vals[i] for i in node.input]
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Gemm":
            A, B = ins[0], ins[1]
            if attrs.get("transA", 0):
                A = A.T
            if attrs.get("transB", 0):
                B = B.T
            y = attrs.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2:
                y = y + attrs.get("beta", 1.0) * ins[2]
        elif node.op_type == "Mul":
            y = ins[0] * ins[1]
        elif node.op_type == "Add":
            y = ins[0] + ins[1]
        else:
            raise SystemExit(f"check: node {node.name} has op {node.op_type}; hepex exports Gemm, Mul and Add only")
        vals[node.output[0]] = y
    y = vals[model.graph.output[0].name]
    return y if lib == "numpy" else y.numpy()


def check(model_path, in_path, out_path):
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    n = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    m = model.graph.output[0].type.tensor_type.shape.dim[1].dim_value
    x = np.fromfile(in_path, dtype="<f4").reshape(-1, n)
    expected = np.fromfile(out_path, dtype="<f4").reshape(-1, m)
    for lib in ("numpy", "torch"):
        y = run_graph(model, x, lib)
        err = float(np.max(np.abs(y - expected)))
        if not err <= 1e-5:
            raise SystemExit(f"check: {lib} evaluation of {model_path} differs from hepex by {err}")
    print(f"check: {model_path} passes onnx.checker; numpy and torch agree with hepex to 1e-5")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "build":
        build(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)
