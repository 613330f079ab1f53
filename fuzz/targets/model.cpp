// Fuzzes the model loader: nn::Model::deserialize (layers, weights, masks, permutations).
#include "fuzz_support.hpp"
#include "nn/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  fuzz::expect_only_hepex_errors([&] { nn::Model::deserialize(fuzz::bytes_of(data, size), "fuzz"); });
  return 0;
}
