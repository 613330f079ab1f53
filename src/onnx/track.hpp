#pragma once
// Internal: the symbolic value of the network's data path while the importer walks the graph.
//
// Every data value is, per feature i, a polynomial  a_i z_i^2 + b_i z_i + c_i  of a "base" vector z.
//  - A root base is z = M u + k, affine in the "anchor" u: the network input, or the output of the last
//    layer committed to the model. A Gemm/MatMul makes a new root (with a product).
//  - Whenever an element-wise op leaves a value affine (a = 0: a bias Add, a scaling), the value becomes a
//    derived base z' = s z + k of its parent. So the polynomial of an activation is taken relative to the
//    last affine value before it (the pre-activation), whatever order the exporter emitted the ops in.
// Values on different bases combine on their nearest common ancestor (x + 1 and x - 2 both derive from x).
// A base that holds a product becomes a layer of its own before the next product, so the imported layers
// are the graph's layers; element-wise scalings between layers fold into the weights.
#include <Eigen/Core>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/dense_layer.hpp"

namespace hepex::onnx {

using Eigen::Index;
using MatrixD = Eigen::MatrixXd;
using VectorD = Eigen::VectorXd;

// The layers committed so far, newest first (shared: a value may be used by several nodes).
struct LayerChain {
  std::shared_ptr<const LayerChain> prev;
  nn::DenseLayer layer;
};

struct Base {
  std::shared_ptr<const Base> parent;  // null: a root
  std::optional<MatrixD> M;            // roots only: features x anchor width; nullopt = identity
  VectorD s, k;                        // derived: z = s * parent + k; roots: s = 1, z = M u + k
  bool has_product = false;            // the root holds a Gemm/MatMul: the next product starts a new layer
};

struct Track {
  std::shared_ptr<const LayerChain> layers;
  std::shared_ptr<const Base> base;
  VectorD a, b, c;

  Index features() const { return a.size(); }
  bool is_affine() const { return (a.array() == 0.0).all(); }
};

// Errors from these functions are InvalidArgument with a plain reason; the importer prefixes the node.

// The network input of `features` features: base identity, value z.
Track input_track(Index features);

// Element-wise with a per-feature constant.
Track add_constant(const Track& t, const VectorD& k);
Track mul_constant(const Track& t, const VectorD& k);
// Element-wise of two values of one chain; mul refuses results of degree > 2.
Track add_tracks(const Track& x, const Track& y);
Track mul_tracks(const Track& x, const Track& y);

// value -> W value + bias, W of shape out x features.
Track apply_linear(const Track& t, const MatrixD& W, const VectorD& bias);

// The model's layers at the graph output (commits what is pending). Throws when no layer was found.
std::vector<nn::DenseLayer> finish(const Track& t);

}  // namespace hepex::onnx
