#include "ckks/ntt32.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "util/error.hpp"

namespace hepex::ckks::ntt32 {

using u32 = std::uint32_t;

Tables narrow_tables(const std::vector<u64>& fwd, const std::vector<u64>& fwd_shoup, const std::vector<u64>& inv,
                     const std::vector<u64>& inv_shoup, u64 n_inv, u64 n_inv_shoup, u64 n_inv_w, u64 n_inv_w_shoup) {
  // floor(w 2^32 / q) = floor(floor(w 2^64 / q) / 2^32).
  auto narrow = [](const std::vector<u64>& w, const std::vector<u64>& ws, std::vector<u32>& w32,
                   std::vector<u32>& ws32) {
    w32.resize(w.size());
    ws32.resize(ws.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
      w32[i] = static_cast<u32>(w[i]);
      ws32[i] = static_cast<u32>(ws[i] >> 32);
    }
  };
  Tables t;
  narrow(fwd, fwd_shoup, t.fwd, t.fwd_shoup);
  narrow(inv, inv_shoup, t.inv, t.inv_shoup);
  t.n_inv = static_cast<u32>(n_inv);
  t.n_inv_shoup = static_cast<u32>(n_inv_shoup >> 32);
  t.n_inv_w = static_cast<u32>(n_inv_w);
  t.n_inv_w_shoup = static_cast<u32>(n_inv_w_shoup >> 32);
  return t;
}

#if defined(__AVX2__)

bool applies(u64 q) { return q < (u64{1} << 31); }

namespace {

inline __m256i load(const u32* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(u32* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
inline __m256i broadcast(u32 x) { return _mm256_set1_epi32(static_cast<int>(x)); }

// x in [0, 2q) -> [0, q).
inline __m256i reduce_once(__m256i x, __m256i q) { return _mm256_min_epu32(x, _mm256_sub_epi32(x, q)); }

// Eight twiddles (or one broadcast) with their companions; ws_odd holds the odd lanes' companions in the even
// positions, where the 32x32->64 multiply reads them.
struct Twiddle {
  __m256i w, ws, ws_odd;
  Twiddle(__m256i w_, __m256i ws_) : w(w_), ws(ws_), ws_odd(_mm256_srli_epi64(ws_, 32)) {}
  Twiddle(u32 w_, u32 ws_) : w(broadcast(w_)), ws(broadcast(ws_)), ws_odd(ws) {}
};

// a w mod q in [0, q) for any a < 2^32 (Shoup): a w - floor(a ws / 2^32) q lies in [0, 2q), so it is exact
// modulo 2^32; the high halves come from two even-lane multiplies.
inline __m256i mul(__m256i a, const Twiddle& t, __m256i q) {
  const __m256i even = _mm256_srli_epi64(_mm256_mul_epu32(a, t.ws), 32);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), t.ws_odd);
  const __m256i quot = _mm256_blend_epi32(even, odd, 0xAA);
  return reduce_once(_mm256_sub_epi32(_mm256_mullo_epi32(a, t.w), _mm256_mullo_epi32(quot, q)), q);
}

// Cooley-Tukey (x, y) -> (x + w y, x - w y) and Gentleman-Sande (x, y) -> (x + y, (x - y) w), all in [0, q).
struct Forward {
  void operator()(__m256i& x, __m256i& y, const Twiddle& t, __m256i q) const {
    const __m256i v = mul(y, t, q);
    const __m256i d = _mm256_add_epi32(_mm256_sub_epi32(x, v), q);
    x = reduce_once(_mm256_add_epi32(x, v), q);
    y = reduce_once(d, q);
  }
};
struct Inverse {
  void operator()(__m256i& x, __m256i& y, const Twiddle& t, __m256i q) const {
    const __m256i d = _mm256_add_epi32(_mm256_sub_epi32(x, y), q);
    x = reduce_once(_mm256_add_epi32(x, y), q);
    y = mul(d, t, q);
  }
};

// Twiddles i.. of a table (2, 4 or 8 words) in the lane order of the shuffles below.
inline __m256i load_lanes(const u32* p, __m256i order, std::size_t words) {
  const __m256i raw = words == 8 ? load(p)
                      : words == 4 ? _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))
                                   : _mm256_castsi128_si256(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  return _mm256_permutevar8x32_epi32(raw, order);
}

// Stages by butterfly span t: t >= 8 (contiguous halves), then t = 4, 2, 1, where two registers of 16 words
// hold kGroups groups and a Shape shuffles them into x and y halves (split) and back (join).
template <class Butterfly>
void stage_wide(u32* b, std::size_t groups, std::size_t t, const u32* w, const u32* ws, __m256i q, Butterfly bf) {
  for (std::size_t i = 0; i < groups; ++i) {
    const Twiddle tw(w[i], ws[i]);
    u32* x = b + 2 * i * t;
    u32* y = x + t;
    for (std::size_t j = 0; j < t; j += 8) {
      __m256i xv = load(x + j), yv = load(y + j);
      bf(xv, yv, tw, q);
      store(x + j, xv);
      store(y + j, yv);
    }
  }
}

struct SpanFour {  // [x_i y_i | x_i+1 y_i+1], four words each -> x = [x_i | x_i+1], y = [y_i | y_i+1]
  static constexpr std::size_t kSpan = 4, kGroups = 2;
  static __m256i order() { return _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1); }
  static void split(__m256i lo, __m256i hi, __m256i& x, __m256i& y) {
    x = _mm256_permute2x128_si256(lo, hi, 0x20);
    y = _mm256_permute2x128_si256(lo, hi, 0x31);
  }
  static void join(__m256i x, __m256i y, __m256i& lo, __m256i& hi) { split(x, y, lo, hi); }
};

