#pragma once
// pack: plain tensor -> tiles (encoded or encrypted through a backend); unpack: tiles -> plain tensor.
// The tensor's dims must equal shape.tensor_dims() (1 along replicated dimensions). Partial tiles are zero
// padded; replicated dimensions repeat their element in every slot. unpack reads only valid slots, so
// unknowns are ignored; absent tiles unpack as zeros.
#include <cstddef>
#include <vector>

#include "backend/backend.hpp"
#include "tile/tensor.hpp"
#include "tile/tile_tensor.hpp"

namespace hepex::tile {

// The slot values of one tile (slots_per_tile() values).
std::vector<double> tile_slots(const Tensor& tensor, const TileTensorShape& shape, std::size_t tile_index);
// For each slot of the tile: the tensor offset it holds, or -1 for padding/unknown slots. A replicated
// dimension maps every copy to the same element.
std::vector<std::ptrdiff_t> tile_slot_map(const TileTensorShape& shape, std::size_t tile_index);

// Plaintext tile tensor; with skip_zero_tiles, all-zero tiles are absent (not encoded).
PlainTileTensor pack_plain(const backend::Backend& backend, const Tensor& tensor, const TileTensorShape& shape,
                           int level, double scale, bool skip_zero_tiles = true);
// Every tile encoded and encrypted (client side), all-zero ones included: the input's sparsity is data.
// `sent` (one flag per tile, when given): only those tiles, the others absent (nobody reads them).
CipherTileTensor pack_encrypted(const backend::Backend& backend, const Tensor& tensor, const TileTensorShape& shape,
                                int level, double scale, const std::vector<bool>& sent = {});

Tensor unpack(const backend::Backend& backend, const CipherTileTensor& tiles);  // decrypts
Tensor unpack(const backend::Backend& backend, const PlainTileTensor& tiles);   // decodes

}  // namespace hepex::tile
