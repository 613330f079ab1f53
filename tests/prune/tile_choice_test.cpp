// The joint tile-shape choice: every candidate meets the cost budget with the smallest fraction the search
// can resolve, the choice is the candidate of least validation loss, and its model is what it says.
#include "prune/tile_choice.hpp"

#include <gtest/gtest.h>

#include "prune/masks.hpp"
#include "prune_test_util.hpp"
#include "util/error.hpp"

using namespace hepex;
using namespace hepex::prune;

namespace {
// Layer costs as a planner would give them: earlier layers at higher levels cost more limbs.
std::vector<double> fake_costs(int, int) { return {4.0, 3.0, 2.0, 1.0}; }

PruneConfig p2_config() {
  PruneConfig cfg;
  cfg.method = Method::kP2;
  cfg.finetune.epochs = 1;
  cfg.finetune.batch = 32;
  return cfg;
}

// `dense` pruned with cfg at shape t1 x t2 and fraction f, masks only.
nn::Model masked(const nn::Model& dense, const nn::Dataset& train, PruneConfig cfg, int t1, int t2, double f) {
  cfg.t1 = t1;
  cfg.t2 = t2;
  cfg.fraction = f;
  cfg.finetune.epochs = 0;
  PruneReport report;
  return prune_model(dense, train, nn::Dataset{}, cfg, report);
}

// Per-sample cost of `dense` pruned with cfg at shape t1 x t2 and fraction f (masks only), computed
// independently of the search: tiles counted on the model, weighted by cost and t1 t2.
double cost_of(const nn::Model& dense, const nn::Dataset& train, PruneConfig cfg, int t1, int t2, double f) {
  const nn::Model m = masked(dense, train, cfg, t1, t2, f);
  const auto tiles = tiles_per_layer(m, chain_tile_dims(m.layers().size(), t1, t2));
  const auto costs = fake_costs(t1, t2);
  double cost = 0;
  for (std::size_t l = 0; l < tiles.size(); ++l) cost += costs[l] * double(tiles[l].kept) * t1 * t2;
  return cost;
}

// A model cost that charges 2x4 tiles 3x (as rotations and keys charged 8x4 beyond its products).
double shape_cost(const nn::Model& m, int t1, int t2) {
  double tiles = 0;
  for (const auto& c : tiles_per_layer(m, chain_tile_dims(m.layers().size(), t1, t2))) tiles += double(c.kept);
  return tiles * t1 * t2 * (t1 == 2 && t2 == 4 ? 3.0 : 1.0);
}
}  // namespace

TEST(TileChoice, EveryCandidateMeetsTheBudgetAndTheBestValidationLossWins) {
  const nn::Dataset train = prune::testing::synthetic(256, 1);
  const nn::Dataset val = prune::testing::synthetic(96, 4);
  const nn::Model dense = prune::testing::trained_dense(train);
  const std::vector<std::pair<int, int>> shapes = {{2, 4}, {4, 2}, {2, 2}};
  const double budget = 0.5;
  const int steps = 6;
  const TileShapeChoice choice = choose_tile_shape(dense, train, val, shapes, budget, p2_config(), fake_costs, {}, steps);
  ASSERT_EQ(choice.candidates.size(), 3u);
  const double dense_cost = cost_of(dense, train, p2_config(), 2, 4, 0.0);
  const double resolution = 0.99 / (1 << steps);
  for (const auto& c : choice.candidates) {
    SCOPED_TRACE(std::to_string(c.t1) + "x" + std::to_string(c.t2));
    ASSERT_TRUE(c.fits);
    const double cost = cost_of(dense, train, p2_config(), c.t1, c.t2, c.fraction);
    EXPECT_NEAR(c.cost, cost / dense_cost, 1e-12);
    EXPECT_LE(c.cost, budget);
    // One resolution step less pruning no longer meets the budget.
    EXPECT_GT(cost_of(dense, train, p2_config(), c.t1, c.t2, c.fraction - resolution) / dense_cost, budget);
    EXPECT_LE(choice.candidates[choice.best].val_loss, c.val_loss);
  }
  const auto& best = choice.candidates[choice.best];
  EXPECT_EQ(choice.report.t1, best.t1);
  EXPECT_EQ(choice.report.t2, best.t2);
  EXPECT_DOUBLE_EQ(nn::evaluate(choice.model, val, nn::Loss::kMse).loss, best.val_loss);
}

TEST(TileChoice, RefusesAnUnreachableBudgetAndMissingValidationData) {
  const nn::Dataset train = prune::testing::synthetic(128, 1);
  const nn::Dataset val = prune::testing::synthetic(32, 4);
  const nn::Model dense = prune::testing::trained_dense(train);
  EXPECT_THROW(choose_tile_shape(dense, train, val, {{2, 4}}, 1e-4, p2_config(), fake_costs, {}, 2), InvalidArgument);
  EXPECT_THROW(choose_tile_shape(dense, train, nn::Dataset{}, {{2, 4}}, 0.5, p2_config(), fake_costs, {}, 2),
               InvalidArgument);
}

TEST(TileChoice, AModelCostIsWhatTheBudgetMeasures) {
  const nn::Dataset train = prune::testing::synthetic(256, 1);
  const nn::Dataset val = prune::testing::synthetic(96, 4);
  const nn::Model dense = prune::testing::trained_dense(train);
  const std::vector<std::pair<int, int>> shapes = {{2, 2}, {2, 4}};
  const double budget = 0.5;
  const int steps = 6;
  const TileShapeChoice choice =
      choose_tile_shape(dense, train, val, shapes, budget, p2_config(), fake_costs, shape_cost, steps);
  const double dense_cost = shape_cost(dense, 2, 2);
  const double resolution = 0.99 / (1 << steps);
  for (const auto& c : choice.candidates) {
    SCOPED_TRACE(std::to_string(c.t1) + "x" + std::to_string(c.t2));
    ASSERT_TRUE(c.fits);
    const double cost = shape_cost(masked(dense, train, p2_config(), c.t1, c.t2, c.fraction), c.t1, c.t2);
    EXPECT_NEAR(c.cost, cost / dense_cost, 1e-12);
    EXPECT_LE(c.cost, budget);
    EXPECT_GT(shape_cost(masked(dense, train, p2_config(), c.t1, c.t2, c.fraction - resolution), c.t1, c.t2) /
                  dense_cost,
              budget);
  }
  // The shape the cost charges 3x must prune far more to meet the same budget (the HE cost would not see it).
  EXPECT_GT(choice.candidates[1].fraction, choice.candidates[0].fraction + 0.2);
}
