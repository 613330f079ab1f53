#pragma once
// Losses over a batch in the trainer's layout (features x batch, one sample per column).
#include <cstdint>
#include <span>

#include "nn/tensor.hpp"

namespace hepex::nn {

enum class Loss {
  kMse,                  // mean over all elements of (y - t)^2: reconstruction
  kSoftmaxCrossEntropy,  // mean over samples of -log softmax(y)[label]: classification
};

const char* loss_name(Loss loss);

// Mean squared error; if dy is non-null, sets it to dL/dy = 2 (y - t) / y.size().
double mse_loss(const Matrix& y, const Matrix& t, Matrix* dy);
// Softmax cross-entropy of logits y (classes x batch) against labels (one per column); if dy is non-null,
// sets it to dL/dy = (softmax(y) - onehot) / batch. Labels must be < y.rows().
double softmax_cross_entropy(const Matrix& y, std::span<const std::uint8_t> labels, Matrix* dy);
// Soft-target cross-entropy of knowledge distillation (Hinton et al. 2015): with p = softmax(teacher / T) and
// q = softmax(y / T) per column, T^2 * mean over samples of -sum_k p_k log q_k. The T^2 keeps the gradient's
// size comparable across temperatures. If dy is non-null, sets it to dL/dy = T (q - p) / batch.
double soft_target_cross_entropy(const Matrix& y, const Matrix& teacher, float temperature, Matrix* dy);
// The distillation term for a task: MSE to the teacher's outputs (reconstruction) or the soft-target
// cross-entropy above (classification). Shapes must match.
double distillation_loss(const Matrix& y, const Matrix& teacher, Loss task, float temperature, Matrix* dy);
// Number of columns whose largest logit is at the label.
std::size_t count_correct(const Matrix& y, std::span<const std::uint8_t> labels);

}  // namespace hepex::nn
