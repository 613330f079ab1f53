#pragma once
// Operations on tile tensors, run on any backend. Each has a pure shape rule (for the planner) and an
// evaluating form. Absent tiles are skipped everywhere: x * absent = absent, x + absent = x.
//
// Broadcasting: operands have the same rank and tile sizes; along each dimension the sizes are equal, or
// one side is replicated ("*/t") and broadcasts over the other's tiles and slots.
//
// Unknowns: a product has unknowns where garbage meets garbage or a replicated value (garbage x 0 = 0);
// a sum has unknowns where either side does, or where a replicated value lands in the other's padding.
//
// sum_over_dim(d): add the tiles along d (no rotation), then rotate-and-sum inside each tile with d's slot
// stride: log2(t_d) rotations by +stride * 2^i. If d is the outermost non-trivial tile dimension
// (stride * t_d = slots) the rotations are cyclic over d and the result is replicated ("*/t_d"); otherwise
// only position 0 is right and the rest is garbage ("1?/t_d"). The summed dimension must have zero padding.
//
// clear_unknowns: multiply by a 0/1 mask of the valid slots, encoded at the tile's level with scale q_level,
// then rescale: one level, scale unchanged. duplicate_over_dim(d) on a "1/t_d" dimension: log2(t_d)
// rotations by -stride * 2^i copy position 0 into every position ("*/t_d").
//
// Hoisting: the rotate-and-sum steps take `hoisted` (a power of two, default 1): the first log2(hoisted)
// doublings become one sum of `hoisted` rotations by +-stride * i, i < hoisted, sharing one key-switching
// decomposition and one ModDown (Backend::rotate_sum), the rest stay doublings. It needs keys for every
// such stride * i, not only the powers of two; the sums are the same up to rounding.
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "backend/backend.hpp"
#include "tile/tile_tensor.hpp"

