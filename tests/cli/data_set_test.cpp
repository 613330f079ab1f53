// The model file records its training data set: eval (and prune, demo) default to it and every result line
// names the data set; "fashion" is an alias of fashion-mnist; an unknown name lists the known ones.
#include <cstring>
#include <string>

#include "cli_runner.hpp"
#include "io/binary.hpp"
#include "nn/model.hpp"

using namespace hepex::cli_test;


TEST(CliDataSet, EvalDefaultsToTheRecordedDataSetAndNamesIt) {
  SyntheticDataRoot root(48, 16, /*fashion=*/true);
  const auto& d = root.dir;
  const auto t = run_hepex({"train", "--arch", "16-8-16", "--data", "fashion", "--epochs", "1", "-o", d / "f.hpx"},
                           d.path, {root.env});
  ASSERT_EQ(t.rc, 0) << t.all();
  EXPECT_NE(t.out.find("on fashion-mnist"), std::string::npos) << t.out;
  EXPECT_EQ(hepex::nn::Model::load(d / "f.hpx").data_set(), "fashion-mnist");

  const auto own = run_hepex({"eval", "-m", d / "f.hpx"}, d.path, {root.env});
  const auto mnist = run_hepex({"eval", "-m", d / "f.hpx", "--data", "mnist"}, d.path, {root.env});
  ASSERT_EQ(own.rc, 0) << own.all();
  ASSERT_EQ(mnist.rc, 0) << mnist.all();
  EXPECT_NE(own.out.find("on fashion-mnist"), std::string::npos) << own.out;
  EXPECT_NE(mnist.out.find("on mnist"), std::string::npos) << mnist.out;
  // The training run's test MSE is the fashion-mnist one: eval's default reproduces it, --data mnist does not.
  EXPECT_EQ(number_after(own.out, "test MSE "), number_after(t.out, "test MSE "));
  EXPECT_NE(number_after(mnist.out, "test MSE "), number_after(t.out, "test MSE "));
}

TEST(CliDataSet, OlderModelFilesReadAsUnknownAndSaySo) {
  SyntheticDataRoot root(48, 16, /*fashion=*/true);
  const auto& d = root.dir;
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--data", "fashion", "--epochs", "1", "-o", d / "f.hpx"}, d.path,
                      {root.env}).rc, 0);
  // Rewrite it as a schema-1 file: schema 1 at offset 40, without the trailing data set name and noise
  // sigma (and a new integrity trailer).
  auto bytes = hepex::io::read_hepex_file(d / "f.hpx");
  const std::uint32_t schema1 = 1;
  std::memcpy(bytes.data() + 40, &schema1, 4);
  bytes.resize(bytes.size() - 8 - std::string("fashion-mnist").size() - sizeof(float));
  hepex::io::BinaryWriter old;
  old.write_bytes(bytes.data(), bytes.size());
  old.save(d / "old.hpx");
  EXPECT_EQ(hepex::nn::Model::load(d / "old.hpx").data_set(), "");
  const auto r = run_hepex({"eval", "-m", d / "old.hpx"}, d.path, {root.env});
  EXPECT_EQ(r.rc, 0) << r.all();
  EXPECT_NE(r.err.find("records no training data set"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("on mnist"), std::string::npos) << r.out;
}

TEST(CliDataSet, UnknownNamesListTheKnownOnes) {
  TempDir d;
  const auto r = run_hepex({"train", "--data", "fashon", "--epochs", "1"}, d.path);
  EXPECT_EQ(r.rc, 1) << r.all();
  EXPECT_NE(r.err.find("'fashon'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mnist, fashion-mnist (alias fashion)"), std::string::npos) << r.err;
  const auto help = run_hepex({"train", "--help"});
  EXPECT_NE(help.out.find("fashion-mnist (alias fashion)"), std::string::npos);
}

TEST(CliDataSet, DemoOfAClassifierReportsAccuracyOnItsDataSetWithoutClaimingEncryption) {
  SyntheticDataRoot root(48, 16, /*fashion=*/true);
  const auto& d = root.dir;
  const auto t = run_hepex({"train", "--arch", "16-8-4", "--data", "fashion", "--epochs", "2", "-o", d / "c.hpx"},
                           d.path, {root.env});
  ASSERT_EQ(t.rc, 0) << t.all();
  const auto r = run_hepex({"-q", "demo", "-m", d / "c.hpx", "--backend", "sim", "--count", "8", "--tile", "4x4"},
                           d.path, {root.env});
  ASSERT_EQ(r.rc, 0) << r.all();
  EXPECT_NE(r.out.find("accuracy on 8 fashion-mnist test images: simulated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("through the simulator (no encryption"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("encrypted"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("MNIST"), std::string::npos) << r.out;
}
