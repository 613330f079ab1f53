#pragma once
// Zeroing whole weight tiles at random (tiling convention of compiled.hpp / prune/tiling.hpp): the
// experiment knob that measures how encrypted cost follows the number of tiles kept, independent of any
// pruning policy.
#include <cstddef>
#include <cstdint>

#include "nn/model.hpp"

namespace hepex::infer {

// In every layer, zeroes round(fraction * tiles) weight tiles chosen uniformly at random (seeded), never
// a layer's last non-zero tile of an output tile row, so no tile row dies. Returns the tiles zeroed.
std::size_t zero_random_tiles(nn::Model& model, std::size_t t1, std::size_t t2, double fraction, std::uint64_t seed);

}  // namespace hepex::infer
