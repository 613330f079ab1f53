#include "model_input.hpp"

#include <algorithm>
#include <cctype>

#include "onnx/import.hpp"

namespace hepex::cli {

namespace {
bool has_onnx_extension(const std::string& path) {
  if (path.size() < 5) return false;
  std::string ext = path.substr(path.size() - 5);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".onnx";
}
}  // namespace

nn::Model load_model_any(const std::string& path) {
  return has_onnx_extension(path) ? onnx::import_onnx_file(path) : nn::Model::load(path);
}

}  // namespace hepex::cli
