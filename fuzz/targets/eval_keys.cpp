// Fuzzes the server's evaluation-keys parser, infer::parse_eval_keys (relinearization + Galois keys in one
// file; load_eval_keys checks the integrity trailer and calls it).
#include "fuzz_support.hpp"
#include "infer/keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  fuzz::expect_only_hepex_errors([&] { infer::parse_eval_keys(*fuzz::context(), fuzz::bytes_of(data, size), "fuzz"); });
  return 0;
}
