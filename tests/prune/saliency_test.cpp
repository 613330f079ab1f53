#include "prune/saliency.hpp"

#include <gtest/gtest.h>

#include <random>

#include "prune/masks.hpp"
#include "util/error.hpp"

using namespace hepex;
using namespace hepex::prune;

namespace {
nn::RowMatrix random_samples(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  nn::RowMatrix x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = u(rng);
  return x;
}

void fill_random(nn::Model& m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (auto& layer : m.layers()) {
    for (Eigen::Index i = 0; i < layer.W.size(); ++i) layer.W.data()[i] = u(rng);
    for (Eigen::Index i = 0; i < layer.b.size(); ++i) layer.b(i) = u(rng);
  }
}

double mean_sq_diff(const nn::RowMatrix& a, const nn::RowMatrix& b) {
  return (a - b).cast<double>().array().square().mean();
}
}  // namespace

TEST(Saliency, MomentsMatchNaiveSums) {
  nn::Model m = nn::Model::from_arch("3-2:identity");
  fill_random(m, 1);
  const nn::RowMatrix x = random_samples(50, 3, 2);
  const Saliency s = measure_saliency(m, x, 7);
  for (int j = 0; j < 3; ++j) {
    double mean = 0;
    for (int i = 0; i < 50; ++i) mean += x(i, j);
    mean /= 50;
    EXPECT_NEAR(s.layers[0].mean(j), mean, 1e-6);
    for (int k = 0; k < 3; ++k) {
      double cov = 0, mk = 0;
      for (int i = 0; i < 50; ++i) mk += x(i, k);
      mk /= 50;
      for (int i = 0; i < 50; ++i) cov += (x(i, j) - mean) * (x(i, k) - mk);
      EXPECT_NEAR(s.layers[0].covariance(j, k), cov / 50, 1e-6);
    }
  }
}

TEST(Saliency, SensitivityIsJacobianColumnNormOverOutputs) {
  // Linear chain y = W2 (W1 x + b1) + b2: dy/dz1_r = column r of W2; dy/dz2 = identity.
  nn::Model m = nn::Model::from_arch("5-4-3:identity");
  fill_random(m, 3);
  const nn::RowMatrix x = random_samples(2000, 5, 4);
  const Saliency s = measure_saliency(m, x, 11, 2000, 8);
  const auto& W2 = m.layers()[1].W;
  for (int r = 0; r < 4; ++r) {
    const double exact = W2.col(r).cast<double>().squaredNorm() / 3.0;
    EXPECT_NEAR(s.layers[0].sensitivity(r), exact, 0.03 * exact) << "neuron " << r;
  }
  for (int r = 0; r < 3; ++r) EXPECT_NEAR(s.layers[1].sensitivity(r), 1.0 / 3.0, 0.03 / 3.0);
}

TEST(Saliency, TileSaliencyIsTheOutputErrorOfRemovingTheTileWithCompensation) {
  // One linear layer, sensitivity set exactly (1/d): removing a tile and compensating the bias changes the
  // outputs by exactly the centred part, whose mean square is what tile_saliency predicts.
  nn::Model m = nn::Model::from_arch("4-4:identity");
  fill_random(m, 5);
  nn::RowMatrix x = random_samples(400, 4, 6);
  x.col(2).array() += 3.f;  // a non-zero mean for the compensation to carry
  Saliency s = measure_saliency(m, x, 1);
  s.layers[0].sensitivity.setConstant(1.0 / 4.0);
  const TileDims d{2, 2};
  const Eigen::MatrixXd predicted = tile_saliency(m.layers()[0], d, s.layers[0]);
  const nn::RowMatrix y0 = m.forward(x);
  for (int tr = 0; tr < 2; ++tr)
    for (int tc = 0; tc < 2; ++tc) {
      nn::Model pruned = m;
      auto& layer = pruned.layers()[0];
      layer.mask = Eigen::MatrixXf::Ones(4, 4);
      layer.mask.block(2 * tr, 2 * tc, 2, 2).setZero();
      layer.apply_mask();
      compensate_bias(layer, m.layers()[0], s.layers[0]);
      const nn::RowMatrix y1 = pruned.forward(x);
      EXPECT_NEAR(mean_sq_diff(y0, y1), predicted(tr, tc), 1e-4 * predicted(tr, tc) + 1e-9);
      // The mean output is unchanged.
      EXPECT_LT((y0.colwise().mean() - y1.colwise().mean()).cwiseAbs().maxCoeff(), 1e-4);
    }
}

