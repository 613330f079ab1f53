// Negacyclic NTT: Cooley-Tukey forward, Gentleman-Sande inverse, Harvey lazy butterflies.
//
// Value ranges (q < 2^61, so 4q < 2^63 and sums never overflow):
//   forward: every stage maps [0, 4q) -> [0, 4q); the full variant reduces to [0, q) in its last stage.
//   inverse: every stage maps [0, 2q) -> [0, 2q) (the first stage also folds inputs from [0, 4q));
//            the last stage carries the 1/n factor; the full variant then reduces to [0, q).
#include "ckks/ntt.hpp"

#include <bit>
#include <string>

#include "ckks/fp_lanes.hpp"
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
// AVX2 kernels, four butterflies per instruction stream: the lane-wise Shoup product of modarith.hpp (any
// modulus) or, where FMA is available and 2^31 <= q < 2^51, residues as doubles (fp below): a product modulo q
// is then six floating-point operations instead of ten 32-bit multiplies and their carries.
namespace avx2_kernels {
using namespace ckks::avx2;

// Harvey butterflies on the Shoup product, values in [0, 4q) (forward) and [0, 2q) (inverse).
inline void forward_butterfly(__m256i& x, __m256i& y, const ShoupOperand& t, const ModulusLanes& c) {
  const __m256i u = fold(x, c.two_q, c.two_q_minus_one);
  const __m256i v = mul_shoup_lazy(y, t, c);
  x = _mm256_add_epi64(u, v);
  y = _mm256_add_epi64(_mm256_sub_epi64(u, v), c.two_q);
}

inline void inverse_butterfly(__m256i& x, __m256i& y, const ShoupOperand& t, const ModulusLanes& c) {
  const __m256i s = _mm256_add_epi64(x, y);
  const __m256i d = _mm256_add_epi64(_mm256_sub_epi64(x, y), c.two_q);
  x = fold(s, c.two_q, c.two_q_minus_one);
  y = mul_shoup_lazy(d, t, c);
}

// ShoupOperands i, i+1 each repeated twice: [w_i, w_i, w_{i+1}, w_{i+1}] (for groups of two butterflies).
inline __m256i load_pairs(const u64* p) {
  return _mm256_permute4x64_epi64(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 0x50);
}
// ShoupOperands i..i+3 in the lane order of the even/odd split below: [w_0, w_2, w_1, w_3].
inline __m256i load_interleaved(const u64* p) { return _mm256_permute4x64_epi64(load(p), 0xD8); }

// Stage shapes for t >= 4 (contiguous halves), t = 2 and t = 1 (in-register shuffles), shared by both
// arithmetics: bf(x, y, w, ws) gets each lane's twiddle word and companion (fp ignores the companion).
template <class Butterfly>
void stage_wide(u64* a, std::size_t groups, std::size_t t, const u64* w, const u64* ws, Butterfly bf) {
  for (std::size_t i = 0; i < groups; ++i) {
    const __m256i wv = _mm256_set1_epi64x(static_cast<long long>(w[i]));
    const __m256i wsv = _mm256_set1_epi64x(static_cast<long long>(ws[i]));
    u64* x = a + 2 * i * t;
    u64* y = x + t;
    for (std::size_t j = 0; j < t; j += 4) {
      __m256i xv = load(x + j), yv = load(y + j);
      bf(xv, yv, wv, wsv);
      store(x + j, xv);
      store(y + j, yv);
    }
  }
}

template <class Butterfly>
void stage_t2(u64* a, std::size_t groups, const u64* w, const u64* ws, Butterfly bf) {
  for (std::size_t i = 0; i < groups; i += 2) {
    // a[4i..4i+8) = [x0 x1 y0 y1 | x0' x1' y0' y1'] for groups i and i+1.
    u64* p = a + 4 * i;
    const __m256i lo = load(p), hi = load(p + 4);
    __m256i x = _mm256_permute2x128_si256(lo, hi, 0x20), y = _mm256_permute2x128_si256(lo, hi, 0x31);
    bf(x, y, load_pairs(w + i), load_pairs(ws + i));
    store(p, _mm256_permute2x128_si256(x, y, 0x20));
    store(p + 4, _mm256_permute2x128_si256(x, y, 0x31));
  }
}

template <class Butterfly, class Post>
void stage_t1(u64* a, std::size_t groups, const u64* w, const u64* ws, Butterfly bf, Post post) {
  for (std::size_t i = 0; i < groups; i += 4) {
    // a[2i..2i+8) = [x0 y0 x1 y1 | x2 y2 x3 y3] -> x = [x0 x2 x1 x3], y = [y0 y2 y1 y3].
    u64* p = a + 2 * i;
    const __m256i lo = load(p), hi = load(p + 4);
    __m256i x = _mm256_unpacklo_epi64(lo, hi), y = _mm256_unpackhi_epi64(lo, hi);
    bf(x, y, load_interleaved(w + i), load_interleaved(ws + i));
    x = post(x);
    y = post(y);
    store(p, _mm256_unpacklo_epi64(x, y));
    store(p + 4, _mm256_unpackhi_epi64(x, y));
  }
}

// The stage sequences, for either arithmetic. Requires n >= 8.
template <class Butterfly, class Post>
void forward_stages(u64* a, int log_n, const u64* w, const u64* ws, Butterfly bf, Post last_post) {
  std::size_t m = 1, t = (std::size_t{1} << log_n) / 2;
  for (; t >= 4; m <<= 1, t >>= 1) stage_wide(a, m, t, w + m, ws + m, bf);
  stage_t2(a, m, w + m, ws + m, bf);
  m <<= 1;
  stage_t1(a, m, w + m, ws + m, bf, last_post);
}

// All stages but the last (t = n/2, which carries 1/n); returns that stage's span.
template <class Butterfly, class First>
std::size_t inverse_stages(u64* a, int log_n, const u64*& w, const u64*& ws, Butterfly bf, First first) {
  std::size_t h = (std::size_t{1} << log_n) / 2;
  stage_t1(a, h, w, ws, first, [](__m256i v) { return v; });
  w += h, ws += h, h >>= 1;
  stage_t2(a, h, w, ws, bf);
  w += h, ws += h, h >>= 1;
  std::size_t t = 4;
  for (; h >= 2; w += h, ws += h, h >>= 1, t <<= 1) stage_wide(a, h, t, w, ws, bf);
  return t;
}

void forward(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, bool reduce_output) {
  const ModulusLanes c(q);
  const auto bf = [&](__m256i& x, __m256i& y, __m256i wv, __m256i wsv) {
    forward_butterfly(x, y, ShoupOperand(wv, wsv), c);
  };
  if (reduce_output)
    forward_stages(a, log_n, w, w_shoup, bf, [&](__m256i v) { return reduce_below_4q(v, c); });
  else
    forward_stages(a, log_n, w, w_shoup, bf, [](__m256i v) { return v; });
}

void inverse(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, u64 n_inv, u64 n_inv_shoup, u64 n_inv_w,
             u64 n_inv_w_shoup, bool reduce_output) {
  const ModulusLanes c(q);
  const auto bf = [&](__m256i& x, __m256i& y, __m256i wv, __m256i wsv) {
    inverse_butterfly(x, y, ShoupOperand(wv, wsv), c);
  };
  // The first stage (t = 1) folds lazy inputs from [0, 4q) to [0, 2q) before the butterfly.
  const auto fold_then_bf = [&](__m256i& x, __m256i& y, __m256i wv, __m256i wsv) {
    x = fold(x, c.two_q, c.two_q_minus_one);
    y = fold(y, c.two_q, c.two_q_minus_one);
    inverse_butterfly(x, y, ShoupOperand(wv, wsv), c);
  };
  const std::size_t t = inverse_stages(a, log_n, w, w_shoup, bf, fold_then_bf);
  // Last stage with 1/n merged: x' = (x + y)/n, y' = (x - y) w/n.
  const ShoupOperand scale(_mm256_set1_epi64x(static_cast<long long>(n_inv)), _mm256_set1_epi64x(static_cast<long long>(n_inv_shoup)));
  const ShoupOperand scale_w(_mm256_set1_epi64x(static_cast<long long>(n_inv_w)),
                             _mm256_set1_epi64x(static_cast<long long>(n_inv_w_shoup)));
  u64* x = a;
  u64* y = a + t;
  for (std::size_t j = 0; j < t; j += 4) {
    const __m256i u = load(x + j), v = load(y + j);
    __m256i s = mul_shoup_lazy(_mm256_add_epi64(u, v), scale, c);
    __m256i d = mul_shoup_lazy(_mm256_add_epi64(_mm256_sub_epi64(u, v), c.two_q), scale_w, c);
    if (reduce_output) {
      s = fold(s, c.q, c.q_minus_one);
      d = fold(d, c.q, c.q_minus_one);
    }
    store(x + j, s);
    store(y + j, d);
  }
}

#if defined(__FMA__)
// Residues as doubles, every value in [0, q), q < 2^51 (fp_lanes.hpp): butterflies with full reductions.
namespace fp {

using namespace ckks::fp;

inline void forward_butterfly(__m256i& x, __m256i& y, __m256i w, const Lanes& c) {
  const __m256d u = as_pd(x), v = mul(as_pd(y), as_pd(w), c);
  x = as_si(drop(_mm256_add_pd(u, v), c));
  y = as_si(lift(_mm256_sub_pd(u, v), c));
}

inline void inverse_butterfly(__m256i& x, __m256i& y, __m256i w, const Lanes& c) {
  const __m256d u = as_pd(x), v = as_pd(y);
  x = as_si(drop(_mm256_add_pd(u, v), c));
  y = as_si(mul(lift(_mm256_sub_pd(u, v), c), as_pd(w), c));
}

// 64-bit words < 4q to doubles in [0, q) in place, and back.
void to_doubles(u64* a, std::size_t n, u64 q) {
  const ModulusLanes c(q);
  for (std::size_t i = 0; i < n; i += 4) store(a + i, as_si(from_words(reduce_below_4q(load(a + i), c))));
}

void from_doubles(u64* a, std::size_t n) {
  for (std::size_t i = 0; i < n; i += 4) store(a + i, to_words(as_pd(load(a + i))));
}

void forward(u64* a, int log_n, u64 q, const u64* w) {
  const Lanes c(q);
  const auto bf = [&](__m256i& x, __m256i& y, __m256i wv, __m256i) { forward_butterfly(x, y, wv, c); };
  to_doubles(a, std::size_t{1} << log_n, q);
  forward_stages(a, log_n, w, w, bf, [](__m256i v) { return v; });
  from_doubles(a, std::size_t{1} << log_n);
}

void inverse(u64* a, int log_n, u64 q, const u64* w, double n_inv, double n_inv_w) {
  const Lanes c(q);
  const auto bf = [&](__m256i& x, __m256i& y, __m256i wv, __m256i) { inverse_butterfly(x, y, wv, c); };
  to_doubles(a, std::size_t{1} << log_n, q);
  const u64* unused = w;  // the companions' cursor: fp has none
  const std::size_t t = inverse_stages(a, log_n, w, unused, bf, bf);
  const __m256d scale = _mm256_set1_pd(n_inv), scale_w = _mm256_set1_pd(n_inv_w);
  double* x = reinterpret_cast<double*>(a);
  double* y = x + t;
  for (std::size_t j = 0; j < t; j += 4) {
    const __m256d u = _mm256_loadu_pd(x + j), v = _mm256_loadu_pd(y + j);
    _mm256_storeu_pd(x + j, mul(drop(_mm256_add_pd(u, v), c), scale, c));
    _mm256_storeu_pd(y + j, mul(lift(_mm256_sub_pd(u, v), c), scale_w, c));
  }
  from_doubles(a, std::size_t{1} << log_n);
}

}  // namespace fp
#endif  // __FMA__

}  // namespace avx2_kernels
#endif  // __AVX2__

