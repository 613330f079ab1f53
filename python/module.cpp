// The `hepex` Python module: models (.hpx / ONNX), pruning, plans, and the Client / Server front door
// (src/session). Errors raise hepex.Error subclasses carrying the library's message. NumPy is imported
// only by the functions that take or return arrays.
#include "bindings.hpp"
#include "util/error.hpp"

#ifndef HEPEX_VERSION
#define HEPEX_VERSION "unknown"
#endif

PYBIND11_MODULE(hepex, m) {
  namespace py = pybind11;
  m.doc() = "hepex: privacy-preserving neural-network inference under CKKS homomorphic encryption, with HE-aware "
            "pruning. See docs/PYTHON.md.";
  m.attr("__version__") = HEPEX_VERSION;

  // One Python class per library error kind, all under hepex.Error.
  auto& error = py::register_exception<hepex::Error>(m, "Error");
  py::register_exception<hepex::FormatError>(m, "FormatError", error.ptr());
  py::register_exception<hepex::InvalidArgument>(m, "InvalidArgument", error.ptr());
  py::register_exception<hepex::MismatchError>(m, "MismatchError", error.ptr());
  py::register_exception<hepex::SecurityError>(m, "SecurityError", error.ptr());
  py::register_exception<hepex::IoError>(m, "IoError", error.ptr());

  hepex::python::bind_models(m);
  hepex::python::bind_plans(m);
  hepex::python::bind_session(m);
  hepex::python::bind_prune(m);
}
