// SpecialFft against the definition: slot j of m is m(zeta^(5^j mod 2n)), zeta = exp(i*pi/n), evaluated
// naively in long double; plus the algebraic properties the evaluator relies on (rotation, conjugation).
#include "ckks/fft.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <vector>

#include "util/csprng.hpp"
#include "util/error.hpp"

namespace {

using hepex::ckks::SpecialFft;
using cd = std::complex<double>;
using cld = std::complex<long double>;

std::vector<cd> random_slots(hepex::Csprng& rng, std::size_t s) {
  std::vector<cd> z(s);
  for (auto& v : z) v = {2 * rng.next_double() - 1, 2 * rng.next_double() - 1};
  return z;
}

// Random real coefficients in [-1, 1) on the subring of multiples of gap, zero elsewhere.
std::vector<double> random_subring_coeffs(hepex::Csprng& rng, std::size_t n, std::size_t gap) {
  std::vector<double> c(n, 0.0);
  for (std::size_t i = 0; i < n; i += gap) c[i] = 2 * rng.next_double() - 1;
  return c;
}

// Naive canonical embedding in long double: every power of zeta from its own cos/sin, exponents exact.
std::vector<cld> naive_embed(const std::vector<double>& coeffs, std::size_t s) {
  const std::size_t n = coeffs.size(), two_n = 2 * n;
  std::vector<cld> zeta_pow(two_n);
  for (std::size_t k = 0; k < two_n; ++k) {
    const long double angle = std::numbers::pi_v<long double> * k / n;
    zeta_pow[k] = {std::cos(angle), std::sin(angle)};
  }
  std::vector<cld> slots(s);
  std::size_t g = 1;  // 5^j mod 2n
  for (std::size_t j = 0; j < s; ++j, g = g * 5 % two_n) {
    cld acc = 0;
    for (std::size_t k = 0; k < n; ++k)
      if (coeffs[k] != 0) acc += static_cast<long double>(coeffs[k]) * zeta_pow[k * g % two_n];
    slots[j] = acc;
  }
  return slots;
}

// The automorphism X -> X^g on Z[X]/(X^n + 1), g odd: X^i -> X^(g*i mod 2n), where X^(n + r) = -X^r.
std::vector<double> apply_automorphism(const std::vector<double>& coeffs, std::size_t g) {
  const std::size_t n = coeffs.size();
  std::vector<double> out(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t e = i * g % (2 * n);
    if (e < n)
      out[e] += coeffs[i];
    else
      out[e - n] -= coeffs[i];
  }
  return out;
}

template <typename A, typename B>
double max_abs_diff(const std::vector<A>& a, const std::vector<B>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, static_cast<double>(std::abs(static_cast<cld>(a[i]) - static_cast<cld>(b[i]))));
  return m;
}

template <typename T>
double max_abs(const std::vector<T>& a) {
  double m = 0;
  for (const auto& v : a) m = std::max(m, static_cast<double>(std::abs(v)));
  return m;
}

// Slot counts to try for ring degree n: full, half, a quarter, and the smallest ones.
std::vector<std::size_t> slot_counts(std::size_t n) {
  std::vector<std::size_t> out;
  for (std::size_t s = n / 2; s >= 1; s /= 2)
    if (s >= n / 8 || s <= 2) out.push_back(s);
  return out;
}

TEST(SpecialFft, InverseThenForwardReturnsTheSlots) {
  hepex::Csprng rng(hepex::seed_from_u64(11));
  for (std::size_t n = 8; n <= (std::size_t{1} << 15); n *= 2) {
    const SpecialFft fft(n);
    for (std::size_t s : slot_counts(n)) {
      const auto z = random_slots(rng, s);
      std::vector<double> coeffs(n);
      std::vector<cd> back(s);
      fft.embed_inverse(z.data(), s, coeffs.data());
      fft.embed(coeffs.data(), s, back.data());
      EXPECT_LE(max_abs_diff(back, z), 1e-9 * max_abs(z)) << "n=" << n << " s=" << s;
    }
  }
}

TEST(SpecialFft, EmbedMatchesNaiveEvaluation) {
  hepex::Csprng rng(hepex::seed_from_u64(12));
  for (std::size_t n = 4; n <= 4096; n *= 2) {
    const SpecialFft fft(n);
    for (std::size_t s : slot_counts(n)) {
      const auto coeffs = random_subring_coeffs(rng, n, n / (2 * s));
      std::vector<cd> slots(s);
      fft.embed(coeffs.data(), s, slots.data());
      const auto ref = naive_embed(coeffs, s);
      EXPECT_LE(max_abs_diff(slots, ref), 1e-12 * max_abs(ref)) << "n=" << n << " s=" << s;
    }
  }
}

