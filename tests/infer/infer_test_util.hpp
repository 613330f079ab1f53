#pragma once
// Small random networks for the infer tests: widths, activations and a zero-tile pattern chosen per test,
// with optional random neuron permutations.
#include <cmath>
#include <string>
#include <vector>

#include "nn/model.hpp"
#include "util/csprng.hpp"

namespace hepex::infer::testing {

// A model of the given widths; activations per layer; weights/biases uniform in [-scale, scale].
inline nn::Model random_model(const std::vector<int>& widths, const std::vector<nn::Activation>& acts,
                              std::uint64_t seed, float scale = 0.4f) {
  nn::ArchSpec spec;
  spec.sizes = widths;
  spec.activations = acts;
  nn::Model m(spec);
  Csprng rng(seed_from_u64(seed));
  for (auto& L : m.layers()) {
    for (Eigen::Index i = 0; i < L.W.size(); ++i) L.W.data()[i] = scale * float(2 * rng.next_double() - 1);
    for (Eigen::Index i = 0; i < L.b.size(); ++i) L.b(i) = scale * float(2 * rng.next_double() - 1);
  }
  return m;
}

// Zeroes the weight tile (tile row r, tile column c) of layer l, where a tile covers `rows` x `cols` of W.
inline void zero_tile(nn::Model& m, std::size_t l, int r, int c, int rows, int cols) {
  auto& W = m.layers()[l].W;
  for (int i = r * rows; i < std::min<int>(int(W.rows()), (r + 1) * rows); ++i)
    for (int j = c * cols; j < std::min<int>(int(W.cols()), (c + 1) * cols); ++j) W(i, j) = 0.f;
}

inline void zero_tile_row(nn::Model& m, std::size_t l, int r, int rows) {
  auto& W = m.layers()[l].W;
  for (int i = r * rows; i < std::min<int>(int(W.rows()), (r + 1) * rows); ++i) W.row(i).setZero();
}

inline nn::Permutation random_perm(std::size_t n, std::uint64_t seed) {
  nn::Permutation p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = std::uint32_t(i);
  Csprng rng(seed_from_u64(seed));
  for (std::size_t i = n; i-- > 1;) std::swap(p[i], p[rng.uniform_below(i + 1)]);
  return p;
}

// For tiles 2x4: 16-12-10-9-7 with zero tiles, a fully zero tile row in a hidden layer (folded into the next layer) and
// one in the last layer (trivial ciphertexts), poly2 with a > 0 and a < 0, square, and a poly2 last layer.
inline nn::Model pruned_model_2x4(std::uint64_t seed) {
  using nn::Activation;
  constexpr int kT1 = 2, kT2 = 4;
  auto m = random_model({16, 12, 10, 9, 7},
                        {Activation::poly2(0.3f, 0.9f, 0.1f, false), Activation::square(),
                         Activation::poly2(-0.25f, 0.5f, 0.2f, false), Activation::poly2(0.2f, -0.4f, 0.05f, false)},
                        seed);
  // Layer 0, 2 transposed: a tile is t2 rows x t1 columns of W; layer 1, 3 rows: t1 rows x t2 columns.
  zero_tile(m, 0, 0, 1, kT2, kT1);
  zero_tile(m, 0, 2, 3, kT2, kT1);
  zero_tile_row(m, 1, 1, kT1);
  zero_tile(m, 2, 1, 0, kT2, kT1);
  zero_tile_row(m, 3, 2, kT1);
  return m;
}

inline std::vector<double> random_inputs(std::size_t count, std::size_t n, std::uint64_t seed) {
  Csprng rng(seed_from_u64(seed));
  std::vector<double> x(count * n);
  for (auto& v : x) v = rng.next_double();
  return x;
}

}  // namespace hepex::infer::testing
