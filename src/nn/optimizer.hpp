#pragma once
// First-order optimizers over a Model's parameters. Masked weights stay exactly zero: their gradient is
// masked, their moments therefore stay zero, and the weight is re-masked after every step.
#include <memory>
#include <vector>

#include "nn/gradients.hpp"

namespace hepex::nn {

enum class OptimizerKind { kAdam, kSgd };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kAdam;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-7f;  // Adam
  float momentum = 0.9f;                               // SGD (classical momentum; 0 = plain SGD)
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update with learning rate lr.
  virtual void step(Model& model, std::vector<LayerGradients>& grads, float lr) = 0;
};

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, const Model& model);

}  // namespace hepex::nn
