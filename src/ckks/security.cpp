#include "ckks/security.hpp"

#include <string>

#include "util/error.hpp"

namespace hepex::ckks {

int max_log_qp_128(std::size_t n) {
  switch (n) {
    case 1024: return 27;
    case 2048: return 54;
    case 4096: return 109;
    case 8192: return 218;
    case 16384: return 438;
    case 32768: return 881;
    case 65536: return 1747;
    default: return 0;
  }
}

void check_security(std::size_t n, int total_bits, SecurityLevel level) {
  if (level == SecurityLevel::kInsecureForTestsOnly) return;
  const int bound = max_log_qp_128(n);
  if (bound == 0)
    throw SecurityError("CKKS parameters: the HE Standard gives no 128-bit bound for ring degree N = " +
                        std::to_string(n) + " (use 8192..65536, or SecurityLevel::kInsecureForTestsOnly in tests)");
  if (total_bits > bound)
    throw SecurityError("CKKS parameters: log2(QP) = " + std::to_string(total_bits) + " bits exceeds the 128-bit bound " +
                        std::to_string(bound) + " for N = " + std::to_string(n) +
                        " (fewer levels, smaller primes or a larger ring are needed)");
}

}  // namespace hepex::ckks
