// Negacyclic NTT: Cooley-Tukey forward, Gentleman-Sande inverse, Harvey lazy butterflies.
//
// Value ranges (q < 2^61, so 4q < 2^63 and sums never overflow):
//   forward: every stage maps [0, 4q) -> [0, 4q); the full variant reduces to [0, q) in its last stage.
//   inverse: every stage maps [0, 2q) -> [0, 2q) (the first stage also folds inputs from [0, 4q));
//            the last stage carries the 1/n factor; the full variant then reduces to [0, q).
#include "ckks/ntt.hpp"

#include <string>

#include "ckks/primes.hpp"

namespace hepex::ckks {

namespace {
namespace ntt_kernels {

// Harvey's forward butterfly: (x, y) -> (x + w*y, x - w*y), inputs and outputs in [0, 4q).
inline void forward_butterfly(u64& x, u64& y, u64 w, u64 w_shoup, u64 q, u64 two_q) {
  u64 u = x;
  u = u >= two_q ? u - two_q : u;
  const u64 v = mul_shoup_lazy(y, w, w_shoup, q);
  x = u + v;
  y = u - v + two_q;
}

// Gentleman-Sande inverse butterfly: (x, y) -> (x + y, w*(x - y)), inputs and outputs in [0, 2q).
inline void inverse_butterfly(u64& x, u64& y, u64 w, u64 w_shoup, u64 q, u64 two_q) {
  const u64 u = x, v = y;
  const u64 s = u + v;
  x = s >= two_q ? s - two_q : s;
  y = mul_shoup_lazy(u - v + two_q, w, w_shoup, q);
}

inline u64 fold_below(u64 x, u64 bound) { return x >= bound ? x - bound : x; }

void forward_scalar(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, bool reduce_output) {
  const std::size_t n = std::size_t{1} << log_n;
  const u64 two_q = 2 * q;
  // All stages but the last: groups of t >= 2 butterflies sharing one twiddle.
  std::size_t m = 1, t = n / 2;
  for (; t >= 2; m <<= 1, t >>= 1) {
    for (std::size_t i = 0; i < m; ++i) {
      const u64 wi = w[m + i], wsi = w_shoup[m + i];
      u64* x = a + 2 * i * t;
      u64* y = x + t;
      for (std::size_t j = 0; j < t; ++j) forward_butterfly(x[j], y[j], wi, wsi, q, two_q);
    }
  }
  // Last stage (t = 1): one twiddle per adjacent pair, optionally reducing the output to [0, q).
  for (std::size_t i = 0; i < n / 2; ++i) {
    forward_butterfly(a[2 * i], a[2 * i + 1], w[m + i], w_shoup[m + i], q, two_q);
    if (reduce_output) {
      a[2 * i] = fold_below(fold_below(a[2 * i], two_q), q);
      a[2 * i + 1] = fold_below(fold_below(a[2 * i + 1], two_q), q);
    }
  }
}

void inverse_scalar(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, u64 n_inv, u64 n_inv_shoup,
                    u64 n_inv_w, u64 n_inv_w_shoup, bool reduce_output) {
  const std::size_t n = std::size_t{1} << log_n;
  const u64 two_q = 2 * q;
  // Lazy inputs may be up to 4q: fold them to [0, 2q) once, inside the first stage's loads.
  std::size_t h = n / 2, t = 1;
  if (h >= 2) {
    for (std::size_t i = 0; i < h; ++i) {
      u64* x = a + 2 * i;
      x[0] = fold_below(x[0], two_q);
      x[1] = fold_below(x[1], two_q);
      inverse_butterfly(x[0], x[1], w[i], w_shoup[i], q, two_q);
    }
    w += h;
    w_shoup += h;
    h >>= 1;
    t <<= 1;
  } else {
    a[0] = fold_below(a[0], two_q);
    a[1] = fold_below(a[1], two_q);
  }
  for (; h >= 2; w += h, w_shoup += h, h >>= 1, t <<= 1) {
    for (std::size_t i = 0; i < h; ++i) {
      const u64 wi = w[i], wsi = w_shoup[i];
      u64* x = a + 2 * i * t;
      u64* y = x + t;
      for (std::size_t j = 0; j < t; ++j) inverse_butterfly(x[j], y[j], wi, wsi, q, two_q);
    }
  }
  // Last stage (h = 1) with 1/n merged: x' = (x + y)/n, y' = (x - y) * w / n.
  u64* x = a;
  u64* y = a + t;
  for (std::size_t j = 0; j < t; ++j) {
    const u64 u = x[j], v = y[j];
    u64 s = mul_shoup_lazy(u + v, n_inv, n_inv_shoup, q);
    u64 d = mul_shoup_lazy(u - v + two_q, n_inv_w, n_inv_w_shoup, q);
    if (reduce_output) {
      s = fold_below(s, q);
      d = fold_below(d, q);
    }
    x[j] = s;
    y[j] = d;
  }
}

#if defined(__AVX2__)
// AVX2 kernels: four butterflies per instruction stream, on the lane-wise Shoup product of modarith.hpp.
namespace avx2_kernels {
using namespace ckks::avx2;

// a*w mod q in [0, 2q) for a < 4q. kNarrow (q < 2^31): a is folded below 2q < 2^32 first, then the
// three-multiply Shoup product applies; otherwise the general one.
template <bool kNarrow>
inline __m256i mul_lazy(__m256i a, const ShoupOperand& t, const ModulusLanes& c) {
  if constexpr (kNarrow) return mul_shoup_lazy_narrow(fold(a, c.two_q, c.two_q_minus_one), t, c);
  else return mul_shoup_lazy(a, t, c);
}

template <bool kNarrow>
inline void forward_butterfly(__m256i& x, __m256i& y, const ShoupOperand& t, const ModulusLanes& c) {
  const __m256i u = fold(x, c.two_q, c.two_q_minus_one);
  const __m256i v = mul_lazy<kNarrow>(y, t, c);
  x = _mm256_add_epi64(u, v);
  y = _mm256_add_epi64(_mm256_sub_epi64(u, v), c.two_q);
}

template <bool kNarrow>
inline void inverse_butterfly(__m256i& x, __m256i& y, const ShoupOperand& t, const ModulusLanes& c) {
  const __m256i s = _mm256_add_epi64(x, y);
  const __m256i d = _mm256_add_epi64(_mm256_sub_epi64(x, y), c.two_q);
  x = fold(s, c.two_q, c.two_q_minus_one);
  y = mul_lazy<kNarrow>(d, t, c);
}

// ShoupOperands i, i+1 each repeated twice: [w_i, w_i, w_{i+1}, w_{i+1}] (for groups of two butterflies).
inline __m256i load_pairs(const u64* p) {
  return _mm256_permute4x64_epi64(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 0x50);
}
// ShoupOperands i..i+3 in the lane order of the even/odd split below: [w_0, w_2, w_1, w_3].
inline __m256i load_interleaved(const u64* p) { return _mm256_permute4x64_epi64(load(p), 0xD8); }

// Stage helpers for the three shapes: t >= 4 (contiguous halves), t = 2 and t = 1 (in-register shuffles).
template <class Butterfly>
void stage_wide(u64* a, std::size_t groups, std::size_t t, const u64* w, const u64* ws, const ModulusLanes& c,
                Butterfly bf) {
  for (std::size_t i = 0; i < groups; ++i) {
    const ShoupOperand tw(_mm256_set1_epi64x(static_cast<long long>(w[i])), _mm256_set1_epi64x(static_cast<long long>(ws[i])));
    u64* x = a + 2 * i * t;
    u64* y = x + t;
    for (std::size_t j = 0; j < t; j += 4) {
      __m256i xv = load(x + j), yv = load(y + j);
      bf(xv, yv, tw, c);
      store(x + j, xv);
      store(y + j, yv);
    }
  }
}

template <class Butterfly>
void stage_t2(u64* a, std::size_t groups, const u64* w, const u64* ws, const ModulusLanes& c, Butterfly bf) {
  for (std::size_t i = 0; i < groups; i += 2) {
    // a[4i..4i+8) = [x0 x1 y0 y1 | x0' x1' y0' y1'] for groups i and i+1.
    u64* p = a + 4 * i;
    const __m256i lo = load(p), hi = load(p + 4);
    __m256i x = _mm256_permute2x128_si256(lo, hi, 0x20), y = _mm256_permute2x128_si256(lo, hi, 0x31);
    bf(x, y, ShoupOperand(load_pairs(w + i), load_pairs(ws + i)), c);
    store(p, _mm256_permute2x128_si256(x, y, 0x20));
    store(p + 4, _mm256_permute2x128_si256(x, y, 0x31));
  }
}

template <class Butterfly, class Post>
void stage_t1(u64* a, std::size_t groups, const u64* w, const u64* ws, const ModulusLanes& c, Butterfly bf, Post post) {
  for (std::size_t i = 0; i < groups; i += 4) {
    // a[2i..2i+8) = [x0 y0 x1 y1 | x2 y2 x3 y3] -> x = [x0 x2 x1 x3], y = [y0 y2 y1 y3].
    u64* p = a + 2 * i;
    const __m256i lo = load(p), hi = load(p + 4);
    __m256i x = _mm256_unpacklo_epi64(lo, hi), y = _mm256_unpackhi_epi64(lo, hi);
    bf(x, y, ShoupOperand(load_interleaved(w + i), load_interleaved(ws + i)), c);
    x = post(x);
    y = post(y);
    store(p, _mm256_unpacklo_epi64(x, y));
    store(p + 4, _mm256_unpackhi_epi64(x, y));
  }
}

// Requires n >= 8.
template <bool kNarrow>
void forward(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, bool reduce_output) {
  const std::size_t n = std::size_t{1} << log_n;
  const ModulusLanes c(q);
  const auto bf = [](__m256i& x, __m256i& y, const ShoupOperand& t, const ModulusLanes& k) {
    forward_butterfly<kNarrow>(x, y, t, k);
  };
  std::size_t m = 1, t = n / 2;
  for (; t >= 4; m <<= 1, t >>= 1) stage_wide(a, m, t, w + m, w_shoup + m, c, bf);
  stage_t2(a, m, w + m, w_shoup + m, c, bf);
  m <<= 1;
  const __m256i q_minus_one = _mm256_set1_epi64x(static_cast<long long>(q - 1));
  if (reduce_output)
    stage_t1(a, m, w + m, w_shoup + m, c, bf,
             [&](__m256i v) { return fold(fold(v, c.two_q, c.two_q_minus_one), c.q, q_minus_one); });
  else
    stage_t1(a, m, w + m, w_shoup + m, c, bf, [](__m256i v) { return v; });
}

// Requires n >= 8.
template <bool kNarrow>
void inverse(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, u64 n_inv, u64 n_inv_shoup, u64 n_inv_w,
             u64 n_inv_w_shoup, bool reduce_output) {
  const std::size_t n = std::size_t{1} << log_n;
  const ModulusLanes c(q);
  const auto bf = [](__m256i& x, __m256i& y, const ShoupOperand& t, const ModulusLanes& k) {
    inverse_butterfly<kNarrow>(x, y, t, k);
  };
  // First stage (t = 1) folds lazy inputs from [0, 4q) to [0, 2q) before the butterfly.
  const auto fold_then_bf = [](__m256i& x, __m256i& y, const ShoupOperand& t, const ModulusLanes& k) {
    x = fold(x, k.two_q, k.two_q_minus_one);
    y = fold(y, k.two_q, k.two_q_minus_one);
    inverse_butterfly<kNarrow>(x, y, t, k);
  };
  std::size_t h = n / 2;
  stage_t1(a, h, w, w_shoup, c, fold_then_bf, [](__m256i v) { return v; });
  w += h;
  w_shoup += h;
  h >>= 1;
  stage_t2(a, h, w, w_shoup, c, bf);
  w += h;
  w_shoup += h;
  h >>= 1;
  std::size_t t = 4;
  for (; h >= 2; w += h, w_shoup += h, h >>= 1, t <<= 1) stage_wide(a, h, t, w, w_shoup, c, bf);
  // Last stage with 1/n merged: x' = (x + y)/n, y' = (x - y) w/n.
  const ShoupOperand scale(_mm256_set1_epi64x(static_cast<long long>(n_inv)), _mm256_set1_epi64x(static_cast<long long>(n_inv_shoup)));
  const ShoupOperand scale_w(_mm256_set1_epi64x(static_cast<long long>(n_inv_w)),
                        _mm256_set1_epi64x(static_cast<long long>(n_inv_w_shoup)));
  const __m256i q_minus_one = _mm256_set1_epi64x(static_cast<long long>(q - 1));
  u64* x = a;
  u64* y = a + t;
  for (std::size_t j = 0; j < t; j += 4) {
    const __m256i u = load(x + j), v = load(y + j);
    __m256i s = mul_lazy<kNarrow>(_mm256_add_epi64(u, v), scale, c);
    __m256i d = mul_lazy<kNarrow>(_mm256_add_epi64(_mm256_sub_epi64(u, v), c.two_q), scale_w, c);
    if (reduce_output) {
      s = fold(s, c.q, q_minus_one);
      d = fold(d, c.q, q_minus_one);
    }
    store(x + j, s);
    store(y + j, d);
  }
}

}  // namespace avx2_kernels
#endif  // __AVX2__

// Vector kernels for n >= 8 when the target has AVX2 (moduli below avx2::kNarrowModulusBound: the
// three-multiply Shoup product); the scalar ones otherwise (and for tiny rings).
void forward(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, bool reduce_output) {
#if defined(__AVX2__)
  if (log_n >= 3) {
    if (q < avx2::kNarrowModulusBound) return avx2_kernels::forward<true>(a, log_n, q, w, w_shoup, reduce_output);
    return avx2_kernels::forward<false>(a, log_n, q, w, w_shoup, reduce_output);
  }
#endif
  forward_scalar(a, log_n, q, w, w_shoup, reduce_output);
}

void inverse(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, u64 n_inv, u64 n_inv_shoup, u64 n_inv_w,
             u64 n_inv_w_shoup, bool reduce_output) {
#if defined(__AVX2__)
  if (log_n >= 3) {
    if (q < avx2::kNarrowModulusBound)
      return avx2_kernels::inverse<true>(a, log_n, q, w, w_shoup, n_inv, n_inv_shoup, n_inv_w, n_inv_w_shoup, reduce_output);
    return avx2_kernels::inverse<false>(a, log_n, q, w, w_shoup, n_inv, n_inv_shoup, n_inv_w, n_inv_w_shoup, reduce_output);
  }
#endif
  inverse_scalar(a, log_n, q, w, w_shoup, n_inv, n_inv_shoup, n_inv_w, n_inv_w_shoup, reduce_output);
}

}  // namespace ntt_kernels
}  // namespace

NttTables::NttTables(std::size_t n, const Modulus& q) : n_(n), q_(q) {
  if (n < 2 || (n & (n - 1)) != 0)
    throw InvalidArgument("NttTables: ring degree n = " + std::to_string(n) + " must be a power of two >= 2");
  if ((q.value - 1) % (2 * n) != 0)
    throw InvalidArgument("NttTables: modulus " + std::to_string(q.value) + " is not 1 mod 2n = " +
                          std::to_string(2 * n));
  log_n_ = __builtin_ctzll(n);
  psi_ = minimal_primitive_root(2 * n, q);
  const u64 psi_inv = inv_mod(psi_, q.value);

  // psi^k and psi^-k for k < n, then arranged in consumption order.
  std::vector<u64> pow(n), pow_inv(n);
  pow[0] = pow_inv[0] = 1;
  for (std::size_t k = 1; k < n; ++k) {
    pow[k] = mul_mod(pow[k - 1], psi_, q);
    pow_inv[k] = mul_mod(pow_inv[k - 1], psi_inv, q);
  }
  // Forward stage with m butterfly groups uses psi^bitrev(m + i), i < m: index m + i in this table.
  fwd_.resize(n);
  fwd_shoup_.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    fwd_[k] = pow[bit_reverse(k, log_n_)];
    fwd_shoup_[k] = shoup_precompute(fwd_[k], q.value);
  }
  // Inverse stage with h groups (h = n/2, n/4, ..., 1) uses psi^-bitrev(h + i), stored stage after stage.
  inv_.reserve(n);
  inv_shoup_.reserve(n);
  for (std::size_t h = n / 2; h >= 1; h /= 2)
    for (std::size_t i = 0; i < h; ++i) {
      inv_.push_back(pow_inv[bit_reverse(h + i, log_n_)]);
      inv_shoup_.push_back(shoup_precompute(inv_.back(), q.value));
    }
  n_inv_ = inv_mod(static_cast<u64>(n % q.value), q.value);
  n_inv_shoup_ = shoup_precompute(n_inv_, q.value);
  n_inv_w_ = mul_mod(n_inv_, inv_.back(), q);
  n_inv_w_shoup_ = shoup_precompute(n_inv_w_, q.value);
  if (ntt32::applies(q.value))
    narrow_ = ntt32::narrow_tables(fwd_, fwd_shoup_, inv_, inv_shoup_, n_inv_, n_inv_shoup_, n_inv_w_, n_inv_w_shoup_);
}

