#pragma once
// A small synthetic reconstruction task and a dense model trained on it, for the pruning tests (and the
// end-to-end test that runs a pruned model under encryption).
#include "nn/model.hpp"
#include "nn/trainer.hpp"
#include "util/csprng.hpp"

namespace hepex::prune::testing {

// A small synthetic reconstruction task: 32-dimensional inputs living near an 8-dimensional subspace.
inline nn::Dataset synthetic(Eigen::Index n, std::uint64_t seed) {
  Csprng rng(seed_from_u64(seed));
  Eigen::MatrixXf basis(8, 32);
  Csprng brng(seed_from_u64(1234));
  for (Eigen::Index i = 0; i < basis.size(); ++i) basis.data()[i] = static_cast<float>(brng.next_double() - 0.5);
  nn::Dataset d;
  d.images.resize(n, 32);
  for (Eigen::Index r = 0; r < n; ++r) {
    Eigen::RowVectorXf z(8);
    for (int k = 0; k < 8; ++k) z[k] = static_cast<float>(rng.next_double() - 0.5);
    d.images.row(r) = (z * basis).array() * 0.5f + 0.5f;
  }
  return d;
}

inline nn::Model trained_dense(const nn::Dataset& train) {
  nn::Model m = nn::Model::from_arch("32-16-8-16-32:poly2");
  Csprng rng(seed_from_u64(7));
  m.init_glorot(rng);
  nn::TrainConfig tc;
  tc.epochs = 10;
  tc.batch = 32;
  tc.lr = 3e-3f;
  nn::train(m, train, nn::Dataset{}, tc);
  return m;
}

}  // namespace hepex::prune::testing
