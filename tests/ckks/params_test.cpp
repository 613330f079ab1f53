// Parameters, security check and context precomputation.
#include "ckks/context.hpp"
#include "ckks/galois.hpp"
#include "ckks/params.hpp"
#include "ckks/primes.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace hepex::ckks;

namespace {
double log2_sum(const std::vector<u64>& v, std::size_t first, std::size_t last) {
  double s = 0;
  for (std::size_t i = first; i < last; ++i) s += std::log2(static_cast<double>(v[i]));
  return s;
}
}  // namespace

TEST(Params, CreateBuildsTheRequestedChain) {
  for (std::size_t dnum : {1u, 2u, 3u, 6u}) {
    const auto p = CkksParameters::create(16384, 50, 30, 5, dnum);  // <= 400 bits with dnum = 1: secure at 2^14
    ASSERT_EQ(p.data_moduli().size(), 6u);
    EXPECT_EQ(p.max_level(), 5u);
    EXPECT_EQ(p.default_scale(), std::ldexp(1.0, 30));
    EXPECT_EQ(p.alpha(), (6 + dnum - 1) / dnum);
    std::set<u64> all;
    for (u64 q : p.data_moduli()) all.insert(q);
    for (u64 q : p.special_moduli()) all.insert(q);
    EXPECT_EQ(all.size(), p.data_moduli().size() + p.special_moduli().size());
    for (u64 q : all) {
      EXPECT_TRUE(is_prime(q));
      EXPECT_EQ(q % (2 * 16384), 1u);
    }
    EXPECT_EQ(64 - __builtin_clzll(p.data_moduli()[0]), 50);
    for (std::size_t i = 1; i < 6; ++i) EXPECT_EQ(64 - __builtin_clzll(p.data_moduli()[i]), 30);
    // P covers every digit; the digits partition the data primes.
    std::size_t covered = 0;
    for (std::size_t d = 0; d < p.dnum(); ++d) {
      const auto [f, l] = p.digit_range(p.max_level(), d);
      EXPECT_EQ(f, covered);
      covered = l;
      EXPECT_GE(log2_sum(p.special_moduli(), 0, p.special_count()), log2_sum(p.data_moduli(), f, l));
    }
    EXPECT_EQ(covered, 6u);
  }
}

TEST(Params, SealStyleBitSizes) {
  const auto p = CkksParameters::from_bit_sizes(16384, {60, 40, 40, 40, 40, 40, 40}, {60}, 7);
  EXPECT_EQ(p.total_bits(), 360);
  EXPECT_EQ(p.dnum(), 7u);
  EXPECT_EQ(p.alpha(), 1u);
  EXPECT_GT(p.special_moduli()[0], p.data_moduli()[0]);  // the largest 60-bit prime is the special one
  EXPECT_EQ(p.default_scale(), std::ldexp(1.0, 40));
}

TEST(Params, SecurityCheckRefusesWeakSetsUnlessFlagged) {
  // 2^13 allows 218 bits: 60 + 4*40 + 60 = 280 is too many.
  EXPECT_THROW(CkksParameters::from_bit_sizes(8192, {60, 40, 40, 40, 40}, {60}, 5), hepex::SecurityError);
  EXPECT_NO_THROW(CkksParameters::from_bit_sizes(8192, {60, 40, 40, 40, 40}, {60}, 5,
                                                 SecurityLevel::kInsecureForTestsOnly));
  // Exactly at the bound passes: 2^15 with SEAL's 21 primes = 880 <= 881.
  std::vector<int> bits{60};
  bits.insert(bits.end(), 19, 40);
  EXPECT_NO_THROW(CkksParameters::from_bit_sizes(32768, bits, {60}, 20));
  bits.push_back(40);
  EXPECT_THROW(CkksParameters::from_bit_sizes(32768, bits, {60}, 21), hepex::SecurityError);
  // Rings below 2^13 with many bits, and rings the standard does not cover.
  EXPECT_THROW(CkksParameters::create(4096, 50, 40, 3, 2), hepex::SecurityError);
  EXPECT_NO_THROW(CkksParameters::create(4096, 50, 40, 3, 2, SecurityLevel::kInsecureForTestsOnly));
  EXPECT_THROW(CkksParameters::create(64, 30, 20, 1, 1), hepex::SecurityError);
  EXPECT_EQ(max_log_qp_128(65536), 1747);
}

TEST(Params, ValidationOfExplicitModuli) {
  const auto good = CkksParameters::create(4096, 50, 40, 2, 3, SecurityLevel::kInsecureForTestsOnly);
  auto data = good.data_moduli();
  auto special = good.special_moduli();
  const auto insecure = SecurityLevel::kInsecureForTestsOnly;
  EXPECT_NO_THROW(CkksParameters(4096, data, special, 3, insecure, 1e12));
  EXPECT_THROW(CkksParameters(4096, data, special, 0, insecure, 1e12), hepex::InvalidArgument);
  EXPECT_THROW(CkksParameters(4096, data, special, 4, insecure, 1e12), hepex::InvalidArgument);
  EXPECT_THROW(CkksParameters(4000, data, special, 3, insecure, 1e12), hepex::InvalidArgument);
  EXPECT_THROW(CkksParameters(4096, data, {}, 3, insecure, 1e12), hepex::InvalidArgument);
  auto dup = data;
  dup[1] = dup[0];
  EXPECT_THROW(CkksParameters(4096, dup, special, 3, insecure, 1e12), hepex::InvalidArgument);
  auto composite = data;
  composite[1] = data[1] * 3 % (u64{1} << 60);  // not prime (or not 1 mod 2n)
  EXPECT_THROW(CkksParameters(4096, composite, special, 3, insecure, 1e12), hepex::InvalidArgument);
  // A special prime smaller than a digit (one 40-bit digit pair = 80 bits > 50 bits).
  const auto small_p = generate_ntt_primes(30, 1, 4096, data);
  EXPECT_THROW(CkksParameters(4096, data, small_p, 1, insecure, 1e12), hepex::InvalidArgument);
}

