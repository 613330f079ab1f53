#include "nn/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace hepex::nn {
namespace {

// One parameter tensor as a flat float array, with the optimizer state beside it.
struct Slot {
  float* param;
  float* grad;
  const float* mask;  // null = unmasked
  std::size_t n;
};

bool trains_poly(const Activation& act) { return act.kind == ActivationKind::kPoly2 && act.trainable; }

// The parameter tensors of a model in a fixed order: W, b, and poly (trainable poly2 only) per layer.
std::vector<Slot> slots_of(Model& model, std::vector<LayerGradients>& grads) {
  std::vector<Slot> s;
  for (std::size_t l = 0; l < model.layers().size(); ++l) {
    auto& L = model.layers()[l];
    auto& g = grads[l];
    s.push_back({L.W.data(), g.W.data(), L.has_mask() ? L.mask.data() : nullptr, std::size_t(L.W.size())});
    s.push_back({L.b.data(), g.b.data(), nullptr, std::size_t(L.b.size())});
    if (trains_poly(L.act)) s.push_back({L.act.poly.data(), g.poly.data(), nullptr, 3});
  }
  return s;
}

// Zero optimizer state, one array per slot of slots_of().
std::vector<std::vector<float>> zero_state(const Model& model) {
  std::vector<std::vector<float>> state;
  for (const auto& L : model.layers()) {
    state.emplace_back(std::size_t(L.W.size()), 0.f);
    state.emplace_back(std::size_t(L.b.size()), 0.f);
    if (trains_poly(L.act)) state.emplace_back(3, 0.f);
  }
  return state;
}

// Runs update(slot index, element index) over every element of every slot, in one parallel region split
// into fixed chunks. Every element is updated the same way whatever the thread count.
template <class Update>
void for_each_element(const std::vector<Slot>& slots, Update update) {
  constexpr std::size_t kChunk = 16384;
  std::vector<std::pair<std::size_t, std::size_t>> work;  // (slot, first element)
  std::size_t total = 0;
  for (std::size_t k = 0; k < slots.size(); ++k) {
    for (std::size_t i = 0; i < slots[k].n; i += kChunk) work.emplace_back(k, i);
    total += slots[k].n;
  }
  // The update is memory-bound: below a few million parameters (0.3 ms for the 435k of the 256-64 autoencoder)
  // a second thread saves less than the synchronisation per step costs, badly so on a loaded machine.
  constexpr std::size_t kParallelFrom = std::size_t(1) << 22;
#pragma omp parallel for schedule(static) if (total >= kParallelFrom)
  for (std::size_t w = 0; w < work.size(); ++w) {
    const auto [k, first] = work[w];
    const std::size_t last = std::min(first + kChunk, slots[k].n);
    update(k, first, last);
  }
}

class Adam final : public Optimizer {
 public:
  Adam(const OptimizerConfig& c, const Model& model) : c_(c), m_(zero_state(model)), v_(m_) {}

  void step(Model& model, std::vector<LayerGradients>& grads, float lr) override {
    ++t_;
    const float bc1 = 1.f - std::pow(c_.beta1, float(t_));
    const float bc2 = 1.f - std::pow(c_.beta2, float(t_));
    // Bias-corrected Adam, folded into the step size: lr * m_hat / (sqrt(v_hat) + eps).
    const float step_size = lr * std::sqrt(bc2) / bc1;
    const float eps_hat = c_.epsilon * std::sqrt(bc2);
    const float b1 = c_.beta1, b2 = c_.beta2;
    const auto slots = slots_of(model, grads);
    for_each_element(slots, [&](std::size_t k, std::size_t first, std::size_t last) {
      const Slot& s = slots[k];
      float* m = m_[k].data();
      float* v = v_[k].data();
      // Local pointers: through s.param clang reloads the pointer every step and cannot vectorize the loop.
      float* param = s.param;
      const float* grad = s.grad;
#pragma omp simd
      for (std::size_t i = first; i < last; ++i) {
        const float g = grad[i];
        m[i] = b1 * m[i] + (1.f - b1) * g;
        v[i] = b2 * v[i] + (1.f - b2) * g * g;
        param[i] -= step_size * m[i] / (std::sqrt(v[i]) + eps_hat);
      }
      if (s.mask)
        for (std::size_t i = first; i < last; ++i) s.param[i] *= s.mask[i];
    });
  }

 private:
  OptimizerConfig c_;
  std::vector<std::vector<float>> m_, v_;
  long t_ = 0;
};

class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerConfig& c, const Model& model) : c_(c), vel_(zero_state(model)) {}

  void step(Model& model, std::vector<LayerGradients>& grads, float lr) override {
    const float mu = c_.momentum;
    const auto slots = slots_of(model, grads);
    for_each_element(slots, [&](std::size_t k, std::size_t first, std::size_t last) {
      const Slot& s = slots[k];
      float* vel = vel_[k].data();
      float* param = s.param;  // local pointers, as in Adam
      const float* grad = s.grad;
#pragma omp simd
      for (std::size_t i = first; i < last; ++i) {
        vel[i] = mu * vel[i] - lr * grad[i];
        param[i] += vel[i];
      }
      if (s.mask)
        for (std::size_t i = first; i < last; ++i) s.param[i] *= s.mask[i];
    });
  }

 private:
  OptimizerConfig c_;
  std::vector<std::vector<float>> vel_;
};

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, const Model& model) {
  if (config.kind == OptimizerKind::kAdam) return std::make_unique<Adam>(config, model);
  return std::make_unique<Sgd>(config, model);
}

}  // namespace hepex::nn
