#pragma once
// The CKKS parameters the simulator pretends to run with: enough to account levels, scales and bytes
// exactly as RNS-CKKS would, without any polynomial arithmetic.
#include <cstddef>
#include <string>
#include <vector>

namespace hepex::backend {

struct SimParams {
  std::size_t ring_degree = 0;     // N (power of two); slot_count = N / 2
  std::vector<double> primes;      // q_0 .. q_L: data primes, exact values or nominal 2^bits
  std::size_t special_primes = 1;  // key-switching primes (only enter key sizes)
  double scale = 0;                // scale of fresh encryptions

  // Nominal primes 2^bits for each data prime (q_0 first) and a scale of 2^scale_bits: rescaling by
  // 2^bits keeps power-of-two scales exact, which is what the planner reasons with.
  static SimParams from_bits(std::size_t ring_degree, const std::vector<int>& prime_bits, int scale_bits,
                             std::size_t special_primes = 1);

  std::size_t slot_count() const { return ring_degree / 2; }
  int max_level() const { return static_cast<int>(primes.size()) - 1; }

  // Bytes of `polys` polynomials with (level+1) RNS limbs of N 64-bit words.
  std::size_t poly_bytes(int level, int polys = 1) const;
  // One key-switching key (relinearization or one rotation step) in hybrid key switching with dnum =
  // A key kept up to `top_level` (-1: the top, a full key): ceil((top+1)/special) digits x 2 polynomials
  // over top+1+special limbs.
  std::size_t key_switch_key_bytes(int top_level = -1) const;

  void validate(const std::string& who) const;  // throws InvalidArgument naming `who`
};

}  // namespace hepex::backend
