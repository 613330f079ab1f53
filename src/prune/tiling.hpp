#pragma once
// How a chain of FC layers is cut into tiles, in each weight matrix's own coordinates (W is out x in).
//
// With tile shape [t1, t2, batch], HElayers-style alternating orientation (PAPER.md section 2):
//   layer 0, 2, 4, ... store W transposed, packed [in/t1, out/t2]: a tile covers t2 rows x t1 columns of W;
//   layer 1, 3, 5, ... store W as is,       packed [out/t1, in/t2]: a tile covers t1 rows x t2 columns of W.
// So every hidden dimension is tiled by one size on both sides (the output of layer l and the input of
// layer l+1 share t2 when l is even, t1 when l is odd): the group size neuron permutation must respect.
// The rule itself lives in tile/matmul.hpp (chain_orientation), which the encrypted executor uses too.
#include <Eigen/Core>
#include <cstddef>
#include <string>
#include <vector>

namespace hepex::prune {

struct TileDims {
  int rows = 1;  // rows of W (outputs) per tile
  int cols = 1;  // columns of W (inputs) per tile
  bool operator==(const TileDims&) const = default;
};

// Tile dims of layer `index` of an FC chain for tile shape t1 x t2.
TileDims layer_tile_dims(std::size_t index, int t1, int t2);
std::vector<TileDims> chain_tile_dims(std::size_t layers, int t1, int t2);

// "4x8" -> {4, 8}; throws InvalidArgument naming the text for anything else (both powers of two).
std::pair<int, int> parse_tile_shape(const std::string& text);

// The tile grid a matrix of rows x cols induces (partial tiles at the edges count as whole tiles).
struct TileGrid {
  Eigen::Index rows = 0, cols = 0;  // matrix size
  TileDims dims;
  Eigen::Index grid_rows() const { return (rows + dims.rows - 1) / dims.rows; }
  Eigen::Index grid_cols() const { return (cols + dims.cols - 1) / dims.cols; }
  Eigen::Index tile_count() const { return grid_rows() * grid_cols(); }
  // Number of matrix entries inside tile (tr, tc) (smaller for edge tiles).
  Eigen::Index tile_area(Eigen::Index tr, Eigen::Index tc) const;
};

}  // namespace hepex::prune
