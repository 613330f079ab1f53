#include "prune/saliency.hpp"

#include <algorithm>
#include <random>

#include "prune/tile_stats.hpp"
#include "util/error.hpp"

namespace hepex::prune {

Saliency measure_saliency(const nn::Model& model, const nn::RowMatrix& samples, std::uint64_t seed,
                          Eigen::Index max_samples, int probes) {
  const auto& layers = model.layers();
  if (layers.empty()) throw InvalidArgument("saliency: the model has no layers");
  if (samples.cols() != model.input_size())
    throw InvalidArgument("saliency: samples have " + std::to_string(samples.cols()) + " features, the model expects " +
                          std::to_string(model.input_size()));
  const Eigen::Index n = std::min(samples.rows(), max_samples);
  if (n < 2) throw InvalidArgument("saliency: needs at least 2 samples");
  if (probes < 1) throw InvalidArgument("saliency: needs at least one probe");

  // Forward pass in model order, keeping every layer's input and pre-activation (features x samples).
  const std::size_t L = layers.size();
  std::vector<nn::Matrix> inputs(L), pre(L);
  nn::Matrix a = model.permute_input(samples.topRows(n)).transpose();
  for (std::size_t l = 0; l < L; ++l) {
    inputs[l] = a;
    pre[l].noalias() = layers[l].W * a;
    pre[l].colwise() += layers[l].b;
    layers[l].act.forward(pre[l], a);
  }

  Saliency s;
  s.layers.resize(L);
  for (std::size_t l = 0; l < L; ++l) {
    const Eigen::MatrixXd x = inputs[l].cast<double>();
    auto& st = s.layers[l];
    st.mean = x.rowwise().mean();
    const Eigen::MatrixXd centred = x.colwise() - st.mean;
    st.covariance.noalias() = centred * centred.transpose() / static_cast<double>(n);
    st.sensitivity = Eigen::VectorXd::Zero(layers[l].out());
  }

  // Hutchinson: back-propagate Gaussian probes v from the output; (J^T v)_r^2 averages to ||J_r||^2.
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  nn::Matrix da, dz;
  for (int p = 0; p < probes; ++p) {
    da.resize(model.output_size(), n);
    for (Eigen::Index i = 0; i < da.size(); ++i) da.data()[i] = normal(rng);
    for (std::size_t l = L; l-- > 0;) {
      layers[l].act.backward(pre[l], da, dz, nullptr);
      s.layers[l].sensitivity += dz.cast<double>().array().square().rowwise().sum().matrix();
      if (l > 0) da.noalias() = layers[l].W.transpose() * dz;
    }
  }
  const double norm = static_cast<double>(n) * probes * static_cast<double>(model.output_size());
  for (auto& st : s.layers) st.sensitivity /= norm;
  return s;
}

namespace {
void check_stats(const nn::DenseLayer& layer, const LayerStatistics& stats) {
  if (stats.mean.size() != layer.in() || stats.covariance.rows() != layer.in() ||
      stats.sensitivity.size() != layer.out())
    throw MismatchError("saliency: statistics of a " + std::to_string(stats.sensitivity.size()) + "x" +
                        std::to_string(stats.mean.size()) + " layer used for a " + std::to_string(layer.out()) + "x" +
                        std::to_string(layer.in()) + " one");
}
}  // namespace

Eigen::MatrixXd weight_saliency(const nn::DenseLayer& layer, const LayerStatistics& stats) {
  check_stats(layer, stats);
  const Eigen::VectorXd variance = stats.covariance.diagonal();
  return layer.W.cast<double>().array().square() * (stats.sensitivity * variance.transpose()).array();
}

Eigen::MatrixXd tile_saliency(const nn::DenseLayer& layer, TileDims dims, const LayerStatistics& stats) {
  check_stats(layer, stats);
  const TileGrid grid{layer.out(), layer.in(), dims};
  Eigen::MatrixXd out(grid.grid_rows(), grid.grid_cols());
  const Eigen::MatrixXd W = layer.W.cast<double>();  // masked weights are exactly 0
  for (Eigen::Index tc = 0; tc < grid.grid_cols(); ++tc) {
    const Eigen::Index c0 = tc * dims.cols, w = std::min<Eigen::Index>(dims.cols, layer.in() - c0);
    const Eigen::MatrixXd cov = stats.covariance.block(c0, c0, w, w);
    for (Eigen::Index tr = 0; tr < grid.grid_rows(); ++tr) {
      const Eigen::Index r0 = tr * dims.rows, h = std::min<Eigen::Index>(dims.rows, layer.out() - r0);
      const auto block = W.block(r0, c0, h, w);
      // Row r contributes w_r Cov w_r^T, weighted by its sensitivity.
      const Eigen::VectorXd energy = (block * cov).cwiseProduct(block).rowwise().sum();
      out(tr, tc) = stats.sensitivity.segment(r0, h).dot(energy);
    }
  }
  return out;
}

void compensate_bias(nn::DenseLayer& layer, const nn::DenseLayer& before, const LayerStatistics& stats) {
  check_stats(layer, stats);
  if (before.W.rows() != layer.out() || before.W.cols() != layer.in())
    throw MismatchError("compensate_bias: the layer before masking has another shape");
  const Eigen::MatrixXf was = alive_pattern(before), now = alive_pattern(layer);
  const Eigen::MatrixXd removed =
      (was.array() != 0.f && now.array() == 0.f).cast<double>() * before.W.cast<double>().array();
  layer.b += (removed * stats.mean).cast<float>();
}

}  // namespace hepex::prune
