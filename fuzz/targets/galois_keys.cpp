// Fuzzes the Galois-keys loader (server side): ckks::parse_galois_keys on the bytes of a file (without the integrity trailer).
#include "ckks/serialize.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  fuzz::expect_only_hepex_errors([&] { ckks::parse_galois_keys(*fuzz::context(), fuzz::bytes_of(data, size), "fuzz"); });
  return 0;
}
