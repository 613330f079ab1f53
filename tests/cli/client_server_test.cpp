// The client and server verbs end to end through the binary: keygen -> encrypt -> infer -> decrypt gives
// what `hepex predict` computes in the clear, and `hepex infer` refuses a secret key.
#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "infer/files.hpp"

namespace hepex::cli_test {
namespace {

TEST(CliClientServer, EncryptedRoundTripEqualsPredict) {
  TempDir d;
  write_idx_data(d.path / "data", 32, 8, 4, 2, 3);
  const std::string images = d / "data/t10k-images-idx3-ubyte";
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--data", d / "data", "--epochs", "1", "-o", d / "m.hpx"}).rc, 0);
  ASSERT_EQ(run_hepex({"plan", "-m", d / "m.hpx", "--tile", "4x4", "--batch", "8", "-o", d / "p.json"}).rc, 0);
  const auto keygen = run_hepex({"keygen", "--plan", d / "p.json", "-o", d / "keys"});
  ASSERT_EQ(keygen.rc, 0) << keygen.all();
  EXPECT_NE(keygen.out.find("send the server " + d / "keys/eval.keys" + " only"), std::string::npos) << keygen.out;
  const auto enc = run_hepex({"encrypt", "--keys", d / "keys", "-i", images, "--count", "6", "-o", d / "x.ct"});
  ASSERT_EQ(enc.rc, 0) << enc.all();
  EXPECT_NE(enc.out.find("encrypted 6 samples (16 features)"), std::string::npos) << enc.out;
  EXPECT_NE(enc.out.find("(secret key, seeded)"), std::string::npos) << enc.out;
  const auto inf = run_hepex({"infer", "-m", d / "m.hpx", "--plan", d / "keys/plan.json", "--eval-keys",
                              d / "keys/eval.keys", "-i", d / "x.ct", "-o", d / "y.ct", "--report", d / "r.json"});
  ASSERT_EQ(inf.rc, 0) << inf.all();
  EXPECT_NE(inf.out.find("wrote " + d / "y.ct"), std::string::npos) << inf.out;
  EXPECT_NE(read_text(d.path / "r.json").find("\"output_ct_bytes\""), std::string::npos);
  const auto dec = run_hepex({"decrypt", "--keys", d / "keys", "-i", d / "y.ct", "--count", "6", "-o", d / "y.npy"});
  ASSERT_EQ(dec.rc, 0) << dec.all();
  EXPECT_NE(dec.out.find("decrypted 6 samples x 16 outputs"), std::string::npos) << dec.out;
  ASSERT_EQ(run_hepex({"predict", "-m", d / "m.hpx", "-i", images, "--count", "6", "-o", d / "plain.npy"}).rc, 0);

  const auto got = infer::load_npy(d / "y.npy"), want = infer::load_npy(d / "plain.npy");
  ASSERT_EQ(got.rows, 6u);
  ASSERT_EQ(got.cols, 16u);
  ASSERT_EQ(want.values.size(), got.values.size());
  for (std::size_t i = 0; i < got.values.size(); ++i) EXPECT_NEAR(got.values[i], want.values[i], 1e-4) << i;
}

TEST(CliClientServer, InferRefusesASecretKey) {
  TempDir d;
  write_idx_data(d.path / "data", 32, 8, 4, 2, 4);
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--data", d / "data", "--epochs", "1", "-o", d / "m.hpx"}).rc, 0);
  ASSERT_EQ(run_hepex({"plan", "-m", d / "m.hpx", "--tile", "4x4", "--batch", "8", "-o", d / "p.json"}).rc, 0);
  ASSERT_EQ(run_hepex({"keygen", "--plan", d / "p.json", "-o", d / "keys"}).rc, 0);
  ASSERT_EQ(run_hepex({"encrypt", "--keys", d / "keys", "-i", d / "data/t10k-images-idx3-ubyte", "-o", d / "x.ct"}).rc, 0);
  const auto r = run_hepex({"infer", "-m", d / "m.hpx", "--plan", d / "keys/plan.json", "--eval-keys",
                            d / "keys/secret.key", "-i", d / "x.ct", "-o", d / "y.ct"});
  EXPECT_EQ(r.rc, 1) << r.all();
  EXPECT_NE(r.err.find("secret.key is a secret key: the server never takes the secret key"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(d.path / "y.ct"));
}

}  // namespace
}  // namespace hepex::cli_test
