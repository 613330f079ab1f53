// What a new user trips on: --version, a global option after the verb, the default activation, the task
// from the architecture, plaintext predictions to compare with, hints that name real options, and the demo
// cache keyed by everything that determines the model.
#include <regex>
#include <set>
#include <string>

#include "cli_runner.hpp"
#include "nn/model.hpp"

using namespace hepex::cli_test;

TEST(CliNewcomer, VersionFlagPrintsTheVersionLine) {
  const auto flag = run_hepex({"--version"});
  const auto verb = run_hepex({"version"});
  EXPECT_EQ(flag.rc, 0) << flag.all();
  EXPECT_EQ(flag.out.rfind("hepex 0.", 0), 0u) << flag.out;
  EXPECT_EQ(flag.out, verb.out);
}

TEST(CliNewcomer, GlobalOptionAfterTheVerbGetsAHint) {
  const auto r = run_hepex({"train", "--threads", "2", "--epochs", "1"});
  EXPECT_EQ(r.rc, 1) << r.all();
  EXPECT_NE(r.err.find("hint: --threads is a global option: put it before the verb, as in hepex --threads 2 train"),
            std::string::npos)
      << r.err;
  const auto q = run_hepex({"eval", "--quiet"});
  EXPECT_NE(q.err.find("hint: --quiet is a global option"), std::string::npos) << q.err;
  // No hint when the global option is where it belongs.
  const auto ok = run_hepex({"--threads", "2", "train", "--bogus"});
  EXPECT_EQ(ok.err.find("hint:"), std::string::npos) << ok.err;
}

