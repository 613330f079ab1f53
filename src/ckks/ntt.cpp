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

namespace ntt_kernels {
namespace {

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

}  // namespace

void forward(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, bool reduce_output) {
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

void inverse(u64* a, int log_n, u64 q, const u64* w, const u64* w_shoup, u64 n_inv, u64 n_inv_shoup, u64 n_inv_w,
             u64 n_inv_w_shoup, bool reduce_output) {
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

}  // namespace ntt_kernels

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
}

void NttTables::forward_lazy(u64* a) const {
  ntt_kernels::forward(a, log_n_, q_.value, fwd_.data(), fwd_shoup_.data(), /*reduce_output=*/false);
}
void NttTables::forward(u64* a) const {
  ntt_kernels::forward(a, log_n_, q_.value, fwd_.data(), fwd_shoup_.data(), /*reduce_output=*/true);
}
void NttTables::inverse_lazy(u64* a) const {
  ntt_kernels::inverse(a, log_n_, q_.value, inv_.data(), inv_shoup_.data(), n_inv_, n_inv_shoup_, n_inv_w_,
                       n_inv_w_shoup_, /*reduce_output=*/false);
}
void NttTables::inverse(u64* a) const {
  ntt_kernels::inverse(a, log_n_, q_.value, inv_.data(), inv_shoup_.data(), n_inv_, n_inv_shoup_, n_inv_w_,
                       n_inv_w_shoup_, /*reduce_output=*/true);
}

}  // namespace hepex::ckks
