#include "distributed/mpi_distribution.hpp"

#include "distributed/tile_codec.hpp"

namespace hepex::distributed {

tile::CipherTileTensor MpiDistribution::gather(const backend::Backend& be, tile::CipherTileTensor mine,
                                               const std::vector<std::size_t>& owner, std::size_t& bytes) const {
  const TileCodec codec(be);
  const tile::TileTensorShape shape = mine.shape();
  auto packed = world_.allgather(codec.pack(mine, owner, part()));
  std::vector<backend::Ciphertext> tiles = std::move(mine).take_tiles();
  for (std::size_t r = 0; r < parts(); ++r) {
    // Sent: this rank's bytes to each of the others; received: every other rank's bytes.
    bytes += r == part() ? packed[r].size() * (parts() - 1) : packed[r].size();
    if (r != part()) codec.unpack(std::move(packed[r]), owner, r, tiles, "tiles from rank " + std::to_string(r));
  }
  return tile::CipherTileTensor(shape, std::move(tiles));
}

}  // namespace hepex::distributed
