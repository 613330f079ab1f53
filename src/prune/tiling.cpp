#include "prune/tiling.hpp"

#include <algorithm>
#include <charconv>

#include "tile/matmul.hpp"
#include "util/error.hpp"

namespace hepex::prune {

TileDims layer_tile_dims(std::size_t index, int t1, int t2) {
  const auto e = tile::weight_tile_extent(tile::chain_orientation(index), static_cast<std::size_t>(t1),
                                          static_cast<std::size_t>(t2));
  return {static_cast<int>(e.rows), static_cast<int>(e.cols)};
}

std::vector<TileDims> chain_tile_dims(std::size_t layers, int t1, int t2) {
  std::vector<TileDims> dims;
  for (std::size_t i = 0; i < layers; ++i) dims.push_back(layer_tile_dims(i, t1, t2));
  return dims;
}

std::pair<int, int> parse_tile_shape(const std::string& text) {
  const auto x = text.find('x');
  int a = 0, b = 0;
  const auto bad = [&] {
    return InvalidArgument("tile shape '" + text + "': expected two powers of two like 4x8");
  };
  if (x == std::string::npos) throw bad();
  const char* s = text.data();
  if (std::from_chars(s, s + x, a).ptr != s + x) throw bad();
  if (std::from_chars(s + x + 1, s + text.size(), b).ptr != s + text.size()) throw bad();
  const auto pow2 = [](int v) { return v > 0 && (v & (v - 1)) == 0; };
  if (!pow2(a) || !pow2(b)) throw bad();
  return {a, b};
}

Eigen::Index TileGrid::tile_area(Eigen::Index tr, Eigen::Index tc) const {
  const Eigen::Index r = std::min<Eigen::Index>(dims.rows, rows - tr * dims.rows);
  const Eigen::Index c = std::min<Eigen::Index>(dims.cols, cols - tc * dims.cols);
  return r * c;
}

}  // namespace hepex::prune
