#include "study/dense_baseline.hpp"

#include <filesystem>

#include "nn/dataset.hpp"
#include "study/format.hpp"
#include "util/error.hpp"

namespace hepex::study {

std::string dense_model_path(const ExperimentConfig& config, const std::string& arch) {
  return config.out_dir + "/dense_" + slug(arch) + "_e" + std::to_string(config.dense_epochs) +
         (config.dense_lr_decay != 1.0f ? "_d" + format_number(config.dense_lr_decay, "%g") : "") + "_s" +
         std::to_string(config.seed) + ".hpx";
}

DenseSetup dense_setup(const ExperimentConfig& config, const std::string& arch, ProgressLine& progress) {
  nn::TrainJob job;
  job.arch = arch;
  job.data = config.data;
  job.seed = config.seed;
  job.config.epochs = config.dense_epochs;
  job.config.lr_decay = config.dense_lr_decay;
  DenseSetup s;
  s.data = nn::load_job_data(job);
  s.path = dense_model_path(config, arch);
  if (std::filesystem::exists(s.path)) {
    s.model = nn::Model::load(s.path);
    const std::string data = nn::canonical_data_name(config.data);
    if (!s.model.data_set().empty() && s.model.data_set() != data)
      throw InvalidArgument("experiment: the cached dense model " + s.path + " was trained on " + s.model.data_set() +
                            ", not " + data + "; use another --out");
    progress.step("reusing " + s.path);
  } else {
    progress.step("training dense " + arch);
    s.model = nn::run_train_job(job, [&](const nn::EpochStats& e) {
                progress.step("dense " + nn::format_epoch(e, config.dense_epochs, nn::Loss::kMse));
              }).model;
    s.model.save(s.path);
  }
  return s;
}

double Baselines::after(int phases) {
  if (auto it = cache_.find(phases); it != cache_.end()) return it->second;
  if (phases > 0)
    progress_.step("dense baseline: " + std::to_string(phases) + " x " + std::to_string(config_.prune.finetune.epochs) +
                   " epochs");
  nn::TrainConfig tc = config_.prune.finetune;
  tc.loss = nn::Loss::kMse;
  return cache_[phases] = prune::equally_trained_dense_loss(dense_, data_.train, data_.val, data_.test, tc, phases);
}

}  // namespace hepex::study
