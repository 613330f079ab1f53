// Training: masked weights stay exactly zero, runs are reproducible (also across thread counts), losses go
// down, early stopping and classification work, and a small MNIST autoencoder learns.
#include "nn/trainer.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "nn/job.hpp"
#include "util/error.hpp"

using namespace hepex::nn;

namespace {
// Low-rank data: an autoencoder with a narrow middle layer can reconstruct it.
Dataset low_rank_data(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  hepex::Csprng rng(hepex::seed_from_u64(seed));
  Matrix basis(3, d);
  for (Eigen::Index k = 0; k < basis.size(); ++k) basis.data()[k] = float(rng.next_double());
  Dataset data;
  data.images.resize(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::RowVectorXf c(3);
    for (int k = 0; k < 3; ++k) c(k) = float(rng.next_double()) / 3.f;
    data.images.row(i) = c * basis;
  }
  return data;
}

Model init(const std::string& arch, std::uint64_t seed) {
  Model m = Model::from_arch(arch);
  hepex::Csprng rng(hepex::seed_from_u64(seed));
  m.init_glorot(rng);
  return m;
}

bool same_weights(const Model& a, const Model& b) {
  for (std::size_t l = 0; l < a.layers().size(); ++l) {
    const auto &x = a.layers()[l], &y = b.layers()[l];
    if (std::memcmp(x.W.data(), y.W.data(), sizeof(float) * std::size_t(x.W.size())) != 0) return false;
    if (std::memcmp(x.b.data(), y.b.data(), sizeof(float) * std::size_t(x.b.size())) != 0) return false;
    if (x.act.poly != y.act.poly) return false;
  }
  return true;
}
}  // namespace

TEST(Trainer, MaskedWeightsStayExactlyZero) {
  const Dataset data = low_rank_data(300, 20, 1);
  for (const auto kind : {OptimizerKind::kAdam, OptimizerKind::kSgd}) {
    Model m = init("20-12-6-12-20:poly2", 2);
    hepex::Csprng rng(hepex::seed_from_u64(3));
    for (auto& L : m.layers()) {
      L.mask.resize(L.out(), L.in());
      for (Eigen::Index k = 0; k < L.mask.size(); ++k) L.mask.data()[k] = rng.next_double() < 0.5 ? 0.f : 1.f;
    }
    // Weights under the mask start non-zero: training must zero them and keep them zero.
    TrainConfig cfg;
    cfg.optimizer.kind = kind;
    cfg.lr = kind == OptimizerKind::kAdam ? 1e-2f : 0.05f;
    cfg.epochs = 5;
    cfg.batch = 32;
    const Model before = m;
    train(m, data, {}, cfg);
    std::size_t kept_moving = 0;
    for (std::size_t l = 0; l < m.layers().size(); ++l) {
      const auto& L = m.layers()[l];
      for (Eigen::Index k = 0; k < L.W.size(); ++k) {
        if (L.mask.data()[k] == 0.f) {
          ASSERT_EQ(L.W.data()[k], 0.f);
        } else if (L.W.data()[k] != before.layers()[l].W.data()[k]) {
          ++kept_moving;
        }
      }
    }
    EXPECT_GT(kept_moving, 0u);  // the unmasked weights did train
  }
}

TEST(Trainer, ReproducibleForASeedAndAnyThreadCount) {
  const Dataset data = low_rank_data(500, 16, 4);
  TrainConfig cfg;
  cfg.epochs = 3;
  cfg.batch = 100;  // two shards of 64 + 36: exercises the shard reduction
  cfg.seed = 11;
  const int threads = omp_get_max_threads();
  Model a = init("16-8-16:square", 5), b = a, c = a;
  omp_set_num_threads(1);
  const auto ha = train(a, data, {}, cfg);
  omp_set_num_threads(std::max(2, threads));
  const auto hb = train(b, data, {}, cfg);
  cfg.seed = 12;
  train(c, data, {}, cfg);
  omp_set_num_threads(threads);
  EXPECT_TRUE(same_weights(a, b));
  EXPECT_EQ(ha.epochs.back().train_loss, hb.epochs.back().train_loss);
  EXPECT_FALSE(same_weights(a, c));
}

