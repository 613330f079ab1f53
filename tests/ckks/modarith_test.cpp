// Modular arithmetic checked against unsigned __int128 and GMP.
#include "ckks/modarith.hpp"

#include <gmpxx.h>
#include <gtest/gtest.h>

#include <vector>

#include "util/csprng.hpp"
#include "gmp_util.hpp"

namespace hepex::ckks {
namespace {

using testing::to_mpz;
u64 from_mpz(const mpz_class& v) {
  u64 r = 0;
  mpz_export(&r, nullptr, -1, sizeof(u64), 0, 0, v.get_mpz_t());
  return r;
}

// Random odd moduli of several sizes up to 61 bits, plus the extremes.
std::vector<u64> test_moduli(Csprng& rng) {
  std::vector<u64> mods = {3, 17, 65537, (u64{1} << 61) - 1};
  for (int bits : {20, 30, 40, 50, 55, 59, 60, 61})
    for (int rep = 0; rep < 3; ++rep) mods.push_back((rng.next_u64() >> (64 - bits)) | (u64{1} << (bits - 1)) | 1);
  return mods;
}

TEST(ModArith, BarrettReductionMatchesInt128) {
  Csprng rng(seed_from_u64(1));
  for (u64 q : test_moduli(rng)) {
    const Modulus m(q);
    for (int i = 0; i < 2000; ++i) {
      const u64 a = rng.next_u64(), b = rng.next_u64();
      const u128 x = (static_cast<u128>(a) << 64) | b;
      ASSERT_EQ(reduce_u128(x, m), static_cast<u64>(x % q)) << "q=" << q;
      ASSERT_EQ(reduce_u64(a, m), a % q) << "q=" << q;
      const u64 u = a % q, v = b % q;
      ASSERT_EQ(mul_mod(u, v, m), static_cast<u64>(static_cast<u128>(u) * v % q));
      ASSERT_EQ(add_mod(u, v, q), static_cast<u64>((static_cast<u128>(u) + v) % q));
      ASSERT_EQ(sub_mod(u, v, q), static_cast<u64>((static_cast<u128>(u) + q - v) % q));
      ASSERT_EQ(neg_mod(u, q), (q - u) % q);
    }
    // Edge values.
    for (u128 x : {u128{0}, u128{q - 1}, u128{q}, static_cast<u128>(q) * (q - 1), ~u128{0}})
      ASSERT_EQ(reduce_u128(x, m), static_cast<u64>(x % q));
  }
}

TEST(ModArith, ShoupMatchesInt128AndBoundsHold) {
  Csprng rng(seed_from_u64(2));
  for (u64 q : test_moduli(rng)) {
    for (int i = 0; i < 2000; ++i) {
      const u64 w = rng.uniform_below(q);
      const u64 ws = shoup_precompute(w, q);
      const u64 a = rng.next_u64();  // any 64-bit input is allowed
      const u64 expect = static_cast<u64>(static_cast<u128>(a) * w % q);
      const u64 lazy = mul_shoup_lazy(a, w, ws, q);
      ASSERT_LT(lazy, 2 * q);
      ASSERT_EQ(lazy % q, expect);
      ASSERT_EQ(mul_shoup(a, w, ws, q), expect);
    }
  }
}

TEST(ModArith, PowAndInverseMatchGmp) {
  Csprng rng(seed_from_u64(3));
  for (u64 q : test_moduli(rng)) {
    const Modulus m(q);
    const mpz_class qz = to_mpz(q);
    for (int i = 0; i < 200; ++i) {
      const u64 base = rng.next_u64(), exp = rng.next_u64() >> rng.uniform_below(64);
      mpz_class expect;
      mpz_powm(expect.get_mpz_t(), to_mpz(base).get_mpz_t(), to_mpz(exp).get_mpz_t(), qz.get_mpz_t());
      ASSERT_EQ(pow_mod(base, exp, m), from_mpz(expect)) << base << "^" << exp << " mod " << q;

      const u64 a = rng.uniform_below(q);
      mpz_class inv;
      if (mpz_invert(inv.get_mpz_t(), to_mpz(a).get_mpz_t(), qz.get_mpz_t()) != 0)
        ASSERT_EQ(inv_mod(a, q), from_mpz(inv)) << a << " mod " << q;
      else
        ASSERT_THROW(inv_mod(a, q), InvalidArgument);
    }
  }
  EXPECT_THROW(inv_mod(6, 9), InvalidArgument);
  EXPECT_THROW(inv_mod(0, 7), InvalidArgument);
}

TEST(ModArith, ModulusRejectsOutOfRange) {
  EXPECT_THROW(Modulus(0), InvalidArgument);
  EXPECT_THROW(Modulus(1), InvalidArgument);
  EXPECT_THROW(Modulus(u64{1} << 61), InvalidArgument);
  EXPECT_EQ(Modulus((u64{1} << 61) - 1).bits, 61);
}

}  // namespace
}  // namespace hepex::ckks
