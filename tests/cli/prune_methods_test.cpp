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
  // The planner's estimate for both models, and the line that quotes it.
  ASSERT_TRUE(j.contains("planned_latency")) << j.dump();
  EXPECT_GT(j["planned_latency"]["pruned_s"].get<double>(), 0.0);
  EXPECT_LE(j["planned_latency"]["pruned_s"].get<double>(), j["planned_latency"]["dense_s"].get<double>());
  EXPECT_NE(r.out.find("planned server latency kept"), std::string::npos) << r.out;
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

// --tile-shapes: the chosen candidate fits the budget and has the least validation loss of those that fit, and
// the run is the plain prune at the chosen shape and fraction (same tiles, same losses).
TEST(CliPruneMethods, TileShapeChoiceKeepsTheBudgetAndEqualsThePlainPruneAtItsChoice) {
  SyntheticDataRoot root(96, 32);
  const auto& d = root.dir;
  ASSERT_EQ(run_hepex({"train", "--arch", "16-16-16", "--epochs", "2", "-o", d / "ae.hpx"}, d.path, {root.env}).rc, 0);
  const std::vector<std::string> common = {"--method", "P2", "--saliency", "--cost-aware", "--epochs", "1",
                                           "--val-split", "0.25"};
  auto args = std::vector<std::string>{"prune", "-m", d / "ae.hpx", "--tile-shapes", "2x4,4x2,2x2",
                                       "--cost-budget", "0.6", "--report", d / "choice.json"};
  args.insert(args.end(), common.begin(), common.end());
  const auto r = run_hepex(args, d.path, {root.env});
  ASSERT_EQ(r.rc, 0) << r.all();
  EXPECT_NE(r.out.find("<- chosen"), std::string::npos) << r.out;
  std::ifstream in(d / "choice.json");
  const auto j = nlohmann::json::parse(in);
  const auto& candidates = j["tile_choice"]["candidates"];
  ASSERT_EQ(candidates.size(), 3u);
  const auto best = j["tile_choice"]["chosen"].get<std::size_t>();
  ASSERT_TRUE(candidates[best]["fits"].get<bool>());
  for (const auto& c : candidates) {
    if (!c["fits"].get<bool>()) continue;
    EXPECT_LE(c["cost"].get<double>(), 0.6) << c.dump();
    EXPECT_LE(candidates[best]["val_loss"].get<double>(), c["val_loss"].get<double>()) << c.dump();
  }
  const std::string tile = candidates[best]["tile"];
  EXPECT_EQ(j["tile"], tile);

  auto plain = std::vector<std::string>{"prune", "-m", d / "ae.hpx", "--tile", tile, "--fraction",
                                        candidates[best]["fraction"].dump(),
                                        "--report", d / "plain.json"};
  plain.insert(plain.end(), common.begin(), common.end());
  const auto p = run_hepex(plain, d.path, {root.env});
  ASSERT_EQ(p.rc, 0) << p.all();
  std::ifstream pin(d / "plain.json");
  const auto pj = nlohmann::json::parse(pin);
  EXPECT_EQ(pj["tiles_kept"], j["tiles_kept"]);
  EXPECT_EQ(pj["cost_kept"], j["cost_kept"]);
  EXPECT_DOUBLE_EQ(pj["val"]["loss_pruned"].get<double>(), candidates[best]["val_loss"].get<double>());
  EXPECT_DOUBLE_EQ(pj["test"]["delta_loss"].get<double>(), j["test"]["delta_loss"].get<double>());
}

TEST(CliPruneMethods, TileShapeChoiceNeedsABudgetAndReplacesTileAndFraction) {
  SyntheticDataRoot root(96, 32);
  const auto& d = root.dir;
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--epochs", "1", "-o", d / "ae.hpx"}, d.path, {root.env}).rc, 0);
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {}, {"--cost-budget", "0.5", "--fraction", "0.3"}, {"--cost-budget", "0.5", "--tile", "4x4"}}) {
    auto args = std::vector<std::string>{"prune", "-m", d / "ae.hpx", "--tile-shapes", "2x4,4x2", "-o", d / "p.hpx"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_hepex(args, d.path, {root.env});
    EXPECT_NE(r.rc, 0) << r.all();
    EXPECT_FALSE(std::filesystem::exists(d / "p.hpx"));
  }
}
