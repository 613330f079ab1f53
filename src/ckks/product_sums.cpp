// Evaluator::multiply_plain_sums: the fused matrix-vector kernel (one call per layer of plaintext products).
#include <algorithm>
#include <cmath>
#include <string>

#include "ckks/evaluator.hpp"
#include "ckks/polyarith.hpp"
#include "util/error.hpp"

namespace hepex::ckks {
namespace {

// Coefficients per block: kDotBlockMax (16 KiB of every plaintext limb per visit). A layer's plaintexts
// are gigabytes read once, so what bounds the kernel is reaching them: short blocks (which would keep the
// shared ciphertext blocks in L2 rather than L3) start a new page and a new DRAM stream every few hundred
// bytes, and pay a TLB walk (two-dimensional in a virtual machine) each time. The demo's top layer (6272
// products, 9 limbs, 2 threads, loaded machine, single runs): blocks of 64 coefficients 39.7 s, 512 11.9 s,
// 1024 9.2 s, 2048 6.6 s, 4096 9.9 s.
std::size_t block_size(std::size_t n) { return std::min(n, poly::kDotBlockMax); }

// A sum ready for the kernel: pointers to the first limb of every term's parts and plaintext.
struct Terms {
  std::size_t limbs = 0, parts = 0;
  std::vector<const u64*> a;  // terms x parts
  std::vector<const u64*> b;  // terms: limb 0 of each plaintext (full), or its words of limb 0 (compact)
  u64* out[3] = {};           // the output parts
  bool accumulate = false;    // out holds a running sum: the block's dot products are added to it
  int shift = -1;             // compact terms: log2 of the run a word covers (-1: full plaintexts)
  std::size_t b_stride = 0;   // words between limbs of a compact plaintext
};

std::string sum_text(std::size_t s, std::size_t k) {
  return "evaluator multiply_plain_sums: sum " + std::to_string(s) + ", term " + std::to_string(k) + ": ";
}

}  // namespace

std::vector<Ciphertext> Evaluator::multiply_plain_sums(std::span<const ProductSum> sums) const {
  const CkksContext& ctx = *ctx_;
  const std::size_t n = ctx.n();
  std::vector<Ciphertext> out(sums.size());
  std::vector<Terms> terms(sums.size());
  std::size_t max_limbs = 0;
  for (std::size_t s = 0; s < sums.size(); ++s) {
    const ProductSum& sum = sums[s];
    const bool compact = !sum.compact.empty();
    const std::size_t plains = compact ? sum.compact.size() : sum.pts.size();
    if (sum.cts.size() != plains || (compact && !sum.pts.empty()))
      throw InvalidArgument("evaluator multiply_plain_sums: sum " + std::to_string(s) + " has " +
                            std::to_string(sum.cts.size()) + " ciphertexts, " + std::to_string(sum.pts.size()) +
                            " plaintexts and " + std::to_string(sum.compact.size()) +
                            " compact plaintexts (one kind of plaintext per term)");
    if (sum.cts.empty()) continue;
    const Ciphertext& first = *sum.cts[0];
    auto plain_scale = [&](std::size_t k) { return compact ? sum.compact[k]->scale() : sum.pts[k]->scale(); };
    const double scale = first.scale() * plain_scale(0);
    Terms& t = terms[s];
    for (std::size_t k = 0; k < sum.cts.size(); ++k) {
      const Ciphertext& c = *sum.cts[k];
      if (compact) {
        const CompactPlaintext& p = *sum.compact[k];
        check_compact(c, p, "multiply_plain_sums", false);
        if (k == 0) t.shift = p.block_shift();
        if (p.block_shift() != t.shift)
          throw MismatchError(sum_text(s, k) + "compact plaintext of period " + std::to_string(p.period()) +
                              " among plaintexts of another period");
      } else {
        check_plain(c, *sum.pts[k], "multiply_plain_sums", false);
      }
      if (c.level() != first.level() || c.size() != first.size() || c.slots() != first.slots())
        throw MismatchError(sum_text(s, k) + "ciphertext at level " + std::to_string(c.level()) + " with " +
                            std::to_string(c.size()) + " polynomials and " + std::to_string(c.slots()) +
                            " slots, the first term's at level " + std::to_string(first.level()) + " with " +
                            std::to_string(first.size()) + " and " + std::to_string(first.slots()));
      const double product = c.scale() * plain_scale(k);
      if (std::fabs(product - scale) > kScaleTolerance * std::max(product, scale))
        throw MismatchError(sum_text(s, k) + "product scale 2^" + std::to_string(std::log2(product)) +
                            " differs from the first product's 2^" + std::to_string(std::log2(scale)));
    }
    t.limbs = first.level() + 1;
    t.parts = first.size();
    if (t.parts > 3)
      throw InvalidArgument("evaluator multiply_plain_sums: sum " + std::to_string(s) + " has ciphertexts of " +
                            std::to_string(t.parts) + " polynomials (at most 3)");
    for (std::size_t k = 0; k < sum.cts.size(); ++k) {
      for (std::size_t p = 0; p < t.parts; ++p) t.a.push_back(sum.cts[k]->poly(p).data());
      t.b.push_back(compact ? sum.compact[k]->values(0) : sum.pts[k]->poly().data());
    }
    if (compact) t.b_stride = sum.compact[0]->words_per_limb();
    if (sum.into) {
      Ciphertext& into = *sum.into;
      if (into.level() != first.level() || into.size() != first.size() || into.slots() != first.slots() ||
          std::fabs(into.scale() - scale) > kScaleTolerance * std::max(into.scale(), scale))
        throw MismatchError("evaluator multiply_plain_sums: sum " + std::to_string(s) + " is added into a ciphertext at level " +
                            std::to_string(into.level()) + " with " + std::to_string(into.size()) + " polynomials, scale 2^" +
                            std::to_string(std::log2(into.scale())) + "; the products are at level " +
                            std::to_string(first.level()) + " with " + std::to_string(first.size()) + ", scale 2^" +
                            std::to_string(std::log2(scale)));
      auto& polys = into.mutable_polys();
      for (std::size_t p = 0; p < t.parts; ++p) t.out[p] = polys[p].data();
      t.accumulate = true;
    } else {
      out[s] = Ciphertext(ctx, 0, first.level(), scale, first.slots());
      auto& polys = out[s].mutable_polys();
      for (std::size_t p = 0; p < t.parts; ++p) {
        polys.push_back(RnsPoly::uninitialized(n, t.limbs));
        t.out[p] = polys.back().data();
      }
    }
    max_limbs = std::max(max_limbs, t.limbs);
  }

  // Work items are (limb, block) pairs; each runs every sum over its block, so the ciphertext blocks the
  // sums share (one layer's input tiles) are read from memory once and from cache (L2 or L3) by the others.
  const std::size_t block = block_size(n), blocks = n / block;
  const auto items = static_cast<std::ptrdiff_t>(max_limbs * blocks);
#pragma omp parallel for schedule(static) if (items > 1)
  for (std::ptrdiff_t item = 0; item < items; ++item) {
    const std::size_t j = static_cast<std::size_t>(item) / blocks, offset = j * n + (item % blocks) * block;
    const Modulus& m = ctx.modulus(j);  // level primes are the first limbs of the chain
    for (std::size_t s = 0; s < terms.size(); ++s) {
      const Terms& t = terms[s];
      if (j >= t.limbs || t.b.empty()) continue;
      u64* dst[3];
      // A running sum gets the block's dot products in a scratch block first (in cache), then added to it.
      thread_local std::vector<u64> scratch;
      if (t.accumulate) scratch.resize(t.parts * block);
      for (std::size_t p = 0; p < t.parts; ++p) dst[p] = t.accumulate ? scratch.data() + p * block : t.out[p] + offset;
      if (t.shift < 0) {
        poly::dot_product_block(m, t.parts, t.a, t.b, offset, block, dst);
      } else {
        // This limb's words of every term (a few hundred bytes in all: they stay in L1).
        thread_local std::vector<const u64*> words;
        words.resize(t.b.size());
        for (std::size_t k = 0; k < words.size(); ++k) words[k] = t.b[k] + j * t.b_stride;
        poly::dot_product_block_runs(m, t.parts, t.a, words, offset, offset - j * n, block, t.shift, dst);
      }
      if (t.accumulate)
        for (std::size_t p = 0; p < t.parts; ++p) poly::add_row(t.out[p] + offset, dst[p], t.out[p] + offset, block, m.value);
    }
  }
  return out;
}

}  // namespace hepex::ckks
