// Numeric options: every out-of-range value is refused with exit code 1 and one plain message that names
// the option, the value and the real bounds (no 309-digit bound, no "from 0" while refusing 0).
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "infer/plan.hpp"

using namespace hepex::cli_test;

namespace {
struct BadNumber {
  std::vector<std::string> args;
  std::string expected;  // the bounds the message must name
};

// A small model file for verbs that require one.
std::string small_model(const TempDir& dir) {
  write_idx_data(dir.path / "data", 32, 8, 4, 2, 1);
  const auto r = run_hepex({"train", "--arch", "16-8-16", "--data", dir / "data", "--epochs", "1", "-o", dir / "m.hpx"});
  EXPECT_EQ(r.rc, 0) << r.all();
  return dir / "m.hpx";
}
}  // namespace

TEST(CliNumbers, OutOfRangeValuesGetPlainMessagesWithRealBounds) {
  TempDir dir;
  const std::string m = small_model(dir);
  // Cheap settings besides the bad number, so that a build which accepts the number finishes quickly.
  const std::string data = dir / "data";
  const std::vector<std::string> sweep = {"--arch", "16-8-16", "--tile", "4x4", "--data", data, "--dense-epochs", "1",
                                          "--no-he", "--out", dir / "sweep"};
  const auto with = [](std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const std::vector<BadNumber> cases = {
      {{"train", "--batch", "-1"}, "--batch: -1 is out of range: expected a whole number from 1 to 1048576"},
      {{"train", "--epochs", "-1"}, "--epochs: -1 is out of range: expected a whole number from 1 to 100000"},
      {{"train", "--epochs", "0", "--arch", "16-8-16", "--data", data}, "from 1 to 100000"},
      {{"train", "--lr", "-1"}, "--lr: -1 is out of range: expected a number greater than 0 and at most 10"},
      {{"train", "--lr", "0"}, "greater than 0"},
      {{"train", "--lr", "nan"}, "'nan' is not a number"},
      {{"train", "--seed", "-3"}, "from 0 to 18446744073709551615"},
      {{"demo", "--count", "0"}, "--count: 0 is out of range: expected a whole number from 1 to 65536"},
      {{"plan", "-m", m, "-o", dir / "p.json", "--memory-gb", "-5"}, "--memory-gb: -5 is out of range"},
      {{"plan", "-m", m, "-o", dir / "p.json", "--batch", "100000000"}, "from 1 to 65536"},
      {{"plan", "-m", m, "-o", dir / "p.json", "--min-scale-bits", "10"}, "from 20 to 40"},
      {{"plan", "-m", m, "-o", dir / "p.json", "--ring-degree", "12345"}, "--ring-degree: 12345 not in"},
      {{"plan", "-m", m, "-o", dir / "p.json", "--hoisted-rotations", "3"}, "--hoisted-rotations: 3 not in"},
      {{"prune", "-m", m, "--fraction", "1.5"}, "from 0 to 0.9999"},
      {{"prune", "-m", m, "--batch", "abc"}, "'abc' is not a whole number"},
      {with({"experiment", "--he-batch", "0"}, sweep), "from 1 to 65536"},
      {with({"experiment", "--fraction", "0.5", "--fraction", "-0.5"}, sweep), "-0.5 is out of range"},
      {{"encrypt", "-i", m, "-o", dir / "x.ct", "--count", "0"}, "from 1 to 65536"},
      {{"bench", "ckks", "--reps", "0"}, "from 1 to 100000"},
      {{"--threads", "-1", "version"}, "--threads: -1 is out of range: expected a whole number from 0 to 1024"},
  };
  for (const auto& c : cases) {
    std::string cmd;
    for (const auto& a : c.args) cmd += a + " ";
    const auto r = run_hepex(c.args);
    EXPECT_EQ(r.rc, 1) << cmd << "\n" << r.all();
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << cmd << "\n" << r.err;
    EXPECT_FALSE(has_absurd_number(r.err)) << cmd << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "p.json")) << cmd;
  }
}

TEST(CliNumbers, NamesOutsideTheirListAreRefusedWithTheValidNames) {
  const auto r = run_hepex({"demo", "--backend", "bogus"});
  EXPECT_EQ(r.rc, 1) << r.all();
  EXPECT_NE(r.err.find("bogus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ckks"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sim"), std::string::npos) << r.err;
  const auto w = run_hepex({"plan", "-m", "/dev/null", "-o", "p.json", "--weights", "sometimes"});
  EXPECT_EQ(w.rc, 1) << w.all();
  EXPECT_NE(w.err.find("on-the-fly"), std::string::npos) << w.err;
}

TEST(CliNumbers, InRangeValuesStillWork) {
  TempDir dir;
  const std::string m = small_model(dir);
  const auto r = run_hepex({"plan", "-m", m, "--tile", "4x4", "--batch", "8", "--memory-gb", "0.5", "--min-scale-bits",
                            "30", "-o", dir / "p.json"});
  EXPECT_EQ(r.rc, 0) << r.all();
  EXPECT_TRUE(std::filesystem::exists(dir / "p.json"));
  // A ring larger than the smallest that fits: the plan uses it (and its slots: t3 = N/2 / (t1 t2)).
  const auto big = run_hepex({"plan", "-m", m, "--tile", "4x4", "--batch", "8", "--ring-degree", "32768", "-o", dir / "q.json"});
  ASSERT_EQ(big.rc, 0) << big.all();
  const auto plan = hepex::infer::Plan::load(dir / "q.json");
  EXPECT_EQ(plan.ckks.ring_degree, 32768u);
  EXPECT_EQ(plan.t3, 32768u / 2 / 16);
  // Hoisted sums of 4 need keys for stride x 3 that doublings do not.
  const auto doublings = run_hepex({"plan", "-m", m, "--tile", "4x4", "--batch", "8", "--hoisted-rotations", "1", "-o",
                                    dir / "d.json"});
  ASSERT_EQ(doublings.rc, 0) << doublings.all();
  const auto h1 = hepex::infer::Plan::load(dir / "d.json"), h4 = hepex::infer::Plan::load(dir / "p.json");
  EXPECT_EQ(h1.hoisted_rotations, 1u);
  EXPECT_EQ(h4.hoisted_rotations, 4u);
  EXPECT_LT(h1.rotation_steps.size(), h4.rotation_steps.size());
}
