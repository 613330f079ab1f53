#include "infer/tile_pruning.hpp"

#include <cmath>
#include <numeric>
#include <vector>

#include "util/csprng.hpp"
#include "util/error.hpp"

namespace hepex::infer {

std::size_t zero_random_tiles(nn::Model& model, std::size_t t1, std::size_t t2, double fraction, std::uint64_t seed) {
  if (!(fraction >= 0 && fraction < 1)) throw InvalidArgument("zero_random_tiles: fraction must be in [0, 1)");
  Csprng rng(seed_from_u64(seed));
  std::size_t zeroed = 0;
  for (std::size_t l = 0; l < model.layers().size(); ++l) {
    auto& W = model.layers()[l].W;
    // Transposed layers (even): tiles of t2 rows x t1 columns; rows layers (odd): t1 x t2.
    const std::size_t tr = l % 2 == 0 ? t2 : t1, tc = l % 2 == 0 ? t1 : t2;
    const std::size_t rows = (std::size_t(W.rows()) + tr - 1) / tr, cols = (std::size_t(W.cols()) + tc - 1) / tc;
    std::vector<std::size_t> order(rows * cols);
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = order.size(); i-- > 1;) std::swap(order[i], order[rng.uniform_below(i + 1)]);
    std::vector<std::size_t> left(rows, cols);  // tiles still non-zero per tile row
    const auto target = static_cast<std::size_t>(std::llround(fraction * double(order.size())));
    std::size_t done = 0;
    for (std::size_t k = 0; k < order.size() && done < target; ++k) {
      const std::size_t r = order[k] / cols, c = order[k] % cols;
      if (left[r] == 1) continue;
      --left[r];
      ++done;
      W.block(Eigen::Index(r * tr), Eigen::Index(c * tc), Eigen::Index(std::min(tr, std::size_t(W.rows()) - r * tr)),
              Eigen::Index(std::min(tc, std::size_t(W.cols()) - c * tc)))
          .setZero();
    }
    zeroed += done;
  }
  return zeroed;
}

}  // namespace hepex::infer