struct SpanTwo {  // groups i..i+3 of [x x y y]: 64-bit unpacks give x = [x_i x_i+2 | x_i+1 x_i+3], y likewise
  static constexpr std::size_t kSpan = 2, kGroups = 4;
  static __m256i order() { return _mm256_setr_epi32(0, 0, 2, 2, 1, 1, 3, 3); }
  static void split(__m256i lo, __m256i hi, __m256i& x, __m256i& y) {
    x = _mm256_unpacklo_epi64(lo, hi);
    y = _mm256_unpackhi_epi64(lo, hi);
  }
  static void join(__m256i x, __m256i y, __m256i& lo, __m256i& hi) { split(x, y, lo, hi); }
};

struct SpanOne {  // [x0 y0 x1 y1 x2 y2 x3 y3 | x4 y4 ...] -> x = [x0 x1 x4 x5 | x2 x3 x6 x7], y likewise
  static constexpr std::size_t kSpan = 1, kGroups = 8;
  static __m256i order() { return _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7); }
  static void split(__m256i lo, __m256i hi, __m256i& x, __m256i& y) {
    const __m256 l = _mm256_castsi256_ps(lo), h = _mm256_castsi256_ps(hi);
    x = _mm256_castps_si256(_mm256_shuffle_ps(l, h, _MM_SHUFFLE(2, 0, 2, 0)));
    y = _mm256_castps_si256(_mm256_shuffle_ps(l, h, _MM_SHUFFLE(3, 1, 3, 1)));
  }
  static void join(__m256i x, __m256i y, __m256i& lo, __m256i& hi) {
    lo = _mm256_unpacklo_epi32(x, y);
    hi = _mm256_unpackhi_epi32(x, y);
  }
};

template <class Shape, class Butterfly>
void stage_shuffled(u32* b, std::size_t groups, const u32* w, const u32* ws, __m256i q, Butterfly bf) {
  const __m256i order = Shape::order();
  for (std::size_t i = 0; i < groups; i += Shape::kGroups) {
    u32* p = b + 2 * Shape::kSpan * i;
    __m256i x, y, lo, hi;
    Shape::split(load(p), load(p + 8), x, y);
    bf(x, y, Twiddle(load_lanes(w + i, order, Shape::kGroups), load_lanes(ws + i, order, Shape::kGroups)), q);
    Shape::join(x, y, lo, hi);
    store(p, lo);
    store(p + 8, hi);
  }
}

