#pragma once
// The interface tile tensors compute on. One executor runs unchanged on the real RNS-CKKS backend and on
// the simulator (SimBackend), so every operation mirrors the CKKS evaluator's semantics exactly:
//
//   levels  a ciphertext at level l lives modulo q_0 * ... * q_l; fresh ones are at max_level().
//           rescale divides the scale by q_l (modulus_at(l)) and lowers the level by one; below level 0
//           there is nothing left: rescaling a level-0 ciphertext is an error.
//   scales  add/sub need operands at the same level and the same scale (scales_match); multiplies need
//           the same level and multiply the scales; a plaintext must be at its ciphertext's level or above
//           (its upper primes are ignored; encode at the level of use to store no more than needed).
//   slots   slot_count() real slots; rotate(ct, k) is a LEFT cyclic rotation: out[i] = in[(i + k) mod slots]
//           (k may be negative: a right rotation).
//   size    multiply/square leave a 3-part ciphertext that must be relinearized before it is multiplied
//           or rotated again (add/sub/rescale accept it).
//
// All operations are const and safe to call from several threads at once; handles are values: the in-place
// forms replace their handle's object (a backend may reuse its storage when no other handle shares it,
// never when one does), so no other handle ever sees a change.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "backend/handles.hpp"

namespace hepex::backend {

// Scales are doubles that go through products and divisions by primes; two scales "match" when they agree
// to 1e-9 relative (far tighter than any rescale by a different prime, which differs by > 2^-30).
inline bool scales_match(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b)); }

class Backend {
 public:
  virtual ~Backend() = default;

  // --- parameters
  virtual std::size_t slot_count() const = 0;
  virtual int max_level() const = 0;              // level of a fresh encryption
  virtual double default_scale() const = 0;       // scale of fresh encryptions chosen by the parameters
  virtual double modulus_at(int level) const = 0;  // q_level: what a rescale at that level divides by

  // --- encoding and client side
  // values.size() <= slot_count(); missing slots are zero.
  virtual Plaintext encode(std::span<const double> values, int level, double scale) const = 0;
  virtual std::vector<double> decode(const Plaintext& pt) const = 0;
  virtual Ciphertext encrypt(const Plaintext& pt) const = 0;
  virtual std::vector<double> decrypt(const Ciphertext& ct) const = 0;  // decrypt and decode

  // --- queries
  virtual int level(const Ciphertext& ct) const = 0;
  virtual double scale(const Ciphertext& ct) const = 0;
  virtual int size(const Ciphertext& ct) const = 0;  // number of polynomials: 2, or 3 before relinearize
  virtual int level(const Plaintext& pt) const = 0;
  virtual double scale(const Plaintext& pt) const = 0;
  // Bytes the object occupies in RNS-CKKS: polynomials x (level+1) limbs x N coefficients x 8.
  virtual std::size_t byte_size(const Ciphertext& ct) const = 0;
  virtual std::size_t byte_size(const Plaintext& pt) const = 0;

  // --- evaluation
  virtual Ciphertext add(const Ciphertext& a, const Ciphertext& b) const = 0;
  virtual Ciphertext add_plain(const Ciphertext& a, const Plaintext& b) const = 0;
  virtual Ciphertext sub(const Ciphertext& a, const Ciphertext& b) const = 0;
  virtual Ciphertext sub_plain(const Ciphertext& a, const Plaintext& b) const = 0;
  virtual Ciphertext multiply_plain(const Ciphertext& a, const Plaintext& b) const = 0;
  virtual Ciphertext multiply(const Ciphertext& a, const Ciphertext& b) const = 0;  // 3 parts
  virtual Ciphertext square(const Ciphertext& a) const = 0;                         // 3 parts
  virtual Ciphertext relinearize(const Ciphertext& a) const = 0;
  // a * value, with value encoded as round(value * const_scale): the scale becomes scale(a) * const_scale.
  virtual Ciphertext multiply_const(const Ciphertext& a, double value, double const_scale) const = 0;
  virtual Ciphertext rescale(const Ciphertext& a) const = 0;
  virtual Ciphertext drop_to_level(const Ciphertext& a, int level) const = 0;  // level <= level(a)
  virtual Ciphertext rotate(const Ciphertext& a, int step) const = 0;
  // Hoisted: one decomposition of a shared by all rotations; out[i] = rotate(a, steps[i]).
  virtual std::vector<Ciphertext> rotate_many(const Ciphertext& a, std::span<const int> steps) const = 0;
  // sum over steps of rotate(a, step) (0 adds a itself), counted as rotate_many(a, steps) and
  // steps.size() - 1 adds. This default rotates hoisted and adds; the CKKS backend also shares the ModDown
  // of the key switches (Evaluator::rotate_sum).
  virtual Ciphertext rotate_sum(const Ciphertext& a, std::span<const int> steps) const;

  // The fused kernel of a matrix-vector layer. cts and pts hold `terms` pairs per output, output j's at
  // [j * terms, (j + 1) * terms): out[j] = sum over its pairs, in order, of multiply_plain(ct, pt), pairs
  // with an empty handle skipped (an output with none is empty). Equal to that per-tile path (multiply_plain
  // of the first pair, then add of each further product) and counted as it: one multiply_plain per pair,
  // one add per pair after the first; the products of one output need one level, size and scale.
  virtual std::vector<Ciphertext> multiply_plain_sums(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                                      std::size_t terms) const = 0;
  // sums[j] += out[j] of multiply_plain_sums (an empty sums[j] takes it; no pair leaves it as it is): the
  // values and counts of multiply_plain_sums followed by add_inplace, for a running sum over parts of a
  // layer's inputs; a backend may add in place without holding both (default: exactly that sequence).
  virtual void add_plain_product_sums(std::span<Ciphertext> sums, std::span<const Ciphertext> cts,
                                      std::span<const Plaintext> pts, std::size_t terms) const;

  // --- in place: a = op(a, ...), with the checks, errors and counts of the out-of-place operation.
  virtual void add_inplace(Ciphertext& a, const Ciphertext& b) const { a = add(a, b); }
  virtual void add_plain_inplace(Ciphertext& a, const Plaintext& b) const { a = add_plain(a, b); }
  virtual void multiply_plain_inplace(Ciphertext& a, const Plaintext& b) const { a = multiply_plain(a, b); }
  virtual void rescale_inplace(Ciphertext& a) const { a = rescale(a); }
  // a = add(a, rotate(a, step)): one step of a rotate-and-sum, counted as that rotation and that add.
  virtual void add_rotated_inplace(Ciphertext& a, int step) const { add_inplace(a, rotate(a, step)); }
};

// Plaintexts whose slots repeat with a short period are held compact (ckks/compact_plaintext.hpp): 2p words
// per limb instead of N. Both backends apply this one rule, so the
// simulator's byte counts are the engine's. The period a plaintext of `values` (zero-padded to `slots`) is
// held with, or 0 when it is held in full (its smallest period exceeds slots / 4: compaction would not pay).
std::size_t compact_period(std::span<const double> values, std::size_t slots);
// Bytes of a compact plaintext at `level`: (level + 1) limbs x 2 period words.
inline std::size_t compact_plaintext_bytes(int level, std::size_t period) {
  return static_cast<std::size_t>(level + 1) * 2 * period * 8;
}

// The pairs multiply_plain_sums multiplies (both handles present), per output; InvalidArgument when the
// spans differ in length or `terms` does not divide it (`who` names the caller).
std::vector<std::size_t> product_sum_pairs(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                           std::size_t terms, const char* who);

}  // namespace hepex::backend