TEST(SpecialFft, EmbedInverseGivesSubringCoefficientsWithTheSlotsAsValues) {
  hepex::Csprng rng(hepex::seed_from_u64(13));
  for (std::size_t n = 4; n <= 4096; n *= 2) {
    const SpecialFft fft(n);
    for (std::size_t s : slot_counts(n)) {
      const std::size_t gap = n / (2 * s);
      const auto z = random_slots(rng, s);
      std::vector<double> coeffs(n, 1.0);  // stale contents must be overwritten
      fft.embed_inverse(z.data(), s, coeffs.data());
      for (std::size_t i = 0; i < n; ++i) {
        if (i % gap != 0) {
          ASSERT_EQ(coeffs[i], 0.0) << "n=" << n << " s=" << s << " i=" << i;
        }
      }
      EXPECT_LE(max_abs_diff(naive_embed(coeffs, s), z), 1e-12 * max_abs(z)) << "n=" << n << " s=" << s;
    }
  }
}

TEST(SpecialFft, AutomorphismFiveRotatesSlotsAndMinusOneConjugates) {
  hepex::Csprng rng(hepex::seed_from_u64(14));
  for (std::size_t n : {8, 64, 1024}) {
    const SpecialFft fft(n);
    for (std::size_t s : slot_counts(n)) {
      const auto z = random_slots(rng, s);
      std::vector<double> coeffs(n);
      fft.embed_inverse(z.data(), s, coeffs.data());

      std::vector<cd> out(s);
      std::size_t g = 1;  // 5^k mod 2n
      for (std::size_t k = 1; k <= 3; ++k) {
        g = g * 5 % (2 * n);
        const auto rotated = apply_automorphism(coeffs, g);
        fft.embed(rotated.data(), s, out.data());
        std::vector<cd> expected(s);
        for (std::size_t j = 0; j < s; ++j) expected[j] = z[(j + k) % s];
        EXPECT_LE(max_abs_diff(out, expected), 1e-12) << "n=" << n << " s=" << s << " k=" << k;
      }

      const auto conjugated = apply_automorphism(coeffs, 2 * n - 1);
      fft.embed(conjugated.data(), s, out.data());
      std::vector<cd> expected(s);
      for (std::size_t j = 0; j < s; ++j) expected[j] = std::conj(z[j]);
      EXPECT_LE(max_abs_diff(out, expected), 1e-12) << "n=" << n << " s=" << s;
    }
  }
}

TEST(SpecialFft, IsLinear) {
  hepex::Csprng rng(hepex::seed_from_u64(15));
  const std::size_t n = 512;
  const SpecialFft fft(n);
  const double a = 1.75, b = -0.3;
  for (std::size_t s : slot_counts(n)) {
    const auto x = random_slots(rng, s), y = random_slots(rng, s);
    std::vector<cd> combo(s);
    for (std::size_t j = 0; j < s; ++j) combo[j] = a * x[j] + b * y[j];
    std::vector<double> cx(n), cy(n), cc(n), expected(n);
    fft.embed_inverse(x.data(), s, cx.data());
    fft.embed_inverse(y.data(), s, cy.data());
    fft.embed_inverse(combo.data(), s, cc.data());
    for (std::size_t i = 0; i < n; ++i) expected[i] = a * cx[i] + b * cy[i];
    EXPECT_LE(max_abs_diff(cc, expected), 1e-13) << "s=" << s;

    const std::size_t gap = n / (2 * s);
    const auto p = random_subring_coeffs(rng, n, gap), q = random_subring_coeffs(rng, n, gap);
    std::vector<double> pq(n);
    for (std::size_t i = 0; i < n; ++i) pq[i] = a * p[i] + b * q[i];
    std::vector<cd> zp(s), zq(s), zpq(s), zexp(s);
    fft.embed(p.data(), s, zp.data());
    fft.embed(q.data(), s, zq.data());
    fft.embed(pq.data(), s, zpq.data());
    for (std::size_t j = 0; j < s; ++j) zexp[j] = a * zp[j] + b * zq[j];
    EXPECT_LE(max_abs_diff(zpq, zexp), 1e-12) << "s=" << s;
  }
}

TEST(SpecialFft, RejectsBadSizes) {
  EXPECT_THROW(SpecialFft(2), hepex::InvalidArgument);
  EXPECT_THROW(SpecialFft(12), hepex::InvalidArgument);
  EXPECT_THROW(SpecialFft(std::size_t{1} << 18), hepex::InvalidArgument);
  const SpecialFft fft(16);
  std::vector<cd> z(16);
  std::vector<double> c(16);
  EXPECT_THROW(fft.embed_inverse(z.data(), 16, c.data()), hepex::InvalidArgument);  // > n/2
  EXPECT_THROW(fft.embed_inverse(z.data(), 3, c.data()), hepex::InvalidArgument);
  EXPECT_THROW(fft.embed(c.data(), 0, z.data()), hepex::InvalidArgument);
}

}  // namespace
