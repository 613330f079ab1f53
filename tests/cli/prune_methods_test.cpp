// The issue-14 methods through the CLI: a denoising model records its noise and eval/prune test with it;
// prune reports validation and test deltas (accuracy for classifiers), the HE cost kept, and runs gradual
// pruning with distillation and per-layer caps; an infeasible cap fails without writing the model.
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.hpp"
#include "nn/model.hpp"

using namespace hepex::cli_test;


TEST(CliPruneMethods, DenoisingModelsRecordTheirNoiseForEval) {
  SyntheticDataRoot root(96, 32);
  const auto& d = root.dir;
  const auto t = run_hepex({"train", "--arch", "16-8-16", "--noise", "0.3", "--epochs", "1", "-o", d / "dae.hpx"},
                           d.path, {root.env});
  ASSERT_EQ(t.rc, 0) << t.all();
  EXPECT_EQ(hepex::nn::Model::load(d / "dae.hpx").input_noise(), 0.3f);
  const auto own = run_hepex({"eval", "-m", d / "dae.hpx"}, d.path, {root.env});
  const auto clean = run_hepex({"eval", "-m", d / "dae.hpx", "--noise", "0"}, d.path, {root.env});
  ASSERT_EQ(own.rc, 0) << own.all();
  ASSERT_EQ(clean.rc, 0) << clean.all();
  // eval's default is the noisy test set the training run reported; --noise 0 is another task.
  EXPECT_EQ(number_after(own.out, "test MSE "), number_after(t.out, "test MSE "));
  EXPECT_NE(own.out.find("noise 0.3"), std::string::npos) << own.out;
  EXPECT_NE(number_after(clean.out, "test MSE "), number_after(t.out, "test MSE "));
}

TEST(CliPruneMethods, PruneReportsValidationAndTestDeltasAndCost) {
  SyntheticDataRoot root(96, 32);
  const auto& d = root.dir;
  ASSERT_EQ(run_hepex({"train", "--arch", "16-16-4", "--epochs", "2", "-o", d / "clf.hpx"}, d.path, {root.env}).rc, 0);
  const auto r = run_hepex({"prune", "-m", d / "clf.hpx", "--method", "P4E", "--tile", "2x4", "--fraction", "0.6",
                            "--saliency", "--cost-aware", "--steps", "2", "--schedule", "cubic", "--distill", "0.5",
                            "--temperature", "3", "--layer-cap", "0.9", "--epochs", "2", "--val-split", "0.25",
                            "--report", d / "r.json", "-o", d / "p.hpx"},
                           d.path, {root.env});
  ASSERT_EQ(r.rc, 0) << r.all();
  EXPECT_NE(r.out.find("val  cross-entropy on mnist"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test cross-entropy on mnist"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("points"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HE cost kept"), std::string::npos) << r.out;
  std::ifstream in(d / "r.json");
  const auto j = nlohmann::json::parse(in);
  // Two gradual steps share the 2 epochs, then P4E's final phase: phases 1 + 1 + 2.
  EXPECT_EQ(j["finetune_epochs"], 4);
  EXPECT_EQ(j["finetune_phases"], 3);
  EXPECT_LE(j["cost_kept"].get<double>(), j["cost_total"].get<double>());
  EXPECT_GT(j["cost_kept"].get<double>(), 0.0);
  for (const char* split : {"val", "test"}) {
    const auto& q = j[split];
    EXPECT_NEAR(q["delta_accuracy"].get<double>(),
                q["accuracy_pruned"].get<double>() - q["accuracy_dense"].get<double>(), 1e-12) << split;
    EXPECT_NEAR(q["delta_loss"].get<double>(), q["loss_pruned"].get<double>() - q["loss_dense"].get<double>(), 1e-12);
  }
  EXPECT_EQ(j["test"]["loss_pruned"], j["mse_pruned"]);
}

TEST(CliPruneMethods, AnInfeasibleLayerCapFailsWithoutWritingTheModel) {
  SyntheticDataRoot root(96, 32);
  const auto& d = root.dir;
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--epochs", "1", "-o", d / "ae.hpx"}, d.path, {root.env}).rc, 0);
  const auto r = run_hepex({"prune", "-m", d / "ae.hpx", "--method", "P2", "--tile", "2x4", "--fraction", "0.8",
                            "--layer-cap", "0.5", "--epochs", "1", "-o", d / "p.hpx"},
                           d.path, {root.env});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("per-layer cap"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(d / "p.hpx"));
}
