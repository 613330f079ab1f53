#include "infer/executor.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <string>

#include "backend/counting_backend.hpp"
#include "infer/schedule.hpp"
#include "tile/matmul.hpp"
#include "tile/ops.hpp"
#include "tile/pack.hpp"
#include "util/parallel.hpp"

namespace hepex::infer {

using backend::Backend;
using backend::Ciphertext;
using backend::Plaintext;
using tile::CipherTileTensor;
using tile::PlainTileTensor;
using tile::TileTensorShape;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

std::size_t bytes_of(const Backend& be, const PlainTileTensor& t) {
  std::size_t b = 0;
  for (const auto& p : t.tiles())
    if (!p.empty()) b += be.byte_size(p);
  return b;
}

// `t` with the tiles outside tile rows `rows` (along `row_dim`) dropped: another process holds those.
PlainTileTensor keep_rows(PlainTileTensor t, std::size_t row_dim, RowRange rows) {
  const TileTensorShape shape = t.shape();
  std::vector<Plaintext> tiles = std::move(t).take_tiles();
  for (std::size_t i = 0; i < tiles.size(); ++i)
    if (!rows.contains(shape.grid_position(i)[row_dim])) tiles[i] = Plaintext{};
  return PlainTileTensor(shape, std::move(tiles));
}

}  // namespace

std::size_t output_row_dim(tile::Orientation o) { return o == tile::Orientation::kTransposed ? 1 : 0; }

Executor::Executor(const Backend& be, const CompiledNetwork& net, std::size_t batch, WeightMode mode,
                   std::size_t block_bytes, const Distribution* distribution)
    : be_(be), net_(net), batch_(batch), mode_(mode), distribution_(distribution) {
  const std::size_t slots = be.slot_count();
  if (batch == 0) throw InvalidArgument("executor: batch size 0");
  if (net.t1 * net.t2 > slots || slots % (net.t1 * net.t2) != 0)
    throw MismatchError("executor: tiles " + std::to_string(net.t1) + "x" + std::to_string(net.t2) +
                        " do not divide the backend's " + std::to_string(slots) + " slots");
  t3_ = slots / (net.t1 * net.t2);
  if (net.batch_layout == tile::BatchLayout::kOuter && t3_ < 2)
    throw MismatchError("executor: the batch-outer layout needs at least 2 batch slots per tile; tiles " +
                        std::to_string(net.t1) + "x" + std::to_string(net.t2) + " fill all " + std::to_string(slots));
  if (net.depth() > be.max_level())
    throw MismatchError("executor: the network needs " + std::to_string(net.depth()) +
                        " levels, the CKKS parameters give " + std::to_string(be.max_level()));
  const auto sizes = tile_sizes();
  input_shape_ = tile::input_shape(net.input_size(), batch, sizes, tile::Orientation::kTransposed, net.batch_layout);
  input_read_.assign(input_shape_.dim(0).tile_count(), true);
  for (std::size_t r : unread_input_rows(net)) input_read_[r] = false;

  const double start = now_seconds();
  int level = be.max_level();
  double scale = be.default_scale();
  const double target = be.default_scale();
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const CompiledLayer& L = net.layers[l];
    Schedule s;
    s.level_in = level;
    s.scale_in = scale;
    const int square_level = level - 1 - (L.clear_and_duplicate ? 1 : 0);
    const double wanted = L.square ? std::sqrt(target * be.modulus_at(square_level)) : target;
    s.weight_scale = be.modulus_at(level) * wanted / scale;
    s.bias_scale = scale * s.weight_scale / be.modulus_at(level);
    s.level_out = level - net.layer_depth(l);
    scale = L.square ? s.bias_scale * s.bias_scale / be.modulus_at(square_level) : s.bias_scale;
    level = s.level_out;

    const std::size_t rows = L.dead_tile_rows.size();
    shares_.push_back(split_tile_rows(L.dead_tile_rows, distribution ? distribution->parts() : 1));
    const RowRange mine = own_rows(l);
    product_weights_.push_back(L.input_copies ? L.product_weights() : tile::DenseMatrix{});
    std::size_t row_bytes = L.product_tiles_kept() * weight_tile_bytes(net, 2 * be.slot_count(), s.level_in) / rows;
    s.rows_per_block = mode == WeightMode::kPreEncoded ? rows
                                                       : std::clamp<std::size_t>(block_bytes / std::max<std::size_t>(1, row_bytes), 1, rows);
    schedule_.push_back(s);

    // Bias, in the layout of the layer's output; rows folded into the next layer stay absent.
    const auto out_shape = tile::output_shape(L.out(), batch, sizes, L.orientation, net.batch_layout);
    tile::Tensor bias(out_shape.tensor_dims());  // (1, m, B) or (m, 1, B): both m x B row-major
    for (std::size_t i = 0; i < L.out(); ++i) {
      if (L.dead_tile_rows[i / L.out_tile] && !L.fill_dead_rows) continue;
      std::fill_n(bias.data().begin() + std::ptrdiff_t(i * batch), batch, L.bias[i]);
    }
    biases_.push_back(keep_rows(tile::pack_plain(be, bias, out_shape, s.level_in - 1, s.bias_scale, /*skip_zero_tiles=*/true),
                                output_row_dim(L.orientation), mine));
    resident_bytes_ += bytes_of(be, biases_.back());

    blocks_.emplace_back();
    if (mode == WeightMode::kPreEncoded && !mine.empty()) {
      blocks_.back().push_back(encode_block(l, mine.begin, mine.end));
      resident_bytes_ += bytes_of(be, blocks_.back().back());
    }
  }
  preencode_seconds_ = now_seconds() - start;
}

