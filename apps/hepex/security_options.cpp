#include "security_options.hpp"

#include <cstdio>

#include "verb.hpp"

namespace hepex::cli {

void add_allow_insecure(CLI::App* sub, bool& flag) {
  sub->add_flag("--allow-insecure", flag,
                "Accept a plan whose CKKS parameters are below 128-bit security (TESTS ONLY; by default such a plan "
                "is refused, whatever it says of itself)");
}

infer::SecurityPolicy security_policy(bool allow_insecure) {
  return allow_insecure ? infer::SecurityPolicy::kAllowInsecureForTestsOnly : infer::SecurityPolicy::kRequire128Bit;
}

void print_security_verdict(const ckks::CkksContext& ctx) {
  if (!global_options().quiet) std::fprintf(stderr, "security: %s\n", infer::security_verdict(ctx.params()).c_str());
}

}  // namespace hepex::cli
