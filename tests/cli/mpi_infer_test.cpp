// `mpirun -np 2 hepex infer` through the binary: the output file equals a single process's byte for byte,
// only rank 0 writes (each rank runs in its own directory, outputs given as relative paths), and a bad
// input file gives one error message and a non-zero exit, with no rank left waiting.
#include <gtest/gtest.h>

#include "cli_runner.hpp"

#include <nlohmann/json.hpp>

namespace hepex::cli_test {
namespace {

// mpirun as root (test containers) needs these; --oversubscribe: 2 ranks on however few cores; `timeout`
// bounds a hang (the property under test) instead of waiting for ctest's.
const std::vector<std::string> kMpiEnv = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                                          "OMPI_MCA_rmaps_base_oversubscribe=1"};
std::vector<std::string> mpirun() { return {"timeout", "120", HEPEX_MPIEXEC, "--oversubscribe"}; }

struct Job {
  TempDir dir;
  std::vector<std::string> infer_args;  // everything but -o / --report
};

// A tiny model, its plan and keys, and 6 encrypted samples.
void make_job(Job& j) {
  const auto& d = j.dir;
  write_idx_data(d.path / "data", 32, 8, 4, 2, 5);
  ASSERT_EQ(run_hepex({"train", "--arch", "16-8-16", "--data", d / "data", "--epochs", "1", "-o", d / "m.hpx"}).rc, 0);
  ASSERT_EQ(run_hepex({"plan", "-m", d / "m.hpx", "--tile", "4x4", "--batch", "8", "-o", d / "p.json"}).rc, 0);
  ASSERT_EQ(run_hepex({"keygen", "--plan", d / "p.json", "-o", d / "keys"}).rc, 0);
  const auto enc = run_hepex({"encrypt", "--keys", d / "keys", "-i", d / "data/t10k-images-idx3-ubyte", "--count", "6",
                              "-o", d / "x.ct"});
  ASSERT_EQ(enc.rc, 0) << enc.all();
  j.infer_args = {"infer", "-m", d / "m.hpx", "--plan", d / "keys/plan.json", "--eval-keys", d / "keys/eval.keys",
                  "-i", d / "x.ct"};
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(MpiInfer, TwoRanksWriteOneProcesssBytesFromRankZeroOnly) {
  Job j;
  make_job(j);
  if (HasFatalFailure()) return;
  auto args = j.infer_args;
  args.insert(args.end(), {"-o", j.dir / "single.ct"});
  const auto single = run_hepex(args);
  ASSERT_EQ(single.rc, 0) << single.all();

  // MPMD: rank 0 in directory rank0/, rank 1 in rank1/, both told to write y.ct and r.json there.
  fs::create_directories(j.dir.path / "rank0");
  fs::create_directories(j.dir.path / "rank1");
  auto words = mpirun();
  for (const char* rank : {"rank0", "rank1"}) {
    if (std::string(rank) == "rank1") words.push_back(":");
    words.insert(words.end(), {"-np", "1", "-wdir", j.dir / rank, hepex_binary()});
    words.insert(words.end(), j.infer_args.begin(), j.infer_args.end());
    words.insert(words.end(), {"-o", "y.ct", "--report", "r.json"});
  }
  const auto shared = run_command(words, j.dir.path, kMpiEnv);
  ASSERT_EQ(shared.rc, 0) << shared.all();
  EXPECT_EQ(count_of(shared.out, "wrote y.ct"), 1u) << shared.out;
  ASSERT_TRUE(fs::exists(j.dir.path / "rank0/y.ct"));
  EXPECT_EQ(read_text(j.dir.path / "rank0/y.ct"), read_text(j.dir.path / "single.ct")) << "not bit-identical";
  EXPECT_TRUE(fs::is_empty(j.dir.path / "rank1")) << "rank 1 wrote a file";

  // The report: both ranks' layers, each with gather bytes and time, and compute time.
  const auto report = nlohmann::json::parse(read_text(j.dir.path / "rank0/r.json"));
  ASSERT_EQ(report["processes"].size(), 2u);
  for (const auto& process : report["processes"]) {
    ASSERT_EQ(process["layers"].size(), report["layers"].size());
    for (const auto& layer : process["layers"]) {
      EXPECT_GT(layer["gather_bytes"].get<double>(), 0);
      EXPECT_GE(layer["compute_seconds"].get<double>(), 0);
    }
  }
}

TEST(MpiInfer, BadInputFailsWithOneMessageAndNoRankHangs) {
  Job j;
  make_job(j);
  if (HasFatalFailure()) return;
  {  // flip one byte in the middle of the input ciphertexts: the integrity check refuses the file
    auto bytes = read_text(j.dir.path / "x.ct");
    bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x20);
    std::ofstream(j.dir.path / "x.ct", std::ios::binary | std::ios::trunc) << bytes;
  }
  auto words = mpirun();
  words.insert(words.end(), {"-np", "2", hepex_binary()});
  words.insert(words.end(), j.infer_args.begin(), j.infer_args.end());
  words.insert(words.end(), {"-o", j.dir / "y.ct"});
  const auto r = run_command(words, j.dir.path, kMpiEnv);
  EXPECT_NE(r.rc, 0) << r.all();
  EXPECT_NE(r.rc, 124) << "timed out: a rank waited forever\n" << r.all();
  EXPECT_EQ(count_of(r.err, "hepex: error"), 1u) << r.err;
  EXPECT_NE(r.err.find("corrupted or truncated"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(j.dir / "x.ct"), std::string::npos) << "the message names the file\n" << r.err;
  EXPECT_FALSE(fs::exists(j.dir.path / "y.ct"));
}

}  // namespace
}  // namespace hepex::cli_test
