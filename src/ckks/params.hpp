#pragma once
// CKKS parameters: ring degree, the modulus chain (data primes q_0..q_L, special primes p_0..p_{K-1})
// and the hybrid key-switching decomposition.
//
// Levels: a ciphertext at level l lives modulo Q_l = q_0 * ... * q_l; fresh ciphertexts are at level
// L = max_level(). Rescaling drops q_l and divides the scale by it.
//
// Hybrid key switching (Han-Ki, "Better bootstrapping..."; SEAL/Lattigo/OpenFHE): the L+1 data primes are
// cut into dnum digits of alpha = ceil((L+1)/dnum) consecutive primes (the last digit may be shorter);
// P = p_0 * ... * p_{K-1} must be at least every digit's product, so that the key-switching noise
// (digit size * key noise) is divided away by P. dnum = L+1 with one special prime is SEAL's method.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "ckks/modarith.hpp"
#include "ckks/security.hpp"

namespace hepex::ckks {

inline constexpr std::size_t kMinRingDegree = 16;
inline constexpr std::size_t kMaxRingDegree = std::size_t{1} << 17;

class CkksParameters {
 public:
  // A chain of one `first_bits` prime, `levels` primes of `scale_bits` bits and as many special primes of
  // `special_bits` bits (0: first_bits) as P >= every digit needs. Default scale 2^scale_bits.
  static CkksParameters create(std::size_t n, int first_bits, int scale_bits, std::size_t levels, std::size_t dnum,
                               SecurityLevel security = SecurityLevel::kClassical128, int special_bits = 0);

  // Bit sizes of the widest digit when primes of `data_bits` are cut into dnum digits of
  // alpha = ceil(size / dnum) consecutive primes: what the special primes' product must cover.
  static int widest_digit_bits(const std::vector<int>& data_bits, std::size_t dnum);

  // Explicit prime sizes, e.g. SEAL's {60, 40, 40, 40, 40, 40, 40} + special {60}. For each bit size the
  // largest primes go to the special primes, so P >= every digit whenever the sizes allow it.
  // default_scale 0: 2^(data_bits[1]) (or 2^(data_bits[0] - 20) for a single prime).
  static CkksParameters from_bit_sizes(std::size_t n, const std::vector<int>& data_bits,
                                       const std::vector<int>& special_bits, std::size_t dnum,
                                       SecurityLevel security = SecurityLevel::kClassical128,
                                       double default_scale = 0);

  // From explicit moduli (what a parameter file stores). Validates everything: n a power of two in
  // [16, 2^17], every modulus an NTT-friendly prime < 2^61 (q = 1 mod 2n), all distinct, 1 <= dnum <= L+1
  // (normalized to ceil((L+1)/alpha)), P >= every digit, and the security check.
  CkksParameters(std::size_t n, std::vector<u64> data_moduli, std::vector<u64> special_moduli, std::size_t dnum,
                 SecurityLevel security, double default_scale);

  std::size_t n() const { return n_; }
  std::size_t max_slots() const { return n_ / 2; }
  const std::vector<u64>& data_moduli() const { return data_; }
  const std::vector<u64>& special_moduli() const { return special_; }
  std::size_t max_level() const { return data_.size() - 1; }
  std::size_t special_count() const { return special_.size(); }
  std::size_t dnum() const { return dnum_; }
  std::size_t alpha() const { return alpha_; }
  SecurityLevel security() const { return security_; }
  double default_scale() const { return default_scale_; }
  // Sum of the bit lengths of all primes (what the security check bounds).
  int total_bits() const;

  // Digits at `level`: ceil((level+1)/alpha); digit d covers data primes [first, last).
  std::size_t digit_count(std::size_t level) const { return (level + alpha_) / alpha_; }
  std::pair<std::size_t, std::size_t> digit_range(std::size_t level, std::size_t d) const;

  // FNV-1a fingerprint of n, the moduli and dnum (not the default scale or security flag: keys and
  // ciphertexts do not depend on them). Written into file headers.
  std::uint64_t hash() const { return hash_; }

  bool operator==(const CkksParameters& o) const { return hash_ == o.hash_ && data_ == o.data_ && special_ == o.special_ && n_ == o.n_ && dnum_ == o.dnum_; }

 private:
  std::size_t n_;
  std::vector<u64> data_, special_;
  std::size_t dnum_, alpha_;
  SecurityLevel security_;
  double default_scale_;
  std::uint64_t hash_;
};

}  // namespace hepex::ckks
