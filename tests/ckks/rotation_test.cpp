// Rotations (direct keys, composed keys, sparse slots), conjugation, hoisting and rotate-and-sum.
#include "ckks_fixture.hpp"
#include "ckks/galois.hpp"
#include "util/error.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

namespace {
constexpr double kTol = 1e-5;

struct RotationTest : ::testing::Test {
  Engine e{small_params(2, 3)};
  std::size_t slots = e.ctx->n() / 2;
  cvec x = random_complex(slots, 21);
  Ciphertext cx = e.encrypt(x);
};
}  // namespace

TEST_F(RotationTest, AllPowerOfTwoStepsWithDirectKeys) {
  const GaloisKeys gk = e.keygen->create_power_of_two_galois_keys();
  for (long long s = 1; s < static_cast<long long>(slots); s *= 2) {
    EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate(cx, s, gk)), rotated(x, s)), kTol) << s;
    EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate(cx, -s, gk)), rotated(x, -s)), kTol) << -s;
  }
}

TEST_F(RotationTest, OtherStepsDirectAndComposed) {
  const std::vector<long long> steps{3, -5, 100, 1000, -1};
  const GaloisKeys direct = e.keygen->create_galois_keys(steps, false);
  const GaloisKeys pow2 = e.keygen->create_power_of_two_galois_keys(false);
  for (long long s : steps) {
    EXPECT_EQ(e.evaluator->rotation_plan(s, slots, direct).size(), 1u);
    EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate(cx, s, direct)), rotated(x, s)), kTol) << s;
    // Composed from power-of-two keys (non-adjacent form).
    EXPECT_EQ(e.evaluator->rotation_plan(s, slots, pow2).size(), non_adjacent_form(s).size());
    EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate(cx, s, pow2)), rotated(x, s)), kTol) << s;
  }
  // Step 0 and multiples of the slot count are the identity.
  EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate(cx, static_cast<long long>(slots), direct)), x), kTol);
  // A step with neither a key nor composable keys.
  const GaloisKeys only3 = e.keygen->create_galois_keys(std::vector<long long>{3}, false);
  EXPECT_THROW(e.evaluator->rotate(cx, 5, only3), hepex::InvalidArgument);
}

TEST_F(RotationTest, Conjugation) {
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{}, true);
  cvec want(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = std::conj(x[i]);
  EXPECT_LT(max_error(e.decrypt(e.evaluator->conjugate(cx, gk)), want), kTol);
  const GaloisKeys none = e.keygen->create_galois_keys(std::vector<long long>{1}, false);
  EXPECT_THROW(e.evaluator->conjugate(cx, none), hepex::InvalidArgument);
}

TEST_F(RotationTest, HoistedEqualsPlainRotation) {
  const std::vector<long long> steps{1, 2, 3, -5, 100, 0, 7};
  // Direct keys for all but 7 (composed: falls back to plain rotation).
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1, 2, 3, -5, 100, 8, -1}, false);
  const auto hoisted = e.evaluator->rotate_hoisted(cx, steps, gk);
  ASSERT_EQ(hoisted.size(), steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Ciphertext plain = e.evaluator->rotate(cx, steps[i], gk);
    // Same decomposition, same key, same permutation: bit-identical.
    EXPECT_EQ(hoisted[i].poly(0), plain.poly(0)) << steps[i];
    EXPECT_EQ(hoisted[i].poly(1), plain.poly(1)) << steps[i];
    EXPECT_LT(max_error(e.decrypt(hoisted[i]), rotated(x, steps[i])), kTol) << steps[i];
  }
}

TEST_F(RotationTest, RotateAndSumMatchesPlainSums) {
  const GaloisKeys gk = e.keygen->create_power_of_two_galois_keys(false);
  for (auto [count, stride] : {std::pair<std::size_t, long long>{8, 1}, {16, 4}, {4, -3}, {1, 5}}) {
    cvec want(slots, 0);
    for (std::size_t i = 0; i < count; ++i) {
      const cvec r = rotated(x, static_cast<long long>(i) * stride);
      for (std::size_t j = 0; j < slots; ++j) want[j] += r[j];
    }
    EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate_and_sum(cx, count, stride, gk)), want), 1e-4)
        << count << " x " << stride;
  }
  EXPECT_THROW(e.evaluator->rotate_and_sum(cx, 6, 1, gk), hepex::InvalidArgument);
}

