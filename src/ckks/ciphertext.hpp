#pragma once
// A ciphertext (c_0, c_1[, c_2]) in NTT form modulo Q_level, decrypting to c_0 + c_1 s (+ c_2 s^2).
// Carries its level, scale, slot count and parameter fingerprint; every operation checks them.
//
// Seeded ciphertexts (secret-key encryption) keep the 32-byte seed from which c_1 was drawn (uniform,
// read directly as NTT values over primes 0..level), so a serializer may store the seed instead of c_1.
// Any operation that produces a new ciphertext drops the seed; mutable access to the polynomials too.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ckks/context.hpp"
#include "ckks/poly.hpp"
#include "util/csprng.hpp"

namespace hepex::ckks {

class Ciphertext {
 public:
  Ciphertext() = default;
  // `size` zero polynomials at `level`.
  Ciphertext(const CkksContext& ctx, std::size_t size, std::size_t level, double scale, std::size_t slots);
  // From raw parts (deserialization): checks shapes, residues, slot count and scale. A c1_seed must
  // reproduce polys[1] (checked).
  static Ciphertext from_parts(const CkksContext& ctx, std::vector<RnsPoly> polys, std::size_t level, double scale,
                               std::size_t slots, std::optional<Seed> c1_seed = std::nullopt);
  // Regenerates c_1 from its seed (deserialization of a seeded ciphertext: polys = {c_0}).
  static Ciphertext from_seeded(const CkksContext& ctx, RnsPoly c0, const Seed& c1_seed, std::size_t level,
                                double scale, std::size_t slots);

  std::size_t size() const { return polys_.size(); }
  const RnsPoly& poly(std::size_t i) const { return polys_[i]; }
  RnsPoly& poly(std::size_t i) {
    c1_seed_.reset();
    return polys_[i];
  }
  const std::vector<RnsPoly>& polys() const { return polys_; }
  // Mutable access for the library's own operations (drops the seed).
  std::vector<RnsPoly>& mutable_polys() {
    c1_seed_.reset();
    return polys_;
  }
  std::size_t level() const { return level_; }
  double scale() const { return scale_; }
  std::size_t slots() const { return slots_; }
  std::uint64_t param_hash() const { return param_hash_; }
  const std::optional<Seed>& c1_seed() const { return c1_seed_; }
  bool empty() const { return polys_.empty(); }

  void set_scale(double scale);
  void set_slots(std::size_t slots) { slots_ = slots; }
  // Drops primes above `level` (no change of scale); keeps no seed.
  void drop_to_level(std::size_t level);
  // Internal: resize to `size` polynomials (new ones zero).
  void resize(std::size_t size);
  void set_c1_seed(const Seed& seed) { c1_seed_ = seed; }

 private:
  std::vector<RnsPoly> polys_;
  std::size_t level_ = 0;
  double scale_ = 1;
  std::size_t slots_ = 0;
  std::uint64_t param_hash_ = 0;
  std::optional<Seed> c1_seed_;
};

}  // namespace hepex::ckks
