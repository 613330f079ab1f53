#include "tile/ops.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "util/parallel.hpp"

namespace hepex::tile {

using backend::Backend;
using backend::Ciphertext;
using backend::Plaintext;

namespace {

std::string pair_name(const TileTensorShape& a, const TileTensorShape& b) {
  return a.to_string() + " and " + b.to_string();
}

// Per-dimension broadcast of sizes; `unknowns_rule` decides the unknowns flag of the result.
template <class UnknownsRule>
TileTensorShape broadcast(const TileTensorShape& a, const TileTensorShape& b, const char* who, UnknownsRule rule) {
  if (a.rank() != b.rank())
    throw MismatchError(std::string(who) + ": ranks differ for tile tensors " + pair_name(a, b));
  if (a.outer() != b.outer())
    throw MismatchError(std::string(who) + ": slot orders differ (outermost dimension) for tile tensors " +
                        pair_name(a, b));
  std::vector<TileDim> dims;
  for (std::size_t d = 0; d < a.rank(); ++d) {
    const TileDim &x = a.dim(d), &y = b.dim(d);
    if (x.tile != y.tile)
      throw MismatchError(std::string(who) + ": tile sizes differ in dimension " + std::to_string(d) + " of " +
                          pair_name(a, b));
    if (!x.replicated && !y.replicated && x.size != y.size)
      throw MismatchError(std::string(who) + ": sizes differ in dimension " + std::to_string(d) + " of " +
                          pair_name(a, b) + " and neither is replicated");
    TileDim r;
    r.tile = x.tile;
    r.replicated = x.replicated && y.replicated;
    r.size = x.replicated ? y.size : x.size;
    r.unknowns = !r.replicated && rule(x, y, r);
    dims.push_back(r);
  }
  return a.with_dims(std::move(dims));
}

// Tile of `t` that broadcasts to grid position `pos` of the result.
std::size_t source_tile(const TileTensorShape& t, std::vector<std::size_t> pos) {
  for (std::size_t d = 0; d < t.rank(); ++d)
    if (t.dim(d).replicated) pos[d] = 0;
  return t.tile_index(pos);
}

template <class HandleB, class Fn>
CipherTileTensor elementwise(const Backend& be, const CipherTileTensor& a, const TileTensorOf<HandleB>& b,
                             const TileTensorShape& out, const char* who, Fn fn) {
  out.require_slots(be.slot_count(), who);
  std::vector<Ciphertext> tiles(out.tile_count());
  parallel_for(tiles.size(), [&](std::size_t i) {
    const auto pos = out.grid_position(i);
    tiles[i] = fn(a.tile(source_tile(a.shape(), pos)), b.tile(source_tile(b.shape(), pos)));
  });
  return CipherTileTensor(out, std::move(tiles));
}

// fn(tile, index) replaces every present tile of `a` (taken by value: when the caller hands over its tensor,
// each tile has one owner and may be updated in place).
template <class Fn>
CipherTileTensor per_tile(const Backend& be, CipherTileTensor a, const TileTensorShape& out, const char* who, Fn fn) {
  out.require_slots(be.slot_count(), who);
  std::vector<Ciphertext> tiles = std::move(a).take_tiles();
  parallel_for(tiles.size(), [&](std::size_t i) {
    if (!tiles[i].empty()) fn(tiles[i], i);
  });
  return CipherTileTensor(out, std::move(tiles));
}

// sum_{k < t} rotate(ct, direction * k * stride): sums (left) or spreads (right) over one dimension, by the
// steps of rotate_and_sum_steps.
void rotate_and_sum(const Backend& be, Ciphertext& ct, std::size_t stride, std::size_t t, int direction,
                    std::size_t hoisted) {
  const RotateAndSumSteps plan = rotate_and_sum_steps(t, hoisted);
  if (plan.baby > 1) {
    std::vector<int> steps(plan.baby);
    for (std::size_t i = 0; i < plan.baby; ++i) steps[i] = direction * static_cast<int>(i * stride);
    ct = be.rotate_sum(ct, steps);
  }
  for (std::size_t k : plan.doublings) be.add_rotated_inplace(ct, direction * static_cast<int>(k * stride));
}

void require_dim(const TileTensorShape& a, std::size_t dim, const char* who) {
  if (dim >= a.rank())
    throw InvalidArgument(std::string(who) + ": dimension " + std::to_string(dim) + " out of range for " +
                          a.to_string());
}

}  // namespace

RotateAndSumSteps rotate_and_sum_steps(std::size_t t, std::size_t hoisted) {
  if (hoisted == 0 || (hoisted & (hoisted - 1)) != 0)
    throw InvalidArgument("rotate-and-sum: hoisted rotations " + std::to_string(hoisted) + " is not a power of two");
  RotateAndSumSteps steps;
  steps.baby = std::max<std::size_t>(1, std::min(t, hoisted));
  for (std::size_t k = steps.baby; k < t; k *= 2) steps.doublings.push_back(k);
  return steps;
}

TileTensorShape product_shape(const TileTensorShape& a, const TileTensorShape& b) {
  return broadcast(a, b, "multiply", [](const TileDim& x, const TileDim& y, const TileDim&) {
    return (x.unknowns && (y.unknowns || y.replicated)) || (y.unknowns && (x.unknowns || x.replicated));
  });
}

TileTensorShape sum_shape(const TileTensorShape& a, const TileTensorShape& b) {
  return broadcast(a, b, "add", [](const TileDim& x, const TileDim& y, const TileDim& r) {
    const bool replicated_into_padding = x.replicated != y.replicated && r.size % r.tile != 0;
    return x.unknowns || y.unknowns || replicated_into_padding;
  });
}

bool sum_is_replicating(const TileTensorShape& a, std::size_t dim) {
  require_dim(a, dim, "sum_is_replicating");
  return a.slot_stride(dim) * a.dim(dim).tile == a.slots_per_tile();
}

TileTensorShape summed_shape(const TileTensorShape& a, std::size_t dim) {
  require_dim(a, dim, "sum_over_dim");
  const TileDim& x = a.dim(dim);
  if (x.replicated)
    throw InvalidArgument("sum_over_dim: dimension " + std::to_string(dim) + " of " + a.to_string() +
                          " is replicated: nothing to sum");
  if (x.unknowns)
    throw InvalidArgument("sum_over_dim: dimension " + std::to_string(dim) + " of " + a.to_string() +
                          " has unknowns that would enter the sum: clear_unknowns first");
  auto dims = a.dims();
  TileDim& r = dims[dim];
  r.size = 1;
  r.replicated = sum_is_replicating(a, dim);
  r.unknowns = !r.replicated && r.tile > 1;
  return a.with_dims(std::move(dims));
}

TileTensorShape duplicated_shape(const TileTensorShape& a, std::size_t dim) {
  require_dim(a, dim, "duplicate_over_dim");
  const TileDim& x = a.dim(dim);
  if (x.replicated) return a;
  if (x.size != 1 || x.unknowns)
    throw InvalidArgument("duplicate_over_dim: dimension " + std::to_string(dim) + " of " + a.to_string() +
                          " must be 1/t (size 1, zeros elsewhere): clear_unknowns first");
  auto dims = a.dims();
  dims[dim].replicated = true;
  return a.with_dims(std::move(dims));
}

TileTensorShape cleared_shape(const TileTensorShape& a) {
  auto dims = a.dims();
  for (auto& d : dims) d.unknowns = false;
  return a.with_dims(std::move(dims));
}

CipherTileTensor multiply(const Backend& be, const CipherTileTensor& a, const CipherTileTensor& b) {
  return elementwise(be, a, b, product_shape(a.shape(), b.shape()), "multiply",
                     [&](const Ciphertext& x, const Ciphertext& y) {
                       return x.empty() || y.empty() ? Ciphertext{} : be.relinearize(be.multiply(x, y));
                     });
}

CipherTileTensor square(const Backend& be, CipherTileTensor a) {
  const TileTensorShape shape = a.shape();
  return per_tile(be, std::move(a), shape, "square", [&](Ciphertext& x, std::size_t) { x = be.relinearize(be.square(x)); });
}

CipherTileTensor multiply_plain(const Backend& be, const CipherTileTensor& a, const PlainTileTensor& b) {
  return elementwise(be, a, b, product_shape(a.shape(), b.shape()), "multiply_plain",
                     [&](const Ciphertext& x, const Plaintext& y) {
                       return x.empty() || y.empty() ? Ciphertext{} : be.multiply_plain(x, y);
                     });
}

CipherTileTensor add(const Backend& be, const CipherTileTensor& a, const CipherTileTensor& b) {
  return elementwise(be, a, b, sum_shape(a.shape(), b.shape()), "add", [&](const Ciphertext& x, const Ciphertext& y) {
    if (x.empty()) return y;
    if (y.empty()) return x;
    return be.add(x, y);
  });
}

CipherTileTensor add_plain(const Backend& be, CipherTileTensor a, const PlainTileTensor& b) {
  const TileTensorShape out = sum_shape(a.shape(), b.shape());
  const std::string names = pair_name(a.shape(), b.shape());
  auto add_tile = [&](Ciphertext& x, const Plaintext& y) {
    if (y.empty()) return;
    if (x.empty())
      throw InvalidArgument("add_plain: a plaintext tile meets an absent ciphertext tile in " + names +
                            ": it cannot be encrypted here");
    be.add_plain_inplace(x, y);
  };
  // With a's own grid, each of its tiles feeds one output tile: add in place. Else a broadcasts.
  if (a.tile_count() != out.tile_count())
    return elementwise(be, a, b, out, "add_plain", [&](Ciphertext x, const Plaintext& y) {
      add_tile(x, y);
      return x;
    });
  out.require_slots(be.slot_count(), "add_plain");
  std::vector<Ciphertext> tiles = std::move(a).take_tiles();
  parallel_for(tiles.size(), [&](std::size_t i) { add_tile(tiles[i], b.tile(source_tile(b.shape(), out.grid_position(i)))); });
  return CipherTileTensor(out, std::move(tiles));
}

CipherTileTensor rescale(const Backend& be, CipherTileTensor a) {
  const TileTensorShape shape = a.shape();
  return per_tile(be, std::move(a), shape, "rescale", [&](Ciphertext& x, std::size_t) { be.rescale_inplace(x); });
}

CipherTileTensor drop_to_level(const Backend& be, const CipherTileTensor& a, int level) {
  return per_tile(be, a, a.shape(), "drop_to_level",
                  [&](Ciphertext& x, std::size_t) { x = be.drop_to_level(x, level); });
}

namespace {
// Rotate-and-sum inside every present tile of partial sums over `dim` (the tiles along dim already added):
// completes a sum over dim of a tensor of shape `in`. A tile row with no present tile stays absent.
// rescale_first: each partial sum is rescaled before its rotations, which then switch keys one limb lower.
CipherTileTensor finish_sum_over_dim(const Backend& be, const TileTensorShape& in, std::size_t dim,
                                     std::vector<Ciphertext> partial, const char* who, std::size_t hoisted,
                                     bool rescale_first = false) {
  const TileTensorShape out = summed_shape(in, dim);
  const std::size_t t = in.dim(dim).tile, stride = in.slot_stride(dim);
  return per_tile(be, CipherTileTensor(out, std::move(partial)), out, who, [&](Ciphertext& x, std::size_t) {
    if (rescale_first) be.rescale_inplace(x);
    rotate_and_sum(be, x, stride, t, +1, hoisted);
  });
}
}  // namespace

CipherTileTensor sum_over_dim(const Backend& be, const CipherTileTensor& a, std::size_t dim, std::size_t hoisted) {
  const TileTensorShape out = summed_shape(a.shape(), dim);
  out.require_slots(be.slot_count(), "sum_over_dim");
  const std::size_t along = a.shape().dim(dim).tile_count();
  std::vector<Ciphertext> partial(out.tile_count());
  parallel_for(partial.size(), [&](std::size_t i) {
    auto pos = out.grid_position(i);
    for (std::size_t g = 0; g < along; ++g) {
      pos[dim] = g;
      const Ciphertext& x = a.tile(a.shape().tile_index(pos));
      if (x.empty()) continue;
      if (partial[i].empty()) partial[i] = x;
      else be.add_inplace(partial[i], x);
    }
  });
  return finish_sum_over_dim(be, a.shape(), dim, std::move(partial), "sum_over_dim", hoisted);
}

namespace {
// The pairs of the sums over dim positions [first, last) of a x b, one sum per output tile: sum i takes pairs
// [i along, (i + 1) along).
void product_sum_pairs_over(const CipherTileTensor& a, const PlainTileTensor& b, std::size_t dim, std::size_t first,
                            std::size_t last, std::vector<Ciphertext>& cts, std::vector<Plaintext>& pts) {
  const TileTensorShape out = summed_shape(product_shape(a.shape(), b.shape()), dim);
  const std::size_t along = last - first;
  cts.assign(out.tile_count() * along, Ciphertext{});
  pts.assign(cts.size(), Plaintext{});
  for (std::size_t i = 0; i < out.tile_count(); ++i) {
    auto pos = out.grid_position(i);
    for (std::size_t g = 0; g < along; ++g) {
      pos[dim] = first + g;
      cts[i * along + g] = a.tile(source_tile(a.shape(), pos));
      pts[i * along + g] = b.tile(source_tile(b.shape(), pos));
    }
  }
}

// The sums over dim positions [first, last) of a x b, one per output tile (empty: no term present).
std::vector<Ciphertext> product_sums_over(const Backend& be, const CipherTileTensor& a, const PlainTileTensor& b,
                                          std::size_t dim, std::size_t first, std::size_t last) {
  summed_shape(product_shape(a.shape(), b.shape()), dim).require_slots(be.slot_count(), "multiply_plain_sum");
  std::vector<Ciphertext> cts;
  std::vector<Plaintext> pts;
  product_sum_pairs_over(a, b, dim, first, last, cts, pts);
  return be.multiply_plain_sums(cts, pts, last - first);
}
}  // namespace

CipherTileTensor multiply_plain_sum(const Backend& be, const CipherTileTensor& a, const PlainTileTensor& b,
                                    std::size_t dim, std::size_t hoisted, bool rescale_first) {
  const TileTensorShape product = product_shape(a.shape(), b.shape());
  return finish_sum_over_dim(be, product, dim,
                             product_sums_over(be, a, b, dim, 0, product.dim(dim).tile_count()), "multiply_plain_sum",
                             hoisted, rescale_first);
}

CipherTileTensor multiply_plain_sum_in_parts(const Backend& be, const TileTensorShape& a_shape, const TileFetch& fetch,
                                             const PlainTileTensor& b, std::size_t dim, std::size_t part,
                                             std::size_t hoisted, bool rescale_first) {
  if (part == 0) throw InvalidArgument("multiply_plain_sum_in_parts: parts of 0 tiles");
  const TileTensorShape product = product_shape(a_shape, b.shape());
  const std::size_t along = product.dim(dim).tile_count();
  const TileTensorShape out = summed_shape(product, dim);
  out.require_slots(be.slot_count(), "multiply_plain_sum");
  std::vector<Ciphertext> sums(out.tile_count());  // empty until a part brings a term
  for (std::size_t first = 0; first < along; first += part) {
    const std::size_t last = std::min(along, first + part);
    const CipherTileTensor a = fetch(first, last);
    if (!(a.shape() == a_shape))
      throw MismatchError("multiply_plain_sum_in_parts: a part has tile shape " + a.shape().to_string() + ", expected " +
                          a_shape.to_string());
    // Added into the running sums (in place on the CKKS backend: a part's sums are never held beside them;
    // an empty one takes the part's sum).
    std::vector<Ciphertext> cts;
    std::vector<Plaintext> pts;
    product_sum_pairs_over(a, b, dim, first, last, cts, pts);
    be.add_plain_product_sums(sums, cts, pts, last - first);
  }
  return finish_sum_over_dim(be, product, dim, std::move(sums), "multiply_plain_sum", hoisted, rescale_first);
}

CipherTileTensor clear_unknowns(const Backend& be, CipherTileTensor a) {
  const TileTensorShape shape = a.shape();
  if (!shape.has_unknowns()) return a;
  shape.require_slots(be.slot_count(), "clear_unknowns");
  // One mask per (level, valid extents): boundary tiles differ, interior tiles share one plaintext.
  using Key = std::pair<int, std::vector<std::size_t>>;
  std::map<Key, Plaintext> masks;
  std::vector<const Plaintext*> mask_of(a.tile_count(), nullptr);
  for (std::size_t i = 0; i < a.tile_count(); ++i) {
    if (a.absent(i)) continue;
    const int level = be.level(a.tile(i));
    Key key{level, shape.extents(i)};
    auto it = masks.find(key);
    if (it == masks.end()) {
      const auto valid = valid_slots(shape, key.second);
      const std::vector<double> ones(valid.begin(), valid.end());
      it = masks.emplace(key, be.encode(ones, level, be.modulus_at(level))).first;
    }
    mask_of[i] = &it->second;
  }
  return per_tile(be, std::move(a), cleared_shape(shape), "clear_unknowns", [&](Ciphertext& x, std::size_t i) {
    be.multiply_plain_inplace(x, *mask_of[i]);
    be.rescale_inplace(x);
  });
}

CipherTileTensor duplicate_over_dim(const Backend& be, CipherTileTensor a, std::size_t dim, std::size_t hoisted) {
  const TileTensorShape out = duplicated_shape(a.shape(), dim);
  if (a.shape().dim(dim).replicated) return a;
  const std::size_t t = a.shape().dim(dim).tile, stride = a.shape().slot_stride(dim);
  return per_tile(be, std::move(a), out, "duplicate_over_dim",
                  [&](Ciphertext& x, std::size_t) { rotate_and_sum(be, x, stride, t, -1, hoisted); });
}

TileTensorShape stacked_copies_shape(const TileTensorShape& a, std::size_t copy_dim, std::size_t stack_dim) {
  require_dim(a, copy_dim, "stack_rotated_copies");
  require_dim(a, stack_dim, "stack_rotated_copies");
  const TileDim& c = a.dim(copy_dim);
  const TileDim& s = a.dim(stack_dim);
  if (copy_dim == stack_dim || c.replicated || c.size != 1 || s.replicated || s.unknowns)
    throw InvalidArgument("stack_rotated_copies: dimension " + std::to_string(copy_dim) + " of " + a.to_string() +
                          " must hold one position (1/t or 1?/t) and dimension " + std::to_string(stack_dim) +
                          " be a plain one");
  auto dims = a.dims();
  dims[copy_dim] = TileDim{1, c.tile, true, false};
  dims[stack_dim].size = c.tile * s.tile_count() * s.tile;
  return a.with_dims(std::move(dims));
}

CipherTileTensor stacked_copies_part(const Backend& be, const CipherTileTensor& a, std::size_t copy_dim,
                                     std::size_t stack_dim, const std::vector<bool>& read, std::size_t first,
                                     std::size_t last) {
  const TileTensorShape in = a.shape(), out = stacked_copies_shape(in, copy_dim, stack_dim);
  out.require_slots(be.slot_count(), "stack_rotated_copies");
  const std::size_t t = in.dim(copy_dim).tile, stride = in.slot_stride(copy_dim);
  if (!read.empty() && read.size() != in.dim(stack_dim).tile_count())
    throw InvalidArgument("stack_rotated_copies: " + std::to_string(read.size()) + " read flags for " +
                          std::to_string(in.dim(stack_dim).tile_count()) + " tile positions");
  if (first > last || last > out.dim(stack_dim).tile_count())
    throw InvalidArgument("stack_rotated_copies: positions [" + std::to_string(first) + ", " + std::to_string(last) +
                          ") of " + std::to_string(out.dim(stack_dim).tile_count()));
  std::vector<Ciphertext> tiles(out.tile_count());
  parallel_for(a.tile_count(), [&](std::size_t i) {
    auto pos = in.grid_position(i);
    const std::size_t p = pos[stack_dim];
    // Copy k of source position p sits at p t + k: only the copies inside [first, last) are made.
    const std::size_t k0 = std::clamp(first, p * t, p * t + t) - p * t, k1 = std::clamp(last, p * t, p * t + t) - p * t;
    if (k0 == k1 || a.absent(i) || (!read.empty() && !read[p])) return;
    std::vector<int> steps;
    for (std::size_t k = k0; k < k1; ++k) steps.push_back(-static_cast<int>(k * stride));
    std::vector<Ciphertext> copies = be.rotate_many(a.tile(i), steps);
    for (std::size_t k = k0; k < k1; ++k) {
      pos[stack_dim] = p * t + k;
      tiles[out.tile_index(pos)] = std::move(copies[k - k0]);
    }
  });
  return CipherTileTensor(out, std::move(tiles));
}

CipherTileTensor stack_rotated_copies(const Backend& be, const CipherTileTensor& a, std::size_t copy_dim,
                                      std::size_t stack_dim, const std::vector<bool>& read) {
  const std::size_t positions = stacked_copies_shape(a.shape(), copy_dim, stack_dim).dim(stack_dim).tile_count();
  return stacked_copies_part(be, a, copy_dim, stack_dim, read, 0, positions);
}

std::optional<int> level_of(const Backend& be, const CipherTileTensor& a) {
  std::optional<int> level;
  for (const auto& tile : a.tiles()) {
    if (tile.empty()) continue;
    const int l = be.level(tile);
    if (level && *level != l)
      throw MismatchError("tile tensor " + a.shape().to_string() + ": tiles at levels " + std::to_string(*level) +
                          " and " + std::to_string(l));
    level = l;
  }
  return level;
}

}  // namespace hepex::tile
