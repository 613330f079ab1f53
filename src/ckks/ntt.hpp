#pragma once
// Negacyclic NTT over Z_q[X]/(X^n + 1), n a power of two, q = 1 mod 2n.
//
// Convention (fixed; the evaluator's Galois permutations rely on it): psi is minimal_primitive_root(2n, q).
// forward() maps coefficients a_0..a_{n-1} (natural order) to evaluations in bit-reversed order:
//     out[i] = a(psi^(2*bitrev(i, log2 n) + 1)),
// so pointwise products of forward transforms are products in the ring, and inverse() undoes forward()
// (including the 1/n factor). Cooley-Tukey forward / Gentleman-Sande inverse with Harvey butterflies,
// precomputed Shoup twiddles and lazy reduction.
#include <cstddef>
#include <vector>

#include "ckks/modarith.hpp"
#include "ckks/ntt32.hpp"

namespace hepex::ckks {

class NttTables {
 public:
  NttTables(std::size_t n, const Modulus& q);

  std::size_t n() const { return n_; }
  int log_n() const { return log_n_; }
  const Modulus& modulus() const { return q_; }
  u64 psi() const { return psi_; }

  // In place. Input in [0, q) (any value < 4q is accepted by the lazy variants); output in [0, q).
  void forward(u64* a) const;
  void inverse(u64* a) const;
  // Lazy variants: input < 4q, output < 4q (forward) / < 2q (inverse); for chains that reduce later.
  void forward_lazy(u64* a) const;
  void inverse_lazy(u64* a) const;
  // The forward transform of b (len coefficients, len a power of two <= n) where a = b(X^(n/len)): out[i] =
  // b(psi^((n/len)(2 bitrev(i, log2 len) + 1))), the value a takes on the i-th block of n/len evaluations
  // of forward(a). Its twiddles are the first len of this table (bitrev over log2 n of k < len is n/len times
  // bitrev over log2 len). Input in [0, q); output in [0, q).
  void forward_subring(u64* b, std::size_t len) const;

 private:
  std::size_t n_;
  int log_n_;
  Modulus q_;
  u64 psi_;
  // Twiddles in the order the butterflies consume them, with their Shoup companions.
  std::vector<u64> fwd_, fwd_shoup_, inv_, inv_shoup_;
  u64 n_inv_, n_inv_shoup_;              // 1/n
  u64 n_inv_w_, n_inv_w_shoup_;          // 1/n times the last inverse twiddle (merged final stage)
  // The same narrowed to 32 bits where the 32-bit-lane kernels apply (ntt32.hpp), else empty; as doubles
  // (bit patterns) where the double-precision ones do (2^31 <= q < 2^51), else empty.
  ntt32::Tables narrow_;
  std::vector<u64> fwd_fp_, inv_fp_;
  void forward_any(u64* a, int log_n, bool reduce_output) const;
  void inverse_any(u64* a, bool reduce_output) const;
};

// Bit reversal of the low `bits` bits of x.
inline std::size_t bit_reverse(std::size_t x, int bits) {
  std::size_t r = 0;
  for (int i = 0; i < bits; ++i) r |= ((x >> i) & 1) << (bits - 1 - i);
  return r;
}

}  // namespace hepex::ckks
