// Fuzzes the client's .npy sample loader: infer::parse_npy.
#include "fuzz_support.hpp"
#include "infer/files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  fuzz::expect_only_hepex_errors([&] { infer::parse_npy(fuzz::bytes_of(data, size), "fuzz.npy"); });
  return 0;
}
