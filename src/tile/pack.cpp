#include "tile/pack.hpp"

#include <algorithm>

#include "util/parallel.hpp"

namespace hepex::tile {

namespace {

void require_tensor_fits(const Tensor& tensor, const TileTensorShape& shape, const char* who) {
  if (tensor.dims() != shape.tensor_dims()) {
    std::string dims;
    for (auto d : tensor.dims()) {
      if (!dims.empty()) dims += 'x';
      dims += std::to_string(d);
    }
    throw MismatchError(std::string(who) + ": tensor " + dims + " does not match tile tensor shape " +
                        shape.to_string());
  }
}

// Tensor offsets of the valid slots of one tile (slots below `limit`; 0: all), given the tensor layout of
// shape.tensor_dims().
template <class Visit>
void for_each_valid_slot(const TileTensorShape& shape, std::size_t tile_index, Visit visit, std::size_t limit = 0) {
  const std::size_t rank = shape.rank();
  const auto pos = shape.grid_position(tile_index);
  const auto dims = shape.tensor_dims();
  std::vector<std::size_t> tensor_stride(rank, 1);
  for (std::size_t d = rank - 1; d-- > 0;) tensor_stride[d] = tensor_stride[d + 1] * dims[d + 1];
  // Strides and tile sizes are powers of two: a slot's coordinate along d is a shift and a mask.
  std::vector<int> shift(rank);
  for (std::size_t d = 0; d < rank; ++d)
    while ((std::size_t{1} << shift[d]) < shape.slot_stride(d)) ++shift[d];
  const std::size_t slots = limit ? limit : shape.slots_per_tile();
  for (std::size_t slot = 0; slot < slots; ++slot) {
    std::size_t offset = 0;
    bool valid = true;
    for (std::size_t d = 0; d < rank && valid; ++d) {
      const auto& x = shape.dim(d);
      const std::size_t c = (slot >> shift[d]) & (x.tile - 1);
      if (x.replicated) continue;  // every copy holds element 0
      const std::size_t g = pos[d] * x.tile + c;
      if (g >= x.size) valid = false;
      else offset += g * tensor_stride[d];
    }
    if (valid) visit(slot, offset);
  }
}

}  // namespace

std::vector<std::ptrdiff_t> tile_slot_map(const TileTensorShape& shape, std::size_t tile_index) {
  std::vector<std::ptrdiff_t> map(shape.slots_per_tile(), -1);
  for_each_valid_slot(shape, tile_index,
                      [&](std::size_t slot, std::size_t offset) { map[slot] = static_cast<std::ptrdiff_t>(offset); });
  return map;
}

namespace {
// The slots of a tile repeat with this period when the dimensions above it are all replicated (a weight
// tile with the batch outermost): the extent of the non-replicated dimensions in the slot order.
std::size_t replication_period(const TileTensorShape& shape) {
  std::size_t period = 1;
  for (std::size_t d = 0; d < shape.rank(); ++d)
    if (!shape.dim(d).replicated) period = std::max(period, shape.slot_stride(d) * shape.dim(d).tile);
  return period;
}
}  // namespace

std::vector<double> tile_slots(const Tensor& tensor, const TileTensorShape& shape, std::size_t tile_index) {
  require_tensor_fits(tensor, shape, "tile_slots");
  std::vector<double> slots(shape.slots_per_tile(), 0.0);
  // One period from the tensor, then copies (slot s holds what slot s mod period does).
  const std::size_t period = replication_period(shape);
  for_each_valid_slot(
      shape, tile_index, [&](std::size_t slot, std::size_t offset) { slots[slot] = tensor.data()[offset]; }, period);
  for (std::size_t s = period; s < slots.size(); s += period)
    std::copy_n(slots.begin(), period, slots.begin() + static_cast<std::ptrdiff_t>(s));
  return slots;
}

PlainTileTensor pack_plain(const backend::Backend& backend, const Tensor& tensor, const TileTensorShape& shape,
                           int level, double scale, bool skip_zero_tiles) {
  require_tensor_fits(tensor, shape, "pack_plain");
  shape.require_slots(backend.slot_count(), "pack_plain");
  std::vector<backend::Plaintext> tiles(shape.tile_count());
  // Backends are thread-safe; tiles are independent.
  parallel_for(tiles.size(), [&](std::size_t i) {
    const auto slots = tile_slots(tensor, shape, i);
    if (skip_zero_tiles && std::all_of(slots.begin(), slots.end(), [](double v) { return v == 0.0; })) return;
    tiles[i] = backend.encode(slots, level, scale);
  });
  return PlainTileTensor(shape, std::move(tiles));
}

CipherTileTensor pack_encrypted(const backend::Backend& backend, const Tensor& tensor, const TileTensorShape& shape,
                                int level, double scale, const std::vector<bool>& sent) {
  require_tensor_fits(tensor, shape, "pack_encrypted");
  shape.require_slots(backend.slot_count(), "pack_encrypted");
  if (!sent.empty() && sent.size() != shape.tile_count())
    throw InvalidArgument("pack_encrypted: " + std::to_string(sent.size()) + " flags for " +
                          std::to_string(shape.tile_count()) + " tiles");
  std::vector<backend::Ciphertext> tiles(shape.tile_count());
  parallel_for(tiles.size(), [&](std::size_t i) {
    if (!sent.empty() && !sent[i]) return;
    tiles[i] = backend.encrypt(backend.encode(tile_slots(tensor, shape, i), level, scale));
  });
  return CipherTileTensor(shape, std::move(tiles));
}

namespace {
template <class Handle, class Read>
Tensor unpack_with(const TileTensorOf<Handle>& tt, Read read) {
  const auto& shape = tt.shape();
  Tensor out(shape.tensor_dims());
  for (std::size_t i = 0; i < tt.tile_count(); ++i) {
    if (tt.absent(i)) continue;  // zeros
    const std::vector<double> slots = read(tt.tile(i));
    for_each_valid_slot(shape, i, [&](std::size_t slot, std::size_t offset) { out.data()[offset] = slots[slot]; });
  }
  return out;
}
}  // namespace

Tensor unpack(const backend::Backend& backend, const CipherTileTensor& tiles) {
  tiles.shape().require_slots(backend.slot_count(), "unpack");
  return unpack_with(tiles, [&](const backend::Ciphertext& c) { return backend.decrypt(c); });
}

Tensor unpack(const backend::Backend& backend, const PlainTileTensor& tiles) {
  tiles.shape().require_slots(backend.slot_count(), "unpack");
  return unpack_with(tiles, [&](const backend::Plaintext& p) { return backend.decode(p); });
}

}  // namespace hepex::tile
