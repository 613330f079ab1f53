#pragma once
// Homomorphic operations on CKKS ciphertexts. Takes only public material (context, relinearization and
// Galois keys): no secret key is needed or accepted.
//
// Policy:
// - Levels: ciphertext-ciphertext operations need equal levels (MismatchError; use drop_to_level or
//   rescale first). A plaintext may sit at the ciphertext's level or above (its upper primes are ignored).
// - Scales: additions need scales equal within a relative tolerance of kScaleTolerance (MismatchError);
//   products multiply scales; rescale() divides the tracked scale by the dropped prime q_l exactly
//   (not by a power of two), so the tracked scale is always the true one.
// - Constants: add_const encodes at the ciphertext's scale; multiply_const at a scale the caller picks (the
//   result's scale is the product); multiply_integer multiplies by an exact integer without scale growth.
// - Slots: operands must have the same slot count; rotations act modulo the slot count.
// - Rotations: left by `step` (negative = right). With no key for a step, it is composed from available
//   keys through the non-adjacent form (signed powers of two) of the step; InvalidArgument names the
//   missing step otherwise.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ckks/ciphertext.hpp"
#include "ckks/compact_plaintext.hpp"
#include "ckks/context.hpp"
#include "ckks/keys.hpp"
#include "ckks/plaintext.hpp"

namespace hepex::ckks {

// One sum of plaintext products, sum_k cts[k] * pts[k] (cts and pts of equal length). A sum of compact
// plaintexts (compact_plaintext.hpp) gives them in `compact` instead, pts empty.
struct ProductSum {
  std::vector<const Ciphertext*> cts;
  std::vector<const Plaintext*> pts;
  std::vector<const CompactPlaintext*> compact;
  // When set: the sum is added into *into in place (the running sum of a layer summed in parts: its level,
  // size and slots those of the products, its scale theirs), and the result for this sum is left empty.
  Ciphertext* into = nullptr;
};

class Evaluator {
 public:
  static constexpr double kScaleTolerance = 1e-9;

  explicit Evaluator(std::shared_ptr<const CkksContext> ctx);
  const CkksContext& context() const { return *ctx_; }

  // --- additive ---
  Ciphertext add(const Ciphertext& a, const Ciphertext& b) const;
  void add_inplace(Ciphertext& a, const Ciphertext& b) const;
  Ciphertext sub(const Ciphertext& a, const Ciphertext& b) const;
  void sub_inplace(Ciphertext& a, const Ciphertext& b) const;
  Ciphertext negate(const Ciphertext& a) const;
  void negate_inplace(Ciphertext& a) const;
  Ciphertext add_plain(const Ciphertext& a, const Plaintext& p) const;
  void add_plain_inplace(Ciphertext& a, const Plaintext& p) const;
  Ciphertext sub_plain(const Ciphertext& a, const Plaintext& p) const;
  void sub_plain_inplace(Ciphertext& a, const Plaintext& p) const;
  // Adds the constant c to every slot (encoded at a's scale).
  Ciphertext add_const(const Ciphertext& a, std::complex<double> c) const;
  void add_const_inplace(Ciphertext& a, std::complex<double> c) const;

  // --- multiplicative ---
  // Size-2 inputs -> size-3 output (decrypts with s^2); relinearize next.
  Ciphertext multiply(const Ciphertext& a, const Ciphertext& b) const;
  Ciphertext relinearize(const Ciphertext& a, const RelinKey& rk) const;
  void relinearize_inplace(Ciphertext& a, const RelinKey& rk) const;
  // multiply + relinearize.
  Ciphertext multiply_relin(const Ciphertext& a, const Ciphertext& b, const RelinKey& rk) const;
  Ciphertext square_relin(const Ciphertext& a, const RelinKey& rk) const { return multiply_relin(a, a, rk); }
  Ciphertext multiply_plain(const Ciphertext& a, const Plaintext& p) const;
  void multiply_plain_inplace(Ciphertext& a, const Plaintext& p) const;
  // Destination form: dest = a * p, reusing dest's buffers when they have the right shape (dest may be a).
  void multiply_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& dest) const;
  // Multiply-accumulate: acc += a * p (acc at a's level and size, scale matching a * p); no product is stored.
  void multiply_plain_accumulate(const Ciphertext& a, const Plaintext& p, Ciphertext& acc) const;
  // The fused kernel of a matrix-vector layer: every sum of `sums` in one call, each equal bit for bit to
  // multiply_plain of its first pair followed by multiply_plain_accumulate of the others (so its scale is
  // the first product's). No product is stored: the 128-bit sums are reduced once per coefficient, in
  // blocks of coefficients that keep the ciphertext blocks of all terms in cache while every sum reads
  // them, in parallel over limbs and blocks. Each pair is checked as multiply_plain checks it; the
  // ciphertexts of one sum need one level, size and slot count, and their products matching scales
  // (MismatchError). An empty sum yields an empty ciphertext.
  std::vector<Ciphertext> multiply_plain_sums(std::span<const ProductSum> sums) const;
  // Compact plaintexts (compact_plaintext.hpp): the products and sums above, bit for bit those of the
  // expanded plaintext, reading 2p words per limb. Checked as the full forms (level, slots, scale).
  Ciphertext multiply_plain(const Ciphertext& a, const CompactPlaintext& p) const;
  void multiply_plain_inplace(Ciphertext& a, const CompactPlaintext& p) const;
  void add_plain_inplace(Ciphertext& a, const CompactPlaintext& p) const;
  // Every slot times c, c rounded at const_scale; result scale = a.scale() * const_scale.
  Ciphertext multiply_const(const Ciphertext& a, std::complex<double> c, double const_scale) const;
  void multiply_const_inplace(Ciphertext& a, std::complex<double> c, double const_scale) const;
  // Every slot times the integer k, exactly; the scale is unchanged.
  Ciphertext multiply_integer(const Ciphertext& a, long long k) const;
  void multiply_integer_inplace(Ciphertext& a, long long k) const;

