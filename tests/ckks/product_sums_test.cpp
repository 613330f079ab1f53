// The fused layer kernel (Evaluator::multiply_plain_sums) and the destination / accumulate forms of
// multiply_plain against the per-product path (multiply_plain, add_inplace) bit for bit, and against the
// plaintext slots within CKKS precision.
#include <omp.h>

#include "ckks_fixture.hpp"
#include "util/error.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

namespace {

constexpr double kTol = 1e-4;

struct ProductSumsTest : ::testing::Test {
  Engine e{small_params(3, 2)};
  std::size_t slots = e.ctx->n() / 2;
  std::vector<cvec> xs, ws;
  std::vector<Ciphertext> cts;
  std::vector<Plaintext> pts;

  // `inputs` ciphertexts at the top level; `weights` plaintexts, at the top level or one above the
  // ciphertexts (their upper prime ignored) when `low_ciphertexts`.
  void make(std::size_t inputs, std::size_t weights, bool low_ciphertexts = false) {
    const std::size_t top = e.ctx->max_level();
    for (std::size_t i = 0; i < inputs; ++i) {
      xs.push_back(random_real(slots, 100 + i));
      cts.push_back(e.encrypt(xs.back()));
      if (low_ciphertexts) cts.back().drop_to_level(top - 1);
    }
    for (std::size_t k = 0; k < weights; ++k) {
      ws.push_back(random_real(slots, 200 + k, 0.5));
      pts.push_back(e.encoder->encode(ws.back(), e.scale, top));
    }
  }

  // The per-product path: the first product, then every other added to it.
  Ciphertext per_product(const ProductSum& sum) const {
    Ciphertext acc = e.evaluator->multiply_plain(*sum.cts[0], *sum.pts[0]);
    for (std::size_t k = 1; k < sum.cts.size(); ++k)
      e.evaluator->add_inplace(acc, e.evaluator->multiply_plain(*sum.cts[k], *sum.pts[k]));
    return acc;
  }

  cvec expected(const ProductSum& sum) const {
    cvec want(slots, 0.0);
    for (std::size_t k = 0; k < sum.cts.size(); ++k) {
      const auto i = static_cast<std::size_t>(sum.cts[k] - cts.data());
      const auto j = static_cast<std::size_t>(sum.pts[k] - pts.data());
      for (std::size_t s = 0; s < slots; ++s) want[s] += xs[i][s] * ws[j][s];
    }
    return want;
  }
};

void expect_same(const Ciphertext& got, const Ciphertext& want) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(got.level(), want.level());
  EXPECT_EQ(got.scale(), want.scale());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.poly(i), want.poly(i)) << "polynomial " << i;
}

}  // namespace

TEST_F(ProductSumsTest, EqualThePerProductPathBitForBit) {
  // Sums of different lengths over shared inputs (as a layer's outputs share its input tiles), one empty.
  make(5, 12);
  std::vector<ProductSum> sums(4);
  for (std::size_t k = 0; k < 5; ++k) sums[0].cts.push_back(&cts[k]), sums[0].pts.push_back(&pts[k]);
  sums[1].cts = {&cts[3]}, sums[1].pts = {&pts[5]};
  for (std::size_t k : {4, 0, 2}) sums[3].cts.push_back(&cts[k]), sums[3].pts.push_back(&pts[6 + k]);
  const auto got = e.evaluator->multiply_plain_sums(sums);
  ASSERT_EQ(got.size(), sums.size());
  EXPECT_TRUE(got[2].empty());
  for (std::size_t s : {0, 1, 3}) {
    SCOPED_TRACE(s);
    expect_same(got[s], per_product(sums[s]));
    EXPECT_LT(max_error(e.decrypt(got[s]), expected(sums[s])), kTol);
  }
}

TEST_F(ProductSumsTest, PlaintextsAboveTheCiphertextLevelAndAnyThreadCount) {
  make(3, 3, /*low_ciphertexts=*/true);
  std::vector<ProductSum> sums(1);
  for (std::size_t k = 0; k < 3; ++k) sums[0].cts.push_back(&cts[k]), sums[0].pts.push_back(&pts[k]);
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = e.evaluator->multiply_plain_sums(sums);
  omp_set_num_threads(2);
  const auto two = e.evaluator->multiply_plain_sums(sums);
  omp_set_num_threads(before);
  expect_same(one[0], two[0]);
  expect_same(one[0], per_product(sums[0]));
  EXPECT_EQ(one[0].level(), e.ctx->max_level() - 1);
  EXPECT_LT(max_error(e.decrypt(one[0]), expected(sums[0])), kTol);
}

TEST_F(ProductSumsTest, MismatchedTermsAreRefused) {
  make(2, 2);
  Ciphertext low = cts[1];
  low.drop_to_level(1);
  std::vector<ProductSum> sums(1);
  sums[0].cts = {&cts[0], &low}, sums[0].pts = {&pts[0], &pts[1]};
  EXPECT_THROW(e.evaluator->multiply_plain_sums(sums), hepex::MismatchError);
  Plaintext other_scale = e.encoder->encode(ws[1], e.scale * 2, e.ctx->max_level());
  sums[0].cts = {&cts[0], &cts[1]}, sums[0].pts = {&pts[0], &other_scale};
  EXPECT_THROW(e.evaluator->multiply_plain_sums(sums), hepex::MismatchError);
  sums[0].pts = {&pts[0]};
  EXPECT_THROW(e.evaluator->multiply_plain_sums(sums), hepex::InvalidArgument);
}

TEST_F(ProductSumsTest, DestinationAndAccumulateFormsEqualOutOfPlace) {
  make(2, 2);
  const Evaluator& ev = *e.evaluator;
  const Ciphertext want = ev.multiply_plain(cts[0], pts[0]);
  // A destination of the same shape (buffers reused), one with more limbs, one of another size, and none.
  Ciphertext same = cts[1], higher = cts[1], three_parts = ev.multiply(cts[0], cts[1]), none;
  Ciphertext low = cts[0];
  low.drop_to_level(1);
  const Ciphertext want_low = ev.multiply_plain(low, pts[0]);
  const u64* kept = same.poly(0).data();
  ev.multiply_plain(cts[0], pts[0], same);
  expect_same(same, want);
  EXPECT_EQ(same.poly(0).data(), kept);
  ev.multiply_plain(low, pts[0], higher);
  expect_same(higher, want_low);
  ev.multiply_plain(cts[0], pts[0], three_parts);
  expect_same(three_parts, want);
  ev.multiply_plain(cts[0], pts[0], none);
  expect_same(none, want);
  Ciphertext self = cts[0];
  ev.multiply_plain(self, pts[0], self);
  expect_same(self, want);

  Ciphertext acc = ev.multiply_plain(cts[1], pts[1]);
  ev.multiply_plain_accumulate(cts[0], pts[0], acc);
  expect_same(acc, ev.add(ev.multiply_plain(cts[1], pts[1]), want));
  Ciphertext wrong_scale = cts[1];
  EXPECT_THROW(ev.multiply_plain_accumulate(cts[0], pts[0], wrong_scale), hepex::MismatchError);
}