// Where the 32-bit-lane kernels apply they serve the lazy variants too: their outputs are reduced, within
// every lazy bound.
void NttTables::forward_lazy(u64* a) const {
  if (narrow_applies(log_n_)) return ntt32::forward(a, log_n_, static_cast<std::uint32_t>(q_.value), narrow_);
  ntt_kernels::forward(a, log_n_, q_.value, fwd_.data(), fwd_shoup_.data(), /*reduce_output=*/false);
}
void NttTables::forward(u64* a) const {
  if (narrow_applies(log_n_)) return ntt32::forward(a, log_n_, static_cast<std::uint32_t>(q_.value), narrow_);
  ntt_kernels::forward(a, log_n_, q_.value, fwd_.data(), fwd_shoup_.data(), /*reduce_output=*/true);
}
void NttTables::forward_subring(u64* b, std::size_t len) const {
  if (len == 0 || len > n_ || (len & (len - 1)) != 0)
    throw InvalidArgument("NttTables::forward_subring: length " + std::to_string(len) + " is not a power of two <= " +
                          std::to_string(n_));
  if (len == 1) return;  // b(psi^n) = b_0 for a constant
  const int log_len = __builtin_ctzll(len);
  if (narrow_applies(log_len)) return ntt32::forward(b, log_len, static_cast<std::uint32_t>(q_.value), narrow_);
  ntt_kernels::forward(b, log_len, q_.value, fwd_.data(), fwd_shoup_.data(), /*reduce_output=*/true);
}
void NttTables::inverse_lazy(u64* a) const {
  if (narrow_applies(log_n_)) return ntt32::inverse(a, log_n_, static_cast<std::uint32_t>(q_.value), narrow_);
  ntt_kernels::inverse(a, log_n_, q_.value, inv_.data(), inv_shoup_.data(), n_inv_, n_inv_shoup_, n_inv_w_,
                       n_inv_w_shoup_, /*reduce_output=*/false);
}
void NttTables::inverse(u64* a) const {
  if (narrow_applies(log_n_)) return ntt32::inverse(a, log_n_, static_cast<std::uint32_t>(q_.value), narrow_);
  ntt_kernels::inverse(a, log_n_, q_.value, inv_.data(), inv_shoup_.data(), n_inv_, n_inv_shoup_, n_inv_w_,
                       n_inv_w_shoup_, /*reduce_output=*/true);
}

}  // namespace hepex::ckks
