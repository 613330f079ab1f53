#pragma once
// Backpropagation through a Model for one batch.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "nn/loss.hpp"
#include "nn/model.hpp"

namespace hepex::nn {

// Gradients of the loss with respect to every trainable parameter, shaped like the model.
struct LayerGradients {
  Matrix W;                          // out x in (zero where the layer's mask is 0)
  Vector b;                          // out
  std::array<float, 3> poly{};       // poly2 {a, b, c}; zero unless the activation is trainable
};

// What a batch is compared with: reconstruction targets (features x batch) or class labels; optionally a
// teacher's outputs for knowledge distillation, loss = (1 - alpha) task + alpha distillation_loss (loss.hpp).
struct BatchTarget {
  const Matrix* values = nullptr;
  std::span<const std::uint8_t> labels;
  const Matrix* teacher = nullptr;  // outputs x batch, model order; null: no distillation
  float alpha = 0.f;
  float temperature = 1.f;          // classification only
};

// Reusable buffers for forward/backward; one per training loop.
class Backprop {
 public:
  // x: input batch in model order, features x batch. Fills grads (resized as needed) with the gradient of
  // weight * loss, returns the (unweighted) mean loss of this batch. The weight lets a batch split into
  // shards sum to the gradient of the whole batch (weight = shard size / batch size).
  double run(const Model& model, const Matrix& x, Loss loss, const BatchTarget& target,
             std::vector<LayerGradients>& grads, float weight = 1.f);

 private:
  std::vector<Matrix> z_;  // pre-activations per layer
  std::vector<Matrix> a_;  // activations per layer (a_[l] is the output of layer l)
  Matrix dy_, dz_, da_, distill_dy_;
};

}  // namespace hepex::nn
