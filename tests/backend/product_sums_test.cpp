// Backend::multiply_plain_sums (the fused layer kernel) against its per-tile path (multiply_plain of the
// first pair, then add of each further product), with absent tiles, on the CKKS backend (bit for bit) and
// on the simulator (exactly), counted alike through CountingBackend; and the in-place forms against the
// out-of-place operations (add_rotated_inplace against add of the rotation), including the copy-on-write
// rule (a shared handle is never changed).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "backend/ckks_backend.hpp"
#include "backend/counting_backend.hpp"
#include "backend/sim_backend.hpp"
#include "ckks/keygen.hpp"
#include "util/csprng.hpp"

using namespace hepex;
using namespace hepex::backend;

namespace {

constexpr double kTolerance = 1e-5;

std::shared_ptr<const ckks::CkksContext> context() {
  static const auto ctx = ckks::CkksContext::create(
      ckks::CkksParameters::create(4096, 50, 40, 3, 2, ckks::SecurityLevel::kInsecureForTestsOnly));
  return ctx;
}

CkksBackend& ckks_backend() {
  static ckks::KeyGenerator keygen(context(), seed_from_u64(73));
  static CkksBackend be(context(), {std::make_shared<const ckks::SecretKey>(keygen.secret_key()), nullptr, nullptr,
                                    std::make_shared<const ckks::GaloisKeys>(
                                        keygen.create_galois_keys(std::vector<long long>{1, -1, 4}, false))});
  return be;
}

std::vector<double> random_values(Csprng& rng, std::size_t count, double bound) {
  std::vector<double> v(count);
  for (auto& x : v) x = bound * (2 * rng.next_double() - 1);
  return v;
}

// Three outputs of five terms over shared inputs: output 0 dense, output 1 with absent ciphertexts and
// plaintexts, output 2 with no present pair. Plaintexts one level above the ciphertexts.
struct Layer {
  std::vector<Ciphertext> cts;
  std::vector<Plaintext> pts;
  std::vector<std::vector<double>> x, w;
  static constexpr std::size_t kTerms = 5, kOutputs = 3;

  explicit Layer(const Backend& be) {
    Csprng rng(seed_from_u64(74));
    const std::size_t slots = be.slot_count();
    const int level = be.max_level() - 1;
    std::vector<Ciphertext> inputs;
    for (std::size_t k = 0; k < kTerms; ++k) {
      x.push_back(random_values(rng, slots, 1.0));
      inputs.push_back(be.drop_to_level(be.encrypt(be.encode(x.back(), be.max_level(), be.default_scale())), level));
    }
    for (std::size_t j = 0; j < kOutputs; ++j)
      for (std::size_t k = 0; k < kTerms; ++k) {
        const bool absent_ct = j == 2 || (j == 1 && k == 0), absent_pt = j == 2 ? k % 2 == 0 : j == 1 && k >= 3;
        cts.push_back(absent_ct ? Ciphertext{} : inputs[k]);
        w.push_back(random_values(rng, slots, 0.5));
        pts.push_back(absent_pt ? Plaintext{} : be.encode(w.back(), level + 1, be.default_scale()));
      }
  }

  // The per-tile path.
  std::vector<Ciphertext> per_tile(const Backend& be) const {
    std::vector<Ciphertext> out(kOutputs);
    for (std::size_t i = 0; i < cts.size(); ++i) {
      if (cts[i].empty() || pts[i].empty()) continue;
      Ciphertext product = be.multiply_plain(cts[i], pts[i]);
      Ciphertext& acc = out[i / kTerms];
      acc = acc.empty() ? product : be.add(acc, product);
    }
    return out;
  }

  // Output j in the clear.
  std::vector<double> expected(std::size_t j) const {
    std::vector<double> y(x[0].size(), 0.0);
    for (std::size_t i = j * kTerms; i < (j + 1) * kTerms; ++i)
      if (!cts[i].empty() && !pts[i].empty())
        for (std::size_t s = 0; s < y.size(); ++s) y[s] += x[i % kTerms][s] * w[i][s];
    return y;
  }
};

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double e = 0;
  for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, std::abs(a[i] - b[i]));
  return e;
}

}  // namespace

