#pragma once
// What `hepex prune` and the Python module share around prune::prune_model: the configuration completed
// for a model (loss for its task, seeds, HE-cost weighting) and the report as JSON.
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/model.hpp"
#include "prune/pipeline.hpp"
#include "prune/tile_choice.hpp"

namespace hepex {

// HE cost of one weight tile per layer of `model` at tile shape t1 x t2: the RNS limbs of the level its
// plaintexts are encoded at (the planner's), which both their memory and ct x pt time scale with.
std::vector<double> he_tile_costs(const nn::Model& model, int t1, int t2);

// The HE cost a pruning result keeps: its tiles per layer weighted by `tile_costs` (he_tile_costs of the
// dense model), against the dense model's.
struct HeCost {
  double kept = 0, total = 0;
};
HeCost he_cost(const prune::PruneReport& report, const std::vector<double>& tile_costs);

// The planner's latency estimate (infer::make_plan, 256 samples, pre-encoded weights, its cost model) for
// the dense and the pruned model at tile t1 x t2, both in the dense plan's batch layout. Unlike the HE cost
// it charges what a layer does per live tile row (rotations, rescales, squares), which pruning only saves
// when a whole row empties, so it is the closer proxy for what pruning buys under encryption
// (docs/RESULTS.md, issue 14). nullopt when the planner refuses either model (e.g. no secure ring holds
// its depth).
struct PlannedLatency {
  double dense_s = 0, pruned_s = 0;
};
std::optional<PlannedLatency> planned_latency(const nn::Model& dense, const nn::Model& pruned, int t1, int t2);

// The same estimate as a cost for the tile-shape choice (prune::choose_tile_shape): a model at tile t1 x t2,
// in the batch layout the planner gives `dense` at that shape. It charges what a shape does per ciphertext
// beyond its products (rotations, key switches), which the HE cost leaves out. A model the planner refuses
// as constant (every tile row of a layer pruned) costs 0: nothing is left to serve.
prune::ModelCostFn planned_latency_cost(const nn::Model& dense);

// `config` completed for `dense`: the loss of its task (same widths in and out: MSE, else cross-entropy),
// the fine-tuning seed, and with `cost_aware` the per-layer tile costs (he_tile_costs at config's tile).
prune::PruneConfig prune_config_for(const nn::Model& dense, prune::PruneConfig config, bool cost_aware,
                                    std::uint64_t seed);

// method, fraction, tile, tiles kept/total (per layer too), the permutation's gain, weight density and
// fine-tuning epochs: the fields of `hepex prune --report` that do not need a test set.
nlohmann::json prune_report_json(const prune::PruneReport& report);

}  // namespace hepex
