#pragma once
// Minibatch training of a Model: Adam or SGD with momentum, MSE (reconstruction) or softmax cross-entropy
// (classification), step decay of the learning rate, early stopping on a validation set, optional global
// gradient-norm clipping. Masked weights stay exactly zero. Deterministic for a seed and a thread count.
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "nn/dataset.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"
#include "nn/optimizer.hpp"

namespace hepex::nn {

// Knowledge distillation: loss = (1 - alpha) task + alpha distill, distill = MSE to the teacher's outputs
// (reconstruction) or soft-target cross-entropy at `temperature` (classification); see loss.hpp. The
// validation loss stays the task's alone, so selection never rewards imitating the teacher.
struct DistillConfig {
  const Model* teacher = nullptr;  // same input and output widths as the student; null: off
  float alpha = 0.f;               // in [0, 1]
  float temperature = 1.f;         // > 0
  bool active() const { return teacher != nullptr && alpha > 0.f; }
};

struct TrainConfig {
  OptimizerConfig optimizer;  // Adam by default
  Loss loss = Loss::kMse;     // kMse: targets = dataset.targets(); kSoftmaxCrossEntropy: dataset.labels
  float lr = 1e-3f;
  int batch = 128;
  int epochs = 20;
  float lr_decay = 1.0f;  // lr of epoch e (0-based) = lr * lr_decay^floor(e / decay_every)
  int decay_every = 1;
  int warmup_steps = 0;   // linear learning-rate warm-up over the first steps (batches); 0 = none
  int patience = 0;            // stop after this many epochs without a better validation loss; 0 = never
  float min_delta = 0.f;       // an improvement must beat the best validation loss by more than this
  bool restore_best = true;    // with a validation set: end with the weights of the best validation epoch
  float clip_norm = 0.f;       // > 0: rescale the batch gradient to at most this global L2 norm
  std::uint64_t seed = 1;      // shuffling order
  DistillConfig distill;       // off by default
};

struct EpochStats {
  int epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0;  // mean over the epoch's batches, weighted by batch size (while training)
  double val_loss = std::numeric_limits<double>::quiet_NaN();      // NaN without a validation set
  double val_accuracy = std::numeric_limits<double>::quiet_NaN();  // classification only
  double seconds = 0;
  bool best = false;  // best validation loss so far
};

struct History {
  std::vector<EpochStats> epochs;
  int best_epoch = 0;  // 1-based; 0 without a validation set
  bool stopped_early = false;
};

using EpochCallback = std::function<void(const EpochStats&)>;
// Within an epoch (about 50 calls per epoch): epoch (1-based), fraction of the epoch done, mean loss so far.
using BatchCallback = std::function<void(int epoch, double fraction, double loss)>;

// Trains `model` in place. `val` may be empty (size 0). Throws InvalidArgument for shapes that do not fit
// the model, Error if the loss becomes non-finite (diverged).
History train(Model& model, const Dataset& train, const Dataset& val, const TrainConfig& config,
              const EpochCallback& on_epoch = {}, const BatchCallback& on_batch = {});

struct EvalResult {
  double loss = 0;      // of the given kind
  double mse = std::numeric_limits<double>::quiet_NaN();       // reconstruction MSE (kMse)
  double accuracy = std::numeric_limits<double>::quiet_NaN();  // fraction correct (kSoftmaxCrossEntropy)
};

// Loss (and accuracy) of the model on a dataset, in original order (permutations applied).
EvalResult evaluate(const Model& model, const Dataset& data, Loss loss);

}  // namespace hepex::nn
