// The study's encrypted measurements: the in-process runner records what a run through the front door
// reports (latency, peak RSS, encoded model bytes), and bad weight modes or a missing binary fail clearly.
#include <gtest/gtest.h>

#include "../infer/infer_test_util.hpp"
#include "session/local_run.hpp"
#include "study/he_measurement.hpp"
#include "util/error.hpp"

namespace hepex::study {
namespace {

infer::PlanOptions small_ring() {
  infer::PlanOptions o;
  o.ring_degree = 1024;  // small and insecure: a test, not a deployment
  o.insecure = true;
  o.max_scale_bits = 36;
  return o;
}

TEST(HeMeasurement, InProcessRunnerRecordsTheRunsReport) {
  const auto model = infer::testing::random_model({16, 8, 16}, {nn::Activation::square(), nn::Activation::identity()},
                                                  7, 0.3f);
  for (const char* weights : {"pre-encoded", "on-the-fly"}) {
    SCOPED_TRACE(weights);
    const HeMeasurement m = in_process_runner(weights, small_ring())(model, "2x4", 8);
    // The reference: the same plan run through the front door directly.
    auto plan = infer::make_plan(model, 2, 4, 8, small_ring());
    plan.weight_mode = infer::parse_weight_mode(weights);
    const auto x = infer::testing::random_inputs(8, 16, 1);
    const auto report = run_locally(model, plan, x, 8).report;
    EXPECT_EQ(m.model_bytes, double(report.model_bytes));
    EXPECT_GT(m.model_bytes, 0.0);
    EXPECT_GT(m.latency_s, 0.0);
    EXPECT_GT(m.peak_rss_bytes, 0.0);
  }
}

TEST(HeMeasurement, RefusesAnUnknownWeightModeAtOnce) {
  EXPECT_THROW(in_process_runner("sometimes"), InvalidArgument);
  EXPECT_THROW(child_process_runner("/bin/true", "sometimes"), InvalidArgument);
}

TEST(HeMeasurement, AFailingChildProcessIsAnError) {
  const auto model = infer::testing::random_model({16, 8, 16}, {nn::Activation::square(), nn::Activation::identity()},
                                                  7, 0.3f);
  EXPECT_THROW(child_process_runner("/bin/false", "auto")(model, "2x4", 8), Error);
  EXPECT_THROW(child_process_runner("/no/such/hepex", "auto")(model, "2x4", 8), Error);
}

}  // namespace
}  // namespace hepex::study
