#include "ckks/params.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "ckks/primes.hpp"
#include "io/binary.hpp"
#include "util/error.hpp"

namespace hepex::ckks {
namespace {

long double log2_product(const std::vector<u64>& moduli, std::size_t first, std::size_t last) {
  long double s = 0;
  for (std::size_t i = first; i < last; ++i) s += std::log2(static_cast<long double>(moduli[i]));
  return s;
}

// Generates the primes for both lists; for each bit size the largest primes go to the special list.
std::pair<std::vector<u64>, std::vector<u64>> generate_chain(std::size_t n, const std::vector<int>& data_bits,
                                                             const std::vector<int>& special_bits) {
  std::map<int, std::size_t> needed;
  for (int b : data_bits) ++needed[b];
  for (int b : special_bits) ++needed[b];
  std::map<int, std::vector<u64>> pool;  // descending primes per size
  std::vector<u64> taken;
  for (const auto& [bits, count] : needed) {
    pool[bits] = generate_ntt_primes(bits, count, n, taken);
    taken.insert(taken.end(), pool[bits].begin(), pool[bits].end());
  }
  std::map<int, std::size_t> next;
  auto take = [&](int bits) { return pool[bits][next[bits]++]; };
  std::vector<u64> special, data;
  for (int b : special_bits) special.push_back(take(b));
  for (int b : data_bits) data.push_back(take(b));
  return {data, special};
}

bool is_power_of_two(std::size_t x) { return x != 0 && (x & (x - 1)) == 0; }

}  // namespace

int CkksParameters::widest_digit_bits(const std::vector<int>& data_bits, std::size_t dnum) {
  const std::size_t alpha = (data_bits.size() + dnum - 1) / dnum;
  int widest = 0;
  for (std::size_t f = 0; f < data_bits.size(); f += alpha) {
    int s = 0;
    for (std::size_t i = f; i < std::min(f + alpha, data_bits.size()); ++i) s += data_bits[i];
    widest = std::max(widest, s);
  }
  return widest;
}

CkksParameters CkksParameters::create(std::size_t n, int first_bits, int scale_bits, std::size_t levels,
                                      std::size_t dnum, SecurityLevel security, int special_bits) {
  if (special_bits == 0) special_bits = first_bits;
  std::vector<int> data_bits{first_bits};
  data_bits.insert(data_bits.end(), levels, scale_bits);
  if (dnum == 0 || dnum > data_bits.size())
    throw InvalidArgument("CKKS parameters: dnum = " + std::to_string(dnum) + " must be in [1, " +
                          std::to_string(data_bits.size()) + "] (the number of data primes)");
  // Fewest special primes whose product covers the largest digit (bit sizes are upper bounds of the
  // primes, so start from the estimate and add one if the actual primes fall short).
  const std::size_t alpha = (data_bits.size() + dnum - 1) / dnum;
  const int max_digit_bits = widest_digit_bits(data_bits, dnum);
  std::size_t k = static_cast<std::size_t>((max_digit_bits + special_bits - 1) / special_bits);
  for (;; ++k) {
    auto [data, special] = generate_chain(n, data_bits, std::vector<int>(k, special_bits));
    // P >= every digit?
    long double log_p = log2_product(special, 0, special.size());
    bool ok = true;
    for (std::size_t f = 0; f < data.size(); f += alpha)
      ok = ok && log_p >= log2_product(data, f, std::min(f + alpha, data.size()));
    if (ok) return CkksParameters(n, data, special, dnum, security, std::ldexp(1.0, scale_bits));
  }
}

CkksParameters CkksParameters::from_bit_sizes(std::size_t n, const std::vector<int>& data_bits,
                                              const std::vector<int>& special_bits, std::size_t dnum,
                                              SecurityLevel security, double default_scale) {
  if (data_bits.empty() || special_bits.empty())
    throw InvalidArgument("CKKS parameters: need at least one data prime and one special prime");
  auto [data, special] = generate_chain(n, data_bits, special_bits);
  if (default_scale == 0)
    default_scale = std::ldexp(1.0, data_bits.size() > 1 ? data_bits[1] : std::max(data_bits[0] - 20, 1));
  return CkksParameters(n, std::move(data), std::move(special), dnum, security, default_scale);
}

CkksParameters::CkksParameters(std::size_t n, std::vector<u64> data_moduli, std::vector<u64> special_moduli,
                               std::size_t dnum, SecurityLevel security, double default_scale)
    : n_(n), data_(std::move(data_moduli)), special_(std::move(special_moduli)), security_(security),
      default_scale_(default_scale) {
  const std::string what = "CKKS parameters: ";
  if (!is_power_of_two(n) || n < kMinRingDegree || n > kMaxRingDegree)
    throw InvalidArgument(what + "ring degree " + std::to_string(n) + " must be a power of two in [16, 2^17]");
  if (data_.empty()) throw InvalidArgument(what + "no data primes");
  if (special_.empty()) throw InvalidArgument(what + "no special primes (key switching needs at least one)");
  if (!(default_scale > 0) || !std::isfinite(default_scale))
    throw InvalidArgument(what + "default scale must be positive and finite");
  std::vector<u64> all = data_;
  all.insert(all.end(), special_.begin(), special_.end());
  for (u64 q : all) {
    if ((q >> kMaxModulusBits) != 0 || !is_prime(q) || q % (2 * n) != 1)
      throw InvalidArgument(what + "modulus " + std::to_string(q) + " is not a prime < 2^61 with q = 1 mod 2N (N = " +
                            std::to_string(n) + ")");
  }
  std::vector<u64> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw InvalidArgument(what + "moduli must be distinct");
  if (dnum == 0 || dnum > data_.size())
    throw InvalidArgument(what + "dnum = " + std::to_string(dnum) + " must be in [1, " + std::to_string(data_.size()) +
                          "] (the number of data primes)");
  alpha_ = (data_.size() + dnum - 1) / dnum;
  dnum_ = (data_.size() + alpha_ - 1) / alpha_;
  const long double log_p = log2_product(special_, 0, special_.size());
  for (std::size_t d = 0; d < dnum_; ++d) {
    const auto [f, l] = digit_range(max_level(), d);
    if (log_p < log2_product(data_, f, l))
      throw InvalidArgument(what + "the special modulus P (" + std::to_string(static_cast<double>(log_p)) +
                            " bits) is smaller than key-switching digit " + std::to_string(d) + " (" +
                            std::to_string(static_cast<double>(log2_product(data_, f, l))) +
                            " bits): use more or larger special primes, or a larger dnum");
  }
  check_security(n_, total_bits(), security_);

  // Fingerprint: a domain tag, then n, the two moduli lists (with their lengths) and dnum.
  static constexpr char kTag[] = "hepex.ckks.params.v1";
  std::uint64_t h = io::fnv1a64(kTag, sizeof(kTag) - 1);
  auto mix = [&h](std::uint64_t v) { h = io::fnv1a64(&v, sizeof(v), h); };
  mix(n_);
  mix(data_.size());
  for (u64 q : data_) mix(q);
  mix(special_.size());
  for (u64 p : special_) mix(p);
  mix(dnum_);
  hash_ = h;
}

int CkksParameters::total_bits() const {
  int s = 0;
  for (u64 q : data_) s += 64 - __builtin_clzll(q);
  for (u64 p : special_) s += 64 - __builtin_clzll(p);
  return s;
}

std::pair<std::size_t, std::size_t> CkksParameters::digit_range(std::size_t level, std::size_t d) const {
  const std::size_t first = d * alpha_;
  return {first, std::min(first + alpha_, level + 1)};
}

}  // namespace hepex::ckks
