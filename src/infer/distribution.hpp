#pragma once
// One evaluation shared by cooperating processes (the ranks of `mpirun hepex infer`). Each process computes
// a contiguous share of every layer's output tile rows (products, bias, activation: all per tile), then a
// gather hands every process the whole layer output, the next layer's input. The executor only asks which
// rows are its own and calls gather(); how tiles travel (MPI: src/distributed) is not its business, so
// this header knows no transport.
#include <cstddef>
#include <vector>

#include "backend/backend.hpp"
#include "tile/tile_tensor.hpp"

namespace hepex::infer {

struct RowRange {
  std::size_t begin = 0, end = 0;  // tile rows [begin, end)
  bool empty() const { return begin >= end; }
  bool contains(std::size_t row) const { return row >= begin && row < end; }
};

// Splits a layer's tile rows into `parts` contiguous ranges holding equal numbers of live rows (to within
// one): dead rows cost no products, so counting them would unbalance the work. Every non-empty range
// starts at a live row (the first one also takes any dead rows before it), so each process has a computed
// tile to derive the zeros of its dead rows from; with fewer live rows than parts the last parts are empty.
std::vector<RowRange> split_tile_rows(const std::vector<bool>& dead_rows, std::size_t parts);

class Distribution {
 public:
  virtual ~Distribution() = default;
  virtual std::size_t parts() const = 0;  // cooperating processes
  virtual std::size_t part() const = 0;   // this one, in [0, parts)

  // Completes a layer's output on every process. `mine` holds the tiles this process computed (tile i is
  // computed, present or absent, by process owner[i]; the others' tiles are absent here); returns the
  // tensor with every process's tiles in place, the same on every process. Adds the bytes this process
  // sent and received to `bytes`.
  virtual tile::CipherTileTensor gather(const backend::Backend& be, tile::CipherTileTensor mine,
                                        const std::vector<std::size_t>& owner, std::size_t& bytes) const = 0;
};

}  // namespace hepex::infer