TEST(Saliency, WeightSaliencyOnHandMadeLayer) {
  nn::DenseLayer layer;
  layer.W.resize(2, 2);
  layer.W << 1, -2, 3, 0.5;
  layer.b = Eigen::VectorXf::Zero(2);
  LayerStatistics st;
  st.mean = Eigen::VectorXd::Zero(2);
  st.covariance = Eigen::MatrixXd::Zero(2, 2);
  st.covariance.diagonal() << 4.0, 0.25;
  st.sensitivity.resize(2);
  st.sensitivity << 1.0, 2.0;
  const Eigen::MatrixXd ws = weight_saliency(layer, st);
  EXPECT_DOUBLE_EQ(ws(0, 0), 1.0 * 1 * 4.0);
  EXPECT_DOUBLE_EQ(ws(0, 1), 1.0 * 4 * 0.25);
  EXPECT_DOUBLE_EQ(ws(1, 0), 2.0 * 9 * 4.0);
  EXPECT_DOUBLE_EQ(ws(1, 1), 2.0 * 0.25 * 0.25);
  LayerStatistics wrong = st;
  wrong.mean = Eigen::VectorXd::Zero(3);
  EXPECT_THROW(weight_saliency(layer, wrong), MismatchError);
}

TEST(Saliency, DeadInputsArePrunedFirstWhateverTheirMagnitude) {
  // Inputs 0 and 1 are constant: the tile reading them costs nothing once its mean moves into the bias,
  // though its weights are the largest. Magnitude pruning removes another tile.
  nn::Model m = nn::Model::from_arch("4-2:identity");
  m.layers()[0].W << 9, 9, 1, 1,  //
      9, 9, 1, 1;
  nn::RowMatrix x = random_samples(300, 4, 8);
  x.col(0).setConstant(0.5f);
  x.col(1).setConstant(-0.25f);
  const TileDims d{2, 2};
  const std::vector<TileDims> dims{d};

  nn::Model by_magnitude = m;
  prune_tiles(by_magnitude, dims, 0.5, Scope::kGlobal, TileScore::kL2);
  EXPECT_EQ(by_magnitude.layers()[0].mask(0, 0), 1.f);
  EXPECT_EQ(by_magnitude.layers()[0].mask(0, 2), 0.f);

  nn::Model by_saliency = m;
  const Saliency s = measure_saliency(m, x, 1);
  prune_tiles(by_saliency, dims, 0.5, Scope::kGlobal, TileScore::kL2, Ranking{&s, {}});
  EXPECT_EQ(by_saliency.layers()[0].mask(0, 0), 0.f);
  EXPECT_EQ(by_saliency.layers()[0].mask(0, 2), 1.f);
  // With the bias compensation the function is unchanged on these data.
  EXPECT_LT(mean_sq_diff(m.forward(x), by_saliency.forward(x)), 1e-9);
}

TEST(Saliency, CostAwareRankingPrunesTheExpensiveLayerFirst) {
  // Two layers of equal |w|; a global ranking per unit of cost prunes the layer that costs more per tile.
  nn::Model m = nn::Model::from_arch("4-4-4:identity");
  for (auto& layer : m.layers()) layer.W.setConstant(1.f);
  const std::vector<TileDims> dims{{2, 2}, {2, 2}};
  nn::Model a = m;
  prune_tiles(a, dims, 0.5, Scope::kGlobal, TileScore::kL2, Ranking{nullptr, {1.0, 3.0}});
  EXPECT_EQ(a.layers()[1].W.sum(), 0.f);
  EXPECT_EQ(a.layers()[0].W.sum(), 16.f);
  nn::Model b = m;
  EXPECT_THROW(prune_tiles(b, dims, 0.5, Scope::kGlobal, TileScore::kL2, Ranking{nullptr, {1.0}}), InvalidArgument);
  EXPECT_THROW(prune_tiles(b, dims, 0.5, Scope::kGlobal, TileScore::kL2, Ranking{nullptr, {1.0, 0.0}}), InvalidArgument);
}
