// Fuzzes the ONNX importer, onnx::import_onnx_bytes (protobuf parse, graph walk, symbolic activations, constant
// folding, shape checks): what `hepex import`, every -m model.onnx and hepex.import_onnx read. The seeds
// (fuzz/corpus/onnx) are models of tests/onnx/make_models.py, accepted and refused ones.
#include <span>

#include "fuzz_support.hpp"
#include "onnx/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  fuzz::expect_only_hepex_errors([&] { onnx::import_onnx_bytes(std::span<const std::uint8_t>(data, size), "fuzz"); });
  return 0;
}
