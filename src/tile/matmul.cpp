#include "tile/matmul.hpp"

#include <string>

#include "backend/counting_backend.hpp"
#include "tile/ops.hpp"
#include "tile/pack.hpp"

namespace hepex::tile {

Orientation chain_orientation(std::size_t layer_index) {
  return layer_index % 2 == 0 ? Orientation::kTransposed : Orientation::kRows;
}

WeightTileExtent weight_tile_extent(Orientation orientation, std::size_t t1, std::size_t t2) {
  return orientation == Orientation::kTransposed ? WeightTileExtent{t2, t1} : WeightTileExtent{t1, t2};
}

namespace {

void require_rank(const std::vector<std::size_t>& tile_sizes, std::size_t batch, const char* who) {
  if (tile_sizes.size() != 2 && tile_sizes.size() != 3)
    throw InvalidArgument(std::string(who) + ": " + std::to_string(tile_sizes.size()) +
                          " tile sizes given, expected 2 (t1, t2) or 3 (t1, t2, batch t3)");
  if (tile_sizes.size() == 2 && batch != 1)
    throw InvalidArgument(std::string(who) + ": a batch of " + std::to_string(batch) + " needs a third tile size");
}

TileDim sized(std::size_t n, std::size_t t) { return {n, t, false, false}; }
TileDim replicated(std::size_t t) { return {1, t, true, false}; }

// [a, b(, c)] from per-dimension TileDims, the third (the batch) only with a batch dimension.
TileTensorShape shape_of(TileDim d0, TileDim d1, TileDim d2, std::size_t rank, BatchLayout layout) {
  std::vector<TileDim> dims{d0, d1};
  if (rank == 3) dims.push_back(d2);
  return TileTensorShape(std::move(dims), rank == 3 && layout == BatchLayout::kOuter ? 2 : 0);
}

std::size_t t3_of(const std::vector<std::size_t>& tile_sizes) { return tile_sizes.size() == 3 ? tile_sizes[2] : 1; }

}  // namespace

std::size_t summed_dim(Orientation orientation) { return orientation == Orientation::kRows ? 1 : 0; }

TileTensorShape matrix_shape(std::size_t m, std::size_t n, const std::vector<std::size_t>& tile_sizes,
                             Orientation orientation, BatchLayout layout) {
  require_rank(tile_sizes, 1, "matrix_shape");
  const std::size_t t1 = tile_sizes[0], t2 = tile_sizes[1], rank = tile_sizes.size();
  const auto r = replicated(t3_of(tile_sizes));
  return orientation == Orientation::kRows ? shape_of(sized(m, t1), sized(n, t2), r, rank, layout)
                                           : shape_of(sized(n, t1), sized(m, t2), r, rank, layout);
}

TileTensorShape input_shape(std::size_t n, std::size_t batch, const std::vector<std::size_t>& tile_sizes,
                            Orientation orientation, BatchLayout layout) {
  require_rank(tile_sizes, batch, "input_shape");
  const std::size_t t1 = tile_sizes[0], t2 = tile_sizes[1], rank = tile_sizes.size();
  const auto b = sized(batch, t3_of(tile_sizes));
  return orientation == Orientation::kRows ? shape_of(replicated(t1), sized(n, t2), b, rank, layout)
                                           : shape_of(sized(n, t1), replicated(t2), b, rank, layout);
}

TileTensorShape output_shape(std::size_t m, std::size_t batch, const std::vector<std::size_t>& tile_sizes,
                             Orientation orientation, BatchLayout layout) {
  const auto x = input_shape(1, batch, tile_sizes, orientation, layout);
  const auto w = matrix_shape(m, 1, tile_sizes, orientation, layout);
  return summed_shape(product_shape(w, x), summed_dim(orientation));
}

PlainTileTensor pack_matrix(const backend::Backend& be, const DenseMatrix& w, const std::vector<std::size_t>& tile_sizes,
                            Orientation orientation, int level, double scale, BatchLayout layout) {
  if (w.data.size() != w.rows * w.cols)
    throw InvalidArgument("pack_matrix: matrix " + std::to_string(w.rows) + "x" + std::to_string(w.cols) + " has " +
                          std::to_string(w.data.size()) + " values");
  const auto shape = matrix_shape(w.rows, w.cols, tile_sizes, orientation, layout);
  Tensor t(shape.tensor_dims());
  for (std::size_t i = 0; i < w.rows; ++i)
    for (std::size_t j = 0; j < w.cols; ++j) {
      if (orientation == Orientation::kRows) t(i, j) = w(i, j);
      else t(j, i) = w(i, j);
    }
  return pack_plain(be, t, shape, level, scale, /*skip_zero_tiles=*/true);
}

Tensor input_tensor(const std::vector<double>& x, std::size_t n, std::size_t batch, std::size_t rank,
                    Orientation orientation) {
  if (rank != 2 && rank != 3) throw InvalidArgument("input_tensor: rank must be 2 or 3");
  if (rank == 2 && batch != 1) throw InvalidArgument("input_tensor: a batch needs rank 3");
  // (1, n, B) and (n, 1, B) have the same row-major order as the n x B input.
  std::vector<std::size_t> dims = orientation == Orientation::kRows ? std::vector<std::size_t>{1, n}
                                                                    : std::vector<std::size_t>{n, 1};
  if (rank == 3) dims.push_back(batch);
  return Tensor(std::move(dims), x);
}

MatvecResult matvec(const backend::Backend& be, const PlainTileTensor& w, const CipherTileTensor& x,
                    Orientation orientation, std::size_t hoisted, bool rescale_first) {
  backend::CountingBackend counting(be);
  auto y = multiply_plain_sum(counting, x, w, summed_dim(orientation), hoisted, rescale_first);
  return {std::move(y), counting.counts()};
}

}  // namespace hepex::tile
