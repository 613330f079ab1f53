// SimBackend against plain loops: slot semantics, CKKS level/scale rules, exact op and byte accounting.
#include "backend/sim_backend.hpp"
#include "backend/counting_backend.hpp"
#include "util/csprng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace hepex::backend;

namespace {

constexpr std::size_t kN = 64;  // 32 slots

SimParams small_params() { return SimParams::from_bits(kN, {50, 30, 30, 30}, 30); }

std::vector<double> random_values(hepex::Csprng& rng, std::size_t n) {
  std::vector<double> v(n);
  for (auto& x : v) x = 2 * rng.next_double() - 1;
  return v;
}

struct Fixture : ::testing::Test {
  SimBackend sim{small_params()};
  hepex::Csprng rng{hepex::seed_from_u64(11)};
  const std::size_t slots = sim.slot_count();
  const int top = sim.max_level();
  const double s = sim.default_scale();

  Ciphertext encrypt(const std::vector<double>& v, int level = -1) {
    return sim.encrypt(sim.encode(v, level < 0 ? top : level, s));
  }
};

}  // namespace

TEST_F(Fixture, ParametersFollowTheDescription) {
  EXPECT_EQ(slots, kN / 2);
  EXPECT_EQ(top, 3);
  EXPECT_EQ(sim.modulus_at(0), std::ldexp(1.0, 50));
  EXPECT_EQ(sim.modulus_at(3), std::ldexp(1.0, 30));
  EXPECT_THROW(sim.modulus_at(4), hepex::InvalidArgument);
  EXPECT_THROW(SimParams::from_bits(48, {30}, 20), hepex::InvalidArgument);  // not a power of two
}

TEST_F(Fixture, ArithmeticMatchesPlainLoops) {
  const auto a = random_values(rng, slots), b = random_values(rng, slots);
  const auto ca = encrypt(a), cb = encrypt(b);
  const auto pb = sim.encode(b, top, s);
  const auto sum = sim.decrypt(sim.add(ca, cb)), diff = sim.decrypt(sim.sub(ca, cb));
  const auto sum_p = sim.decrypt(sim.add_plain(ca, pb)), diff_p = sim.decrypt(sim.sub_plain(ca, pb));
  const auto prod = sim.decrypt(sim.relinearize(sim.multiply(ca, cb)));
  const auto prod_p = sim.decrypt(sim.multiply_plain(ca, pb));
  const auto sq = sim.decrypt(sim.square(ca));
  for (std::size_t i = 0; i < slots; ++i) {
    EXPECT_DOUBLE_EQ(sum[i], a[i] + b[i]);
    EXPECT_DOUBLE_EQ(diff[i], a[i] - b[i]);
    EXPECT_DOUBLE_EQ(sum_p[i], a[i] + b[i]);
    EXPECT_DOUBLE_EQ(diff_p[i], a[i] - b[i]);
    EXPECT_DOUBLE_EQ(prod[i], a[i] * b[i]);
    EXPECT_DOUBLE_EQ(prod_p[i], a[i] * b[i]);
    EXPECT_DOUBLE_EQ(sq[i], a[i] * a[i]);
  }
}

TEST_F(Fixture, MultiplyConstRoundsTheConstantLikeCkks) {
  const auto a = random_values(rng, slots);
  const double c = 0.3, const_scale = 16;  // 0.3 * 16 = 4.8 -> 5: the constant becomes 5/16
  const auto r = sim.decrypt(sim.multiply_const(encrypt(a), c, const_scale));
  for (std::size_t i = 0; i < slots; ++i) EXPECT_DOUBLE_EQ(r[i], a[i] * 5.0 / 16.0);
  EXPECT_DOUBLE_EQ(sim.scale(sim.multiply_const(encrypt(a), c, const_scale)), s * const_scale);
}

TEST_F(Fixture, RotationIsLeftCyclic) {
  const auto a = random_values(rng, slots);
  const auto ca = encrypt(a);
  for (int step : {1, 3, -1, -5, 31, 33, 0}) {
    const auto r = sim.decrypt(sim.rotate(ca, step));
    for (std::size_t i = 0; i < slots; ++i) {
      const auto src = static_cast<std::size_t>(((static_cast<long>(i) + step) % 32 + 32) % 32);
      ASSERT_DOUBLE_EQ(r[i], a[src]) << "step " << step << " slot " << i;
    }
  }
  const std::vector<int> steps{1, 2, -4, 0, 7};
  const auto many = sim.rotate_many(ca, steps);
  ASSERT_EQ(many.size(), steps.size());
  for (std::size_t k = 0; k < steps.size(); ++k) EXPECT_EQ(sim.decrypt(many[k]), sim.decrypt(sim.rotate(ca, steps[k])));
}

