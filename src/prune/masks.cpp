#include "prune/masks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "util/error.hpp"

namespace hepex::prune {
namespace {

void check_fraction(double fraction) {
  if (!(fraction >= 0.0 && fraction < 1.0))
    throw InvalidArgument("prune fraction " + std::to_string(fraction) + " must be in [0, 1)");
}

void check_dims(const nn::Model& model, const std::vector<TileDims>& dims) {
  if (dims.size() != model.layers().size())
    throw InvalidArgument("tile dims given for " + std::to_string(dims.size()) + " layers, model has " +
                          std::to_string(model.layers().size()));
}

void ensure_mask(nn::DenseLayer& layer) {
  if (!layer.has_mask()) layer.mask = alive_pattern(layer);
}

void check_ranking(const nn::Model& model, const Ranking& ranking) {
  if (ranking.saliency && ranking.saliency->layers.size() != model.layers().size())
    throw MismatchError("pruning: saliency measured for " + std::to_string(ranking.saliency->layers.size()) +
                        " layers, the model has " + std::to_string(model.layers().size()));
  if (!ranking.layer_cost.empty() && ranking.layer_cost.size() != model.layers().size())
    throw InvalidArgument("pruning: tile costs given for " + std::to_string(ranking.layer_cost.size()) +
                          " layers, the model has " + std::to_string(model.layers().size()));
  for (double c : ranking.layer_cost)
    if (!(c > 0)) throw InvalidArgument("pruning: a tile cost must be positive");
  check_layer_caps(ranking.layer_cap, model.layers().size(), "per-layer cap");
}

double cost_of(const Ranking& ranking, std::size_t layer) {
  return ranking.layer_cost.empty() ? 1.0 : ranking.layer_cost[layer];
}

// Moves the mean contribution of the weights masked since `before` into the biases (saliency only).
void compensate_biases(nn::Model& model, const nn::Model& before, const Saliency* saliency) {
  if (!saliency) return;
  for (std::size_t l = 0; l < model.layers().size(); ++l)
    compensate_bias(model.layers()[l], before.layers()[l], saliency->layers[l]);
}

// One candidate for pruning: a score and where it lives. Ranking sorts by (score, layer, index).
struct Candidate {
  double score;
  std::size_t layer;
  Eigen::Index index;  // column-major entry index, or tile index (tc * grid_rows + tr)
  bool operator<(const Candidate& o) const {
    if (score != o.score) return score < o.score;
    if (layer != o.layer) return layer < o.layer;
    return index < o.index;
  }
};

// Layer l's cap (Ranking::layer_cap: none, one for all, or one per layer).
double cap_of(const std::vector<double>& caps, std::size_t l) {
  return caps.empty() ? 1.0 : caps[caps.size() == 1 ? 0 : l];
}

bool any_cap_binds(const std::vector<double>& caps) {
  return std::any_of(caps.begin(), caps.end(), [](double c) { return c < 1.0; });
}

// A list of caps for messages: "0.5" or "0,0.3,0.3,0".
std::string caps_text(const std::vector<double>& caps) {
  std::string s;
  for (double c : caps) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", c);
    s += (s.empty() ? "" : ",") + std::string(buf);
  }
  return s;
}

// How many more entries each layer may lose under its cap (all of its alive ones without a cap).
std::vector<Eigen::Index> room_under_cap(const std::vector<std::vector<Candidate>>& per_layer,
                                         const std::vector<Eigen::Index>& totals, const std::vector<double>& caps) {
  std::vector<Eigen::Index> room(per_layer.size());
  for (std::size_t l = 0; l < per_layer.size(); ++l) {
    const double cap = cap_of(caps, l);
    const auto alive = static_cast<Eigen::Index>(per_layer[l].size());
    const auto allowed = static_cast<Eigen::Index>(std::floor(cap * static_cast<double>(totals[l]) + 1e-9));
    room[l] = cap >= 1.0 ? alive : std::clamp<Eigen::Index>(allowed - (totals[l] - alive), 0, alive);
  }
  return room;
}

// Marks the lowest `fraction` of each ranking group (one group per layer, or one for all) via `kill`,
// taking no more than room[layer] from any layer (see Ranking::layer_cap). `unit` names the entries.
template <class Kill>
void prune_lowest(std::vector<std::vector<Candidate>> per_layer, const std::vector<Eigen::Index>& totals,
                  double fraction, Scope scope, const std::vector<double>& caps, const char* unit, Kill kill) {
  std::vector<Eigen::Index> room = room_under_cap(per_layer, totals, caps);
  std::vector<std::vector<Candidate>> groups;
  std::vector<Eigen::Index> group_totals;
  if (scope == Scope::kLayer) {
    groups = std::move(per_layer);
    group_totals = totals;
  } else {
    groups.emplace_back();
    for (auto& v : per_layer) groups[0].insert(groups[0].end(), v.begin(), v.end());
    group_totals.push_back(std::accumulate(totals.begin(), totals.end(), Eigen::Index{0}));
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto& cands = groups[g];
    // Entries already dead count towards the target; `cands` holds only the alive ones.
    const auto target = static_cast<Eigen::Index>(std::llround(fraction * static_cast<double>(group_totals[g])));
    const Eigen::Index dead = group_totals[g] - static_cast<Eigen::Index>(cands.size());
    const Eigen::Index need = std::clamp<Eigen::Index>(target - dead, 0, static_cast<Eigen::Index>(cands.size()));
    if (!any_cap_binds(caps)) {
      std::partial_sort(cands.begin(), cands.begin() + need, cands.end());
      for (Eigen::Index i = 0; i < need; ++i) kill(cands[i]);
      continue;
    }
    Eigen::Index capacity = 0;
    for (std::size_t l = 0; l < room.size(); ++l)
      if (scope == Scope::kGlobal || l == g) capacity += room[l];
    if (need > capacity)
      throw InvalidArgument("pruning " + std::to_string(fraction) + " of the " + unit +
                            (scope == Scope::kLayer ? " of layer " + std::to_string(g) : std::string()) + " needs " +
                            std::to_string(need) + " more removed, but the per-layer cap " + caps_text(caps) +
                            " leaves room for " + std::to_string(capacity) +
                            " (raise the cap or lower the fraction)");
    std::sort(cands.begin(), cands.end());
    Eigen::Index done = 0;
    for (std::size_t i = 0; i < cands.size() && done < need; ++i)
      if (room[cands[i].layer] > 0) {
        --room[cands[i].layer];
        kill(cands[i]);
        ++done;
      }
  }
}

void for_each_tile(const TileGrid& grid, auto&& fn) {
  for (Eigen::Index tc = 0; tc < grid.grid_cols(); ++tc)
    for (Eigen::Index tr = 0; tr < grid.grid_rows(); ++tr) fn(tr, tc);
}

void mask_tile(nn::DenseLayer& layer, TileDims dims, Eigen::Index tr, Eigen::Index tc, float value) {
  const Eigen::Index r0 = tr * dims.rows, c0 = tc * dims.cols;
  layer.mask
      .block(r0, c0, std::min<Eigen::Index>(dims.rows, layer.out() - r0),
             std::min<Eigen::Index>(dims.cols, layer.in() - c0))
      .setConstant(value);
}

}  // namespace

