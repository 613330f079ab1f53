#include "tile/tensor.hpp"

#include <string>

#include "util/error.hpp"

namespace hepex::tile {

Tensor::Tensor(std::vector<std::size_t> dims) : dims_(std::move(dims)) {
  validate_and_set_strides();
  std::size_t n = 1;
  for (auto d : dims_) n *= d;
  data_.assign(n, 0.0);
}

Tensor::Tensor(std::vector<std::size_t> dims, std::vector<double> data) : dims_(std::move(dims)), data_(std::move(data)) {
  validate_and_set_strides();
  std::size_t n = 1;
  for (auto d : dims_) n *= d;
  if (data_.size() != n)
    throw InvalidArgument("Tensor: " + std::to_string(data_.size()) + " values for a tensor of " + std::to_string(n) +
                          " elements");
}

void Tensor::validate_and_set_strides() {
  if (dims_.empty() || dims_.size() > 3)
    throw InvalidArgument("Tensor: rank " + std::to_string(dims_.size()) + " outside [1, 3]");
  std::size_t stride = 1;
  for (std::size_t d = dims_.size(); d-- > 0;) {
    if (dims_[d] == 0) throw InvalidArgument("Tensor: dimension " + std::to_string(d) + " has size 0");
    strides_[d] = stride;
    stride *= dims_[d];
  }
}

}  // namespace hepex::tile
