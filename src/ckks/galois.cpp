#include "ckks/galois.hpp"

#include <string>

#include "ckks/ntt.hpp"
#include "util/error.hpp"

namespace hepex::ckks {

u64 galois_element_for_step(std::size_t n, long long step) {
  const long long half = static_cast<long long>(n / 2);
  long long k = step % half;
  if (k < 0) k += half;
  const u64 two_n = 2 * n;
  u64 g = 1, base = 5;
  for (u64 e = static_cast<u64>(k); e; e >>= 1) {
    if (e & 1) g = g * base % two_n;
    base = base * base % two_n;
  }
  return g;
}

std::vector<std::uint32_t> galois_permutation_ntt(std::size_t n, u64 g) {
  const u64 two_n = 2 * n;
  if (g % 2 == 0 || g >= two_n)
    throw InvalidArgument("Galois element " + std::to_string(g) + " must be odd and below 2N = " +
                          std::to_string(two_n));
  int log_n = 0;
  while ((std::size_t{1} << log_n) < n) ++log_n;
  std::vector<std::uint32_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) {
    const u64 e = 2 * bit_reverse(i, log_n) + 1;     // evaluation exponent of index i
    const u64 target = (e * g) % two_n;              // odd
    perm[i] = static_cast<std::uint32_t>(bit_reverse((target - 1) / 2, log_n));
  }
  return perm;
}

std::vector<long long> non_adjacent_form(long long x) {
  std::vector<long long> terms;
  long long power = 1;
  while (x != 0) {
    if (x & 1) {
      const long long digit = 2 - (((x % 4) + 4) % 4);  // +1 if x = 1 mod 4, -1 if x = 3 mod 4
      terms.push_back(digit * power);
      x -= digit;
    }
    x /= 2;
    power *= 2;
  }
  return terms;
}

}  // namespace hepex::ckks
