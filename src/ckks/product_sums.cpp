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
  std::vector<const u64*> b;  // terms
  u64* out[3] = {};           // the output parts
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
    if (sum.cts.size() != sum.pts.size())
      throw InvalidArgument("evaluator multiply_plain_sums: sum " + std::to_string(s) + " has " +
                            std::to_string(sum.cts.size()) + " ciphertexts and " + std::to_string(sum.pts.size()) +
                            " plaintexts");
    if (sum.cts.empty()) continue;
    const Ciphertext& first = *sum.cts[0];
    const double scale = first.scale() * sum.pts[0]->scale();
    for (std::size_t k = 0; k < sum.cts.size(); ++k) {
      const Ciphertext& c = *sum.cts[k];
      const Plaintext& p = *sum.pts[k];
      check_plain(c, p, "multiply_plain_sums", false);
      if (c.level() != first.level() || c.size() != first.size() || c.slots() != first.slots())
        throw MismatchError(sum_text(s, k) + "ciphertext at level " + std::to_string(c.level()) + " with " +
                            std::to_string(c.size()) + " polynomials and " + std::to_string(c.slots()) +
                            " slots, the first term's at level " + std::to_string(first.level()) + " with " +
                            std::to_string(first.size()) + " and " + std::to_string(first.slots()));
      if (std::fabs(c.scale() * p.scale() - scale) > kScaleTolerance * std::max(c.scale() * p.scale(), scale))
        throw MismatchError(sum_text(s, k) + "product scale 2^" + std::to_string(std::log2(c.scale() * p.scale())) +
                            " differs from the first product's 2^" + std::to_string(std::log2(scale)));
    }
    Terms& t = terms[s];
    t.limbs = first.level() + 1;
    t.parts = first.size();
    if (t.parts > 3)
      throw InvalidArgument("evaluator multiply_plain_sums: sum " + std::to_string(s) + " has ciphertexts of " +
                            std::to_string(t.parts) + " polynomials (at most 3)");
    for (std::size_t k = 0; k < sum.cts.size(); ++k) {
      for (std::size_t p = 0; p < t.parts; ++p) t.a.push_back(sum.cts[k]->poly(p).data());
      t.b.push_back(sum.pts[k]->poly().data());
    }
    out[s] = Ciphertext(ctx, 0, first.level(), scale, first.slots());
    auto& polys = out[s].mutable_polys();
    for (std::size_t p = 0; p < t.parts; ++p) {
      polys.push_back(RnsPoly::uninitialized(n, t.limbs));
      t.out[p] = polys.back().data();
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
      for (std::size_t p = 0; p < t.parts; ++p) dst[p] = t.out[p] + offset;
      poly::dot_product_block(m, t.parts, t.a, t.b, offset, block, dst);
    }
  }
  return out;
}

}  // namespace hepex::ckks
