#include "prune/tile_choice.hpp"

#include <string>

#include "util/error.hpp"

namespace hepex::prune {

double per_sample_cost(const PruneReport& report, const std::vector<double>& tile_costs, bool kept) {
  if (tile_costs.size() != report.layers.size())
    throw MismatchError("per-sample HE cost: " + std::to_string(tile_costs.size()) + " tile costs for " +
                        std::to_string(report.layers.size()) + " layers");
  double cost = 0;
  for (std::size_t l = 0; l < tile_costs.size(); ++l)
    cost += tile_costs[l] * static_cast<double>(kept ? report.layers[l].after : report.layers[l].total);
  return cost * report.t1 * report.t2;
}

namespace {

// The candidate's configuration at a fraction; masks only (no fine-tuning) when `masks_only`.
PruneConfig at(PruneConfig config, double fraction, bool masks_only) {
  config.fraction = fraction;
  if (masks_only) config.finetune.epochs = 0;
  return config;
}

}  // namespace

TileShapeChoice choose_tile_shape(const nn::Model& dense, const nn::Dataset& train, const nn::Dataset& val,
                                  const std::vector<std::pair<int, int>>& shapes, double budget, PruneConfig config,
                                  const TileCostFn& tile_costs, const ModelCostFn& model_cost, int search_steps,
                                  double max_fraction) {
  if (shapes.empty()) throw InvalidArgument("tile shape choice: no candidate shapes");
  if (!(budget > 0)) throw InvalidArgument("tile shape choice: the cost budget must be positive");
  if (val.size() == 0) throw InvalidArgument("tile shape choice: it chooses on validation data, and none was given");
  if (!(max_fraction > 0 && max_fraction < 1) || search_steps < 1)
    throw InvalidArgument("tile shape choice: the fraction search needs max_fraction in (0, 1) and a step");
  const bool cost_aware = !config.layer_cost.empty();
  TileShapeChoice choice;
  double reference = 0;  // the dense model's cost at shapes[0]
  bool found = false;
  for (const auto& shape : shapes) {
    const int t1 = shape.first, t2 = shape.second;  // not a structured binding: the cost lambda captures them
    PruneConfig c = config;
    c.t1 = t1;
    c.t2 = t2;
    const std::vector<double> costs = tile_costs(t1, t2);
    if (cost_aware) c.layer_cost = costs;
    PruneReport report;
    const auto cost_at = [&](double fraction) {
      const nn::Model masked = prune_model(dense, train, val, at(c, fraction, true), report);
      if (model_cost) {
        if (reference == 0) reference = model_cost(dense, t1, t2);
        return model_cost(masked, t1, t2) / reference;
      }
      if (reference == 0) reference = per_sample_cost(report, costs, false);
      return per_sample_cost(report, costs) / reference;
    };
    TileShapeCandidate cand{t1, t2};
    // Bisection: `hi` always meets the budget (once it is known to), `lo` does not.
    double lo = 0, hi = max_fraction;
    cand.cost = cost_at(hi);
    cand.fits = cand.cost <= budget;
    if (cand.fits && cost_at(lo) > budget) {
      for (int s = 0; s < search_steps; ++s) {
        const double mid = 0.5 * (lo + hi);
        (cost_at(mid) <= budget ? hi : lo) = mid;
      }
      cand.cost = cost_at(hi);
    } else if (cand.fits) {
      hi = 0;
      cand.cost = cost_at(0);
    }
    cand.fraction = hi;
    if (cand.fits) {
      PruneReport tuned_report;
      nn::Model tuned = prune_model(dense, train, val, at(c, hi, false), tuned_report);
      cand.val_loss = nn::evaluate(tuned, val, c.finetune.loss).loss;
      if (!found || cand.val_loss < choice.candidates[choice.best].val_loss) {
        choice.best = choice.candidates.size();
        choice.model = std::move(tuned);
        choice.report = std::move(tuned_report);
        found = true;
      }
    }
    choice.candidates.push_back(cand);
  }
  if (!found)
    throw InvalidArgument("tile shape choice: no shape meets the budget of " + std::to_string(budget) + " of the dense " +
                          (model_cost ? "model's cost" : "per-sample HE cost") + ", even at fraction " +
                          std::to_string(max_fraction));
  return choice;
}

}  // namespace hepex::prune