TEST(ProductSums, CkksEqualsThePerTilePathBitForBitWithAbsentTiles) {
  const CkksBackend& be = ckks_backend();
  const Layer layer(be);
  CountingBackend fused_counts(be), per_tile_counts(be);
  const auto fused = fused_counts.multiply_plain_sums(layer.cts, layer.pts, Layer::kTerms);
  const auto want = layer.per_tile(per_tile_counts);
  ASSERT_EQ(fused.size(), Layer::kOutputs);
  EXPECT_EQ(fused_counts.counts(), per_tile_counts.counts()) << fused_counts.counts().to_string();
  EXPECT_EQ(fused_counts.counts()[Op::kMultiplyPlain], 5u + 2u);
  EXPECT_TRUE(fused[2].empty());
  for (std::size_t j = 0; j < 2; ++j) {
    SCOPED_TRACE(j);
    const ckks::Ciphertext &got = be.unwrap(fused[j]), &ref = be.unwrap(want[j]);
    ASSERT_EQ(got.size(), ref.size());
    EXPECT_EQ(got.level(), ref.level());
    EXPECT_EQ(got.scale(), ref.scale());
    for (std::size_t p = 0; p < got.size(); ++p) EXPECT_EQ(got.poly(p), ref.poly(p));
    EXPECT_LT(max_abs_diff(be.decrypt(fused[j]), layer.expected(j)), kTolerance);
  }
}

TEST(ProductSums, SimulatorEqualsThePerTilePathExactlyWithAbsentTiles) {
  const SimBackend sim(sim_params_for(context()->params()));
  const Layer layer(sim);
  CountingBackend fused_counts(sim), per_tile_counts(sim);
  const auto fused = fused_counts.multiply_plain_sums(layer.cts, layer.pts, Layer::kTerms);
  const auto want = layer.per_tile(per_tile_counts);
  EXPECT_EQ(fused_counts.counts(), per_tile_counts.counts());
  EXPECT_TRUE(fused[2].empty());
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_EQ(sim.peek(fused[j]), sim.peek(want[j]));
    EXPECT_EQ(sim.level(fused[j]), sim.level(want[j]));
    EXPECT_EQ(sim.scale(fused[j]), sim.scale(want[j]));
    EXPECT_LT(max_abs_diff(sim.peek(fused[j]), layer.expected(j)), 1e-12);
  }
}

// Running sums (a layer summed in parts): add_plain_product_sums equals multiply_plain_sums followed by
// add_inplace, bit for bit and in counts, on both backends; on CKKS a running sum held by one handle is
// updated where it is, a shared one is left as it was (copy on write), and an empty one takes the sum.
TEST(ProductSums, AddedIntoRunningSumsEqualsTheSumsThenAdd) {
  const SimBackend sim(sim_params_for(context()->params()));
  for (const Backend* be : {static_cast<const Backend*>(&ckks_backend()), static_cast<const Backend*>(&sim)}) {
    const bool ckks = be == &ckks_backend();
    SCOPED_TRACE(ckks ? "ckks" : "sim");
    const Layer layer(*be);
    // Running sums: output 0 a fresh sole handle, 1 empty, 2 shared with `kept` (its pairs are all absent:
    // it stays as it is either way).
    const auto first = be->multiply_plain_sums(layer.cts, layer.pts, Layer::kTerms);
    const Ciphertext kept = first[0];
    auto running = [&] { return std::vector<Ciphertext>{be->multiply_plain(layer.cts[1], layer.pts[1]), {}, kept}; };
    std::vector<Ciphertext> got = running(), want = running();
    const ckks::Ciphertext* object = ckks ? &static_cast<const CkksBackend*>(be)->unwrap(got[0]) : nullptr;
    CountingBackend into_counts(*be), then_add_counts(*be);
    into_counts.add_plain_product_sums(got, layer.cts, layer.pts, Layer::kTerms);
    auto sums = then_add_counts.multiply_plain_sums(layer.cts, layer.pts, Layer::kTerms);
    for (std::size_t j = 0; j < sums.size(); ++j) {
      if (sums[j].empty()) continue;
      if (want[j].empty()) want[j] = sums[j];
      else then_add_counts.add_inplace(want[j], sums[j]);
    }
    EXPECT_EQ(into_counts.counts(), then_add_counts.counts()) << into_counts.counts().to_string();
    for (std::size_t j = 0; j < 3; ++j) {
      ASSERT_FALSE(got[j].empty()) << j;
      if (ckks) {
        const auto& c = static_cast<const CkksBackend&>(*be);
        for (std::size_t p = 0; p < c.unwrap(got[j]).size(); ++p) EXPECT_EQ(c.unwrap(got[j]).poly(p), c.unwrap(want[j]).poly(p)) << j;
      } else {
        EXPECT_EQ(sim.peek(got[j]), sim.peek(want[j])) << j;
      }
    }
    if (ckks) {
      const auto& c = static_cast<const CkksBackend&>(*be);
      EXPECT_EQ(&c.unwrap(got[0]), object);  // updated in place
      // A shared running sum that gets products: a new object, the other handle unchanged.
      std::vector<Ciphertext> shared{kept, {}, {}};
      const auto before = c.unwrap(kept);
      be->add_plain_product_sums(shared, layer.cts, layer.pts, Layer::kTerms);
      EXPECT_NE(&c.unwrap(shared[0]), &c.unwrap(kept));
      EXPECT_EQ(c.unwrap(kept).poly(0), before.poly(0));
      EXPECT_LT(max_abs_diff(be->decrypt(shared[0]), [&] {
                  auto y = layer.expected(0);
                  for (auto& v : y) v *= 2;
                  return y;
                }()), 2 * kTolerance);
    }
    std::vector<Ciphertext> two(2);
    EXPECT_THROW(be->add_plain_product_sums(two, layer.cts, layer.pts, Layer::kTerms), InvalidArgument);
  }
}

