// The in-process run (what `hepex demo` and the pruning studies measure) goes through the front door: its
// decrypted outputs equal the plaintext model's within CKKS precision, its operation counts and levels are
// the plan's, its byte counts are those of the Client's and Server's files, and the simulator reports the
// same counts and levels as the real run.
#include <gtest/gtest.h>

#include "../infer/infer_test_util.hpp"
#include "infer/compiled.hpp"
#include "infer/plan.hpp"
#include "session/client.hpp"
#include "session/local_run.hpp"

namespace hepex {
namespace {

using nn::Activation;
constexpr std::size_t kT1 = 2, kT2 = 4;

// 16-12-10-6 with a zero tile, a fully zero tile row in the hidden layer 1 and in the last layer.
nn::Model small_model() {
  namespace t = infer::testing;
  auto m = t::random_model({16, 12, 10, 6},
                           {Activation::poly2(0.3f, 0.9f, 0.1f, false), Activation::square(), Activation::identity()},
                           21, 0.3f);
  t::zero_tile(m, 0, 1, 2, kT2, kT1);
  t::zero_tile_row(m, 1, 2, kT1);
  t::zero_tile_row(m, 2, 1, kT2);  // transposed: tile rows of t2 outputs
  m.set_input_perm(t::random_perm(16, 8));
  return m;
}

infer::PlanOptions small_ring() {
  infer::PlanOptions o;
  o.ring_degree = 1024;  // 512 slots: t3 = 64; insecure: a test, not a deployment
  o.insecure = true;
  o.max_scale_bits = 36;
  return o;
}

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

TEST(LocalRun, MatchesThePlaintextModelWithinPrecision) {
  const auto m = small_model();
  const std::size_t batch = 70, count = 67;  // two batch tiles
  const auto x = infer::testing::random_inputs(count, 16, 5);
  const auto plain = infer::plain_outputs(m, x, count);
  for (auto layout : {tile::BatchLayout::kInner, tile::BatchLayout::kOuter})
    for (auto mode : {infer::WeightMode::kPreEncoded, infer::WeightMode::kOnTheFly}) {
      SCOPED_TRACE(layout == tile::BatchLayout::kOuter ? "batch outer" : "batch inner");
      SCOPED_TRACE(infer::weight_mode_name(mode));
      auto options = small_ring();
      options.batch_layout = layout;
      const infer::Plan plan = infer::make_plan(m, kT1, kT2, batch, options);
      LocalRunOptions o;
      o.weight_mode = mode;
      o.key_seed = seed_from_u64(3);
      const auto [r, outputs] = run_locally(m, plan, x, count, o);
      // The decrypted outputs against an independent plaintext forward pass.
      const double error = max_abs_difference(outputs, plain);
      EXPECT_LT(error, 1e-4);
      EXPECT_GT(error, 0.0);  // real encryption noise, not a plaintext shortcut
      EXPECT_DOUBLE_EQ(r.max_abs_error, error);
      EXPECT_EQ(r.samples, count);
      EXPECT_EQ(r.backend, "ckks");
      EXPECT_EQ(r.weight_mode, infer::weight_mode_name(mode));
      ASSERT_EQ(r.layers.size(), plan.layers.size());
      for (std::size_t l = 0; l < r.layers.size(); ++l) {
        EXPECT_EQ(r.layers[l].run.counts[backend::Op::kMultiplyPlain], plan.layers[l].counts[backend::Op::kMultiplyPlain]);
        EXPECT_EQ(r.layers[l].run.counts[backend::Op::kRotate], plan.layers[l].counts[backend::Op::kRotate]);
        EXPECT_EQ(r.layers[l].run.level_out, plan.layers[l].level_out);
      }
      // Grids 3 x 8, 5 x 3, 2 x 5; zeroed: 1 tile, 1 row of 3, 1 row of 5 + the folded column's other tile.
      EXPECT_EQ(r.tiles_total, 24u + 15u + 10u);
      EXPECT_EQ(r.tiles_kept, 23u + 12u + 4u);
      EXPECT_GT(r.keygen_s, 0.0);
      EXPECT_GT(r.encrypt_s, 0.0);
      EXPECT_GT(r.peak_rss_bytes, 0u);
    }
}

// The bytes the report counts are the files a Client and a Server exchange for the same plan.
TEST(LocalRun, ReportsTheBytesOfTheClientsAndServersFiles) {
  const auto m = small_model();
  const std::size_t count = 8;
  const infer::Plan plan = infer::make_plan(m, kT1, kT2, count, small_ring());
  const auto x = infer::testing::random_inputs(count, 16, 2);
  LocalRunOptions o;
  o.key_seed = seed_from_u64(4);
  const auto r = run_locally(m, plan, x, count, o).report;

  Client client(plan, SecurityPolicy::kAllowInsecureForTestsOnly);
  client.generate_keys(seed_from_u64(4));
  EXPECT_EQ(r.eval_key_bytes, client.eval_keys().size());
  EXPECT_EQ(r.input_ct_bytes, client.encrypt(Samples{x, count, 16}).size());
  EXPECT_GT(r.output_ct_bytes, 0u);
}

TEST(LocalRun, SimulatorReportsTheCountsAndLevelsOfTheRealRun) {
  const auto m = small_model();
  const std::size_t count = 8;
  const infer::Plan plan = infer::make_plan(m, kT1, kT2, count, small_ring());
  const auto x = infer::testing::random_inputs(count, 16, 3);
  LocalRunOptions o;
  o.key_seed = seed_from_u64(5);
  const auto real = run_locally(m, plan, x, count, o).report;
  o.backend = LocalBackend::kSim;
  const auto [sim, outputs] = run_locally(m, plan, x, count, o);
  EXPECT_EQ(sim.backend, "sim");
  EXPECT_LT(max_abs_difference(outputs, infer::plain_outputs(m, x, count)), 1e-9);  // no encryption noise
  EXPECT_EQ(sim.eval_key_bytes, plan.eval_key_bytes);
  ASSERT_EQ(sim.layers.size(), real.layers.size());
  for (std::size_t l = 0; l < sim.layers.size(); ++l) {
    EXPECT_EQ(sim.layers[l].run.counts[backend::Op::kMultiplyPlain], real.layers[l].run.counts[backend::Op::kMultiplyPlain]);
    EXPECT_EQ(sim.layers[l].run.counts[backend::Op::kRotate], real.layers[l].run.counts[backend::Op::kRotate]);
    EXPECT_EQ(sim.layers[l].run.level_out, real.layers[l].run.level_out);
  }
}

TEST(LocalRun, RefusesAModelThatIsNotThePlans) {
  const auto m = small_model();
  const infer::Plan plan = infer::make_plan(m, kT1, kT2, 8, small_ring());
  const auto other = infer::testing::random_model({16, 8, 6}, {Activation::square(), Activation::identity()}, 3, 0.3f);
  const auto x = infer::testing::random_inputs(8, 16, 3);
  for (auto backend : {LocalBackend::kCkks, LocalBackend::kSim}) {
    LocalRunOptions o;
    o.backend = backend;
    EXPECT_THROW(run_locally(other, plan, x, 8, o), MismatchError);
  }
}

}  // namespace
}  // namespace hepex
