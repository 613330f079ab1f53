// Fuzzes the ciphertext-batch loader (server: inputs; client: outputs): ckks::parse_ciphertext_batch on the bytes of a file (without the integrity trailer).
#include "ckks/serialize.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  fuzz::expect_only_hepex_errors([&] { ckks::parse_ciphertext_batch(*fuzz::context(), fuzz::bytes_of(data, size), "fuzz"); });
  return 0;
}
