#pragma once
// Internal: constant tensors of an ONNX graph (initializers, Constant nodes), read with bounds checks.
#include <cstdint>
#include <string>
#include <vector>

#include "onnx/proto.hpp"

namespace hepex::onnx {

struct Constant {
  std::vector<std::int64_t> dims;
  std::vector<double> values;  // row-major; integer tensors are converted (exactly for |v| < 2^53)

  std::size_t size() const { return values.size(); }
  bool is_scalar() const { return values.size() == 1; }
};

// Throws FormatError mentioning `what` when the type is not float/double/int32/int64, a dimension is
// negative or too large, the data lives in an external file, or the data length differs from the dims.
Constant read_tensor(const pb::TensorProto& t, const std::string& what);

// A Constant node's value (attributes value, value_float(s), value_int(s)).
Constant read_constant_node(const pb::NodeProto& node, const std::string& what);

}  // namespace hepex::onnx