PlainTileTensor Executor::encode_block(std::size_t l, std::size_t r0, std::size_t r1) const {
  const CompiledLayer& L = net_.layers[l];
  const tile::DenseMatrix& w = L.input_copies ? product_weights_[l] : L.weights;
  const std::size_t i0 = r0 * L.out_tile, i1 = std::min(L.out(), r1 * L.out_tile), n = w.cols;
  const auto shape = tile::matrix_shape(i1 - i0, n, tile_sizes(), L.orientation, net_.batch_layout);
  tile::Tensor t(shape.tensor_dims());
  for (std::size_t i = i0; i < i1; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      if (L.orientation == tile::Orientation::kRows) t(i - i0, j) = w(i, j);
      else t(j, i - i0) = w(i, j);
    }
  return tile::pack_plain(be_, t, shape, schedule_[l].level_in, schedule_[l].weight_scale, /*skip_zero_tiles=*/true);
}

void Executor::check_input_shape(const TileTensorShape& shape) const {
  if (!(shape == input_shape_))
    throw MismatchError("executor: the input ciphertexts have tile shape " + shape.to_string() + ", the plan expects " +
                        input_shape_.to_string() + " (tile size, batch or input width differ)");
}

void Executor::check_input_tile(std::size_t i, const Ciphertext& tile) const {
  if (tile.empty() && !input_read_[input_shape_.grid_position(i)[0]]) return;  // pruned input: never read
  if (tile.empty()) throw MismatchError("executor: input tile " + std::to_string(i) + " is missing");
  if (be_.level(tile) != be_.max_level() || !backend::scales_match(be_.scale(tile), be_.default_scale()))
    throw MismatchError("executor: input tile " + std::to_string(i) + " is at level " + std::to_string(be_.level(tile)) +
                        ", scale 2^" + std::to_string(std::log2(be_.scale(tile))) + "; fresh ciphertexts at level " +
                        std::to_string(be_.max_level()) + ", scale 2^" + std::to_string(std::log2(be_.default_scale())) +
                        " are expected");
}

CipherTileTensor Executor::run(const CipherTileTensor& x, std::vector<LayerRun>* runs,
                               const LayerCallback& on_layer) const {
  // Every tile checked before any work (the fetch below checks each part again: metadata only).
  check_input_shape(x.shape());
  for (std::size_t i = 0; i < x.tile_count(); ++i) check_input_tile(i, x.tile(i));
  // Parts of the tensor in memory: handles, no copies of ciphertexts.
  const std::size_t per_position = input_shape_.tiles_per_row();
  return run(
      [&](std::size_t first, std::size_t last) {
        std::vector<Ciphertext> tiles(x.tile_count());
        for (std::size_t i = first * per_position; i < last * per_position; ++i) tiles[i] = x.tile(i);
        return CipherTileTensor(input_shape_, std::move(tiles));
      },
      runs, on_layer);
}

