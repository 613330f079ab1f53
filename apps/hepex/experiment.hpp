#pragma once
// The pruning sweep behind `hepex experiment`: for every architecture, train (or reuse) the dense model;
// for every tile shape x method x fraction, prune and fine-tune; compare with the dense model fine-tuned
// for the same number of epochs; then measure real encrypted inference for the dense model and for the
// best pruned model at each quality bound. Writes results.csv, results.md and a gnuplot plot.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nn/model.hpp"
#include "prune/pipeline.hpp"

namespace hepex::cli {

// "experiment-20261129-051500" (UTC now): the default output directory, so a run never lands in the
// committed results/ (or an earlier run) by accident.
std::string new_experiment_dir_name();

struct ExperimentConfig {
  std::vector<std::string> archs{"784-256-64-256-784:poly2"};
  std::vector<std::string> tiles{"4x8"};
  std::vector<std::string> methods{"P1", "P2", "P3", "P4", "P4E"};
  std::vector<double> fractions{0.5, 0.7, 0.8, 0.9, 0.95};
  std::vector<double> bounds{1.5e-5};  // delta-MSE quality bounds for the encrypted comparison
  std::string data = "mnist";
  std::string out_dir = new_experiment_dir_name();
  bool overwrite = false;  // run into a non-empty out_dir (its results are replaced, its dense models reused)
  int dense_epochs = 20;
  float dense_lr_decay = 1.0f;
  prune::PruneConfig prune;  // method, tile, fraction are overwritten per point
  std::uint64_t seed = 1;
  bool he = true;            // run encrypted inference for the dense and best pruned models
  std::size_t he_batch = 256;
  std::string he_weights = "pre-encoded";  // one weight mode for every run, so runs compare
  std::string tag;                         // appended to method names ("P4E/sal+long"): marks other settings
};

struct HeMeasurement {
  double latency_s = 0;
  double peak_rss_bytes = 0;
  double model_bytes = 0;
};

struct ExperimentRow {
  std::string arch, tile, method;
  double fraction = 0;
  long tiles_kept = 0, tiles_total = 0;
  double cost_kept = 0, cost_total = 0;  // tiles weighted by their HE cost (RNS limbs at their level)
  double delta_mse = 0, mse_pruned = 0, mse_dense = 0, weight_density = 0;
  int finetune_epochs = 0, finetune_phases = 0;
  std::optional<HeMeasurement> he;
  std::string model_path;
};

// Runs one encrypted inference of `model` with tile shape `tile` (e.g. "4x8") and batch `batch`
// (ExperimentConfig::he_weights binds the weight mode).
using HeRunner = std::function<HeMeasurement(const nn::Model& model, const std::string& tile, std::size_t batch)>;

// Throws InvalidArgument, before any work, when config.out_dir is a non-empty directory and not
// config.overwrite.
std::vector<ExperimentRow> run_experiment(const ExperimentConfig& config, const HeRunner& he_runner);

// Rewrites <out_dir>/results.md and the plots from <out_dir>/results.csv (e.g. several sweeps' CSVs
// concatenated); runs nothing. Throws IoError / FormatError naming the file and line.
std::vector<ExperimentRow> replot_experiment(const std::string& out_dir, const std::vector<double>& bounds);

// Recomputes the dense baselines (mse_dense, delta_mse) of <out_dir>/results.csv with the configured
// fine-tuning and the dense models cached in out_dir (trained by an earlier run with the same settings),
// then rewrites the CSV, table and plots; prunes nothing. For results made before the baseline matched the
// pruned models' phases: a row's phases are its fine-tuning epochs over the epochs per phase.
std::vector<ExperimentRow> rebaseline_experiment(const ExperimentConfig& config);

}  // namespace hepex::cli
