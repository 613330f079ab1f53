#pragma once
// Shared by the ONNX tests: the reference models that tests/onnx/make_models.py builds with PyTorch (run
// once per script version; the directory is cached next to the test's working directory), and float32 files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace hepex::onnx::test {

inline const std::string kPython = "/usr/bin/python3";  // Debian's, with python3-torch and python3-onnx
inline const std::string kScript = std::string(HEPEX_SOURCE_DIR) + "/tests/onnx/make_models.py";

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs a command; the test fails loudly (never skips) when Python, torch or onnx are missing.
inline void run_or_fail(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << "command failed: " << cmd << "\n(needs " << kPython
                   << " with torch and onnx: scripts/setup.sh installs python3-torch and python3-onnx)";
}

// The reference directory (built on first use). Concurrent test processes build into private temporaries
// and rename: the first rename wins, the others use its result.
inline std::string reference_dir() {
  const std::string script = read_text(kScript);
  EXPECT_FALSE(script.empty()) << "cannot read " << kScript;
  const std::string dir = "onnx_models_" + std::to_string(std::hash<std::string>{}(script));
  if (std::filesystem::exists(dir + "/manifest.json")) return dir;
  const std::string tmp = dir + ".tmp" + std::to_string(::getpid());
  std::filesystem::remove_all(tmp);
  run_or_fail(kPython + " " + kScript + " build " + tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, dir, ec);
  if (ec) std::filesystem::remove_all(tmp);  // another process was first
  return dir;
}

inline nlohmann::json manifest(const std::string& dir) { return nlohmann::json::parse(read_text(dir + "/manifest.json")); }

inline nn::RowMatrix read_f32(const std::string& path, Eigen::Index cols) {
  const std::string bytes = read_text(path);
  const Eigen::Index n = Eigen::Index(bytes.size() / sizeof(float));
  EXPECT_GT(n, 0) << path;
  EXPECT_EQ(n % cols, 0) << path;
  nn::RowMatrix m(n / cols, cols);
  std::memcpy(m.data(), bytes.data(), std::size_t(n) * sizeof(float));
  return m;
}

inline void write_f32(const std::string& path, const nn::RowMatrix& m) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(m.data()), std::streamsize(m.size() * sizeof(float)));
}

// Largest |a - b| relative to max(1, |b|).
inline double max_error(const nn::RowMatrix& a, const nn::RowMatrix& b) {
  return ((a - b).array().abs() / b.array().abs().max(1.f)).maxCoeff();
}

}  // namespace hepex::onnx::test
