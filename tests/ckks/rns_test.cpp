// RNS base conversion and CRT reconstruction checked against GMP.
#include "ckks/rns.hpp"

#include <gmpxx.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ckks/primes.hpp"
#include "util/csprng.hpp"
#include "gmp_util.hpp"

namespace hepex::ckks {
namespace {

using testing::to_mpz;
u64 mod_u64(const mpz_class& x, u64 m) {
  mpz_class r;
  mpz_fdiv_r(r.get_mpz_t(), x.get_mpz_t(), to_mpz(m).get_mpz_t());
  u64 out = 0;
  mpz_export(&out, nullptr, -1, sizeof(u64), 0, 0, r.get_mpz_t());
  return out;
}
mpz_class product(const std::vector<u64>& moduli) {
  mpz_class q = 1;
  for (u64 m : moduli) q *= to_mpz(m);
  return q;
}
// The integer in [0, Q) with the given residues (GMP reference CRT).
mpz_class crt(const std::vector<u64>& residues, const std::vector<u64>& moduli) {
  mpz_class x = 0, q = 1;
  for (std::size_t i = 0; i < moduli.size(); ++i) {
    const mpz_class m = to_mpz(moduli[i]);
    // x' = x + q * ((r - x) q^-1 mod m)
    mpz_class t = to_mpz(residues[i]) - x, inv;
    mpz_invert(inv.get_mpz_t(), q.get_mpz_t(), m.get_mpz_t());
    t = t * inv;
    mpz_fdiv_r(t.get_mpz_t(), t.get_mpz_t(), m.get_mpz_t());
    x += q * t;
    q *= m;
  }
  return x;
}

std::vector<u64> mixed_primes(std::size_t count, std::size_t n, Csprng& rng) {
  std::vector<u64> out;
  for (std::size_t i = 0; i < count; ++i) {
    const int bits = 40 + static_cast<int>(rng.uniform_below(22));  // 40..61 bits
    out.push_back(generate_ntt_primes(bits, 1, n, out)[0]);
  }
  return out;
}

TEST(Rns, PuncturedInversesMatchGmp) {
  Csprng rng(seed_from_u64(30));
  const auto moduli = mixed_primes(7, 1024, rng);
  const RnsBase base(moduli);
  const mpz_class q = product(moduli);
  for (std::size_t i = 0; i < moduli.size(); ++i) {
    mpz_class punct = q / to_mpz(moduli[i]), inv;
    mpz_invert(inv.get_mpz_t(), punct.get_mpz_t(), to_mpz(moduli[i]).get_mpz_t());
    EXPECT_EQ(base.punctured_inv()[i], mod_u64(inv, moduli[i]));
  }
  EXPECT_EQ(base.values(), moduli);
}

TEST(Rns, BaseRejectsBadModuli) {
  EXPECT_THROW(RnsBase({}), InvalidArgument);
  EXPECT_THROW(RnsBase({97, 97}), InvalidArgument);
  EXPECT_THROW(RnsBase({15, 21}), InvalidArgument);
  EXPECT_THROW(RnsBase({u64{1} << 62}), InvalidArgument);
}

TEST(Rns, BaseConversionIsExactUpToASmallMultipleOfQ) {
  Csprng rng(seed_from_u64(31));
  const std::size_t n = 257;  // not a multiple of the internal block size
  for (auto [l, k] : {std::pair{1, 1}, {2, 3}, {4, 5}, {7, 2}, {12, 13}, {40, 3}}) {
    const auto all = mixed_primes(l + k, 1 << 12, rng);
    const std::vector<u64> from(all.begin(), all.begin() + l), to(all.begin() + l, all.end());
    const BaseConverter conv{RnsBase(from), RnsBase(to)};
    const mpz_class q = product(from);
    std::vector<u64> in(l * n), out(k * n);
    for (int i = 0; i < l; ++i)
      for (std::size_t c = 0; c < n; ++c) in[i * n + c] = rng.uniform_below(from[i]);
    // Extreme coefficients: 0 and Q - 1.
    for (int i = 0; i < l; ++i) {
      in[i * n + 0] = 0;
      in[i * n + 1] = from[i] - 1;
    }
    conv.convert(in.data(), out.data(), n);
    for (std::size_t c = 0; c < n; ++c) {
      std::vector<u64> residues(l);
      for (int i = 0; i < l; ++i) residues[i] = in[i * n + c];
      const mpz_class x = crt(residues, from);
      // One e in [0, l) must explain every output limb of this coefficient.
      int found = -1;
      for (int e = 0; e < l && found < 0; ++e) {
        const mpz_class candidate = x + e * q;
        bool all_match = true;
        for (int j = 0; j < k && all_match; ++j) all_match = mod_u64(candidate, to[j]) == out[j * n + c];
        if (all_match) found = e;
      }
      ASSERT_GE(found, 0) << "l=" << l << " k=" << k << " coefficient " << c;
      if (c == 0) {
        EXPECT_EQ(found, 0);  // x = 0 converts exactly
      }
    }
  }
}

double gmp_centered_double(const mpz_class& x, const mpz_class& q) {
  mpz_class c = x;
  if (2 * c > q) c -= q;
  // GMP truncates toward zero; the composer rounds to nearest: they agree within one ulp.
  return c.get_d();
}

TEST(Rns, CrtMatchesGmpCenteredReconstruction) {
  Csprng rng(seed_from_u64(32));
  for (std::size_t l = 1; l <= 30; ++l) {
    const auto moduli = mixed_primes(l, 1 << 10, rng);
    const CrtComposer crt_composer{RnsBase(moduli)};
    const mpz_class q = product(moduli);
    // Random residues: values anywhere in (-Q/2, Q/2] (only those below 2^1024 fit a double).
    for (int rep = 0; rep < 50; ++rep) {
      std::vector<u64> residues(l);
      for (std::size_t i = 0; i < l; ++i) residues[i] = rng.uniform_below(moduli[i]);
      const double got = crt_composer.compose_centered(residues.data(), 1);
      const double expect = gmp_centered_double(crt(residues, moduli), q);
      if (std::isinf(expect) || std::abs(expect) > 1e300) {
        EXPECT_TRUE(std::isinf(got) || std::abs(got) > 1e300);
        continue;
      }
      ASSERT_NEAR(got, expect, std::abs(expect) * 0x1p-52) << "l=" << l;
    }
    // Small signed values, stored with a stride as in limb-major polynomials: exact.
    for (int rep = 0; rep < 50; ++rep) {
      // |v| < min(2^53, Q/2): exactly representable and inside the centered range.
      const int max_bits = std::min<int>(53, static_cast<int>(mpz_sizeinbase(q.get_mpz_t(), 2)) - 2);
      const auto v = static_cast<std::int64_t>(rng.next_u64() >> (64 - max_bits + rng.uniform_below(max_bits))) *
                     (rng.uniform_below(2) ? 1 : -1);
      const std::size_t stride = 3;
      std::vector<u64> limbs(l * stride, 0);
      const mpz_class vz = v < 0 ? -to_mpz(static_cast<u64>(-v)) : to_mpz(static_cast<u64>(v));
      for (std::size_t i = 0; i < l; ++i) limbs[i * stride] = mod_u64(vz, moduli[i]);
      ASSERT_EQ(crt_composer.compose_centered(limbs.data(), stride), static_cast<double>(v)) << "l=" << l;
    }
  }
}

TEST(Rns, CrtRoundsToNearestEven) {
  // Q = q0 q1 ~ 2^121; x of 101 bits keeps 53 bits (ulp 2^48): ties and near-ties must round like IEEE.
  const std::vector<u64> moduli = {generate_ntt_primes(60, 1, 8)[0], generate_ntt_primes(61, 1, 8)[0]};
  const CrtComposer c{RnsBase(moduli)};
  const mpz_class top = mpz_class(1) << 100, half_ulp = mpz_class(1) << 47;
  const std::vector<mpz_class> values = {top + half_ulp, top + half_ulp + 1, top + 3 * half_ulp,
                                         top + 3 * half_ulp - 1};
  for (const mpz_class& x : values) {
    mpz_class head = x >> 48;
    const mpz_class rest = x - (head << 48);
    if (rest > half_ulp || (rest == half_ulp && (head & 1) == 1)) head += 1;
    const double expect = std::ldexp(head.get_d(), 48);
    const std::vector<u64> r = {mod_u64(x, moduli[0]), mod_u64(x, moduli[1])};
    EXPECT_EQ(c.compose_centered(r.data(), 1), expect);
    const std::vector<u64> neg = {mod_u64(-x, moduli[0]), mod_u64(-x, moduli[1])};
    EXPECT_EQ(c.compose_centered(neg.data(), 1), -expect);
  }
}

// The two-step conversion (premultiply, then one target limb at a time) equals convert().
TEST(Rns, TwoStepConversionEqualsConvert) {
  Csprng rng(seed_from_u64(32));
  const std::size_t n = 193;
  for (auto [l, k] : {std::pair{1, 3}, {2, 3}, {5, 4}}) {
    const auto all = mixed_primes(l + k, 1 << 12, rng);
    const std::vector<u64> from(all.begin(), all.begin() + l), to(all.begin() + l, all.end());
    const BaseConverter conv{RnsBase(from), RnsBase(to)};
    std::vector<u64> in(l * n), want(k * n), y(l * n), got(n);
    for (int i = 0; i < l; ++i)
      for (std::size_t c = 0; c < n; ++c) in[i * n + c] = rng.uniform_below(from[i]);
    conv.convert(in.data(), want.data(), n);
    conv.premultiply(in.data(), y.data(), n);
    for (int j = 0; j < k; ++j) {
      conv.convert_premultiplied(y.data(), j, got.data(), n);
      for (std::size_t c = 0; c < n; ++c) ASSERT_EQ(got[c], want[j * n + c]) << "l=" << l << " target " << j;
    }
  }
}

// The exact conversion (one step, and two steps with the overflows) gives x mod p_k for the x in [0, Q)
// the residues stand for, GMP's CRT as the reference; residues near 0 and Q - 1 included.
TEST(Rns, ExactConversionMatchesGmp) {
  Csprng rng(seed_from_u64(34));
  const std::size_t n = 257;
  for (auto [l, k] : {std::pair{1, 2}, {2, 3}, {4, 5}, {6, 13}, {12, 3}}) {
    const auto all = mixed_primes(l + k, 1 << 12, rng);
    const std::vector<u64> from(all.begin(), all.begin() + l), to(all.begin() + l, all.end());
    const BaseConverter conv{RnsBase(from), RnsBase(to)};
    std::vector<u64> in(l * n), out(k * n), y(l * n), e(n), two_step(n);
    for (int i = 0; i < l; ++i)
      for (std::size_t c = 0; c < n; ++c) in[i * n + c] = rng.uniform_below(from[i]);
    for (int i = 0; i < l; ++i) {  // x = 0, Q - 1, 1
      in[i * n + 0] = 0;
      in[i * n + 1] = from[i] - 1;
      in[i * n + 2] = 1;
    }
    conv.convert_exact(in.data(), out.data(), n);
    conv.premultiply(in.data(), y.data(), n);
    conv.overflows(y.data(), e.data(), n);
    for (std::size_t c = 0; c < n; ++c) {
      std::vector<u64> residues(l);
      for (int i = 0; i < l; ++i) residues[i] = in[i * n + c];
      const mpz_class x = crt(residues, from);
      // Within ~2^-50 of 0 or Q the double-precision overflow may be off by one: x - Q or x + Q (where its
      // users sit at a rounding tie: either is right).
      const mpf_class f = mpf_class(x) / mpf_class(product(from));
      const bool edge = f < 1e-12 || f > 1 - 1e-12;
      for (int j = 0; j < k; ++j) {
        const u64 got = out[j * n + c], exact = mod_u64(x, to[j]);
        if (edge && got != exact) {
          const mpz_class q = product(from);
          EXPECT_TRUE(got == mod_u64(x + q, to[j]) || got == mod_u64(x - q, to[j]))
              << "l=" << l << " coefficient " << c;
        } else {
          ASSERT_EQ(got, exact) << "l=" << l << " coefficient " << c;
        }
      }
      if (c >= 3) {
        EXPECT_FALSE(edge);  // random residues land far from the edges
      }
    }
    for (int j = 0; j < k; ++j) {
      conv.convert_premultiplied(y.data(), j, two_step.data(), n, e.data());
      for (std::size_t c = 0; c < n; ++c) ASSERT_EQ(two_step[c], out[j * n + c]) << "l=" << l << " target " << j;
    }
  }
}

// centered_reduce_row and reduce_row against signed 128-bit arithmetic, for sources smaller than, about
// equal to and much larger than the target.
TEST(Rns, RowReductionsMatchInt128) {
  Csprng rng(seed_from_u64(33));
  auto primes = mixed_primes(6, 1 << 12, rng);
  for (u64 q : generate_ntt_primes(45, 2, 1 << 12, primes)) primes.push_back(q);  // close pairs: from < 2 to
  const std::size_t n = 301;
  for (u64 from : primes)
    for (u64 to : primes) {
      const Modulus m(to);
      std::vector<u64> in(n), out(n), red(n);
      for (auto& x : in) x = rng.uniform_below(from);
      in[0] = 0;
      in[1] = from - 1;
      in[2] = from / 2;
      in[3] = from / 2 + 1;
      centered_reduce_row(in.data(), out.data(), n, from, m);
      reduce_row(in.data(), red.data(), n, from, m);
      for (std::size_t i = 0; i < n; ++i) {
        const __int128 v = in[i] > from / 2 ? static_cast<__int128>(in[i]) - from : static_cast<__int128>(in[i]);
        const __int128 r = ((v % to) + to) % to;
        ASSERT_EQ(out[i], static_cast<u64>(r)) << from << " -> " << to << " at " << i;
        ASSERT_EQ(red[i], in[i] % to);
      }
    }
}

}  // namespace
}  // namespace hepex::ckks
