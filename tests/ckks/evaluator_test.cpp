// Every evaluator operation against the same computation on the plaintext slots.
#include <omp.h>

#include "ckks_fixture.hpp"
#include "util/error.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

namespace {

constexpr double kTol = 1e-5;

struct EvaluatorTest : ::testing::Test {
  Engine e{small_params(4, 2)};
  RelinKey rk = e.keygen->create_relin_key();
  std::size_t slots = e.ctx->n() / 2;
  cvec x = random_complex(slots, 11), y = random_complex(slots, 12);
  Ciphertext cx = e.encrypt(x), cy = e.encrypt(y);
};

cvec zip(const cvec& a, const cvec& b, std::complex<double> (*f)(std::complex<double>, std::complex<double>)) {
  cvec r(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) r[i] = f(a[i], b[i]);
  return r;
}
std::complex<double> plus(std::complex<double> a, std::complex<double> b) { return a + b; }
std::complex<double> minus(std::complex<double> a, std::complex<double> b) { return a - b; }
std::complex<double> times(std::complex<double> a, std::complex<double> b) { return a * b; }

}  // namespace

TEST_F(EvaluatorTest, AddSubNegate) {
  const Evaluator& ev = *e.evaluator;
  EXPECT_LT(max_error(e.decrypt(ev.add(cx, cy)), zip(x, y, plus)), kTol);
  EXPECT_LT(max_error(e.decrypt(ev.sub(cx, cy)), zip(x, y, minus)), kTol);
  cvec neg(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) neg[i] = -x[i];
  EXPECT_LT(max_error(e.decrypt(ev.negate(cx)), neg), kTol);
}