// Vector kernels for n >= 8 when the target has AVX2; the scalar ones otherwise (and for tiny rings).
void forward(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, bool reduce_output) {
#if defined(__AVX2__)
  if (log_n >= 3) return avx2_kernels::forward(a, log_n, q, w, w_shoup, reduce_output);
#endif
  forward_scalar(a, log_n, q, w, w_shoup, reduce_output);
}

void inverse(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, u64 n_inv, u64 n_inv_shoup, u64 n_inv_w,
             u64 n_inv_w_shoup, bool reduce_output) {
#if defined(__AVX2__)
  if (log_n >= 3)
    return avx2_kernels::inverse(a, log_n, q, w, w_shoup, n_inv, n_inv_shoup, n_inv_w, n_inv_w_shoup, reduce_output);
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
  if (fp::applies(q.value)) {
    // Twiddles as doubles (exact: < 2^51), stored as their bit patterns.
    auto as_doubles = [](const std::vector<u64>& w) {
      std::vector<u64> out(w.size());
      for (std::size_t i = 0; i < w.size(); ++i) out[i] = std::bit_cast<u64>(static_cast<double>(w[i]));
      return out;
    };
    fwd_fp_ = as_doubles(fwd_);
    inv_fp_ = as_doubles(inv_);
  }
}

