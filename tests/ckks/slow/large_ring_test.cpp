// Real-size parameters (slow): SEAL's N = 2^15 set {60, 40 x 19} + {60} with one special prime, and the
// same data primes with dnum = 4 (several special primes). Multiply, rescale and rotate against plaintext.
#include "../ckks_fixture.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

class LargeRing : public ::testing::TestWithParam<std::size_t> {};

TEST_P(LargeRing, MultiplyRescaleRotate) {
  std::vector<int> bits{60};
  bits.insert(bits.end(), 19, 40);
  const std::size_t dnum = GetParam();
  const auto params = dnum == 20 ? CkksParameters::from_bit_sizes(32768, bits, {60}, dnum)
                                 : CkksParameters::create(32768, 60, 40, 19, dnum, SecurityLevel::kInsecureForTestsOnly);
  Engine e(params);
  const RelinKey rk = e.keygen->create_relin_key();
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1, -3}, true);
  const std::size_t slots = e.ctx->n() / 2;
  const cvec x = random_real(slots, 1), y = random_real(slots, 2);
  const Ciphertext cx = e.encrypt(x), cy = e.encrypt(y);
  cvec xy(slots);
  for (std::size_t i = 0; i < slots; ++i) xy[i] = x[i] * y[i];
  // Multi-prime digits (dnum = 4) currently lose about 4 bits against one-prime digits (the overflow
  // terms of fast base conversion are not centered yet): looser bounds for them.
  const double tol_mult = std::ldexp(1.0, dnum == 20 ? -20 : -16), tol_rot = std::ldexp(1.0, dnum == 20 ? -18 : -16);
  const Ciphertext prod = e.evaluator->rescale(e.evaluator->multiply_relin(cx, cy, rk));
  EXPECT_LT(max_error(e.decrypt(prod), xy), tol_mult);
  EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate(prod, 1, gk)), rotated(xy, 1)), tol_rot);
  EXPECT_LT(max_error(e.decrypt(e.evaluator->rotate(prod, -3, gk)), rotated(xy, -3)), tol_rot);
}

INSTANTIATE_TEST_SUITE_P(Dnum, LargeRing, ::testing::Values(20, 4));
