// `hepex experiment` never writes into an existing non-empty directory (the committed results/) unless told
// to with --force, and by default writes into a new experiment-<date>-<time> directory.
#include <string>

#include "cli_runner.hpp"

using namespace hepex::cli_test;

namespace {
// A sweep small enough for a test: a 16-8-16 autoencoder on 4x4 images, one method at one fraction.
std::vector<std::string> tiny_sweep(const std::string& data) {
  return {"experiment", "--arch", "16-8-16:poly2", "--tile", "4x4", "--method", "P1", "--fraction", "0.5",
          "--data", data, "--dense-epochs", "1", "--epochs", "1", "--no-he"};
}
}  // namespace

TEST(CliExperiment, RefusesANonEmptyOutputDirectoryWithoutForce) {
  TempDir dir;
  write_idx_data(dir.path / "data", 32, 8, 4, 2, 1);
  std::filesystem::create_directories(dir.path / "results");
  { std::ofstream(dir.path / "results" / "results.csv") << "committed\n"; }
  auto args = tiny_sweep(dir / "data");
  args.insert(args.end(), {"--out", dir / "results"});
  const auto refused = run_hepex(args);
  EXPECT_EQ(refused.rc, 1) << refused.all();
  const std::string results = dir / "results";
  EXPECT_NE(refused.err.find(std::string("'").append(results).append("' is not empty")), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_EQ(read_text(dir.path / "results" / "results.csv"), "committed\n");

  args.push_back("--force");
  const auto forced = run_hepex(args);
  EXPECT_EQ(forced.rc, 0) << forced.all();
  EXPECT_NE(read_text(dir.path / "results" / "results.csv").find("arch,tile,method"), std::string::npos);
}

TEST(CliExperiment, DefaultsToANewDirectoryAndLeavesResultsAlone) {
  TempDir dir;
  write_idx_data(dir.path / "data", 32, 8, 4, 2, 1);
  std::filesystem::create_directories(dir.path / "results");
  { std::ofstream(dir.path / "results" / "results.csv") << "committed\n"; }
  const auto r = run_hepex(tiny_sweep(dir / "data"), dir.path);
  EXPECT_EQ(r.rc, 0) << r.all();
  int made = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    if (e.path().filename().string().rfind("experiment-", 0) == 0) {
      ++made;
      EXPECT_TRUE(std::filesystem::exists(e.path() / "results.csv"));
    }
  EXPECT_EQ(made, 1);
  EXPECT_EQ(read_text(dir.path / "results" / "results.csv"), "committed\n");
  EXPECT_NE(r.out.find("on " + dir / "data"), std::string::npos) << r.out;  // the data set is named
}

TEST(CliExperiment, ReplotNeedsAnExplicitDirectory) {
  const auto r = run_hepex({"experiment", "--replot"});
  EXPECT_EQ(r.rc, 1) << r.all();
  EXPECT_NE(r.err.find("--replot needs --out"), std::string::npos) << r.err;
}
