#pragma once
// A model compiled for encrypted evaluation: weights in double, activations folded so that every
// non-linear layer costs exactly one ciphertext square, and pruned-away tile rows folded into constants.
//
// Activation folding (layer l, z = W x + b, f(z) = c2 z^2 + c1 z + c0):
//   c2 = 0 (identity, affine)   W <- c1 W, b <- c1 b + c0: no ciphertext operation at all.
//   c2 != 0 (square, poly2)     f(z) = sigma u^2 + c'  with  s = sqrt|c2|, sigma = sign(c2),
//                               u = s (z + c1 / 2c2), c' = c0 - c1^2 / 4c2.
//                               W <- s W, b <- s (b + c1 / 2c2): the executor squares u (one level);
//                               sigma and c' go into the next layer (W_{l+1} <- W_{l+1} diag(sigma),
//                               b_{l+1} <- b_{l+1} + W_{l+1} c'), or, for the last layer, into post_sign /
//                               post_offset (one multiply by a constant and one plaintext add).
// Dead tile rows: an output tile row (t outputs, t the tile size of the output dimension) whose weight
// tiles are all zero produces an absent ciphertext tile. Its neurons are constants kappa_i = f(b_i). In a
// hidden layer they are folded into the next layer (b_{l+1} += W_{l+1}[:, i] kappa_i, column zeroed, so
// those tiles are never multiplied). In the last layer the executor builds them as a trivial ciphertext
// (0 * any present tile + bias), so the client receives every output.
//
// Unknowns between layers: a hidden layer that sums over an inner slot dimension (t positions) leaves its
// outputs at position 0 of that dimension and partial sums elsewhere (tile/ops.hpp). Two repairs, chosen
// per layer:
//   clear and duplicate     a 0/1 mask (one level), then log2 t rotations copy position 0 into every position.
//   mask in next weights    no mask, no level: the next layer reads the t rotated copies of each input tile (copy k
//                        holds position 0 at position k; one hoisted rotation set per tile) and multiplies copy
//                        k by the part of its weight tile whose output position is k (product_weights): t times
//                        the products of the next layer, one level less per repaired layer.
//
// Tiling convention: tile::chain_orientation / weight_tile_extent (tile/matmul.hpp), shared with pruning:
// layer 0, 2, ... transposed (tile t2 outputs x t1 inputs), layer 1, 3, ... rows (t1 outputs x t2 inputs).
#include <cstddef>
#include <string>
#include <vector>

#include "nn/model.hpp"
#include "tile/matmul.hpp"

namespace hepex::infer {

struct CompiledLayer {
  tile::DenseMatrix weights;   // folded W (out x in); columns of dead input neurons zeroed
  std::vector<double> bias;    // folded b (out)
  tile::Orientation orientation = tile::Orientation::kTransposed;
  bool square = false;         // evaluate u^2 after the bias
  bool clear_and_duplicate = false;  // followed by another layer, summed over an inner slot dimension: repair the unknowns
  bool unknowns_to_next = false;     // the same, repaired by the next layer's weights
  bool input_copies = false;         // the previous layer's unknowns_to_next: read out_tile rotated copies of the input
  bool fill_dead_rows = false;       // last layer with dead tile rows: trivial ciphertexts for them
  bool clear_output = false;         // last layer summed over an inner slot dimension: zero every slot that is
                                     // not an output (its unknowns are partial sums of the weights' products)
  double post_sign = 1.0;      // last layer only: y = post_sign * y + post_offset
  double post_offset = 0.0;
  std::size_t out_tile = 1, in_tile = 1;  // tile sizes of the output and input dimensions
  std::vector<bool> dead_tile_rows;       // per output tile row: all its weight tiles are zero

  std::size_t in() const { return weights.cols; }
  std::size_t out() const { return weights.rows; }
  // Weight tiles with a non-zero entry / all tiles of the grid (the matrix as packed).
  std::size_t tiles_kept() const;
  std::size_t tiles_total() const;
  // Whether the tile (output tile row r, input tile column c) has a non-zero entry.
  bool tile_present(std::size_t r, std::size_t c) const;
  // Whether some weight tile of input tile column c is present (its input tile is read at all).
  bool column_read(std::size_t c) const;
  // The matrix the layer's products multiply: `weights`, or with input_copies its out x (t n') expansion
  // (t = out_tile, n' = in rounded up to whole input tiles): input tile column c becomes the t columns c t + k,
  // the k-th keeping only the rows i with i mod t = k. The input's copies stack the same way (copy k of input
  // tile c at tile column c t + k), so product_weights x copies = weights x input.
  tile::DenseMatrix product_weights() const;
  // Tiles of product_weights with a non-zero entry: the weight plaintexts the layer multiplies.
  std::size_t product_tiles_kept() const;
};

// Whether tile (r, c) of `m`, cut into tiles of rows x cols, has a non-zero entry.
bool dense_tile_present(const tile::DenseMatrix& m, std::size_t rows, std::size_t cols, std::size_t r, std::size_t c);

struct CompiledNetwork {
  std::vector<CompiledLayer> layers;
  std::size_t t1 = 0, t2 = 0;
  tile::BatchLayout batch_layout = tile::BatchLayout::kInner;  // the slot order of every tile tensor
  // Rotations per hoisted sum in every rotate-and-sum (tile/ops.hpp; a power of two, 1: doublings only).
  std::size_t hoisted_rotations = 1;
  // Each layer's rescale before its rotate-and-sum (tile::multiply_plain_sum rescale_first): the rotations
  // switch keys one limb lower, at the price of the t rotated copies of the rescale's rounding noise.
  bool sum_after_rescale = false;
  std::size_t input_size() const { return layers.front().in(); }
  std::size_t output_size() const { return layers.back().out(); }
  // Multiplicative depth: levels from a fresh ciphertext to the output.
  int depth() const;
  int layer_depth(std::size_t l) const;  // 1 (product) + clear + square + output clear
};

// Input tile rows (dim-0 positions of the input, t1 model-order features each) that no weight tile of the
// first layer reads: pruned inputs, which the client need not encrypt or send (Plan::unread_input_rows).
std::vector<std::size_t> unread_input_rows(const CompiledNetwork& net);


// Throws InvalidArgument for relu/sigmoid (naming the layer), for an invalid model, for tile sizes that are
// not powers of two, and when the output does not depend on the input (every tile row pruned).
// in_next_weights[l] (hidden layers; missing entries false): repair layer l's unknowns, if it has any, in
// layer l + 1's weights instead of clearing and duplicating them.
CompiledNetwork compile(const nn::Model& model, std::size_t t1, std::size_t t2,
                        tile::BatchLayout layout = tile::BatchLayout::kInner,
                        const std::vector<bool>& in_next_weights = {});

// The folded network in the clear, in double, model order: x (batch x in, row-major) -> y (batch x out).
// Equal to the model's own forward pass up to rounding: the reference the executor must match exactly.
std::vector<double> forward_compiled(const CompiledNetwork& net, const std::vector<double>& x, std::size_t batch);

// The model's forward pass in double (model order), straight from its float weights: the independent
// plaintext reference (no folding).
std::vector<double> forward_reference(const nn::Model& model, const std::vector<double>& x, std::size_t batch);

// The model's function on original-order samples (count x input width, rows), in double: permute the input,
// forward_reference, unpermute the output.
std::vector<double> plain_outputs(const nn::Model& model, const std::vector<double>& samples, std::size_t count);

}  // namespace hepex::infer
