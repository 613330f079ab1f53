#pragma once
// One door for every verb's -m/--model: a hepex model file, or an ONNX file (by its .onnx extension)
// imported on the fly with the same checks as `hepex import` (hepex::load_model, session/model_file.hpp).
#include <string>

#include "nn/model.hpp"

namespace hepex::cli {

nn::Model load_model_any(const std::string& path);

}  // namespace hepex::cli