void NttTables::forward_lazy(u64* a) const { forward_any(a, log_n_, /*reduce_output=*/false); }
void NttTables::forward(u64* a) const { forward_any(a, log_n_, /*reduce_output=*/true); }
void NttTables::forward_subring(u64* b, std::size_t len) const {
  if (len == 0 || len > n_ || (len & (len - 1)) != 0)
    throw InvalidArgument("NttTables::forward_subring: length " + std::to_string(len) + " is not a power of two <= " +
                          std::to_string(n_));
  if (len == 1) return;  // b(psi^n) = b_0 for a constant
  forward_any(b, __builtin_ctzll(len), /*reduce_output=*/true);
}
void NttTables::inverse_lazy(u64* a) const { inverse_any(a, /*reduce_output=*/false); }
void NttTables::inverse(u64* a) const { inverse_any(a, /*reduce_output=*/true); }

// The kernel for this modulus and size: 32-bit lanes (q < 2^31, n >= 16), doubles (2^31 <= q < 2^51, n >= 8),
// else 64-bit Shoup lanes or scalar. The first two reduce fully, which every lazy bound admits.
void NttTables::forward_any(u64* a, int log_n, bool reduce_output) const {
  if (log_n >= 4 && !narrow_.fwd.empty())
    return ntt32::forward(a, log_n, static_cast<std::uint32_t>(q_.value), narrow_);
#if defined(__AVX2__) && defined(__FMA__)
  if (log_n >= 3 && !fwd_fp_.empty()) return ntt_kernels::avx2_kernels::fp::forward(a, log_n, q_.value, fwd_fp_.data());
#endif
  ntt_kernels::forward(a, log_n, q_.value, fwd_.data(), fwd_shoup_.data(), reduce_output);
}

void NttTables::inverse_any(u64* a, bool reduce_output) const {
  if (log_n_ >= 4 && !narrow_.fwd.empty())
    return ntt32::inverse(a, log_n_, static_cast<std::uint32_t>(q_.value), narrow_);
#if defined(__AVX2__) && defined(__FMA__)
  if (log_n_ >= 3 && !inv_fp_.empty())
    return ntt_kernels::avx2_kernels::fp::inverse(a, log_n_, q_.value, inv_fp_.data(), static_cast<double>(n_inv_),
                                                  static_cast<double>(n_inv_w_));
#endif
  ntt_kernels::inverse(a, log_n_, q_.value, inv_.data(), inv_shoup_.data(), n_inv_, n_inv_shoup_, n_inv_w_,
                       n_inv_w_shoup_, reduce_output);
}

}  // namespace hepex::ckks
