#!/usr/bin/python3
"""`hepex import` / `hepex export` / `-m model.onnx` end to end (run by CTest with Debian's /usr/bin/python3).

usage: cli_test.py PATH/TO/hepex
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models  # noqa: E402  (needs torch and onnx: fails loudly without them)

HEPEX = None


class OnnxCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ref = os.path.join(cls.tmp.name, "ref")
        make_models.build(cls.ref)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def hepex(self, *args):
        return subprocess.run([HEPEX, "--quiet", *args], capture_output=True, text=True)

    def out_dir(self):
        d = tempfile.mkdtemp(dir=self.tmp.name)
        return d

    def test_import_then_export_computes_pytorchs_function(self):
        for name in ("poly_abc", "matmul_add", "flatten_image", "feature_scale_out"):
            with self.subTest(name=name):
                d = self.out_dir()
                src = os.path.join(self.ref, name)
                r = self.hepex("import", src + ".onnx", "-o", os.path.join(d, "m.hpx"))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("HE-friendly", r.stdout)
                r = self.hepex("export", "-m", os.path.join(d, "m.hpx"), "-o", os.path.join(d, "back.onnx"))
                self.assertEqual(r.returncode, 0, r.stderr)
                # onnx.checker, then numpy and torch evaluations of hepex's graph against PyTorch's own outputs
                make_models.check(os.path.join(d, "back.onnx"), src + ".in.f32", src + ".out.f32")

    def test_model_option_takes_onnx_directly(self):
        d = self.out_dir()
        src = os.path.join(self.ref, "square_pow")
        r = self.hepex("export", "-m", src + ".onnx", "-o", os.path.join(d, "back.onnx"))
        self.assertEqual(r.returncode, 0, r.stderr)
        make_models.check(os.path.join(d, "back.onnx"), src + ".in.f32", src + ".out.f32")

    def assert_refused(self, path, expect):
        d = self.out_dir()
        out = os.path.join(d, "m.hpx")
        r = self.hepex("import", path, "-o", out)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("hepex: error: "), lines[0])
        self.assertIn(expect, lines[0])
        self.assertEqual(os.listdir(d), [], "nothing may be written on error")

    def test_refused_models_write_nothing(self):
        import json
        with open(os.path.join(self.ref, "manifest.json")) as f:
            refused = json.load(f)["refused"]
        self.assertGreaterEqual(len(refused), 10)
        for name, expect in refused.items():
            with self.subTest(name=name):
                self.assert_refused(os.path.join(self.ref, name + ".onnx"), expect)

    def test_truncated_and_garbage_files_write_nothing(self):
        with open(os.path.join(self.ref, "poly_abc.onnx"), "rb") as f:
            good = f.read()
        d = self.out_dir()
        cases = {"truncated.onnx": good[: len(good) // 2], "garbage.onnx": b"\x89PNG\r\n\x1a\n" + os.urandom(200),
                 "empty.onnx": b""}
        for name, data in cases.items():
            with self.subTest(name=name):
                path = os.path.join(d, name)
                with open(path, "wb") as f:
                    f.write(data)
                self.assert_refused(path, name)

    def test_export_to_a_missing_directory_fails_cleanly(self):
        d = self.out_dir()
        r = self.hepex("export", "-m", os.path.join(self.ref, "square_mul.onnx"), "-o", os.path.join(d, "no", "x.onnx"))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertEqual(os.listdir(d), [])


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        raise SystemExit(__doc__)
    HEPEX = sys.argv.pop(1)
    unittest.main(verbosity=2)
