#pragma once
// Internal: Debian's ONNX protobuf classes (libonnx-dev) and the error helper of the importer. Our namespace
// is hepex::onnx, so the protobuf namespace is reached as `pb`.
#include <onnx/onnx_pb.h>

#include <string>

namespace hepex::onnx {

namespace pb = ::onnx;

// "node 'Gemm_0' (Gemm)", or "node #3 (Gemm) -> out" for unnamed nodes: how every message names a node.
std::string describe_node(const pb::NodeProto& node, int index);

}  // namespace hepex::onnx
