// Fuzzes the plan loader the client runs on a file the server made: infer::Plan::from_json on any JSON
// document (text that is not JSON is refused by the JSON parser before the plan loader sees it).
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "infer/plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hepex;
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  fuzz::expect_only_hepex_errors([&] { infer::Plan::from_json(j, "fuzz"); });
  return 0;
}
