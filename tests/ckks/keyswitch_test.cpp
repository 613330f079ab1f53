// Hybrid key switching for every digit count: relinearization and rotation stay correct, and the
// decomposition is a true decomposition (digits exact on their own primes).
#include "ckks_fixture.hpp"
#include "ckks/keyswitch.hpp"
#include "ckks/polyarith.hpp"
#include "ckks/serialize.hpp"
#include "util/error.hpp"

#include <omp.h>

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

class KeySwitchDnum : public ::testing::TestWithParam<std::size_t> {};

TEST_P(KeySwitchDnum, RelinearizeAndRotateAreCorrect) {
  const std::size_t levels = 4;  // 5 data primes
  const std::size_t dnum = GetParam() == 0 ? levels + 1 : GetParam();
  Engine e(small_params(levels, dnum));
  EXPECT_EQ(e.ctx->params().dnum(), dnum);
  const RelinKey rk = e.keygen->create_relin_key();
  EXPECT_EQ(rk.key.digits(), dnum);
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1, -7}, true);
  const Evaluator& ev = *e.evaluator;
  const cvec x = random_complex(e.ctx->n() / 2, 1), y = random_complex(e.ctx->n() / 2, 2);
  Ciphertext cx = e.encrypt(x), cy = e.encrypt(y);
  cvec want(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = x[i] * y[i];
  // At every level (digits shrink as primes are dropped).
  for (std::size_t level = levels; level-- > 0;) {
    const Ciphertext a = ev.drop_to_level(cx, level + 1), b = ev.drop_to_level(cy, level + 1);
    const Ciphertext prod = ev.rescale(ev.multiply_relin(a, b, rk));
    EXPECT_LT(max_error(e.decrypt(prod), want), 1e-5) << "dnum " << dnum << " level " << level;
    EXPECT_LT(max_error(e.decrypt(ev.rotate(prod, 1, gk)), rotated(want, 1)), 1e-5) << "dnum " << dnum;
    EXPECT_LT(max_error(e.decrypt(ev.rotate(prod, -7, gk)), rotated(want, -7)), 1e-5) << "dnum " << dnum;
  }
}

INSTANTIATE_TEST_SUITE_P(AllDigitCounts, KeySwitchDnum, ::testing::Values(1, 2, 3, 0 /* L+1 */));

TEST(KeySwitch, DigitsAreExactOnTheirOwnPrimesAndConsistentElsewhere) {
  Engine e(small_params(4, 3));
  const CkksContext& ctx = *e.ctx;
  const Ciphertext ct = e.encrypt(random_complex(8, 3), 8);
  const std::size_t level = ct.level();
  const KeySwitchDigits digits = decompose_for_key_switch(ctx, ct.poly(1), level);
  const auto& ext = ctx.ext_primes(level);
  RnsPoly c = ct.poly(1);
  poly::ntt_inverse(ctx, ctx.level_primes(level), c.data());
  for (std::size_t d = 0; d < digits.count; ++d) {
    const auto [first, last] = ctx.params().digit_range(level, d);
    // Back to coefficients: on the digit's primes, equal to c; on every other prime, the centered
    // [c]_{Q_d} plus a small multiple of Q_d. For a one-prime digit the conversion is exact (no multiple).
    RnsPoly dig(ctx.n(), ext.size());
    std::copy(digits.data.limb(d * ext.size()), digits.data.limb(d * ext.size()) + ext.size() * ctx.n(), dig.data());
    poly::ntt_inverse(ctx, ext, dig.data());
    for (std::size_t k = first; k < last; ++k)
      for (std::size_t i = 0; i < ctx.n(); ++i) ASSERT_EQ(dig.limb(k)[i], c.limb(k)[i]);
    if (last - first == 1) {
      for (std::size_t k = 0; k < ext.size(); ++k) {
        const Modulus& m = ctx.modulus(ext[k]);
        const u64 qd = ctx.modulus(first).value;
        for (std::size_t i = 0; i < ctx.n(); i += 97) {
          // The centered representative of c mod q_d, reduced modulo the target prime.
          const u64 x = c.limb(first)[i];
          const u64 want = x > qd / 2 ? sub_mod(reduce_u64(x, m), reduce_u64(qd, m), m.value) : reduce_u64(x, m);
          ASSERT_EQ(dig.limb(k)[i], want);
        }
      }
    }
  }
}

