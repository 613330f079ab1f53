#include "nn/loss.hpp"

#include <cmath>
#include <string>

#include "util/error.hpp"

namespace hepex::nn {

const char* loss_name(Loss loss) { return loss == Loss::kMse ? "mse" : "cross-entropy"; }

double mse_loss(const Matrix& y, const Matrix& t, Matrix* dy) {
  if (y.rows() != t.rows() || y.cols() != t.cols()) throw InvalidArgument("mse_loss: output and target shapes differ");
  const double n = double(y.size());
  const double sum = (y - t).cast<double>().squaredNorm();
  if (dy) *dy = (y - t) * float(2.0 / n);
  return sum / n;
}

double softmax_cross_entropy(const Matrix& y, std::span<const std::uint8_t> labels, Matrix* dy) {
  if (Eigen::Index(labels.size()) != y.cols())
    throw InvalidArgument("softmax_cross_entropy: " + std::to_string(labels.size()) + " labels for " +
                          std::to_string(y.cols()) + " samples");
  const double batch = double(y.cols());
  if (dy) dy->resize(y.rows(), y.cols());
  double total = 0.0;
  for (Eigen::Index j = 0; j < y.cols(); ++j) {
    const auto label = Eigen::Index(labels[std::size_t(j)]);
    if (label >= y.rows())
      throw InvalidArgument("softmax_cross_entropy: label " + std::to_string(label) + " but only " +
                            std::to_string(y.rows()) + " outputs");
    // Shift by the maximum so exp never overflows.
    const float m = y.col(j).maxCoeff();
    const Vector e = (y.col(j).array() - m).exp();
    const double s = e.cast<double>().sum();
    total += std::log(s) - double(y(label, j) - m);
    if (dy) {
      dy->col(j) = e * float(1.0 / (s * batch));
      (*dy)(label, j) -= float(1.0 / batch);
    }
  }
  return total / batch;
}

std::size_t count_correct(const Matrix& y, std::span<const std::uint8_t> labels) {
  std::size_t correct = 0;
  for (Eigen::Index j = 0; j < y.cols(); ++j) {
    Eigen::Index arg = 0;
    y.col(j).maxCoeff(&arg);
    if (arg == Eigen::Index(labels[std::size_t(j)])) ++correct;
  }
  return correct;
}

}  // namespace hepex::nn
