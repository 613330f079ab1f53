// Compact plaintexts (periodic slot vectors in 2p words per limb) against independent references: the
// encoder's sparse encoding through the full NTT (bit for bit), the full encoding of the repeated vector
// (within CKKS precision), and the products and sums of the expanded plaintext (bit for bit).
#include "ckks/compact_plaintext.hpp"

#include "ckks_fixture.hpp"
#include "util/error.hpp"

using namespace hepex::ckks;
using namespace hepex::ckks::testing;

namespace {

constexpr double kTol = 1e-4;

std::vector<double> real_parts(const cvec& v) {
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) r[i] = v[i].real();
  return r;
}

cvec repeated(const std::vector<double>& period, std::size_t slots) {
  cvec v(slots);
  for (std::size_t i = 0; i < slots; ++i) v[i] = period[i % period.size()];
  return v;
}

void expect_same(const Ciphertext& got, const Ciphertext& want) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(got.level(), want.level());
  EXPECT_EQ(got.scale(), want.scale());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.poly(i), want.poly(i)) << "polynomial " << i;
}

struct CompactPlaintextTest : ::testing::Test {
  Engine e{small_params(3, 2)};
  std::size_t slots = e.ctx->n() / 2;
  std::size_t top = e.ctx->max_level();
};

}  // namespace

TEST_F(CompactPlaintextTest, DirectEvaluationEqualsTheSparseEncodingsNttBitForBit) {
  for (std::size_t p : {1, 2, 8, 32, 256, 1024}) {
    SCOPED_TRACE(p);
    const auto period = real_parts(random_real(p, 10 + p, 3.0));
    const auto compact = CompactPlaintext::encode(*e.ctx, period, e.scale, top);
    const Plaintext sparse = e.encoder->encode(period, e.scale, top, p);  // NTT of the full polynomial
    const auto reference = CompactPlaintext::from_full(*e.ctx, sparse, p);  // checks the NTT is blockwise constant
    ASSERT_EQ(compact.words_per_limb(), 2 * p);
    for (std::size_t j = 0; j <= top; ++j)
      for (std::size_t b = 0; b < 2 * p; ++b) ASSERT_EQ(compact.values(j)[b], reference.values(j)[b]) << j << " " << b;
    EXPECT_EQ(compact.expand(*e.ctx).poly(), sparse.poly());
    EXPECT_EQ(compact.byte_size(), (top + 1) * 2 * p * sizeof(u64));
  }
}

TEST_F(CompactPlaintextTest, DecodesToTheRepeatedPeriod) {
  const auto period = real_parts(random_real(16, 3));
  const auto compact = CompactPlaintext::encode(*e.ctx, period, e.scale, top - 1);
  EXPECT_LT(max_error(e.encoder->decode(compact.expand(*e.ctx)), repeated(period, slots)), 1e-6);
}

TEST_F(CompactPlaintextTest, ANonRepeatingPlaintextIsRefused) {
  const Plaintext full = e.encoder->encode(random_real(slots, 4), e.scale, top);
  EXPECT_THROW(CompactPlaintext::from_full(*e.ctx, full, 64), hepex::InvalidArgument);
  EXPECT_THROW(CompactPlaintext::encode(*e.ctx, std::vector<double>(3, 1.0), e.scale, top), hepex::InvalidArgument);
}

TEST_F(CompactPlaintextTest, SlotPeriod) {
  EXPECT_EQ(slot_period(std::vector<double>{}, 16), 1u);
  EXPECT_EQ(slot_period(std::vector<double>{1, 2, 1, 2, 1, 2, 1, 2}, 8), 2u);
  EXPECT_EQ(slot_period(std::vector<double>{1, 2, 1, 2}, 8), 8u);  // zero padding breaks the period
  EXPECT_EQ(slot_period(std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0}, 8), 4u);
  EXPECT_EQ(slot_period(std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0}, 16), 16u);
  EXPECT_EQ(slot_period(std::vector<double>{1, 2, 3}, 4), 4u);
}

