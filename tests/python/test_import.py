"""`import hepex` works in any CPython 3.11, with or without numpy: numpy is imported only when an array crosses the
boundary. Run by pytest (Debian's Python, which has numpy: a fresh interpreter must not load it) and as a plain
script by the python3 on PATH (which may have neither numpy nor pytest)."""
import subprocess
import sys

CHECK = """
import sys
import hepex
assert hepex.Client and hepex.Server and hepex.load_model and hepex.prune and hepex.make_plan
assert issubclass(hepex.SecurityError, hepex.Error) and issubclass(hepex.Error, Exception)
assert "numpy" not in sys.modules, "import hepex imported numpy"
print(f"import hepex {hepex.__version__}: ok ({sys.executable})")
"""


def test_import_hepex_loads_no_numpy():
    r = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


if __name__ == "__main__":
    exec(CHECK)
