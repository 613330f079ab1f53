#pragma once
// ONNX export: an nn::Model as Gemm nodes and Mul/Add polynomial activations with initializer constants,
// in the user's original neuron order. The model's input/output permutations (an internal detail of the
// encrypted layout) are folded into the first layer's columns and the last layer's rows, so the exported
// graph computes Model::forward on original-order inputs. Masks are not exported (masked weights are 0).
#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.hpp"

namespace hepex::onnx {

// Serialized ModelProto (opset 13), checked with onnx::checker before it is returned.
std::vector<std::uint8_t> export_onnx_bytes(const nn::Model& model);
// Written atomically (io::write_file_atomic): nothing is left behind on error.
void export_onnx_file(const nn::Model& model, const std::string& path);

}  // namespace hepex::onnx
