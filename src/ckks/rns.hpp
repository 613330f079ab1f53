#pragma once
// RNS bases and fast base conversion.
//
// Polynomials in RNS form are stored limb-major: limb j (coefficients modulo moduli[j]) occupies
// data[j*n .. j*n + n). BaseConverter implements the fast (approximate) base conversion of
// Bajard et al. / Halevi-Polyakov-Shoup used by hybrid key switching (ModUp / ModDown):
//     y_k = sum_i [x_i * (Q/q_i)^{-1}]_{q_i} * (Q/q_i)  mod p_k,
// which equals (x + e*Q) mod p_k for some integer 0 <= e < (number of source moduli).
#include <cstddef>
#include <vector>

#include "ckks/modarith.hpp"

namespace hepex::ckks {

class RnsBase {
 public:
  explicit RnsBase(std::vector<u64> moduli);  // distinct, pairwise coprime; throws otherwise

  std::size_t size() const { return moduli_.size(); }
  const Modulus& operator[](std::size_t i) const { return moduli_[i]; }
  const std::vector<Modulus>& moduli() const { return moduli_; }
  std::vector<u64> values() const;

  // (Q/q_i)^{-1} mod q_i and its Shoup companion.
  const std::vector<u64>& punctured_inv() const { return punctured_inv_; }
  const std::vector<u64>& punctured_inv_shoup() const { return punctured_inv_shoup_; }

 private:
  std::vector<Modulus> moduli_;
  std::vector<u64> punctured_inv_, punctured_inv_shoup_;
};

class BaseConverter {
 public:
  BaseConverter(RnsBase from, RnsBase to);

  const RnsBase& from() const { return from_; }
  const RnsBase& to() const { return to_; }

  // in: from().size() limbs of n coefficients (limb-major, each < its modulus);
  // out: to().size() limbs of n coefficients, each < its modulus. in and out must not overlap.
  void convert(const u64* in, u64* out, std::size_t n) const;

  // The same conversion in two steps, for callers that want one target limb at a time (key switching
  // converts, transforms and consumes one limb before the next): premultiply() writes
  // y_i = [x_i * (Q/q_i)^{-1}]_{q_i} (from().size() limbs), convert_premultiplied() the target limb
  // sum_i y_i * (Q/q_i) mod to()[target]. Together they give exactly convert()'s output.
  // With `overflow` (from overflows()), the target limb of the exact conversion (convert_exact's).
  void premultiply(const u64* in, u64* y, std::size_t n) const;
  void convert_premultiplied(const u64* y, std::size_t target, u64* out, std::size_t n,
                             const u64* overflow = nullptr) const;
  // e[c] = the multiple of Q the fast conversion of premultiplied y adds to coefficient c (see convert_exact).
  void overflows(const u64* y, u64* e, std::size_t n) const;

  // The exact conversion: x mod p_k for the x in [0, Q) the residues stand for. The fast conversion's
  // e = floor(sum_i y_i / q_i) is computed in double precision and e * Q subtracted. Exact unless x / Q lies
  // within ~2^-50 of 0 or 1, where the result may stand for x + Q or x - Q: a rounding tie for both users
  // (ModDown adds floor(P/2) first, ModUp centers its digits), so either answer is right there.
  // Key switching needs it: e >= 0 has mean about (l - 1) / 2, so ModDown after the fast conversion
  // subtracts a bias from every coefficient, and a ModUp digit carries e * Q_d into the key's noise; a bias
  // in every coefficient sums, over the ring, into the slots whose roots lie near +-1 (errors there 10-100x
  // the others').
  void convert_exact(const u64* in, u64* out, std::size_t n) const;

 private:
  u64 overflow_at(const u64* y, std::size_t stride) const;  // y_i at y[i * stride]
  void convert_blocks(const u64* in, u64* out, std::size_t n, bool exact) const;  // convert / convert_exact

  RnsBase from_, to_;
  std::vector<u64> punctured_mod_to_;  // [(Q/q_i) mod p_k], indexed k * from.size() + i
  std::vector<u64> multiples_of_q_to_;  // [e * Q mod p_k] for e in [0, from.size()], indexed k * (from.size() + 1) + e
  std::vector<double> inverse_from_;    // 1 / q_i
};

// out[i] = in[i] mod m for inputs below `bound` (cheaper when bound is at most a few times m).
void reduce_row(const u64* in, u64* out, std::size_t n, u64 bound, const Modulus& m);
// out[i] = the centered representative of in[i] (a residue modulo the odd `from`, in (-from/2, from/2))
// reduced modulo m: the exact base conversion of a one-prime RNS value.
void centered_reduce_row(const u64* in, u64* out, std::size_t n, u64 from, const Modulus& m);

// Exact CRT reconstruction of residues into the centered representative in (-Q/2, Q/2], as a double.
// Used by decoding: the value is exact up to the final rounding to double.
class CrtComposer {
 public:
  explicit CrtComposer(RnsBase base);
  const RnsBase& base() const { return base_; }
  // residues[j * stride] is the residue modulo base[j].
  double compose_centered(const u64* residues, std::size_t stride) const;

 private:
  RnsBase base_;
  std::vector<u64> q_words_;                   // Q as little-endian 64-bit words
  std::vector<u64> half_q_words_;              // floor(Q/2)
  std::vector<std::vector<u64>> punctured_;    // Q/q_i as words
};

}  // namespace hepex::ckks