// The fused key switch (digits converted and consumed one output limb at a time) is the materialized
// decomposition followed by switch_key, bit for bit, with and without an automorphism, written or added.
TEST(KeySwitch, FusedEqualsDecomposeThenSwitch) {
  for (std::size_t dnum : {1, 2, 3, 5}) {
    Engine e(small_params(4, dnum));
    const CkksContext& ctx = *e.ctx;
    const RelinKey rk = e.keygen->create_relin_key();
    const Ciphertext ct = e.encrypt(random_complex(e.ctx->n() / 2, 11));
    const auto perm = ctx.galois_permutation(5);
    for (std::size_t level : {ctx.max_level(), std::size_t{1}}) {
      const RnsPoly c = ct.poly(1).prefix(level + 1);
      const KeySwitchDigits digits = decompose_for_key_switch(ctx, c, level);
      for (const std::vector<std::uint32_t>* p : {static_cast<const std::vector<std::uint32_t>*>(nullptr), perm.get()}) {
        RnsPoly want0, want1, got0, got1;
        switch_key(ctx, digits, rk.key, p, want0, want1);
        key_switch(ctx, c, level, rk.key, p, got0, KeySwitchOutput::kOverwrite, got1, KeySwitchOutput::kOverwrite);
        EXPECT_EQ(got0, want0) << "dnum " << dnum << " level " << level;
        EXPECT_EQ(got1, want1) << "dnum " << dnum << " level " << level;
        // Adding to x gives x + result.
        RnsPoly sum0 = c, sum1 = c;
        key_switch(ctx, c, level, rk.key, p, sum0, KeySwitchOutput::kAdd, sum1, KeySwitchOutput::kAdd);
        RnsPoly ref0(ctx.n(), level + 1), ref1(ctx.n(), level + 1);
        poly::add(ctx, ctx.level_primes(level), c.data(), want0.data(), ref0.data());
        poly::add(ctx, ctx.level_primes(level), c.data(), want1.data(), ref1.data());
        EXPECT_EQ(sum0, ref0);
        EXPECT_EQ(sum1, ref1);
      }
    }
  }
}

// Many digits against a naive inner product reduced after every term, with and without an automorphism.
// 61 bits: the 128-bit accumulators fold part-way (only 15 products of a lazy digit < 4q and a key value
// fit). 30 and 31 bits: the narrow kernel, whose 64-bit lanes drop K = q ceil(2^63 / q) every few terms. 40, 50
// and 52 bits: the double-precision kernel (with FMA), whose sums fold every 2^52 / q digits (every 4 at 50
// bits; at 52 every product is centred and the sums fold every 3).
class KeySwitchInnerProduct : public ::testing::TestWithParam<int> {};

