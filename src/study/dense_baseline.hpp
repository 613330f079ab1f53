#pragma once
// The dense side of a study: each architecture's data and dense model (trained once, cached in the
// output directory), and the baselines pruned models are compared with.
#include <map>
#include <string>

#include "nn/job.hpp"
#include "study/experiment_config.hpp"
#include "util/progress.hpp"

namespace hepex::study {

// The data of an architecture and its dense model.
struct DenseSetup {
  nn::JobData data;
  nn::Model model;
  std::string path;  // where the dense model is cached
};

// <out_dir>/dense_<arch>_e<epochs>[_d<decay>]_s<seed>.hpx: reused when present (InvalidArgument when it was
// trained on another data set than config.data), else trained and saved there.
std::string dense_model_path(const ExperimentConfig& config, const std::string& arch);
DenseSetup dense_setup(const ExperimentConfig& config, const std::string& arch, ProgressLine& progress);

// The baseline rule: a model pruned with k fine-tuning phases is compared with the dense model fine-tuned
// for the same k phases (config.prune.finetune each), so delta MSE measures pruning, not extra training.
// Each k is computed once.
class Baselines {
 public:
  Baselines(const ExperimentConfig& config, const nn::Model& dense, const nn::JobData& data, ProgressLine& progress)
      : config_(config), dense_(dense), data_(data), progress_(progress) {}
  // Test MSE of the dense model after `phases` phases of fine-tuning (0: the dense model itself).
  double after(int phases);

 private:
  const ExperimentConfig& config_;
  const nn::Model& dense_;
  const nn::JobData& data_;
  ProgressLine& progress_;
  std::map<int, double> cache_;
};

}  // namespace hepex::study
