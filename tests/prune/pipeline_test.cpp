#include "prune/pipeline.hpp"

#include <gtest/gtest.h>

#include "prune/masks.hpp"
#include "prune_test_util.hpp"
#include "util/error.hpp"

using namespace hepex;
using namespace hepex::prune;


TEST(Pipeline, EveryMethodProducesAConsistentPrunedModel) {
  const nn::Dataset train = prune::testing::synthetic(256, 1);
  const nn::Model dense = prune::testing::trained_dense(train);
  for (bool saliency : {false, true})
  for (Method method : all_methods()) {
    SCOPED_TRACE(saliency ? "saliency, cost-aware" : "magnitude");
    PruneConfig cfg;
    cfg.method = method;
    cfg.saliency = saliency;
    if (saliency) cfg.layer_cost = {4.0, 3.0, 2.0, 1.0};
    cfg.t1 = 2;
    cfg.t2 = 4;
    cfg.fraction = 0.75;
    cfg.finetune.epochs = 2;
    cfg.finetune.batch = 32;
    PruneReport report;
    const nn::Model pruned = prune_model(dense, train, nn::Dataset{}, cfg, report);
    EXPECT_EQ(report.method, std::string(method_name(method)) + (saliency ? "/sal" : ""));
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
    EXPECT_EQ(report.finetune_phases, phases) << method_name(method);
    if (method == Method::kP1 || method == Method::kP4 || method == Method::kP4E) {
      // Unstructured methods reach the weight fraction first (P4/P4E then drop/expand whole tiles).
      if (method == Method::kP1) {
        EXPECT_NEAR(report.weight_density, 0.25, 0.01);
      }
    }
    if (method == Method::kP2 || method == Method::kP3) {
      EXPECT_NEAR(static_cast<double>(report.tiles_kept) / report.tiles_total, 0.25, 0.02) << method_name(method);
    }
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
    if (method == Method::kP3 || method == Method::kP4 || method == Method::kP4E) {
      EXPECT_LE(report.permute_tiles_after, report.permute_tiles_before);
    }
  }
}

TEST(Pipeline, ParsesMethodNames) {
  EXPECT_EQ(parse_method("p4e"), Method::kP4E);
  EXPECT_EQ(parse_method("P2"), Method::kP2);
  EXPECT_THROW(parse_method("P5"), InvalidArgument);
}

TEST(Pipeline, DenseBaselineRepeatsThePrunedModelsPhases) {
  // The baseline restarts the learning-rate schedule per phase with the phase seeds, as the pruned model's
  // fine-tuning does; one long run of the same epochs is a different (unequal) schedule.
  const nn::Dataset train = prune::testing::synthetic(256, 1);
  const nn::Dataset test = prune::testing::synthetic(128, 2);
  const nn::Model dense = prune::testing::trained_dense(train);
  nn::TrainConfig tc;
  tc.epochs = 2;
  tc.batch = 32;
  tc.lr_decay = 0.5f;
  tc.seed = 9;
  nn::Model manual = dense;
  for (int p = 0; p < 2; ++p) {
    nn::TrainConfig phase = tc;
    phase.seed = phase_seed(tc.seed, p * tc.epochs);
    nn::train(manual, train, nn::Dataset{}, phase);
  }
  const double expected = nn::evaluate(manual, test, nn::Loss::kMse).loss;
  EXPECT_EQ(equally_trained_dense_loss(dense, train, nn::Dataset{}, test, tc, 2), expected);
  nn::Model one_run = dense;
  nn::TrainConfig longer = tc;
  longer.epochs = 4;
  nn::train(one_run, train, nn::Dataset{}, longer);
  EXPECT_NE(nn::evaluate(one_run, test, nn::Loss::kMse).loss, expected);
  EXPECT_EQ(equally_trained_dense_loss(dense, train, nn::Dataset{}, test, tc, 0),
            nn::evaluate(dense, test, nn::Loss::kMse).loss);
}