TEST(Params, HashIdentifiesTheParameterSet) {
  const auto insecure = SecurityLevel::kInsecureForTestsOnly;
  const auto a = CkksParameters::create(4096, 50, 40, 3, 2, insecure);
  const auto b = CkksParameters::create(4096, 50, 40, 3, 2, insecure);
  const auto c = CkksParameters::create(4096, 50, 40, 3, 4, insecure);
  const auto d = CkksParameters::create(4096, 50, 40, 4, 2, insecure);
  const auto e = CkksParameters::create(8192, 50, 40, 3, 2, insecure);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a.hash(), c.hash());
  EXPECT_NE(a.hash(), d.hash());
  EXPECT_NE(a.hash(), e.hash());
  EXPECT_TRUE(a == b);
}

TEST(Context, PrecomputedConstants) {
  const auto p = CkksParameters::create(4096, 50, 40, 4, 2, SecurityLevel::kInsecureForTestsOnly);
  const auto ctx = CkksContext::create(p);
  const std::size_t top = ctx->max_level();
  EXPECT_EQ(ctx->prime_count(), top + 1 + p.special_count());
  for (std::size_t l = 0; l <= top; ++l) {
    EXPECT_EQ(ctx->level_primes(l).size(), l + 1);
    EXPECT_EQ(ctx->ext_primes(l).size(), l + 1 + p.special_count());
    for (std::size_t i = 0; i < l; ++i) {
      const Modulus& q = ctx->modulus(i);
      EXPECT_EQ(mul_mod(ctx->rescale_inv(l)[i], reduce_u64(ctx->modulus(l).value, q), q), 1u);
    }
    // ModUp converters: digit primes -> every other prime of the level plus the special primes.
    for (std::size_t d = 0; d < p.digit_count(l); ++d) {
      const auto [f, last] = p.digit_range(l, d);
      EXPECT_EQ(ctx->modup(l, d).from().size(), last - f);
      EXPECT_EQ(ctx->modup(l, d).to().size(), l + 1 - (last - f) + p.special_count());
    }
  }
  for (std::size_t i = 0; i <= top; ++i) {
    const Modulus& q = ctx->modulus(i);
    u64 pm = 1;
    for (u64 s : p.special_moduli()) pm = mul_mod(pm, reduce_u64(s, q), q);
    EXPECT_EQ(mul_mod(pm, ctx->p_inv()[i], q), 1u);
  }
}

// The NTT-domain permutation equals the coefficient automorphism X -> X^g followed by the NTT.
TEST(Context, GaloisPermutationMatchesCoefficientAutomorphism) {
  const std::size_t n = 256;
  const auto p = CkksParameters::create(n, 40, 30, 1, 1, SecurityLevel::kInsecureForTestsOnly);
  const auto ctx = CkksContext::create(p);
  const NttTables& ntt = ctx->ntt(0);
  const u64 q = ctx->modulus(0).value;
  std::vector<u64> a(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = (i * 7919 + 13) % q;
  for (u64 g : {galois_element_for_step(n, 1), galois_element_for_step(n, 5), galois_element_for_step(n, -3),
                conjugation_element(n)}) {
    std::vector<u64> b(n, 0);  // b(X) = a(X^g), coefficient by coefficient with X^n = -1
    for (std::size_t i = 0; i < n; ++i) {
      const u64 e = (i * g) % (2 * n);
      if (e < n) {
        b[e] = add_mod(b[e], a[i], q);
      } else {
        b[e - n] = sub_mod(b[e - n], a[i], q);
      }
    }
    std::vector<u64> a_ntt = a, b_ntt = b;
    ntt.forward(a_ntt.data());
    ntt.forward(b_ntt.data());
    const auto perm = ctx->galois_permutation(g);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(b_ntt[i], a_ntt[(*perm)[i]]) << "g=" << g << " i=" << i;
    EXPECT_EQ(ctx->galois_permutation(g), perm);  // cached
  }
}

TEST(Galois, NonAdjacentFormSumsToTheStep) {
  for (long long x : {1LL, 3LL, 7LL, -5LL, 100LL, 255LL, -1000LL, 4095LL}) {
    long long sum = 0;
    const auto terms = non_adjacent_form(x);
    for (std::size_t i = 0; i < terms.size(); ++i) {
      sum += terms[i];
      const long long m = terms[i] < 0 ? -terms[i] : terms[i];
      EXPECT_EQ(m & (m - 1), 0) << x;
      if (i > 0) {
        EXPECT_GT(m, 2 * (terms[i - 1] < 0 ? -terms[i - 1] : terms[i - 1])) << "adjacent terms for " << x;
      }
    }
    EXPECT_EQ(sum, x);
  }
  EXPECT_EQ(non_adjacent_form(7).size(), 2u);  // 8 - 1
}
