// Limb-wise polynomial arithmetic: the Barrett product against 128-bit division, the fused tensor product
// against separate products.
#include <gtest/gtest.h>

#include "ckks/polyarith.hpp"
#include "ckks_fixture.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

TEST(PolyArith, BarrettProductMatchesInt128) {
  hepex::Csprng rng(hepex::seed_from_u64(41));
  for (int bits = 2; bits <= kMaxModulusBits; ++bits) {
    for (int trial = 0; trial < 20; ++trial) {
      // Random moduli of this bit length, including the extremes 2^(bits-1) and 2^bits - 1.
      const u64 low = u64{1} << (bits - 1);
      u64 q = trial == 0 ? low : trial == 1 ? (low << 1) - 1 : low + rng.uniform_below(low);
      if (q < 2) q = 2;
      const Modulus m(q);
      const poly::BarrettProduct mul(m);
      for (int i = 0; i < 200; ++i) {
        const u64 a = i == 0 ? q - 1 : rng.uniform_below(q), b = i < 2 ? q - 1 : rng.uniform_below(q);
        ASSERT_EQ(mul(a, b), static_cast<u64>(static_cast<u128>(a) * b % q)) << a << " * " << b << " mod " << q;
      }
    }
  }
}

TEST(PolyArith, TensorProductEqualsSeparateProducts) {
  Engine e(small_params(2, 1));
  const CkksContext& ctx = *e.ctx;
  const auto& primes = ctx.level_primes(2);
  const Ciphertext x = e.encrypt(random_complex(8, 1), 8), y = e.encrypt(random_complex(8, 2), 8);
  const u64 *a0 = x.poly(0).data(), *a1 = x.poly(1).data(), *b0 = y.poly(0).data(), *b1 = y.poly(1).data();
  RnsPoly t0(ctx.n(), 3), t1(ctx.n(), 3), t2(ctx.n(), 3), w0(ctx.n(), 3), w1(ctx.n(), 3), w2(ctx.n(), 3);
  poly::multiply_tensor(ctx, primes, a0, a1, b0, b1, t0.data(), t1.data(), t2.data());
  for (std::size_t j = 0; j < primes.size(); ++j) {
    const Modulus& m = ctx.modulus(primes[j]);
    for (std::size_t i = j * ctx.n(); i < (j + 1) * ctx.n(); ++i) {
      w0.data()[i] = mul_mod(a0[i], b0[i], m);
      w1.data()[i] = add_mod(mul_mod(a0[i], b1[i], m), mul_mod(a1[i], b0[i], m), m.value);
      w2.data()[i] = mul_mod(a1[i], b1[i], m);
    }
  }
  EXPECT_EQ(t0, w0);
  EXPECT_EQ(t1, w1);
  EXPECT_EQ(t2, w2);
}

// Vectorized add / sub / multiply_sub against scalar modular arithmetic, including 0 and q - 1 operands and
// in-place (aliased) outputs.
TEST(PolyArith, AddSubMultiplySubMatchScalar) {
  Engine e(small_params(3, 2));
  const CkksContext& ctx = *e.ctx;
  const auto& primes = ctx.all_primes();
  const std::size_t n = ctx.n(), limbs = primes.size();
  hepex::Csprng rng(hepex::seed_from_u64(42));
  RnsPoly a(n, limbs), b(n, limbs);
  for (std::size_t j = 0; j < limbs; ++j) {
    const u64 q = ctx.modulus(primes[j]).value;
    for (std::size_t i = 0; i < n; ++i) {
      a.limb(j)[i] = i % 7 == 0 ? q - 1 : i % 11 == 0 ? 0 : rng.uniform_below(q);
      b.limb(j)[i] = i % 5 == 0 ? q - 1 : i % 13 == 0 ? 0 : rng.uniform_below(q);
    }
  }
  RnsPoly sum(n, limbs), diff = a, msub = a;
  poly::add(ctx, primes, a.data(), b.data(), sum.data());
  poly::sub(ctx, primes, diff.data(), b.data(), diff.data());
  poly::multiply_sub(ctx, primes, a.data(), b.data(), msub.data());
  for (std::size_t j = 0; j < limbs; ++j) {
    const Modulus& m = ctx.modulus(primes[j]);
    for (std::size_t i = 0; i < n; ++i) {
      const u128 x = a.limb(j)[i], y = b.limb(j)[i];
      ASSERT_EQ(sum.limb(j)[i], static_cast<u64>((x + y) % m.value));
      ASSERT_EQ(diff.limb(j)[i], static_cast<u64>((x + m.value - y) % m.value));
      ASSERT_EQ(msub.limb(j)[i], static_cast<u64>((x + m.value - (x * y) % m.value) % m.value));
    }
  }
}

