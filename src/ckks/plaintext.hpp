#pragma once
// An encoded message: one polynomial in NTT form modulo Q_level (level+1 limbs), with the scale it was
// encoded at and its slot count. These travel with the data: every operation checks them.
#include <cstddef>
#include <cstdint>

#include "ckks/context.hpp"
#include "ckks/poly.hpp"

namespace hepex::ckks {

class Plaintext {
 public:
  Plaintext() = default;
  // Checks the shape against the context (n, level+1 limbs, slot count, positive scale); O(1).
  Plaintext(const CkksContext& ctx, RnsPoly poly, std::size_t level, double scale, std::size_t slots);
  // From raw parts (deserialization): the shape checks plus every residue below its modulus.
  static Plaintext from_parts(const CkksContext& ctx, RnsPoly poly, std::size_t level, double scale,
                              std::size_t slots);

  const RnsPoly& poly() const { return poly_; }
  RnsPoly& poly() { return poly_; }
  std::size_t level() const { return level_; }
  double scale() const { return scale_; }
  std::size_t slots() const { return slots_; }
  std::uint64_t param_hash() const { return param_hash_; }
  bool empty() const { return poly_.empty(); }

  void set_scale(double scale);
  // Drops primes above `level` (no change of scale).
  void drop_to_level(std::size_t level);

 private:
  RnsPoly poly_;
  std::size_t level_ = 0;
  double scale_ = 1;
  std::size_t slots_ = 0;
  std::uint64_t param_hash_ = 0;
};

}  // namespace hepex::ckks
