#pragma once
// Tile tensors: a shape plus one backend handle per tile (row-major over the tile grid).
//
// An empty handle is an ABSENT tile: known to be all zeros, never encoded, stored or multiplied. Plaintext
// weight tensors drop their all-zero tiles this way (the basis of HE-PEx's savings); a ciphertext tile
// multiplied by an absent plaintext tile is absent too, and later additions skip it.
#include <cstddef>
#include <string>
#include <vector>

#include "backend/handles.hpp"
#include "tile/tile_shape.hpp"
#include "util/error.hpp"

namespace hepex::tile {

template <class Handle>
class TileTensorOf {
 public:
  TileTensorOf() = default;
  TileTensorOf(TileTensorShape shape, std::vector<Handle> tiles) : shape_(std::move(shape)), tiles_(std::move(tiles)) {
    if (tiles_.size() != shape_.tile_count())
      throw InvalidArgument("TileTensor " + shape_.to_string() + ": " + std::to_string(tiles_.size()) +
                            " tiles given, the shape has " + std::to_string(shape_.tile_count()));
  }

  const TileTensorShape& shape() const { return shape_; }
  const std::vector<Handle>& tiles() const { return tiles_; }
  // The tiles, moved out (the tensor is left without tiles): lets an operation update them in place.
  std::vector<Handle> take_tiles() && { return std::move(tiles_); }
  const Handle& tile(std::size_t index) const { return tiles_.at(index); }
  bool absent(std::size_t index) const { return tiles_.at(index).empty(); }
  std::size_t tile_count() const { return tiles_.size(); }
  std::size_t present_count() const {
    std::size_t n = 0;
    for (const auto& t : tiles_) n += t.empty() ? 0 : 1;
    return n;
  }

 private:
  TileTensorShape shape_;
  std::vector<Handle> tiles_;
};

using CipherTileTensor = TileTensorOf<backend::Ciphertext>;
using PlainTileTensor = TileTensorOf<backend::Plaintext>;

}  // namespace hepex::tile
