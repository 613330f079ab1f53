#pragma once
// The planner's model of what the executor does for one layer, stage by stage, derived only from the
// zero-tile pattern of the compiled layer (no backend involved). The executor's measured counts must equal
// the sum of the stages; tests check it on the simulator.
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "backend/op_counts.hpp"
#include "infer/compiled.hpp"

namespace hepex::infer {

struct Stage {
  std::string name;  // "product", "sum", "rescale", "bias", "clear", "square", "duplicate", "copies", "post"
  int level = 0;     // level the stage's operations run at
  backend::OpCounts counts;
};

// Stages of layer `l` of `net` for `batch_tiles` tiles along the batch and input level `level_in`.
std::vector<Stage> layer_stages(const CompiledNetwork& net, std::size_t l, std::size_t batch_tiles, int level_in);

// The levels layer `l` (input level `level_in`) switches keys at: each rotation step's highest level and
// the relinearization's (-1: no square). Keys are trimmed to the highest level over all layers.
struct KeyLevels {
  std::map<int, int> rotations;  // left-rotation step, normalized to (0, slots) -> level
  int relin = -1;
  // Records a use of `step` at `level` (the highest use is kept).
  void use(int step, int level);
  // The highest of both: merges another layer's levels into these.
  void merge(const KeyLevels& other);
};
// `with_copies` false: without the rotations of the layer's output copies (layer_copy_steps), for when the
// next layer makes them.
KeyLevels layer_key_levels(const CompiledNetwork& net, std::size_t l, std::size_t slots, int level_in,
                           bool with_copies = true);
// Per layer, the keys a server switches with while the layer runs, each at the highest level it is used at
// there: the layer's own (layer_key_levels, `level_in` per layer), and a layer's output copies in the layer
// that makes them: the next one when `copies_on_read[l]` (Executor::copies_on_read), layer l otherwise.
std::vector<KeyLevels> layer_key_uses(const CompiledNetwork& net, std::span<const int> level_in, std::size_t slots,
                                      const std::vector<bool>& copies_on_read);
// The left-rotation steps (in (0, slots)) of layer l's copies of its outputs, which the next layer reads
// (unknowns masked in its weights); empty when the layer makes none. Part of layer_key_levels.
std::vector<int> layer_copy_steps(const CompiledNetwork& net, std::size_t l, std::size_t slots);

// Bias tile rows that are encoded (some non-zero value, and a ciphertext to add it to).
std::vector<bool> bias_rows_present(const CompiledLayer& layer);

std::size_t log2_size(std::size_t power_of_two);

// Bytes of one weight tile's plaintext at `level` in a ring of degree n, as the backends hold it: compact
// (2 t1 t2 words per limb, backend.hpp: compact_period) with the batch outermost, n words per limb otherwise.
std::size_t weight_tile_bytes(const CompiledNetwork& net, std::size_t ring_degree, int level);

}  // namespace hepex::infer
