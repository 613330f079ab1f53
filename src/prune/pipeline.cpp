#include "prune/pipeline.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "prune/tiling.hpp"
#include "util/error.hpp"

namespace hepex::prune {

Method parse_method(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::toupper(c); });
  for (Method m : all_methods())
    if (t == method_name(m)) return m;
  throw InvalidArgument("pruning method '" + text + "': expected one of P1, P2, P3, P4, P4E");
}

const char* method_name(Method m) {
  switch (m) {
    case Method::kP1: return "P1";
    case Method::kP2: return "P2";
    case Method::kP3: return "P3";
    case Method::kP4: return "P4";
    case Method::kP4E: return "P4E";
  }
  return "?";
}

std::vector<Method> all_methods() { return {Method::kP1, Method::kP2, Method::kP3, Method::kP4, Method::kP4E}; }

Schedule parse_schedule(const std::string& text) {
  if (text == "linear") return Schedule::kLinear;
  if (text == "cubic") return Schedule::kCubic;
  throw InvalidArgument("pruning schedule '" + text + "': expected linear or cubic");
}

const char* schedule_name(Schedule s) { return s == Schedule::kLinear ? "linear" : "cubic"; }

std::vector<double> schedule_fractions(double fraction, int steps, Schedule schedule) {
  if (steps < 1) throw InvalidArgument("gradual pruning needs at least one step, got " + std::to_string(steps));
  std::vector<double> out;
  for (int i = 1; i <= steps; ++i) {
    const double done = double(i) / steps, left = 1.0 - done;
    out.push_back(i == steps ? fraction
                             : schedule == Schedule::kLinear ? fraction * done : fraction * (1.0 - left * left * left));
  }
  return out;
}

std::vector<int> split_epochs(int epochs, int steps) {
  if (steps < 1) throw InvalidArgument("gradual pruning needs at least one step, got " + std::to_string(steps));
  std::vector<int> out;
  for (int i = 1; i <= steps; ++i) out.push_back(epochs * i / steps - epochs * (i - 1) / steps);
  return out;
}

namespace {

std::string fmt_fraction(double f) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", f);
  return buf;
}

class Run {
 public:
  Run(const nn::Model& teacher, const nn::Dataset& train, const nn::Dataset& val, const PruneConfig& config,
      PruneReport& report, const PhaseCallback& on_phase, const nn::EpochCallback& on_epoch)
      : teacher_(teacher), train_(train), val_(val), config_(config), report_(report), on_phase_(on_phase),
        on_epoch_(on_epoch) {}

  void phase(const std::string& what) const {
    if (on_phase_) on_phase_(what);
  }

  // One fine-tuning phase of `epochs` epochs (the configured per-phase count unless a schedule splits it).
  void finetune(nn::Model& model, int epochs = -1) {
    if (epochs < 0) epochs = config_.finetune.epochs;
    if (epochs <= 0) return;
    phase("fine-tune " + std::to_string(epochs) + " epochs");
    nn::TrainConfig tc = config_.finetune;
    tc.epochs = epochs;
    tc.seed = phase_seed(config_.finetune.seed, report_.finetune_epochs);
    if (tc.distill.alpha > 0.f) tc.distill.teacher = &teacher_;
    const nn::History h = nn::train(model, train_, val_, tc, [&](const nn::EpochStats& s) {
      report_.history.push_back(s);
      if (on_epoch_) on_epoch_(s);
    });
    report_.finetune_epochs += static_cast<int>(h.epochs.size());
    report_.phase_epochs.push_back(static_cast<int>(h.epochs.size()));
    ++report_.finetune_phases;
  }

  // The ranking for the model as it is now: saliency is measured on it (its neuron order, its weights).
  Ranking ranking(const nn::Model& model) {
    Ranking r;
    r.layer_cost = config_.layer_cost;
    r.layer_cap = config_.layer_cap;
    if (config_.saliency) {
      phase("measure saliency");
      saliency_ = measure_saliency(model, train_.images, config_.finetune.seed);
      r.saliency = &saliency_;
    }
    return r;
  }

  // Gradual schedule: each step prunes to its fraction (re-ranked on the model as it is then) and fine-tunes
  // for its share of the phase's epochs. One step is the one-shot method.
  template <class PruneStep>
  void prune_gradually(nn::Model& model, PruneStep step) {
    const int steps = std::max(1, config_.steps);
    const auto fractions = schedule_fractions(config_.fraction, steps, config_.schedule);
    const auto epochs = split_epochs(config_.finetune.epochs, steps);
    for (int i = 0; i < steps; ++i) {
      phase("prune " + fmt_fraction(fractions[std::size_t(i)]));
      step(model, fractions[std::size_t(i)]);
      finetune(model, epochs[std::size_t(i)]);
    }
  }

 private:
  const nn::Model& teacher_;  // the dense model, for distillation
  const nn::Dataset& train_;
  const nn::Dataset& val_;
  const PruneConfig& config_;
  PruneReport& report_;
  const PhaseCallback& on_phase_;
  const nn::EpochCallback& on_epoch_;
  Saliency saliency_;
};

}  // namespace