TEST(ProductSums, MismatchesAreRefusedByBothBackends) {
  const SimBackend sim(sim_params_for(context()->params()));
  for (const Backend* be : {static_cast<const Backend*>(&ckks_backend()), static_cast<const Backend*>(&sim)}) {
    const Layer layer(*be);
    EXPECT_THROW(be->multiply_plain_sums(layer.cts, layer.pts, 4), InvalidArgument);
    std::vector<Plaintext> fewer(layer.pts.begin(), layer.pts.end() - 1);
    EXPECT_THROW(be->multiply_plain_sums(layer.cts, fewer, Layer::kTerms), InvalidArgument);
    std::vector<Plaintext> other_scale = layer.pts;
    other_scale[1] = be->encode(layer.w[1], be->max_level(), be->default_scale() * 2);
    EXPECT_THROW(be->multiply_plain_sums(layer.cts, other_scale, Layer::kTerms), MismatchError);
  }
}

TEST(InPlace, EqualsOutOfPlaceAndNeverChangesASharedHandle) {
  const CkksBackend& be = ckks_backend();
  const Layer layer(be);
  const Ciphertext& a = layer.cts[1];
  const Ciphertext& b = layer.cts[2];
  const Plaintext& p = layer.pts[1];
  const Plaintext bias = be.encode(layer.w[0], be.max_level(), be.scale(a));
  auto same = [&](const Ciphertext& got, const Ciphertext& want) {
    ASSERT_EQ(be.unwrap(got).size(), be.unwrap(want).size());
    EXPECT_EQ(be.unwrap(got).level(), be.unwrap(want).level());
    for (std::size_t i = 0; i < be.unwrap(got).size(); ++i) EXPECT_EQ(be.unwrap(got).poly(i), be.unwrap(want).poly(i));
  };
  const auto snapshot = be.unwrap(a);
  for (const bool shared : {false, true}) {
    SCOPED_TRACE(shared ? "shared" : "sole owner");
    // A sole owner is a fresh object (a product); a shared one is a copy of `a`'s handle.
    auto start = [&] { return shared ? a : be.multiply_plain(a, p); };
    auto base = [&] { return shared ? a : be.multiply_plain(a, p); };
    Ciphertext x = start();
    const ckks::Ciphertext* object = &be.unwrap(x);
    be.add_inplace(x, shared ? b : be.multiply_plain(b, p));
    same(x, be.add(base(), shared ? b : be.multiply_plain(b, p)));
    EXPECT_EQ(&be.unwrap(x) == object, !shared);  // updated where it is only when not shared
    x = start();
    be.add_plain_inplace(x, shared ? bias : be.encode(layer.w[0], be.max_level(), be.scale(x)));
    same(x, be.add_plain(base(), shared ? bias : be.encode(layer.w[0], be.max_level(), be.scale(x))));
    x = start();
    be.multiply_plain_inplace(x, p);
    same(x, be.multiply_plain(base(), p));
    x = start();
    be.rescale_inplace(x);
    same(x, be.rescale(base()));
    for (const int step : {1, 3, 0}) {  // a direct key, a step composed as 4 - 1, the identity
      x = start();
      be.add_rotated_inplace(x, step);
      same(x, be.add(base(), be.rotate(base(), step)));
    }
  }
  EXPECT_EQ(be.unwrap(a).poly(0), snapshot.poly(0));  // the shared input never changed
  EXPECT_EQ(be.unwrap(a).poly(1), snapshot.poly(1));
}
