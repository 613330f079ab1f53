// Fuzzes the CKKS parameter loader: ckks::parse_parameters (primes, dnum; insecure allowed, as the corpus is).
#include "ckks/serialize.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  fuzz::expect_only_hepex_errors([&] { ckks::parse_parameters(fuzz::bytes_of(data, size), "fuzz", /*allow_insecure=*/true); });
  return 0;
}
