#include "ckks/polyarith.hpp"

#include "ckks/fp_lanes.hpp"

namespace hepex::ckks::poly {
namespace {

// Runs f(limb index, modulus, limb offset) over all limbs in parallel.
constexpr std::size_t kParallelWords = std::size_t{1} << 16;

template <class F>
void for_each_limb(const CkksContext& ctx, Primes primes, F&& f) {
  const std::size_t n = ctx.n();
  const auto limbs = static_cast<std::ptrdiff_t>(primes.size());
  // Threads only pay off above a few hundred microseconds of work.
#pragma omp parallel for schedule(static) if (limbs > 1 && n * primes.size() >= kParallelWords)
  for (std::ptrdiff_t j = 0; j < limbs; ++j) f(static_cast<std::size_t>(j), ctx.modulus(primes[j]), j * n);
}

}  // namespace

// out = a + b and out = a - b modulo q, four lanes at a time where AVX2 is available (residues are below
// 2^61, so sums and differences fit signed 64-bit lanes and signed compares are exact). Element-wise, so
// out may alias a or b.
void add_row(const u64* a, const u64* b, u64* out, std::size_t n, u64 q) {
  std::size_t i = 0;
#if defined(__AVX2__)
  const __m256i vq = _mm256_set1_epi64x(static_cast<long long>(q));
  const __m256i vq1 = _mm256_set1_epi64x(static_cast<long long>(q - 1));
  for (; i + 4 <= n; i += 4) {
    const __m256i s = _mm256_add_epi64(avx2::load(a + i), avx2::load(b + i));
    avx2::store(out + i, avx2::fold(s, vq, vq1));
  }
#endif
  for (; i < n; ++i) out[i] = add_mod(a[i], b[i], q);
}

namespace {

void sub_row(const u64* a, const u64* b, u64* out, std::size_t n, u64 q) {
  std::size_t i = 0;
#if defined(__AVX2__)
  const __m256i vq = _mm256_set1_epi64x(static_cast<long long>(q));
  const __m256i zero = _mm256_setzero_si256();
  for (; i + 4 <= n; i += 4) {
    const __m256i d = _mm256_sub_epi64(avx2::load(a + i), avx2::load(b + i));
    avx2::store(out + i, _mm256_add_epi64(d, _mm256_and_si256(_mm256_cmpgt_epi64(zero, d), vq)));
  }
#endif
  for (; i < n; ++i) out[i] = sub_mod(a[i], b[i], q);
}

}  // namespace

void add(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out) {
  const std::size_t n = ctx.n();
  for_each_limb(ctx, primes, [&](std::size_t, const Modulus& m, std::size_t off) {
    add_row(a + off, b + off, out + off, n, m.value);
  });
}

void sub(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out) {
  const std::size_t n = ctx.n();
  for_each_limb(ctx, primes, [&](std::size_t, const Modulus& m, std::size_t off) {
    sub_row(a + off, b + off, out + off, n, m.value);
  });
}

void negate(const CkksContext& ctx, Primes primes, const u64* a, u64* out) {
  const std::size_t n = ctx.n();
  for_each_limb(ctx, primes, [&](std::size_t, const Modulus& m, std::size_t off) {
    const u64 q = m.value;
    for (std::size_t i = 0; i < n; ++i) out[off + i] = neg_mod(a[off + i], q);
  });
}

void multiply(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out) {
  const std::size_t n = ctx.n();
  for_each_limb(ctx, primes, [&](std::size_t, const Modulus& m, std::size_t off) {
    const BarrettProduct mul(m);
    for (std::size_t i = 0; i < n; ++i) out[off + i] = mul(a[off + i], b[off + i]);
  });
}

namespace {
// out = combine(out, a * b) limb by limb: the one loop behind multiply_add and multiply_sub.
template <class Combine>
void multiply_accumulate(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out, Combine combine) {
  const std::size_t n = ctx.n();
  for_each_limb(ctx, primes, [&](std::size_t, const Modulus& m, std::size_t off) {
    const u64 q = m.value;
    const BarrettProduct mul(m);
    for (std::size_t i = 0; i < n; ++i) out[off + i] = combine(out[off + i], mul(a[off + i], b[off + i]), q);
  });
}
}  // namespace

void multiply_sub(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out) {
  multiply_accumulate(ctx, primes, a, b, out, [](u64 x, u64 y, u64 q) { return sub_mod(x, y, q); });
}

void multiply_tensor(const CkksContext& ctx, Primes primes, const u64* a0, const u64* a1, const u64* b0,
                     const u64* b1, u64* out0, u64* out1, u64* out2) {
  const std::size_t n = ctx.n();
  for_each_limb(ctx, primes, [&](std::size_t, const Modulus& m, std::size_t off) {
    const BarrettProduct mul(m);
    const u64 q = m.value;
    for (std::size_t i = off; i < off + n; ++i) {
      const u64 x0 = a0[i], x1 = a1[i], y0 = b0[i], y1 = b1[i];
      out0[i] = mul(x0, y0);
      out1[i] = add_mod(mul(x0, y1), mul(x1, y0), q);
      out2[i] = mul(x1, y1);
    }
  });
}

void multiply_add(const CkksContext& ctx, Primes primes, const u64* a, const u64* b, u64* out) {
  multiply_accumulate(ctx, primes, a, b, out, [](u64 x, u64 y, u64 q) { return add_mod(x, y, q); });
}

std::size_t dot_fold_terms(u64 q) {
  const u128 largest_product = static_cast<u128>(q - 1) * (q - 1);
  if (largest_product == 0) return SIZE_MAX;
  const u128 terms = (~u128{0} - (q - 1)) / largest_product;
  return terms > SIZE_MAX ? SIZE_MAX : static_cast<std::size_t>(terms);
}

namespace {

// s_p[i] += x_p[i] * y[i] for p < Parts, i < len: one term of a fused sum. Kept apart from the caller's
// bookkeeping (noinline, restrict) so that its few live values stay in registers: inlined into the term
// loop, the index was spilled to the stack and the loop ran at a third of this speed.
template <std::size_t Parts>
[[gnu::noinline]] void multiply_accumulate_term(const u64* const* x, const u64* __restrict y, u128* __restrict s,
                                                std::size_t len) {
  const u64* __restrict x0 = x[0];
  const u64* __restrict x1 = Parts > 1 ? x[1] : nullptr;
  const u64* __restrict x2 = Parts > 2 ? x[2] : nullptr;
  for (std::size_t i = 0; i < len; ++i) {
    const u64 w = y[i];
    s[i] += static_cast<u128>(x0[i]) * w;
    if constexpr (Parts > 1) s[kDotBlockMax + i] += static_cast<u128>(x1[i]) * w;
    if constexpr (Parts > 2) s[2 * kDotBlockMax + i] += static_cast<u128>(x2[i]) * w;
  }
}

// The accumulation both kernels share: 128-bit sums of `terms` terms per coefficient of a block, folded back
// below q every dot_fold_terms(q) terms, reduced once at the end. add_term(k, x, acc) adds term k, x its
// ciphertext parts at the block.
template <std::size_t Parts, class AddTerm>
void dot_product_with(const Modulus& m, std::span<const u64* const> a, std::size_t terms, std::size_t a_offset,
                      std::size_t len, u64* const* out, AddTerm add_term) {
  alignas(64) u128 acc[Parts * kDotBlockMax];  // part p at [p * kDotBlockMax, ...)
  std::fill_n(acc, Parts * kDotBlockMax, u128{0});
  const std::size_t fold = dot_fold_terms(m.value);
  std::size_t since_fold = 0;
  for (std::size_t k = 0; k < terms; ++k) {
    if (since_fold == fold) {
      for (auto& v : acc) v = reduce_u128(v, m);
      since_fold = 0;
    }
    const u64* x[Parts];
    for (std::size_t p = 0; p < Parts; ++p) x[p] = a[k * Parts + p] + a_offset;
    add_term(k, x, acc);
    ++since_fold;
  }
  for (std::size_t p = 0; p < Parts; ++p)
    for (std::size_t i = 0; i < len; ++i) out[p][i] = reduce_u128(acc[p * kDotBlockMax + i], m);
}

template <std::size_t Parts>
void dot_product_block_of(const Modulus& m, std::span<const u64* const> a, std::span<const u64* const> b,
                          std::size_t offset, std::size_t len, u64* const* out) {
  dot_product_with<Parts>(m, a, b.size(), offset, len, out, [&](std::size_t k, const u64* const* x, u128* acc) {
    // The next plaintext block comes from memory (each is read once): ask for it while this one is summed.
    if (k + 1 < b.size())
      for (std::size_t i = 0; i < len; i += 8) __builtin_prefetch(b[k + 1] + offset + i);
    multiply_accumulate_term<Parts>(x, b[k] + offset, acc, len);
  });
}

// s_p[i] += x_p[i] * w for p < Parts, begin <= i < end: one run of a compact term (one word for the run).
template <std::size_t Parts>
[[gnu::noinline]] void multiply_accumulate_run(const u64* const* x, u64 w, u128* __restrict s, std::size_t begin,
                                               std::size_t end) {
  const u64* __restrict x0 = x[0];
  const u64* __restrict x1 = Parts > 1 ? x[1] : nullptr;
  const u64* __restrict x2 = Parts > 2 ? x[2] : nullptr;
  for (std::size_t i = begin; i < end; ++i) {
    s[i] += static_cast<u128>(x0[i]) * w;
    if constexpr (Parts > 1) s[kDotBlockMax + i] += static_cast<u128>(x1[i]) * w;
    if constexpr (Parts > 2) s[2 * kDotBlockMax + i] += static_cast<u128>(x2[i]) * w;
  }
}

template <std::size_t Parts>
void dot_product_runs_of(const Modulus& m, std::span<const u64* const> a, std::span<const u64* const> b,
                         std::size_t a_offset, std::size_t first, std::size_t len, int shift, u64* const* out) {
  dot_product_with<Parts>(m, a, b.size(), a_offset, len, out, [&](std::size_t k, const u64* const* x, u128* acc) {
    for (std::size_t i = 0; i < len;) {
      const std::size_t word = (first + i) >> shift, end = std::min(len, ((word + 1) << shift) - first);
      multiply_accumulate_run<Parts>(x, b[k][word], acc, i, end);
      i = end;
    }
  });
}

#if defined(__AVX2__)
// The narrow kernels (q < avx2::kNarrowModulusBound), bit for bit the 128-bit ones' result: residues are below
// 2^31, so a product is one _mm256_mul_epu32 (< 2^62); terms are taken two at a time and each pair of products
// summed in a 64-bit lane (avx2::NarrowPairSum: one overflow test and one accumulator pass per pair), four
// coefficients per instruction and half the accumulator bytes.
// s_p[i] += x_p[i] w_i (+ x2_p[i] w2_i when kTwo) for p < Parts, begin <= i < end; w_i = y[i], or y[0] for every
// i when kRun (one word of a compact plaintext for the run), likewise w2 from y2. noinline for the reason
// multiply_accumulate_term is.
template <std::size_t Parts, bool kRun, bool kTwo>
[[gnu::noinline]] void multiply_accumulate_narrow(const u64* const* x, const u64* __restrict y, const u64* const* x2,
                                                  const u64* __restrict y2, u64* __restrict s, std::size_t begin,
                                                  std::size_t end, const avx2::NarrowPairSum& sum) {
  using avx2::load;
  using avx2::store;
  const u64* __restrict xp[3] = {x[0], Parts > 1 ? x[1] : nullptr, Parts > 2 ? x[2] : nullptr};
  const u64* __restrict xq[3] = {kTwo ? x2[0] : nullptr, kTwo && Parts > 1 ? x2[1] : nullptr,
                                 kTwo && Parts > 2 ? x2[2] : nullptr};
  const __m256i w_run = _mm256_set1_epi64x(static_cast<long long>(y[0]));
  const __m256i w2_run = _mm256_set1_epi64x(static_cast<long long>(kTwo ? y2[0] : 0));
  std::size_t i = begin;
  for (; i + 4 <= end; i += 4) {
    const __m256i w = kRun ? w_run : load(y + i);
    const __m256i w2 = !kTwo ? w2_run : kRun ? w2_run : load(y2 + i);
    for (std::size_t p = 0; p < Parts; ++p) {
      u64* sp = s + p * kDotBlockMax + i;
      __m256i products = _mm256_mul_epu32(load(xp[p] + i), w);
      if constexpr (kTwo) products = _mm256_add_epi64(products, _mm256_mul_epu32(load(xq[p] + i), w2));
      store(sp, sum.add(load(sp), products));
    }
  }
  for (; i < end; ++i)
    for (std::size_t p = 0; p < Parts; ++p) {
      u64& v = s[p * kDotBlockMax + i];
      u64 products = xp[p][i] * (kRun ? y[0] : y[i]);
      if constexpr (kTwo) products += xq[p][i] * (kRun ? y2[0] : y2[i]);
      v = sum.add(v, products);
    }
}

// dot_product_with's accumulation in 64-bit lanes: add_terms(k, x, x2, acc) adds terms k and k + 1 (x2 their
// ciphertext parts at the block), or term k alone when x2 is null; no folding is needed.
template <std::size_t Parts, class AddTerms>
void dot_product_narrow_with(const Modulus& m, std::span<const u64* const> a, std::size_t terms, std::size_t a_offset,
                             std::size_t len, u64* const* out, AddTerms add_terms) {
  alignas(64) u64 acc[Parts * kDotBlockMax];  // part p at [p * kDotBlockMax, ...)
  std::fill_n(acc, Parts * kDotBlockMax, u64{0});
  const avx2::NarrowPairSum sum(m.value);
  for (std::size_t k = 0; k < terms; k += 2) {
    const u64* x[Parts];
    const u64* x2[Parts];
    for (std::size_t p = 0; p < Parts; ++p) {
      x[p] = a[k * Parts + p] + a_offset;
      x2[p] = k + 1 < terms ? a[(k + 1) * Parts + p] + a_offset : nullptr;
    }
    add_terms(k, x, k + 1 < terms ? x2 : nullptr, acc, sum);
  }
  for (std::size_t p = 0; p < Parts; ++p)
    for (std::size_t i = 0; i < len; ++i) out[p][i] = reduce_u64(acc[p * kDotBlockMax + i], m);
}

// One or two terms through the kernel above.
template <std::size_t Parts, bool kRun>
void multiply_accumulate_narrow_terms(const u64* const* x, const u64* y, const u64* const* x2, const u64* y2, u64* s,
                                      std::size_t begin, std::size_t end, const avx2::NarrowPairSum& sum) {
  if (x2) multiply_accumulate_narrow<Parts, kRun, true>(x, y, x2, y2, s, begin, end, sum);
  else multiply_accumulate_narrow<Parts, kRun, false>(x, y, nullptr, nullptr, s, begin, end, sum);
}

template <std::size_t Parts>
void dot_product_narrow_block_of(const Modulus& m, std::span<const u64* const> a, std::span<const u64* const> b,
                                 std::size_t offset, std::size_t len, u64* const* out) {
  dot_product_narrow_with<Parts>(
      m, a, b.size(), offset, len, out,
      [&](std::size_t k, const u64* const* x, const u64* const* x2, u64* acc, const avx2::NarrowPairSum& sum) {
        for (std::size_t next = k + 2; next < std::min(k + 4, b.size()); ++next)
          for (std::size_t i = 0; i < len; i += 8) __builtin_prefetch(b[next] + offset + i);
        multiply_accumulate_narrow_terms<Parts, false>(x, b[k] + offset, x2, x2 ? b[k + 1] + offset : nullptr, acc, 0,
                                                       len, sum);
      });
}

template <std::size_t Parts>
void dot_product_narrow_runs_of(const Modulus& m, std::span<const u64* const> a, std::span<const u64* const> b,
                                std::size_t a_offset, std::size_t first, std::size_t len, int shift, u64* const* out) {
  dot_product_narrow_with<Parts>(
      m, a, b.size(), a_offset, len, out,
      [&](std::size_t k, const u64* const* x, const u64* const* x2, u64* acc, const avx2::NarrowPairSum& sum) {
        for (std::size_t i = 0; i < len;) {
          const std::size_t word = (first + i) >> shift;
          const std::size_t end = std::min(len, ((word + 1) << shift) - first);
          multiply_accumulate_narrow_terms<Parts, true>(x, b[k] + word, x2, x2 ? b[k + 1] + word : nullptr, acc, i,
                                                        end, sum);
          i = end;
        }
      });
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
// The kernels for 2^31 <= q < 2^52 (fp_lanes.hpp), bit for bit the 128-bit ones' result: each product
// x w - quot q (fp::mul_term) is an integer held exactly in a double, and a sum of fp::fold_terms(q) of them
// stays below 2^53 in magnitude, so adding is exact too; a fold brings a sum back within q / 2 + 2 of zero
// (one term's worth). About a third of the instructions of the 128-bit scalar multiply-add, and half the
// accumulator bytes.

// A product reduced exactly and centred (|r| <= q / 2), as a double: the scalar path for runs shorter than a
// vector (small rings); it counts as a term of either kind.
inline double centred_product(u64 x, u64 w, u64 q) {
  const u64 r = static_cast<u64>(static_cast<u128>(x) * w % q);
  return r > q / 2 ? -static_cast<double>(q - r) : static_cast<double>(r);
}

// s_p[i] += x_p[i] w_i - quot q (fp::mul_term) for p < Parts, begin <= i < end; w_i = y[i], or y[0] for every i
// when kRun. noinline for the reason multiply_accumulate_term is.
template <std::size_t Parts, bool kRun, bool kCentre>
[[gnu::noinline]] void multiply_accumulate_fp(const u64* const* x, const u64* __restrict y, double* __restrict s,
                                              std::size_t begin, std::size_t end, const fp::Lanes& c, u64 q) {
  const u64* __restrict xp[3] = {x[0], Parts > 1 ? x[1] : nullptr, Parts > 2 ? x[2] : nullptr};
  const __m256d w_run = fp::from_words(_mm256_set1_epi64x(static_cast<long long>(y[0])));
  std::size_t i = begin;
  for (; i + 4 <= end; i += 4) {
    const __m256d w = kRun ? w_run : fp::from_words(avx2::load(y + i));
    for (std::size_t p = 0; p < Parts; ++p) {
      double* sp = s + p * kDotBlockMax + i;
      const __m256d term = fp::mul_term<kCentre>(fp::from_words(avx2::load(xp[p] + i)), w, c);
      _mm256_storeu_pd(sp, _mm256_add_pd(_mm256_loadu_pd(sp), term));
    }
  }
  for (; i < end; ++i)
    for (std::size_t p = 0; p < Parts; ++p) s[p * kDotBlockMax + i] += centred_product(xp[p][i], kRun ? y[0] : y[i], q);
}

// dot_product_with's accumulation in doubles: add_term(k, x, acc) adds term k (x its ciphertext parts at the
// block).
template <std::size_t Parts, class AddTerm>
void dot_product_fp_with(const Modulus& m, std::span<const u64* const> a, std::size_t terms, std::size_t a_offset,
                         std::size_t len, u64* const* out, AddTerm add_term) {
  alignas(64) double acc[Parts * kDotBlockMax];  // part p at [p * kDotBlockMax, ...)
  std::fill_n(acc, Parts * kDotBlockMax, 0.0);
  const fp::Lanes c(m.value);
  const double q = static_cast<double>(m.value);
  const std::size_t fold = fp::fold_terms(m.value);  // >= 2
  std::size_t in_sum = 0;  // terms' worth in each accumulator
  for (std::size_t k = 0; k < terms; ++k) {
    if (in_sum == fold) {
      for (std::size_t p = 0; p < Parts; ++p) {
        double* sp = acc + p * kDotBlockMax;
        std::size_t i = 0;
        for (; i + 4 <= len; i += 4) _mm256_storeu_pd(sp + i, fp::fold(_mm256_loadu_pd(sp + i), c));
        for (; i < len; ++i) sp[i] = fp::fold(sp[i], q);
      }
      in_sum = 1;
    }
    const u64* x[Parts];
    for (std::size_t p = 0; p < Parts; ++p) x[p] = a[k * Parts + p] + a_offset;
    add_term(k, x, acc, c);
    ++in_sum;
  }
  for (std::size_t p = 0; p < Parts; ++p) {
    const double* sp = acc + p * kDotBlockMax;
    std::size_t i = 0;
    for (; i + 4 <= len; i += 4) avx2::store(out[p] + i, fp::reduce_to_words(_mm256_loadu_pd(sp + i), c));
    for (; i < len; ++i) {
      const double r = fp::fold(sp[i], q);  // exact, within q / 2 + 2 of zero
      out[p][i] = static_cast<u64>(r < 0 ? r + q : r >= q ? r - q : r);
    }
  }
}

template <std::size_t Parts, bool kCentre>
void dot_product_fp_block_of(const Modulus& m, std::span<const u64* const> a, std::span<const u64* const> b,
                             std::size_t offset, std::size_t len, u64* const* out) {
  dot_product_fp_with<Parts>(m, a, b.size(), offset, len, out,
                             [&](std::size_t k, const u64* const* x, double* acc, const fp::Lanes& c) {
                               if (k + 1 < b.size())
                                 for (std::size_t i = 0; i < len; i += 8) __builtin_prefetch(b[k + 1] + offset + i);
                               multiply_accumulate_fp<Parts, false, kCentre>(x, b[k] + offset, acc, 0, len, c, m.value);
                             });
}

template <std::size_t Parts, bool kCentre>
void dot_product_fp_runs_of(const Modulus& m, std::span<const u64* const> a, std::span<const u64* const> b,
                            std::size_t a_offset, std::size_t first, std::size_t len, int shift, u64* const* out) {
  dot_product_fp_with<Parts>(m, a, b.size(), a_offset, len, out,
                             [&](std::size_t k, const u64* const* x, double* acc, const fp::Lanes& c) {
                               for (std::size_t i = 0; i < len;) {
                                 const std::size_t word = (first + i) >> shift;
                                 const std::size_t end = std::min(len, ((word + 1) << shift) - first);
                                 multiply_accumulate_fp<Parts, true, kCentre>(x, b[k] + word, acc, i, end, c, m.value);
                                 i = end;
                               }
                             });
}

template <std::size_t Parts>
void dot_product_fp_runs(const Modulus& m, std::span<const u64* const> a, std::span<const u64* const> b,
                         std::size_t a_offset, std::size_t first, std::size_t len, int shift, u64* const* out) {
  if (fp::centres_terms(m.value)) return dot_product_fp_runs_of<Parts, true>(m, a, b, a_offset, first, len, shift, out);
  dot_product_fp_runs_of<Parts, false>(m, a, b, a_offset, first, len, shift, out);
}

template <std::size_t Parts>
void dot_product_fp_block(const Modulus& m, std::span<const u64* const> a, std::span<const u64* const> b,
                          std::size_t offset, std::size_t len, u64* const* out) {
  if (fp::centres_terms(m.value)) return dot_product_fp_block_of<Parts, true>(m, a, b, offset, len, out);
  dot_product_fp_block_of<Parts, false>(m, a, b, offset, len, out);
}
#endif

}  // namespace

void dot_product_block_runs(const Modulus& m, std::size_t parts, std::span<const u64* const> a,
                            std::span<const u64* const> b, std::size_t a_offset, std::size_t first, std::size_t len,
                            int shift, u64* const* out) {
#if defined(__AVX2__)
  if (m.value < avx2::kNarrowModulusBound) switch (parts) {
      case 1: return dot_product_narrow_runs_of<1>(m, a, b, a_offset, first, len, shift, out);
      case 2: return dot_product_narrow_runs_of<2>(m, a, b, a_offset, first, len, shift, out);
      case 3: return dot_product_narrow_runs_of<3>(m, a, b, a_offset, first, len, shift, out);
      default: break;
    }
#endif
#if defined(__AVX2__) && defined(__FMA__)
  if (fp::sums_apply(m.value)) switch (parts) {
      case 1: return dot_product_fp_runs<1>(m, a, b, a_offset, first, len, shift, out);
      case 2: return dot_product_fp_runs<2>(m, a, b, a_offset, first, len, shift, out);
      case 3: return dot_product_fp_runs<3>(m, a, b, a_offset, first, len, shift, out);
      default: break;
    }
#endif
  switch (parts) {
    case 1: return dot_product_runs_of<1>(m, a, b, a_offset, first, len, shift, out);
    case 2: return dot_product_runs_of<2>(m, a, b, a_offset, first, len, shift, out);
    case 3: return dot_product_runs_of<3>(m, a, b, a_offset, first, len, shift, out);
    default: throw InvalidArgument("dot_product_block_runs: " + std::to_string(parts) + " parts (1 to 3)");
  }
}

void dot_product_block(const Modulus& m, std::size_t parts, std::span<const u64* const> a,
                       std::span<const u64* const> b, std::size_t offset, std::size_t len, u64* const* out) {
#if defined(__AVX2__)
  if (m.value < avx2::kNarrowModulusBound) switch (parts) {
      case 1: return dot_product_narrow_block_of<1>(m, a, b, offset, len, out);
      case 2: return dot_product_narrow_block_of<2>(m, a, b, offset, len, out);
      case 3: return dot_product_narrow_block_of<3>(m, a, b, offset, len, out);
      default: break;
    }
#endif
#if defined(__AVX2__) && defined(__FMA__)
  if (fp::sums_apply(m.value)) switch (parts) {
      case 1: return dot_product_fp_block<1>(m, a, b, offset, len, out);
      case 2: return dot_product_fp_block<2>(m, a, b, offset, len, out);
      case 3: return dot_product_fp_block<3>(m, a, b, offset, len, out);
      default: break;
    }
#endif
  switch (parts) {
    case 1: return dot_product_block_of<1>(m, a, b, offset, len, out);
    case 2: return dot_product_block_of<2>(m, a, b, offset, len, out);
    case 3: return dot_product_block_of<3>(m, a, b, offset, len, out);
    default: throw InvalidArgument("dot_product_block: " + std::to_string(parts) + " parts (1 to 3)");
  }
}

void multiply_scalar(const CkksContext& ctx, Primes primes, const u64* a, const std::vector<u64>& c, u64* out) {
  const std::size_t n = ctx.n();
  for_each_limb(ctx, primes, [&](std::size_t j, const Modulus& m, std::size_t off) {
    const u64 q = m.value, w = c[j], ws = shoup_precompute(w, q);
    for (std::size_t i = 0; i < n; ++i) out[off + i] = mul_shoup(a[off + i], w, ws, q);
  });
}

void add_scalar(const CkksContext& ctx, Primes primes, const u64* a, const std::vector<u64>& c, u64* out) {
  const std::size_t n = ctx.n();
  for_each_limb(ctx, primes, [&](std::size_t j, const Modulus& m, std::size_t off) {
    const u64 q = m.value, w = c[j];
    for (std::size_t i = 0; i < n; ++i) out[off + i] = add_mod(a[off + i], w, q);
  });
}

void ntt_forward(const CkksContext& ctx, Primes primes, u64* a) {
  for_each_limb(ctx, primes, [&](std::size_t j, const Modulus&, std::size_t off) { ctx.ntt(primes[j]).forward(a + off); });
}

void ntt_inverse(const CkksContext& ctx, Primes primes, u64* a) {
  for_each_limb(ctx, primes, [&](std::size_t j, const Modulus&, std::size_t off) { ctx.ntt(primes[j]).inverse(a + off); });
}

void permute(const std::vector<std::uint32_t>& perm, std::size_t limbs, const u64* in, u64* out) {
  const std::size_t n = perm.size();
#pragma omp parallel for schedule(static) if (limbs > 1)
  for (std::ptrdiff_t j = 0; j < static_cast<std::ptrdiff_t>(limbs); ++j) {
    const u64* src = in + j * n;
    u64* dst = out + j * n;
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[perm[i]];
  }
}

std::vector<u64> signed_residues(const CkksContext& ctx, Primes primes, long long v) {
  std::vector<u64> r(primes.size());
  const u64 mag = v < 0 ? static_cast<u64>(-(v + 1)) + 1 : static_cast<u64>(v);
  for (std::size_t j = 0; j < primes.size(); ++j) {
    const Modulus& m = ctx.modulus(primes[j]);
    const u64 x = reduce_u64(mag, m);
    r[j] = v < 0 ? neg_mod(x, m.value) : x;
  }
  return r;
}

}  // namespace hepex::ckks::poly

#include <string>

#include "ckks/sampling.hpp"
#include "util/error.hpp"

namespace hepex::ckks {

void check_poly_shape(const CkksContext& ctx, const RnsPoly& p, std::size_t limbs, const std::string& what) {
  if (p.n() != ctx.n() || p.limbs() != limbs || p.size() != ctx.n() * limbs)
    throw MismatchError(what + ": polynomial has " + std::to_string(p.limbs()) + " limbs of " + std::to_string(p.n()) +
                        " coefficients, expected " + std::to_string(limbs) + " limbs of " + std::to_string(ctx.n()));
}

void check_poly_residues(const CkksContext& ctx, const RnsPoly& p, std::span<const std::size_t> primes,
                         const std::string& what) {
  for (std::size_t j = 0; j < primes.size(); ++j) {
    const u64 q = ctx.modulus(primes[j]).value;
    const u64* limb = p.limb(j);
    for (std::size_t i = 0; i < ctx.n(); ++i)
      if (limb[i] >= q)
        throw InvalidArgument(what + ": coefficient " + std::to_string(i) + " of limb " + std::to_string(j) +
                              " is not reduced modulo " + std::to_string(q));
  }
}

void check_slot_count(const CkksContext& ctx, std::size_t slots, const std::string& what) {
  if (slots == 0 || (slots & (slots - 1)) != 0 || slots > ctx.n() / 2)
    throw InvalidArgument(what + ": slot count " + std::to_string(slots) + " must be a power of two in [1, " +
                          std::to_string(ctx.n() / 2) + "]");
}

std::vector<RnsPoly> expand_uniform(const CkksContext& ctx, const Seed& seed, std::span<const std::size_t> primes,
                                    std::size_t count) {
  std::vector<Modulus> moduli;
  for (std::size_t g : primes) moduli.push_back(ctx.modulus(g));
  Csprng rng(seed);
  std::vector<RnsPoly> out;
  out.reserve(count);
  for (std::size_t c = 0; c < count; ++c) {
    out.push_back(RnsPoly::uninitialized(ctx.n(), primes.size()));
    sample_uniform(rng, ctx.n(), moduli, out.back().data());
  }
  return out;
}

}  // namespace hepex::ckks