TEST_F(Fixture, RescaleDividesByTheDroppedPrimeAndLowersTheLevel) {
  const auto ca = encrypt(random_values(rng, slots));
  const auto p = sim.multiply_plain(ca, sim.encode(random_values(rng, slots), top, s));
  EXPECT_DOUBLE_EQ(sim.scale(p), s * s);
  const auto r = sim.rescale(p);
  EXPECT_EQ(sim.level(r), top - 1);
  EXPECT_DOUBLE_EQ(sim.scale(r), s * s / sim.modulus_at(top));
  // Down to level 0, then nothing is left to divide by.
  auto c = ca;
  for (int l = top; l > 0; --l) c = sim.rescale(c);
  EXPECT_EQ(sim.level(c), 0);
  EXPECT_THROW(sim.rescale(c), hepex::InvalidArgument);
  EXPECT_THROW(sim.drop_to_level(ca, -1), hepex::InvalidArgument);
  EXPECT_THROW(sim.drop_to_level(c, 1), hepex::InvalidArgument);  // cannot go up
  EXPECT_EQ(sim.level(sim.drop_to_level(ca, 1)), 1);
  EXPECT_DOUBLE_EQ(sim.scale(sim.drop_to_level(ca, 1)), s);
}

TEST_F(Fixture, RefusesLevelAndScaleMismatches) {
  const auto v = random_values(rng, slots);
  const auto a = encrypt(v), low = encrypt(v, top - 1);
  EXPECT_THROW(sim.add(a, low), hepex::MismatchError);
  EXPECT_THROW(sim.sub(a, low), hepex::MismatchError);
  EXPECT_THROW(sim.multiply(a, low), hepex::MismatchError);
  EXPECT_THROW(sim.multiply_plain(a, sim.encode(v, top - 1, s)), hepex::MismatchError);  // plaintext below
  EXPECT_THROW(sim.add_plain(a, sim.encode(v, top - 1, s)), hepex::MismatchError);
  EXPECT_EQ(sim.level(sim.multiply_plain(low, sim.encode(v, top, s))), top - 1);  // above: upper primes ignored
  EXPECT_EQ(sim.level(sim.add_plain(low, sim.encode(v, top, s))), top - 1);
  const auto other_scale = sim.encrypt(sim.encode(v, top, 2 * s));
  EXPECT_THROW(sim.add(a, other_scale), hepex::MismatchError);
  EXPECT_THROW(sim.add_plain(a, sim.encode(v, top, 2 * s)), hepex::MismatchError);
  // Same level after a rescale by a prime != scale: scale differs, as in CKKS.
  const auto rescaled = sim.rescale(sim.multiply_const(a, 1.0, 1 << 20));
  EXPECT_THROW(sim.add(rescaled, encrypt(v, top - 1)), hepex::MismatchError);
  // A product whose scale no longer fits below the modulus.
  EXPECT_THROW(sim.multiply(encrypt(v, 0), encrypt(v, 0)), hepex::InvalidArgument);
  // 3-part ciphertexts must be relinearized before multiply/rotate.
  const auto three = sim.multiply(a, a);
  EXPECT_EQ(sim.size(three), 3);
  EXPECT_THROW(sim.multiply(three, a), hepex::InvalidArgument);
  EXPECT_THROW(sim.rotate(three, 1), hepex::InvalidArgument);
  EXPECT_EQ(sim.size(sim.relinearize(three)), 2);
  EXPECT_THROW(sim.encode(std::vector<double>(slots + 1), top, s), hepex::InvalidArgument);
  EXPECT_THROW(sim.add(a, Ciphertext{}), hepex::InvalidArgument);
}

TEST_F(Fixture, CountsEveryOperationExactly) {
  const auto v = random_values(rng, slots);
  const auto pt = sim.encode(v, top, s);  // encode 1
  const auto a = sim.encrypt(pt);         // encrypt 1
  const auto b = sim.add(a, a);           // add 1
  const auto c = sim.multiply_plain(b, pt);                         // multiply_plain 1
  const auto d = sim.relinearize(sim.multiply(a, b));               // multiply 1, relin 1 (key switch)
  const auto e = sim.relinearize(sim.square(a));                    // square 1, relin 2
  (void)sim.relinearize(e);                                         // already linear: nothing
  (void)sim.rescale(c);                                             // rescale 1
  (void)sim.rotate(a, 3);                                           // rotation 1
  (void)sim.rotate(a, 32);                                          // step 0 mod slots: free
  const std::vector<int> steps{1, 2, 0, 4};
  (void)sim.rotate_many(a, steps);                                  // hoisted 1, rotations 3, one decomposition
  (void)sim.drop_to_level(d, 1);                                    // drop 1
  (void)sim.decrypt(d);                                             // decrypt 1
  const auto n = sim.counts();
  EXPECT_EQ(n[Op::kEncode], 1u);
  EXPECT_EQ(n[Op::kEncrypt], 1u);
  EXPECT_EQ(n[Op::kAdd], 1u);
  EXPECT_EQ(n[Op::kMultiplyPlain], 1u);
  EXPECT_EQ(n[Op::kMultiply], 1u);
  EXPECT_EQ(n[Op::kSquare], 1u);
  EXPECT_EQ(n[Op::kRelinearize], 2u);
  EXPECT_EQ(n[Op::kRescale], 1u);
  EXPECT_EQ(n[Op::kRotate], 4u);
  EXPECT_EQ(n[Op::kHoistedRotate], 1u);
  EXPECT_EQ(n[Op::kKeySwitch], 2u + 4u);
  EXPECT_EQ(n[Op::kDecompose], 2u + 1u + 1u);
  EXPECT_EQ(n[Op::kDropLevel], 1u);
  EXPECT_EQ(n[Op::kDecrypt], 1u);
  EXPECT_EQ(n[Op::kSub], 0u);
  EXPECT_EQ(sim.rotation_steps(), (std::set<int>{1, 2, 3, 4}));
  sim.reset_counts();
  EXPECT_EQ(sim.counts(), OpCounts{});
}

