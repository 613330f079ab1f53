// Fuzzes the server's evaluation-keys loader, infer::load_eval_keys (relinearization + Galois keys in one
// file). It only takes a path, so the input goes through an in-memory file.
#include "fuzz_support.hpp"
#include "infer/keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  const fuzz::MemoryFile file(data, size);
  fuzz::expect_only_hepex_errors([&] { infer::load_eval_keys(*fuzz::context(), file.path()); });
  return 0;
}
