#include "session/model_file.hpp"

#include <algorithm>
#include <cctype>

#include "io/binary.hpp"
#include "onnx/export.hpp"
#include "onnx/import.hpp"

namespace hepex {

namespace {
bool has_onnx_extension(const std::string& path) {
  if (path.size() < 5) return false;
  std::string ext = path.substr(path.size() - 5);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".onnx";
}
}  // namespace

nn::Model load_model(const std::string& path) {
  return has_onnx_extension(path) ? onnx::import_onnx_file(path) : nn::Model::load(path);
}

nn::Model load_model_bytes(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (io::declared_object_type(bytes))
    return nn::Model::deserialize(io::unseal(Bytes(bytes.begin(), bytes.end()), name), name);
  return onnx::import_onnx_bytes(bytes, name);
}

nn::Model load_model(std::istream& in, const std::string& name) {
  return load_model_bytes(io::read_stream_bytes(in, name), name);
}

Bytes model_file_bytes(const nn::Model& model) { return io::seal(model.serialize()); }

void save_model(const nn::Model& model, std::ostream& out) { write_bytes(out, model_file_bytes(model), "model"); }

void save_model(const nn::Model& model, const std::string& path) {
  if (has_onnx_extension(path)) onnx::export_onnx_file(model, path);
  else model.save(path);
}

}  // namespace hepex
