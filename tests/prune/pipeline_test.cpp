#include "prune/pipeline.hpp"

#include <gtest/gtest.h>

#include "prune/masks.hpp"
#include "util/error.hpp"

using namespace hepex;
using namespace hepex::prune;

namespace {
// A small synthetic reconstruction task: 32-dimensional inputs living near an 8-dimensional subspace.
nn::Dataset synthetic(Eigen::Index n, std::uint64_t seed) {
  Csprng rng(seed_from_u64(seed));
  Eigen::MatrixXf basis(8, 32);
  Csprng brng(seed_from_u64(1234));
  for (Eigen::Index i = 0; i < basis.size(); ++i) basis.data()[i] = static_cast<float>(brng.next_double() - 0.5);
  nn::Dataset d;
  d.images.resize(n, 32);
  for (Eigen::Index r = 0; r < n; ++r) {
    Eigen::RowVectorXf z(8);
    for (int k = 0; k < 8; ++k) z[k] = static_cast<float>(rng.next_double() - 0.5);
    d.images.row(r) = (z * basis).array() * 0.5f + 0.5f;
  }
  return d;
}

nn::Model trained_dense(const nn::Dataset& train) {
  nn::Model m = nn::Model::from_arch("32-16-8-16-32:poly2");
  Csprng rng(seed_from_u64(7));
  m.init_glorot(rng);
  nn::TrainConfig tc;
  tc.epochs = 10;
  tc.batch = 32;
  tc.lr = 3e-3f;
  nn::train(m, train, nn::Dataset{}, tc);
  return m;
}
}  // namespace

TEST(Pipeline, EveryMethodProducesAConsistentPrunedModel) {
  const nn::Dataset train = synthetic(256, 1);
  const nn::Model dense = trained_dense(train);
  for (Method method : all_methods()) {
    PruneConfig cfg;
    cfg.method = method;
    cfg.t1 = 2;
    cfg.t2 = 4;
    cfg.fraction = 0.75;
    cfg.finetune.epochs = 2;
    cfg.finetune.batch = 32;
    PruneReport report;
    const nn::Model pruned = prune_model(dense, train, nn::Dataset{}, cfg, report);
    const auto dims = chain_tile_dims(pruned.layers().size(), cfg.t1, cfg.t2);
    const TileCount tc = total_tiles(pruned, dims);
    EXPECT_EQ(report.tiles_kept, tc.kept) << method_name(method);
    EXPECT_EQ(report.tiles_total, tc.total);
    EXPECT_LT(report.tiles_kept, report.tiles_total) << method_name(method);
    // Masked weights are exactly zero after fine-tuning.
    for (const auto& layer : pruned.layers()) {
      ASSERT_TRUE(layer.has_mask());
      EXPECT_EQ(layer.W.cwiseProduct((1.f - layer.mask.array()).matrix()).cwiseAbs().maxCoeff(), 0.f);
    }
    const int phases = (method == Method::kP4 || method == Method::kP4E) ? 2 : 1;
    EXPECT_EQ(report.finetune_epochs, 2 * phases) << method_name(method);
    if (method == Method::kP1 || method == Method::kP4 || method == Method::kP4E) {
      // Unstructured methods reach the weight fraction first (P4/P4E then drop/expand whole tiles).
      if (method == Method::kP1) EXPECT_NEAR(report.weight_density, 0.25, 0.01);
    }
    if (method == Method::kP2 || method == Method::kP3)
      EXPECT_NEAR(static_cast<double>(report.tiles_kept) / report.tiles_total, 0.25, 0.02) << method_name(method);
    if (method == Method::kP4E) {
      // Expansion: every kept tile is fully dense.
      for (std::size_t l = 0; l < pruned.layers().size(); ++l) {
        const Eigen::MatrixXi nz = tile_nonzeros(pruned.layers()[l].mask, dims[l]);
        const TileGrid grid{pruned.layers()[l].out(), pruned.layers()[l].in(), dims[l]};
        for (Eigen::Index tc2 = 0; tc2 < grid.grid_cols(); ++tc2)
          for (Eigen::Index tr = 0; tr < grid.grid_rows(); ++tr)
            EXPECT_TRUE(nz(tr, tc2) == 0 || nz(tr, tc2) == grid.tile_area(tr, tc2));
      }
    }
    if (method == Method::kP3 || method == Method::kP4 || method == Method::kP4E)
      EXPECT_LE(report.permute_tiles_after, report.permute_tiles_before);
  }
}

TEST(Pipeline, ParsesMethodNames) {
  EXPECT_EQ(parse_method("p4e"), Method::kP4E);
  EXPECT_EQ(parse_method("P2"), Method::kP2);
  EXPECT_THROW(parse_method("P5"), InvalidArgument);
}