// A hoisted sum (one decomposition, one ModDown for all direct-key terms) against the plaintext sum and the
// sum of separate rotations; a repeated step, the identity and a composed step (7 = 8 - 1) included. One
// direct step alone is bit for bit rotate().
TEST_F(RotationTest, RotateSumEqualsTheSumOfSeparateRotations) {
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1, 2, 3, -5, 8, -1}, false);
  const std::vector<long long> steps{0, 1, 2, 3, -5, 3, 7};
  cvec want(slots, 0);
  Ciphertext separate = cx;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const cvec r = rotated(x, steps[i]);
    for (std::size_t j = 0; j < slots; ++j) want[j] += r[j];
    if (i > 0) e.evaluator->add_inplace(separate, e.evaluator->rotate(cx, steps[i], gk));
  }
  const Ciphertext sum = e.evaluator->rotate_sum(cx, steps, gk);
  EXPECT_LT(max_error(e.decrypt(sum), want), 1e-4);
  EXPECT_LT(max_error(e.decrypt(sum), e.decrypt(separate)), 1e-6);  // only the ModDown rounding differs
  const std::vector<long long> one{-5};
  const Ciphertext single = e.evaluator->rotate_sum(cx, one, gk), plain = e.evaluator->rotate(cx, -5, gk);
  EXPECT_EQ(single.poly(0), plain.poly(0));
  EXPECT_EQ(single.poly(1), plain.poly(1));
  EXPECT_THROW(e.evaluator->rotate_sum(cx, std::vector<long long>{}, gk), hepex::InvalidArgument);
  const GaloisKeys only3 = e.keygen->create_galois_keys(std::vector<long long>{3}, false);
  EXPECT_THROW(e.evaluator->rotate_sum(cx, std::vector<long long>{3, 5}, only3), hepex::InvalidArgument);
}

TEST_F(RotationTest, SparseSlotsRotateModuloTheSlotCount) {
  const std::size_t s = 64;
  const cvec v = random_complex(s, 5);
  const Ciphertext c = e.encrypt(v, s);
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1, 3, -60}, true);
  for (long long step : {1LL, 3LL, -60LL, 4LL /* = 3 + 1 composed */, 65LL /* = 1 mod 64 */, -61LL /* = 3 mod 64 */}) {
    const auto r = e.evaluator->rotate(c, step, gk);
    EXPECT_EQ(r.slots(), s);
    EXPECT_LT(max_error(e.decrypt(r), rotated(v, step)), kTol) << step;
  }
}

TEST_F(RotationTest, GaloisKeysOnlyForRequestedSteps) {
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1, 1, 0, 5}, false);
  EXPECT_EQ(gk.keys().size(), 2u);
  EXPECT_TRUE(gk.contains(galois_element_for_step(e.ctx->n(), 5)));
  EXPECT_FALSE(gk.contains(conjugation_element(e.ctx->n())));
}

TEST_F(RotationTest, AddRotatedInPlaceEqualsAddOfTheRotationBitForBit) {
  // Direct keys, a composed step, the identity; then again one level down and back up, so the per-thread
  // scratch ciphertext is reused, shrunk and regrown.
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1, 4, -2}, false);
  Ciphertext low = cx;
  low.drop_to_level(1);
  for (const Ciphertext* start : {&cx, &low, &cx}) {
    for (long long step : {1LL, 4LL, -2LL, 5LL, 0LL}) {
      SCOPED_TRACE(step);
      Ciphertext got = *start;
      e.evaluator->add_rotated_inplace(got, step, gk);
      const Ciphertext want = e.evaluator->add(*start, e.evaluator->rotate(*start, step, gk));
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(got.level(), want.level());
      for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.poly(i), want.poly(i));
    }
  }
  cvec want = x;
  const cvec r = rotated(x, 4);
  for (std::size_t i = 0; i < slots; ++i) want[i] += r[i];
  Ciphertext y = cx;
  e.evaluator->add_rotated_inplace(y, 4, gk);
  EXPECT_LT(max_error(e.decrypt(y), want), kTol);
}