namespace hepex::tile {

// --- shape rules
TileTensorShape product_shape(const TileTensorShape& a, const TileTensorShape& b);
TileTensorShape sum_shape(const TileTensorShape& a, const TileTensorShape& b);
TileTensorShape summed_shape(const TileTensorShape& a, std::size_t dim);
TileTensorShape duplicated_shape(const TileTensorShape& a, std::size_t dim);
TileTensorShape cleared_shape(const TileTensorShape& a);
// Whether summing over dim leaves a replicated result (dim is outermost among tile dims > 1).
bool sum_is_replicating(const TileTensorShape& a, std::size_t dim);

// The multiples of the stride a rotate-and-sum over t positions rotates by with `hoisted` (a power of two,
// else InvalidArgument): one hoisted sum of `baby` = min(t, hoisted) rotations by 0 .. baby - 1 (none when
// baby is 1), then doublings by baby 2^j < t. The planner's counts and Galois keys come from it too.
struct RotateAndSumSteps {
  std::size_t baby = 1;
  std::vector<std::size_t> doublings;
};
RotateAndSumSteps rotate_and_sum_steps(std::size_t t, std::size_t hoisted);

// --- evaluation
// Operations taking a CipherTileTensor by value update its tiles in place when the caller hands it over
// (std::move) and its tiles are not shared; given a copy, they compute new tiles as before.
CipherTileTensor multiply(const backend::Backend& be, const CipherTileTensor& a, const CipherTileTensor& b);  // + relin
CipherTileTensor square(const backend::Backend& be, CipherTileTensor a);                               // + relin
CipherTileTensor multiply_plain(const backend::Backend& be, const CipherTileTensor& a, const PlainTileTensor& b);
CipherTileTensor add(const backend::Backend& be, const CipherTileTensor& a, const CipherTileTensor& b);
// Throws if a plaintext tile meets an absent ciphertext tile (the server cannot encrypt it).
CipherTileTensor add_plain(const backend::Backend& be, CipherTileTensor a, const PlainTileTensor& b);
CipherTileTensor rescale(const backend::Backend& be, CipherTileTensor a);
CipherTileTensor drop_to_level(const backend::Backend& be, const CipherTileTensor& a, int level);
CipherTileTensor sum_over_dim(const backend::Backend& be, const CipherTileTensor& a, std::size_t dim,
                              std::size_t hoisted = 1);
// sum_over_dim(multiply_plain(a, b), dim) with the same operations and counts, the products and the sums
// along dim in one backend call (Backend::multiply_plain_sums, the fused layer kernel): no product is stored.
// rescale_first: rescale(sum_over_dim(...)) with the rescale moved before the rotate-and-sum (one per output
// tile either way): the rotations switch keys one limb lower, and the result carries t rotated copies of the
// rescale's rounding noise instead of one.
CipherTileTensor multiply_plain_sum(const backend::Backend& be, const CipherTileTensor& a, const PlainTileTensor& b,
                                    std::size_t dim, std::size_t hoisted = 1, bool rescale_first = false);
// The same with a's tiles fetched in parts along dim: fetch(first, last) returns a tensor of shape a_shape
// holding a's tiles at dim positions [first, last) (the others absent); parts of at most `part` positions come
// in order, each is multiplied, added to the running sums and dropped before the next is fetched (a server
// need not hold all its inputs). Bit for bit multiply_plain_sum's result on the exact backend (the same
// sums modulo q, grouped otherwise) and the same counts (k terms take k - 1 additions in any grouping).
using TileFetch = std::function<CipherTileTensor(std::size_t first, std::size_t last)>;
CipherTileTensor multiply_plain_sum_in_parts(const backend::Backend& be, const TileTensorShape& a_shape,
                                             const TileFetch& fetch, const PlainTileTensor& b, std::size_t dim,
                                             std::size_t part, std::size_t hoisted = 1, bool rescale_first = false);
CipherTileTensor clear_unknowns(const backend::Backend& be, CipherTileTensor a);  // no-op without unknowns
CipherTileTensor duplicate_over_dim(const backend::Backend& be, CipherTileTensor a, std::size_t dim,
                                    std::size_t hoisted = 1);
// The input of a layer that repairs the previous layer's unknowns in its weights (infer/compiled.hpp:
// kMaskInNextWeights). copy_dim of `a` holds a value at position 0 only (size 1, unknowns elsewhere); its
// t = tile(copy_dim) copies, copy k rotated by -k stride(copy_dim) (position 0 moved to k, one hoisted
// rotate_many per tile), are stacked along stack_dim: tile position p there becomes p t + k. The result reads
// as replicated along copy_dim and t times as long (padding included) along stack_dim; only position k of
// copy k is a's value, so a consumer must weigh the others by zero. Tiles at stack positions p with
// read[p] false (when `read` is given) stay absent: nothing reads them.
TileTensorShape stacked_copies_shape(const TileTensorShape& a, std::size_t copy_dim, std::size_t stack_dim);
CipherTileTensor stack_rotated_copies(const backend::Backend& be, const CipherTileTensor& a, std::size_t copy_dim,
                                      std::size_t stack_dim, const std::vector<bool>& read = {});
// The same tiles at stack_dim positions [first, last) only, the others absent (a consumer that sums over
// stack_dim in parts, multiply_plain_sum_in_parts, makes the copies part by part and never holds them all):
// a tile whose copies fall on both sides of a boundary is rotated in both parts, each for its own copies.
CipherTileTensor stacked_copies_part(const backend::Backend& be, const CipherTileTensor& a, std::size_t copy_dim,
                                     std::size_t stack_dim, const std::vector<bool>& read, std::size_t first,
                                     std::size_t last);

// Level of the present tiles (all equal, else MismatchError); nullopt when every tile is absent.
std::optional<int> level_of(const backend::Backend& be, const CipherTileTensor& a);

}  // namespace hepex::tile
