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
// Number of columns whose largest logit is at the label.
std::size_t count_correct(const Matrix& y, std::span<const std::uint8_t> labels);

}  // namespace hepex::nn