TEST(CliNewcomer, TrainDefaultsToPoly2AndInfersTheClassifierTask) {
  TempDir d;
  write_idx_data(d.path / "data", 48, 16, 4, 4, 1);
  const auto clf = run_hepex({"train", "--arch", "16-8-4", "--data", d / "data", "--epochs", "1", "-o", d / "c.hpx"});
  ASSERT_EQ(clf.rc, 0) << clf.all();
  EXPECT_NE(clf.out.find("accuracy"), std::string::npos) << clf.out;
  EXPECT_NE(clf.out.find("16-8-4:poly2, classifier"), std::string::npos) << clf.out;
  const auto forced = run_hepex({"train", "--arch", "16-8-4", "--task", "autoencoder", "--data", d / "data"});
  EXPECT_EQ(forced.rc, 1) << forced.all();
  EXPECT_NE(forced.err.find("--task classifier"), std::string::npos) << forced.err;
  const auto help = run_hepex({"train", "--help"});
  EXPECT_NE(help.out.find("784-256-64-256-784:poly2"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find(":square]"), std::string::npos) << help.out;
}

TEST(CliNewcomer, PredictWritesThePlaintextOutputsOfAnInputFile) {
  TempDir d;
  write_idx_data(d.path / "data", 48, 16, 4, 4, 1);
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--data", d / "data", "--epochs", "1", "-o", d / "ae.hpx"}).rc, 0);
  const auto r = run_hepex({"predict", "-m", d / "ae.hpx", "-i", d / "data/t10k-images-idx3-ubyte", "--offset", "2",
                            "--count", "5", "-o", d / "y.npy"});
  ASSERT_EQ(r.rc, 0) << r.all();
  const std::string npy = read_text(d / "y.npy");
  EXPECT_EQ(npy.rfind("\x93NUMPY", 0), 0u);
  EXPECT_NE(npy.find("'shape': (5, 16)"), std::string::npos) << npy.substr(0, 128);
  // The .npy round trip of its own output is a valid input of the same width: predicting again works.
  EXPECT_EQ(run_hepex({"predict", "-m", d / "ae.hpx", "-i", d / "y.npy", "-o", d / "y2.npy"}).rc, 0);
  // A classifier's 4-wide output is no input for the 16-wide model: refused naming the file.
  ASSERT_EQ(run_hepex({"train", "--arch", "16-4", "--data", d / "data", "--epochs", "1", "-o", d / "c.hpx"}).rc, 0);
  ASSERT_EQ(run_hepex({"predict", "-m", d / "c.hpx", "-i", d / "data/t10k-images-idx3-ubyte", "-o", d / "c.npy"}).rc, 0);
  const auto bad = run_hepex({"predict", "-m", d / "ae.hpx", "-i", d / "c.npy", "-o", d / "z.npy"});
  EXPECT_EQ(bad.rc, 1) << bad.all();
  EXPECT_NE(bad.err.find(d / "c.npy"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("4 features"), std::string::npos) << bad.err;
}

TEST(CliNewcomer, KeygenTakesDashOLikeEveryOtherVerb) {
  TempDir d;
  write_idx_data(d.path / "data", 32, 8, 4, 2, 1);
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--data", d / "data", "--epochs", "1", "-o", d / "m.hpx"}).rc, 0);
  ASSERT_EQ(run_hepex({"plan", "-m", d / "m.hpx", "--tile", "4x4", "--batch", "8", "-o", d / "p.json"}).rc, 0);
  const auto r = run_hepex({"keygen", "--plan", d / "p.json", "-o", d / "keys"});
  EXPECT_EQ(r.rc, 0) << r.all();
  EXPECT_TRUE(std::filesystem::exists(d.path / "keys" / "eval.keys"));
}

// Every option an error message of `hepex plan` names must be an option of `hepex plan`.
TEST(CliNewcomer, PlanErrorsNameOnlyOptionsThatExist) {
  TempDir d;
  // 40 square layers: deeper than any 128-bit secure ring holds.
  std::string arch = "16";
  for (int i = 0; i < 40; ++i) arch += "-16";
  auto deep = hepex::nn::Model::from_arch(arch + ":square");
  hepex::Csprng rng(hepex::seed_from_u64(1));
  deep.init_glorot(rng);  // no empty tiles
  deep.save(d / "deep.hpx");
  const auto r = run_hepex({"plan", "-m", d / "deep.hpx", "--tile", "4x4", "-o", d / "p.json"});
  EXPECT_EQ(r.rc, 1) << r.all();
  const auto help = run_hepex({"plan", "--help"}).out;
  const std::regex option("--[a-z][a-z-]+");
  int named = 0;
  for (std::sregex_iterator it(r.err.begin(), r.err.end(), option), end; it != end; ++it, ++named)
    EXPECT_NE(help.find(it->str()), std::string::npos) << it->str() << " is named in\n" << r.err;
  EXPECT_GT(named, 0) << r.err;
}

TEST(CliNewcomer, DemoCacheIsKeyedByTheDataSetAndTrainingSettings) {
  TempDir d;
  write_idx_data(d.path / "a", 16, 4, 4, 2, 1);
  write_idx_data(d.path / "b", 16, 4, 4, 2, 2);
  const std::string cache = std::string("HEPEX_CACHE_DIR=").append(d / "cache");
  const auto demo = [&](const std::string& data, const std::string& seed) {
    return run_hepex({"demo", "--arch", "16-8-16", "--tile", "4x4", "--data", data, "--epochs", "1", "--seed", seed,
                      "--backend", "sim", "--count", "2"},
                     d.path, {cache});
  };
  const auto first = demo(d / "a", "1");
  ASSERT_EQ(first.rc, 0) << first.all();
  EXPECT_NE(first.err.find("training the autoencoder"), std::string::npos) << first.err;
  const auto again = demo(d / "a", "1");
  EXPECT_NE(again.err.find("using the cached model"), std::string::npos) << again.err;
  const auto other_data = demo(d / "b", "1");
  EXPECT_NE(other_data.err.find("training the autoencoder"), std::string::npos) << other_data.err;
  const auto other_seed = demo(d / "a", "2");
  EXPECT_NE(other_seed.err.find("training the autoencoder"), std::string::npos) << other_seed.err;
  std::set<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(d.path / "cache")) files.insert(e.path().filename());
  EXPECT_EQ(files.size(), 3u);
}