TEST(Trainer, LowersTheLossForEveryOptimizerAndActivation) {
  const Dataset data = low_rank_data(400, 16, 6);
  for (const char* arch : {"16-8-3-8-16:square", "16-8-3-8-16:poly2", "16-8-3-8-16:relu", "16-3-16:identity"}) {
    for (const auto kind : {OptimizerKind::kAdam, OptimizerKind::kSgd}) {
      Model m = init(arch, 7);
      const double before = evaluate(m, data, Loss::kMse).mse;
      TrainConfig cfg;
      cfg.optimizer.kind = kind;
      cfg.lr = kind == OptimizerKind::kAdam ? 3e-3f : 0.05f;
      cfg.epochs = 10;
      cfg.batch = 32;
      const auto h = train(m, data, {}, cfg);
      const double after = evaluate(m, data, Loss::kMse).mse;
      EXPECT_LT(after, 0.5 * before) << arch << (kind == OptimizerKind::kAdam ? " adam" : " sgd");
      EXPECT_LT(h.epochs.back().train_loss, h.epochs.front().train_loss) << arch;
    }
  }
}

TEST(Trainer, TrainablePolyCoefficientsMoveFixedOnesDoNot) {
  const Dataset data = low_rank_data(200, 10, 8);
  Model trained = init("10-6-10:poly2", 9), fixed = init("10-6-10:poly2@0.5/0.5/0", 9);
  TrainConfig cfg;
  cfg.epochs = 3;
  train(trained, data, {}, cfg);
  train(fixed, data, {}, cfg);
  EXPECT_NE(trained.layers()[0].act.poly, kDefaultPoly2);
  EXPECT_EQ(fixed.layers()[0].act.poly, (std::array<float, 3>{0.5f, 0.5f, 0.f}));
}

TEST(Trainer, StepDecayEarlyStopAndRestoreBest) {
  const Dataset data = low_rank_data(300, 12, 10);
  const auto parts = split_train_val(data, 0.2, 1);
  Model m = init("12-6-12:square", 11);
  TrainConfig cfg;
  cfg.epochs = 6;
  cfg.lr = 1e-2f;
  cfg.lr_decay = 0.5f;
  cfg.decay_every = 2;
  std::vector<EpochStats> seen;
  const auto h = train(m, parts.train, parts.val, cfg, [&](const EpochStats& s) { seen.push_back(s); });
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_FLOAT_EQ(float(seen[0].lr), 1e-2f);
  EXPECT_FLOAT_EQ(float(seen[1].lr), 1e-2f);
  EXPECT_FLOAT_EQ(float(seen[2].lr), 5e-3f);
  EXPECT_FLOAT_EQ(float(seen[5].lr), 2.5e-3f);
  // The returned model is the best validation epoch's.
  double best = 1e9;
  for (const auto& s : seen) best = std::min(best, s.val_loss);
  EXPECT_DOUBLE_EQ(evaluate(m, parts.val, Loss::kMse).mse, best);

  // A learning rate far too high never improves after the first epoch: patience 2 stops at epoch 3.
  Model wild = init("12-6-12:identity", 12);
  TrainConfig bad = cfg;
  bad.lr = 0.5f;
  bad.lr_decay = 1.f;
  bad.optimizer.kind = OptimizerKind::kSgd;
  bad.optimizer.momentum = 0.99f;
  bad.patience = 2;
  bad.epochs = 50;
  try {
    const auto hw = train(wild, parts.train, parts.val, bad);
    EXPECT_TRUE(hw.stopped_early);
    EXPECT_EQ(int(hw.epochs.size()), hw.best_epoch + 2);
  } catch (const hepex::Error& e) {
    // Diverging to infinity is also reported clearly.
    EXPECT_NE(std::string(e.what()).find("diverged"), std::string::npos);
  }
}

