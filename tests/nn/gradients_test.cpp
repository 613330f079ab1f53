// Backpropagation against central finite differences of an independent double-precision forward pass
// (naive loops, written from the formulas), for every activation and both losses.
#include "nn/gradients.hpp"

#include "util/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace hepex::nn;

namespace {

using Dbl = std::vector<std::vector<double>>;  // [row][col]

struct RefLayer {
  Dbl W;
  std::vector<double> b;
  Activation act;
  std::array<double, 3> poly;
};

double ref_act(const RefLayer& L, double z) {
  switch (L.act.kind) {
    case ActivationKind::kIdentity: return z;
    case ActivationKind::kSquare: return z * z;
    case ActivationKind::kPoly2: return L.poly[0] * z * z + L.poly[1] * z + L.poly[2];
    case ActivationKind::kRelu: return z > 0 ? z : 0;
    case ActivationKind::kSigmoid: return 1 / (1 + std::exp(-z));
  }
  return z;
}

std::vector<RefLayer> to_ref(const Model& m) {
  std::vector<RefLayer> r;
  for (const auto& L : m.layers()) {
    RefLayer R;
    R.W.assign(std::size_t(L.out()), std::vector<double>(std::size_t(L.in())));
    for (Eigen::Index i = 0; i < L.out(); ++i)
      for (Eigen::Index j = 0; j < L.in(); ++j) R.W[i][j] = L.W(i, j);
    for (Eigen::Index i = 0; i < L.out(); ++i) R.b.push_back(L.b(i));
    R.act = L.act;
    R.poly = {L.act.poly[0], L.act.poly[1], L.act.poly[2]};
    r.push_back(R);
  }
  return r;
}

// Output of the reference network for sample s of x (features x batch).
std::vector<double> ref_forward(const std::vector<RefLayer>& net, const Matrix& x, Eigen::Index s) {
  std::vector<double> a(std::size_t(x.rows()));
  for (Eigen::Index i = 0; i < x.rows(); ++i) a[i] = x(i, s);
  for (const auto& L : net) {
    std::vector<double> next(L.b.size());
    for (std::size_t i = 0; i < L.b.size(); ++i) {
      double z = L.b[i];
      for (std::size_t j = 0; j < a.size(); ++j) z += L.W[i][j] * a[j];
      next[i] = ref_act(L, z);
    }
    a = next;
  }
  return a;
}

// log sum_k exp(v_k / T), shifted by the maximum.
double log_sum_exp(const std::vector<double>& v, double T) {
  double m = v[0];
  for (double e : v) m = std::max(m, e);
  double sum = 0;
  for (double e : v) sum += std::exp((e - m) / T);
  return m / T + std::log(sum);
}

// Knowledge distillation as the formulas state it: (1 - alpha) task + alpha distill, distill = MSE to the
// teacher's outputs, or T^2 * mean over samples of -sum_k softmax(teacher/T)_k log softmax(y/T)_k.
struct RefDistill {
  const Matrix* teacher = nullptr;
  double alpha = 0, T = 1;
};

// Loss of the reference network on the batch x (features x batch).
double ref_loss(const std::vector<RefLayer>& net, const Matrix& x, Loss loss, const Matrix& t,
                const std::vector<std::uint8_t>& labels, const RefDistill& kd = {}) {
  double task = 0, distill = 0;
  for (Eigen::Index s = 0; s < x.cols(); ++s) {
    const std::vector<double> a = ref_forward(net, x, s);
    if (loss == Loss::kMse) {
      for (std::size_t i = 0; i < a.size(); ++i) {
        task += (a[i] - t(Eigen::Index(i), s)) * (a[i] - t(Eigen::Index(i), s));
        if (kd.teacher) distill += std::pow(a[i] - (*kd.teacher)(Eigen::Index(i), s), 2);
      }
    } else {
      task += log_sum_exp(a, 1.0) - a[labels[std::size_t(s)]];
      if (kd.teacher) {
        std::vector<double> u(a.size());
        for (std::size_t k = 0; k < a.size(); ++k) u[k] = (*kd.teacher)(Eigen::Index(k), s);
        const double lu = log_sum_exp(u, kd.T), la = log_sum_exp(a, kd.T);
        for (std::size_t k = 0; k < a.size(); ++k) distill -= std::exp(u[k] / kd.T - lu) * (a[k] / kd.T - la);
      }
    }
  }
  const double n = loss == Loss::kMse ? double(x.cols() * t.rows()) : double(x.cols());
  if (loss != Loss::kMse) distill *= kd.T * kd.T;
  return kd.teacher ? (1 - kd.alpha) * task / n + kd.alpha * distill / n : task / n;
}

void expect_close(double analytic, double numeric, const std::string& what) {
  EXPECT_NEAR(analytic, numeric, 2e-3 * std::max(1.0, std::abs(numeric)) + 1e-5) << what;
}

// Checks every gradient entry of the model (weights, biases, trainable poly coefficients); with alpha > 0,
// of the distillation loss against random teacher outputs at temperature T.
void check_model(Model model, Loss loss, std::uint64_t seed, float alpha = 0.f, float T = 1.f) {
  hepex::Csprng rng(hepex::seed_from_u64(seed));
  model.init_glorot(rng);
  for (auto& L : model.layers())
    for (Eigen::Index i = 0; i < L.b.size(); ++i) L.b(i) = float(rng.next_double() - 0.5) * 0.4f;
  const Eigen::Index batch = 5;
  Matrix x(model.input_size(), batch), t(model.output_size(), batch);
  for (Eigen::Index k = 0; k < x.size(); ++k) x.data()[k] = float(rng.next_double() * 2 - 1);
  for (Eigen::Index k = 0; k < t.size(); ++k) t.data()[k] = float(rng.next_double());
  std::vector<std::uint8_t> labels;
  for (Eigen::Index s = 0; s < batch; ++s) labels.push_back(std::uint8_t(rng.uniform_below(std::uint64_t(model.output_size()))));

  Matrix teacher(model.output_size(), batch);
  for (Eigen::Index k = 0; k < teacher.size(); ++k) teacher.data()[k] = float(rng.next_double() * 4 - 2);
  const RefDistill kd = alpha > 0.f ? RefDistill{&teacher, alpha, T} : RefDistill{};

  Backprop bp;
  std::vector<LayerGradients> grads;
  BatchTarget target{&t, labels};
  if (alpha > 0.f) {
    target.teacher = &teacher;
    target.alpha = alpha;
    target.temperature = T;
  }
  const double value = bp.run(model, x, loss, target, grads);
  auto net = to_ref(model);
  EXPECT_NEAR(value, ref_loss(net, x, loss, t, labels, kd), 1e-5 * std::max(1.0, value));

  const double h = 1e-6;
  const auto fd = [&](double& p) {
    const double keep = p;
    p = keep + h;
    const double up = ref_loss(net, x, loss, t, labels, kd);
    p = keep - h;
    const double down = ref_loss(net, x, loss, t, labels, kd);
    p = keep;
    return (up - down) / (2 * h);
  };
  for (std::size_t l = 0; l < net.size(); ++l) {
    const std::string where = "layer " + std::to_string(l) + " (" + model.layers()[l].act.format() + ")";
    for (std::size_t i = 0; i < net[l].W.size(); ++i)
      for (std::size_t j = 0; j < net[l].W[i].size(); ++j)
        expect_close(grads[l].W(Eigen::Index(i), Eigen::Index(j)), fd(net[l].W[i][j]), where + " W");
    for (std::size_t i = 0; i < net[l].b.size(); ++i) expect_close(grads[l].b(Eigen::Index(i)), fd(net[l].b[i]), where + " b");
    if (model.layers()[l].act.kind == ActivationKind::kPoly2 && model.layers()[l].act.trainable)
      for (int c = 0; c < 3; ++c) expect_close(grads[l].poly[std::size_t(c)], fd(net[l].poly[std::size_t(c)]), where + " poly");
  }
}

}  // namespace