TEST_F(Fixture, CountingBackendCountsLikeTheSimulator) {
  CountingBackend counting(sim);
  const auto v = random_values(rng, slots);
  const auto a = counting.encrypt(counting.encode(v, top, s));
  const std::vector<int> steps{5, -5, 0};
  (void)counting.rotate_many(counting.rescale(counting.relinearize(counting.square(a))), steps);
  (void)counting.rotate(a, -1);
  EXPECT_THROW(counting.add(a, counting.rescale(a)), hepex::MismatchError);  // refused: not counted
  EXPECT_EQ(counting.counts(), sim.counts());
  EXPECT_EQ(counting.rotation_steps(), (std::set<int>{5, 27, 31}));
}

TEST_F(Fixture, BytesAreThoseOfRnsCkks) {
  const std::int64_t limb = kN * 8;
  EXPECT_EQ(sim.live_ciphertext_bytes(), 0);
  {
    const auto v = random_values(rng, slots);
    const auto pt = sim.encode(v, 2, s);
    EXPECT_EQ(sim.byte_size(pt), 3 * limb);
    EXPECT_EQ(sim.live_plaintext_bytes(), 3 * limb);
    const auto a = sim.encrypt(pt);
    EXPECT_EQ(sim.byte_size(a), 2 * 3 * limb);
    const auto three = sim.multiply(a, a);
    EXPECT_EQ(sim.byte_size(three), 3 * 3 * limb);
    const auto low = sim.rescale(sim.relinearize(three));
    EXPECT_EQ(sim.byte_size(low), 2 * 2 * limb);
    // pt + a + three + low (the relinearized intermediate is gone).
    EXPECT_EQ(sim.live_ciphertext_bytes(), (6 + 9 + 4) * limb);
    EXPECT_EQ(sim.peak_bytes(), (3 + 6 + 9 + 6 + 4) * limb);  // before the relinearized one died
  }
  EXPECT_EQ(sim.live_ciphertext_bytes(), 0);
  EXPECT_EQ(sim.live_plaintext_bytes(), 0);
  sim.reset_peak_bytes();
  EXPECT_EQ(sim.peak_bytes(), 0);
  const auto p = small_params();
  EXPECT_EQ(p.poly_bytes(3, 2), std::size_t(2 * 4 * kN * 8));
  EXPECT_EQ(p.key_switch_key_bytes(), std::size_t(4 * 2 * 5 * kN * 8));  // dnum 4 digits over 5 limbs
}

TEST(SimNoise, OffIsExactOnIsGaussianAndSeeded) {
  const auto params = SimParams::from_bits(1 << 12, {60, 40}, 40);
  const double sigma = 1e-3;
  SimOptions opt;
  opt.noise_stddev = sigma;
  opt.noise_seed = hepex::seed_from_u64(5);
  SimBackend noisy(params, opt), same(params, opt), exact(params);
  const std::vector<double> zeros(noisy.slot_count(), 0.0);
  const auto y = noisy.decrypt(noisy.encrypt(noisy.encode(zeros, 1, noisy.default_scale())));
  const auto y2 = same.decrypt(same.encrypt(same.encode(zeros, 1, same.default_scale())));
  EXPECT_EQ(y, y2);
  double mean = 0, var = 0;
  for (double v : y) mean += v;
  mean /= double(y.size());
  for (double v : y) var += (v - mean) * (v - mean);
  var /= double(y.size() - 1);
  EXPECT_NEAR(mean, 0, 5 * sigma / std::sqrt(double(y.size())));
  EXPECT_NEAR(std::sqrt(var), sigma, 0.1 * sigma);
  EXPECT_EQ(exact.decrypt(exact.encrypt(exact.encode(zeros, 1, exact.default_scale()))), zeros);
}