TEST_P(KeySwitchInnerProduct, EqualsANaiveInnerProduct) {
  const int prime_bits = GetParam();
  const std::vector<int> bits(17, prime_bits);  // 17 digits: the narrow kernel's pairs end with one alone
  const auto params =
      CkksParameters::from_bit_sizes(2048, bits, {std::min(61, prime_bits + 20)}, bits.size(), SecurityLevel::kInsecureForTestsOnly);
  Engine e(params);
  const CkksContext& ctx = *e.ctx;
  const RelinKey rk = e.keygen->create_relin_key();
  const KeySwitchKey packed = rk.key.packed(ctx);
  const std::size_t level = ctx.max_level();
  const Ciphertext ct = e.encrypt(random_complex(ctx.n() / 2, 12));
  const KeySwitchDigits digits = decompose_for_key_switch(ctx, ct.poly(1), level);
  const auto& ext = ctx.ext_primes(level);
  const std::size_t n = ctx.n(), ne = ext.size();
  ASSERT_GT(digits.count, 15u);
  const auto perm = ctx.galois_permutation(5);
  for (const std::vector<std::uint32_t>* p : {static_cast<const std::vector<std::uint32_t>*>(nullptr), perm.get()}) {
    RnsPoly acc0(n, ne), acc1(n, ne);
    for (std::size_t k = 0; k < ne; ++k) {
      const Modulus& m = ctx.modulus(ext[k]);
      for (std::size_t d = 0; d < digits.count; ++d)
        for (std::size_t i = 0; i < n; ++i) {
          const u64 v = digits.data.limb(d * ne + k)[p ? (*p)[i] : i];
          acc0.limb(k)[i] = add_mod(acc0.limb(k)[i], mul_mod(v, rk.key.b(d).limb(ext[k])[i], m), m.value);
          acc1.limb(k)[i] = add_mod(acc1.limb(k)[i], mul_mod(v, rk.key.a(d).limb(ext[k])[i], m), m.value);
        }
    }
    RnsPoly want0, want1, got0, got1, fused0, fused1;
    mod_down(ctx, level, acc0, want0);
    mod_down(ctx, level, acc1, want1);
    switch_key(ctx, digits, rk.key, p, got0, got1);
    EXPECT_EQ(got0, want0) << prime_bits << " bits, perm " << (p != nullptr);
    EXPECT_EQ(got1, want1) << prime_bits << " bits, perm " << (p != nullptr);
    key_switch(ctx, ct.poly(1), level, rk.key, p, fused0, KeySwitchOutput::kOverwrite, fused1, KeySwitchOutput::kOverwrite);
    EXPECT_EQ(fused0, want0) << prime_bits << " bits, perm " << (p != nullptr);
    EXPECT_EQ(fused1, want1) << prime_bits << " bits, perm " << (p != nullptr);
    // The key packed as a server holds it (32-bit words where the narrow kernel reads them): the same sums.
    switch_key(ctx, digits, packed, p, got0, got1);
    EXPECT_EQ(got0, want0) << prime_bits << " bits, packed, perm " << (p != nullptr);
    EXPECT_EQ(got1, want1) << prime_bits << " bits, packed, perm " << (p != nullptr);
    key_switch(ctx, ct.poly(1), level, packed, p, fused0, KeySwitchOutput::kOverwrite, fused1, KeySwitchOutput::kOverwrite);
    EXPECT_EQ(fused0, want0) << prime_bits << " bits, packed, perm " << (p != nullptr);
    EXPECT_EQ(fused1, want1) << prime_bits << " bits, packed, perm " << (p != nullptr);
  }
  // A packed key no longer holds its polynomials: what needs them refuses, naming why.
  EXPECT_TRUE(packed.is_packed());
  EXPECT_EQ(packed.digits(), rk.key.digits());
  EXPECT_THROW(packed.b(0), hepex::InvalidArgument);
  EXPECT_THROW(packed.a(0), hepex::InvalidArgument);
  EXPECT_THROW(packed.trimmed(ctx, 0), hepex::InvalidArgument);
#if defined(__AVX2__)
  // 17 data primes in 32-bit words, the special prime in 64: 76 of 144 bytes per coefficient.
  if (prime_bits <= 31) EXPECT_EQ(packed.byte_size() * 144, rk.key.byte_size() * 76);
  else EXPECT_EQ(packed.byte_size(), rk.key.byte_size());
#else
  EXPECT_EQ(packed.byte_size(), rk.key.byte_size());
#endif
}

INSTANTIATE_TEST_SUITE_P(PrimeSizes, KeySwitchInnerProduct, ::testing::Values(30, 31, 40, 50, 52, 61));

