#include "convert.hpp"

#include <cstring>

#include "util/error.hpp"

namespace hepex::python {

Bytes to_bytes(const py::object& object, const char* who) {
  // bytes(object): bytes, bytearray and any buffer (memoryview, numpy uint8 array), made contiguous.
  if (!PyObject_CheckBuffer(object.ptr()))
    throw InvalidArgument(std::string(who) + ": expected bytes (or bytearray, memoryview), got " +
                          std::string(py::str(py::type::of(object).attr("__name__"))));
  const auto b = py::reinterpret_steal<py::bytes>(PyObject_Bytes(object.ptr()));
  if (!b) throw py::error_already_set();
  char* data = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(b.ptr(), &data, &size) != 0) throw py::error_already_set();
  const auto* p = reinterpret_cast<const std::uint8_t*>(data);
  return Bytes(p, p + size);
}

py::bytes to_py(const Bytes& bytes) {
  return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Samples to_samples(const DoubleArray& array, const char* who) {
  if (array.ndim() != 1 && array.ndim() != 2)
    throw InvalidArgument(std::string(who) + ": expected a 2-D array (samples x features) or a 1-D sample, got " +
                          std::to_string(array.ndim()) + " dimensions");
  Samples s;
  s.rows = array.ndim() == 2 ? std::size_t(array.shape(0)) : 1;
  s.cols = std::size_t(array.shape(array.ndim() - 1));
  s.values.assign(array.data(), array.data() + array.size());
  return s;
}

DoubleArray to_array(const Samples& s) {
  DoubleArray a({py::ssize_t(s.rows), py::ssize_t(s.cols)});
  if (!s.values.empty()) std::memcpy(a.mutable_data(), s.values.data(), s.values.size() * sizeof(double));
  return a;
}

py::object to_py(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

}  // namespace hepex::python
