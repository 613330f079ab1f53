#include "nn/dense_layer.hpp"

namespace hepex::nn {

void DenseLayer::apply_mask() {
  if (has_mask()) W = W.cwiseProduct(mask);
}

}  // namespace hepex::nn
