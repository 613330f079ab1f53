#pragma once
// Choosing the tile shape together with the pruning (issue 14): for a budget of cost per sample, every
// candidate shape is pruned just enough to fit it, fine-tuned, and judged on validation data; the best wins.
// The cost: a model cost (ModelCostFn: the planner's latency estimate, session/pruning.hpp), or the HE cost
// per sample, tiles x limbs x t1 t2 / slots (a t1 x t2 tile leaves slots / (t1 t2) samples per
// ciphertext). The HE cost misses what a shape does per ciphertext beyond its products (rotations, keys):
// at the same HE cost and quality, 8x4 ran 1.49x slower than 4x8 (docs/RESULTS.md, issue 14 part 9).
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "nn/dataset.hpp"
#include "nn/model.hpp"
#include "prune/pipeline.hpp"

namespace hepex::prune {

// HE cost of one weight tile per layer at tile shape t1 x t2 (the session's he_tile_costs: RNS limbs).
using TileCostFn = std::function<std::vector<double>(int t1, int t2)>;
// The cost of serving samples with `model` (masks applied, as pruning leaves it) at tile t1 x t2, the same
// number of samples for every shape (e.g. the planner's latency estimate for a batch).
using ModelCostFn = std::function<double(const nn::Model& model, int t1, int t2)>;

struct TileShapeCandidate {
  int t1 = 0, t2 = 0;
  bool fits = false;           // false: even the largest fraction searched does not meet the budget
  double fraction = 0;         // the smallest fraction found that meets the budget
  double cost = 0;             // cost kept, as a fraction of the dense model's at the first shape
  double val_loss = std::numeric_limits<double>::quiet_NaN();  // after fine-tuning (fitting candidates only)
};

struct TileShapeChoice {
  std::vector<TileShapeCandidate> candidates;  // in the order of the shapes given
  std::size_t best = 0;                        // the fitting candidate of least validation loss
  nn::Model model;                             // its pruned, fine-tuned model
  PruneReport report;
};

// Per-sample HE cost of a pruning result at its tile shape (report.t1, report.t2): tiles kept x tile cost
// x t1 t2 (dense: use the report's totals with kept = false).
double per_sample_cost(const PruneReport& report, const std::vector<double>& tile_costs, bool kept = true);

// `budget`: a fraction of the dense model's cost at shapes[0]: `model_cost`'s, or without one the per-sample
// HE cost. `config` gives the method and the fine-tuning; its tile shape and fraction are set per candidate,
// and a cost-aware ranking (config.layer_cost not empty) gets each shape's own tile costs. The fraction is
// bisected `search_steps` times on masks alone (no fine-tuning) within [0, max_fraction], assuming the cost
// falls as it grows. `val` must not be empty. Throws InvalidArgument when no shape fits the budget.
TileShapeChoice choose_tile_shape(const nn::Model& dense, const nn::Dataset& train, const nn::Dataset& val,
                                  const std::vector<std::pair<int, int>>& shapes, double budget, PruneConfig config,
                                  const TileCostFn& tile_costs, const ModelCostFn& model_cost = {},
                                  int search_steps = 8, double max_fraction = 0.99);

}  // namespace hepex::prune
