#pragma once
// CompactPlaintext: a plaintext whose slot vector repeats with a period p (a power of two dividing the slot
// count), held in 2p words per limb instead of N.
//
// Why this is exact: a slot vector of period p is fixed by the rotation by p, the automorphism
// X -> X^(5^p); for p = 2^m, 5^p = 1 mod 4p, so its polynomial lies in the subring Z[X^g], g = N / (2p)
// (the encoder's sparse packing with p slots, fft.hpp). In the NTT's bit-reversed order (ntt.hpp) index i
// holds a(psi^(2 bitrev(i) + 1)); for a = b(X^g) that value depends only on (2 bitrev(i) + 1) mod 4p, i.e.
// on the top log2(2p) bits of i: the NTT is constant on 2p consecutive blocks of g values. One word per
// block and limb is the whole plaintext, and a product with a ciphertext reads it from L1 instead of
// streaming N words per limb from memory. (No Shoup companions are stored: the fused sums accumulate in 128
// bits, and a single product derives a block's companion once per N / 2p coefficients.)
//
// Encoding costs O(p log p + limbs p^2): the sparse embedding of one period, then the 2p block values of
// each limb by evaluating the 2p-coefficient polynomial b at psi^(g (2 bitrev(B) + 1)), B < 2p.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ckks/context.hpp"
#include "ckks/plaintext.hpp"

namespace hepex::ckks {

class CompactPlaintext {
 public:
  CompactPlaintext() = default;

  // The plaintext of `slots` slots (0: N/2) whose slot j is period[j mod p], p = period.size(); the same
  // polynomial as CkksEncoder::encode(period, scale, level, p) (checks and errors as the encoder's).
  static CompactPlaintext encode(const CkksContext& ctx, std::span<const double> period, double scale,
                                 std::size_t level, std::size_t slots = 0);
  // The compact form of a full plaintext whose NTT is constant on the blocks of `period` (InvalidArgument
  // naming the first block that is not: its slots do not repeat with that period).
  static CompactPlaintext from_full(const CkksContext& ctx, const Plaintext& full, std::size_t period);
  // The full plaintext (N words per limb) this one stands for.
  Plaintext expand(const CkksContext& ctx) const;

  bool empty() const { return values_.empty(); }
  std::size_t level() const { return level_; }
  double scale() const { return scale_; }
  std::size_t slots() const { return slots_; }   // the slot count of the ciphertexts it multiplies
  std::size_t period() const { return period_; }
  std::size_t words_per_limb() const { return 2 * period_; }
  int block_shift() const { return block_shift_; }  // log2 of the block length g = N / (2 period)
  std::uint64_t param_hash() const { return param_hash_; }
  // Limb j's block values (words_per_limb() of them).
  const u64* values(std::size_t limb) const { return values_.data() + limb * words_per_limb(); }
  std::size_t byte_size() const { return values_.size() * sizeof(u64); }

 private:
  CompactPlaintext(const CkksContext& ctx, std::size_t level, double scale, std::size_t slots, std::size_t period);
  std::vector<u64> values_;  // (level + 1) x 2 period
  std::size_t level_ = 0;
  double scale_ = 1;
  std::size_t slots_ = 0, period_ = 0;
  int block_shift_ = 0;
  std::uint64_t param_hash_ = 0;
};

// The smallest power-of-two period of `values` zero-padded to `slots` (a power of two), or `slots` when
// the vector does not repeat.
std::size_t slot_period(std::span<const double> values, std::size_t slots);

}  // namespace hepex::ckks
