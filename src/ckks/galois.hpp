#pragma once
// Galois automorphisms X -> X^g of Z[X]/(X^n + 1) (g odd) and their action on slots:
// g = 5^k mod 2n rotates the slots left by k, g = 2n - 1 conjugates them (see fft.hpp).
//
// In the NTT domain an automorphism is a pure index permutation: with out[i] = a(psi^(2*bitrev(i)+1))
// (ntt.hpp), b(X) = a(X^g) has b_ntt[i] = a_ntt[perm[i]] where perm[i] is the index of the exponent
// (2*bitrev(i)+1)*g mod 2n. No NTT round trip is needed for rotations.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ckks/modarith.hpp"

namespace hepex::ckks {

// 5^step mod 2n for a left rotation by `step` (any sign; taken modulo n/2).
u64 galois_element_for_step(std::size_t n, long long step);
// 2n - 1: complex conjugation of every slot.
inline u64 conjugation_element(std::size_t n) { return 2 * n - 1; }

// perm with automorphism(a)_ntt[i] = a_ntt[perm[i]]; g must be odd and < 2n.
std::vector<std::uint32_t> galois_permutation_ntt(std::size_t n, u64 g);

// Non-adjacent form of x: signed powers of two (+-2^i, no two adjacent non-zero), least significant first.
// The rotation by x is the composition of rotations by these terms.
std::vector<long long> non_adjacent_form(long long x);

}  // namespace hepex::ckks
