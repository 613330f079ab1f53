#include "nn/gradients.hpp"

#include "util/error.hpp"

namespace hepex::nn {

double Backprop::run(const Model& model, const Matrix& x, Loss loss, const BatchTarget& target,
                     std::vector<LayerGradients>& grads, float weight) {
  const auto& layers = model.layers();
  const std::size_t L = layers.size();
  z_.resize(L);
  a_.resize(L);
  grads.resize(L);

  for (std::size_t l = 0; l < L; ++l) {
    const Matrix& in = l == 0 ? x : a_[l - 1];
    z_[l].noalias() = layers[l].W * in;
    z_[l].colwise() += layers[l].b;
    layers[l].act.forward(z_[l], a_[l]);
  }

  double value = 0;
  if (loss == Loss::kMse) {
    if (!target.values) throw InvalidArgument("backprop: the MSE loss needs target values");
    value = mse_loss(a_[L - 1], *target.values, &dy_);
  } else {
    value = softmax_cross_entropy(a_[L - 1], target.labels, &dy_);
  }
  if (target.teacher && target.alpha > 0.f) {
    const float alpha = target.alpha;
    const double d = distillation_loss(a_[L - 1], *target.teacher, loss, target.temperature, &distill_dy_);
    value = (1.0 - alpha) * value + alpha * d;
    dy_ = dy_ * (1.f - alpha) + distill_dy_ * alpha;
  }

  if (weight != 1.f) dy_ *= weight;
  // Walk back: da_ holds dL/da of the current layer.
  da_.swap(dy_);
  for (std::size_t l = L; l-- > 0;) {
    const DenseLayer& layer = layers[l];
    LayerGradients& g = grads[l];
    g.poly = {0.f, 0.f, 0.f};
    const bool train_poly = layer.act.kind == ActivationKind::kPoly2 && layer.act.trainable;
    layer.act.backward(z_[l], da_, dz_, train_poly ? &g.poly : nullptr);
    const Matrix& in = l == 0 ? x : a_[l - 1];
    g.W.noalias() = dz_ * in.transpose();
    if (layer.has_mask()) g.W.array() *= layer.mask.array();
    g.b.noalias() = dz_.rowwise().sum();
    if (l > 0) da_.noalias() = layer.W.transpose() * dz_;
  }
  return value;
}

}  // namespace hepex::nn
