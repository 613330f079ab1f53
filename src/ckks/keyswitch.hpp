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
// to the same kind of small e*Q_d term. A single key switch uses key_switch(), which never materializes it.
//
// Scratch memory: these functions keep per-thread buffers (a few times the size of the extended
// polynomial) between calls instead of allocating and page-faulting tens of MB at N = 2^15 every time.
#include <cstddef>
#include <cstdint>
#include <span>
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

// What the key-switching outputs do with the result: overwrite (resized to level+1 limbs if needed) or
// add to what is there (already level+1 limbs).
enum class KeySwitchOutput { kOverwrite, kAdd };

// The same as switch_key, writing or adding (d0, d1) per `mode0` / `mode1`.
void switch_key(const CkksContext& ctx, const KeySwitchDigits& digits, const KeySwitchKey& key,
                const std::vector<std::uint32_t>* perm, RnsPoly& d0, KeySwitchOutput mode0, RnsPoly& d1,
                KeySwitchOutput mode1);

// switch_key(decompose_for_key_switch(c, level), key, perm, ...) in one pass, bit for bit the same result:
// one output limb at a time, each digit is converted, transformed and consumed at once, so the
// (digits x limbs) decomposition is never materialized (what a single relinearization or rotation needs).
void key_switch(const CkksContext& ctx, const RnsPoly& c, std::size_t level, const KeySwitchKey& key,
                const std::vector<std::uint32_t>* perm, RnsPoly& d0, KeySwitchOutput mode0, RnsPoly& d1,
                KeySwitchOutput mode1);

// One term of a sum of key switches of the same polynomial: its key and NTT-domain automorphism (nullptr:
// identity).
struct KeySwitchTerm {
  const KeySwitchKey* key = nullptr;
  const std::vector<std::uint32_t>* perm = nullptr;
};

// The sum over `terms` of key_switch(c, level, term.key, term.perm) with both ends shared ("double
// hoisting"): c is decomposed once, each term adds its inner product over Q_l * P, and one ModDown brings
// the sum down. So a sum of rotations of one ciphertext costs one decomposition and one ModDown however
// many terms it has; the result equals the sum of separate switches up to their rounding (one rounding
// of the sum instead of one per term). One term: bit for bit key_switch.
void key_switch_sum(const CkksContext& ctx, const RnsPoly& c, std::size_t level, std::span<const KeySwitchTerm> terms,
                    RnsPoly& d0, KeySwitchOutput mode0, RnsPoly& d1, KeySwitchOutput mode1);

// ModDown: x over ext_primes(level) (NTT) -> round(x / P) over primes 0..level (NTT).
void mod_down(const CkksContext& ctx, std::size_t level, const RnsPoly& x, RnsPoly& out);
// The same on raw limbs (x: ext_primes(level).size() limbs), writing or adding the result.
void mod_down(const CkksContext& ctx, std::size_t level, const u64* x, RnsPoly& out, KeySwitchOutput mode);

}  // namespace hepex::ckks
