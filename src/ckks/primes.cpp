// NTT-friendly primes and minimal primitive roots.
#include "ckks/primes.hpp"

#include <algorithm>
#include <string>

namespace hepex::ckks {

namespace {

// Arithmetic modulo any 64-bit n (is_prime must cover all 64-bit inputs, beyond Modulus's 61 bits).
u64 mul_mod_any(u64 a, u64 b, u64 n) { return static_cast<u64>(static_cast<u128>(a) * b % n); }

u64 pow_mod_any(u64 base, u64 exp, u64 n) {
  u64 result = 1 % n;
  base %= n;
  while (exp) {
    if (exp & 1) result = mul_mod_any(result, base, n);
    base = mul_mod_any(base, base, n);
    exp >>= 1;
  }
  return result;
}

// One Miller-Rabin round: false if `a` proves n (odd, n - 1 = d * 2^s) composite.
bool passes_round(u64 n, u64 a, u64 d, int s) {
  a %= n;
  if (a == 0) return true;
  u64 x = pow_mod_any(a, d, n);
  if (x == 1 || x == n - 1) return true;
  for (int r = 1; r < s; ++r) {
    x = mul_mod_any(x, x, n);
    if (x == n - 1) return true;
  }
  return false;
}

bool is_power_of_two(std::size_t x) { return x != 0 && (x & (x - 1)) == 0; }

}  // namespace

bool is_prime(u64 n) {
  static constexpr u64 kSmall[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  if (n < 2) return false;
  for (u64 p : kSmall) {
    if (n == p) return true;
    if (n % p == 0) return false;
  }
  u64 d = n - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  // The first 12 primes as bases are a proven deterministic witness set for n < 3.3 * 10^24.
  for (u64 a : kSmall)
    if (!passes_round(n, a, d, s)) return false;
  return true;
}

std::vector<u64> generate_ntt_primes(int bits, std::size_t count, std::size_t n, const std::vector<u64>& exclude) {
  if (!is_power_of_two(n) || n < 2)
    throw InvalidArgument("generate_ntt_primes: ring degree n = " + std::to_string(n) + " must be a power of two >= 2");
  const std::size_t two_n = 2 * n;
  const int log_two_n = __builtin_ctzll(two_n);
  const int min_bits = std::max(log_two_n + 2, 10);
  if (bits < min_bits || bits > kMaxModulusBits)
    throw InvalidArgument("generate_ntt_primes: bit size " + std::to_string(bits) + " outside [" +
                          std::to_string(min_bits) + ", " + std::to_string(kMaxModulusBits) + "] for n = " +
                          std::to_string(n));
  const u64 upper = u64{1} << bits, lower = u64{1} << (bits - 1);
  std::vector<u64> primes;
  // Largest q = 1 mod 2n below 2^bits (2n divides 2^bits), then step down by 2n.
  for (u64 q = upper - two_n + 1; q > lower && primes.size() < count; q -= two_n) {
    if (std::find(exclude.begin(), exclude.end(), q) != exclude.end()) continue;
    if (is_prime(q)) primes.push_back(q);
  }
  if (primes.size() < count)
    throw InvalidArgument("generate_ntt_primes: only " + std::to_string(primes.size()) + " of " +
                          std::to_string(count) + " requested " + std::to_string(bits) +
                          "-bit primes = 1 mod " + std::to_string(two_n) + " exist");
  return primes;
}

u64 minimal_primitive_root(std::size_t two_n, const Modulus& q) {
  if (!is_power_of_two(two_n) || two_n < 2)
    throw InvalidArgument("minimal_primitive_root: order " + std::to_string(two_n) + " must be a power of two >= 2");
  if (!is_prime(q.value) || (q.value - 1) % two_n != 0)
    throw InvalidArgument("minimal_primitive_root: modulus " + std::to_string(q.value) + " is not a prime = 1 mod " +
                          std::to_string(two_n));
  // x^((q-1)/2n) has order dividing 2n; it is primitive iff its (n)-th power is -1. Try x = 2, 3, ...
  // (half of all x work, so this ends quickly), then take the smallest of its odd powers, which are
  // exactly the primitive 2n-th roots: the result does not depend on which x was found.
  const u64 cofactor = (q.value - 1) / two_n;
  u64 root = 0;
  for (u64 x = 2; x < q.value; ++x) {
    const u64 g = pow_mod(x, cofactor, q);
    if (pow_mod(g, two_n / 2, q) == q.value - 1) {
      root = g;
      break;
    }
  }
  if (root == 0)
    throw InvalidArgument("minimal_primitive_root: no primitive root of order " + std::to_string(two_n) +
                          " modulo " + std::to_string(q.value));
  const u64 step = mul_mod(root, root, q);
  u64 best = root, power = root;
  for (std::size_t k = 1; k < two_n / 2; ++k) {
    power = mul_mod(power, step, q);
    best = std::min(best, power);
  }
  return best;
}

}  // namespace hepex::ckks
