#pragma once
// Per-tile statistics of a weight matrix: how many non-zeros each tile holds, and tile scores.
#include <Eigen/Core>

#include "nn/dense_layer.hpp"
#include "prune/tiling.hpp"

namespace hepex::prune {

using Eigen::Index;

// The layer's non-zero pattern: its mask if it has one, else W != 0 (1 = alive).
Eigen::MatrixXf alive_pattern(const nn::DenseLayer& layer);

// Number of alive entries in each tile (grid_rows x grid_cols).
Eigen::MatrixXi tile_nonzeros(const Eigen::MatrixXf& pattern, TileDims dims);
// Tiles holding at least one alive entry.
Index count_nonempty_tiles(const Eigen::MatrixXf& pattern, TileDims dims);

enum class TileScore { kMin, kMax, kMean, kL2 };
const char* tile_score_name(TileScore s);
TileScore parse_tile_score(const std::string& text);  // "min", "max", "mean"/"avg", "l2"

// Score of every tile over |w| of its entries (grid_rows x grid_cols).
Eigen::MatrixXd tile_scores(const Eigen::MatrixXf& W, TileDims dims, TileScore score);

}  // namespace hepex::prune
