#include "ckks/compact_plaintext.hpp"

#include <cmath>
#include <complex>
#include <string>

#include "ckks/encoder.hpp"
#include "ckks/modarith.hpp"
#include "ckks/ntt.hpp"
#include "ckks/polyarith.hpp"
#include "util/error.hpp"

namespace hepex::ckks {
namespace {

int log2_exact(std::size_t x) {
  int k = 0;
  while ((std::size_t{1} << k) < x) ++k;
  return k;
}

std::size_t resolve_slots(const CkksContext& ctx, std::size_t slots) {
  if (slots == 0) slots = ctx.n() / 2;
  check_slot_count(ctx, slots, "compact plaintext");
  return slots;
}

void check_period(std::size_t period, std::size_t slots) {
  if (period == 0 || (period & (period - 1)) != 0 || period > slots)
    throw InvalidArgument("compact plaintext: period " + std::to_string(period) +
                          " must be a power of two of at most " + std::to_string(slots) + " slots");
}

}  // namespace

std::size_t slot_period(std::span<const double> values, std::size_t slots) {
  auto at = [&](std::size_t i) { return i < values.size() ? values[i] : 0.0; };
  for (std::size_t p = 1; p < slots; p *= 2) {
    bool repeats = true;
    // Period p: every value equals the one p before it (no division: this runs for every weight plaintext).
    for (std::size_t i = p; i < slots && repeats; ++i) repeats = at(i) == at(i - p);
    if (repeats) return p;
  }
  return slots;
}

CompactPlaintext::CompactPlaintext(const CkksContext& ctx, std::size_t level, double scale, std::size_t slots,
                                   std::size_t period)
    : level_(level), scale_(scale), slots_(slots), period_(period), param_hash_(ctx.param_hash()) {
  if (level > ctx.max_level())
    throw InvalidArgument("compact plaintext: level " + std::to_string(level) + " exceeds the maximum " +
                          std::to_string(ctx.max_level()));
  if (!(scale > 0) || !std::isfinite(scale))
    throw InvalidArgument("compact plaintext: scale must be positive and finite");
  check_period(period, slots);
  block_shift_ = log2_exact(ctx.n() / (2 * period));
  values_.assign((level + 1) * words_per_limb(), 0);
}

CompactPlaintext CompactPlaintext::encode(const CkksContext& ctx, std::span<const double> period, double scale,
                                          std::size_t level, std::size_t slots) {
  slots = resolve_slots(ctx, slots);
  CompactPlaintext pt(ctx, level, scale, slots, period.size());
  const std::size_t p = period.size(), w = pt.words_per_limb();

  // The 2p coefficients of b (a = b(X^gap)): the sparse embedding of one period, as the encoder does it.
  std::vector<std::complex<double>> z(period.begin(), period.end());
  std::vector<double> b(w);
  ctx.fft().embed_inverse_subring(z.data(), p, b.data());
  double max_abs = 0;
  for (std::size_t t = 0; t < w; ++t) {
    b[t] *= scale;
    if (!std::isfinite(b[t])) throw InvalidArgument("encoder: value is not finite (NaN or infinity)");
    max_abs = std::max(max_abs, std::fabs(b[t]));
  }
  check_scaled_fits(ctx, max_abs, level);

  // Block B of limb j: b(omega^e), omega = psi^gap of order 4p, e = 2 bitrev(B) + 1 (see the header): the
  // size-2p transform of b's residues (NttTables::forward_subring).
  for (std::size_t j = 0; j <= level; ++j) {
    const Modulus& m = ctx.modulus(j);
    u64* out = pt.values_.data() + j * w;
    for (std::size_t t = 0; t < w; ++t) out[t] = rounded_residue(b[t], m);
    ctx.ntt(j).forward_subring(out, w);
  }
  return pt;
}

CompactPlaintext CompactPlaintext::from_full(const CkksContext& ctx, const Plaintext& full, std::size_t period) {
  if (full.param_hash() != ctx.param_hash())
    throw MismatchError("compact plaintext: plaintext belongs to other parameters");
  CompactPlaintext pt(ctx, full.level(), full.scale(), full.slots(), period);
  const std::size_t w = pt.words_per_limb(), gap = std::size_t{1} << pt.block_shift_;
  for (std::size_t j = 0; j <= full.level(); ++j) {
    const u64* limb = full.poly().limb(j);
    for (std::size_t blk = 0; blk < w; ++blk) {
      const u64 v = limb[blk * gap];
      for (std::size_t i = 1; i < gap; ++i)
        if (limb[blk * gap + i] != v)
          throw InvalidArgument("compact plaintext: NTT block " + std::to_string(blk) + " of limb " +
                                std::to_string(j) + " is not constant: the slots do not repeat with period " +
                                std::to_string(period));
      pt.values_[j * w + blk] = v;
    }
  }
  return pt;
}

Plaintext CompactPlaintext::expand(const CkksContext& ctx) const {
  if (param_hash_ != ctx.param_hash()) throw MismatchError("compact plaintext: belongs to other parameters");
  const std::size_t n = ctx.n(), w = words_per_limb(), gap = std::size_t{1} << block_shift_;
  RnsPoly poly = RnsPoly::uninitialized(n, level_ + 1);
  for (std::size_t j = 0; j <= level_; ++j)
    for (std::size_t blk = 0; blk < w; ++blk) std::fill_n(poly.limb(j) + blk * gap, gap, values(j)[blk]);
  return Plaintext(ctx, std::move(poly), level_, scale_, slots_);
}

}  // namespace hepex::ckks
