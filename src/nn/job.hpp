#pragma once
// A whole training run as the CLI verbs (train, demo) and experiment drivers describe it: architecture,
// data set by name, task, noise, split, seed and trainer settings -> trained model, history, test result.
#include <string>

#include "nn/dataset.hpp"
#include "nn/model.hpp"
#include "nn/trainer.hpp"

namespace hepex::nn {

enum class Task { kAutoencoder, kClassifier };

// "autoencoder" / "classifier" (also "ae", "mlp"); throws InvalidArgument otherwise.
Task parse_task(const std::string& text);
const char* task_name(Task task);
Loss loss_for(Task task);
// A model whose output width equals its input width is an autoencoder, otherwise a classifier.
Task infer_task(const Model& model);
// The same rule for an architecture string (throws InvalidArgument for a bad one).
Task infer_task(const std::string& arch);

struct TrainJob {
  std::string arch = "784-256-64-256-784:poly2";
  std::string data = "mnist";  // resolve_data_dir() name or a directory
  Task task = Task::kAutoencoder;
  float noise = 0.f;     // > 0: denoising autoencoder, inputs + N(0, noise^2) clipped to [0, 1]
  int noise_copies = 1;  // noisy copies per training image
  double val_split = 0.1;
  std::uint64_t seed = 1;  // initial weights, split, noise and shuffling
  TrainConfig config;      // config.loss and config.seed are set from task and seed
};

// Loads train/test data for a job (noisy when job.noise > 0; the test set gets its own noise seed).
struct JobData {
  Dataset train, val, test;
};
JobData load_job_data(const TrainJob& job);
// Test data for evaluating a saved model the way `job` trained it.
Dataset load_test_data(const std::string& data, float noise, std::uint64_t seed);

struct TrainJobResult {
  Model model;
  History history;
  EvalResult test;
};

// Bump when a change to the trainer, the initialisation or the data pipeline changes what a job trains:
// trained models cached by fingerprint (hepex demo) are then trained afresh.
inline constexpr std::uint32_t kTrainerVersion = 1;
// Fingerprint of everything that determines the model a job trains: architecture, data set (by canonical
// name), task, noise, split, seed, every TrainConfig setting and kTrainerVersion. Equal jobs, equal value.
std::uint64_t train_job_fingerprint(const TrainJob& job);

// Trains; the model records the job's data set (canonical_data_name).
TrainJobResult run_train_job(const TrainJob& job, const EpochCallback& on_epoch = {},
                             const BatchCallback& on_batch = {});

// "epoch 3/20  loss 0.01234  val 0.01250  lr 1e-03  2.1 s" (accuracy for classifiers).
std::string format_epoch(const EpochStats& s, int epochs, Loss loss);
// "epoch 3/20   45%  loss 0.01240" (the in-place line within an epoch).
std::string format_batch(int epoch, int epochs, double fraction, double loss);
// "test MSE 0.007312" or "test loss 0.0812  accuracy 97.53%".
std::string format_eval(const EvalResult& r, Loss loss);

}  // namespace hepex::nn
