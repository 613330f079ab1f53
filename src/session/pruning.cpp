#include "session/pruning.hpp"

#include <map>
#include <memory>

#include "infer/plan.hpp"
#include "nn/job.hpp"
#include "util/error.hpp"

namespace hepex {

namespace {
// Plans made for their cost alone: the precision check (seconds of simulation per plan) would only move the
// choice among patterns of about the same cost.
infer::PlanOptions cost_only() {
  infer::PlanOptions options;
  options.precision_check = false;
  return options;
}
}  // namespace

std::vector<double> he_tile_costs(const nn::Model& model, int t1, int t2) {
  const infer::Plan plan =
      infer::make_plan(model, static_cast<std::size_t>(t1), static_cast<std::size_t>(t2), 1, cost_only());
  std::vector<double> costs;
  for (const auto& layer : plan.layers) costs.push_back(static_cast<double>(layer.level_in + 1));
  return costs;
}

HeCost he_cost(const prune::PruneReport& report, const std::vector<double>& tile_costs) {
  if (tile_costs.size() != report.layers.size())
    throw MismatchError("HE cost: " + std::to_string(tile_costs.size()) + " tile costs for a pruning report of " +
                        std::to_string(report.layers.size()) + " layers");
  HeCost c;
  for (std::size_t l = 0; l < tile_costs.size(); ++l) {
    c.kept += tile_costs[l] * static_cast<double>(report.layers[l].after);
    c.total += tile_costs[l] * static_cast<double>(report.layers[l].total);
  }
  return c;
}

namespace {
constexpr std::size_t kPlannedBatch = 256;  // the demo's batch: estimates are per inference of that many samples

// The plan whose estimate the cost proxies read: 256 samples, without the precision check, in `layout` (unset:
// the planner's choice).
infer::Plan plan_for_cost(const nn::Model& m, int t1, int t2, std::optional<tile::BatchLayout> layout) {
  infer::PlanOptions options = cost_only();
  options.batch_layout = layout;
  return infer::make_plan(m, static_cast<std::size_t>(t1), static_cast<std::size_t>(t2), kPlannedBatch, options);
}
}  // namespace

std::optional<PlannedLatency> planned_latency(const nn::Model& dense, const nn::Model& pruned, int t1, int t2) {
  try {
    const infer::Plan dense_plan = plan_for_cost(dense, t1, t2, std::nullopt);
    // The pruned model in the dense one's batch layout: left to choose, the planner may take the batch
    // innermost once the pruned weights fit in memory (more precision, gigabytes of plaintexts), and the
    // two estimates would compare layouts, not models.
    return PlannedLatency{dense_plan.est_latency_preencoded_s,
                          plan_for_cost(pruned, t1, t2, dense_plan.batch_layout).est_latency_preencoded_s};
  } catch (const Error&) {
    return std::nullopt;
  }
}

prune::ModelCostFn planned_latency_cost(const nn::Model& dense) {
  auto layouts = std::make_shared<std::map<std::pair<int, int>, tile::BatchLayout>>();  // the dense plan's, per shape
  return [dense, layouts](const nn::Model& m, int t1, int t2) {
    auto it = layouts->find({t1, t2});
    if (it == layouts->end())
      it = layouts->emplace(std::pair{t1, t2}, plan_for_cost(dense, t1, t2, std::nullopt).batch_layout).first;
    try {
      return plan_for_cost(m, t1, t2, it->second).est_latency_preencoded_s;
    } catch (const InvalidArgument&) {  // the output no longer depends on the input
      return 0.0;
    }
  };
}

prune::PruneConfig prune_config_for(const nn::Model& dense, prune::PruneConfig config, bool cost_aware,
                                    std::uint64_t seed) {
  if (cost_aware) config.layer_cost = he_tile_costs(dense, config.t1, config.t2);
  config.finetune.loss = nn::loss_for(nn::infer_task(dense));
  config.finetune.seed = seed;
  return config;
}

nlohmann::json prune_report_json(const prune::PruneReport& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : r.layers) layers.push_back({{"tiles_before", l.before}, {"tiles_after", l.after}, {"tiles_total", l.total}});
  return {{"method", r.method},
          {"fraction", r.fraction},
          {"tile", std::to_string(r.t1) + "x" + std::to_string(r.t2)},
          {"tiles_kept", r.tiles_kept},
          {"tiles_total", r.tiles_total},
          {"permute_tiles_before", r.permute_tiles_before},
          {"permute_tiles_after", r.permute_tiles_after},
          {"weight_density", r.weight_density},
          {"finetune_epochs", r.finetune_epochs},
          {"finetune_phases", r.finetune_phases},
          {"layers", layers}};
}

}  // namespace hepex