  // --- levels ---
  // Divides by the last prime q_l (rounding) and the scale by q_l; level - 1.
  Ciphertext rescale(const Ciphertext& a) const;
  void rescale_inplace(Ciphertext& a) const;
  Ciphertext drop_to_level(const Ciphertext& a, std::size_t level) const;
  void drop_to_level_inplace(Ciphertext& a, std::size_t level) const;

  // --- automorphisms ---
  Ciphertext rotate(const Ciphertext& a, long long step, const GaloisKeys& gk) const;
  void rotate_inplace(Ciphertext& a, long long step, const GaloisKeys& gk) const;
  // a += rotate(a, step), the step of a rotate-and-sum loop, bit for bit add_inplace(a, rotate(a, step)):
  // the rotation is written into a per-thread scratch ciphertext that keeps its buffers between calls.
  void add_rotated_inplace(Ciphertext& a, long long step, const GaloisKeys& gk) const;
  Ciphertext conjugate(const Ciphertext& a, const GaloisKeys& gk) const;
  // Several rotations of one ciphertext sharing one key-switching decomposition of c1 (hoisting).
  // Steps without a direct key fall back to composed rotations.
  std::vector<Ciphertext> rotate_hoisted(const Ciphertext& a, std::span<const long long> steps,
                                         const GaloisKeys& gk) const;
  // sum over steps of rotate(a, step) (a step may repeat, 0 adds a itself): the rotations with direct keys
  // share one decomposition of c1 and one ModDown of their summed key-switching products (key_switch_sum),
  // so the sum costs about one rotation plus an inner product per further step; steps without a direct key
  // are rotated separately and added. Equals the sum of separate rotations up to their rounding.
  Ciphertext rotate_sum(const Ciphertext& a, std::span<const long long> steps, const GaloisKeys& gk) const;
  // sum_{i < count} rotate(a, i * stride) with log2(count) rotations (count a power of two); needs keys
  // (direct or composable) for stride * 2^j, j < log2(count).
  Ciphertext rotate_and_sum(const Ciphertext& a, std::size_t count, long long stride, const GaloisKeys& gk) const;
  // The automorphism X -> X^g with its key (g = galois_element_for_step / conjugation_element).
  Ciphertext apply_galois(const Ciphertext& a, std::uint64_t galois_element, const GaloisKeys& gk) const;

  // The Galois elements a rotation by `step` of a ciphertext with `slots` slots uses with these keys
  // (one when a direct key exists); throws InvalidArgument naming the step when not reachable.
  std::vector<std::uint64_t> rotation_plan(long long step, std::size_t slots, const GaloisKeys& gk) const;

 private:
  void check_ct(const Ciphertext& a, const char* op) const;
  void check_pair(const Ciphertext& a, const Ciphertext& b, const char* op, bool same_scale) const;
  void check_plain(const Ciphertext& a, const Plaintext& p, const char* op, bool same_scale) const;
  void check_compact(const Ciphertext& a, const CompactPlaintext& p, const char* op, bool same_scale) const;
  // NTT values of the constant re + im*X^(n/2) per limb: first/second half of the evaluation indices.
  void constant_ntt(std::size_t level, double re, double im, std::vector<u64>& lo, std::vector<u64>& hi) const;

  std::shared_ptr<const CkksContext> ctx_;
};

}  // namespace hepex::ckks
