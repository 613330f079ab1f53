"""Library errors become Python exceptions (hepex.Error subclasses) carrying the library's message, and the Server
refuses a secret key in every form."""
import numpy as np
import pytest

import hepex


def test_the_server_refuses_a_secret_key(tmp_path, small_insecure):
    net, model, plan, client = small_insecure
    client.save_keys(str(tmp_path / "keys"))
    server = hepex.Server(model, plan, allow_insecure=True)
    with pytest.raises(hepex.SecurityError, match="is a secret key: the server never takes the secret key"):
        server.set_eval_keys(client.secret_key())
    with pytest.raises(hepex.SecurityError, match="secret.key is a secret key"):
        server.load_eval_keys(str(tmp_path / "keys/secret.key"))
    with pytest.raises(hepex.SecurityError, match="keys directory with a secret key"):
        server.load_eval_keys(str(tmp_path / "keys"))
    with pytest.raises(hepex.InvalidArgument, match="no evaluation keys"):
        server.evaluate(client.encrypt(np.zeros((1, 16))))


def test_errors_carry_the_librarys_message(tmp_path, small_insecure):
    net, model, plan, client = small_insecure
    missing = str(tmp_path / "missing.hpx")
    with pytest.raises(hepex.IoError, match="missing.hpx"):
        hepex.load_model(missing)
    with pytest.raises(hepex.FormatError, match="ONNX bytes"):
        hepex.import_onnx(b"not an onnx file")
    with pytest.raises(hepex.MismatchError, match="samples have 15 features, the plan's input has 16"):
        client.encrypt(np.zeros((2, 15)))
    with pytest.raises(hepex.InvalidArgument, match="not finite"):
        client.encrypt(np.full((1, 16), np.nan))
    server = hepex.Server(model, plan, allow_insecure=True)
    server.set_eval_keys(client.eval_keys())
    y = bytearray(server.evaluate(client.encrypt(np.ones((2, 16))))[0])
    y[len(y) // 2] ^= 1
    with pytest.raises(hepex.FormatError, match="integrity check failed"):
        client.decrypt(bytes(y))
    with pytest.raises(hepex.SecurityError, match="below 128-bit security"):
        hepex.Client(plan)
    with pytest.raises(hepex.Error):  # every kind is a hepex.Error, and an Exception
        hepex.Plan.from_bytes(b"{}")
    with pytest.raises(TypeError):  # Python's own type errors stay Python's
        client.encrypt("not an array")
