#pragma once
// Shared by the tile tests: a small simulator, random tensors and an independent slot-layout reference.
#include <cstddef>
#include <vector>

#include "backend/sim_backend.hpp"
#include "tile/tensor.hpp"
#include "tile/tile_shape.hpp"
#include "util/csprng.hpp"

namespace tile_test {

// slots = N/2; q_0 = 2^60 then `levels` primes of 2^40, scale 2^40.
inline hepex::backend::SimBackend make_sim(std::size_t slots, int levels = 3) {
  std::vector<int> bits{60};
  for (int l = 0; l < levels; ++l) bits.push_back(40);
  return hepex::backend::SimBackend(hepex::backend::SimParams::from_bits(2 * slots, bits, 40));
}

inline hepex::tile::Tensor random_tensor(hepex::Csprng& rng, const std::vector<std::size_t>& dims) {
  hepex::tile::Tensor t(dims);
  for (auto& v : t.data()) v = 2 * rng.next_double() - 1;
  return t;
}

// What slot `slot` of tile `tile_index` must hold, computed from first principles: tile coordinates by
// row-major strides over the tile sizes, global index = grid position * t + coordinate, zero outside.
inline double expected_slot(const hepex::tile::Tensor& tensor, const hepex::tile::TileTensorShape& shape,
                            std::size_t tile_index, std::size_t slot) {
  const std::size_t r = shape.rank();
  std::vector<std::size_t> grid(r), pos(r), coord(r), index(3, 0);
  for (std::size_t d = 0; d < r; ++d) {
    const auto& x = shape.dim(d);
    grid[d] = x.replicated ? 1 : (x.size + x.tile - 1) / x.tile;
  }
  std::size_t rest = tile_index, s = slot;
  for (std::size_t d = r; d-- > 0;) {
    pos[d] = rest % grid[d];
    rest /= grid[d];
  }
  // Slot coordinates: the outermost dimension first, then the others in their order (row-major otherwise).
  std::vector<std::size_t> order{shape.outer()};
  for (std::size_t d = 0; d < r; ++d)
    if (d != shape.outer()) order.push_back(d);
  for (std::size_t k = r; k-- > 0;) {
    const std::size_t d = order[k];
    coord[d] = s % shape.dim(d).tile;
    s /= shape.dim(d).tile;
  }
  for (std::size_t d = 0; d < r; ++d) {
    const auto& x = shape.dim(d);
    if (x.replicated) continue;
    index[d] = pos[d] * x.tile + coord[d];
    if (index[d] >= x.size) return 0.0;
  }
  return tensor(index[0], index[1], index[2]);
}

}  // namespace tile_test
