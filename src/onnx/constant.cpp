#include "onnx/constant.hpp"

#include <cmath>
#include <cstring>

#include "util/error.hpp"

namespace hepex::onnx {

namespace {
// Largest constant accepted: 2^26 elements (a 64M-parameter dense layer; far beyond what runs under HE).
constexpr std::int64_t kMaxElements = std::int64_t{1} << 26;

std::int64_t checked_count(const std::vector<std::int64_t>& dims, const std::string& what) {
  std::int64_t n = 1;
  for (const auto d : dims) {
    if (d < 0 || d > kMaxElements)
      throw FormatError(what + ": dimension " + std::to_string(d) + " is negative or larger than 2^26");
    n *= d;  // no overflow: both factors are <= 2^26 and n is checked below
    if (n > kMaxElements) throw FormatError(what + ": more than 2^26 elements declared");
  }
  return n;
}

template <typename T>
void from_raw(const std::string& raw, std::int64_t n, std::vector<double>& out, const std::string& what) {
  if (raw.size() != std::size_t(n) * sizeof(T))
    throw FormatError(what + ": raw data has " + std::to_string(raw.size()) + " bytes, the dims need " +
                      std::to_string(std::size_t(n) * sizeof(T)));
  out.resize(std::size_t(n));
  for (std::int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + std::size_t(i) * sizeof(T), sizeof(T));  // little-endian, as ONNX stores it
    out[std::size_t(i)] = double(v);
  }
}

template <typename Field>
void from_field(const Field& field, std::int64_t n, std::vector<double>& out, const std::string& what) {
  if (field.size() != n)
    throw FormatError(what + ": has " + std::to_string(field.size()) + " values, the dims need " + std::to_string(n));
  out.assign(field.begin(), field.end());
}
}  // namespace

Constant read_tensor(const pb::TensorProto& t, const std::string& what) {
  if (t.data_location() == pb::TensorProto::EXTERNAL || t.external_data_size() > 0)
    throw FormatError(what + ": external tensor data is not supported (save the model as one file)");
  Constant c;
  c.dims.assign(t.dims().begin(), t.dims().end());
  const std::int64_t n = checked_count(c.dims, what);
  const bool raw = t.has_raw_data();
  switch (t.data_type()) {
    case pb::TensorProto::FLOAT:
      raw ? from_raw<float>(t.raw_data(), n, c.values, what) : from_field(t.float_data(), n, c.values, what);
      break;
    case pb::TensorProto::DOUBLE:
      raw ? from_raw<double>(t.raw_data(), n, c.values, what) : from_field(t.double_data(), n, c.values, what);
      break;
    case pb::TensorProto::INT64:
      raw ? from_raw<std::int64_t>(t.raw_data(), n, c.values, what) : from_field(t.int64_data(), n, c.values, what);
      break;
    case pb::TensorProto::INT32:
      raw ? from_raw<std::int32_t>(t.raw_data(), n, c.values, what) : from_field(t.int32_data(), n, c.values, what);
      break;
    default:
      throw FormatError(what + ": element type " + std::to_string(t.data_type()) +
                        " is not supported (float, double, int32, int64)");
  }
  for (const double v : c.values)
    if (!std::isfinite(v)) throw FormatError(what + ": holds a NaN or infinite value");
  return c;
}

Constant read_constant_node(const pb::NodeProto& node, const std::string& what) {
  if (node.attribute_size() != 1) throw FormatError(what + ": a Constant node needs exactly one attribute");
  const auto& a = node.attribute(0);
  Constant c;
  if (a.name() == "value") return read_tensor(a.t(), what);
  if (a.name() == "value_float") {
    c.values = {double(a.f())};
  } else if (a.name() == "value_int") {
    c.values = {double(a.i())};
  } else if (a.name() == "value_floats" || a.name() == "value_ints") {
    const bool floats = a.name() == "value_floats";
    const int n = floats ? a.floats_size() : a.ints_size();
    for (int i = 0; i < n; ++i) c.values.push_back(floats ? double(a.floats(i)) : double(a.ints(i)));
    c.dims = {std::int64_t(n)};
  } else {
    throw FormatError(what + ": Constant attribute '" + a.name() + "' is not supported");
  }
  return c;
}

}  // namespace hepex::onnx
