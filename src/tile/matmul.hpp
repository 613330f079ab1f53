#pragma once
// Matrix-vector products y = W x for a batch of vectors, W (m x n) in plaintext tiles, x encrypted, in the
// two HElayers orientations (tile sizes t1, t2 and, with a batch, t3):
//
//   kRows        W packed [m/t1, n/t2, */t3], x packed [*/t1, n/t2, B/t3]
//                -> multiply tile by tile, add tiles along dim 1, rotate-and-sum inside (log2 t2 rotations)
//                -> y [m/t1, 1?/t2, B/t3]  (unknowns: clear_unknowns + duplicate_over_dim(1) repair them, or
//                   stack_rotated_copies for a consumer that weighs them by zero: infer/compiled.hpp)
//   kTransposed  W^T packed [n/t1, m/t2, */t3], x packed [n/t1, */t2, B/t3]
//                -> sum over the outermost dim 0 -> y [*/t1, m/t2, B/t3], replicated: the kRows input layout
//
// Zero weight tiles are absent (never encoded or multiplied); an output tile row whose weight tiles are all
// zero gets no additions and no rotations (it stays absent = zero). matvec does not rescale: y is at the
// level of x with scale scale(x) * scale(W); the executor rescales when its plan says so.
#include <cstddef>
#include <vector>

#include "backend/backend.hpp"
#include "backend/op_counts.hpp"
#include "tile/tensor.hpp"
#include "tile/tile_tensor.hpp"

namespace hepex::tile {

enum class Orientation { kRows, kTransposed };

// Where the batch dimension (t3) sits in the slot order of every shape below:
//   kInner  stride 1 (row-major, "[n/t1, */t2, B/t3]"): the transposed product sums over the outermost
//           dimension, cyclically, so its output comes out replicated for free; weight tiles are
//           replicated over the innermost dimension and encode to full plaintexts.
//   kOuter  outermost ("[n/t1, */t2, ^B/t3]"): a weight tile repeats with period t1 t2 and is held in 2 t1 t2
//           words per limb (backend.hpp: compact_period); both orientations then sum over an inner
//           dimension and end with unknowns (one more level and log2 t1 rotations per transposed layer).
enum class BatchLayout { kInner, kOuter };

// Row-major dense matrix in the clear (the tile layer does not depend on nn/Eigen).
struct DenseMatrix {
  std::size_t rows = 0, cols = 0;
  std::vector<double> data;  // rows * cols, row-major
  double operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }
};

// An FC chain alternates orientations so that each layer's output layout is the next layer's input layout:
// layers 0, 2, 4, ... kTransposed, layers 1, 3, 5, ... kRows. The pruning module counts tiles with the same rule.
Orientation chain_orientation(std::size_t layer_index);
// Rows x columns of W (out x in) that one weight tile covers: t2 x t1 transposed, t1 x t2 in rows.
struct WeightTileExtent {
  std::size_t rows = 1, cols = 1;
};
WeightTileExtent weight_tile_extent(Orientation orientation, std::size_t t1, std::size_t t2);

// The tile tensor shapes above; tile_sizes has 2 entries (no batch, batch must be 1) or 3.
TileTensorShape matrix_shape(std::size_t m, std::size_t n, const std::vector<std::size_t>& tile_sizes,
                             Orientation orientation, BatchLayout layout = BatchLayout::kInner);
TileTensorShape input_shape(std::size_t n, std::size_t batch, const std::vector<std::size_t>& tile_sizes,
                            Orientation orientation, BatchLayout layout = BatchLayout::kInner);
TileTensorShape output_shape(std::size_t m, std::size_t batch, const std::vector<std::size_t>& tile_sizes,
                             Orientation orientation, BatchLayout layout = BatchLayout::kInner);
// The dimension a product sums over: 1 for kRows, 0 for kTransposed.
std::size_t summed_dim(Orientation orientation);

// W as a plaintext tile tensor (transposed for kTransposed), zero tiles absent.
PlainTileTensor pack_matrix(const backend::Backend& be, const DenseMatrix& w, const std::vector<std::size_t>& tile_sizes,
                            Orientation orientation, int level, double scale,
                            BatchLayout layout = BatchLayout::kInner);
// X (n x batch, row-major: x[i * batch + b]) as the tensor that input_shape() describes.
Tensor input_tensor(const std::vector<double>& x, std::size_t n, std::size_t batch, std::size_t rank,
                    Orientation orientation);

struct MatvecResult {
  CipherTileTensor y;
  backend::OpCounts counts;  // the backend operations this product did
};

// hoisted: rotations per hoisted sum in the rotate-and-sum; rescale_first: the result rescaled, before the
// rotate-and-sum (ops.hpp: multiply_plain_sum).
MatvecResult matvec(const backend::Backend& be, const PlainTileTensor& w, const CipherTileTensor& x,
                    Orientation orientation, std::size_t hoisted = 1, bool rescale_first = false);

}  // namespace hepex::tile
