#pragma once
// A process's share of a layer's output tiles as bytes, to hand them to the other processes of a shared
// evaluation (infer/distribution.hpp). Real CKKS tiles travel in the engine's ciphertext format (and are
// validated again on arrival by its loader); the simulator's as their level, scale and clear slots, rebuilt
// through the simulator's own encode + encrypt, which copy the slots exactly (noise off).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "tile/tile_tensor.hpp"

namespace hepex::distributed {

class TileCodec {
 public:
  // InvalidArgument for a backend that is neither CkksBackend nor SimBackend.
  explicit TileCodec(const backend::Backend& be);

  // The tiles i of `t` with owner[i] == part, in tile order: each as its length (0: absent) and bytes.
  std::vector<std::uint8_t> pack(const tile::CipherTileTensor& t, const std::vector<std::size_t>& owner,
                                 std::size_t part) const;
  // Puts the tiles packed by `part` into `tiles` (the same owner map). FormatError naming `name` when the
  // bytes do not hold exactly those tiles.
  void unpack(std::vector<std::uint8_t> bytes, const std::vector<std::size_t>& owner, std::size_t part,
              std::vector<backend::Ciphertext>& tiles, const std::string& name) const;

 private:
  const backend::Backend& be_;
  bool ckks_;
};

}  // namespace hepex::distributed