nn::Model prune_model(const nn::Model& dense, const nn::Dataset& train, const nn::Dataset& val,
                      const PruneConfig& config, PruneReport& report, const PhaseCallback& on_phase,
                      const nn::EpochCallback& on_epoch) {
  if (!(config.row_fraction >= 0 && config.row_fraction < 1))
    throw InvalidArgument("row fraction " + std::to_string(config.row_fraction) + " must be in [0, 1)");
  if (config.row_fraction > 0 && config.method != Method::kP4 && config.method != Method::kP4E)
    throw InvalidArgument("tile-row pruning (row fraction " + std::to_string(config.row_fraction) +
                          ") is a step of P4 and P4E only");
  // The caps are checked before any phase runs (the rows' are used only after pruning and saliency).
  check_layer_caps(config.layer_cap, dense.layers().size(), "per-layer cap");
  check_layer_caps(config.row_layer_cap, dense.layers().size(), "row layer cap");
  if (!(config.density_threshold >= 0 && config.density_threshold < 1))
    throw InvalidArgument("density threshold " + std::to_string(config.density_threshold) + " must be in [0, 1)");
  const auto dims = chain_tile_dims(dense.layers().size(), config.t1, config.t2);
  report = PruneReport{};
  report.method = std::string(method_name(config.method)) + (config.saliency ? "/sal" : "") +
                  (config.row_fraction > 0 ? "+rows" : "");
  report.fraction = config.fraction;
  report.t1 = config.t1;
  report.t2 = config.t2;
  const auto before = tiles_per_layer(dense, dims);

  Run run(dense, train, val, config, report, on_phase, on_epoch);
  nn::Model model = dense;
  nn::Model reference = dense;  // dense weights in the model's current neuron order (for expansion)

  const auto permute = [&](const nn::Model& guide) {
    run.phase("permute");
    const PermuteResult r = optimize_permutation(guide, dims, config.permute);
    report.permute_tiles_before = r.tiles_before;
    report.permute_tiles_after = r.tiles_after;
    apply_permutation(model, r.permutation);
    apply_permutation(reference, r.permutation);
  };

  switch (config.method) {
    case Method::kP1:
      run.prune_gradually(model, [&](nn::Model& m, double f) { prune_unstructured(m, f, config.scope, run.ranking(m)); });
      break;
    case Method::kP2:
      run.prune_gradually(model, [&](nn::Model& m, double f) {
        prune_tiles(m, dims, f, config.scope, config.score, run.ranking(m));
      });
      break;
    case Method::kP3: {
      nn::Model guide = dense;
      prune_unstructured(guide, config.guide_fraction > 0 ? config.guide_fraction : config.fraction, config.scope,
                         run.ranking(guide));
      permute(guide);
      run.prune_gradually(model, [&](nn::Model& m, double f) {
        prune_tiles(m, dims, f, config.scope, config.score, run.ranking(m));
      });
      break;
    }
    case Method::kP4:
    case Method::kP4E: {
      run.prune_gradually(model, [&](nn::Model& m, double f) { prune_unstructured(m, f, config.scope, run.ranking(m)); });
      permute(model);
      run.phase("drop tiles at density <= " + fmt_fraction(config.density_threshold));
      drop_sparse_tiles(model, dims, config.density_threshold, run.ranking(model).saliency);
      if (config.row_fraction > 0) {
        run.phase("prune tile rows " + fmt_fraction(config.row_fraction));
        Ranking rows = run.ranking(model);
        rows.layer_cap = config.row_layer_cap;
        prune_tile_rows(model, dims, config.row_fraction, config.scope, rows);
      }
      if (config.method == Method::kP4E) {
        run.phase("expand");
        expand_tiles(model, reference, dims);
      }
      run.finetune(model);
      break;
    }
  }

  const auto after = tiles_per_layer(model, dims);
  for (std::size_t l = 0; l < after.size(); ++l) {
    report.layers.push_back({before[l].kept, after[l].kept, after[l].total});
    report.tiles_kept += after[l].kept;
    report.tiles_total += after[l].total;
  }
  report.weight_density = weight_density(model);
  return model;
}

std::uint64_t phase_seed(std::uint64_t seed, int epochs_before) {
  return seed + static_cast<std::uint64_t>(epochs_before);
}

double equally_trained_dense_loss(const nn::Model& dense, const nn::Dataset& train, const nn::Dataset& val,
                                  const nn::Dataset& test, const nn::TrainConfig& finetune, int phases,
                                  const nn::EpochCallback& on_epoch) {
  const std::vector<int> phase_epochs(std::size_t(std::max(0, phases)), finetune.epochs);
  return nn::evaluate(equally_trained_dense(dense, train, val, finetune, phase_epochs, on_epoch), test, finetune.loss)
      .loss;
}

nn::Model equally_trained_dense(const nn::Model& dense, const nn::Dataset& train, const nn::Dataset& val,
                                const nn::TrainConfig& finetune, const std::vector<int>& phase_epochs,
                                const nn::EpochCallback& on_epoch) {
  nn::Model tuned = dense;
  int epochs = 0;
  for (const int phase : phase_epochs) {
    if (phase <= 0) continue;
    nn::TrainConfig tc = finetune;
    tc.epochs = phase;
    tc.seed = phase_seed(finetune.seed, epochs);
    if (tc.distill.alpha > 0.f) tc.distill.teacher = &dense;
    epochs += static_cast<int>(nn::train(tuned, train, val, tc, on_epoch).epochs.size());
  }
  return tuned;
}

}  // namespace hepex::prune
