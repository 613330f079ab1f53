#include "backend/sim_params.hpp"

#include <cmath>

#include "util/error.hpp"

namespace hepex::backend {

SimParams SimParams::from_bits(std::size_t ring_degree, const std::vector<int>& prime_bits, int scale_bits,
                               std::size_t special_primes) {
  SimParams p;
  p.ring_degree = ring_degree;
  for (int bits : prime_bits) {
    if (bits < 2 || bits > 62) throw InvalidArgument("SimParams: prime size " + std::to_string(bits) + " bits outside [2, 62]");
    p.primes.push_back(std::ldexp(1.0, bits));
  }
  p.special_primes = special_primes;
  p.scale = std::ldexp(1.0, scale_bits);
  p.validate("SimParams::from_bits");
  return p;
}

std::size_t SimParams::poly_bytes(int level, int polys) const {
  return static_cast<std::size_t>(polys) * static_cast<std::size_t>(level + 1) * ring_degree * 8;
}

std::size_t SimParams::key_switch_key_bytes(int top_level) const {
  const std::size_t limbs = top_level < 0 ? primes.size() : static_cast<std::size_t>(top_level) + 1;
  const std::size_t dnum = (limbs + special_primes - 1) / special_primes;
  return dnum * 2 * (limbs + special_primes) * ring_degree * 8;
}

void SimParams::validate(const std::string& who) const {
  if (ring_degree < 2 || (ring_degree & (ring_degree - 1)) != 0)
    throw InvalidArgument(who + ": ring degree " + std::to_string(ring_degree) + " is not a power of two >= 2");
  if (primes.empty()) throw InvalidArgument(who + ": no data primes");
  for (double q : primes)
    if (!(q > 1)) throw InvalidArgument(who + ": prime value " + std::to_string(q) + " is not > 1");
  if (special_primes == 0) throw InvalidArgument(who + ": at least one special (key-switching) prime is needed");
  if (!(scale > 0)) throw InvalidArgument(who + ": scale must be positive");
}

}  // namespace hepex::backend
