#pragma once
// Internal: the supported ONNX operators, each evaluated on what is known of its inputs (constants or the
// symbolic data path). Throws InvalidArgument with a plain reason; the importer names the node.
#include <vector>

#include "onnx/graph_value.hpp"
#include "onnx/proto.hpp"

namespace hepex::onnx {

// What the importer can read, for error messages.
inline constexpr const char* kSupportedOps =
    "Gemm, MatMul, Add, Sub, Mul, Div, Neg, Pow, Flatten, Reshape, Transpose, Identity, Dropout, Constant "
    "(and Shape, Gather, Unsqueeze, Concat computing a Reshape's shape), with activations that are "
    "polynomials of degree <= 2";

bool is_supported_op(const pb::NodeProto& node);

// The node's first output. `in` holds its inputs (nullptr for an omitted optional input).
Value evaluate_node(const pb::NodeProto& node, const std::vector<const Value*>& in);

}  // namespace hepex::onnx
