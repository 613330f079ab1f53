#include "prune/permutation.hpp"

#include <algorithm>
#include <bit>
#include <numeric>

#include "prune/tile_stats.hpp"
#include "util/error.hpp"

namespace hepex::prune {
namespace {

using Index = Eigen::Index;
using Perm = std::vector<std::uint32_t>;

void check_perm(const Perm& p, Index n, const char* what) {
  if (static_cast<Index>(p.size()) != n) throw InvalidArgument(std::string(what) + ": permutation has wrong length");
  std::vector<char> seen(n, 0);
  for (auto v : p) {
    if (v >= n || seen[v]) throw InvalidArgument(std::string(what) + ": not a permutation");
    seen[v] = 1;
  }
}

template <class M>
M permute_rows(const M& m, const Perm& p) {
  if (m.size() == 0) return m;
  M out(m.rows(), m.cols());
  for (Index i = 0; i < m.rows(); ++i) out.row(i) = m.row(p[i]);
  return out;
}

template <class M>
M permute_cols(const M& m, const Perm& p) {
  if (m.size() == 0) return m;
  M out(m.rows(), m.cols());
  for (Index i = 0; i < m.cols(); ++i) out.col(i) = m.col(p[i]);
  return out;
}

Perm compose(const Perm& outer, const Perm& inner) {  // position i takes what `outer` had at inner[i]
  Perm out(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) out[i] = outer[inner[i]];
  return out;
}

Perm identity(Index n) {
  Perm p(n);
  std::iota(p.begin(), p.end(), 0u);
  return p;
}

// Bitset footprints of the neurons of one dimension, and group occupancy counts for swap descent.
class DimensionProblem {
 public:
  DimensionProblem(const Eigen::MatrixXf* rows_of, TileDims rows_dims, const Eigen::MatrixXf* cols_of,
                   TileDims cols_dims, int group) : group_(group) {
    // rows_of: the layer whose ROWS are this dimension (layer d-1); features = its tile columns.
    // cols_of: the layer whose COLUMNS are this dimension (layer d); features = its tile rows.
    n_ = rows_of ? rows_of->rows() : cols_of->cols();
    const Index f_rows = rows_of ? (rows_of->cols() + rows_dims.cols - 1) / rows_dims.cols : 0;
    const Index f_cols = cols_of ? (cols_of->rows() + cols_dims.rows - 1) / cols_dims.rows : 0;
    features_ = f_rows + f_cols;
    words_ = (features_ + 63) / 64;
    fp_.assign(n_ * words_, 0);
    if (rows_of)
      for (Index c = 0; c < rows_of->cols(); ++c)
        for (Index r = 0; r < n_; ++r)
          if ((*rows_of)(r, c) != 0.f) set_bit(r, c / rows_dims.cols);
    if (cols_of)
      for (Index c = 0; c < n_; ++c)
        for (Index r = 0; r < cols_of->rows(); ++r)
          if ((*cols_of)(r, c) != 0.f) set_bit(c, f_rows + r / cols_dims.rows);
    groups_ = (n_ + group_ - 1) / group_;
  }

  Index size() const { return n_; }

  // Cost of an arrangement: order[i] = neuron at position i.
  Index cost(const Perm& order) const {
    Index total = 0;
    std::vector<std::uint64_t> acc(words_);
    for (Index g = 0; g < groups_; ++g) {
      std::fill(acc.begin(), acc.end(), 0);
      for (Index i = g * group_; i < std::min<Index>(n_, (g + 1) * group_); ++i)
        for (Index w = 0; w < words_; ++w) acc[w] |= fp(order[i])[w];
      for (auto w : acc) total += std::popcount(w);
    }
    return total;
  }

