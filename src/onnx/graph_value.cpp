#include "onnx/graph_value.hpp"

#include "util/error.hpp"

namespace hepex::onnx {

std::vector<std::int64_t> Data::shape() const {
  if (transposed) return {dims[0], -1};
  std::vector<std::int64_t> s{-1};
  s.insert(s.end(), dims.begin(), dims.end());
  return s;
}

std::string shape_text(const std::vector<std::int64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + (dims[i] < 0 ? std::string("batch") : std::to_string(dims[i]));
  return s + "]";
}

VectorD broadcast_to_features(const Constant& k, const Data& d) {
  const auto L = d.shape();
  const Index n = d.track.features();
  if (k.dims.size() > L.size())
    throw InvalidArgument("a constant of shape " + shape_text(k.dims) + " would raise the rank of the data " +
                          shape_text(L));
  if (k.is_scalar()) return VectorD::Constant(n, k.values[0]);
  const std::size_t offset = L.size() - k.dims.size();
  for (std::size_t j = 0; j < k.dims.size(); ++j) {
    const auto ld = L[offset + j], kd = k.dims[j];
    if (kd != 1 && (ld < 0 || kd != ld))
      throw InvalidArgument("a constant of shape " + shape_text(k.dims) + " does not broadcast per feature onto the data " +
                            shape_text(L));
  }
  // Feature f's position along each axis (batch axes skipped), then the constant's element at it.
  std::vector<std::int64_t> kstride(k.dims.size(), 1);
  for (std::size_t j = k.dims.size(); j-- > 1;) kstride[j - 1] = kstride[j] * k.dims[j];
  VectorD out(n);
  for (Index f = 0; f < n; ++f) {
    std::int64_t rest = f, at = 0;
    for (std::size_t ax = L.size(); ax-- > 0;) {
      if (L[ax] < 0) continue;
      const std::int64_t idx = rest % L[ax];
      rest /= L[ax];
      if (ax >= offset && k.dims[ax - offset] != 1) at += idx * kstride[ax - offset];
    }
    out[f] = k.values[std::size_t(at)];
  }
  return out;
}

MatrixD constant_matrix(const Constant& k) {
  if (k.dims.size() != 2) throw InvalidArgument("the weights have shape " + shape_text(k.dims) + ", not 2-D");
  using RowMajorD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajorD>(k.values.data(), k.dims[0], k.dims[1]);
}

}  // namespace hepex::onnx
