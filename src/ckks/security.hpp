#pragma once
// The 128-bit classical security bounds of the Homomorphic Encryption Standard (ternary secret,
// error standard deviation 3.2): the largest log2(Q*P) allowed for each ring degree.
#include <cstddef>

namespace hepex::ckks {

// Whether a parameter set must pass the HE Standard check. The insecure level exists only so that
// tests can use small rings; its name says what it is on purpose.
enum class SecurityLevel : unsigned char {
  kClassical128 = 0,
  kInsecureForTestsOnly = 1,
};

// Largest total modulus bit count for 128-bit classical security with a ternary secret, or 0 when the
// standard gives no bound for this ring degree.
int max_log_qp_128(std::size_t n);

// Throws SecurityError naming the degree and the excess when `total_bits` (the sum of the bit lengths of
// all data and special primes) exceeds the bound for `n`, unless `level` is kInsecureForTestsOnly.
void check_security(std::size_t n, int total_bits, SecurityLevel level);

}  // namespace hepex::ckks