void check_layer_caps(const std::vector<double>& caps, std::size_t layers, const std::string& what) {
  if (caps.size() > 1 && caps.size() != layers)
    throw InvalidArgument("pruning: " + what + "s given for " + std::to_string(caps.size()) + " layers, the model has " +
                          std::to_string(layers));
  for (double c : caps)
    if (!(c >= 0 && c <= 1)) throw InvalidArgument("pruning: the " + what + " " + std::to_string(c) + " must be in [0, 1]");
}

Scope parse_scope(const std::string& text) {
  if (text == "layer" || text == "Lc" || text == "lc") return Scope::kLayer;
  if (text == "global" || text == "Gl" || text == "gl") return Scope::kGlobal;
  throw InvalidArgument("pruning scope '" + text + "': expected layer (Lc) or global (Gl)");
}

const char* scope_name(Scope s) { return s == Scope::kLayer ? "Lc" : "Gl"; }

void prune_unstructured(nn::Model& model, double fraction, Scope scope, const Ranking& ranking) {
  check_fraction(fraction);
  check_ranking(model, ranking);
  auto& layers = model.layers();
  std::vector<std::vector<Candidate>> per_layer(layers.size());
  std::vector<Eigen::Index> totals(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    ensure_mask(layers[l]);
    totals[l] = layers[l].W.size();
    const Eigen::MatrixXd scores = ranking.saliency ? weight_saliency(layers[l], ranking.saliency->layers[l])
                                                    : Eigen::MatrixXd(layers[l].W.cast<double>().cwiseAbs());
    const double cost = cost_of(ranking, l);
    for (Eigen::Index i = 0; i < layers[l].W.size(); ++i)
      if (layers[l].mask.data()[i] != 0.f) per_layer[l].push_back({scores.data()[i] / cost, l, i});
  }
  prune_lowest(std::move(per_layer), totals, fraction, scope, ranking.layer_cap, "weights",
               [&](const Candidate& c) { layers[c.layer].mask.data()[c.index] = 0.f; });
  for (auto& layer : layers) layer.apply_mask();
}

