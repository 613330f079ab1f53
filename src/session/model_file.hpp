#pragma once
// Models in and out of the front door: a hepex model file (.hpx) or an ONNX file, from a path or from bytes,
// with the checks of `hepex import` for ONNX. Every verb's -m and the Python module read models here.
#include <istream>
#include <ostream>
#include <span>
#include <string>

#include "nn/model.hpp"
#include "session/bytes.hpp"

namespace hepex {

// By the path's extension: ".onnx" (any case) is imported, anything else is read as a hepex model file.
// Throws IoError / FormatError naming the file.
nn::Model load_model(const std::string& path);
// By content: bytes that start with the hepex magic are a hepex model file, anything else is parsed as
// ONNX. `name` prefixes every error.
nn::Model load_model_bytes(std::span<const std::uint8_t> bytes, const std::string& name);
// The same from a stream (read to its end; session/bytes.hpp).
nn::Model load_model(std::istream& in, const std::string& name);
// The bytes of the model's hepex file (what Model::save writes).
Bytes model_file_bytes(const nn::Model& model);
// Writes the model's hepex file bytes to `out`.
void save_model(const nn::Model& model, std::ostream& out);
// Saves by the path's extension: ".onnx" exports ONNX (onnx/export.hpp), anything else a hepex model file.
void save_model(const nn::Model& model, const std::string& path);

}  // namespace hepex
