#pragma once
// A small subset of MNIST for the study tests (seconds, not minutes): the first images of the real files,
// written as IDX files into a temporary directory that a test's --data can name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../common/temp_dir.hpp"

namespace hepex::study::testing {

namespace fs = std::filesystem;

inline std::string mnist_dir() { return std::string(HEPEX_SOURCE_DIR) + "/data/mnist"; }

// The first `header + count * item` bytes of `from` with the IDX item count (bytes 4..7) set to `count`.
inline void copy_idx_prefix(const fs::path& from, const fs::path& to, std::uint32_t count, std::size_t header,
                            std::size_t item) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> bytes(header + count * item);
  ASSERT_TRUE(in.read(bytes.data(), std::streamsize(bytes.size()))) << from;
  for (int i = 0; i < 4; ++i) bytes[4 + i] = char((count >> (24 - 8 * i)) & 0xff);
  std::ofstream(to, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

using hepex::test::TempDir;

// <dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte: the first n_train and n_test images of MNIST.
inline void write_mnist_subset(const fs::path& dir, std::uint32_t n_train, std::uint32_t n_test) {
  fs::create_directories(dir);
  const fs::path src = mnist_dir();
  for (const auto& [prefix, n] : {std::pair<std::string, std::uint32_t>{"train", n_train}, {"t10k", n_test}}) {
    copy_idx_prefix(src / (prefix + "-images-idx3-ubyte"), dir / (prefix + "-images-idx3-ubyte"), n, 16, 784);
    copy_idx_prefix(src / (prefix + "-labels-idx1-ubyte"), dir / (prefix + "-labels-idx1-ubyte"), n, 8, 1);
  }
}

}  // namespace hepex::study::testing

// Skips the test when MNIST is not there (scripts/setup.sh fetches it).
#define HEPEX_NEED_MNIST()                                                                    \
  if (!std::filesystem::exists(hepex::study::testing::mnist_dir() + "/train-images-idx3-ubyte")) \
  GTEST_SKIP() << "MNIST not found in " << hepex::study::testing::mnist_dir() << " (scripts/setup.sh)"
