#pragma once
// The server side of an encrypted inference: runs a compiled network on encrypted tile tensors through any
// backend (CKKS, or the simulator). Per layer (compiled.hpp explains the folding):
//
//   y = W x                    tile::matvec; weights encoded at the input's level with scale chosen so
//                              that every layer ends at the default scale (see below); zero tiles absent
//   rescale                    one level
//   dead rows (last layer)     0 * (a present tile) + bias: a trivial ciphertext, so every output exists
//   + bias                     plaintext add at the rescaled level and scale
//   clear_unknowns             layers followed by another that summed over an inner slot dimension:
//                              rows layers, and transposed ones with the batch outermost (one level)
//   square + relin + rescale   square / poly2 activations (one level)
//   duplicate_over_dim(d)      the same layers, d the summed dimension: back to the next layer's input layout
//   post                       last layer only: sign and offset of a folded poly2
//   clear_unknowns             last layer, when its sum left unknowns: only outputs reach the client (one level)
//
// Scales: a layer with input scale D at level L encodes W at scale q_L * S / D, so that y has scale S after
// the rescale: S = D without a square, S = sqrt(D q_M) before a square at level M (then S^2 / q_M = D).
// Every layer thus hands the next one the default scale, and biases are encoded at known scales, which
// lets weights be pre-encoded.
//
// Weights are pre-encoded once (fast, memory-heavy) or encoded on the fly, a block of output tile rows at
// a time (memory-light); both give identical results.
//
// Shared by several processes (a Distribution, infer/distribution.hpp), each computes its own range of
// every layer's output tile rows, holding only their weights and biases, and the layer ends with the
// distribution's gather: output tile rows are computed independently, so the result is bit for bit the
// single process's.
#include <cstddef>
#include <functional>
#include <vector>

#include "backend/backend.hpp"
#include "backend/op_counts.hpp"
#include "infer/compiled.hpp"
#include "infer/distribution.hpp"
#include "infer/plan.hpp"
#include "tile/ops.hpp"
#include "tile/tile_tensor.hpp"

namespace hepex::infer {

struct LayerRun {
  backend::OpCounts counts;     // every backend operation of the layer (weight encodings included)
  double seconds = 0;           // wall clock, on-the-fly encoding included
  std::size_t weight_bytes = 0; // weight and bias plaintexts used by the layer
  int level_in = 0, level_out = 0;
  double compute_cpu_seconds = 0;  // CPU time of this process in the layer before the gather (all threads):
                                   // its compute whatever else shares the machine
  double gather_seconds = 0;    // shared evaluation: the part of `seconds` spent in the gather
  std::size_t gather_bytes = 0; // shared evaluation: bytes this process sent and received in the gather
};

class Executor {
 public:
  // Validates the tile shape against the backend's slots and the depth against its levels; pre-encodes
  // the weights in kPreEncoded mode. `block_bytes`: on-the-fly block size (kOnTheFlyBlockBytes).
  // `distribution` (not owned, outlives the executor): evaluate this process's share only; null: all.
  Executor(const backend::Backend& be, const CompiledNetwork& net, std::size_t batch, WeightMode mode,
           std::size_t block_bytes = kOnTheFlyBlockBytes, const Distribution* distribution = nullptr);

