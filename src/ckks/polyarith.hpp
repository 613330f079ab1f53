#pragma once
// Limb-wise arithmetic on RNS polynomials. `primes` lists the global prime index (context.hpp) of every
// limb; pointers address limb-major data of primes.size() limbs of n words. Every loop runs in parallel
// over limbs (OpenMP) and is exact modular arithmetic, so results do not depend on the thread count.
// Outputs may alias inputs.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <string>

#include "ckks/context.hpp"
#include "ckks/poly.hpp"
#include "util/csprng.hpp"

namespace hepex::ckks::poly {

using Primes = std::span<const std::size_t>;

void add(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
void sub(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
void negate(const CkksContext& ctx, Primes primes, const u64* a, u64* out);
// Pointwise product (NTT domain).
void multiply(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
// out += a * b (pointwise).
void multiply_add(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
// out = a * c_j on limb j (c_j < q_j).
void multiply_scalar(const CkksContext& ctx, Primes primes, const u64* a, const std::vector<u64>& c, u64* out);
// out = a + c_j on limb j (a constant polynomial in the NTT domain adds c_j to every evaluation).
void add_scalar(const CkksContext& ctx, Primes primes, const u64* a, const std::vector<u64>& c, u64* out);
void ntt_forward(const CkksContext& ctx, Primes primes, u64* a);
void ntt_inverse(const CkksContext& ctx, Primes primes, u64* a);
// out[j*n + i] = in[j*n + perm[i]] (an automorphism in the NTT domain); out must not alias in.
void permute(const std::vector<std::uint32_t>& perm, std::size_t limbs, const u64* in, u64* out);

// A signed integer reduced modulo every prime of the list.
std::vector<u64> signed_residues(const CkksContext& ctx, Primes primes, long long v);

}  // namespace hepex::ckks::poly

namespace hepex::ckks {
// Validation of polynomials received from outside (deserialized objects); `what` names the object.
// Shape: n coefficients per limb and the expected limb count. Residues: every word below its modulus.
void check_poly_shape(const CkksContext& ctx, const RnsPoly& p, std::size_t limbs, const std::string& what);
void check_poly_residues(const CkksContext& ctx, const RnsPoly& p, std::span<const std::size_t> primes,
                         const std::string& what);
// Slot counts are powers of two in [1, n/2].
void check_slot_count(const CkksContext& ctx, std::size_t slots, const std::string& what);
// The uniform polynomials regenerated from a seed: `count` polynomials over `primes`, drawn in order from
// one Csprng(seed) stream, read directly as NTT-domain values.
std::vector<RnsPoly> expand_uniform(const CkksContext& ctx, const Seed& seed, std::span<const std::size_t> primes,
                                    std::size_t count);
}  // namespace hepex::ckks