TEST_F(CompactPlaintextTest, ProductsAndSumsEqualTheExpandedPlaintextBitForBit) {
  const Evaluator& ev = *e.evaluator;
  std::vector<cvec> xs;
  std::vector<Ciphertext> cts;
  std::vector<CompactPlaintext> compact;
  std::vector<Plaintext> full;
  std::vector<std::vector<double>> periods;
  constexpr std::size_t kTerms = 7;
  for (std::size_t k = 0; k < kTerms; ++k) {
    xs.push_back(random_real(slots, 100 + k));
    cts.push_back(e.encrypt(xs.back()));
    periods.push_back(real_parts(random_real(32, 200 + k, 0.5)));
    compact.push_back(CompactPlaintext::encode(*e.ctx, periods.back(), e.scale, top));
    full.push_back(compact.back().expand(*e.ctx));
  }
  // One product, in place and out of place.
  expect_same(ev.multiply_plain(cts[0], compact[0]), ev.multiply_plain(cts[0], full[0]));
  Ciphertext low = cts[1];
  low.drop_to_level(1);
  Ciphertext in_place = low;
  ev.multiply_plain_inplace(in_place, compact[1]);
  expect_same(in_place, ev.multiply_plain(low, full[1]));

  // A fused sum of seven terms and a one-term sum.
  std::vector<ProductSum> sums(2), reference(2);
  for (std::size_t k = 0; k < kTerms; ++k) {
    sums[0].cts.push_back(&cts[k]), sums[0].compact.push_back(&compact[k]);
    reference[0].cts.push_back(&cts[k]), reference[0].pts.push_back(&full[k]);
  }
  sums[1].cts = reference[1].cts = {&cts[2]};
  sums[1].compact = {&compact[3]}, reference[1].pts = {&full[3]};
  const auto got = ev.multiply_plain_sums(sums), want = ev.multiply_plain_sums(reference);
  for (std::size_t s = 0; s < 2; ++s) expect_same(got[s], want[s]);
  cvec expected(slots, 0.0);
  for (std::size_t k = 0; k < kTerms; ++k)
    for (std::size_t i = 0; i < slots; ++i) expected[i] += xs[k][i] * periods[k][i % 32];
  EXPECT_LT(max_error(e.decrypt(got[0]), expected), kTol);

  // Bias-style addition at the ciphertext's scale.
  const auto bias = CompactPlaintext::encode(*e.ctx, periods[0], cts[0].scale(), top);
  Ciphertext added = cts[0], added_full = cts[0];
  ev.add_plain_inplace(added, bias);
  ev.add_plain_inplace(added_full, bias.expand(*e.ctx));
  expect_same(added, added_full);
}

TEST_F(CompactPlaintextTest, MismatchesAreRefused) {
  const Ciphertext ct = e.encrypt(random_real(slots, 1));
  const auto low = CompactPlaintext::encode(*e.ctx, std::vector<double>(8, 0.5), e.scale, top - 1);
  Ciphertext x = ct;
  EXPECT_THROW(e.evaluator->multiply_plain_inplace(x, low), hepex::MismatchError);  // below the ciphertext
  const auto other_scale = CompactPlaintext::encode(*e.ctx, std::vector<double>(8, 0.5), e.scale * 4, top);
  EXPECT_THROW(e.evaluator->add_plain_inplace(x, other_scale), hepex::MismatchError);
  const auto a = CompactPlaintext::encode(*e.ctx, std::vector<double>(8, 0.5), e.scale, top);
  const auto b = CompactPlaintext::encode(*e.ctx, std::vector<double>(16, 0.5), e.scale, top);
  std::vector<ProductSum> sums(1);
  sums[0].cts = {&ct, &ct}, sums[0].compact = {&a, &b};
  EXPECT_THROW(e.evaluator->multiply_plain_sums(sums), hepex::MismatchError);  // periods differ in one sum
}
