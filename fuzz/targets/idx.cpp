// Fuzzes the IDX loader (MNIST images and labels, plain or gzip): nn::parse_idx_file_bytes.
#include "fuzz_support.hpp"
#include "nn/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  const auto bytes = fuzz::bytes_of(data, size);
  fuzz::expect_only_hepex_errors([&] { nn::parse_idx_file_bytes(bytes, 3, "fuzz"); });  // images
  fuzz::expect_only_hepex_errors([&] { nn::parse_idx_file_bytes(bytes, 1, "fuzz"); });  // labels
  return 0;
}