TEST(Trainer, WarmupScalesTheFirstSteps) {
  // One batch, one Adam step: the first Adam step moves every weight by about lr (m_hat / sqrt(v_hat) = +-1),
  // so with a warm-up of 4 steps the move is lr / 4.
  const Dataset data = low_rank_data(16, 6, 20);
  TrainConfig cfg;
  cfg.epochs = 1;
  cfg.batch = 16;
  cfg.lr = 1e-2f;
  Model plain = init("6-4-6:square", 21), warm = plain;
  const Model start = plain;
  train(plain, data, {}, cfg);
  cfg.warmup_steps = 4;
  train(warm, data, {}, cfg);
  const float moved = (plain.layers()[0].W - start.layers()[0].W).cwiseAbs().maxCoeff();
  const float moved_warm = (warm.layers()[0].W - start.layers()[0].W).cwiseAbs().maxCoeff();
  EXPECT_NEAR(moved, 1e-2f, 1e-4f);
  EXPECT_NEAR(moved_warm, 2.5e-3f, 1e-4f);
}

TEST(Trainer, ClassifierLearnsSeparableClasses) {
  // Class k: a bump at feature k plus noise.
  hepex::Csprng rng(hepex::seed_from_u64(13));
  Dataset data;
  data.images.resize(600, 12);
  for (Eigen::Index i = 0; i < 600; ++i) {
    const auto k = std::uint8_t(i % 4);
    for (Eigen::Index j = 0; j < 12; ++j) data.images(i, j) = float(rng.next_double()) * 0.5f + (j == 3 * k ? 1.f : 0.f);
    data.labels.push_back(k);
  }
  Model m = init("12-8-4:square", 14);
  TrainConfig cfg;
  cfg.loss = Loss::kSoftmaxCrossEntropy;
  cfg.lr = 1e-2f;
  cfg.epochs = 20;
  cfg.batch = 32;
  train(m, data, {}, cfg);
  EXPECT_GT(evaluate(m, data, Loss::kSoftmaxCrossEntropy).accuracy, 0.95);
  // Output permutation: the same classifier with permuted output rows still predicts the labels.
  Model p = m;
  const Permutation out{2, 0, 3, 1};
  for (int i = 0; i < 4; ++i) {
    p.layers()[1].W.row(i) = m.layers()[1].W.row(out[std::size_t(i)]);
    p.layers()[1].b(i) = m.layers()[1].b(out[std::size_t(i)]);
  }
  p.set_output_perm(out);
  EXPECT_DOUBLE_EQ(evaluate(p, data, Loss::kSoftmaxCrossEntropy).accuracy,
                   evaluate(m, data, Loss::kSoftmaxCrossEntropy).accuracy);
  // Labels beyond the outputs are refused.
  data.labels[0] = 9;
  EXPECT_THROW(train(m, data, {}, cfg), hepex::InvalidArgument);
}

TEST(Trainer, SmallMnistAutoencoderLearns) {
  const std::string dir = std::string(HEPEX_SOURCE_DIR) + "/data/mnist";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "MNIST not found in " << dir << " (scripts/setup.sh)";
  const Dataset all = load_idx_dataset(dir, Split::kTest);
  const Dataset train_set = all.slice(0, 400), test = all.slice(400, 200);
  Model m = init("784-64-16-64-784:poly2", 15);
  const double before = evaluate(m, test, Loss::kMse).mse;
  TrainConfig cfg;
  cfg.epochs = 10;
  cfg.batch = 32;
  cfg.lr = 3e-3f;
  train(m, train_set, {}, cfg);
  const double after = evaluate(m, test, Loss::kMse).mse;
  // Reference: predicting the mean training image for every test image.
  Dataset mean_prediction = test;
  mean_prediction.clean = test.images;
  mean_prediction.images.rowwise() = train_set.images.colwise().mean();
  Model identity = Model::from_arch("784-784:identity");
  identity.layers()[0].W.setIdentity();
  const double mean_mse = evaluate(identity, mean_prediction, Loss::kMse).mse;
  EXPECT_LT(after, 0.5 * before) << before << " -> " << after;
  EXPECT_LT(after, 0.8 * mean_mse) << after << " vs mean image " << mean_mse;
}