// Rotations (fused and hoisted key switching) give the same ciphertext with one and two threads.
TEST(KeySwitch, RotationsAreIdenticalWithOneAndTwoThreads) {
  for (std::size_t dnum : {2, 5}) {
    Engine e(small_params(4, dnum));
    const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1, 3}, false);
    const Ciphertext ct = e.encrypt(random_complex(e.ctx->n() / 2, 13));
    const std::vector<long long> steps{1, 3};
    auto run = [&](int threads) {
      omp_set_num_threads(threads);
      std::vector<Ciphertext> r = e.evaluator->rotate_hoisted(ct, steps, gk);
      r.push_back(e.evaluator->rotate(ct, 1, gk));
      return r;
    };
    const int before = omp_get_max_threads();
    const auto one = run(1), two = run(2);
    omp_set_num_threads(before);
    ASSERT_EQ(one.size(), two.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
      EXPECT_EQ(one[i].poly(0), two[i].poly(0)) << "dnum " << dnum << " result " << i;
      EXPECT_EQ(one[i].poly(1), two[i].poly(1)) << "dnum " << dnum << " result " << i;
    }
  }
}

// A key trimmed to level t keeps the full key's residues on q_0..q_t and the special primes: rotations and
// relinearizations at every level <= t equal the full key's bit for bit, a level above t is refused, and
// its files (seeded and expanded) round-trip at a fraction of the full key's size.
TEST(KeySwitchTrimmed, EqualsTheFullKeyBelowItsTopAndRefusesAbove) {
  Engine e(small_params(4, 2));  // levels 0..4, two-prime digits: the top digit is partial at odd levels
  const auto gk = e.keygen->create_galois_keys(std::vector<long long>{3}, false);
  const RelinKey rk = e.keygen->create_relin_key();
  const std::uint64_t g = gk.keys().begin()->first;
  for (std::size_t top = 0; top < e.ctx->max_level(); ++top) {
    GaloisKeys trimmed(e.ctx->param_hash());
    trimmed.insert(g, gk.at(g).trimmed(*e.ctx, top));
    const RelinKey rk_trimmed{rk.key.trimmed(*e.ctx, top)};
    EXPECT_EQ(trimmed.at(g).digits(), e.ctx->params().digit_count(top));
    Ciphertext ct = e.encrypt(random_complex(64, 30 + top));
    ct.drop_to_level(top + 1);
    EXPECT_THROW(e.evaluator->rotate(ct, 3, trimmed), hepex::MismatchError) << "top " << top;
    for (std::size_t level = 0; level <= top; ++level) {
      Ciphertext at = ct;
      at.drop_to_level(level);
      const Ciphertext full = e.evaluator->rotate(at, 3, gk), cut = e.evaluator->rotate(at, 3, trimmed);
      EXPECT_EQ(full.poly(0), cut.poly(0)) << "top " << top << " level " << level;
      EXPECT_EQ(full.poly(1), cut.poly(1)) << "top " << top << " level " << level;
      const Ciphertext sq = e.evaluator->multiply(at, at);
      EXPECT_EQ(e.evaluator->relinearize(sq, rk).poly(0), e.evaluator->relinearize(sq, rk_trimmed).poly(0));
    }
    for (bool seeded : {true, false}) {
      const Bytes bytes = to_bytes(trimmed, SaveOptions{seeded});
      EXPECT_LT(bytes.size(), to_bytes(gk, SaveOptions{seeded}).size());
      const GaloisKeys back = parse_galois_keys(*e.ctx, bytes, "g.keys");
      EXPECT_EQ(back.at(g).top_level(), top);
      for (std::size_t d = 0; d < back.at(g).digits(); ++d) {
        EXPECT_EQ(back.at(g).b(d), trimmed.at(g).b(d));
        EXPECT_EQ(back.at(g).a(d), trimmed.at(g).a(d));
      }
    }
  }
  EXPECT_THROW(gk.at(g).trimmed(*e.ctx, 1).trimmed(*e.ctx, 2), hepex::InvalidArgument);
}
