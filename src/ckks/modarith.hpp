#pragma once
// Word-size modular arithmetic for NTT-friendly primes q < 2^61.
// Barrett reduction (128-bit constant floor(2^128/q)) for general products; Shoup multiplication
// (precomputed floor(w*2^64/q)) for products with a fixed operand (twiddles, constants).
// The 61-bit bound leaves headroom for lazy reduction: values in [0, 4q) fit in 63 bits.
#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "util/error.hpp"

namespace hepex::ckks {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

inline constexpr int kMaxModulusBits = 61;

struct Modulus {
  u64 value = 0;
  u64 barrett_hi = 0;  // floor(2^128 / q) = barrett_hi * 2^64 + barrett_lo
  u64 barrett_lo = 0;
  int bits = 0;

  Modulus() = default;
  explicit Modulus(u64 q) : value(q) {
    if (q < 2 || (q >> kMaxModulusBits) != 0)
      throw InvalidArgument("Modulus: " + std::to_string(q) + " must be in [2, 2^61)");
    bits = 64 - __builtin_clzll(q);
    // floor(2^128 / q) computed as floor((2^128 - 1) / q) (q is not a power of two for odd q > 2; for
    // powers of two the two differ, but moduli here are odd primes or small test values).
    const u128 max = ~u128{0};
    const u128 quot = max / q;
    barrett_hi = static_cast<u64>(quot >> 64);
    barrett_lo = static_cast<u64>(quot);
  }
  bool operator==(const Modulus& o) const { return value == o.value; }
};

inline u64 add_mod(u64 a, u64 b, u64 q) {
  const u64 s = a + b;
  return s >= q ? s - q : s;
}
inline u64 sub_mod(u64 a, u64 b, u64 q) { return a >= b ? a - b : a + q - b; }
inline u64 neg_mod(u64 a, u64 q) { return a == 0 ? 0 : q - a; }

// x mod q for any 128-bit x (Barrett with the full 128-bit constant; result in [0, q)).
inline u64 reduce_u128(u128 x, const Modulus& m) {
  const u64 xl = static_cast<u64>(x), xh = static_cast<u64>(x >> 64);
  // floor(x * floor(2^128/q) / 2^128), computed from the 4 partial products (only the top word is needed).
  const u128 ll = static_cast<u128>(xl) * m.barrett_lo;
  const u128 lh = static_cast<u128>(xl) * m.barrett_hi;
  const u128 hl = static_cast<u128>(xh) * m.barrett_lo;
  const u64 hh = xh * m.barrett_hi;  // only its low word can land in the quotient's low word
  const u128 mid = (ll >> 64) + static_cast<u64>(lh) + static_cast<u64>(hl);
  const u64 quot = hh + static_cast<u64>(lh >> 64) + static_cast<u64>(hl >> 64) + static_cast<u64>(mid >> 64);
  u64 r = xl - quot * m.value;
  return r >= m.value ? r - m.value : r;
}

// a mod q for a 64-bit a.
inline u64 reduce_u64(u64 a, const Modulus& m) {
  const u64 quot = static_cast<u64>((static_cast<u128>(a) * m.barrett_hi) >> 64);
  u64 r = a - quot * m.value;
  return r >= m.value ? r - m.value : r;
}

// a*b mod q for a, b < q (or any a*b < 2^128).
inline u64 mul_mod(u64 a, u64 b, const Modulus& m) { return reduce_u128(static_cast<u128>(a) * b, m); }

// Shoup: w' = floor(w * 2^64 / q) for a fixed operand w < q.
inline u64 shoup_precompute(u64 w, u64 q) { return static_cast<u64>((static_cast<u128>(w) << 64) / q); }

// a*w mod q in [0, 2q) for any a < 2^64 (lazy).
inline u64 mul_shoup_lazy(u64 a, u64 w, u64 w_shoup, u64 q) {
  const u64 hi = static_cast<u64>((static_cast<u128>(a) * w_shoup) >> 64);
  return a * w - hi * q;
}
// a*w mod q in [0, q).
inline u64 mul_shoup(u64 a, u64 w, u64 w_shoup, u64 q) {
  const u64 r = mul_shoup_lazy(a, w, w_shoup, q);
  return r >= q ? r - q : r;
}

inline u64 pow_mod(u64 base, u64 exp, const Modulus& m) {
  u64 result = 1 % m.value, b = reduce_u64(base, m);
  while (exp) {
    if (exp & 1) result = mul_mod(result, b, m);
    b = mul_mod(b, b, m);
    exp >>= 1;
  }
  return result;
}

// Inverse of a modulo q (q need not be prime); throws if gcd(a, q) != 1.
inline u64 inv_mod(u64 a, u64 q) {
  using i128 = __int128;
  i128 t = 0, new_t = 1, r = q, new_r = a % q;
  while (new_r != 0) {
    const i128 quot = r / new_r;
    i128 tmp = t - quot * new_t;
    t = new_t;
    new_t = tmp;
    tmp = r - quot * new_r;
    r = new_r;
    new_r = tmp;
  }
  if (r != 1) throw InvalidArgument("inv_mod: " + std::to_string(a) + " is not invertible modulo " + std::to_string(q));
  if (t < 0) t += q;
  return static_cast<u64>(t);
}

#if defined(__AVX2__)
// Four-lane versions for the NTT and RNS kernels. AVX2 has no 64x64->128 multiply, so the Shoup product is
// assembled from 32x32->64 multiplies (10 per 4 lanes); Zen 3 issues two per cycle, which beats the single
// scalar 64-bit multiplier. Lane values stay below 2^63, so signed compares are exact.
namespace avx2 {

struct ModulusLanes {
  __m256i q, q_minus_one, q_hi, two_q, two_q_minus_one, low32;
  explicit ModulusLanes(u64 modulus)
      : q(_mm256_set1_epi64x(static_cast<long long>(modulus))),
        q_minus_one(_mm256_set1_epi64x(static_cast<long long>(modulus - 1))),
        q_hi(_mm256_set1_epi64x(static_cast<long long>(modulus >> 32))),
        two_q(_mm256_set1_epi64x(static_cast<long long>(2 * modulus))),
        two_q_minus_one(_mm256_set1_epi64x(static_cast<long long>(2 * modulus - 1))),
        low32(_mm256_set1_epi64x(0xffffffffLL)) {}
};

// A fixed operand w with its Shoup companion, each also split into its high 32 bits.
struct ShoupOperand {
  __m256i w, w_hi, ws, ws_hi;
  ShoupOperand(__m256i w_, __m256i ws_) : w(w_), w_hi(_mm256_srli_epi64(w_, 32)), ws(ws_), ws_hi(_mm256_srli_epi64(ws_, 32)) {}
};

// Lane-wise a*w mod q in [0, 2q) (Shoup): r = a*w - floor(a*ws / 2^64) * q, computed modulo 2^64.
inline __m256i mul_shoup_lazy(__m256i a, const ShoupOperand& t, const ModulusLanes& c) {
  const __m256i a_hi = _mm256_srli_epi64(a, 32);
  // floor(a * ws / 2^64) exactly, from the four 32-bit partial products.
  const __m256i p00 = _mm256_mul_epu32(a, t.ws), p01 = _mm256_mul_epu32(a, t.ws_hi);
  const __m256i p10 = _mm256_mul_epu32(a_hi, t.ws), p11 = _mm256_mul_epu32(a_hi, t.ws_hi);
  const __m256i cross = _mm256_add_epi64(p10, _mm256_srli_epi64(p00, 32));
  const __m256i mid = _mm256_add_epi64(p01, _mm256_and_si256(cross, c.low32));
  const __m256i quot = _mm256_add_epi64(_mm256_add_epi64(p11, _mm256_srli_epi64(cross, 32)), _mm256_srli_epi64(mid, 32));
  // a*w - quot*q modulo 2^64: low halves directly, the cross terms shifted up by 32.
  const __m256i quot_hi = _mm256_srli_epi64(quot, 32);
  const __m256i low = _mm256_sub_epi64(_mm256_mul_epu32(a, t.w), _mm256_mul_epu32(quot, c.q));
  const __m256i cross_terms =
      _mm256_sub_epi64(_mm256_add_epi64(_mm256_mul_epu32(a, t.w_hi), _mm256_mul_epu32(a_hi, t.w)),
                       _mm256_add_epi64(_mm256_mul_epu32(quot, c.q_hi), _mm256_mul_epu32(quot_hi, c.q)));
  return _mm256_add_epi64(low, _mm256_slli_epi64(cross_terms, 32));
}

// Moduli below this bound (2q fits 32 bits) take the narrow kernels: 64-bit lane accumulation in key
// switching's inner product and the plaintext products (the NTT in 32-bit lanes has its own bound, ntt32.hpp).
inline constexpr u64 kNarrowModulusBound = u64{1} << 31;

// Sums of products of residues of a modulus q < kNarrowModulusBound (each < (q-1)^2 < 2^62) in 64-bit lanes,
// reduced once at the end, added one or two at a time (pair < 2 (q-1)^2 < 2^63 - 2^31): a lane stays below
// K = q * floor(2^63 / q) (> 2^63 - q), so adding cannot overflow (< K + 2^63 <= 2^64) and one subtraction of K
// brings it back below the pair (< K); the sum is unchanged modulo q. One test per two products.
struct NarrowPairSum {
  u64 limit;  // K
  __m256i sign, big, big_minus_one_signed;
  explicit NarrowPairSum(u64 q)
      : limit(q * ((u64{1} << 63) / q)),
        sign(_mm256_set1_epi64x(static_cast<long long>(u64{1} << 63))),
        big(_mm256_set1_epi64x(static_cast<long long>(limit))),
        big_minus_one_signed(_mm256_xor_si256(_mm256_set1_epi64x(static_cast<long long>(limit - 1)), sign)) {}
  __m256i add(__m256i s, __m256i pair) const {
    s = _mm256_add_epi64(s, pair);
    const __m256i reached = _mm256_cmpgt_epi64(_mm256_xor_si256(s, sign), big_minus_one_signed);
    return _mm256_sub_epi64(s, _mm256_and_si256(reached, big));
  }
  u64 add(u64 s, u64 pair) const {
    s += pair;
    return s >= limit ? s - limit : s;
  }
};

// x - bound where x >= bound (x < 2 bound < 2^63).
inline __m256i fold(__m256i x, __m256i bound, __m256i bound_minus_one) {
  return _mm256_sub_epi64(x, _mm256_and_si256(_mm256_cmpgt_epi64(x, bound_minus_one), bound));
}

// A lazy residue x < 4q reduced to [0, q).
inline __m256i reduce_below_4q(__m256i x, const ModulusLanes& c) {
  return fold(fold(x, c.two_q, c.two_q_minus_one), c.q, c.q_minus_one);
}

inline __m256i load(const u64* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(u64* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

}  // namespace avx2
#endif  // __AVX2__

// Whether q takes the narrow (32-bit operand) kernels in this build: below avx2::kNarrowModulusBound where
// AVX2 is available, never otherwise. Key switching's inner product and the packed key words it reads
// (KeySwitchKey::packed) must agree on it.
inline bool takes_narrow_kernels(u64 q) {
#if defined(__AVX2__)
  return q < avx2::kNarrowModulusBound;
#else
  (void)q;
  return false;
#endif
}

}  // namespace hepex::ckks
