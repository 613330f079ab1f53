#include "prune/permutation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "prune/masks.hpp"
#include "prune/tiling.hpp"
#include "util/error.hpp"

using namespace hepex;
using namespace hepex::prune;

namespace {
nn::Model random_sparse_model(const std::string& arch, double fraction, std::uint64_t seed) {
  nn::Model m = nn::Model::from_arch(arch);
  Csprng rng(seed_from_u64(seed));
  m.init_glorot(rng);
  for (auto& layer : m.layers())
    for (Eigen::Index i = 0; i < layer.b.size(); ++i) layer.b[i] = static_cast<float>(rng.next_double() - 0.5);
  prune_unstructured(m, fraction, Scope::kLayer);
  return m;
}

nn::RowMatrix random_inputs(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  Csprng rng(seed_from_u64(seed));
  nn::RowMatrix x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.next_double());
  return x;
}
}  // namespace

TEST(Permutation, PreservesTheNetworkFunctionAndNeverAddsTiles) {
  for (const std::string arch : {"64-32-16-32-64:square", "40-24-40:poly2"}) {
    nn::Model m = random_sparse_model(arch, 0.9, 3);
    const auto dims = chain_tile_dims(m.layers().size(), 4, 8);
    const auto x = random_inputs(17, m.input_size(), 4);
    const nn::RowMatrix y0 = m.forward(x);
    const PermuteResult r = optimize_permutation(m, dims);
    EXPECT_LE(r.tiles_after, r.tiles_before);
    EXPECT_EQ(r.tiles_before, total_tiles(m, dims).kept);
    apply_permutation(m, r.permutation);
    EXPECT_EQ(total_tiles(m, dims).kept, r.tiles_after) << arch;
    const nn::RowMatrix y1 = m.forward(x);
    EXPECT_LE((y1 - y0).cwiseAbs().maxCoeff(), 1e-6f * std::max(1.f, y0.cwiseAbs().maxCoeff())) << arch;
    // The model order differs from the original (something moved) for this sparse a model.
    EXPECT_LT(r.tiles_after, r.tiles_before) << arch;
  }
}

TEST(Permutation, RecoversAPlantedBlockStructure) {
  // A 32-32 hidden layer between two matrices whose alive pattern is block-diagonal in some hidden order;
  // the neurons are then scrambled. The optimum regroups them: one tile per block row.
  nn::Model m = nn::Model::from_arch("16-32-16:square");
  const std::vector<TileDims> dims = chain_tile_dims(2, 4, 8);  // layer0 tiles 8x4, layer1 tiles 4x8
  auto& L0 = m.layers()[0];
  auto& L1 = m.layers()[1];
  L0.mask = Eigen::MatrixXf::Zero(32, 16);
  L1.mask = Eigen::MatrixXf::Zero(16, 32);
  // Hidden neuron h belongs to group h/8; it connects to input block (h/8) (4 inputs) and output block (h/8).
  std::vector<std::uint32_t> scramble(32);
  std::iota(scramble.begin(), scramble.end(), 0u);
  Csprng rng(seed_from_u64(9));
  for (std::size_t i = 31; i > 0; --i) std::swap(scramble[i], scramble[rng.uniform_below(i + 1)]);
  for (int h = 0; h < 32; ++h) {
    const int pos = static_cast<int>(scramble[h]);
    L0.mask.block(pos, (h / 8) * 4, 1, 4).setOnes();
    L1.mask.block((h / 8) * 4, pos, 4, 1).setOnes();
  }
  L0.W = L0.mask;
  L1.W = L1.mask;
  PermuteOptions opt;
  opt.permute_input = opt.permute_output = false;
  const PermuteResult r = optimize_permutation(m, dims, opt);
  EXPECT_EQ(r.tiles_after, 4 + 4);  // 4 diagonal tiles in each matrix
  EXPECT_GT(r.tiles_before, r.tiles_after);
  // The permutation is a bijection in every dimension; input/output untouched here.
  for (const auto& p : r.permutation.dims) {
    std::vector<std::uint32_t> s = p;
    std::sort(s.begin(), s.end());
    for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s[i], i);
  }
  EXPECT_TRUE(std::is_sorted(r.permutation.dims[0].begin(), r.permutation.dims[0].end()));
}

TEST(Permutation, KmeansOnlyAlsoNeverIncreases) {
  nn::Model m = random_sparse_model("48-32-48:square", 0.95, 5);
  const auto dims = chain_tile_dims(2, 4, 4);
  PermuteOptions opt;
  opt.swap_passes = 0;
  const PermuteResult r = optimize_permutation(m, dims, opt);
  EXPECT_LE(r.tiles_after, r.tiles_before);
  apply_permutation(m, r.permutation);
  EXPECT_EQ(total_tiles(m, dims).kept, r.tiles_after);
}

TEST(Permutation, RejectsMalformedPermutations) {
  nn::Model m = nn::Model::from_arch("4-4:identity");
  ModelPermutation p{{{0, 1, 2, 3}, {0, 1, 1, 3}}};
  EXPECT_THROW(apply_permutation(m, p), InvalidArgument);
  ModelPermutation q{{{0, 1, 2, 3}}};
  EXPECT_THROW(apply_permutation(m, q), InvalidArgument);
}
