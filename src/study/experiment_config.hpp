#pragma once
// What a pruning study sweeps and what each of its points records. One struct holds every setting, so a
// new training or pruning method is a new field here (and in prune::PruneConfig), not a new signature.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nn/model.hpp"
#include "prune/pipeline.hpp"

namespace hepex::study {

// "experiment-20261129-051500" (UTC now): the default output directory, so a run never lands in the
// committed results/ (or an earlier run) by accident.
std::string new_experiment_dir_name();

struct ExperimentConfig {
  std::vector<std::string> archs{"784-256-64-256-784:poly2"};
  std::vector<std::string> tiles{"4x8"};
  std::vector<std::string> methods{"P1", "P2", "P3", "P4", "P4E"};  // "P3/sal": saliency per HE cost
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
  bool quiet = false;                      // no progress lines on stderr
};

struct HeMeasurement {
  double latency_s = 0;
  double peak_rss_bytes = 0;
  double model_bytes = 0;
};

// One point of the sweep: a row of results.csv.
struct ExperimentRow {
  std::string arch, tile, method;
  double fraction = 0;
  long tiles_kept = 0, tiles_total = 0;
  double cost_kept = 0, cost_total = 0;  // tiles weighted by their HE cost (RNS limbs at their level)
  double delta_mse = 0, mse_pruned = 0, mse_dense = 0, weight_density = 0;
  int finetune_epochs = 0, finetune_phases = 0;
  std::optional<HeMeasurement> he;
  std::string model_path;  // not in the CSV
};

// Runs one encrypted inference of `model` with tile shape `tile` (e.g. "4x8") and batch `batch`
// (ExperimentConfig::he_weights binds the weight mode): study/he_measurement.hpp has two.
using HeRunner = std::function<HeMeasurement(const nn::Model& model, const std::string& tile, std::size_t batch)>;

// A method of the sweep: "P3" or "P3/sal" (saliency per HE cost). Throws InvalidArgument for another suffix.
struct MethodSpec {
  prune::Method method;
  bool saliency = false;
};
MethodSpec parse_method_spec(const std::string& text);

}  // namespace hepex::study