CipherTileTensor Executor::run(const tile::TileFetch& inputs, std::vector<LayerRun>* runs,
                               const LayerCallback& on_layer) const {
  const std::size_t per_position = input_shape_.tiles_per_row();
  // Every part is checked as it arrives: its shape, and each of its tiles present and fresh.
  const tile::TileFetch checked = [&](std::size_t first, std::size_t last) {
    CipherTileTensor part = inputs(first, last);
    check_input_shape(part.shape());
    for (std::size_t i = first * per_position; i < last * per_position; ++i) check_input_tile(i, part.tile(i));
    return part;
  };
  std::vector<LayerRun> local;
  std::vector<LayerRun>& done = runs ? *runs : local;
  done.clear();
  LayerInput input{{}, input_shape_, checked, 0, kInputPartPositions};
  CipherTileTensor cur;
  for (std::size_t l = 0; l < net_.layers.size(); ++l) {
    if (on_layer) on_layer(l, net_.layers.size());
    // The copies of the previous layer's outputs, made while this layer reads them, count there.
    std::shared_ptr<backend::CountingBackend> copies;
    if (l > 0 && copies_on_read(l - 1)) {
      copies = std::make_shared<backend::CountingBackend>(be_);
      const CompiledLayer& prev = net_.layers[l - 1];
      std::vector<bool> read(prev.dead_tile_rows.size());
      for (std::size_t r = 0; r < read.size(); ++r) read[r] = net_.layers[l].column_read(r);
      const std::size_t copy_dim = tile::summed_dim(prev.orientation), stack_dim = output_row_dim(prev.orientation);
      const std::size_t t = cur.shape().dim(copy_dim).tile;
      auto source = std::make_shared<const CipherTileTensor>(std::move(cur));
      input = LayerInput{{},
                         tile::stacked_copies_shape(source->shape(), copy_dim, stack_dim),
                         [copies, source, copy_dim, stack_dim, read](std::size_t first, std::size_t last) {
                           return tile::stacked_copies_part(*copies, *source, copy_dim, stack_dim, read, first, last);
                         },
                         stack_dim,
                         std::max(t, kInputPartPositions / t * t)};
    } else if (l > 0) {
      input = LayerInput{std::move(cur), {}, {}, 0, 0};
    }
    LayerRun run;
    cur = run_layer(l, std::move(input), run);
    if (copies) done.back().counts += copies->counts();
    done.push_back(run);
  }
  return cur;
}

bool Executor::copies_on_read(std::size_t l) const {
  if (!net_.layers[l].unknowns_to_next || l + 1 >= net_.layers.size()) return false;
  if (distribution_ && distribution_->parts() > 1) return false;  // each process copies its own rows, then gathers
  const RowRange next = own_rows(l + 1);
  return schedule_[l + 1].rows_per_block >= next.end - next.begin;  // one block reads the input once
}

CipherTileTensor Executor::run_layer(std::size_t l, LayerInput input, LayerRun& run) const {
  const double start = now_seconds(), cpu_start = process_cpu_seconds();
  const CompiledLayer& L = net_.layers[l];
  const Schedule& s = schedule_[l];
  backend::CountingBackend be(be_);
  run.level_in = s.level_in;

  // y = W x, one block of output tile rows at a time (this process's rows only), assembled into the full
  // output tile tensor.
  const auto out_shape = tile::output_shape(L.out(), batch_, tile_sizes(), L.orientation, net_.batch_layout);
  const std::size_t row_dim = output_row_dim(L.orientation);
  const RowRange mine = own_rows(l);
  std::vector<Ciphertext> y(out_shape.tile_count());
  for (std::size_t r0 = mine.begin; r0 < mine.end; r0 += s.rows_per_block) {
    const std::size_t r1 = std::min(mine.end, r0 + s.rows_per_block);
    const PlainTileTensor w = mode_ == WeightMode::kPreEncoded ? blocks_[l].front() : encode_block(l, r0, r1);
    run.weight_bytes += bytes_of(be_, w);
    const std::size_t dim = tile::summed_dim(L.orientation);
    const std::size_t hoisted = net_.hoisted_rotations;
    const bool rescale_first = net_.sum_after_rescale;
    if (input.fetch && input.dim != dim) {  // parts along another dimension: read it whole
      input.whole = input.fetch(0, input.shape.dim(input.dim).tile_count());
      input.fetch = nullptr;
    }
    const auto part = !input.fetch ? tile::matvec(be, w, input.whole, L.orientation, hoisted, rescale_first).y
                                   : tile::multiply_plain_sum_in_parts(be, input.shape, input.fetch, w, dim, input.part,
                                                                      hoisted, rescale_first);
    for (std::size_t i = 0; i < part.tile_count(); ++i) {
      auto pos = part.shape().grid_position(i);
      pos[row_dim] += r0;
      y[out_shape.tile_index(pos)] = part.tile(i);
    }
  }
  input = LayerInput{};  // summed: the input (or the copies' source) is not read again
  CipherTileTensor cur(out_shape, std::move(y));
  if (!net_.sum_after_rescale) cur = tile::rescale(be, std::move(cur));

  if (L.fill_dead_rows) cur = fill_dead_rows(be, l, std::move(cur));
  cur = tile::add_plain(be, std::move(cur), biases_[l]);
  run.weight_bytes += bytes_of(be_, biases_[l]);
  if (L.clear_and_duplicate) cur = tile::clear_unknowns(be, std::move(cur));
  if (L.square) cur = tile::rescale(be, tile::square(be, std::move(cur)));
  if (L.clear_and_duplicate)
    cur = tile::duplicate_over_dim(be, std::move(cur), tile::summed_dim(L.orientation), net_.hoisted_rotations);
  if (L.unknowns_to_next && !copies_on_read(l)) {
    // The rotated copies the next layer's weights expect (each process makes those of its own rows), for the
    // output rows the next layer reads.
    const CompiledLayer& next = net_.layers[l + 1];
    std::vector<bool> read(L.dead_tile_rows.size());
    for (std::size_t r = 0; r < read.size(); ++r) read[r] = next.column_read(r);
    cur = tile::stack_rotated_copies(be, cur, tile::summed_dim(L.orientation), row_dim, read);
  }

  if (L.post_sign != 1.0 || L.post_offset != 0.0) {
    const tile::TileTensorShape shape = cur.shape();
    // The offset goes where outputs are, not into padding slots: there it would hand the client a constant
    // of the model that no output shows.
    tile::Tensor offset(shape.tensor_dims());
    std::fill(offset.data().begin(), offset.data().end(), L.post_offset);
    std::vector<Ciphertext> tiles = std::move(cur).take_tiles();
    parallel_for(tiles.size(), [&](std::size_t i) {
      if (tiles[i].empty()) return;
      Ciphertext& t = tiles[i];
      if (L.post_sign != 1.0) t = be.multiply_const(t, L.post_sign, 1.0);
      if (L.post_offset != 0.0)
        be.add_plain_inplace(t, be.encode(tile::tile_slots(offset, shape, i), be.level(t), be.scale(t)));
    });
    cur = CipherTileTensor(shape, std::move(tiles));
  }
  if (L.clear_output) cur = tile::clear_unknowns(be, std::move(cur));  // last: after everything that writes slots
  run.compute_cpu_seconds = process_cpu_seconds() - cpu_start;
  if (distribution_ && distribution_->parts() > 1) cur = gather(l, std::move(cur), run);
  run.level_out = tile::level_of(be, cur).value_or(s.level_out);
  run.counts = be.counts();
  run.seconds = now_seconds() - start;
  return cur;
}

