"""A PyTorch model -> ONNX -> hepex: the imported model's plaintext outputs and its encrypted outputs through
Client/Server equal PyTorch's."""
import io

import numpy as np
import torch

import hepex


class Square(torch.nn.Module):
    def forward(self, x):
        return x * x


def test_pytorch_model_through_onnx_equals_torch():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 16), Square(), torch.nn.Linear(16, 64)).eval()
    buffer = io.BytesIO()
    torch.onnx.export(net, torch.randn(1, 64), buffer, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    model = hepex.import_onnx(buffer.getvalue())
    assert model.arch.startswith("64-16-64")

    x = np.random.default_rng(1).uniform(0, 1, (5, 64)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy().astype(np.float64)
    assert np.max(np.abs(model.forward(x) - expected)) < 1e-5

    plan = hepex.make_plan(model, tile="4x8", batch=8)
    client = hepex.Client(plan)
    client.generate_keys()
    server = hepex.Server(model, plan)
    server.set_eval_keys(client.eval_keys())
    y, _ = server.evaluate(client.encrypt(x))
    assert np.max(np.abs(client.decrypt(y, rows=5) - expected)) < 1e-4
