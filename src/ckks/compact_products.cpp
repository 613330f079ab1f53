// Evaluator operations on compact plaintexts (compact_plaintext.hpp): every coefficient of block B of a
// limb meets the block's one word.
#include <cstddef>

#include "ckks/evaluator.hpp"
#include "ckks/modarith.hpp"

namespace hepex::ckks {
namespace {

// f(limb j, modulus, the limb's words, block length) over the limbs of `level`, in parallel.
template <class F>
void for_each_compact_limb(const CkksContext& ctx, const CompactPlaintext& p, std::size_t level, F&& f) {
  const std::size_t gap = std::size_t{1} << p.block_shift();
#pragma omp parallel for schedule(static) if (level > 0)
  for (std::ptrdiff_t jj = 0; jj <= static_cast<std::ptrdiff_t>(level); ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    f(j, ctx.modulus(j), p.values(j), gap);
  }
}

}  // namespace

void Evaluator::multiply_plain_inplace(Ciphertext& a, const CompactPlaintext& p) const {
  check_compact(a, p, "multiply_plain", false);
  const std::size_t n = ctx_->n();
  auto& polys = a.mutable_polys();
  for_each_compact_limb(*ctx_, p, a.level(), [&](std::size_t j, const Modulus& m, const u64* w, std::size_t gap) {
    for (std::size_t blk = 0; blk < p.words_per_limb(); ++blk) {
      const u64 ws = shoup_precompute(w[blk], m.value);  // once per block of gap coefficients
      for (auto& poly : polys) {
        u64* x = poly.data() + j * n + blk * gap;
        for (std::size_t i = 0; i < gap; ++i) x[i] = mul_shoup(x[i], w[blk], ws, m.value);
      }
    }
  });
  a.set_scale(a.scale() * p.scale());
}

Ciphertext Evaluator::multiply_plain(const Ciphertext& a, const CompactPlaintext& p) const {
  Ciphertext r = a;
  multiply_plain_inplace(r, p);
  return r;
}

void Evaluator::add_plain_inplace(Ciphertext& a, const CompactPlaintext& p) const {
  check_compact(a, p, "add_plain", true);
  u64* c0 = a.mutable_polys()[0].data();
  const std::size_t n = ctx_->n();
  for_each_compact_limb(*ctx_, p, a.level(), [&](std::size_t j, const Modulus& m, const u64* w, std::size_t gap) {
    u64* x = c0 + j * n;
    for (std::size_t blk = 0; blk < p.words_per_limb(); ++blk, x += gap)
      for (std::size_t i = 0; i < gap; ++i) x[i] = add_mod(x[i], w[blk], m.value);
  });
}

}  // namespace hepex::ckks