  // Balanced k-means on footprints: groups of exactly `group` neurons (the last may be smaller).
  Perm balanced_kmeans(const Perm& start, int iterations) const {
    std::vector<Index> assign(n_);
    for (Index i = 0; i < n_; ++i) assign[start[i]] = i / group_;
    std::vector<double> centroid(groups_ * features_);
    std::vector<double> dist(n_ * groups_);
    for (int it = 0; it < iterations; ++it) {
      std::fill(centroid.begin(), centroid.end(), 0.0);
      std::vector<Index> members(groups_, 0);
      for (Index n = 0; n < n_; ++n) {
        ++members[assign[n]];
        for (Index f = 0; f < features_; ++f)
          if (bit(n, f)) centroid[assign[n] * features_ + f] += 1.0;
      }
      for (Index g = 0; g < groups_; ++g)
        for (Index f = 0; f < features_; ++f) centroid[g * features_ + f] /= std::max<Index>(1, members[g]);
      // Squared distance of a binary footprint x to centroid c: sum_f (x_f - c_f)^2.
      for (Index g = 0; g < groups_; ++g) {
        double base = 0;
        for (Index f = 0; f < features_; ++f) base += centroid[g * features_ + f] * centroid[g * features_ + f];
        for (Index n = 0; n < n_; ++n) {
          double d = base;
          for (Index f = 0; f < features_; ++f)
            if (bit(n, f)) d += 1.0 - 2.0 * centroid[g * features_ + f];
          dist[n * groups_ + g] = d;
        }
      }
      // Capacity-constrained greedy assignment: cheapest (neuron, group) pairs first.
      std::vector<Index> pairs(n_ * groups_);
      std::iota(pairs.begin(), pairs.end(), Index{0});
      std::stable_sort(pairs.begin(), pairs.end(), [&](Index a, Index b) { return dist[a] < dist[b]; });
      std::vector<Index> room(groups_);
      for (Index g = 0; g < groups_; ++g) room[g] = std::min<Index>(group_, n_ - g * group_);
      std::vector<Index> next(n_, -1);
      Index placed = 0;
      for (Index pi = 0; pi < static_cast<Index>(pairs.size()) && placed < n_; ++pi) {
        const Index n = pairs[pi] / groups_, g = pairs[pi] % groups_;
        if (next[n] >= 0 || room[g] == 0) continue;
        next[n] = g;
        --room[g];
        ++placed;
      }
      if (std::equal(next.begin(), next.end(), assign.begin())) break;
      assign = next;
    }
    return order_from_groups(assign);
  }

  // Exact swap descent: swap two neurons of different groups whenever it lowers the cost.
  Perm swap_descent(Perm order, int passes) const {
    std::vector<Index> where(n_);  // group of each neuron
    for (Index i = 0; i < n_; ++i) where[order[i]] = i / group_;
    std::vector<int> count(groups_ * features_, 0);
    std::vector<std::uint64_t> occ(groups_ * words_, 0), single(groups_ * words_, 0);
    const auto refresh = [&](Index g) {
      for (Index w = 0; w < words_; ++w) occ[g * words_ + w] = single[g * words_ + w] = 0;
      for (Index f = 0; f < features_; ++f) {
        const int c = count[g * features_ + f];
        if (c > 0) occ[g * words_ + f / 64] |= 1ull << (f % 64);
        if (c == 1) single[g * words_ + f / 64] |= 1ull << (f % 64);
      }
    };
    const auto add = [&](Index n, Index g, int s) {
      for (Index f = 0; f < features_; ++f)
        if (bit(n, f)) count[g * features_ + f] += s;
    };
    for (Index n = 0; n < n_; ++n) add(n, where[n], +1);
    for (Index g = 0; g < groups_; ++g) refresh(g);

    for (int pass = 0; pass < passes; ++pass) {
      bool improved = false;
      for (Index a = 0; a < n_; ++a) {
        for (Index b = a + 1; b < n_; ++b) {
          const Index ga = where[a], gb = where[b];
          if (ga == gb) continue;
          const std::uint64_t* fa = fp(a);
          const std::uint64_t* fb = fp(b);
          long delta = 0;
          for (Index w = 0; w < words_; ++w) {
            const std::uint64_t only_a = fa[w] & ~fb[w], only_b = fb[w] & ~fa[w];
            delta -= std::popcount(only_a & single[ga * words_ + w]);
            delta += std::popcount(only_b & ~occ[ga * words_ + w]);
            delta -= std::popcount(only_b & single[gb * words_ + w]);
            delta += std::popcount(only_a & ~occ[gb * words_ + w]);
          }
          if (delta < 0) {
            add(a, ga, -1);
            add(b, gb, -1);
            add(a, gb, +1);
            add(b, ga, +1);
            where[a] = gb;
            where[b] = ga;
            refresh(ga);
            refresh(gb);
            improved = true;
          }
        }
      }
      if (!improved) break;
    }
    return order_from_groups(where);
  }

 private:
  const std::uint64_t* fp(Index n) const { return fp_.data() + n * words_; }
  bool bit(Index n, Index f) const { return (fp_[n * words_ + f / 64] >> (f % 64)) & 1; }
  void set_bit(Index n, Index f) { fp_[n * words_ + f / 64] |= 1ull << (f % 64); }

