// The tile layer on the real CKKS backend: matrix-vector products in both orientations, with zero tiles,
// and a two-layer chain down to level 0, run on CkksBackend and on SimBackend (same exact primes) with the
// same inputs. The simulator is the reference (tested against loops in matmul_test): the results agree
// within CKKS precision, the operation counts and levels agree exactly, and the Galois keys are generated
// for exactly the rotation steps the simulator reports, as a client would for a plan.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "backend/ckks_backend.hpp"
#include "backend/counting_backend.hpp"
#include "backend/sim_backend.hpp"
#include "ckks/keygen.hpp"
#include "tile/matmul.hpp"
#include "tile/ops.hpp"
#include "tile/pack.hpp"
#include "util/csprng.hpp"

using namespace hepex;
using namespace hepex::tile;
using backend::Backend;

namespace {

// Sums of up to 20 products of values in [-1, 1] at scale 2^40: CKKS errors stay below 1e-7 (measured
// 2e-8 to 7e-8); 1e-6 leaves a tenfold margin.
constexpr double kTolerance = 1e-6;

// Tiles [4, 8, 64] fill the 2048 slots of N = 2^12 (insecure, tests only): q_0 50 bits, 3 x 40 bits.
const std::vector<std::size_t> kTiles{4, 8, 64};

std::shared_ptr<const ckks::CkksContext> small_context() {
  static const auto ctx = ckks::CkksContext::create(
      ckks::CkksParameters::create(4096, 50, 40, 3, 2, ckks::SecurityLevel::kInsecureForTestsOnly));
  return ctx;
}

// Random m x n matrix with entries in [-bound, bound]; each (tr x tc) block is zero with probability 1/3,
// and the first block always (so that some tiles are absent whatever the draw).
DenseMatrix random_blocky(Csprng& rng, std::size_t m, std::size_t n, std::size_t tr, std::size_t tc, double bound) {
  DenseMatrix w{m, n, std::vector<double>(m * n)};
  for (auto& v : w.data) v = bound * (2 * rng.next_double() - 1);
  for (std::size_t bi = 0; bi < m; bi += tr)
    for (std::size_t bj = 0; bj < n; bj += tc)
      if ((bi == 0 && bj == 0) || rng.uniform_below(3) == 0)
        for (std::size_t i = bi; i < std::min(m, bi + tr); ++i)
          for (std::size_t j = bj; j < std::min(n, bj + tc); ++j) w.data[i * n + j] = 0;
  return w;
}

std::vector<double> random_input(Csprng& rng, std::size_t count) {
  std::vector<double> x(count);
  for (auto& v : x) v = 2 * rng.next_double() - 1;
  return x;
}

// What one run of a tile program yields on a backend.
struct Outcome {
  std::vector<double> y;
  backend::OpCounts counts;
  int level = -1;
};

// A client backend (secret, public, relinearization keys) with Galois keys for exactly `steps`.
std::unique_ptr<backend::CkksBackend> ckks_backend_for(const std::set<int>& steps) {
  ckks::KeyGenerator keygen(small_context(), seed_from_u64(91));
  const std::vector<long long> key_steps(steps.begin(), steps.end());
  backend::CkksKeys keys{std::make_shared<const ckks::SecretKey>(keygen.secret_key()),
                         std::make_shared<const ckks::PublicKey>(keygen.create_public_key()),
                         std::make_shared<const ckks::RelinKey>(keygen.create_relin_key()),
                         std::make_shared<const ckks::GaloisKeys>(keygen.create_galois_keys(key_steps, false))};
  return std::make_unique<backend::CkksBackend>(small_context(), keys);
}

// Runs `program` on the simulator, then on CKKS with the keys the simulator says it needs; both agree.
template <class Program>
void expect_ckks_matches_sim(const Program& program) {
  backend::SimBackend sim(backend::sim_params_for(small_context()->params()));
  const Outcome want = program(sim);
  const auto ckks = ckks_backend_for(sim.rotation_steps());
  const Outcome got = program(*ckks);
  EXPECT_EQ(got.level, want.level);
  EXPECT_EQ(got.counts, want.counts) << got.counts.to_string() << " vs " << want.counts.to_string();
  ASSERT_EQ(got.y.size(), want.y.size());
  double worst = 0;
  for (std::size_t i = 0; i < got.y.size(); ++i) worst = std::max(worst, std::abs(got.y[i] - want.y[i]));
  EXPECT_LT(worst, kTolerance);
}

}  // namespace

