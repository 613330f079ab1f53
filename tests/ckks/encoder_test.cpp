// Encoder: round trips (full and sparse slots), exact rounding of large coefficients, validation.
#include "ckks_fixture.hpp"
#include "ckks/polyarith.hpp"
#include "util/error.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

namespace {
struct EncoderTest : ::testing::Test {
  std::shared_ptr<const CkksContext> ctx = CkksContext::create(small_params(3, 2));
  CkksEncoder enc{ctx};
};
}  // namespace

TEST_F(EncoderTest, RoundTripFullAndSparseSlots) {
  for (std::size_t slots : {std::size_t{2048}, std::size_t{512}, std::size_t{8}, std::size_t{1}}) {
    const cvec v = random_complex(slots, slots);
    for (std::size_t level : {std::size_t{0}, ctx->max_level()}) {
      const Plaintext pt = enc.encode(v, std::ldexp(1.0, 40), level, slots);
      EXPECT_EQ(pt.slots(), slots);
      EXPECT_EQ(pt.level(), level);
      EXPECT_LT(max_error(enc.decode(pt), v), 1e-9) << slots << " slots, level " << level;
    }
  }
}

TEST_F(EncoderTest, FewerValuesArePaddedWithZeros) {
  const cvec v = random_complex(5, 3);
  const auto got = enc.decode(enc.encode(v, std::ldexp(1.0, 40), 1, 16));
  ASSERT_EQ(got.size(), 16u);
  cvec want(16);
  std::copy(v.begin(), v.end(), want.begin());
  EXPECT_LT(max_error(got, want), 1e-9);
}

TEST_F(EncoderTest, RealValues) {
  std::vector<double> v{0.5, -0.25, 3.0, 1e-3};
  const auto got = enc.decode_real(enc.encode(v, std::ldexp(1.0, 40), 2, 4));
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(got[i], v[i], 1e-9);
}

// A constant c in every slot is the constant polynomial c (independent of the FFT): coefficient 0 is
// round(c * scale), all others 0, and this holds exactly even when c * scale >= 2^63.
TEST_F(EncoderTest, ConstantIsExactlyTheConstantPolynomialEvenBeyond2To63) {
  for (double scale : {std::ldexp(1.0, 40), std::ldexp(1.0, 75)}) {
    const double c = 3.0;
    Plaintext pt = enc.encode_constant(c, scale, ctx->max_level());
    RnsPoly coeff = pt.poly();
    poly::ntt_inverse(*ctx, ctx->level_primes(pt.level()), coeff.data());
    for (std::size_t j = 0; j <= pt.level(); ++j) {
      const Modulus& q = ctx->modulus(j);
      // 3 * 2^k mod q, by repeated doubling.
      u64 want = 3 % q.value;
      for (int k = 0; k < static_cast<int>(std::log2(scale)); ++k) want = add_mod(want, want, q.value);
      ASSERT_EQ(coeff.limb(j)[0], want);
      for (std::size_t i = 1; i < ctx->n(); ++i) ASSERT_EQ(coeff.limb(j)[i], 0u) << "coefficient " << i;
    }
    EXPECT_NEAR(enc.decode(pt)[7].real(), c, 1e-9);
  }
}

TEST_F(EncoderTest, RoundingOfLargeDoublesIsExact) {
  const Modulus& q = ctx->modulus(0);
  // 2^70 + 2^20: exactly representable; the residue by independent modular arithmetic.
  const double x = std::ldexp(1.0, 70) + std::ldexp(1.0, 20);
  const u64 want = add_mod(pow_mod(2, 70, q), pow_mod(2, 20, q), q.value);
  EXPECT_EQ(rounded_residue(x, q), want);
  EXPECT_EQ(rounded_residue(-x, q), neg_mod(want, q.value));
  EXPECT_EQ(rounded_residue(2.4, q), 2u);
  EXPECT_EQ(rounded_residue(-2.6, q), q.value - 3);
}

TEST_F(EncoderTest, RejectsBadInput) {
  const cvec v = random_complex(16, 1);
  EXPECT_THROW(enc.encode(v, std::ldexp(1.0, 40), 0, 8), hepex::InvalidArgument);      // too many values
  EXPECT_THROW(enc.encode(v, std::ldexp(1.0, 40), 0, 24), hepex::InvalidArgument);     // not a power of two
  EXPECT_THROW(enc.encode(v, std::ldexp(1.0, 40), 99, 16), hepex::InvalidArgument);    // no such level
  EXPECT_THROW(enc.encode(v, std::ldexp(1.0, 53), 0, 16), hepex::InvalidArgument);     // overflows q_0
  EXPECT_THROW(enc.encode(v, -1.0, 0, 16), hepex::InvalidArgument);
  cvec bad = v;
  bad[3] = {std::nan(""), 0};
  EXPECT_THROW(enc.encode(bad, std::ldexp(1.0, 40), 0, 16), hepex::InvalidArgument);
  // A plaintext from other parameters.
  auto other = CkksContext::create(small_params(2, 1));
  CkksEncoder enc2(other);
  EXPECT_THROW(enc.decode(enc2.encode(v, std::ldexp(1.0, 40), 0, 16)), hepex::MismatchError);
}
