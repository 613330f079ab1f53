#pragma once
// ONNX import: a PyTorch-style dense network (Gemm / MatMul + Add, Flatten / Reshape, Identity, Dropout, and
// element-wise polynomial activations of degree <= 2) becomes an nn::Model. Everything else is refused with
// an error that names the file, the node, its operator and what is supported (docs/ONNX.md).
#include <cstdint>
#include <span>
#include <string>

#include "nn/model.hpp"

namespace hepex::onnx {

// Larger files are refused before they are read (protobuf cannot parse messages of 2 GiB or more).
inline constexpr std::uint64_t kMaxOnnxBytes = (std::uint64_t{1} << 31) - 1;
// Widest feature vector accepted anywhere in the graph (declared input dims included).
inline constexpr std::int64_t kMaxFeatures = std::int64_t{1} << 20;

// Throws FormatError naming `path` (IoError when it cannot be read). Nothing is written.
nn::Model import_onnx_file(const std::string& path);
// The same from bytes in memory; `name` is used in error messages.
nn::Model import_onnx_bytes(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace hepex::onnx
