#include "ckks/fft.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>

#include "util/error.hpp"

// How the embedding reduces to one complex FFT of size s (HEAAN's "special FFT").
//
// With s slots the polynomial lives in Z[Y], Y = X^gap, gap = n/(2s), of degree < 2s modulo Y^(2s) + 1, and
// xi = zeta^gap is a primitive 4s-th root of unity. Fold the 2s real coefficients into s complex ones,
//     w_k = m_{k*gap} + i * m_{(k+s)*gap},   k < s.
// Since 5^j = 1 (mod 4), xi^(s*5^j) = i, so m(zeta^(5^j)) = w(xi^(5^j)): the slots are the values of the
// complex polynomial w at the s points xi^(5^j), j < s. Splitting w into even and odd parts,
//     z_j = E_j + t_j O_j,   z_{j+s/2} = E_j - t_j O_j,   t_j = xi^(5^j mod 4s),
// where E, O are the same transform of half the size (5^(s/2) = 1 + 2s mod 4s gives the sign). Unrolled
// over levels this is a radix-2 decimation-in-time FFT on bit-reversed input whose level of block length
// `len` uses the twiddles zeta^((5^j mod 4 len) * 2n / (4 len)), j < len/2 -- independent of s, so one table
// serves every slot count. The inverse runs the same levels backwards with conjugate twiddles.

namespace hepex::ckks {
namespace {

using cd = std::complex<double>;

bool is_power_of_two(std::size_t x) { return x != 0 && (x & (x - 1)) == 0; }

// Plain complex product: avoids the NaN/Inf recovery path of operator* that blocks inlining.
inline cd mul(cd a, cd b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// Twiddles of the level with block length len start at index len/2 - 1 (levels 2, 4, ... are packed).
inline std::size_t level_offset(std::size_t len) { return len / 2 - 1; }

// In-place bit-reversal permutation of a[0..size), size a power of two.
void bit_reverse_permute(cd* a, std::size_t size) {
  for (std::size_t i = 1, j = 0; i < size; ++i) {
    std::size_t bit = size >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
}

}  // namespace

SpecialFft::SpecialFft(std::size_t n) : n_(n) {
  if (!is_power_of_two(n) || n < 4 || n > (std::size_t{1} << 17))
    throw InvalidArgument("SpecialFft: ring degree " + std::to_string(n) + " must be a power of two in [4, 2^17]");

  // zeta^k = exp(i*pi*k/n). Only the first octant is evaluated (in long double, from the exact rational
  // angle); the rest follows exactly by symmetry: cos/sin swap across pi/4 and a quarter turn is
  // multiplication by i. So every root is the correctly rounded value up to long double's error.
  roots_.resize(2 * n);
  const std::size_t quarter = n / 2, eighth = n / 4;  // zeta^(n/2) = i, zeta^(n/4) = exp(i*pi/4)
  const long double pi = std::numbers::pi_v<long double>;
  for (std::size_t k = 0; k <= eighth; ++k) {
    const long double angle = pi * static_cast<long double>(k) / static_cast<long double>(n);
    const double c = static_cast<double>(std::cos(angle)), s = static_cast<double>(std::sin(angle));
    roots_[k] = {c, s};
    roots_[quarter - k] = {s, c};
  }
  for (std::size_t k = quarter; k < 2 * n; ++k) {
    const cd r = roots_[k - quarter];
    roots_[k] = {-r.imag(), r.real()};  // times i
  }

  const std::size_t max_slots = n / 2;
  rot_group_.resize(max_slots);
  std::size_t g = 1;
  for (std::size_t j = 0; j < max_slots; ++j) {
    rot_group_[j] = g;
    g = (g * 5) % (2 * n);
  }

  twiddles_.resize(max_slots > 1 ? max_slots - 1 : 0);
  for (std::size_t len = 2; len <= max_slots; len <<= 1) {
    const std::size_t four_len = 4 * len, stride = 2 * n / four_len;
    for (std::size_t j = 0; j < len / 2; ++j)
      twiddles_[level_offset(len) + j] = roots_[(rot_group_[j] % four_len) * stride];
  }
}

void SpecialFft::check_slots(std::size_t s, const char* what) const {
  if (!is_power_of_two(s) || s > n_ / 2)
    throw InvalidArgument(std::string("SpecialFft::") + what + ": slot count " + std::to_string(s) +
                          " must be a power of two in [1, " + std::to_string(n_ / 2) + "] for ring degree " +
                          std::to_string(n_));
}

void SpecialFft::forward(cd* w, std::size_t s) const {
  bit_reverse_permute(w, s);
  for (std::size_t len = 2; len <= s; len <<= 1) {
    const std::size_t half = len / 2;
    const cd* tw = twiddles_.data() + level_offset(len);
    for (std::size_t block = 0; block < s; block += len) {
      cd* lo = w + block;
      cd* hi = lo + half;
      for (std::size_t j = 0; j < half; ++j) {
        const cd u = lo[j], v = mul(hi[j], tw[j]);
        lo[j] = u + v;
        hi[j] = u - v;
      }
    }
  }
}

void SpecialFft::inverse(cd* w, std::size_t s) const {
  for (std::size_t len = s; len >= 2; len >>= 1) {
    const std::size_t half = len / 2;
    const cd* tw = twiddles_.data() + level_offset(len);
    for (std::size_t block = 0; block < s; block += len) {
      cd* lo = w + block;
      cd* hi = lo + half;
      for (std::size_t j = 0; j < half; ++j) {
        const cd u = lo[j], v = hi[j];
        lo[j] = u + v;
        hi[j] = mul(u - v, std::conj(tw[j]));
      }
    }
  }
  bit_reverse_permute(w, s);
}

void SpecialFft::embed_inverse_subring(const cd* slots, std::size_t s, double* b) const {
  check_slots(s, "embed_inverse");
  std::vector<cd> w(slots, slots + s);
  inverse(w.data(), s);
  // The inverse butterflies accumulate a factor s (a 1/2 per level is omitted); unfold w into coefficients.
  const double inv_s = 1.0 / static_cast<double>(s);
  for (std::size_t k = 0; k < s; ++k) {
    b[k] = w[k].real() * inv_s;
    b[k + s] = w[k].imag() * inv_s;
  }
}

void SpecialFft::embed_inverse(const cd* slots, std::size_t s, double* coeffs) const {
  std::vector<double> b(2 * s);
  embed_inverse_subring(slots, s, b.data());
  const std::size_t gap = n_ / (2 * s);
  std::fill(coeffs, coeffs + n_, 0.0);
  for (std::size_t k = 0; k < 2 * s; ++k) coeffs[k * gap] = b[k];
}

void SpecialFft::embed(const double* coeffs, std::size_t s, cd* slots) const {
  check_slots(s, "embed");
  const std::size_t gap = n_ / (2 * s);
  for (std::size_t k = 0; k < s; ++k) slots[k] = {coeffs[k * gap], coeffs[(k + s) * gap]};
  forward(slots, s);
}

}  // namespace hepex::ckks