namespace {

// What tile pruning and tile-row pruning share: checks, per layer the alive count of every tile and its
// score (saliency, else `score` over the alive |w|), a ranking over the candidates `collect` makes of them
// (it returns the layer's total count of its units), `kill` for the lowest, then masks applied and, with
// saliency, the removed weights' mean contribution moved into the biases.
template <class Collect, class Kill>
void prune_by_tile_scores(nn::Model& model, const std::vector<TileDims>& dims, double fraction, Scope scope,
                          TileScore score, const Ranking& ranking, const char* unit, Collect collect, Kill kill) {
  check_fraction(fraction);
  check_dims(model, dims);
  check_ranking(model, ranking);
  const nn::Model before = ranking.saliency ? model : nn::Model{};
  auto& layers = model.layers();
  std::vector<std::vector<Candidate>> per_layer(layers.size());
  std::vector<Eigen::Index> totals(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    ensure_mask(layers[l]);
    const TileGrid grid{layers[l].out(), layers[l].in(), dims[l]};
    const Eigen::MatrixXi nz = tile_nonzeros(layers[l].mask, dims[l]);
    const Eigen::MatrixXf masked_w = layers[l].W.cwiseProduct(layers[l].mask);
    const Eigen::MatrixXd scores = ranking.saliency ? tile_saliency(layers[l], dims[l], ranking.saliency->layers[l])
                                                    : tile_scores(masked_w, dims[l], score);
    totals[l] = collect(l, grid, nz, scores, per_layer[l]);
  }
  prune_lowest(std::move(per_layer), totals, fraction, scope, ranking.layer_cap, unit,
               [&](const Candidate& c) { kill(layers[c.layer], dims[c.layer], c.index); });
  for (auto& layer : layers) layer.apply_mask();
  compensate_biases(model, before, ranking.saliency);
}

}  // namespace

void prune_tiles(nn::Model& model, const std::vector<TileDims>& dims, double fraction, Scope scope,
                 TileScore score, const Ranking& ranking) {
  const auto collect = [&](std::size_t l, const TileGrid& grid, const Eigen::MatrixXi& nz,
                           const Eigen::MatrixXd& scores, std::vector<Candidate>& out) {
    const double cost = cost_of(ranking, l);
    for_each_tile(grid, [&](Eigen::Index tr, Eigen::Index tc) {
      if (nz(tr, tc) > 0) out.push_back({scores(tr, tc) / cost, l, tc * grid.grid_rows() + tr});
    });
    return grid.tile_count();
  };
  const auto kill = [](nn::DenseLayer& layer, TileDims d, Eigen::Index index) {
    const TileGrid grid{layer.out(), layer.in(), d};
    mask_tile(layer, d, index % grid.grid_rows(), index / grid.grid_rows(), 0.f);
  };
  prune_by_tile_scores(model, dims, fraction, scope, score, ranking, "tiles", collect, kill);
}

void prune_tile_rows(nn::Model& model, const std::vector<TileDims>& dims, double fraction, Scope scope,
                     const Ranking& ranking) {
  // A row's score: saliency adds over its tiles; |w| takes the L2 norm of all its alive weights.
  const auto collect = [&](std::size_t l, const TileGrid& grid, const Eigen::MatrixXi& nz,
                           const Eigen::MatrixXd& tile, std::vector<Candidate>& out) {
    for (Eigen::Index tr = 0; tr < grid.grid_rows(); ++tr) {
      Eigen::Index live = 0;
      double score = 0;
      for (Eigen::Index tc = 0; tc < grid.grid_cols(); ++tc) {
        if (nz(tr, tc) == 0) continue;
        ++live;
        score += ranking.saliency ? tile(tr, tc) : tile(tr, tc) * tile(tr, tc);
      }
      if (live == 0) continue;
      if (!ranking.saliency) score = std::sqrt(score);
      const double cost = ranking.layer_cost.empty() ? 1.0 : cost_of(ranking, l) * static_cast<double>(live);
      out.push_back({score / cost, l, tr});
    }
    return grid.grid_rows();
  };
  const auto kill = [](nn::DenseLayer& layer, TileDims d, Eigen::Index row) {
    const Eigen::Index r0 = row * d.rows;
    layer.mask.middleRows(r0, std::min<Eigen::Index>(d.rows, layer.out() - r0)).setZero();
  };
  prune_by_tile_scores(model, dims, fraction, scope, TileScore::kL2, ranking, "tile rows", collect, kill);
}

