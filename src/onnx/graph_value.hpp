#pragma once
// Internal: what the importer knows about one value of the graph: a constant, or the data path (a Track)
// with its layout. The data is [batch, dims...] (row layout), or [features, batch] after a Transpose.
#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "onnx/constant.hpp"
#include "onnx/track.hpp"

namespace hepex::onnx {

struct Data {
  Track track;
  std::vector<std::int64_t> dims;  // the non-batch dims; their product is track.features()
  bool transposed = false;         // [features, batch] (2-D only)

  bool is_matrix() const { return dims.size() == 1; }
  // The full shape with -1 for the batch axis.
  std::vector<std::int64_t> shape() const;
};

// A shape computed from the data, as PyTorch emits for x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze
// -> Concat -> Reshape. Entries are sizes, or kBatch for the (dynamic) batch size.
inline constexpr std::int64_t kBatch = std::numeric_limits<std::int64_t>::min();
struct ShapeValue {
  std::vector<std::int64_t> v;
  bool scalar = false;  // a 0-D value (one entry)
};

using Value = std::variant<Constant, Data, ShapeValue>;

// The per-feature vector of constant `k` broadcast (numpy rules) against `d`. Throws InvalidArgument when it
// does not broadcast, would vary along the batch axis, or would raise the data's rank.
VectorD broadcast_to_features(const Constant& k, const Data& d);

// A 2-D constant as a matrix.
MatrixD constant_matrix(const Constant& k);

std::string shape_text(const std::vector<std::int64_t>& dims);  // "[batch, 784]" style (-1 = batch)

}  // namespace hepex::onnx
