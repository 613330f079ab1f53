#include "nn/model.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace hepex::nn {

Model::Model(const ArchSpec& spec) {
  if (spec.sizes.size() < 2 || spec.activations.size() + 1 != spec.sizes.size())
    throw InvalidArgument("model: architecture needs n+1 widths for n activations");
  for (std::size_t l = 0; l + 1 < spec.sizes.size(); ++l) {
    DenseLayer layer;
    layer.W = Matrix::Zero(spec.sizes[l + 1], spec.sizes[l]);
    layer.b = Vector::Zero(spec.sizes[l + 1]);
    layer.act = spec.activations[l];
    layers_.push_back(std::move(layer));
  }
}

void Model::init_glorot(Csprng& rng) {
  for (auto& layer : layers_) {
    const double limit = std::sqrt(6.0 / double(layer.in() + layer.out()));
    // Row by row, so the weights for a seed do not depend on the storage order.
    for (Eigen::Index i = 0; i < layer.out(); ++i)
      for (Eigen::Index j = 0; j < layer.in(); ++j) layer.W(i, j) = float((2.0 * rng.next_double() - 1.0) * limit);
    layer.b.setZero();
    layer.apply_mask();
  }
}

Eigen::Index Model::input_size() const { return layers_.empty() ? 0 : layers_.front().in(); }
Eigen::Index Model::output_size() const { return layers_.empty() ? 0 : layers_.back().out(); }

ArchSpec Model::arch() const {
  ArchSpec spec;
  if (layers_.empty()) return spec;
  spec.sizes.push_back(int(layers_.front().in()));
  for (const auto& l : layers_) {
    spec.sizes.push_back(int(l.out()));
    spec.activations.push_back(l.act);
  }
  return spec;
}

std::size_t Model::parameter_count() const {
  std::size_t n = 0;
  for (const auto& l : layers_) n += std::size_t(l.W.size() + l.b.size());
  return n;
}

bool Model::he_friendly() const {
  for (const auto& l : layers_)
    if (!l.act.he_friendly()) return false;
  return true;
}

namespace {
void check_permutation(const Permutation& p, Eigen::Index n, const char* what) {
  if (p.empty()) return;
  if (Eigen::Index(p.size()) != n)
    throw InvalidArgument(std::string("model: ") + what + " permutation has " + std::to_string(p.size()) +
                          " entries, the layer has " + std::to_string(n));
  std::vector<bool> seen(p.size(), false);
  for (const auto v : p) {
    if (v >= p.size() || seen[v])
      throw InvalidArgument(std::string("model: ") + what + " permutation is not a permutation of 0.." +
                            std::to_string(p.size() - 1));
    seen[v] = true;
  }
}

// out.col(i) = in.col(p[i]): original order -> model order.
RowMatrix gather_columns(const RowMatrix& in, const Permutation& p) {
  if (p.empty()) return in;
  RowMatrix out(in.rows(), in.cols());
  for (std::size_t i = 0; i < p.size(); ++i) out.col(Eigen::Index(i)) = in.col(p[i]);
  return out;
}
}  // namespace

void Model::set_input_perm(Permutation p) {
  check_permutation(p, input_size(), "input");
  input_perm_ = std::move(p);
}

void Model::set_output_perm(Permutation p) {
  check_permutation(p, output_size(), "output");
  output_perm_ = std::move(p);
}

void Model::validate() const {
  if (layers_.empty()) throw InvalidArgument("model: has no layers");
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const auto& L = layers_[l];
    const std::string name = "model: layer " + std::to_string(l);
    if (L.W.size() == 0) throw InvalidArgument(name + " has an empty weight matrix");
    if (L.b.size() != L.out()) throw InvalidArgument(name + ": bias length differs from the output width");
    if (L.has_mask() && (L.mask.rows() != L.out() || L.mask.cols() != L.in()))
      throw InvalidArgument(name + ": mask shape differs from the weight shape");
    if (l > 0 && layers_[l - 1].out() != L.in())
      throw InvalidArgument(name + ": input width " + std::to_string(L.in()) + " differs from the previous output " +
                            std::to_string(layers_[l - 1].out()));
  }
  check_permutation(input_perm_, input_size(), "input");
  check_permutation(output_perm_, output_size(), "output");
}

RowMatrix Model::permute_input(const RowMatrix& x) const { return gather_columns(x, input_perm_); }
RowMatrix Model::permute_target(const RowMatrix& t) const { return gather_columns(t, output_perm_); }

RowMatrix Model::unpermute_output(const RowMatrix& y) const {
  if (output_perm_.empty()) return y;
  RowMatrix out(y.rows(), y.cols());
  for (std::size_t i = 0; i < output_perm_.size(); ++i) out.col(output_perm_[i]) = y.col(Eigen::Index(i));
  return out;
}

void Model::set_input_noise(float sigma) {
  if (!(sigma >= 0.f && std::isfinite(sigma)))
    throw InvalidArgument("input noise sigma " + std::to_string(sigma) + " must be finite and >= 0");
  input_noise_ = sigma;
}

void keep_eigen_serial() { Eigen::setNbThreads(1); }

void Model::forward_columns(Matrix& a, Matrix& z) const {
  for (const auto& layer : layers_) {
    z.noalias() = layer.W * a;
    z.colwise() += layer.b;
    layer.act.forward(z, a);
  }
}

RowMatrix Model::forward_model(const RowMatrix& x) const {
  if (layers_.empty()) throw InvalidArgument("model: has no layers");
  if (x.cols() != input_size())
    throw InvalidArgument("model: input has " + std::to_string(x.cols()) + " features, the model expects " +
                          std::to_string(input_size()));
  keep_eigen_serial();
  // Fixed chunks of samples in parallel; each sample's result does not depend on the chunking.
  constexpr Eigen::Index kChunk = 256;
  const Eigen::Index chunks = (x.rows() + kChunk - 1) / kChunk;
  RowMatrix y(x.rows(), output_size());
#pragma omp parallel if (chunks > 1)
  {
    Matrix a, z;
#pragma omp for schedule(static)
    for (Eigen::Index c = 0; c < chunks; ++c) {
      const Eigen::Index first = c * kChunk, n = std::min(kChunk, x.rows() - first);
      a = x.middleRows(first, n).transpose();  // column-major features x batch
      forward_columns(a, z);
      y.middleRows(first, n) = a.transpose();
    }
  }
  return y;
}

RowMatrix Model::forward(const RowMatrix& x) const {
  return unpermute_output(forward_model(permute_input(x)));
}

}  // namespace hepex::nn
