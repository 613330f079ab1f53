#include "prune/masks.hpp"

#include <gtest/gtest.h>

#include "prune/tile_stats.hpp"
#include "prune/tiling.hpp"
#include "util/error.hpp"

using namespace hepex;
using namespace hepex::prune;

namespace {
// A 1-layer model 4x4 (out x in) with the given weights (row by row).
nn::Model one_layer(std::initializer_list<float> w) {
  nn::Model m = nn::Model::from_arch("4-4:identity");
  auto& W = m.layers()[0].W;
  auto it = w.begin();
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) W(r, c) = *it++;
  return m;
}
}  // namespace

TEST(Tiling, AlternatesOrientationAndParses) {
  EXPECT_EQ(layer_tile_dims(0, 4, 8), (TileDims{8, 4}));
  EXPECT_EQ(layer_tile_dims(1, 4, 8), (TileDims{4, 8}));
  EXPECT_EQ(layer_tile_dims(2, 4, 8), (TileDims{8, 4}));
  // The paper's count: 784-256-64-256-784 at 4x8 has 6272 + 512 + 512 + 6272 weight tiles.
  const auto dims = chain_tile_dims(4, 4, 8);
  const int sizes[] = {784, 256, 64, 256, 784};
  long total = 0;
  for (int l = 0; l < 4; ++l) total += TileGrid{sizes[l + 1], sizes[l], dims[l]}.tile_count();
  EXPECT_EQ(total, 13568);
  EXPECT_EQ(parse_tile_shape("4x8"), std::make_pair(4, 8));
  EXPECT_THROW(parse_tile_shape("3x8"), InvalidArgument);
  EXPECT_THROW(parse_tile_shape("4by8"), InvalidArgument);
  EXPECT_THROW(parse_tile_shape("4x"), InvalidArgument);
}

