#include "infer/schedule.hpp"

#include <algorithm>

#include "backend/backend.hpp"
#include "tile/ops.hpp"

namespace hepex::infer {

using backend::Op;

std::size_t log2_size(std::size_t t) {
  std::size_t k = 0;
  while ((std::size_t{1} << k) < t) ++k;
  return k;
}

std::size_t weight_tile_bytes(const CompiledNetwork& net, std::size_t ring_degree, int level) {
  // A weight tile repeats over the batch: with the batch outermost its period is t1 t2.
  const std::size_t period = net.t1 * net.t2, slots = ring_degree / 2;
  if (net.batch_layout == tile::BatchLayout::kOuter && period * 4 <= slots)
    return backend::compact_plaintext_bytes(level, period);
  return std::size_t(level + 1) * ring_degree * 8;
}

std::vector<bool> bias_rows_present(const CompiledLayer& L) {
  std::vector<bool> present(L.dead_tile_rows.size(), false);
  for (std::size_t r = 0; r < present.size(); ++r) {
    if (L.dead_tile_rows[r] && !L.fill_dead_rows) continue;  // folded into the next layer
    for (std::size_t i = r * L.out_tile; i < std::min(L.out(), (r + 1) * L.out_tile); ++i)
      if (L.bias[i] != 0.0) present[r] = true;
  }
  return present;
}

namespace {
// The operations of one rotate-and-sum over t positions (tile/ops.hpp), as OpCounter counts them: a hoisted
// sum of `baby` rotations (baby - 1 rotations and key switches, one decomposition, baby - 1 adds), then
// doublings (one rotation, key switch, decomposition and add each).
backend::OpCounts rotate_and_sum_counts(std::size_t t, std::size_t hoisted) {
  backend::OpCounts c;
  const auto steps = tile::rotate_and_sum_steps(t, hoisted);
  const std::size_t baby = steps.baby, doublings = steps.doublings.size();
  if (baby > 1) {
    c[Op::kHoistedRotate] = 1;
    c[Op::kDecompose] = 1;
    c[Op::kRotate] = c[Op::kKeySwitch] = c[Op::kAdd] = baby - 1;
  }
  c[Op::kRotate] += doublings;
  c[Op::kKeySwitch] += doublings;
  c[Op::kDecompose] += doublings;
  c[Op::kAdd] += doublings;
  return c;
}

backend::OpCounts times(backend::OpCounts c, std::size_t k) {
  for (auto& v : c.n) v *= k;
  return c;
}
}  // namespace

std::vector<Stage> layer_stages(const CompiledNetwork& net, std::size_t l, std::size_t nb, int level_in) {
  const CompiledLayer& L = net.layers.at(l);
  const tile::DenseMatrix w = L.product_weights();
  const std::size_t rows = L.dead_tile_rows.size(), cols = (w.cols + L.in_tile - 1) / L.in_tile;
  std::size_t live = 0, dead = 0, kept = 0, sum_adds = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t k = 0;
    for (std::size_t c = 0; c < cols; ++c) k += dense_tile_present(w, L.out_tile, L.in_tile, r, c) ? 1 : 0;
    kept += k;
    if (k == 0) {
      ++dead;
      continue;
    }
    ++live;
    sum_adds += k - 1;
  }
  const std::size_t tiles = live + (L.fill_dead_rows ? dead : 0);  // output tile rows holding ciphertexts
  std::size_t bias_rows = 0;
  for (bool b : bias_rows_present(L)) bias_rows += b ? 1 : 0;

  std::vector<Stage> stages;
  int level = level_in;
  {
    Stage s{"product", level, {}};
    s.counts[Op::kMultiplyPlain] = kept * nb;
    s.counts[Op::kAdd] = sum_adds * nb;
    stages.push_back(s);
  }
  // The rotate-and-sum over the summed dimension, before or after the rescale (sum_after_rescale).
  const Stage sum{"sum", level, times(rotate_and_sum_counts(L.in_tile, net.hoisted_rotations), live * nb)};
  if (!net.sum_after_rescale) stages.push_back(sum);
  {
    Stage s{"rescale", level, {}};
    s.counts[Op::kRescale] = live * nb;
    stages.push_back(s);
    --level;
  }
  if (net.sum_after_rescale) stages.push_back(Stage{"sum", level, sum.counts});
  {
    Stage s{"bias", level, {}};
    if (L.fill_dead_rows) s.counts[Op::kMultiplyConst] = dead * nb;
    s.counts[Op::kAddPlain] = bias_rows * nb;
    stages.push_back(s);
  }
  if (L.clear_and_duplicate) {
    Stage s{"clear", level, {}};
    s.counts[Op::kMultiplyPlain] = s.counts[Op::kRescale] = tiles * nb;
    stages.push_back(s);
    --level;
  }
  if (L.square) {
    Stage s{"square", level, {}};
    s.counts[Op::kSquare] = s.counts[Op::kRelinearize] = s.counts[Op::kRescale] = tiles * nb;
    s.counts[Op::kKeySwitch] = s.counts[Op::kDecompose] = tiles * nb;
    stages.push_back(s);
    --level;
  }
  if (L.clear_and_duplicate) {
    Stage s{"duplicate", level, times(rotate_and_sum_counts(L.in_tile, net.hoisted_rotations), tiles * nb)};
    stages.push_back(s);
  }
  if (L.unknowns_to_next) {
    // One hoisted set of in_tile - 1 rotations per output tile row the next layer reads.
    const CompiledLayer& next = net.layers.at(l + 1);
    std::size_t read = 0;
    for (std::size_t r = 0; r < rows; ++r) read += !L.dead_tile_rows[r] && next.column_read(r) ? 1 : 0;
    Stage s{"copies", level, {}};
    s.counts[Op::kHoistedRotate] = s.counts[Op::kDecompose] = read * nb;
    s.counts[Op::kRotate] = s.counts[Op::kKeySwitch] = (L.in_tile - 1) * read * nb;
    stages.push_back(s);
  }
  if (L.post_sign != 1.0 || L.post_offset != 0.0) {
    Stage s{"post", level, {}};
    if (L.post_sign != 1.0) s.counts[Op::kMultiplyConst] = tiles * nb;
    if (L.post_offset != 0.0) s.counts[Op::kAddPlain] = tiles * nb;
    stages.push_back(s);
  }
  if (L.clear_output) {
    Stage s{"clear output", level, {}};
    s.counts[Op::kMultiplyPlain] = s.counts[Op::kRescale] = tiles * nb;
    stages.push_back(s);
    --level;
  }
  return stages;
}