namespace {
// `count` rows of `size` residues below q, every `every`-th one q - 1 (the largest products: the worst case
// for lazy sums), with pointers to the rows as the kernels take them.
struct Residues {
  std::vector<std::vector<u64>> v;
  std::vector<const u64*> rows;
  Residues(hepex::Csprng& rng, std::size_t count, std::size_t size, u64 q, std::size_t every)
      : v(count, std::vector<u64>(size)) {
    for (auto& row : v) {
      for (std::size_t i = 0; i < size; ++i) row[i] = i % every == 0 ? q - 1 : rng.uniform_below(q);
      rows.push_back(row.data());
    }
  }
};

// The kernels' output parts (at most 3) of `len` coefficients each.
struct Outputs {
  std::vector<std::vector<u64>> v;
  u64* dst[3] = {};
  Outputs(std::size_t parts, std::size_t len) : v(parts, std::vector<u64>(len)) {
    for (std::size_t p = 0; p < parts; ++p) dst[p] = v[p].data();
  }
};
}  // namespace

// The fused kernel's lazily reduced sums against products reduced one by one (mul_mod, add_mod): at the
// largest modulus size (61 bits) with worst-case residues q - 1, so the 128-bit accumulator must be folded
// (fewer than 70 such products fit), over 1, 2 and 3 parts and blocks of every length up to the maximum.
// 2^31 - 1, a 30-bit prime and 97 take the narrow kernel in AVX2 builds (64-bit lanes that drop K at 2^63);
// primes from 2^31 to 2^52 the double-precision one (with FMA: folded every 2^52 / q terms, every 2 terms just
// below 2^51; from 2^51 each product centred, folded every 3 terms just below 2^52).
constexpr u64 kFpPrimes[] = {u64{2147483659}, u64{1099511480321}, u64{70368744177643}, u64{2251799813685119},
                             u64{2251799813685269}, u64{4503599627370449}};

TEST(PolyArith, DotProductBlockEqualsProductsReducedOneByOne) {
  hepex::Csprng rng(hepex::seed_from_u64(43));
  for (const u64 q : {(u64{1} << 61) - 1, kFpPrimes[0], kFpPrimes[1], kFpPrimes[2], kFpPrimes[3], kFpPrimes[4],
                      kFpPrimes[5], (u64{1} << 31) - 1, u64{1073479681}, u64{97}}) {
    const Modulus m(q);
    ASSERT_GE(poly::dot_fold_terms(q), 64u);
    for (std::size_t parts = 1; parts <= 3; ++parts) {
      const std::size_t terms = 3 * std::min<std::size_t>(poly::dot_fold_terms(q), 100) + 1, n = 3 * poly::kDotBlockMax;
      const Residues ct(rng, terms * parts, n, q, 3), pt(rng, terms, n, q, 3);
      const auto &a = ct.rows, &b = pt.rows;
      for (const std::size_t len : {std::size_t{1}, std::size_t{7}, poly::kDotBlockMax}) {
        const std::size_t offset = n - len - 5;
        Outputs out(parts, len);
        poly::dot_product_block(m, parts, a, b, offset, len, out.dst);
        for (std::size_t p = 0; p < parts; ++p)
          for (std::size_t i = 0; i < len; ++i) {
            u64 want = 0;
            for (std::size_t k = 0; k < terms; ++k)
              want = add_mod(want, mul_mod(ct.v[k * parts + p][offset + i], pt.v[k][offset + i], m), q);
            ASSERT_EQ(out.v[p][i], want) << "q " << q << " part " << p << " coefficient " << i << " of " << len;
          }
      }
    }
  }
}

// The compact kernel (one plaintext word per run of 2^shift coefficients) against products reduced one by
// one, for runs shorter and longer than a vector, blocks that start inside a run, wide (above and below 2^51)
// and narrow moduli.
TEST(PolyArith, DotProductBlockRunsEqualsProductsReducedOneByOne) {
  hepex::Csprng rng(hepex::seed_from_u64(44));
  for (const u64 q : {(u64{1} << 61) - 1, kFpPrimes[0], kFpPrimes[2], kFpPrimes[3], kFpPrimes[4], kFpPrimes[5],
                      (u64{1} << 31) - 1, u64{1073479681}}) {
    const Modulus m(q);
    for (std::size_t parts = 1; parts <= 3; ++parts)
      for (const int shift : {0, 1, 3, 8}) {
        const std::size_t terms = 150, n = 2 * poly::kDotBlockMax, words = (n >> shift) + 1;
        const Residues ct(rng, terms * parts, n, q, 3), pt(rng, terms, words, q, 2);
        const auto &a = ct.rows, &b = pt.rows;
        for (const std::size_t len : {std::size_t{5}, poly::kDotBlockMax}) {
          const std::size_t a_offset = 3, first = n - len - 9;
          Outputs out(parts, len);
          poly::dot_product_block_runs(m, parts, a, b, a_offset, first, len, shift, out.dst);
          for (std::size_t p = 0; p < parts; ++p)
            for (std::size_t i = 0; i < len; ++i) {
              u64 want = 0;
              for (std::size_t k = 0; k < terms; ++k)
                want = add_mod(want, mul_mod(ct.v[k * parts + p][a_offset + i], pt.v[k][(first + i) >> shift], m), q);
              ASSERT_EQ(out.v[p][i], want) << "q " << q << " shift " << shift << " part " << p << " coefficient " << i;
            }
        }
      }
  }
}