TEST(Gradients, SquareAutoencoderMse) { check_model(Model::from_arch("6-5-3-5-6:square"), Loss::kMse, 1); }
TEST(Gradients, TrainablePoly2Mse) { check_model(Model::from_arch("6-5-4-6:poly2"), Loss::kMse, 2); }
TEST(Gradients, FixedPoly2Mse) { check_model(Model::from_arch("6-5-6:poly2@0.3/-0.7/0.2"), Loss::kMse, 3); }
TEST(Gradients, IdentityAndSigmoidMse) { check_model(Model::from_arch("5-4-5:identity,sigmoid"), Loss::kMse, 4); }
TEST(Gradients, ReluCrossEntropy) { check_model(Model::from_arch("7-6-4:relu"), Loss::kSoftmaxCrossEntropy, 5); }
TEST(Gradients, SquareCrossEntropy) { check_model(Model::from_arch("7-6-5-3:square"), Loss::kSoftmaxCrossEntropy, 6); }

TEST(Gradients, DistillationToTeacherOutputsMse) {
  check_model(Model::from_arch("6-5-4-6:poly2"), Loss::kMse, 11, 0.4f);
  check_model(Model::from_arch("6-5-6:square"), Loss::kMse, 12, 1.f);  // distillation alone
}
TEST(Gradients, DistillationSoftTargetsAtTemperature) {
  check_model(Model::from_arch("7-6-4:poly2"), Loss::kSoftmaxCrossEntropy, 13, 0.5f, 1.f);
  check_model(Model::from_arch("7-6-5:poly2"), Loss::kSoftmaxCrossEntropy, 14, 0.7f, 4.f);
  check_model(Model::from_arch("7-6-3:square"), Loss::kSoftmaxCrossEntropy, 15, 1.f, 0.5f);
}