  // Input: the client's tile tensor (input_shape(), every tile at max_level with the default scale; tiles in
  // rows the first layer never reads, unread_input_rows, may be absent).
  // Throws MismatchError naming what differs. Output: output_shape().
  // `on_layer(l, layers)`, when given, is called before layer l starts (progress for long runs).
  using LayerCallback = std::function<void(std::size_t layer, std::size_t layers)>;
  tile::CipherTileTensor run(const tile::CipherTileTensor& x, std::vector<LayerRun>* runs = nullptr,
                             const LayerCallback& on_layer = {}) const;
  // The same with the input tiles fetched part by part (tile::TileFetch over dim-0 positions of input_shape(),
  // e.g. CiphertextTiles::fetch in infer/files.hpp): the first layer sums its products over parts of
  // kInputPartPositions positions and drops each part before it fetches the next, so the inputs need not be
  // in memory all at once. Both forms give bit for bit the same outputs and the same operation counts.
  // Memory: a layer drops its input once its products are summed, and the rotated copies a layer's outputs
  // need (mask-in-next-weights) are made part by part as the next layer reads them (copies_on_read); their
  // operations count in the layer whose outputs they copy (as planned), their time in the next one.
  // `on_layer(l, ...)` with l >= 1 also says the inputs are no longer read.
  tile::CipherTileTensor run(const tile::TileFetch& inputs, std::vector<LayerRun>* runs = nullptr,
                             const LayerCallback& on_layer = {}) const;

  const tile::TileTensorShape& input_shape() const { return input_shape_; }
  std::vector<std::size_t> tile_sizes() const { return {net_.t1, net_.t2, t3_}; }
  WeightMode mode() const { return mode_; }
  // Bytes of the pre-encoded weights and biases (biases only in on-the-fly mode), and the time it took.
  std::size_t resident_plaintext_bytes() const { return resident_bytes_; }
  double preencode_seconds() const { return preencode_seconds_; }

  // Whether layer l's rotated copies (unknowns_to_next) are made as layer l + 1 reads them, part by part, not
  // all held at once: in one process, when layer l + 1 reads its input once (one block of weights).
  bool copies_on_read(std::size_t l) const;

 private:
  struct Schedule {
    int level_in = 0, level_out = 0;
    double scale_in = 0, weight_scale = 0, bias_scale = 0;
    std::size_t rows_per_block = 1;
  };
  // What a layer reads: its input whole, or in parts along `dim` (the client's inputs as they are parsed;
  // the previous layer's outputs rotated into their copies part by part). Moved into the layer, which drops
  // it once its products are summed.
  struct LayerInput {
    tile::CipherTileTensor whole;  // without fetch
    tile::TileTensorShape shape;   // with fetch: the shape of every part
    tile::TileFetch fetch;
    std::size_t dim = 0, part = 0;  // parts of `part` positions along dim
  };
  tile::PlainTileTensor encode_block(std::size_t l, std::size_t r0, std::size_t r1) const;
  RowRange own_rows(std::size_t layer) const;  // this process's output tile rows of a layer
  tile::CipherTileTensor run_layer(std::size_t l, LayerInput input, LayerRun& run) const;
  void check_input_shape(const tile::TileTensorShape& shape) const;
  void check_input_tile(std::size_t index, const backend::Ciphertext& tile) const;
  tile::CipherTileTensor fill_dead_rows(const backend::Backend& be, std::size_t l, tile::CipherTileTensor y) const;
  tile::CipherTileTensor gather(std::size_t l, tile::CipherTileTensor mine, LayerRun& run) const;

  const backend::Backend& be_;
  CompiledNetwork net_;
  std::size_t batch_, t3_;
  WeightMode mode_;
  const Distribution* distribution_;
  std::vector<std::vector<RowRange>> shares_;  // [layer][part]: the output tile rows each part computes
  tile::TileTensorShape input_shape_;
  std::vector<bool> input_read_;  // per input tile row: whether the first layer reads it (absent otherwise allowed)
  std::vector<Schedule> schedule_;
  std::vector<tile::DenseMatrix> product_weights_;  // [layer]: CompiledLayer::product_weights (input_copies only)
  std::vector<std::vector<tile::PlainTileTensor>> blocks_;  // pre-encoded: [layer][block]
  std::vector<tile::PlainTileTensor> biases_;
  std::size_t resident_bytes_ = 0;
  double preencode_seconds_ = 0;
};

// Tile row dimension of a layer's output tile tensor (1 transposed, 0 rows).
std::size_t output_row_dim(tile::Orientation orientation);

}  // namespace hepex::infer
