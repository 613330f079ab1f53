// Negacyclic NTT checked against naive polynomial arithmetic and direct evaluation.
#include "ckks/ntt.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "ckks/primes.hpp"
#include "util/csprng.hpp"

namespace hepex::ckks {
namespace {

std::vector<u64> random_poly(Csprng& rng, std::size_t n, u64 bound) {
  std::vector<u64> a(n);
  for (auto& x : a) x = rng.uniform_below(bound);
  return a;
}

// a * b in Z_q[X]/(X^n + 1), schoolbook.
std::vector<u64> naive_negacyclic(const std::vector<u64>& a, const std::vector<u64>& b, const Modulus& q) {
  const std::size_t n = a.size();
  std::vector<u64> c(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const u64 p = mul_mod(a[i], b[j], q);
      if (i + j < n)
        c[i + j] = add_mod(c[i + j], p, q.value);
      else
        c[i + j - n] = sub_mod(c[i + j - n], p, q.value);
    }
  return c;
}

struct Case {
  std::size_t n;
  int bits;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (std::size_t n = 2; n <= 4096; n *= 2)
    // 30, 31: the 32-bit-lane kernels (n >= 16); 32 - 51: the double-precision ones; 60, 61: 64-bit lanes.
    for (int bits : {30, 31, 32, 43, 50, 51, 60, 61}) out.push_back({n, bits});
  return out;
}

TEST(Ntt, ProductsMatchNaiveNegacyclicConvolution) {
  Csprng rng(seed_from_u64(20));
  for (const Case& c : cases()) {
    if (c.n < 8) continue;
    const Modulus q(generate_ntt_primes(c.bits, 1, c.n)[0]);
    const NttTables t(c.n, q);
    const auto a = random_poly(rng, c.n, q.value), b = random_poly(rng, c.n, q.value);
    const auto expect = naive_negacyclic(a, b, q);
    auto fa = a, fb = b;
    t.forward(fa.data());
    t.forward(fb.data());
    for (std::size_t i = 0; i < c.n; ++i) fa[i] = mul_mod(fa[i], fb[i], q);
    t.inverse(fa.data());
    ASSERT_EQ(fa, expect) << "n=" << c.n << " bits=" << c.bits;
  }
}

TEST(Ntt, ForwardEvaluatesAtOddPowersOfPsiInBitReversedOrder) {
  Csprng rng(seed_from_u64(21));
  for (std::size_t n : {2, 4, 8, 16, 64, 256})
    for (int bits : {30, 61}) {
      const Modulus q(generate_ntt_primes(bits, 1, n)[0]);
      const NttTables t(n, q);
      ASSERT_EQ(t.psi(), minimal_primitive_root(2 * n, q));
      const auto a = random_poly(rng, n, q.value);
      auto fa = a;
      t.forward(fa.data());
      for (std::size_t i = 0; i < n; ++i) {
        const u64 x = pow_mod(t.psi(), 2 * bit_reverse(i, t.log_n()) + 1, q);
        u64 value = 0;  // Horner
        for (std::size_t k = n; k-- > 0;) value = add_mod(mul_mod(value, x, q), a[k], q.value);
        ASSERT_EQ(fa[i], value) << "n=" << n << " i=" << i;
      }
    }
}

// A polynomial in X^(n/len) takes len distinct values under forward(), constant on blocks of n/len: the
// size-len transform of its len coefficients (forward_subring, the compact plaintexts' encoder), for every
// power-of-two len, narrow and wide primes (the AVX2 and scalar kernels).
TEST(Ntt, SubringTransformGivesTheBlocksOfTheFullOne) {
  Csprng rng(seed_from_u64(22));
  for (std::size_t n : {16, 1024})
    for (int bits : {30, 61}) {
      const Modulus q(generate_ntt_primes(bits, 1, n)[0]);
      const NttTables t(n, q);
      for (std::size_t len = 1; len <= n; len *= 2) {
        const auto b = random_poly(rng, len, q.value);
        std::vector<u64> a(n, 0);
        for (std::size_t k = 0; k < len; ++k) a[k * (n / len)] = b[k];
        t.forward(a.data());
        auto fb = b;
        t.forward_subring(fb.data(), len);
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(a[i], fb[i / (n / len)]) << "n=" << n << " len=" << len << " i=" << i;
      }
      std::vector<u64> x(3);
      EXPECT_THROW(t.forward_subring(x.data(), 3), InvalidArgument);
      EXPECT_THROW(t.forward_subring(x.data(), 2 * n), InvalidArgument);
    }
}

TEST(Ntt, InverseUndoesForwardAndLazyBoundsHold) {
  Csprng rng(seed_from_u64(22));
  for (const Case& c : cases()) {
    const Modulus q(generate_ntt_primes(c.bits, 1, c.n)[0]);
    const NttTables t(c.n, q);
    const auto a = random_poly(rng, c.n, q.value);
    auto x = a;
    t.forward(x.data());
    for (u64 v : x) ASSERT_LT(v, q.value);
    const auto full = x;
    t.inverse(x.data());
    for (u64 v : x) ASSERT_LT(v, q.value);
    ASSERT_EQ(x, a) << "n=" << c.n << " bits=" << c.bits;

    // Lazy forward accepts inputs < 4q (a + k q) and returns values < 4q congruent to the full output.
    auto y = a;
    for (auto& v : y) v += q.value * rng.uniform_below(4);
    t.forward_lazy(y.data());
    for (std::size_t i = 0; i < c.n; ++i) {
      ASSERT_LT(y[i], 4 * q.value);
      ASSERT_EQ(y[i] % q.value, full[i]);
    }
    // Lazy inverse accepts the lazy forward output (< 4q) and returns values < 2q congruent to a.
    t.inverse_lazy(y.data());
    for (std::size_t i = 0; i < c.n; ++i) {
      ASSERT_LT(y[i], 2 * q.value);
      ASSERT_EQ(y[i] % q.value, a[i]);
    }
    // Full variants also accept lazy inputs.
    auto z = full;
    for (auto& v : z) v += q.value * rng.uniform_below(4);
    t.inverse(z.data());
    ASSERT_EQ(z, a);
  }
}

TEST(Ntt, ExtremeInputs) {
  // All coefficients at the top of the lazy range stress the carries of every stage (31 bits: the largest
  // moduli of the 32-bit lanes, whose sums then reach 2^32 - 1; 51 bits: the largest of the doubles, whose
  // products' low parts reach 2^49).
  for (int bits : {31, 32, 51, 60, 61}) {
    const std::size_t n = 1024;
    const Modulus q(generate_ntt_primes(bits, 1, n)[0]);
    const NttTables t(n, q);
    std::vector<u64> a(n, q.value - 1), lazy(n, 4 * q.value - 1);
    auto fa = a;
    t.forward(fa.data());
    t.forward(lazy.data());
    EXPECT_EQ(lazy, fa);
    t.inverse(fa.data());
    EXPECT_EQ(fa, a);
  }
}

TEST(Ntt, RejectsBadParameters) {
  const Modulus q(generate_ntt_primes(30, 1, 1024)[0]);
  EXPECT_THROW(NttTables(1000, q), InvalidArgument);
  ASSERT_NE((q.value - 1) % (1 << 21), 0u);
  EXPECT_THROW(NttTables(1 << 20, q), InvalidArgument);  // q is not 1 mod 2^21
}

}  // namespace
}  // namespace hepex::ckks
