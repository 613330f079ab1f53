// The pruning study on a tiny autoencoder and a small subset of MNIST: one dense row and one row per
// (method, fraction); each delta MSE is measured against the dense model fine-tuned for the same phases
// (recomputed here independently); the encrypted runs are the dense model and, per bound, the pruned model
// of least HE cost within it; results.csv reads back as written; a non-empty output directory is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "nn/job.hpp"
#include "prune/masks.hpp"
#include "study/experiment.hpp"
#include "study/results_csv.hpp"
#include "study_test_util.hpp"
#include "util/error.hpp"

namespace hepex::study {
namespace {

using testing::TempDir;

ExperimentConfig tiny_config(const std::string& data, const std::string& out) {
  ExperimentConfig c;
  c.archs = {"784-32-784:poly2"};
  c.tiles = {"4x8"};
  c.methods = {"P1", "P4E/sal"};
  c.fractions = {0.5, 0.8};
  c.bounds = {1.0, -1.0};  // every pruned model is within the first, none within the second
  c.data = data;
  c.out_dir = out;
  c.dense_epochs = 1;
  c.prune.finetune.epochs = 1;
  c.prune.finetune.batch = 32;
  c.he_batch = 4;
  c.quiet = true;
  return c;
}

TEST(Study, SweepRowsBaselinesEncryptedChoiceAndCsv) {
  HEPEX_NEED_MNIST();
  TempDir dir("sweep");
  testing::write_mnist_subset(dir.path / "data", 240, 60);
  const ExperimentConfig config = tiny_config((dir.path / "data").string(), (dir.path / "out").string());
  std::vector<std::pair<long, std::size_t>> measured;  // (tiles kept, batch) of each encrypted run
  const HeRunner fake_runner = [&](const nn::Model& m, const std::string& tile, std::size_t batch) {
    EXPECT_EQ(tile, "4x8");
    const auto [t1, t2] = prune::parse_tile_shape(tile);
    measured.emplace_back(long(prune::total_tiles(m, prune::chain_tile_dims(m.layers().size(), t1, t2)).kept), batch);
    return HeMeasurement{double(measured.size()), 1e6, 2e6};
  };
  const auto rows = run_experiment(config, fake_runner);

  // One dense row, then methods x fractions in order.
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].method, "dense");
  EXPECT_EQ(rows[0].tiles_kept, rows[0].tiles_total);
  const std::vector<std::pair<std::string, double>> points{{"P1", 0.5}, {"P1", 0.8}, {"P4E/sal", 0.5}, {"P4E/sal", 0.8}};
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].method, points[i - 1].first);
    EXPECT_EQ(rows[i].fraction, points[i - 1].second);
    EXPECT_EQ(rows[i].tiles_total, rows[0].tiles_total);
    EXPECT_LE(rows[i].cost_kept, rows[i].cost_total);
    if (rows[i].method == "P4E/sal") {  // (P1 zeroes weights, not whole tiles)
      EXPECT_LT(rows[i].tiles_kept, rows[i].tiles_total);
    }
  }

  // The baseline rule, recomputed: the dense model fine-tuned for the row's phases, on the same data.
  nn::TrainJob job;
  job.arch = config.archs[0];
  job.data = config.data;
  job.seed = config.seed;
  const nn::JobData data = nn::load_job_data(job);
  const nn::Model dense = nn::Model::load(rows[0].model_path);
  EXPECT_NEAR(rows[0].mse_dense, nn::evaluate(dense, data.test, nn::Loss::kMse).loss, 1e-12);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].method + " " + std::to_string(rows[i].fraction));
    ASSERT_GE(rows[i].finetune_phases, 1);
    EXPECT_EQ(rows[i].finetune_epochs, rows[i].finetune_phases * config.prune.finetune.epochs);
    nn::TrainConfig tc = config.prune.finetune;
    tc.loss = nn::Loss::kMse;
    const double baseline =
        prune::equally_trained_dense_loss(dense, data.train, data.val, data.test, tc, rows[i].finetune_phases);
    EXPECT_NEAR(rows[i].mse_dense, baseline, 1e-12);
    const nn::Model pruned = nn::Model::load(rows[i].model_path);
    EXPECT_NEAR(rows[i].mse_pruned, nn::evaluate(pruned, data.test, nn::Loss::kMse).loss, 1e-12);
    EXPECT_NEAR(rows[i].delta_mse, rows[i].mse_pruned - rows[i].mse_dense, 1e-15);
  }

  // Encrypted runs: the dense model and the cheapest pruned model within bound 1.0 (none within -1.0).
  const auto cheapest = std::min_element(rows.begin() + 1, rows.end(), [](const auto& a, const auto& b) {
    return a.cost_kept < b.cost_kept;
  });
  ASSERT_EQ(measured.size(), 2u);
  EXPECT_EQ(measured[0], std::make_pair(rows[0].tiles_kept, config.he_batch));
  EXPECT_EQ(measured[1].first, cheapest->tiles_kept);
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(rows[i].he.has_value(), i == 0 || i == std::size_t(cheapest - rows.begin())) << i;

  // results.csv reads back as the rows (to the precision of its columns); results.md is written.
  const auto back = read_results_csv(config.out_dir + "/results.csv");
  ASSERT_EQ(back.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(back[i].arch, rows[i].arch);
    EXPECT_EQ(back[i].tile, rows[i].tile);
    EXPECT_EQ(back[i].method, rows[i].method);
    EXPECT_EQ(back[i].fraction, rows[i].fraction);
    EXPECT_EQ(back[i].tiles_kept, rows[i].tiles_kept);
    EXPECT_EQ(back[i].tiles_total, rows[i].tiles_total);
    EXPECT_NEAR(back[i].cost_kept, rows[i].cost_kept, 1e-5 * rows[i].cost_kept);
    EXPECT_NEAR(back[i].delta_mse, rows[i].delta_mse, 1e-4 * std::abs(rows[i].delta_mse) + 1e-300);
    EXPECT_NEAR(back[i].mse_pruned, rows[i].mse_pruned, 1e-6 * rows[i].mse_pruned);
    EXPECT_EQ(back[i].finetune_phases, rows[i].finetune_phases);
    ASSERT_EQ(back[i].he.has_value(), rows[i].he.has_value());
    if (rows[i].he) {
      EXPECT_DOUBLE_EQ(back[i].he->latency_s, rows[i].he->latency_s);
    }
  }
  EXPECT_TRUE(std::filesystem::exists(config.out_dir + "/results.md"));

  // Run again into the same directory: refused, results untouched; with overwrite, the dense model is reused.
  const auto read_text = [](const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  const std::string csv_before = read_text(config.out_dir + "/results.csv");
  EXPECT_THROW(run_experiment(config, {}), InvalidArgument);
  EXPECT_EQ(read_text(config.out_dir + "/results.csv"), csv_before);
  ExperimentConfig again = config;
  again.overwrite = true;
  again.he = false;
  const auto rerun = run_experiment(again, {});
  EXPECT_EQ(rerun[0].mse_dense, rows[0].mse_dense);
}

