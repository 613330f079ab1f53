#pragma once
// A dense row-major tensor of up to three dimensions in the clear: what pack() takes and unpack() returns.
#include <array>
#include <cstddef>
#include <vector>

namespace hepex::tile {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::vector<std::size_t> dims);                        // zeros
  Tensor(std::vector<std::size_t> dims, std::vector<double> data);       // data.size() == product of dims

  std::size_t rank() const { return dims_.size(); }
  const std::vector<std::size_t>& dims() const { return dims_; }
  std::size_t dim(std::size_t d) const { return dims_[d]; }
  std::size_t size() const { return data_.size(); }
  const std::vector<double>& data() const { return data_; }
  std::vector<double>& data() { return data_; }

  // Element at (i, j, k); indices past rank() must be 0. Unchecked like operator[].
  double& operator()(std::size_t i, std::size_t j = 0, std::size_t k = 0) { return data_[offset(i, j, k)]; }
  double operator()(std::size_t i, std::size_t j = 0, std::size_t k = 0) const { return data_[offset(i, j, k)]; }
  std::size_t offset(std::size_t i, std::size_t j = 0, std::size_t k = 0) const {
    return i * strides_[0] + j * strides_[1] + k * strides_[2];
  }

 private:
  void validate_and_set_strides();

  std::vector<std::size_t> dims_;
  std::array<std::size_t, 3> strides_{0, 0, 0};
  std::vector<double> data_;
};

}  // namespace hepex::tile