TEST(CkksMatvec, BothOrientationsWithZeroTilesEqualTheSimulator) {
  const std::size_t m = 10, n = 20, batch = 70;  // two batch tiles of 64
  for (Orientation o : {Orientation::kRows, Orientation::kTransposed}) {
    SCOPED_TRACE(o == Orientation::kRows ? "rows" : "transposed");
    Csprng rng(seed_from_u64(o == Orientation::kRows ? 81 : 82));
    const std::size_t tm = o == Orientation::kRows ? kTiles[0] : kTiles[1];
    const std::size_t tn = o == Orientation::kRows ? kTiles[1] : kTiles[0];
    const auto w = random_blocky(rng, m, n, tm, tn, 1.0);
    const auto x = random_input(rng, n * batch);
    expect_ckks_matches_sim([&](const Backend& be) {
      const double s = be.default_scale();
      const auto cx = pack_encrypted(be, input_tensor(x, n, batch, 3, o), input_shape(n, batch, kTiles, o),
                                     be.max_level(), s);
      const auto pw = pack_matrix(be, w, kTiles, o, be.max_level(), s);
      EXPECT_LT(pw.present_count(), pw.tile_count());  // some weight tiles are absent
      auto r = matvec(be, pw, cx, o);
      return Outcome{unpack(be, r.y).data(), r.counts, *level_of(be, r.y)};
    });
  }
}

TEST(CkksMatvec, TwoLayersDownToLevelZeroEqualTheSimulator) {
  // Transposed layer, rescale, kRows layer, rescale, clear unknowns (one more level), duplicate: level 0.
  // With doublings only and with hoisted sums of 2 and 4 rotations (CKKS: key_switch_sum's shared ModDown).
  Csprng rng(seed_from_u64(83));
  const std::size_t n = 20, m = 12, p = 6, batch = 64;
  const auto w1 = random_blocky(rng, m, n, kTiles[1], kTiles[0], 0.5);
  const auto w2 = random_blocky(rng, p, m, kTiles[0], kTiles[1], 0.5);
  const auto x = random_input(rng, n * batch);
  // And with each rescale moved before its rotate-and-sum (rescale_first: the rotations one level lower).
  for (const bool first : {false, true})
  for (const std::size_t hoisted : {1, 2, 4}) {
    SCOPED_TRACE(std::to_string(hoisted) + (first ? ", rescale first" : ""));
    expect_ckks_matches_sim([&](const Backend& be) {
      const double s = be.default_scale();
      const int top = be.max_level();
      const auto cx = pack_encrypted(be, input_tensor(x, n, batch, 3, Orientation::kTransposed),
                                     input_shape(n, batch, kTiles, Orientation::kTransposed), top, s);
      auto h1 = matvec(be, pack_matrix(be, w1, kTiles, Orientation::kTransposed, top, s), cx, Orientation::kTransposed,
                       hoisted, first);
      const CipherTileTensor h = first ? h1.y : rescale(be, h1.y);
      EXPECT_EQ(*level_of(be, h), top - 1);
      auto h2 = matvec(be, pack_matrix(be, w2, kTiles, Orientation::kRows, top - 1, s), h, Orientation::kRows, hoisted,
                       first);
      const CipherTileTensor y = duplicate_over_dim(be, clear_unknowns(be, first ? h2.y : rescale(be, h2.y)), 1, hoisted);
      EXPECT_EQ(*level_of(be, y), 0);
      backend::OpCounts counts = h1.counts;
      counts += h2.counts;
      return Outcome{unpack(be, y).data(), counts, *level_of(be, y)};
    });
  }
}

TEST(CkksMatvec, FusedProductSumEqualsProductsThenSumBitForBit) {
  // multiply_plain_sum (one fused backend call) against multiply_plain of the whole tensor then
  // sum_over_dim, both on CKKS: the same ciphertexts word for word, with absent weight tiles.
  const std::size_t m = 10, n = 20, batch = 70;
  for (Orientation o : {Orientation::kRows, Orientation::kTransposed}) {
    SCOPED_TRACE(o == Orientation::kRows ? "rows" : "transposed");
    Csprng rng(seed_from_u64(o == Orientation::kRows ? 84 : 85));
    const std::size_t tm = o == Orientation::kRows ? kTiles[0] : kTiles[1];
    const std::size_t tn = o == Orientation::kRows ? kTiles[1] : kTiles[0];
    const auto w = random_blocky(rng, m, n, tm, tn, 1.0);
    const auto x = random_input(rng, n * batch);
    backend::SimBackend sim(backend::sim_params_for(small_context()->params()));
    const auto steps_of = [&](const Backend& be) {
      const auto cx = pack_encrypted(be, input_tensor(x, n, batch, 3, o), input_shape(n, batch, kTiles, o),
                                     be.max_level(), be.default_scale());
      return matvec(be, pack_matrix(be, w, kTiles, o, be.max_level(), be.default_scale()), cx, o);
    };
    steps_of(sim);
    const auto ckks = ckks_backend_for(sim.rotation_steps());
    const auto cx = pack_encrypted(*ckks, input_tensor(x, n, batch, 3, o), input_shape(n, batch, kTiles, o),
                                   ckks->max_level(), ckks->default_scale());
    const auto pw = pack_matrix(*ckks, w, kTiles, o, ckks->max_level(), ckks->default_scale());
    const auto fused = multiply_plain_sum(*ckks, cx, pw, summed_dim(o));
    const auto unfused = sum_over_dim(*ckks, multiply_plain(*ckks, cx, pw), summed_dim(o));
    ASSERT_EQ(fused.tile_count(), unfused.tile_count());
    for (std::size_t i = 0; i < fused.tile_count(); ++i) {
      ASSERT_EQ(fused.absent(i), unfused.absent(i)) << "tile " << i;
      if (fused.absent(i)) continue;
      const auto &a = ckks->unwrap(fused.tile(i)), &b = ckks->unwrap(unfused.tile(i));
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t p = 0; p < a.size(); ++p) EXPECT_EQ(a.poly(p), b.poly(p)) << "tile " << i << " part " << p;
    }
  }
}