RowRange Executor::own_rows(std::size_t l) const { return shares_[l][distribution_ ? distribution_->part() : 0]; }

// Trivial ciphertexts of 0 for the pruned rows of this process: 0 times a present tile of the same batch
// column among its own rows (exactly zero whichever tile it is, at the layer's level and scale).
CipherTileTensor Executor::fill_dead_rows(const Backend& be, std::size_t l, CipherTileTensor y) const {
  const TileTensorShape shape = y.shape();
  const std::size_t row_dim = output_row_dim(net_.layers[l].orientation);
  const RowRange mine = own_rows(l);
  std::vector<Ciphertext> tiles = std::move(y).take_tiles();
  const std::vector<Ciphertext> computed = tiles;
  parallel_for(tiles.size(), [&](std::size_t i) {
    auto pos = shape.grid_position(i);
    if (!tiles[i].empty() || !mine.contains(pos[row_dim])) return;
    for (std::size_t r = mine.begin; r < mine.end; ++r) {
      pos[row_dim] = r;
      const auto& other = computed[shape.tile_index(pos)];
      if (!other.empty()) {
        tiles[i] = be.multiply_const(other, 0.0, 1.0);
        return;
      }
    }
  });
  return CipherTileTensor(shape, std::move(tiles));
}

// The layer's output from every process's rows (Distribution::gather), timed apart from the compute.
CipherTileTensor Executor::gather(std::size_t l, CipherTileTensor mine, LayerRun& run) const {
  const double start = now_seconds();
  const auto& shares = shares_[l];
  const std::size_t row_dim = output_row_dim(net_.layers[l].orientation);
  std::vector<std::size_t> owner(mine.tile_count());
  // Stacked copies (unknowns_to_next): row p's copies sit at p t .. p t + t - 1.
  const std::size_t copies = net_.layers[l].unknowns_to_next ? net_.layers[l].in_tile : 1;
  for (std::size_t i = 0; i < owner.size(); ++i) {
    const std::size_t row = mine.shape().grid_position(i)[row_dim] / copies;
    while (!shares.at(owner[i]).contains(row)) ++owner[i];  // the ranges cover every row
  }
  auto all = distribution_->gather(be_, std::move(mine), owner, run.gather_bytes);
  run.gather_seconds = now_seconds() - start;
  return all;
}

}  // namespace hepex::infer
