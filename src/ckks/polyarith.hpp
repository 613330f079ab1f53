#pragma once
// Limb-wise arithmetic on RNS polynomials. `primes` lists the global prime index (context.hpp) of every
// limb; pointers address limb-major data of primes.size() limbs of n words. Every loop runs in parallel
// over limbs (OpenMP) and is exact modular arithmetic, so results do not depend on the thread count.
// Outputs may alias inputs.
#include <algorithm>
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

// a*b mod q for a, b < q (any q < 2^61) with one classic Barrett quotient estimate: 3 multiplications
// where Modulus's full 128-bit reduction (reduce_u128, any 128-bit input) needs 5. For x = a*b < 2^(2k)
// (k the bit length of q): t = floor(x / 2^(k-1)), qhat = floor(t * mu / 2^(k+1)) with
// mu = floor((2^(2k) - 1) / q) is at most 2 below floor(x/q), so x - qhat*q < 3q < 2^63 (mu < 2^(k+1):
// the -1 only matters for a power-of-two q, whose estimate it leaves within 1). The shifts are
// 64-bit (no 128-bit variable shift) and mu is stored pre-shifted so that qhat is one high product word;
// the corrections are branch-free (min(r, r - q) is r - q exactly when r >= q).
struct BarrettProduct {
  u64 q, mu_shifted;
  int k;
  explicit BarrettProduct(const Modulus& m)
      : q(m.value), mu_shifted(static_cast<u64>(((u128{1} << (2 * m.bits)) - 1) / m.value) << (63 - m.bits)),
        k(m.bits) {}
  u64 operator()(u64 a, u64 b) const {
    const u128 x = static_cast<u128>(a) * b;
    const u64 lo = static_cast<u64>(x), hi = static_cast<u64>(x >> 64);
    const u64 t = (hi << (65 - k)) | (lo >> (k - 1));
    const u64 qhat = static_cast<u64>((static_cast<u128>(t) * mu_shifted) >> 64);
    u64 r = lo - qhat * q;
    r = std::min(r, r - q);
    return std::min(r, r - q);
  }
};

void add(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
// out[i] = a[i] + b[i] mod q for i < n (residues below q; out may alias a or b): one limb, or a block of it.
void add_row(const u64* a, const u64* b, u64* out, std::size_t n, u64 q);
void sub(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
void negate(const CkksContext& ctx, Primes primes, const u64* a, u64* out);
// Pointwise product (NTT domain).
void multiply(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
// out += a * b (pointwise).
void multiply_add(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
// out -= a * b (pointwise).
void multiply_sub(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out);
// The kernel of a fused sum of products (Evaluator::multiply_plain_sums), on one limb and one block of
// coefficients [offset, offset + len), len <= kDotBlockMax, for `parts` <= 3 ciphertext parts sharing one
// plaintext per term:
//   out[p][i] = sum_k a[k * parts + p][offset + i] * b[k][offset + i]  mod q,   p < parts, i < len.
// The products are accumulated unreduced in 128 bits and reduced once per coefficient (folded back below q
// every dot_fold_terms(q) terms, so the sum never overflows): exact, hence equal to reducing every product
// and adding modulo q. Scalar and branch-free in the inner loop (two mulx and four add/adc per coefficient
// and part); the accumulators (16 bytes per coefficient and part) live on the stack, in L1/L2. Below
// avx2::kNarrowModulusBound (AVX2 builds) the products are 32x32-bit lane multiplies summed in 64-bit lanes
// (avx2::NarrowPairSum): the same result. Residues of a and b must be below q.
inline constexpr std::size_t kDotBlockMax = 2048;
void dot_product_block(const Modulus& m, std::size_t parts, std::span<const u64* const> a,
                       std::span<const u64* const> b, std::size_t offset, std::size_t len, u64* const* out);
// The same kernel for compact plaintexts (compact_plaintext.hpp): b[k] points at term k's words of this
// limb, one per run of 2^shift coefficients; coefficient `first` + i of the limb (a[...] + a_offset + i)
// meets word (first + i) >> shift.
void dot_product_block_runs(const Modulus& m, std::size_t parts, std::span<const u64* const> a,
                            std::span<const u64* const> b, std::size_t a_offset, std::size_t first, std::size_t len,
                            int shift, u64* const* out);
// How many products of residues below q a 128-bit sum that starts below q can take without overflowing.
std::size_t dot_fold_terms(u64 q);
// The tensor product of (a0, a1) and (b0, b1): out0 = a0 b0, out1 = a0 b1 + a1 b0, out2 = a1 b1, in one pass.
void multiply_tensor(const CkksContext& ctx, Primes primes, const u64* a0, const u64* a1, const u64* b0,
                     const u64* b1, u64* out0, u64* out1, u64* out2);
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