// a[0, n) (64-bit words < 4q) reduced to [0, q) and narrowed into the first half of the same array: word i
// goes to bytes [4i, 4i + 4), which this loop has already read.
u32* narrow_in_place(u64* a, std::size_t n, u64 q) {
  u32* b = reinterpret_cast<u32*>(a);
  const avx2::ModulusLanes c(q);
  const __m256i low_words = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  auto reduce = [&](__m256i v) {  // the four low words of the reduced lanes in the low half
    return _mm256_permutevar8x32_epi32(avx2::reduce_below_4q(v, c), low_words);
  };
  for (std::size_t i = 0; i < n; i += 8) {
    const __m256i lo = reduce(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)));
    const __m256i hi = reduce(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i + 4)));
    store(b + i, _mm256_permute2x128_si256(lo, hi, 0x20));
  }
  return b;
}

// The inverse: 32-bit word i back to 64-bit word i, from the top down so no word is overwritten unread.
void widen_in_place(u64* a, std::size_t n) {
  const u32* b = reinterpret_cast<const u32*>(a);
  for (std::size_t i = n; i > 0;) {
    i -= 8;
    const __m256i v = load(b + i);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + i), _mm256_cvtepu32_epi64(_mm256_castsi256_si128(v)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + i + 4), _mm256_cvtepu32_epi64(_mm256_extracti128_si256(v, 1)));
  }
}

}  // namespace

void forward(u64* a, int log_n, u32 q32, const Tables& t) {
  const std::size_t n = std::size_t{1} << log_n;
  u32* b = narrow_in_place(a, n, q32);
  const __m256i q = broadcast(q32);
  const u32* w = t.fwd.data();
  const u32* ws = t.fwd_shoup.data();
  std::size_t m = 1, span = n / 2;
  for (; span >= 8; m <<= 1, span >>= 1) stage_wide(b, m, span, w + m, ws + m, q, Forward{});
  stage_shuffled<SpanFour>(b, m, w + m, ws + m, q, Forward{});
  m <<= 1;
  stage_shuffled<SpanTwo>(b, m, w + m, ws + m, q, Forward{});
  m <<= 1;
  stage_shuffled<SpanOne>(b, m, w + m, ws + m, q, Forward{});
  widen_in_place(a, n);
}

void inverse(u64* a, int log_n, u32 q32, const Tables& t) {
  const std::size_t n = std::size_t{1} << log_n;
  u32* b = narrow_in_place(a, n, q32);
  const __m256i q = broadcast(q32);
  const u32* w = t.inv.data();
  const u32* ws = t.inv_shoup.data();
  std::size_t h = n / 2;
  stage_shuffled<SpanOne>(b, h, w, ws, q, Inverse{});
  w += h, ws += h, h >>= 1;
  stage_shuffled<SpanTwo>(b, h, w, ws, q, Inverse{});
  w += h, ws += h, h >>= 1;
  stage_shuffled<SpanFour>(b, h, w, ws, q, Inverse{});
  w += h, ws += h, h >>= 1;
  std::size_t span = 8;
  for (; h >= 2; w += h, ws += h, h >>= 1, span <<= 1) stage_wide(b, h, span, w, ws, q, Inverse{});
  // The last stage with 1/n merged: x' = (x + y) / n, y' = (x - y) w / n.
  const Twiddle scale(t.n_inv, t.n_inv_shoup), scale_w(t.n_inv_w, t.n_inv_w_shoup);
  u32* x = b;
  u32* y = b + span;
  for (std::size_t j = 0; j < span; j += 8) {
    const __m256i u = load(x + j), v = load(y + j);
    store(x + j, mul(_mm256_add_epi32(u, v), scale, q));
    store(y + j, mul(_mm256_add_epi32(_mm256_sub_epi32(u, v), q), scale_w, q));
  }
  widen_in_place(a, n);
}

#else

bool applies(u64) { return false; }
void forward(u64*, int, u32, const Tables&) { throw InvalidArgument("ntt32::forward: this build has no AVX2"); }
void inverse(u64*, int, u32, const Tables&) { throw InvalidArgument("ntt32::inverse: this build has no AVX2"); }

#endif

}  // namespace hepex::ckks::ntt32
