#include "session/pruning.hpp"

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

std::optional<PlannedLatency> planned_latency(const nn::Model& dense, const nn::Model& pruned, int t1, int t2) {
  constexpr std::size_t kBatch = 256;  // the demo's batch: the estimate is per inference of that many samples
  infer::PlanOptions options = cost_only();
  try {
    const auto plan = [&](const nn::Model& m) {
      return infer::make_plan(m, static_cast<std::size_t>(t1), static_cast<std::size_t>(t2), kBatch, options);
    };
    const infer::Plan dense_plan = plan(dense);
    // The pruned model in the dense one's batch layout: left to choose, the planner may take the batch
    // innermost once the pruned weights fit in memory (more precision, gigabytes of plaintexts), and the
    // two estimates would compare layouts, not models.
    options.batch_layout = dense_plan.batch_layout;
    return PlannedLatency{dense_plan.est_latency_preencoded_s, plan(pruned).est_latency_preencoded_s};
  } catch (const Error&) {
    return std::nullopt;
  }
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
