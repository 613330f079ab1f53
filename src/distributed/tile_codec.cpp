#include "distributed/tile_codec.hpp"

#include "backend/ckks_backend.hpp"
#include "backend/sim_backend.hpp"
#include "ckks/serialize.hpp"
#include "io/binary.hpp"
#include "util/error.hpp"

namespace hepex::distributed {

namespace {
// Bounds a length read from a peer's bytes before anything is allocated (a tile is far below it).
constexpr std::uint64_t kMaxTileBytes = std::uint64_t{1} << 32;
}  // namespace

TileCodec::TileCodec(const backend::Backend& be) : be_(be), ckks_(dynamic_cast<const backend::CkksBackend*>(&be)) {
  if (!ckks_ && !dynamic_cast<const backend::SimBackend*>(&be))
    throw InvalidArgument("TileCodec: tiles can travel between processes for the CKKS and the simulator backends only");
}

std::vector<std::uint8_t> TileCodec::pack(const tile::CipherTileTensor& t, const std::vector<std::size_t>& owner,
                                          std::size_t part) const {
  io::BinaryWriter w;
  for (std::size_t i = 0; i < t.tile_count(); ++i) {
    if (owner.at(i) != part) continue;
    const auto& ct = t.tile(i);
    if (ct.empty()) {
      w.write<std::uint64_t>(0);
    } else if (ckks_) {
      const auto bytes = ckks::to_bytes(static_cast<const backend::CkksBackend&>(be_).unwrap(ct));
      w.write_vector(bytes);
    } else {
      const auto& sim = static_cast<const backend::SimBackend&>(be_);
      io::BinaryWriter tile;
      tile.write<std::int32_t>(sim.level(ct));
      tile.write<std::int32_t>(sim.size(ct));
      tile.write<double>(sim.scale(ct));
      tile.write_vector(sim.peek(ct));
      w.write_vector(tile.bytes());
    }
  }
  return w.bytes();
}

void TileCodec::unpack(std::vector<std::uint8_t> bytes, const std::vector<std::size_t>& owner, std::size_t part,
                       std::vector<backend::Ciphertext>& tiles, const std::string& name) const {
  io::BinaryReader r(std::move(bytes), name);
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    if (owner.at(i) != part) continue;
    auto body = r.read_vector<std::uint8_t>(kMaxTileBytes);
    if (body.empty()) {
      tiles[i] = backend::Ciphertext{};
    } else if (ckks_) {
      const auto& ckks_be = static_cast<const backend::CkksBackend&>(be_);
      const std::string tile_name = name + " tile " + std::to_string(i);
      tiles[i] = ckks_be.wrap(ckks::parse_ciphertext(ckks_be.context(), std::move(body), tile_name));
    } else {
      const auto& sim = static_cast<const backend::SimBackend&>(be_);
      io::BinaryReader tile(std::move(body), name + " tile " + std::to_string(i));
      const int level = tile.read<std::int32_t>(), size = tile.read<std::int32_t>();
      const double scale = tile.read<double>();
      const auto slots = tile.read_vector<double>(sim.slot_count());
      tile.expect_end();
      if (size != 2) tile.fail("a simulated tile of " + std::to_string(size) + " parts (a gather takes relinearized tiles)");
      tiles[i] = sim.encrypt(sim.encode(slots, level, scale));
    }
  }
  r.expect_end();
}

}  // namespace hepex::distributed
