#pragma once
// Data-aware saliency: how much the loss grows when a weight or a whole tile is removed (our addition to
// HE-PEx, whose criteria look at |w| only).
//
// Removing the weights S of output neuron r perturbs its pre-activation by dz_r = -w_{r,S} . x_S. If the
// mean part w_{r,S} . mu_S is moved into the bias (bias compensation), only the centred part remains,
// E[dz_r^2] = w_{r,S} Cov[x_S] w_{r,S}^T. For the MSE loss L = |y - t|^2 / d, the Gauss-Newton estimate
// of the loss increase is E[dz^T J^T J dz] / d; keeping its diagonal, each neuron weighs its E[dz_r^2] by
//   sensitivity_r = E ||J_r||^2 / d,   J_r = dy / dz_r,
// estimated with Hutchinson probes: ||J_r||^2 = E_v[(J^T v)_r^2] for v ~ N(0, I), one backward pass each.
// Why it matters on MNIST: border pixels have (near) zero variance, so every weight that reads them has
// (near) zero saliency whatever its |w|; and per-layer scales become comparable for a global ranking.
#include <cstdint>
#include <vector>

#include "nn/model.hpp"
#include "prune/tiling.hpp"

namespace hepex::prune {

struct LayerStatistics {
  Eigen::VectorXd mean;         // E[x] of the layer's input (model order), in
  Eigen::MatrixXd covariance;   // Cov[x], in x in
  Eigen::VectorXd sensitivity;  // E ||dy/dz_r||^2 / d per output neuron r (d = network output width)
};

struct Saliency {
  std::vector<LayerStatistics> layers;
};

// Statistics of `model` on `samples` (rows, original feature order; at most `max_samples` are used, the
// first ones) with `probes` Hutchinson probes per sample drawn from `seed`. Deterministic.
Saliency measure_saliency(const nn::Model& model, const nn::RowMatrix& samples, std::uint64_t seed,
                          Eigen::Index max_samples = 4096, int probes = 2);

// Estimated loss increase of removing each single weight of the layer: sensitivity_r * w_rj^2 * Var[x_j].
Eigen::MatrixXd weight_saliency(const nn::DenseLayer& layer, const LayerStatistics& stats);

// Estimated loss increase of removing each tile (its alive weights), with bias compensation:
// sum over the tile's rows r of sensitivity_r * w_{r,T} Cov[x_T] w_{r,T}^T. grid_rows x grid_cols.
Eigen::MatrixXd tile_saliency(const nn::DenseLayer& layer, TileDims dims, const LayerStatistics& stats);

// Bias compensation: for every weight whose mask goes from 1 (in `before`) to 0 (now), adds w_rj * E[x_j]
// (w from `before`) to b_r, so the layer's mean pre-activation is unchanged. Call after masking.
void compensate_bias(nn::DenseLayer& layer, const nn::DenseLayer& before, const LayerStatistics& stats);

}  // namespace hepex::prune
