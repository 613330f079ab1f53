#include "ckks/keyswitch.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ckks/fp_lanes.hpp"
#include "ckks/polyarith.hpp"
#include "util/error.hpp"

namespace hepex::ckks {
namespace {

// Per-thread buffers kept between calls. Slots: one per distinct use, so nested uses never share.
enum ScratchSlot : std::size_t { kSources, kAcc, kDigitLimbs, kSpecial, kConverted, kPermuted, kTerm, kSlotCount };

u64* scratch(ScratchSlot slot, std::size_t words) {
  thread_local ScratchBuffer buffers[kSlotCount];
  ScratchBuffer& b = buffers[slot];
  if (b.size() < words) b.resize(words);
  return b.data();
}

// Words prepare_digit_sources writes: the limbs, then one row of overflows per digit.
std::size_t digit_source_words(const CkksContext& ctx, std::size_t level) {
  return (level + 1 + ctx.params().digit_count(level)) * ctx.n();
}

// The digits of c in the coefficient domain, ready to be converted to any one target prime:
// limb j of `src` is c's limb j (inverse NTT); for a multi-prime digit, its limbs additionally hold the
// centered digit's first conversion step y_i = [(x_i + H) (Q_d/q_i)^{-1}]_{q_i} (H = floor(Q_d/2)), and
// row level + 1 + d its overflows, so the conversion is exact: the digit is centered, not centered plus
// a multiple e >= 0 of Q_d (a bias the key's noise would carry into the slots near +-1).
void prepare_digit_sources(const CkksContext& ctx, std::size_t level, const u64* c, u64* src) {
  const std::size_t n = ctx.n(), limbs = level + 1;
  std::memcpy(src, c, limbs * n * sizeof(u64));
  poly::ntt_inverse(ctx, ctx.level_primes(level), src);
  const std::size_t count = ctx.params().digit_count(level);
  for (std::size_t d = 0; d < count; ++d) {
    const auto [first, last] = ctx.params().digit_range(level, d);
    if (last - first == 1) continue;
    const auto& half_from = ctx.modup_half_from(level, d);
    for (std::size_t j = 0; j < last - first; ++j) {
      const u64 q = ctx.modulus(first + j).value, h = half_from[j];
      u64* x = src + (first + j) * n;
      for (std::size_t i = 0; i < n; ++i) x[i] = add_mod(x[i], h, q);
    }
    ctx.modup(level, d).premultiply(src + first * n, src + first * n, n);
    ctx.modup(level, d).overflows(src + first * n, src + (level + 1 + d) * n, n);
  }
}

// Digit d converted to ext_primes(level)[k] (a prime outside the digit), coefficient domain, in [0, q_k).
void convert_digit(const CkksContext& ctx, std::size_t level, std::size_t d, const u64* src, std::size_t k,
                   u64* out) {
  const std::size_t n = ctx.n();
  const auto [first, last] = ctx.params().digit_range(level, d);
  const std::size_t width = last - first;
  const Modulus& m = ctx.modulus(ctx.ext_primes(level)[k]);
  if (width == 1) {
    // One-prime digit (SEAL's case): the conversion of the centered residue is exact.
    centered_reduce_row(src + first * n, out, n, ctx.modulus(first).value, m);
    return;
  }
  const std::size_t target = k < first ? k : k - width;  // index among the converter's targets
  ctx.modup(level, d).convert_premultiplied(src + first * n, target, out, n, src + (level + 1 + d) * n);
  const u64 q = m.value, h = ctx.modup_half_to(level, d)[target];
  for (std::size_t i = 0; i < n; ++i) out[i] = sub_mod(out[i], h, q);
}

// How many products of a digit value < 4q (a lazy NTT output) and a key value < q one 128-bit accumulator
// holds (plus a folded remainder < q): sum < 2^128 as long as terms * 4q^2 < 2^128 - q.
std::size_t lazy_fold_count(const Modulus& m) {
  const int spare = 128 - 2 - 2 * m.bits;  // 4q^2 < 2^(2 bits + 2)
  return spare >= 6 ? 63 : (std::size_t{1} << spare) - 1;
}

// One output limb of the inner product: o0 = sum_d dig_d * b_d, o1 = sum_d dig_d * a_d modulo m (NTT
// domain; dig_d < 4q, read through perm when given). Lazy: products are summed in 128-bit accumulators and
// folded every lazy_fold_count() digits. Blocks of 2048 coefficients: the accumulators (64 KB) stay in
// L2, and each of the 3 * count input streams (digit, b, a) is read in 16 KB runs the prefetcher follows
// (256-coefficient blocks were 10% slower at N = 2^15: too many short streams).
void inner_product_limb(const u64* const* dig, std::size_t count, const KeySwitchKey& key, std::size_t g,
                        const Modulus& m, const std::uint32_t* perm, std::size_t n, u64* o0, u64* o1) {
  constexpr std::size_t kBlock = 2048;
  const std::size_t fold = lazy_fold_count(m);
  u128 s0[kBlock], s1[kBlock];
  for (std::size_t x0 = 0; x0 < n; x0 += kBlock) {
    const std::size_t len = std::min(kBlock, n - x0);
    for (std::size_t i = 0; i < len; ++i) s0[i] = s1[i] = 0;
    for (std::size_t d = 0; d < count; ++d) {
      const auto words = key.words(d, g);  // 64-bit: only narrow primes are ever packed to 32
      const u64* b = words.b64 + x0;
      const u64* a = words.a64 + x0;
      if (perm) {
        const u64* v = dig[d];
        const std::uint32_t* p = perm + x0;
        for (std::size_t i = 0; i < len; ++i) {
          const u64 x = v[p[i]];
          s0[i] += static_cast<u128>(x) * b[i];
          s1[i] += static_cast<u128>(x) * a[i];
        }
      } else {
        const u64* v = dig[d] + x0;
        for (std::size_t i = 0; i < len; ++i) {
          s0[i] += static_cast<u128>(v[i]) * b[i];
          s1[i] += static_cast<u128>(v[i]) * a[i];
        }
      }
      if ((d + 1) % fold == 0 && d + 1 < count)
        for (std::size_t i = 0; i < len; ++i) {
          s0[i] = reduce_u128(s0[i], m);
          s1[i] = reduce_u128(s1[i], m);
        }
    }
    for (std::size_t i = 0; i < len; ++i) {
      o0[x0 + i] = reduce_u128(s0[i], m);
      o1[x0 + i] = reduce_u128(s1[i], m);
    }
  }
}

#if defined(__AVX2__)
// Four key words as 64-bit lanes: 32-bit words (a packed key) are widened on the way.
inline __m256i load_key(const u64* p) { return avx2::load(p); }
inline __m256i load_key(const std::uint32_t* p) {
  return _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// A limb's b and a rows in the word size `Word` (the one the key holds for it).
template <class Word>
std::pair<const Word*, const Word*> key_rows(const KeySwitchKey::LimbWords& w) {
  if constexpr (std::is_same_v<Word, u64>) return {w.b64, w.a64};
  else return {w.b32, w.a32};
}

// The same for a modulus below 2^31, four coefficients per instruction, bit for bit the same result: each
// digit value is folded below q, so a product with a key value is < q^2 < 2^62; digits are taken two at a
// time and each pair of products summed in a 64-bit lane (avx2::NarrowPairSum: one overflow test per pair, and
// the accumulators read and written once per pair); one Barrett reduction per coefficient at the end.
template <class Word>
void inner_product_limb_narrow_of(const u64* const* dig, std::size_t count, const KeySwitchKey& key, std::size_t g,
                                  const Modulus& m, const std::uint32_t* perm, std::size_t n, u64* o0, u64* o1) {
  using namespace avx2;
  constexpr std::size_t kBlock = 2048;
  const u64 q = m.value;
  const ModulusLanes c(q);
  const NarrowPairSum sum(q);
  alignas(32) u64 s0[kBlock], s1[kBlock], gathered[2][kBlock];
  for (std::size_t x0 = 0; x0 < n; x0 += kBlock) {
    const std::size_t len = std::min(kBlock, n - x0);  // n >= 8 is a multiple of 4
    std::fill_n(s0, len, 0);
    std::fill_n(s1, len, 0);
    for (std::size_t d = 0; d < count; d += 2) {
      // Digits d and d + 1; an odd last digit pairs with zeros (its key rows repeated, its values zero).
      const bool pair = d + 1 < count;
      const u64* v[2];
      const Word *b[2], *a[2];
      for (std::size_t e = 0; e < 2; ++e) {
        const std::size_t de = pair ? d + e : d;
        std::tie(b[e], a[e]) = key_rows<Word>(key.words(de, g));
        b[e] += x0;
        a[e] += x0;
        v[e] = dig[de] + x0;
        if (perm) {
          for (std::size_t i = 0; i < len; ++i) gathered[e][i] = dig[de][perm[x0 + i]];
          v[e] = gathered[e];
        }
        if (!pair) break;
      }
      const __m256i keep_second = pair ? _mm256_set1_epi64x(-1) : _mm256_setzero_si256();
      if (!pair) v[1] = v[0], b[1] = b[0], a[1] = a[0];
      for (std::size_t i = 0; i < len; i += 4) {
        const __m256i x = reduce_below_4q(load(v[0] + i), c);
        const __m256i y = _mm256_and_si256(reduce_below_4q(load(v[1] + i), c), keep_second);
        const __m256i pb =
            _mm256_add_epi64(_mm256_mul_epu32(x, load_key(b[0] + i)), _mm256_mul_epu32(y, load_key(b[1] + i)));
        const __m256i pa =
            _mm256_add_epi64(_mm256_mul_epu32(x, load_key(a[0] + i)), _mm256_mul_epu32(y, load_key(a[1] + i)));
        store(s0 + i, sum.add(load(s0 + i), pb));
        store(s1 + i, sum.add(load(s1 + i), pa));
      }
    }
    for (std::size_t i = 0; i < len; ++i) {
      o0[x0 + i] = reduce_u64(s0[i], m);
      o1[x0 + i] = reduce_u64(s1[i], m);
    }
  }
}

void inner_product_limb_narrow(const u64* const* dig, std::size_t count, const KeySwitchKey& key, std::size_t g,
                               const Modulus& m, const std::uint32_t* perm, std::size_t n, u64* o0, u64* o1) {
  if (key.words(0, g).b32) return inner_product_limb_narrow_of<std::uint32_t>(dig, count, key, g, m, perm, n, o0, o1);
  inner_product_limb_narrow_of<u64>(dig, count, key, g, m, perm, n, o0, o1);
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
// The same for 2^31 <= q < 2^52 in doubles (fp_lanes.hpp), bit for bit the 128-bit kernel's result: each
// digit value is folded below q, each product x k - quot q (fp::mul_term) is an integer held exactly, and the
// sums stay exact below 2^53, folded every fp::fold_terms(q) digits.
template <bool kCentre>
void inner_product_limb_fp_of(const u64* const* dig, std::size_t count, const KeySwitchKey& key, std::size_t g,
                              const Modulus& m, const std::uint32_t* perm, std::size_t n, u64* o0, u64* o1) {
  using namespace avx2;
  constexpr std::size_t kBlock = 2048;
  const ModulusLanes c(m.value);
  const fp::Lanes f(m.value);
  const std::size_t fold = fp::fold_terms(m.value);
  alignas(32) double s0[kBlock], s1[kBlock];
  alignas(32) u64 gathered[kBlock];
  for (std::size_t x0 = 0; x0 < n; x0 += kBlock) {
    const std::size_t len = std::min(kBlock, n - x0);  // n >= 8 is a multiple of 4
    std::fill_n(s0, len, 0.0);
    std::fill_n(s1, len, 0.0);
    std::size_t in_sum = 0;
    for (std::size_t d = 0; d < count; ++d) {
      if (in_sum == fold) {
        for (std::size_t i = 0; i < len; i += 4) {
          _mm256_store_pd(s0 + i, fp::fold(_mm256_load_pd(s0 + i), f));
          _mm256_store_pd(s1 + i, fp::fold(_mm256_load_pd(s1 + i), f));
        }
        in_sum = 1;
      }
      const auto words = key.words(d, g);  // 64-bit: only narrow primes are ever packed to 32
      const u64* b = words.b64 + x0;
      const u64* a = words.a64 + x0;
      const u64* v = dig[d] + x0;
      if (perm) {
        for (std::size_t i = 0; i < len; ++i) gathered[i] = dig[d][perm[x0 + i]];
        v = gathered;
      }
      for (std::size_t i = 0; i < len; i += 4) {
        const __m256d x = fp::from_words(reduce_below_4q(load(v + i), c));
        const __m256d tb = fp::mul_term<kCentre>(x, fp::from_words(load(b + i)), f);
        const __m256d ta = fp::mul_term<kCentre>(x, fp::from_words(load(a + i)), f);
        _mm256_store_pd(s0 + i, _mm256_add_pd(_mm256_load_pd(s0 + i), tb));
        _mm256_store_pd(s1 + i, _mm256_add_pd(_mm256_load_pd(s1 + i), ta));
      }
      ++in_sum;
    }
    for (std::size_t i = 0; i < len; i += 4) {
      store(o0 + x0 + i, fp::reduce_to_words(_mm256_load_pd(s0 + i), f));
      store(o1 + x0 + i, fp::reduce_to_words(_mm256_load_pd(s1 + i), f));
    }
  }
}

void inner_product_limb_fp(const u64* const* dig, std::size_t count, const KeySwitchKey& key, std::size_t g,
                           const Modulus& m, const std::uint32_t* perm, std::size_t n, u64* o0, u64* o1) {
  if (fp::centres_terms(m.value)) return inner_product_limb_fp_of<true>(dig, count, key, g, m, perm, n, o0, o1);
  inner_product_limb_fp_of<false>(dig, count, key, g, m, perm, n, o0, o1);
}
#endif

// The inner product for one output limb: the narrow or double-precision kernel where it applies (rings have
// n >= 16, a multiple of their four lanes).
void inner_product_limb_any(const u64* const* dig, std::size_t count, const KeySwitchKey& key, std::size_t g,
                            const Modulus& m, const std::uint32_t* perm, std::size_t n, u64* o0, u64* o1) {
#if defined(__AVX2__)
  if (takes_narrow_kernels(m.value)) return inner_product_limb_narrow(dig, count, key, g, m, perm, n, o0, o1);
#endif
#if defined(__AVX2__) && defined(__FMA__)
  if (fp::sums_apply(m.value)) return inner_product_limb_fp(dig, count, key, g, m, perm, n, o0, o1);
#endif
  inner_product_limb(dig, count, key, g, m, perm, n, o0, o1);
}

// A key trimmed below `level` lacks the digits and limbs this switch needs.
void check_key_level(const KeySwitchKey& key, std::size_t level) {
  if (level > key.top_level())
    throw MismatchError("key switching at level " + std::to_string(level) + ": the key is kept up to level " +
                        std::to_string(key.top_level()) + " only (keys are trimmed to the levels the plan uses them at)");
}

void prepare_output(const CkksContext& ctx, std::size_t limbs, RnsPoly& out, KeySwitchOutput mode) {
  if (mode == KeySwitchOutput::kAdd) {
    if (out.n() != ctx.n() || out.limbs() != limbs)
      throw InvalidArgument("key switching: the polynomial to add to has " + std::to_string(out.limbs()) +
                            " limbs, expected " + std::to_string(limbs));
  } else if (out.n() != ctx.n() || out.limbs() != limbs) {
    out = RnsPoly::uninitialized(ctx.n(), limbs);
  }
}

// ModDown of the two accumulators (e limbs each, contiguous) into d0 and d1.
void mod_down_pair(const CkksContext& ctx, std::size_t level, const u64* acc, RnsPoly& d0, KeySwitchOutput mode0,
                   RnsPoly& d1, KeySwitchOutput mode1) {
  const std::size_t e = ctx.ext_primes(level).size();
  mod_down(ctx, level, acc, d0, mode0);
  mod_down(ctx, level, acc + e * ctx.n(), d1, mode1);
}

}  // namespace

KeySwitchDigits decompose_for_key_switch(const CkksContext& ctx, const RnsPoly& c, std::size_t level) {
  const std::size_t n = ctx.n();
  const auto& ext = ctx.ext_primes(level);
  const std::size_t e = ext.size();
  const std::size_t count = ctx.params().digit_count(level);
  u64* src = scratch(kSources, digit_source_words(ctx, level));
  prepare_digit_sources(ctx, level, c.data(), src);

  KeySwitchDigits out{level, count, RnsPoly::uninitialized(n, count * e)};
  // Every (digit, limb) pair independently: the digit's own limbs are the input's NTT limbs unchanged,
  // the others are converted and transformed.
  const auto total = static_cast<std::ptrdiff_t>(count * e);
#pragma omp parallel for schedule(dynamic, 1) if (total > 1)
  for (std::ptrdiff_t t = 0; t < total; ++t) {
    const std::size_t d = static_cast<std::size_t>(t) / e, k = static_cast<std::size_t>(t) % e;
    const auto [first, last] = ctx.params().digit_range(level, d);
    u64* limb = out.data.limb(d * e + k);
    if (k >= first && k < last) {
      std::memcpy(limb, c.limb(k), n * sizeof(u64));
    } else {
      convert_digit(ctx, level, d, src, k, limb);
      ctx.ntt(ext[k]).forward(limb);
    }
  }
  return out;
}

void mod_down(const CkksContext& ctx, std::size_t level, const u64* x, RnsPoly& out, KeySwitchOutput mode) {
  const std::size_t n = ctx.n(), limbs = level + 1, k = ctx.special_count(), top = ctx.max_level();
  prepare_output(ctx, limbs, out, mode);
  // [x]_P back to coefficients, converted to Q_l, back to NTT.
  // Rounding instead of flooring: floor((x + H) / P) with H = floor(P/2) added to every coefficient.
  // On the special limbs H is added after the inverse NTT; on the data limbs it is folded into the
  // correction: (x + H - [x + H]_P) / P = (x - ([x + H]_P - H)) / P.
  const auto& half_p = ctx.half_p();
  u64* special = scratch(kSpecial, k * n);
  for (std::size_t j = 0; j < k; ++j) {
    const std::size_t g = top + 1 + j;
    const u64 p = ctx.modulus(g).value, h = half_p[g];
    u64* dst = special + j * n;
    std::memcpy(dst, x + (limbs + j) * n, n * sizeof(u64));
    ctx.ntt(g).inverse(dst);
    for (std::size_t i = 0; i < n; ++i) dst[i] = add_mod(dst[i], h, p);
  }
  u64* conv = scratch(kConverted, limbs * n);
  ctx.moddown(level).convert_exact(special, conv, n);  // exact: the fast one would bias by -e
  const auto& p_inv = ctx.p_inv();
  const auto& p_inv_shoup = ctx.p_inv_shoup();
  const bool add = mode == KeySwitchOutput::kAdd;
#pragma omp parallel for schedule(static) if (limbs > 1 && n * limbs >= (std::size_t{1} << 16))
  for (std::ptrdiff_t jj = 0; jj < static_cast<std::ptrdiff_t>(limbs); ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    u64* c = conv + j * n;
    const u64 q = ctx.modulus(j).value, w = p_inv[j], ws = p_inv_shoup[j], h = half_p[j];
    for (std::size_t i = 0; i < n; ++i) c[i] = sub_mod(c[i], h, q);
    ctx.ntt(j).forward_lazy(c);  // < 4q
    const u64* xi = x + j * n;
    u64* o = out.limb(j);
    // x + 4q - c < 5q < 2^64; the Shoup product accepts any 64-bit input.
    if (add) {
      for (std::size_t i = 0; i < n; ++i) o[i] = add_mod(o[i], mul_shoup(xi[i] + 4 * q - c[i], w, ws, q), q);
    } else {
      for (std::size_t i = 0; i < n; ++i) o[i] = mul_shoup(xi[i] + 4 * q - c[i], w, ws, q);
    }
  }
}

void mod_down(const CkksContext& ctx, std::size_t level, const RnsPoly& x, RnsPoly& out) {
  mod_down(ctx, level, x.data(), out, KeySwitchOutput::kOverwrite);
}

void switch_key(const CkksContext& ctx, const KeySwitchDigits& digits, const KeySwitchKey& key,
                const std::vector<std::uint32_t>* perm, RnsPoly& d0, KeySwitchOutput mode0, RnsPoly& d1,
                KeySwitchOutput mode1) {
  const std::size_t n = ctx.n(), level = digits.level, count = digits.count;
  check_key_level(key, level);
  const auto& ext = ctx.ext_primes(level);
  const std::size_t e = ext.size();
  u64* acc = scratch(kAcc, 2 * e * n);
#pragma omp parallel for schedule(static) if (e > 1)
  for (std::ptrdiff_t kk = 0; kk < static_cast<std::ptrdiff_t>(e); ++kk) {
    const auto k = static_cast<std::size_t>(kk);
    std::vector<const u64*> dig(count);
    for (std::size_t d = 0; d < count; ++d) dig[d] = digits.data.limb(d * e + k);
    inner_product_limb_any(dig.data(), count, key, ext[k], ctx.modulus(ext[k]), perm ? perm->data() : nullptr, n,
                           acc + k * n, acc + (e + k) * n);
  }
  mod_down_pair(ctx, level, acc, d0, mode0, d1, mode1);
}

void switch_key(const CkksContext& ctx, const KeySwitchDigits& digits, const KeySwitchKey& key,
                const std::vector<std::uint32_t>* perm, RnsPoly& d0, RnsPoly& d1) {
  switch_key(ctx, digits, key, perm, d0, KeySwitchOutput::kOverwrite, d1, KeySwitchOutput::kOverwrite);
}

void key_switch_sum(const CkksContext& ctx, const RnsPoly& c, std::size_t level, std::span<const KeySwitchTerm> terms,
                    RnsPoly& d0, KeySwitchOutput mode0, RnsPoly& d1, KeySwitchOutput mode1) {
  const std::size_t n = ctx.n();
  if (terms.empty()) throw InvalidArgument("key_switch_sum: no terms");
  for (const KeySwitchTerm& t : terms) check_key_level(*t.key, level);
  const auto& ext = ctx.ext_primes(level);
  const std::size_t e = ext.size();
  const std::size_t count = ctx.params().digit_count(level);
  // With one-prime digits the conversion is exact and commutes with the automorphism (the centered
  // residue of -x is minus that of x), so for a single term permuting c first gives bit for bit the same
  // digits as permuting every converted digit limb, for one pass over c instead of a gather per digit and limb.
  const u64* input = c.data();
  const std::vector<std::uint32_t>* single_perm = terms.size() == 1 ? terms[0].perm : nullptr;
  if (single_perm && count == level + 1) {
    u64* permuted = scratch(kPermuted, (level + 1) * n);
    poly::permute(*single_perm, level + 1, c.data(), permuted);
    input = permuted;
  }
  const bool perm_applied = input != c.data();
  u64* src = scratch(kSources, digit_source_words(ctx, level));
  prepare_digit_sources(ctx, level, input, src);
  u64* acc = scratch(kAcc, 2 * e * n);
  // Output limb by output limb: its digit limbs (count * n words, per thread) stay in cache between
  // their conversion, their NTT and the inner products of every term.
#pragma omp parallel for schedule(dynamic, 1) if (e > 1)
  for (std::ptrdiff_t kk = 0; kk < static_cast<std::ptrdiff_t>(e); ++kk) {
    const auto k = static_cast<std::size_t>(kk);
    u64* limbs = scratch(kDigitLimbs, count * n);
    std::vector<const u64*> dig(count);
    for (std::size_t d = 0; d < count; ++d) {
      const auto [first, last] = ctx.params().digit_range(level, d);
      if (k >= first && k < last) {
        dig[d] = input + k * n;
      } else {
        u64* limb = limbs + d * n;
        convert_digit(ctx, level, d, src, k, limb);
        ctx.ntt(ext[k]).forward_lazy(limb);  // < 4q: the inner product reduces anyway
        dig[d] = limb;
      }
    }
    const Modulus& m = ctx.modulus(ext[k]);
    u64* o0 = acc + k * n;
    u64* o1 = acc + (e + k) * n;
    u64* term = scratch(kTerm, 2 * n);
    for (std::size_t t = 0; t < terms.size(); ++t) {
      const std::uint32_t* perm = perm_applied || !terms[t].perm ? nullptr : terms[t].perm->data();
      // The first term writes the sums, the others add theirs (reduced, so one add_mod each).
      u64* x0 = t == 0 ? o0 : term;
      u64* x1 = t == 0 ? o1 : term + n;
      inner_product_limb_any(dig.data(), count, *terms[t].key, ext[k], m, perm, n, x0, x1);
      if (t == 0) continue;
      const std::span<const std::size_t> prime(&ext[k], 1);
      poly::add(ctx, prime, o0, x0, o0);
      poly::add(ctx, prime, o1, x1, o1);
    }
  }
  mod_down_pair(ctx, level, acc, d0, mode0, d1, mode1);
}

void key_switch(const CkksContext& ctx, const RnsPoly& c, std::size_t level, const KeySwitchKey& key,
                const std::vector<std::uint32_t>* perm, RnsPoly& d0, KeySwitchOutput mode0, RnsPoly& d1,
                KeySwitchOutput mode1) {
  const KeySwitchTerm term{&key, perm};
  key_switch_sum(ctx, c, level, std::span(&term, 1), d0, mode0, d1, mode1);
}

}  // namespace hepex::ckks
