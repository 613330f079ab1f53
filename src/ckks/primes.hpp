#pragma once
// NTT-friendly primes: q prime, q = 1 (mod 2n), so that Z_q has a primitive 2n-th root of unity.
#include <cstddef>
#include <vector>

#include "ckks/modarith.hpp"

namespace hepex::ckks {

// Deterministic Miller-Rabin, exact for all 64-bit inputs.
bool is_prime(u64 n);

// `count` distinct primes of exactly `bits` bits (2^(bits-1) < q < 2^bits), q = 1 mod 2n, searched
// downward from 2^bits, skipping every prime in `exclude`. Throws InvalidArgument if not enough exist
// or bits is outside [max(log2(2n)+2, 10), 61].
std::vector<u64> generate_ntt_primes(int bits, std::size_t count, std::size_t n,
                                     const std::vector<u64>& exclude = {});

// The smallest primitive 2n-th root of unity modulo prime q (q = 1 mod 2n); deterministic.
u64 minimal_primitive_root(std::size_t two_n, const Modulus& q);

}  // namespace hepex::ckks