TEST(Study, RefusesANonEmptyOutputDirectoryBeforeAnyWork) {
  TempDir dir("refuse");
  { std::ofstream(dir.path / "results.csv") << "committed\n"; }
  ExperimentConfig c = tiny_config("no-such-data-set-dir", dir.path.string());
  try {
    run_experiment(c, {});
    FAIL() << "a non-empty directory was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'" + dir.path.string() + "' is not empty"), std::string::npos) << e.what();
  }
  std::ifstream in(dir.path / "results.csv");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "committed\n");
  c.overwrite = true;
  EXPECT_NO_THROW(check_experiment_config(c));
  c.methods = {"P4E/fast"};
  EXPECT_THROW(check_experiment_config(c), InvalidArgument);
}

ExperimentRow row(double delta, double cost) {
  ExperimentRow r;
  r.delta_mse = delta;
  r.cost_kept = cost;
  return r;
}

TEST(Study, EncryptsTheDenseRowAndTheCheapestRowWithinEachBound) {
  // Index 0 belongs to an earlier group; the group starts at 1 (its dense row).
  const std::vector<ExperimentRow> rows{row(0, 1), row(0, 100), row(1e-6, 50), row(5e-6, 20), row(3e-5, 5),
                                        row(-1e-7, 70)};
  EXPECT_EQ(rows_to_encrypt(rows, 1, {}), (std::set<std::size_t>{1}));
  EXPECT_EQ(rows_to_encrypt(rows, 1, {1e-6}), (std::set<std::size_t>{1, 2}));
  EXPECT_EQ(rows_to_encrypt(rows, 1, {1e-5}), (std::set<std::size_t>{1, 3}));
  EXPECT_EQ(rows_to_encrypt(rows, 1, {1e-5, 1e-4}), (std::set<std::size_t>{1, 3, 4}));
  EXPECT_EQ(rows_to_encrypt(rows, 1, {0.0}), (std::set<std::size_t>{1, 5}));
  EXPECT_EQ(rows_to_encrypt(rows, 1, {-1.0}), (std::set<std::size_t>{1}));
}

TEST(Study, CsvRoundTripAndRefusals) {
  TempDir dir("csv");
  ExperimentRow a = row(-1.25e-6, 12.5);
  a.arch = "784-32-784:poly2";
  a.tile = "4x8";
  a.method = "P4E/sal+long";
  a.fraction = 0.95;
  a.tiles_kept = 7;
  a.tiles_total = 100;
  a.cost_total = 250;
  a.mse_pruned = 0.0123456;
  a.mse_dense = 0.0123468;
  a.finetune_epochs = 6;
  a.finetune_phases = 2;
  a.weight_density = 0.0712;
  a.he = HeMeasurement{1.234, 5.0e8, 4.5e7};
  ExperimentRow b = a;
  b.method = "dense";
  b.he.reset();
  const std::string path = (dir.path / "results.csv").string();
  write_results_csv({a, b}, path);
  const auto back = read_results_csv(path);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(results_csv_text(back), results_csv_text({a, b}));  // a fixed point of write . read
  EXPECT_EQ(back[0].method, "P4E/sal+long");
  EXPECT_DOUBLE_EQ(back[0].delta_mse, -1.25e-6);
  EXPECT_DOUBLE_EQ(back[0].he->peak_rss_bytes, 5.0e8);
  EXPECT_FALSE(back[1].he.has_value());

  // A row with a missing cell names the file and line; files without the cost columns count tiles.
  { std::ofstream(path) << "arch,tile,method,fraction,tiles_kept,tiles_total,delta_mse\nx,4x8,P1,0.5,3,4\n"; }
  try {
    read_results_csv(path);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2: 6 cells"), std::string::npos) << e.what();
  }
  { std::ofstream(path) << "arch,tile,method,fraction,tiles_kept,tiles_total,delta_mse\nx,4x8,P1,0.5,3,4,1e-5\n"; }
  const auto old = read_results_csv(path);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].cost_kept, 3.0);
  EXPECT_EQ(old[0].cost_total, 4.0);
  { std::ofstream(path) << "arch,tile,method\n"; }
  EXPECT_THROW(read_results_csv(path), FormatError);
}

}  // namespace
}  // namespace hepex::study
