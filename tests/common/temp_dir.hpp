#pragma once
// A fresh directory for one test under the system temp directory, removed with everything in it. The name
// holds the test's suite and name, the process id and a per-process counter, so tests run at once (ctest -j,
// another checkout's suite, two directories in one test) never share one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

namespace hepex::test {

struct TempDir {
  std::filesystem::path path;

  explicit TempDir(const std::string& prefix = "hepex") {
    static std::atomic<unsigned> counter{0};
    std::string name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info())
      name += std::string("_") + info->test_suite_name() + "_" + info->name();
    path = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace hepex::test
