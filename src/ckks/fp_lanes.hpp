#pragma once
// Residues modulo 2^31 <= q < 2^52 as doubles, four lanes (AVX2 + FMA): the double-precision NTT (q < 2^51),
// the plaintext product kernels and key switching's inner product share these. A product a w (a, w < q) is
// h + l exactly, h = fl(a w), l = fma(a, w, -h), |l| <= 2^49 below 2^51; quot = floor(h / q) is within one of
// floor(a w / q), and h - quot q and its sum with l are integers below 2^53, hence exact: a w - quot q in
// [-q, 2q), two corrections to [0, q). From 2^51 the nearest quotient keeps it exact (mul_term).
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "ckks/modarith.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace hepex::ckks::fp {

#if defined(__AVX2__) && defined(__FMA__)
inline constexpr bool kBuilt = true;
#else
inline constexpr bool kBuilt = false;
#endif
// Whether these kernels serve q in this build (AVX2 and FMA): 2^31 <= q < 2^51 (below, the 32-bit-lane
// kernels do better).
constexpr bool applies(u64 q) { return kBuilt && q >= (u64{1} << 31) && q < (u64{1} << 51); }
// Sums of products (mul_term) reach one bit further: 2^31 <= q < 2^52.
constexpr bool sums_apply(u64 q) { return kBuilt && q >= (u64{1} << 31) && q < (u64{1} << 52); }
// From 2^51 on each product is centred (mul_term) before it is summed.
constexpr bool centres_terms(u64 q) { return q >= (u64{1} << 51); }
// How many terms a sum may hold (a folded sum counting as one) and stay below 2^53 in magnitude, hence exact:
// mul_term's terms are below 2q (lazy), or q / 2 + 2 (centred); a folded sum is below q / 2 + 2.
constexpr std::size_t fold_terms(u64 q) {
  return static_cast<std::size_t>(centres_terms(q) ? ((u64{1} << 53) - 1) / (q / 2 + 2) : (u64{1} << 52) / q);
}

#if defined(__AVX2__) && defined(__FMA__)

struct Lanes {
  __m256d q, q_inv, zero;
  explicit Lanes(u64 modulus)
      : q(_mm256_set1_pd(static_cast<double>(modulus))), q_inv(_mm256_set1_pd(1.0 / static_cast<double>(modulus))),
        zero(_mm256_setzero_pd()) {}
};

inline __m256d as_pd(__m256i v) { return _mm256_castsi256_pd(v); }
inline __m256i as_si(__m256d v) { return _mm256_castpd_si256(v); }
// x + q where x < 0, x - q where x >= q.
inline __m256d lift(__m256d x, const Lanes& c) {
  return _mm256_add_pd(x, _mm256_and_pd(_mm256_cmp_pd(x, c.zero, _CMP_LT_OQ), c.q));
}
inline __m256d drop(__m256d x, const Lanes& c) {
  return _mm256_sub_pd(x, _mm256_and_pd(_mm256_cmp_pd(x, c.q, _CMP_GE_OQ), c.q));
}

// x / q rounded by kRounding (_MM_FROUND_FLOOR or _MM_FROUND_TO_NEAREST_INT).
template <int kRounding>
inline __m256d quotient(__m256d x, const Lanes& c) {
  return _mm256_round_pd(_mm256_mul_pd(x, c.q_inv), kRounding | _MM_FROUND_NO_EXC);
}
// a w - quot q with quot = quotient<kRounding>(fl(a w)): h - quot q + l.
template <int kRounding>
inline __m256d product_less_quotient(__m256d a, __m256d w, const Lanes& c) {
  const __m256d h = _mm256_mul_pd(a, w);
  const __m256d l = _mm256_fmsub_pd(a, w, h);
  return _mm256_add_pd(_mm256_fnmadd_pd(quotient<kRounding>(h, c), c.q, h), l);
}

// a w - quot q in [-q, 2q) (lazy), an integer held exactly.
inline __m256d mul_lazy(__m256d a, __m256d w, const Lanes& c) {
  return product_less_quotient<_MM_FROUND_FLOOR>(a, w, c);
}
// a w mod q in [0, q).
inline __m256d mul(__m256d a, __m256d w, const Lanes& c) { return drop(lift(mul_lazy(a, w, c), c), c); }

// An integer x < 2^52 is the double 2^52 + x with the exponent bits of 2^52 or-ed in: words to doubles and back.
inline __m256i magic_bits() { return _mm256_set1_epi64x(0x4330000000000000LL); }
inline __m256d magic() { return _mm256_set1_pd(4503599627370496.0); }  // 2^52
inline __m256d from_words(__m256i v) { return _mm256_sub_pd(as_pd(_mm256_or_si256(v, magic_bits())), magic()); }
inline __m256i to_words(__m256d x) { return _mm256_xor_si256(as_si(_mm256_add_pd(x, magic())), magic_bits()); }

// A sum s (|s| < 2^53, an integer) brought within q / 2 + 2 of zero: s - round(s / q) q (the computed quotient
// is within 2 / q of s / q, so it rounds to the nearest but near ties; the difference is exact below 2^53).
inline __m256d fold(__m256d s, const Lanes& c) {
  return _mm256_fnmadd_pd(quotient<_MM_FROUND_TO_NEAREST_INT>(s, c), c.q, s);
}
// The same for one value (the kernels' tails).
inline double fold(double s, double q) { return s - std::nearbyint(s / q) * q; }
// The same sum as words in [0, q).
inline __m256i reduce_to_words(__m256d s, const Lanes& c) { return to_words(drop(lift(fold(s, c), c), c)); }

// One term of a sum: a w - quot q for a, w < q (a held as a double), exact. Below 2^51, mul_lazy's term in
// [-q, 2q). From 2^51 (kCentre) the floor no longer keeps h - quot q + l below 2^53, the nearest quotient does:
// |h / q - quot| < 1.5 (the computed quotient is within h / q 2^-52 < 1), so |h - quot q| < 1.5 q and with
// |l| <= 2^50 the term is below 1.75 2^52; fold then centres it (q / 2 + 2), which fold_terms counts on.
template <bool kCentre>
inline __m256d mul_term(__m256d a, __m256d w, const Lanes& c) {
  if constexpr (!kCentre) return mul_lazy(a, w, c);
  else return fold(product_less_quotient<_MM_FROUND_TO_NEAREST_INT>(a, w, c), c);
}

#endif  // __AVX2__ && __FMA__

}  // namespace hepex::ckks::fp
