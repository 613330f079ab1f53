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

double soft_target_cross_entropy(const Matrix& y, const Matrix& teacher, float temperature, Matrix* dy) {
  if (y.rows() != teacher.rows() || y.cols() != teacher.cols())
    throw InvalidArgument("soft_target_cross_entropy: output and teacher shapes differ");
  if (!(temperature > 0.f)) throw InvalidArgument("soft_target_cross_entropy: the temperature must be positive");
  const double batch = double(y.cols()), T = temperature;
  if (dy) dy->resize(y.rows(), y.cols());
  double total = 0.0;
  // Column softmax of v / T, shifted by the maximum so exp never overflows; returns log of the normalizer.
  const auto softmax = [T](const auto& v, Eigen::VectorXd& out) {
    const double m = double(v.maxCoeff()) / T;
    out = (v.template cast<double>().array() / T - m).exp().matrix();
    const double s = out.sum();
    out /= s;
    return m + std::log(s);
  };
  Eigen::VectorXd p, q;
  for (Eigen::Index j = 0; j < y.cols(); ++j) {
    softmax(teacher.col(j), p);
    const double log_norm = softmax(y.col(j), q);
    // -sum p log q with log q_k = y_k / T - log_norm
    total += log_norm - (p.array() * y.col(j).cast<double>().array() / T).sum();
    if (dy) dy->col(j) = ((q - p) * (T / batch)).cast<float>();
  }
  return T * T * total / batch;
}

double distillation_loss(const Matrix& y, const Matrix& teacher, Loss task, float temperature, Matrix* dy) {
  return task == Loss::kMse ? mse_loss(y, teacher, dy) : soft_target_cross_entropy(y, teacher, temperature, dy);
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