namespace {
// The slot distance between neighbouring positions of the dimension layer L sums over.
std::size_t summed_stride(const CompiledNetwork& net, const CompiledLayer& L, std::size_t slots) {
  const std::size_t t3 = slots / (net.t1 * net.t2);
  const auto shape = tile::matrix_shape(1, 1, {net.t1, net.t2, t3}, L.orientation, net.batch_layout);
  return shape.slot_stride(tile::summed_dim(L.orientation));
}
}  // namespace

std::vector<int> layer_copy_steps(const CompiledNetwork& net, std::size_t l, std::size_t slots) {
  const CompiledLayer& L = net.layers.at(l);
  std::vector<int> steps;
  if (!L.unknowns_to_next) return steps;
  const std::size_t stride = summed_stride(net, L, slots);
  // Copy k moves position 0 of the summed dimension to position k.
  for (std::size_t k = 1; k < L.in_tile; ++k)
    if ((k * stride) % slots != 0) steps.push_back(static_cast<int>(slots - (k * stride) % slots));
  return steps;
}

KeyLevels layer_key_levels(const CompiledNetwork& net, std::size_t l, std::size_t slots, int level_in,
                           bool with_copies) {
  const CompiledLayer& L = net.layers.at(l);
  KeyLevels levels;
  bool any_live = false;
  for (bool d : L.dead_tile_rows) any_live = any_live || !d;
  int sum_level = level_in, duplicate_level = -1;
  for (const Stage& s : layer_stages(net, l, 1, level_in)) {
    if (s.name == "sum") sum_level = s.level;
    if (s.name == "duplicate" || s.name == "copies") duplicate_level = s.level;
    if (s.name == "square") levels.relin = s.level;
  }
  if (!any_live) return levels;
  // Rotate-and-sum over the summed dimension (+k stride), and its re-replication (-k stride), with the
  // stride of the layer's tile shapes: k < baby in the hoisted sum, then the doublings' k = baby 2^j.
  const std::size_t stride = summed_stride(net, L, slots);
  auto use = [&](std::size_t step, int level) {
    if (step % slots != 0) levels.use(static_cast<int>(step % slots), level);
  };
  const auto steps = tile::rotate_and_sum_steps(L.in_tile, net.hoisted_rotations);
  std::vector<std::size_t> multiples = steps.doublings;
  for (std::size_t k = 1; k < steps.baby; ++k) multiples.push_back(k);
  for (std::size_t k : multiples) {
    use(k * stride, sum_level);
    if (L.clear_and_duplicate) use(slots - (k * stride) % slots, duplicate_level);
  }
  if (with_copies)
    for (int step : layer_copy_steps(net, l, slots)) levels.use(step, duplicate_level);
  return levels;
}

std::vector<KeyLevels> layer_key_uses(const CompiledNetwork& net, std::span<const int> level_in, std::size_t slots,
                                      const std::vector<bool>& copies_on_read) {
  if (level_in.size() != net.layers.size() || copies_on_read.size() != net.layers.size())
    throw InvalidArgument("layer_key_uses: " + std::to_string(net.layers.size()) + " layers, " +
                          std::to_string(level_in.size()) + " input levels, " + std::to_string(copies_on_read.size()) +
                          " copy flags");
  std::vector<KeyLevels> uses;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    uses.push_back(layer_key_levels(net, l, slots, level_in[l], !copies_on_read[l]));
    if (l == 0 || !copies_on_read[l - 1]) continue;
    const auto previous = layer_key_levels(net, l - 1, slots, level_in[l - 1]);
    for (int step : layer_copy_steps(net, l - 1, slots))
      if (auto it = previous.rotations.find(step); it != previous.rotations.end()) uses[l].use(step, it->second);
  }
  return uses;
}

void KeyLevels::use(int step, int level) {
  int& at = rotations.try_emplace(step, level).first->second;
  at = std::max(at, level);
}

void KeyLevels::merge(const KeyLevels& other) {
  for (const auto& [step, level] : other.rotations) use(step, level);
  relin = std::max(relin, other.relin);
}

}  // namespace hepex::infer
