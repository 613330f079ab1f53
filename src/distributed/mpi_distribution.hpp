#pragma once
// infer::Distribution over MPI: one part per rank; a layer's gather packs this rank's tiles (TileCodec)
// and exchanges them with every other rank, so each holds the whole output, the next layer's input.
#include "distributed/mpi_world.hpp"
#include "infer/distribution.hpp"

namespace hepex::distributed {

class MpiDistribution final : public infer::Distribution {
 public:
  explicit MpiDistribution(const MpiWorld& world) : world_(world) {}  // `world` outlives this

  std::size_t parts() const override { return world_.size(); }
  std::size_t part() const override { return world_.rank(); }
  tile::CipherTileTensor gather(const backend::Backend& be, tile::CipherTileTensor mine,
                                const std::vector<std::size_t>& owner, std::size_t& bytes) const override;

 private:
  const MpiWorld& world_;
};

}  // namespace hepex::distributed
