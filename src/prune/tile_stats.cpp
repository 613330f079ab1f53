#include "prune/tile_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.hpp"

namespace hepex::prune {

Eigen::MatrixXf alive_pattern(const nn::DenseLayer& layer) {
  if (layer.has_mask()) return layer.mask;
  return (layer.W.array() != 0.f).cast<float>().matrix();
}

Eigen::MatrixXi tile_nonzeros(const Eigen::MatrixXf& pattern, TileDims dims) {
  const TileGrid grid{pattern.rows(), pattern.cols(), dims};
  Eigen::MatrixXi counts = Eigen::MatrixXi::Zero(grid.grid_rows(), grid.grid_cols());
  for (Index c = 0; c < pattern.cols(); ++c)
    for (Index r = 0; r < pattern.rows(); ++r)
      if (pattern(r, c) != 0.f) ++counts(r / dims.rows, c / dims.cols);
  return counts;
}

Index count_nonempty_tiles(const Eigen::MatrixXf& pattern, TileDims dims) {
  return (tile_nonzeros(pattern, dims).array() > 0).count();
}

const char* tile_score_name(TileScore s) {
  switch (s) {
    case TileScore::kMin: return "min";
    case TileScore::kMax: return "max";
    case TileScore::kMean: return "mean";
    case TileScore::kL2: return "l2";
  }
  return "?";
}

TileScore parse_tile_score(const std::string& text) {
  if (text == "min") return TileScore::kMin;
  if (text == "max") return TileScore::kMax;
  if (text == "mean" || text == "avg") return TileScore::kMean;
  if (text == "l2") return TileScore::kL2;
  throw InvalidArgument("tile score '" + text + "': expected min, max, mean or l2");
}

Eigen::MatrixXd tile_scores(const Eigen::MatrixXf& W, TileDims dims, TileScore score) {
  const TileGrid grid{W.rows(), W.cols(), dims};
  Eigen::MatrixXd out(grid.grid_rows(), grid.grid_cols());
  for (Index tc = 0; tc < grid.grid_cols(); ++tc) {
    for (Index tr = 0; tr < grid.grid_rows(); ++tr) {
      const Index r0 = tr * dims.rows, c0 = tc * dims.cols;
      const auto block = W.block(r0, c0, std::min<Index>(dims.rows, W.rows() - r0),
                                 std::min<Index>(dims.cols, W.cols() - c0))
                             .cast<double>()
                             .array()
                             .abs();
      switch (score) {
        case TileScore::kMin: out(tr, tc) = block.minCoeff(); break;
        case TileScore::kMax: out(tr, tc) = block.maxCoeff(); break;
        case TileScore::kMean: out(tr, tc) = block.mean(); break;
        case TileScore::kL2: out(tr, tc) = std::sqrt(block.square().sum()); break;
      }
    }
  }
  return out;
}

}  // namespace hepex::prune
