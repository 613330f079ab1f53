// Primality and NTT-prime generation checked against GMP.
#include "ckks/primes.hpp"

#include <gmpxx.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "util/csprng.hpp"

namespace hepex::ckks {
namespace {

bool gmp_is_prime(u64 v) {
  mpz_class z;
  mpz_import(z.get_mpz_t(), 1, -1, sizeof(u64), 0, 0, &v);
  return mpz_probab_prime_p(z.get_mpz_t(), 40) != 0;
}

TEST(Primes, IsPrimeMatchesGmpOnRandomInputs) {
  Csprng rng(seed_from_u64(10));
  int primes_seen = 0;
  for (int i = 0; i < 20000; ++i) {
    // Mix of sizes; odd numbers near a random point make primes frequent enough to test both answers.
    const int shift = static_cast<int>(rng.uniform_below(60));
    const u64 v = (rng.next_u64() >> shift) | 1;
    const bool p = gmp_is_prime(v);
    primes_seen += p;
    ASSERT_EQ(is_prime(v), p) << v;
  }
  EXPECT_GT(primes_seen, 300);
  for (u64 v = 0; v < 2000; ++v) ASSERT_EQ(is_prime(v), gmp_is_prime(v)) << v;
}

TEST(Primes, KnownPrimesAndPseudoprimes) {
  // Largest 64-bit prime, Mersenne primes, and composites that fool weaker tests.
  for (u64 p : {u64{18446744073709551557ull}, (u64{1} << 61) - 1, (u64{1} << 31) - 1, u64{1000000007}})
    EXPECT_TRUE(is_prime(p)) << p;
  for (u64 c : {u64{561}, u64{1105}, u64{1729}, u64{2465}, u64{2821}, u64{6601}, u64{8911},
                u64{3215031751ull},            // strong pseudoprime to bases 2, 3, 5, 7
                u64{3825123056546413051ull},   // strong pseudoprime to bases 2..23
                u64{18446744073709551615ull},  // 2^64 - 1
                u64{4294967291ull * 4294967279ull}})
    EXPECT_FALSE(is_prime(c)) << c;
  for (u64 c : {u64{3215031751ull}, u64{3825123056546413051ull}}) EXPECT_EQ(is_prime(c), gmp_is_prime(c));
}

TEST(Primes, GeneratedPrimesHaveTheRequiredShape) {
  for (std::size_t n : {std::size_t{8}, std::size_t{4096}, std::size_t{1} << 16})
    for (int bits : {30, 40, 50, 60, 61}) {
      const auto primes = generate_ntt_primes(bits, 6, n);
      ASSERT_EQ(primes.size(), 6u);
      std::set<u64> distinct(primes.begin(), primes.end());
      EXPECT_EQ(distinct.size(), primes.size());
      for (std::size_t i = 0; i < primes.size(); ++i) {
        const u64 q = primes[i];
        EXPECT_TRUE(gmp_is_prime(q)) << q;
        EXPECT_EQ(q % (2 * n), 1u) << q;
        EXPECT_EQ(64 - __builtin_clzll(q), bits) << q;
        if (i > 0) {
          EXPECT_LT(q, primes[i - 1]);  // searched downward
        }
      }
      // No prime = 1 mod 2n was skipped above the first one.
      for (u64 q = primes[0] + 2 * n; q < (u64{1} << bits); q += 2 * n) EXPECT_FALSE(gmp_is_prime(q)) << q;
      // Exclusion: the next call avoids the first primes and continues with the others.
      const auto more = generate_ntt_primes(bits, 3, n, {primes[0], primes[1]});
      EXPECT_EQ(more[0], primes[2]);
      for (u64 q : more) EXPECT_TRUE(q != primes[0] && q != primes[1]);
    }
}

TEST(Primes, GenerationRejectsImpossibleRequests) {
  EXPECT_THROW(generate_ntt_primes(62, 1, 1024), InvalidArgument);
  EXPECT_THROW(generate_ntt_primes(12, 1, 1024), InvalidArgument);  // needs >= log2(2n) + 2 = 13 bits
  EXPECT_THROW(generate_ntt_primes(30, 1, 1000), InvalidArgument);  // n not a power of two
  EXPECT_THROW(generate_ntt_primes(14, 1000, 2048), InvalidArgument);  // not that many exist
}

TEST(Primes, MinimalRootHasExactOrderAndIsSmallest) {
  for (std::size_t n : {std::size_t{4}, std::size_t{64}, std::size_t{1024}})
    for (int bits : {16, 20}) {
      const u64 qv = generate_ntt_primes(bits, 1, n)[0];
      const Modulus q(qv);
      const u64 root = minimal_primitive_root(2 * n, q);
      EXPECT_EQ(pow_mod(root, 2 * n, q), 1u);
      EXPECT_EQ(pow_mod(root, n, q), qv - 1);  // order exactly 2n (2n is a power of two)
      // Brute force: no smaller element has order exactly 2n.
      for (u64 x = 2; x < root; ++x) ASSERT_NE(pow_mod(x, n, q), qv - 1) << x << " mod " << qv;
    }
  for (int bits : {50, 60, 61}) {
    const std::size_t n = std::size_t{1} << 15;
    const Modulus q(generate_ntt_primes(bits, 1, n)[0]);
    const u64 root = minimal_primitive_root(2 * n, q);
    EXPECT_EQ(pow_mod(root, n, q), q.value - 1);
    // Minimal among all primitive roots psi^(odd): check every odd power.
    const u64 step = mul_mod(root, root, q);
    u64 p = root;
    for (std::size_t k = 0; k < n; ++k, p = mul_mod(p, step, q)) ASSERT_GE(p, root);
  }
  EXPECT_THROW(minimal_primitive_root(64, Modulus(97)), InvalidArgument);  // 96 is not a multiple of 64
  EXPECT_THROW(minimal_primitive_root(16, Modulus(161)), InvalidArgument);  // 161 = 7 * 23 is not prime
}

}  // namespace
}  // namespace hepex::ckks
