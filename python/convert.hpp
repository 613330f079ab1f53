#pragma once
// Conversions between Python objects and the library's types, shared by every binding file: byte strings
// (bytes, bytearray, memoryview -> Bytes; Bytes -> bytes), NumPy arrays (2-D rows x features, or 1-D for
// one sample -> Samples; Samples -> 2-D float64 array), and JSON reports -> dicts.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <nlohmann/json.hpp>

#include "session/bytes.hpp"
#include "session/client.hpp"

namespace hepex::python {

namespace py = pybind11;
using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

Bytes to_bytes(const py::object& object, const char* who);
py::bytes to_py(const Bytes& bytes);
Samples to_samples(const DoubleArray& array, const char* who);
DoubleArray to_array(const Samples& samples);
py::object to_py(const nlohmann::json& j);

}  // namespace hepex::python