TEST(TileStats, CountsAndScoresOnHandMadeMatrix) {
  Eigen::MatrixXf W(4, 4);
  W << 1, -2, 0, 0,  //
      3, 4, 0, 0.5,  //
      0, 0, 0, 0,    //
      0, 0, 0, -6;
  const TileDims d{2, 2};
  Eigen::MatrixXf pattern = (W.array() != 0.f).cast<float>();
  const Eigen::MatrixXi nz = tile_nonzeros(pattern, d);
  EXPECT_EQ(nz(0, 0), 4);
  EXPECT_EQ(nz(0, 1), 1);
  EXPECT_EQ(nz(1, 0), 0);
  EXPECT_EQ(nz(1, 1), 1);
  EXPECT_EQ(count_nonempty_tiles(pattern, d), 3);
  EXPECT_DOUBLE_EQ(tile_scores(W, d, TileScore::kMin)(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(tile_scores(W, d, TileScore::kMax)(0, 0), 4.0);
  EXPECT_DOUBLE_EQ(tile_scores(W, d, TileScore::kMean)(0, 0), 2.5);
  EXPECT_DOUBLE_EQ(tile_scores(W, d, TileScore::kL2)(0, 0), std::sqrt(30.0));
  EXPECT_DOUBLE_EQ(tile_scores(W, d, TileScore::kMax)(1, 1), 6.0);
  EXPECT_DOUBLE_EQ(tile_scores(W, d, TileScore::kMean)(0, 1), 0.125);
  // Partial edge tiles: 3x3 matrix in 2x2 tiles.
  EXPECT_EQ((TileGrid{3, 3, d}.tile_count()), 4);
  EXPECT_EQ((TileGrid{3, 3, d}.tile_area(1, 1)), 1);
}

TEST(Masks, UnstructuredPrunesSmallestMagnitudes) {
  auto m = one_layer({1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16});
  prune_unstructured(m, 0.25, Scope::kLayer);
  const auto& L = m.layers()[0];
  ASSERT_TRUE(L.has_mask());
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const bool small = std::abs(r * 4 + c + 1) <= 4;
      EXPECT_EQ(L.mask(r, c), small ? 0.f : 1.f) << r << "," << c;
      if (small) {
        EXPECT_EQ(L.W(r, c), 0.f);
      }
    }
  // Pruning further keeps what is pruned and reaches the new fraction.
  prune_unstructured(m, 0.5, Scope::kLayer);
  EXPECT_DOUBLE_EQ(weight_density(m), 0.5);
  EXPECT_EQ(m.layers()[0].mask(2, 0), 1.f);  // |9| survives
  EXPECT_EQ(m.layers()[0].mask(1, 3), 0.f);  // |-8| pruned
  EXPECT_THROW(prune_unstructured(m, 1.0, Scope::kLayer), InvalidArgument);
}

TEST(Masks, GlobalScopeRanksAcrossLayers) {
  nn::Model m = nn::Model::from_arch("2-2-2:identity");
  m.layers()[0].W << 1, 2, 3, 4;
  m.layers()[1].W << 10, 20, 30, 40;
  prune_unstructured(m, 0.5, Scope::kGlobal);  // the 4 smallest are all in layer 0
  EXPECT_EQ(m.layers()[0].W.cwiseAbs().sum(), 0.f);
  EXPECT_EQ(m.layers()[1].mask.sum(), 4.f);
}

TEST(Masks, TilePruningRemovesLowestScoringTiles) {
  auto m = one_layer({1, 1, 9, 9,  //
                      1, 1, 9, 9,  //
                      5, 5, 2, 2,  //
                      5, 5, 2, 2});
  prune_tiles(m, {TileDims{2, 2}}, 0.5, Scope::kLayer, TileScore::kMean);
  const auto& L = m.layers()[0];
  EXPECT_EQ(L.mask.block(0, 0, 2, 2).sum(), 0.f);
  EXPECT_EQ(L.mask.block(2, 2, 2, 2).sum(), 0.f);
  EXPECT_EQ(L.mask.block(0, 2, 2, 2).sum(), 4.f);
  EXPECT_EQ(L.mask.block(2, 0, 2, 2).sum(), 4.f);
  EXPECT_EQ(total_tiles(m, {TileDims{2, 2}}).kept, 2);
}

TEST(Masks, TileRowPruningEmptiesTheLowestScoringRows) {
  // Tiles 2x2: row 0 holds L2 sqrt(328), row 1 sqrt(116).
  auto m = one_layer({1, 1, 9, 9,  //
                      1, 1, 9, 9,  //
                      5, 5, 2, 2,  //
                      5, 5, 2, 2});
  prune_tile_rows(m, {TileDims{2, 2}}, 0.5, Scope::kLayer);
  const auto& L = m.layers()[0];
  EXPECT_EQ(L.mask.bottomRows(2).sum(), 0.f);
  EXPECT_EQ(L.mask.topRows(2).sum(), 8.f);
  EXPECT_EQ(L.W.bottomRows(2).cwiseAbs().sum(), 0.f);
  // An empty row counts as pruned: asking for half again removes nothing more.
  prune_tile_rows(m, {TileDims{2, 2}}, 0.5, Scope::kLayer);
  EXPECT_EQ(L.mask.topRows(2).sum(), 8.f);

  // With a cost per tile, a row is scored per live tile it would free: row 0 (one live tile, L2 10) costs
  // more quality per tile than row 1 (two live tiles, L2 8 each: 11.3 in all, 5.7 per tile).
  auto c = one_layer({5, 5, 0, 0,  //
                      5, 5, 0, 0,  //
                      4, 4, 4, 4,  //
                      4, 4, 4, 4});
  auto plain = c;
  prune_tile_rows(plain, {TileDims{2, 2}}, 0.5, Scope::kLayer);
  EXPECT_EQ(plain.layers()[0].mask.topRows(2).sum(), 0.f);  // by L2 alone row 0 (10 < 11.3) goes
  Ranking per_tile;
  per_tile.layer_cost = {3.0};
  prune_tile_rows(c, {TileDims{2, 2}}, 0.5, Scope::kLayer, per_tile);
  EXPECT_EQ(c.layers()[0].mask.bottomRows(2).sum(), 0.f);
  EXPECT_EQ(c.layers()[0].mask.topRows(2).sum(), 4.f);  // its live tile stays
  EXPECT_THROW(prune_tile_rows(c, {TileDims{2, 2}}, 1.0, Scope::kLayer), InvalidArgument);
}

TEST(Masks, DropSparseTilesThenExpandReenablesExactlySurvivingTiles) {
  const auto dense = one_layer({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  nn::Model m = dense;
  m.layers()[0].mask = Eigen::MatrixXf::Zero(4, 4);
  m.layers()[0].mask(0, 0) = 1;  // tile (0,0): density 1/4
  m.layers()[0].mask(0, 2) = 1;  // tile (0,1): density 2/4
  m.layers()[0].mask(1, 3) = 1;
  m.layers()[0].mask(3, 3) = 1;  // tile (1,1): density 1/4
  m.layers()[0].apply_mask();
  const std::vector<TileDims> d{TileDims{2, 2}};
  EXPECT_EQ(drop_sparse_tiles(m, d, 0.25), 2);  // (0,0) and (1,1) go, (0,1) stays
  EXPECT_EQ(total_tiles(m, d).kept, 1);
  EXPECT_EQ(expand_tiles(m, dense, d), 2);  // (0,3) and (1,2) come back
  const auto& L = m.layers()[0];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const bool in_kept_tile = r < 2 && c >= 2;
      EXPECT_EQ(L.mask(r, c), in_kept_tile ? 1.f : 0.f);
      EXPECT_EQ(L.W(r, c), in_kept_tile ? dense.layers()[0].W(r, c) : 0.f);
    }
}

namespace {
// A random 3-layer model whose cost-aware ranking favours emptying layer 0 (cheap scores, high cost).
nn::Model three_layers(std::uint64_t seed) {
  nn::Model m = nn::Model::from_arch("16-16-8-16:identity");
  Csprng rng(seed_from_u64(seed));
  m.init_glorot(rng);
  m.layers()[0].W *= 0.1f;  // small weights in layer 0: ranked first by magnitude
  return m;
}

// Removed fraction of each layer: of weights (unstructured) or of tiles.
std::vector<double> removed_weights(const nn::Model& m) {
  std::vector<double> out;
  for (const auto& L : m.layers()) out.push_back(1.0 - L.mask.sum() / double(L.mask.size()));
  return out;
}
std::vector<double> removed_tiles(const nn::Model& m, const std::vector<TileDims>& dims) {
  std::vector<double> out;
  for (const auto& c : tiles_per_layer(m, dims)) out.push_back(1.0 - double(c.kept) / double(c.total));
  return out;
}
}  // namespace

TEST(Masks, LayerCapBoundsEveryLayerAndStillMeetsTheGlobalFraction) {
  const Ranking costly_first{nullptr, {8.0, 1.0, 1.0}, {}};
  // Without a cap, magnitude per cost removes all of layer 0 first.
  nn::Model free = three_layers(1);
  prune_unstructured(free, 0.6, Scope::kGlobal, costly_first);
  ASSERT_EQ(removed_weights(free)[0], 1.0);

  Ranking capped = costly_first;
  capped.layer_cap = {0.7};
  nn::Model m = three_layers(1);
  prune_unstructured(m, 0.6, Scope::kGlobal, capped);
  const auto removed = removed_weights(m);
  for (double r : removed) EXPECT_LE(r, 0.7 + 1e-12);
  EXPECT_NEAR(1.0 - prune::weight_density(m), 0.6, 1e-9 + 1.0 / 512);  // 512 weights in all
  // The cap only diverts removals: what the free ranking removed in the layers below their cap stays removed.
  for (std::size_t l = 1; l < 3; ++l)
    EXPECT_EQ((free.layers()[l].mask.array() == 0.f && m.layers()[l].mask.array() != 0.f).count(), 0) << l;
  // A cap of 1 is the uncapped ranking, bit for bit.
  Ranking one = costly_first;
  one.layer_cap = {1.0};
  nn::Model same = three_layers(1);
  prune_unstructured(same, 0.6, Scope::kGlobal, one);
  for (std::size_t l = 0; l < 3; ++l) EXPECT_EQ(same.layers()[l].mask, free.layers()[l].mask);
}

TEST(Masks, LayerCapOnTilesCountsWhatIsAlreadyPrunedAndRefusesTheInfeasible) {
  const auto dims = chain_tile_dims(3, 2, 4);
  Ranking capped{nullptr, {8.0, 1.0, 1.0}, {0.5}};
  nn::Model m = three_layers(2);
  prune_tiles(m, dims, 0.3, Scope::kGlobal, TileScore::kL2, capped);
  // A second, gradual step: the tiles pruned before count against the cap.
  prune_tiles(m, dims, 0.45, Scope::kGlobal, TileScore::kL2, capped);
  const auto removed = removed_tiles(m, dims);
  for (double r : removed) EXPECT_LE(r, 0.5 + 1e-12);
  const TileCount t = total_tiles(m, dims);
  EXPECT_EQ(t.total - t.kept, std::llround(0.45 * double(t.total)));
  // 0.6 of all tiles cannot be removed when no layer may lose more than half.
  try {
    prune_tiles(m, dims, 0.6, Scope::kGlobal, TileScore::kL2, capped);
    FAIL() << "an infeasible cap was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("per-layer cap"), std::string::npos) << e.what();
  }
  // Per-layer scope: each layer's own fraction must fit under the cap.
  nn::Model lc = three_layers(3);
  EXPECT_THROW(prune_unstructured(lc, 0.6, Scope::kLayer, capped), InvalidArgument);
  capped.layer_cap = {0.0};
  EXPECT_THROW(prune_unstructured(lc, 0.1, Scope::kGlobal, capped), InvalidArgument);
  capped.layer_cap = {0.5, 0.5};  // two caps for three layers
  EXPECT_THROW(prune_unstructured(lc, 0.1, Scope::kGlobal, capped), InvalidArgument);
  capped.layer_cap = {0.5, 1.5, 0.5};
  EXPECT_THROW(prune_unstructured(lc, 0.1, Scope::kGlobal, capped), InvalidArgument);
}

TEST(Masks, PerLayerCapsBindEachLayerAndZeroKeepsALayerWhole) {
  const auto dims = chain_tile_dims(3, 2, 4);
  const Ranking free{nullptr, {8.0, 1.0, 1.0}, {}};
  Ranking capped = free;
  capped.layer_cap = {0.0, 0.6, 0.4};
  nn::Model m = three_layers(4);
  prune_tiles(m, dims, 0.2, Scope::kGlobal, TileScore::kL2, capped);
  const auto removed = removed_tiles(m, dims);
  EXPECT_EQ(removed[0], 0.0);  // cap 0: layer 0 untouched, though the cost-aware ranking takes it first
  EXPECT_LE(removed[1], 0.6 + 1e-12);
  EXPECT_LE(removed[2], 0.4 + 1e-12);
  const TileCount t = total_tiles(m, dims);
  EXPECT_EQ(t.total - t.kept, std::llround(0.2 * double(t.total)));
  // Without caps the same ranking removes tiles of layer 0 (else the test shows nothing).
  nn::Model f = three_layers(4);
  prune_tiles(f, dims, 0.2, Scope::kGlobal, TileScore::kL2, free);
  EXPECT_GT(removed_tiles(f, dims)[0], 0.0);
  // One cap per layer equal to one cap for all: the same masks, bit for bit.
  Ranking all{nullptr, {8.0, 1.0, 1.0}, {0.5}}, each{nullptr, {8.0, 1.0, 1.0}, {0.5, 0.5, 0.5}};
  nn::Model a = three_layers(5), e = three_layers(5);
  prune_unstructured(a, 0.4, Scope::kGlobal, all);
  prune_unstructured(e, 0.4, Scope::kGlobal, each);
  for (std::size_t l = 0; l < 3; ++l) EXPECT_EQ(a.layers()[l].mask, e.layers()[l].mask);
}