namespace {
// Four classes: a bump at feature 3k plus noise.
Dataset bump_classes(Eigen::Index n, std::uint64_t seed) {
  hepex::Csprng rng(hepex::seed_from_u64(seed));
  Dataset data;
  data.images.resize(n, 12);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = std::uint8_t(i % 4);
    for (Eigen::Index j = 0; j < 12; ++j) data.images(i, j) = float(rng.next_double()) * 0.5f + (j == 3 * k ? 1.f : 0.f);
    data.labels.push_back(k);
  }
  return data;
}

// Mean squared difference of two models' outputs (original order) on the data.
double output_gap(const Model& a, const Model& b, const Dataset& data) {
  return (a.forward(data.images) - b.forward(data.images)).cast<double>().squaredNorm() / double(data.images.size());
}
}  // namespace

TEST(Trainer, DistillationAloneIgnoresTheLabelsAndImitatesTheTeacher) {
  const Dataset data = bump_classes(400, 21);
  TrainConfig cfg;
  cfg.loss = Loss::kSoftmaxCrossEntropy;
  cfg.lr = 1e-2f;
  cfg.epochs = 15;
  cfg.batch = 32;
  Model teacher = init("12-8-4:poly2", 22);
  train(teacher, data, {}, cfg);

  cfg.distill = {&teacher, 1.f, 2.f};
  Model student = init("12-6-4:poly2", 23);
  const double before = output_gap(student, teacher, data);
  Model with_labels = student, other_labels = student;
  train(with_labels, data, {}, cfg);
  Dataset shuffled = data;
  std::rotate(shuffled.labels.begin(), shuffled.labels.begin() + 1, shuffled.labels.end());
  train(other_labels, shuffled, {}, cfg);
  // alpha = 1: the labels do not enter the loss at all.
  EXPECT_TRUE(same_weights(with_labels, other_labels));
  EXPECT_LT(output_gap(with_labels, teacher, data), 0.2 * before);
  // alpha = 0 with a teacher is exactly training without one.
  Model plain = student, zero = student;
  TrainConfig no_kd = cfg;
  no_kd.distill = {};
  train(plain, data, {}, no_kd);
  cfg.distill.alpha = 0.f;
  train(zero, data, {}, cfg);
  EXPECT_TRUE(same_weights(plain, zero));
  // A teacher of other widths, or a weight outside [0, 1], is refused.
  Model wrong = init("12-8-5:poly2", 24);
  cfg.distill = {&wrong, 0.5f, 1.f};
  EXPECT_THROW(train(student, data, {}, cfg), hepex::MismatchError);
  cfg.distill = {&teacher, 1.5f, 1.f};
  EXPECT_THROW(train(student, data, {}, cfg), hepex::InvalidArgument);
}

TEST(Trainer, DistillationComparesInTheStudentsPermutedOrder) {
  // The student is the teacher with permuted inputs and outputs: the same function, so distillation alone
  // (MSE to the teacher's outputs) has nothing to correct, and plain SGD leaves it where it is. Teacher
  // outputs taken in the wrong order would pull it far away.
  const Dataset data = low_rank_data(256, 6, 25);
  Model teacher = init("6-4-6:poly2", 26);
  const Permutation in{3, 0, 5, 1, 4, 2}, out{1, 5, 0, 2, 4, 3};
  Model student = teacher;
  for (Eigen::Index i = 0; i < 6; ++i) {
    student.layers()[0].W.col(i) = teacher.layers()[0].W.col(in[std::size_t(i)]);
    student.layers()[1].W.row(i) = teacher.layers()[1].W.row(out[std::size_t(i)]);
    student.layers()[1].b(i) = teacher.layers()[1].b(out[std::size_t(i)]);
  }
  student.set_input_perm(in);
  student.set_output_perm(out);
  ASSERT_LT(output_gap(student, teacher, data), 1e-10);
  TrainConfig cfg;
  cfg.optimizer.kind = OptimizerKind::kSgd;
  cfg.lr = 0.1f;
  cfg.epochs = 3;
  cfg.batch = 32;
  cfg.distill = {&teacher, 1.f, 1.f};
  Model trained = student;
  train(trained, data, {}, cfg);
  EXPECT_LT((trained.layers()[0].W - student.layers()[0].W).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_LT(output_gap(trained, teacher, data), 1e-9);
}
