// The planner's precision check (precision.hpp): the simulator's rounding model against the real CKKS
// engine, and the choice of the repair pattern by rounding error among the near-fastest plans.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "backend/ckks_backend.hpp"
#include "backend/sim_backend.hpp"
#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "infer/keys.hpp"
#include "infer/plan.hpp"
#include "infer/precision.hpp"
#include "infer_test_util.hpp"

namespace hepex::infer {
namespace {

using nn::Activation;
constexpr auto kInsecure = SecurityPolicy::kAllowInsecureForTestsOnly;

double rms_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s / double(a.size()));
}

// RMS output error of `plan` on the real engine against the plaintext model.
double engine_error(const nn::Model& m, const Plan& plan, const std::vector<double>& x, std::size_t count) {
  const auto ctx = plan_context(plan, kInsecure);
  const backend::CkksBackend be(ctx, generate_keys(ctx, plan, seed_from_u64(5)));
  Executor ex(be, compile_for(m, plan), plan.batch, WeightMode::kPreEncoded);
  return rms_diff(decrypt_output(be, plan, ex.run(encrypt_input(be, plan, x, count)), count), plain_outputs(m, x, count));
}

// Layer 1's weights alternate in sign along its inputs, which layer 0 makes nearly equal: its outputs are
// small and the partial sums beside them (its unknowns) large.
nn::Model large_unknowns_model(std::vector<int> widths = {16, 16, 8, 16, 8}) {
  const auto act = Activation::poly2(0.3f, 0.9f, 0.1f, false);
  auto m = testing::random_model(widths, {act, act, act, Activation::identity()}, 7);
  m.layers()[0].W *= 0.01f;
  auto& W = m.layers()[1].W;
  for (Eigen::Index i = 0; i < W.rows(); ++i)
    for (Eigen::Index j = 0; j < W.cols(); ++j) W(i, j) = 0.01f * W(i, j) + ((j % 2) ? -3.f : 3.f);
  return m;
}

PlanOptions small_ring(tile::BatchLayout layout, std::vector<UnknownsRepair> repair = {}) {
  PlanOptions o;
  o.ring_degree = 1024;  // 512 slots
  o.insecure = true;
  o.batch_layout = layout;
  o.unknowns_repair = std::move(repair);
  return o;
}

// Every repair pattern of the three hidden layers (bit l: layer l repaired in the next weights).
std::vector<UnknownsRepair> pattern(unsigned bits) {
  std::vector<UnknownsRepair> r;
  for (unsigned l = 0; l < 3; ++l)
    r.push_back((bits >> l) & 1 ? UnknownsRepair::kMaskInNextWeights : UnknownsRepair::kClearAndDuplicate);
  return r;
}

// The simulated rounding error of all 16 plans (8 patterns, 2 layouts) against the engine's error: each
// within 3x, and where two plans' simulated errors differ by 2.5x or more, the engine's differ the same way.
TEST(InferPrecision, TheSimulatedErrorRanksPlansAsTheEngine) {
  const auto m = large_unknowns_model();
  const std::size_t count = 32;
  const auto x = testing::random_inputs(count, 16, 3);
  std::vector<double> simulated, engine;
  for (auto layout : {tile::BatchLayout::kInner, tile::BatchLayout::kOuter})
    for (unsigned bits = 0; bits < 8; ++bits) {
      const Plan p = make_plan(m, 2, 4, count, small_ring(layout, pattern(bits)));
      simulated.push_back(simulated_rounding_error(m, p));
      engine.push_back(engine_error(m, p, x, count));
      EXPECT_LT(std::max(simulated.back() / engine.back(), engine.back() / simulated.back()), 3.0)
          << "layout " << int(layout) << " pattern " << bits << ": simulated " << simulated.back() << ", engine "
          << engine.back();
    }
  int clear_pairs = 0;
  for (std::size_t a = 0; a < simulated.size(); ++a)
    for (std::size_t b = 0; b < simulated.size(); ++b)
      if (simulated[a] >= 2.5 * simulated[b]) {
        ++clear_pairs;
        EXPECT_GT(engine[a], engine[b]) << a << " vs " << b;
      }
  EXPECT_GE(clear_pairs, 10);  // the patterns do differ (else this shows nothing)
  // The same plan always gets the same number.
  const Plan p = make_plan(m, 2, 4, count, small_ring(tile::BatchLayout::kOuter, pattern(5)));
  EXPECT_EQ(simulated_rounding_error(m, p), simulated_rounding_error(m, p));
}

// Batch inner, repairing layer 1 in layer 2's weights is 11% faster by the estimate and doubles the error
// (its unknowns, 3x the weights' size, pass through layer 2's zeros). The fastest estimate takes it; the
// precision check within 15% takes a pattern that clears layer 1, and so does the engine's error.
TEST(InferPrecision, ThePlannerTakesTheLessRoundingErrorAmongTheNearFastest) {
  const auto m = large_unknowns_model();
  const std::size_t count = 32;
  const auto x = testing::random_inputs(count, 16, 3);
  PlanOptions o = small_ring(tile::BatchLayout::kInner);
  o.precision_check = false;
  const Plan fastest = make_plan(m, 2, 4, count, o);
  ASSERT_TRUE(fastest.layers[1].unknowns_to_next);
  o.precision_check = true;  // within 10%: the same
  EXPECT_TRUE(make_plan(m, 2, 4, count, o).layers[1].unknowns_to_next);
  o.precision_latency_slack = 0.15;
  const Plan precise = make_plan(m, 2, 4, count, o);
  EXPECT_FALSE(precise.layers[1].unknowns_to_next);
  EXPECT_EQ(precise.ckks.scale_bits, fastest.ckks.scale_bits);
  EXPECT_LE(precise.est_latency_s(), 1.15 * fastest.est_latency_s());
  EXPECT_LT(simulated_rounding_error(m, precise) * kPrecisionErrorSlack, simulated_rounding_error(m, fastest));
  EXPECT_LT(engine_error(m, precise, x, count) * 1.5, engine_error(m, fastest, x, count));
  // The user's pattern is taken as it is.
  o.unknowns_repair = pattern(7);
  EXPECT_TRUE(make_plan(m, 2, 4, count, o).layers[1].unknowns_to_next);
  o.precision_latency_slack = -0.1;
  EXPECT_THROW(make_plan(m, 2, 4, count, o), InvalidArgument);
}

}  // namespace
}  // namespace hepex::infer
