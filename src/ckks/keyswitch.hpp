#pragma once
// Hybrid key switching (GHS ModUp/ModDown with dnum digits).
//
// decompose(c): c (NTT, level l) is split into its digits [c]_{Q_d}; each digit is raised (fast base
//   conversion, "ModUp") to all of Q_l * P and brought to the NTT domain. Exact on the digit's own primes;
//   elsewhere it is [c]_{Q_d} + e*Q_d with small e, which the key's gadget structure annihilates.
// switch_key(digits, key, perm): (d0, d1) = ModDown( sum_d perm(D_d) * (b_d, a_d) ) so that
//   d0 + d1 s = automorphism_perm(c) * s' + small noise (s' the key's source secret).
// The decomposition is the expensive part and does not depend on the key or the automorphism, so many
// rotations of one ciphertext can share it ("hoisting", Halevi-Shoup): automorphisms commute with ModUp up
// to the same kind of small e*Q_d term.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ckks/context.hpp"
#include "ckks/keys.hpp"
#include "ckks/poly.hpp"

namespace hepex::ckks {

struct KeySwitchDigits {
  std::size_t level = 0;
  std::size_t count = 0;  // digits at this level
  RnsPoly data;           // count blocks of ext_primes(level).size() limbs, NTT form
};

// c: level+1 limbs in NTT form.
KeySwitchDigits decompose_for_key_switch(const CkksContext& ctx, const RnsPoly& c, std::size_t level);

// Writes (d0, d1) (level+1 limbs each, NTT form). perm: NTT-domain automorphism applied to the digits
// (nullptr: identity).
void switch_key(const CkksContext& ctx, const KeySwitchDigits& digits, const KeySwitchKey& key,
                const std::vector<std::uint32_t>* perm, RnsPoly& d0, RnsPoly& d1);

// ModDown: x over ext_primes(level) (NTT) -> round(x / P) over primes 0..level (NTT).
void mod_down(const CkksContext& ctx, std::size_t level, const RnsPoly& x, RnsPoly& out);

}  // namespace hepex::ckks
