#pragma once
// Neuron permutation (HE-PEx "permute"): reorder the neurons of every dimension of an FC chain so that
// the alive weights gather into as few tiles as possible, without changing the network's function.
//
// Dimension d of a chain of L layers: d = 0 is the network input, d = L its output, the others hidden.
// Reordering dimension d permutes the rows of layer d-1 (W, b, mask) and the columns of layer d (W, mask);
// the activation is element-wise, so the function is unchanged. The input and output orders are stored in
// the model (input_perm / output_perm) for the client, who permutes in the clear.
//
// Objective: the exact number of non-empty tiles. For one dimension with group size g, neurons fall in
// groups of g consecutive positions, and a tile is non-empty iff some neuron of its group has an alive
// weight in it, so the dimension's share of the cost is sum over groups of |union of the neurons'
// footprints| (footprint = the tile columns of layer d-1 and tile rows of layer d the neuron touches).
// Solver: balanced k-means on footprints (the paper's method: groups of exactly g), then exact pairwise
// swap descent on the objective (our addition). Every step is accepted only if it lowers the count, so
// the count never increases.
#include <cstdint>
#include <vector>

#include "nn/model.hpp"
#include "prune/tiling.hpp"

namespace hepex::prune {

// perms[d][i] = the current index of the neuron that moves to position i, for every dimension d.
struct ModelPermutation {
  std::vector<std::vector<std::uint32_t>> dims;
};

// Applies the permutation to the model's layers and composes it into input_perm / output_perm.
// Any model of the same architecture can take it (e.g. the dense weights kept for expansion).
void apply_permutation(nn::Model& model, const ModelPermutation& perm);

struct PermuteOptions {
  int rounds = 5;              // passes over all dimensions; stops early when a pass gains nothing
  int kmeans_iterations = 20;  // balanced k-means iterations per dimension
  int swap_passes = 8;         // pairwise swap-descent passes per dimension (0 = k-means only, as the paper)
  bool permute_input = true;   // the client reorders inputs / outputs in the clear
  bool permute_output = true;
};

struct PermuteResult {
  ModelPermutation permutation;
  Eigen::Index tiles_before = 0;  // non-empty tiles before
  Eigen::Index tiles_after = 0;   // and after (never more)
  int rounds_run = 0;
};

// Finds a permutation for the model's alive pattern (masks, or non-zeros) under the given tile dims.
// Deterministic. Does not modify the model: apply the result with apply_permutation.
PermuteResult optimize_permutation(const nn::Model& model, const std::vector<TileDims>& dims,
                                   const PermuteOptions& options = {});

}  // namespace hepex::prune
