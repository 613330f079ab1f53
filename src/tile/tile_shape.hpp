#pragma once
// Shapes of tile tensors (HElayers notation). A tensor of up to three dimensions (two feature dimensions
// and a batch dimension) is cut into equal tiles; tile dimension d holds t_d slots and the tile is one
// ciphertext or plaintext of prod t_d = slot count slots.
//
//   n/t    n elements along the dimension, ceil(n/t) tiles, zero padding in the last partial tile
//   */t    replicated: one element repeated in all t slots of the dimension (one tile)
//   n?/t   the slots past n ("unknowns") hold garbage, not zeros
//
// Slots inside a tile are row-major over the tile dimensions: dimension 0 is outermost (largest stride),
// the last one has stride 1 — unless another dimension is made the outermost ("^n/t"): then it has the
// largest stride and the others follow in their order. A batch dimension made outermost turns every tile
// that is replicated over the batch into a periodic slot vector (period: the other tile sizes), which the
// backends hold compact (backend.hpp: compact_period). Tiles are numbered row-major over the tile grid.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hepex::tile {

struct TileDim {
  std::size_t size = 1;     // logical length n (1 when replicated)
  std::size_t tile = 1;     // t: slots along this dimension inside one tile (power of two)
  bool replicated = false;  // "*/t"
  bool unknowns = false;    // "n?/t"

  std::size_t tile_count() const { return replicated ? 1 : (size + tile - 1) / tile; }
  // Valid (non-padding) slot positions of this dimension in the tile at grid position g.
  std::size_t extent(std::size_t g) const;
  bool operator==(const TileDim&) const = default;
};

class TileTensorShape {
 public:
  TileTensorShape() = default;
  // 1..3 dimensions; tile sizes powers of two; replicated dimensions have size 1 and no unknowns;
  // `outer`: the dimension outermost in the slot order (0: plain row-major).
  explicit TileTensorShape(std::vector<TileDim> dims, std::size_t outer = 0);
  // "[784/4, 512/8, */512]", "[10?/4, 3/8]", "[784/4, */8, ^256/256]" (the batch outermost); spaces optional.
  static TileTensorShape parse(std::string_view text);
  // Plain dims n_d tiled by t_d (no replication, no unknowns).
  static TileTensorShape dense(const std::vector<std::size_t>& sizes, const std::vector<std::size_t>& tiles);

  std::string to_string() const;
  std::size_t rank() const { return dims_.size(); }
  const TileDim& dim(std::size_t d) const { return dims_[d]; }
  const std::vector<TileDim>& dims() const { return dims_; }

  std::size_t outer() const { return outer_; }         // the dimension outermost in the slot order
  // A shape with other dimensions (same rank) and this one's slot order.
  TileTensorShape with_dims(std::vector<TileDim> dims) const { return TileTensorShape(std::move(dims), outer_); }

  std::size_t slots_per_tile() const;                  // product of tile sizes
  std::size_t slot_stride(std::size_t d) const;        // stride of dimension d inside a tile
  std::size_t tile_count() const;                      // product of per-dimension tile counts
  // Tiles at one position of dimension 0: the grid is row-major, so they are contiguous in tile order.
  std::size_t tiles_per_row() const { return tile_count() / dims_.front().tile_count(); }
  std::vector<std::size_t> grid() const;               // per-dimension tile counts
  std::vector<std::size_t> grid_position(std::size_t tile_index) const;
  std::size_t tile_index(const std::vector<std::size_t>& grid_position) const;
  std::vector<std::size_t> tensor_dims() const;        // logical sizes (1 for replicated dims)
  std::vector<std::size_t> extents(std::size_t tile_index) const;  // TileDim::extent per dimension
  bool has_unknowns() const;

  // Throws MismatchError naming `who` unless slots_per_tile() == slots.
  void require_slots(std::size_t slots, const std::string& who) const;

  bool operator==(const TileTensorShape&) const = default;

 private:
  std::vector<TileDim> dims_;
  std::size_t outer_ = 0;
};

// Slot i of a tile: true iff c_d < extents[d] for every dimension d (row-major coordinates c).
std::vector<bool> valid_slots(const TileTensorShape& shape, const std::vector<std::size_t>& extents);

}  // namespace hepex::tile