  // Positions group by group; inside a group neurons keep ascending index (deterministic).
  Perm order_from_groups(const std::vector<Index>& group_of) const {
    Perm order(n_);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return group_of[a] < group_of[b]; });
    return order;
  }

  Index n_ = 0, features_ = 0, words_ = 0, groups_ = 0;
  int group_;
  std::vector<std::uint64_t> fp_;
};

}  // namespace

void apply_permutation(nn::Model& model, const ModelPermutation& perm) {
  auto& layers = model.layers();
  const std::size_t L = layers.size();
  if (perm.dims.size() != L + 1)
    throw InvalidArgument("apply_permutation: expected " + std::to_string(L + 1) + " dimensions, got " +
                          std::to_string(perm.dims.size()));
  for (std::size_t d = 0; d <= L; ++d) {
    const Index n = d < L ? layers[d].in() : layers[L - 1].out();
    check_perm(perm.dims[d], n, "apply_permutation");
    const Perm& p = perm.dims[d];
    if (d >= 1) {
      auto& prev = layers[d - 1];
      prev.W = permute_rows(prev.W, p);
      prev.b = permute_rows(prev.b, p);
      prev.mask = permute_rows(prev.mask, p);
    }
    if (d < L) {
      auto& next = layers[d];
      next.W = permute_cols(next.W, p);
      next.mask = permute_cols(next.mask, p);
    }
  }
  const Perm in_old = model.input_perm().empty() ? identity(layers[0].in()) : model.input_perm();
  const Perm out_old = model.output_perm().empty() ? identity(layers[L - 1].out()) : model.output_perm();
  model.set_input_perm(compose(in_old, perm.dims[0]));
  model.set_output_perm(compose(out_old, perm.dims[L]));
}

PermuteResult optimize_permutation(const nn::Model& model, const std::vector<TileDims>& dims,
                                   const PermuteOptions& options) {
  const auto& layers = model.layers();
  const std::size_t L = layers.size();
  if (dims.size() != L) throw InvalidArgument("optimize_permutation: tile dims for the wrong number of layers");
  std::vector<Eigen::MatrixXf> pattern;
  for (const auto& layer : layers) pattern.push_back(alive_pattern(layer));
  const auto total = [&] {
    Index t = 0;
    for (std::size_t l = 0; l < L; ++l) t += count_nonempty_tiles(pattern[l], dims[l]);
    return t;
  };

  PermuteResult result;
  for (std::size_t d = 0; d <= L; ++d)
    result.permutation.dims.push_back(identity(d < L ? layers[d].in() : layers[L - 1].out()));
  result.tiles_before = total();
  Index current = result.tiles_before;

  for (int round = 0; round < options.rounds; ++round) {
    const Index at_start = current;
    for (std::size_t d = 0; d <= L; ++d) {
      if ((d == 0 && !options.permute_input) || (d == L && !options.permute_output)) continue;
      const Eigen::MatrixXf* rows_of = d >= 1 ? &pattern[d - 1] : nullptr;
      const Eigen::MatrixXf* cols_of = d < L ? &pattern[d] : nullptr;
      const int group = d >= 1 ? dims[d - 1].rows : dims[d].cols;
      if (d >= 1 && d < L && dims[d - 1].rows != dims[d].cols)
        throw InvalidArgument("optimize_permutation: layers " + std::to_string(d - 1) + " and " + std::to_string(d) +
                              " tile their shared dimension differently");
      const DimensionProblem problem(rows_of, d >= 1 ? dims[d - 1] : TileDims{}, cols_of,
                                     d < L ? dims[d] : TileDims{}, group);
      Perm best = identity(problem.size());
      Index best_cost = problem.cost(best);
      const Perm km = problem.balanced_kmeans(best, options.kmeans_iterations);
      if (const Index c = problem.cost(km); c < best_cost) {
        best = km;
        best_cost = c;
      }
      if (options.swap_passes > 0) {
        const Perm sw = problem.swap_descent(best, options.swap_passes);
        if (const Index c = problem.cost(sw); c < best_cost) {
          best = sw;
          best_cost = c;
        }
      }
      if (best == identity(problem.size())) continue;
      if (rows_of) pattern[d - 1] = permute_rows(pattern[d - 1], best);
      if (cols_of) pattern[d] = permute_cols(pattern[d], best);
      result.permutation.dims[d] = compose(result.permutation.dims[d], best);
      current = total();
    }
    ++result.rounds_run;
    if (current >= at_start) break;
  }
  result.tiles_after = current;
  return result;
}

}  // namespace hepex::prune
