"""`import hepex` works in any Python 3.11, with or without numpy: numpy is imported only when an array
crosses the boundary. Also run as a plain script (`python3 test_import.py`) by the interpreter without pytest."""
import sys


def test_import_needs_no_numpy():
    numpy_before = "numpy" in sys.modules
    import hepex

    assert hepex.Client and hepex.Server and hepex.load_model and hepex.prune and hepex.make_plan
    assert issubclass(hepex.SecurityError, hepex.Error) and issubclass(hepex.Error, Exception)
    assert numpy_before or "numpy" not in sys.modules, "import hepex imported numpy"


if __name__ == "__main__":
    test_import_needs_no_numpy()
    import hepex

    print(f"import hepex {hepex.__version__}: ok ({sys.executable}, numpy loaded: {'numpy' in sys.modules})")