Eigen::Index drop_sparse_tiles(nn::Model& model, const std::vector<TileDims>& dims, double threshold,
                               const Saliency* saliency) {
  check_dims(model, dims);
  check_ranking(model, Ranking{saliency, {}});
  const nn::Model before = saliency ? model : nn::Model{};
  Eigen::Index dropped = 0;
  for (std::size_t l = 0; l < model.layers().size(); ++l) {
    auto& layer = model.layers()[l];
    ensure_mask(layer);
    const TileGrid grid{layer.out(), layer.in(), dims[l]};
    const Eigen::MatrixXi nz = tile_nonzeros(layer.mask, dims[l]);
    for_each_tile(grid, [&](Eigen::Index tr, Eigen::Index tc) {
      const double density = static_cast<double>(nz(tr, tc)) / static_cast<double>(grid.tile_area(tr, tc));
      if (density <= threshold) {
        if (nz(tr, tc) > 0) ++dropped;
        mask_tile(layer, dims[l], tr, tc, 0.f);
      }
    });
    layer.apply_mask();
  }
  compensate_biases(model, before, saliency);
  return dropped;
}

Eigen::Index expand_tiles(nn::Model& model, const nn::Model& before, const std::vector<TileDims>& dims) {
  check_dims(model, dims);
  if (before.arch_string() != model.arch_string())
    throw MismatchError("expand_tiles: reference model " + before.arch_string() + " does not match " +
                        model.arch_string());
  Eigen::Index enabled = 0;
  for (std::size_t l = 0; l < model.layers().size(); ++l) {
    auto& layer = model.layers()[l];
    const auto& ref = before.layers()[l];
    ensure_mask(layer);
    const TileGrid grid{layer.out(), layer.in(), dims[l]};
    const Eigen::MatrixXi nz = tile_nonzeros(layer.mask, dims[l]);
    for_each_tile(grid, [&](Eigen::Index tr, Eigen::Index tc) {
      if (nz(tr, tc) == 0) return;
      enabled += grid.tile_area(tr, tc) - nz(tr, tc);
      const Eigen::Index r0 = tr * dims[l].rows, c0 = tc * dims[l].cols;
      const Eigen::Index h = std::min<Eigen::Index>(dims[l].rows, layer.out() - r0);
      const Eigen::Index w = std::min<Eigen::Index>(dims[l].cols, layer.in() - c0);
      for (Eigen::Index c = c0; c < c0 + w; ++c)
        for (Eigen::Index r = r0; r < r0 + h; ++r)
          if (layer.mask(r, c) == 0.f) {
            layer.mask(r, c) = 1.f;
            layer.W(r, c) = ref.W(r, c);
          }
    });
  }
  return enabled;
}

std::vector<TileCount> tiles_per_layer(const nn::Model& model, const std::vector<TileDims>& dims) {
  check_dims(model, dims);
  std::vector<TileCount> out;
  for (std::size_t l = 0; l < model.layers().size(); ++l) {
    const auto& layer = model.layers()[l];
    out.push_back({count_nonempty_tiles(alive_pattern(layer), dims[l]),
                   TileGrid{layer.out(), layer.in(), dims[l]}.tile_count()});
  }
  return out;
}

TileCount total_tiles(const nn::Model& model, const std::vector<TileDims>& dims) {
  TileCount t;
  for (const auto& c : tiles_per_layer(model, dims)) {
    t.kept += c.kept;
    t.total += c.total;
  }
  return t;
}

double weight_density(const nn::Model& model) {
  double alive = 0, total = 0;
  for (const auto& layer : model.layers()) {
    alive += alive_pattern(layer).sum();
    total += static_cast<double>(layer.W.size());
  }
  return total > 0 ? alive / total : 0.0;
}

}  // namespace hepex::prune