TEST(CkksMatvec, ProductSumInPartsEqualsOneCallBitForBitWithTheSameCounts) {
  // multiply_plain_sum_in_parts fetching a's tiles a few dim-0 positions at a time (a server's first layer
  // parsing its inputs part by part) against one multiply_plain_sum: the same ciphertexts word for word
  // and the same operation counts, parts of 1, 2 and 3 positions and all at once, with absent weight tiles.
  const std::size_t m = 10, n = 20, batch = 70;
  const Orientation o = Orientation::kTransposed;  // sums over dim 0, the dimension parts run along
  Csprng rng(seed_from_u64(86));
  const auto w = random_blocky(rng, m, n, kTiles[1], kTiles[0], 1.0);
  const auto x = random_input(rng, n * batch);
  backend::SimBackend sim(backend::sim_params_for(small_context()->params()));
  const auto shape = input_shape(n, batch, kTiles, o);
  const auto sim_x = pack_encrypted(sim, input_tensor(x, n, batch, 3, o), shape, sim.max_level(), sim.default_scale());
  const auto sim_w = pack_matrix(sim, w, kTiles, o, sim.max_level(), sim.default_scale());
  matvec(sim, sim_w, sim_x, o);
  const auto ckks = ckks_backend_for(sim.rotation_steps());
  const auto cx = pack_encrypted(*ckks, input_tensor(x, n, batch, 3, o), shape, ckks->max_level(), ckks->default_scale());
  const auto pw = pack_matrix(*ckks, w, kTiles, o, ckks->max_level(), ckks->default_scale());
  const auto whole = multiply_plain_sum(*ckks, cx, pw, 0);
  const std::size_t positions = shape.dim(0).tile_count(), per = shape.tile_count() / positions;
  ASSERT_GE(positions, 4u);
  // A fetch that hands out copies of a's tiles in [first, last) and records the parts asked for.
  auto fetch_from = [&](const CipherTileTensor& a, std::vector<std::pair<std::size_t, std::size_t>>& asked) {
    return [&a, &asked, per](std::size_t first, std::size_t last) {
      asked.emplace_back(first, last);
      std::vector<backend::Ciphertext> tiles(a.tile_count());
      for (std::size_t i = first * per; i < last * per; ++i) tiles[i] = a.tile(i);
      return CipherTileTensor(a.shape(), std::move(tiles));
    };
  };
  backend::CountingBackend one_call(sim);
  multiply_plain_sum(one_call, sim_x, sim_w, 0);
  for (std::size_t part : {std::size_t{1}, std::size_t{2}, std::size_t{3}, positions}) {
    SCOPED_TRACE("part " + std::to_string(part));
    std::vector<std::pair<std::size_t, std::size_t>> asked;
    const auto parts = multiply_plain_sum_in_parts(*ckks, shape, fetch_from(cx, asked), pw, 0, part);
    ASSERT_EQ(asked.size(), (positions + part - 1) / part);
    for (std::size_t k = 0; k < asked.size(); ++k)
      EXPECT_EQ(asked[k], std::make_pair(k * part, std::min(positions, (k + 1) * part)));  // in order, each once
    ASSERT_EQ(parts.tile_count(), whole.tile_count());
    for (std::size_t i = 0; i < whole.tile_count(); ++i) {
      ASSERT_EQ(parts.absent(i), whole.absent(i)) << "tile " << i;
      if (whole.absent(i)) continue;
      const auto &a = ckks->unwrap(parts.tile(i)), &b = ckks->unwrap(whole.tile(i));
      for (std::size_t p = 0; p < a.size(); ++p) EXPECT_EQ(a.poly(p), b.poly(p)) << "tile " << i << " part " << p;
    }
    std::vector<std::pair<std::size_t, std::size_t>> sim_asked;
    backend::CountingBackend counting(sim);
    multiply_plain_sum_in_parts(counting, shape, fetch_from(sim_x, sim_asked), sim_w, 0, part);
    EXPECT_EQ(counting.counts(), one_call.counts());
  }
}
