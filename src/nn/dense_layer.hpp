#pragma once
// One fully connected layer: y = f(W x + b), with an optional 0/1 mask on W (pruning).
#include "nn/activation.hpp"
#include "nn/tensor.hpp"

namespace hepex::nn {

struct DenseLayer {
  Matrix W;        // out x in
  Vector b;        // out
  Matrix mask;     // empty (no mask) or out x in with entries exactly 0 or 1; W is 0 wherever mask is 0
  Activation act;  // applied after W x + b

  Eigen::Index in() const { return W.cols(); }
  Eigen::Index out() const { return W.rows(); }
  bool has_mask() const { return mask.size() != 0; }
  // Sets W to 0 wherever the mask is 0 (no-op without a mask).
  void apply_mask();
};

}  // namespace hepex::nn