TEST_F(EvaluatorTest, PlainAndConstantOperands) {
  const Evaluator& ev = *e.evaluator;
  const Plaintext py = e.encoder->encode(y, cx.scale(), cx.level());
  EXPECT_LT(max_error(e.decrypt(ev.add_plain(cx, py)), zip(x, y, plus)), kTol);
  EXPECT_LT(max_error(e.decrypt(ev.sub_plain(cx, py)), zip(x, y, minus)), kTol);
  const std::complex<double> c(0.75, -1.25);
  cvec want(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = x[i] + c;
  EXPECT_LT(max_error(e.decrypt(ev.add_const(cx, c)), want), kTol);

  // ct * pt then rescale.
  const Ciphertext prod = ev.rescale(ev.multiply_plain(cx, py));
  EXPECT_EQ(prod.level(), cx.level() - 1);
  EXPECT_LT(max_error(e.decrypt(prod), zip(x, y, times)), kTol);
  // ct * complex constant at a chosen scale.
  const Ciphertext pc = ev.multiply_const(cx, c, std::ldexp(1.0, 30));
  EXPECT_DOUBLE_EQ(pc.scale(), cx.scale() * std::ldexp(1.0, 30));
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = x[i] * c;
  EXPECT_LT(max_error(e.decrypt(ev.rescale(pc)), want), kTol);
  // ct * exact integer: no scale growth.
  const Ciphertext pi = ev.multiply_integer(cx, -3);
  EXPECT_EQ(pi.scale(), cx.scale());
  for (std::size_t i = 0; i < x.size(); ++i) want[i] = -3.0 * x[i];
  EXPECT_LT(max_error(e.decrypt(pi), want), kTol);
}

TEST_F(EvaluatorTest, MultiplyRelinearizeRescale) {
  const Evaluator& ev = *e.evaluator;
  const Ciphertext three = ev.multiply(cx, cy);
  EXPECT_EQ(three.size(), 3u);
  EXPECT_LT(max_error(e.decrypt(three), zip(x, y, times)), kTol);  // decrypts with s^2 too
  const Ciphertext relin = ev.relinearize(three, rk);
  EXPECT_EQ(relin.size(), 2u);
  EXPECT_LT(max_error(e.decrypt(relin), zip(x, y, times)), kTol);
  const Ciphertext rescaled = ev.rescale(relin);
  EXPECT_EQ(rescaled.level(), cx.level() - 1);
  EXPECT_DOUBLE_EQ(rescaled.scale(), relin.scale() / static_cast<double>(e.ctx->modulus(cx.level()).value));
  EXPECT_LT(max_error(e.decrypt(rescaled), zip(x, y, times)), kTol);
}

TEST_F(EvaluatorTest, ChainOfMultiplicationsDownToTheLastLevel) {
  const Evaluator& ev = *e.evaluator;
  // x^(2^L) by repeated squaring with |x| <= 1, plus one product with y per level for variety.
  Ciphertext acc = cx;
  cvec want = x;
  while (acc.level() > 0) {
    Ciphertext yy = ev.drop_to_level(cy, acc.level());
    acc = ev.rescale(ev.multiply_relin(acc, yy, rk));
    want = zip(want, y, times);
  }
  EXPECT_EQ(acc.level(), 0u);
  EXPECT_LT(max_error(e.decrypt(acc), want), 1e-4);
  EXPECT_THROW(ev.rescale(acc), hepex::InvalidArgument);
}

TEST_F(EvaluatorTest, MismatchesAreRefused) {
  const Evaluator& ev = *e.evaluator;
  const Ciphertext low = ev.drop_to_level(cy, cy.level() - 1);
  EXPECT_THROW(ev.add(cx, low), hepex::MismatchError);
  EXPECT_THROW(ev.multiply(cx, low), hepex::MismatchError);
  Ciphertext scaled = cy;
  scaled.set_scale(cy.scale() * 1.001);
  EXPECT_THROW(ev.add(cx, scaled), hepex::MismatchError);
  const Plaintext p_low = e.encoder->encode(y, cx.scale(), 0);
  EXPECT_THROW(ev.add_plain(cx, p_low), hepex::MismatchError);
  const Plaintext p_scale = e.encoder->encode(y, cx.scale() * 2, cx.level());
  EXPECT_THROW(ev.add_plain(cx, p_scale), hepex::MismatchError);
  const Ciphertext sparse = e.encrypt(random_complex(8, 1), 8);
  EXPECT_THROW(ev.add(cx, sparse), hepex::MismatchError);
  Engine other(small_params(4, 1));
  EXPECT_THROW(ev.add(cx, other.encrypt(x)), hepex::MismatchError);
  EXPECT_THROW(ev.relinearize(ev.multiply(cx, cy), other.keygen->create_relin_key()), hepex::MismatchError);
  EXPECT_THROW(ev.multiply(ev.multiply(cx, cy), cx), hepex::InvalidArgument);
  // A plaintext above the ciphertext's level is fine (its upper primes are ignored).
  const Plaintext p_high = e.encoder->encode(y, cx.scale(), cx.level());
  EXPECT_LT(max_error(e.decrypt(ev.add_plain(low, p_high)), zip(y, y, plus)), kTol);
}

TEST_F(EvaluatorTest, SameResultWithOneAndTwoThreads) {
  const Evaluator& ev = *e.evaluator;
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    Ciphertext r = ev.rescale(ev.multiply_relin(cx, cy, rk));
    r = ev.add_const(r, 0.5);
    return r;
  };
  const int before = omp_get_max_threads();
  const Ciphertext one = run(1), two = run(2);
  omp_set_num_threads(before);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_EQ(one.poly(i), two.poly(i));
}

// The server side: only public material in scope (no SecretKey object exists in this function).
namespace {
Ciphertext server_side(std::shared_ptr<const CkksContext> ctx, const RelinKey& rk, const GaloisKeys& gk,
                       const Ciphertext& a, const Ciphertext& b) {
  Evaluator ev(std::move(ctx));
  Ciphertext r = ev.rescale(ev.multiply_relin(a, b, rk));
  return ev.add(r, ev.rotate(r, 1, gk));
}
}  // namespace

TEST_F(EvaluatorTest, WorksWithoutTheSecretKey) {
  const GaloisKeys gk = e.keygen->create_galois_keys(std::vector<long long>{1}, false);
  const Ciphertext r = server_side(e.ctx, rk, gk, cx, cy);
  const cvec xy = zip(x, y, times);
  EXPECT_LT(max_error(e.decrypt(r), zip(xy, rotated(xy, 1), plus)), kTol);
}