TEST(Gradients, DistillationWeightZeroIsTheTaskLossExactly) {
  Model m = Model::from_arch("5-4-3:poly2");
  hepex::Csprng rng(hepex::seed_from_u64(16));
  m.init_glorot(rng);
  Matrix x = Matrix::Random(5, 6), teacher = Matrix::Random(3, 6);
  const std::vector<std::uint8_t> labels = {0, 1, 2, 2, 1, 0};
  Backprop bp;
  std::vector<LayerGradients> plain, with_teacher;
  const double a = bp.run(m, x, Loss::kSoftmaxCrossEntropy, {nullptr, labels}, plain);
  BatchTarget kd{nullptr, labels, &teacher, 0.f, 3.f};
  const double b = bp.run(m, x, Loss::kSoftmaxCrossEntropy, kd, with_teacher);
  EXPECT_EQ(a, b);
  for (std::size_t l = 0; l < plain.size(); ++l) EXPECT_EQ(plain[l].W, with_teacher[l].W);
}

TEST(Gradients, SoftTargetLossIsSmallestAtTheTeacher) {
  // Soft-target cross-entropy is minimized (gradient zero) where the student's logits equal the teacher's,
  // and its value there is T^2 times the teacher's entropy at T.
  Matrix teacher(3, 1);
  teacher << 2.f, -1.f, 0.5f;
  const float T = 2.f;
  Matrix dy;
  const double at_teacher = soft_target_cross_entropy(teacher, teacher, T, &dy);
  EXPECT_LT(dy.cwiseAbs().maxCoeff(), 1e-6f);
  std::vector<double> p = {std::exp(2.0 / T), std::exp(-1.0 / T), std::exp(0.5 / T)};
  const double z = p[0] + p[1] + p[2];
  double entropy = 0;
  for (double& v : p) entropy -= v / z * std::log(v / z);
  EXPECT_NEAR(at_teacher, T * T * entropy, 1e-6);
  Matrix other = teacher;
  other(1, 0) += 0.3f;
  EXPECT_GT(soft_target_cross_entropy(other, teacher, T, nullptr), at_teacher);
  EXPECT_THROW(soft_target_cross_entropy(teacher, teacher, 0.f, nullptr), hepex::InvalidArgument);
}

TEST(Gradients, WeightSplitsABatchIntoShards) {
  // Gradients of two half batches with weights 1/2 sum to the gradient of the whole batch.
  Model m = Model::from_arch("4-3-4:poly2");
  hepex::Csprng rng(hepex::seed_from_u64(9));
  m.init_glorot(rng);
  Matrix x = Matrix::Random(4, 6), t = Matrix::Random(4, 6);
  Backprop bp;
  std::vector<LayerGradients> whole, left, right;
  bp.run(m, x, Loss::kMse, {&t, {}}, whole);
  Matrix xl = x.leftCols(3), xr = x.rightCols(3), tl = t.leftCols(3), tr = t.rightCols(3);
  bp.run(m, xl, Loss::kMse, {&tl, {}}, left, 0.5f);
  bp.run(m, xr, Loss::kMse, {&tr, {}}, right, 0.5f);
  for (std::size_t l = 0; l < whole.size(); ++l) {
    EXPECT_LT((whole[l].W - left[l].W - right[l].W).cwiseAbs().maxCoeff(), 1e-6f);
    EXPECT_NEAR(whole[l].poly[0], left[l].poly[0] + right[l].poly[0], 1e-5f);
  }
}

TEST(Gradients, MaskedEntriesHaveZeroGradient) {
  Model m = Model::from_arch("5-4-5:square");
  hepex::Csprng rng(hepex::seed_from_u64(10));
  m.init_glorot(rng);
  auto& L = m.layers()[0];
  L.mask = Matrix::Ones(L.out(), L.in());
  L.mask(1, 2) = 0;
  L.mask(3, 0) = 0;
  L.apply_mask();
  Matrix x = Matrix::Random(5, 4), t = Matrix::Random(5, 4);
  Backprop bp;
  std::vector<LayerGradients> g;
  bp.run(m, x, Loss::kMse, {&t, {}}, g);
  EXPECT_EQ(g[0].W(1, 2), 0.f);
  EXPECT_EQ(g[0].W(3, 0), 0.f);
  EXPECT_NE(g[0].W(0, 0), 0.f);
}
