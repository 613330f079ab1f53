#pragma once
// Runs the built `hepex` binary (HEPEX_CLI_PATH, or $HEPEX_CLI_UNDER_TEST) for the CLI tests, and makes tiny IDX data sets so that
// a training run takes well under a second.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "../common/temp_dir.hpp"

namespace hepex::cli_test {
namespace fs = std::filesystem;

struct RunResult {
  int rc = -1;
  std::string out, err;
  std::string all() const { return out + err; }
};

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

using hepex::test::TempDir;

// The hepex binary under test.
inline std::string hepex_binary() {
  const char* other = std::getenv("HEPEX_CLI_UNDER_TEST");  // another build of hepex, e.g. to see a test fail
  return other && *other ? other : HEPEX_CLI_PATH;
}

// The command `words` (e.g. a launcher, then hepex_binary() and its arguments) in `cwd` with the extra
// environment `env` ("NAME=value" each); HEPEX_CACHE_DIR points into the system temp directory unless env
// sets it, so tests never touch the user's cache.
inline RunResult run_command(const std::vector<std::string>& words, const fs::path& cwd = fs::current_path(),
                             const std::vector<std::string>& env = {}) {
  // Capture files of this process and call: ctest runs the tests in parallel, from one directory.
  static int calls = 0;
  const std::string stem = "hepex_cli_test_" + std::to_string(::getpid()) + "_" + std::to_string(calls++);
  const fs::path out = fs::temp_directory_path() / (stem + ".out"), err = fs::temp_directory_path() / (stem + ".err");
  // Appends only (GCC 12 warns falsely, -Wrestrict, on "literal" + std::string temporaries).
  std::string cmd = "cd ";
  const auto word = [&cmd](const std::string& w) { cmd.append(" ").append(quoted(w)); };
  cmd.append(quoted(cwd.string())).append(" && env OMP_NUM_THREADS=1");
  word("HEPEX_CACHE_DIR=" + (fs::temp_directory_path() / "hepex_cli_test_cache").string());
  for (const auto& e : env) word(e);
  for (const auto& w : words) word(w);
  cmd.append(" >").append(quoted(out.string())).append(" 2>").append(quoted(err.string()));
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

// `hepex args...`, as run_command.
inline RunResult run_hepex(const std::vector<std::string>& args, const fs::path& cwd = fs::current_path(),
                           const std::vector<std::string>& env = {}) {
  std::vector<std::string> words{hepex_binary()};
  words.insert(words.end(), args.begin(), args.end());
  return run_command(words, cwd, env);
}

// MNIST-style IDX files in `dir`: train (n_train) and t10k (n_test) images of side x side pixels with labels
// in [0, classes). Pixels follow a simple per-class pattern plus a seeded jitter, so different seeds give
// different data sets and a classifier can learn something.
inline void write_idx_data(const fs::path& dir, int n_train, int n_test, int side, int classes, std::uint32_t seed) {
  fs::create_directories(dir);
  std::uint32_t state = seed * 2654435761u + 1;
  const auto next = [&] { return state = state * 1664525u + 1013904223u; };
  const auto be32 = [](std::ofstream& f, std::uint32_t v) {
    const unsigned char b[4] = {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)};
    f.write(reinterpret_cast<const char*>(b), 4);
  };
  for (const auto& [prefix, n] : {std::pair<std::string, int>{"train", n_train}, {"t10k", n_test}}) {
    std::ofstream images(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
    std::ofstream labels(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
    be32(images, 0x803);
    be32(images, std::uint32_t(n));
    be32(images, std::uint32_t(side));
    be32(images, std::uint32_t(side));
    be32(labels, 0x801);
    be32(labels, std::uint32_t(n));
    for (int i = 0; i < n; ++i) {
      const int label = int(next() >> 8) % classes;
      labels.put(char(label));
      for (int p = 0; p < side * side; ++p) {
        const int base = (p % classes == label) ? 200 : 30;
        images.put(char(std::uint8_t(base + int(next() >> 24) % 50)));
      }
    }
  }
}

// A temporary data root (HEPEX_DATA_DIR=`env`) with small synthetic IDX sets: mnist (seed 1) and, when asked,
// fashion-mnist (seed 2), 4 x 4 pixels, 4 classes.
struct SyntheticDataRoot {
  TempDir dir;
  std::string env;
  SyntheticDataRoot(int n_train, int n_test, bool fashion = false) {
    write_idx_data(dir.path / "mnist", n_train, n_test, 4, 4, 1);
    if (fashion) write_idx_data(dir.path / "fashion-mnist", n_train, n_test, 4, 4, 2);
    env = std::string("HEPEX_DATA_DIR=").append(dir.path.string());
  }
};

// The number after `key` in `text` ("test MSE 0.0123" -> 0.0123), NaN when absent.
inline double number_after(const std::string& text, const std::string& key) {
  const auto at = text.find(key);
  return at == std::string::npos ? std::nan("") : std::stod(text.substr(at + key.size()));
}

// True when `text` holds a run of more digits than any real bound has (CLI11's 309-digit double max).
inline bool has_absurd_number(const std::string& text) {
  int run = 0;
  for (char c : text) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    if (run > 20) return true;
  }
  return false;
}

}  // namespace hepex::cli_test
