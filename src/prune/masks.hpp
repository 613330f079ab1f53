#pragma once
// Pruning masks on a model: unstructured magnitude pruning, whole-tile pruning by score, dropping
// almost-empty tiles, and expansion (re-enabling every weight of the tiles that survive).
// Masks live in the layers (nn::DenseLayer::mask); masked weights are set to exactly 0.
#include <string>
#include <vector>

#include "nn/model.hpp"
#include "prune/saliency.hpp"
#include "prune/tile_stats.hpp"
#include "prune/tiling.hpp"

namespace hepex::prune {

enum class Scope { kLayer, kGlobal };  // "Lc": rank within each layer; "Gl": one ranking across layers
Scope parse_scope(const std::string& text);  // "layer"/"Lc", "global"/"Gl"
const char* scope_name(Scope s);

// What ranks the candidates (our addition to the paper's |w| and tile scores):
//   saliency    null: |w| (weights) and the tile score (tiles). Else the estimated loss increase
//               (saliency.hpp), and whole tiles removed move their mean contribution into the bias.
//   layer_cost  empty: all tiles cost the same. Else the HE cost of one weight tile of each layer (e.g.
//               its RNS limbs); scores are divided by it, so a global ranking removes what costs least
//               quality per unit of encrypted-inference cost saved.
//   layer_cap   empty: no cap. Else the most of each layer's weights (unstructured) or tiles (tile pruning)
//               that may be removed, counting what is already pruned: one entry for every layer, or one per
//               layer (0 keeps a layer whole); the global ranking skips a layer at its cap and goes on down
//               the list, so the target fraction is still met when the caps allow it (else
//               InvalidArgument). Keeps a cost-aware ranking from emptying the most expensive layer.
struct Ranking {
  const Saliency* saliency = nullptr;
  std::vector<double> layer_cost;
  std::vector<double> layer_cap = {};
};
// InvalidArgument unless `caps` (as Ranking::layer_cap) fits a model of `layers` layers; `what` names them.
void check_layer_caps(const std::vector<double>& caps, std::size_t layers, const std::string& what);

// Masks the fraction `fraction` (in [0,1)) of weights with the smallest |w| (already-masked weights count
// as pruned and stay pruned). Ties are broken by position, so the result is deterministic.
void prune_unstructured(nn::Model& model, double fraction, Scope scope, const Ranking& ranking = {});

// Masks whole tiles: the fraction `fraction` of tiles with the lowest score (already-empty tiles count as
// pruned). dims[i] is layer i's tile size.
void prune_tiles(nn::Model& model, const std::vector<TileDims>& dims, double fraction, Scope scope, TileScore score,
                 const Ranking& ranking = {});

// Masks whole tile rows (dims[l].rows output neurons each: the groups whose rotate-and-sum, rescale and
// square the encrypted executor skips once every tile of the row is empty): the fraction `fraction` of
// tile rows with the lowest score (already-empty rows count as pruned). Score: the estimated loss increase
// summed over the row's tiles (saliency), else the L2 norm of its alive weights; with layer_cost, divided
// by the cost of the row's alive tiles. The layer cap counts rows. Saliency moves the removed weights'
// mean contribution into the biases.
void prune_tile_rows(nn::Model& model, const std::vector<TileDims>& dims, double fraction, Scope scope,
                     const Ranking& ranking = {});

// Masks every tile whose alive density (alive entries / tile area) is <= threshold, including tiles
// that are already empty. With saliency, the removed weights' mean contribution moves into the bias.
// Returns the number of non-empty tiles it removed.
Eigen::Index drop_sparse_tiles(nn::Model& model, const std::vector<TileDims>& dims, double threshold,
                               const Saliency* saliency = nullptr);

// Expansion: every tile of `model` that still holds an alive weight becomes fully alive again, each
// re-enabled weight taking its value from `before` (same architecture and neuron order, e.g. the model
// before pruning). Empty tiles stay empty. Returns the number of weights re-enabled.
Eigen::Index expand_tiles(nn::Model& model, const nn::Model& before, const std::vector<TileDims>& dims);

struct TileCount {
  Eigen::Index kept = 0, total = 0;
};
// Non-empty / total tiles per layer and summed.
std::vector<TileCount> tiles_per_layer(const nn::Model& model, const std::vector<TileDims>& dims);
TileCount total_tiles(const nn::Model& model, const std::vector<TileDims>& dims);

// Fraction of weights that are alive (mask 1, or non-zero without a mask).
double weight_density(const nn::Model& model);

}  // namespace hepex::prune
