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
