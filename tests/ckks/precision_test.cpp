// Precision at N = 2^14, scale 2^40, inputs uniform in [-1, 1] (bits = -log2(max abs error)).
// SEAL 4.4 reaches about 26.0 / 25.4 / 22.0 bits for fresh / after multiply / after a rotation.
#include "ckks_fixture.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

TEST(Precision, N16384Scale2To40) {
  // SEAL's set: {60, 40 x 6} + special {60}, one special prime (dnum = 7).
  Engine e(CkksParameters::from_bit_sizes(16384, {60, 40, 40, 40, 40, 40, 40}, {60}, 7));
  const std::size_t slots = e.ctx->n() / 2;
  const cvec x = random_real(slots, 31), y = random_real(slots, 32);
  const Ciphertext cx = e.encrypt(x), cy = e.encrypt(y);
  auto bits = [](double err) { return -std::log2(err); };

  const double fresh = bits(max_error(e.decrypt(cx), x));
  const RelinKey rk = e.keygen->create_relin_key();
  const Ciphertext prod = e.evaluator->rescale(e.evaluator->multiply_relin(cx, cy, rk));
  cvec xy(slots);
  for (std::size_t i = 0; i < slots; ++i) xy[i] = x[i] * y[i];
  const double mult = bits(max_error(e.decrypt(prod), xy));
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1}, false);
  const double rot = bits(max_error(e.decrypt(e.evaluator->rotate(cx, 1, gk)), rotated(x, 1)));
  std::printf("precision bits: fresh %.1f, multiply %.1f, rotation %.1f\n", fresh, mult, rot);
  EXPECT_GE(fresh, 25.0);
  EXPECT_GE(mult, 24.0);
  EXPECT_GE(rot, 21.0);
}

// The same with digits of three primes and three special primes (fast base conversions in ModUp and
// ModDown). Their overflow e >= 0 is a bias in every coefficient when not removed, and a bias sums over the
// ring into the slots whose roots lie near +-1: fresh encryptions lost 7 bits there (4.7e-6 against 3e-8).
TEST(Precision, SeveralSpecialPrimesAddNoBias) {
  Engine e(CkksParameters::from_bit_sizes(16384, {60, 40, 40, 40, 40, 40, 40}, {50, 50, 50}, 3,
                                          SecurityLevel::kInsecureForTestsOnly));  // log QP 450 > 438
  ASSERT_EQ(e.ctx->params().dnum(), 3u);
  const std::size_t slots = e.ctx->n() / 2;
  const cvec x = random_real(slots, 31), y = random_real(slots, 32);
  const Ciphertext cx = e.encrypt(x), cy = e.encrypt(y);
  auto bits = [](double err) { return -std::log2(err); };
  const RelinKey rk = e.keygen->create_relin_key();
  cvec xy(slots);
  for (std::size_t i = 0; i < slots; ++i) xy[i] = x[i] * y[i];
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1}, false);
  const double fresh = bits(max_error(e.decrypt(cx), x));
  const double mult = bits(max_error(e.decrypt(e.evaluator->rescale(e.evaluator->multiply_relin(cx, cy, rk))), xy));
  // Below the top level the digits are partial (the last one loses primes first).
  const Ciphertext low = e.evaluator->drop_to_level(cx, 4);
  const double rot = bits(max_error(e.decrypt(e.evaluator->rotate(cx, 1, gk)), rotated(x, 1)));
  const double rot_low = bits(max_error(e.decrypt(e.evaluator->rotate(low, 1, gk)), rotated(x, 1)));
  std::printf("precision bits, dnum 3, K = 3: fresh %.1f, multiply %.1f, rotation %.1f / %.1f (level 4)\n", fresh, mult,
              rot, rot_low);
  EXPECT_GE(fresh, 25.0);
  EXPECT_GE(mult, 24.0);
  EXPECT_GE(rot, 21.0);
  EXPECT_GE(rot_low, 21.0);
}
