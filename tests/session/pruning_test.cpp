// The pruning helpers `hepex prune` and the Python module share: the planner's latency estimate of a pruned
// model against its dense one.
#include <gtest/gtest.h>

#include "../infer/infer_test_util.hpp"
#include "infer/plan.hpp"
#include "prune/masks.hpp"
#include "prune/tiling.hpp"
#include "session/pruning.hpp"

namespace hepex {
namespace {

nn::Model model_784() {
  return infer::testing::random_model({784, 64, 784}, {nn::Activation::square(), nn::Activation::identity()}, 5);
}

TEST(PlannedLatency, IsThePlannersEstimateAndFallsOnlyWithWholeRows) {
  const nn::Model dense = model_784();
  const auto same = planned_latency(dense, dense, 4, 8);
  ASSERT_TRUE(same.has_value());
  EXPECT_GT(same->dense_s, 0.0);
  EXPECT_EQ(same->dense_s, same->pruned_s);
  EXPECT_EQ(same->dense_s, infer::make_plan(dense, 4, 8, 256).est_latency_preencoded_s);

  // Half of the first layer's outputs (whole tile rows: the executor skips their rotate-and-sums) versus the
  // same number of weights zeroed as scattered single weights (every tile stays live): only the first is
  // cheaper under encryption.
  nn::Model rows = dense, scattered = dense;
  auto& w_rows = rows.layers()[0].W;
  auto& w_scat = scattered.layers()[0].W;
  for (Eigen::Index i = 0; i < 32; ++i) w_rows.row(i).setZero();
  for (Eigen::Index k = 0; k < 32 * w_scat.cols(); ++k) {
    const Eigen::Index i = k % w_scat.rows(), j = (k / w_scat.rows()) * 2 % w_scat.cols();
    if (j % 8 != 0) w_scat(i, j) = 0;  // keeps column j = 0 mod 8 alive in every tile
  }
  const auto cut = planned_latency(dense, rows, 4, 8);
  const auto spread = planned_latency(dense, scattered, 4, 8);
  ASSERT_TRUE(cut && spread);
  EXPECT_LT(cut->pruned_s, 0.9 * cut->dense_s);
  // The pruned model is planned in the dense plan's batch layout (not whichever its own weights allow).
  infer::PlanOptions same_layout;
  same_layout.batch_layout = infer::make_plan(dense, 4, 8, 256).batch_layout;
  EXPECT_EQ(cut->pruned_s, infer::make_plan(rows, 4, 8, 256, same_layout).est_latency_preencoded_s);
  EXPECT_GT(spread->pruned_s, 0.95 * spread->dense_s);
}

// Rows emptied by prune_tile_rows are the rows the executor finds dead (the two modules agree on what a
// tile row is), and the planned latency falls with them.
TEST(PlannedLatency, RowsPrunedAreTheExecutorsDeadRows) {
  const nn::Model dense = model_784();
  nn::Model pruned = dense;
  const auto dims = prune::chain_tile_dims(2, 4, 8);
  prune::prune_tile_rows(pruned, dims, 0.25, prune::Scope::kLayer);
  const infer::Plan plan = infer::make_plan(pruned, 4, 8, 256);
  ASSERT_EQ(plan.layers.size(), 2u);
  for (std::size_t l = 0; l < 2; ++l) {
    const auto& L = pruned.layers()[l];
    const Eigen::Index rows = (L.out() + dims[l].rows - 1) / dims[l].rows;
    EXPECT_EQ(plan.layers[l].dead_tile_rows, static_cast<std::size_t>(std::llround(0.25 * double(rows)))) << l;
  }
  const auto planned = planned_latency(dense, pruned, 4, 8);
  ASSERT_TRUE(planned);
  EXPECT_LT(planned->pruned_s, planned->dense_s);
}

TEST(PlannedLatency, IsAbsentWhenThePlannerRefuses) {
  nn::Model dense = model_784();
  nn::Model constant = dense;
  constant.layers()[0].W.setZero();  // a constant output: the planner refuses such a model
  EXPECT_FALSE(planned_latency(dense, constant, 4, 8).has_value());
}

// The tile-shape choice's cost: the same estimate, per shape in the dense plan's layout; 0 for a model with
// nothing left to serve.
TEST(PlannedLatency, AsTheTileShapeCostIsTheSameEstimate) {
  const nn::Model dense = model_784();
  const auto cost = planned_latency_cost(dense);
  nn::Model rows = dense;
  for (Eigen::Index i = 0; i < 32; ++i) rows.layers()[0].W.row(i).setZero();
  for (auto [t1, t2] : {std::pair{4, 8}, std::pair{8, 4}}) {
    const auto planned = planned_latency(dense, rows, t1, t2);
    ASSERT_TRUE(planned);
    EXPECT_EQ(cost(dense, t1, t2), planned->dense_s) << t1 << "x" << t2;
    EXPECT_EQ(cost(rows, t1, t2), planned->pruned_s) << t1 << "x" << t2;
  }
  EXPECT_NE(cost(dense, 4, 8), cost(dense, 8, 4));  // the shapes differ beyond their products
  nn::Model constant = dense;
  constant.layers()[0].W.setZero();
  EXPECT_EQ(cost(constant, 4, 8), 0.0);
}

}  // namespace
}  // namespace hepex
