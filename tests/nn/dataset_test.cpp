// Train/validation split, denoising noise and data directory resolution.
#include "nn/dataset.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "util/error.hpp"

using namespace hepex::nn;
namespace fs = std::filesystem;

namespace {
Dataset numbered(Eigen::Index n, Eigen::Index d) {
  Dataset data;
  data.images.resize(n, d);
  for (Eigen::Index i = 0; i < n; ++i) data.images.row(i).setConstant(float(i) / float(n));
  for (Eigen::Index i = 0; i < n; ++i) data.labels.push_back(std::uint8_t(i % 10));
  return data;
}
}  // namespace

TEST(Dataset, SplitIsADeterministicPartition) {
  const Dataset data = numbered(1000, 3);
  const auto a = split_train_val(data, 0.1, 42);
  const auto b = split_train_val(data, 0.1, 42);
  const auto c = split_train_val(data, 0.1, 43);
  ASSERT_EQ(a.train.size(), 900);
  ASSERT_EQ(a.val.size(), 100);
  EXPECT_EQ(a.val.images, b.val.images);
  EXPECT_NE(a.val.images, c.val.images);
  std::set<float> seen;
  for (const auto* part : {&a.train, &a.val})
    for (Eigen::Index i = 0; i < part->size(); ++i) {
      seen.insert(part->images(i, 0));
      // Labels travel with their rows.
      EXPECT_EQ(part->labels[std::size_t(i)], std::lround(part->images(i, 0) * 1000) % 10);
    }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(split_train_val(data, 0.0, 1).val.size(), 0);
  EXPECT_THROW(split_train_val(data, 1.0, 1), hepex::InvalidArgument);
}

TEST(Dataset, GaussianNoiseHasTheRequestedSigmaAndCleanTargets) {
  Dataset data;
  data.images = RowMatrix::Constant(200, 100, 0.5f);
  const Dataset noisy = add_gaussian_noise(data, 0.1f, 3, 7);
  ASSERT_EQ(noisy.size(), 600);
  EXPECT_EQ(noisy.clean, RowMatrix::Constant(600, 100, 0.5f));
  const double mean = noisy.images.cast<double>().mean();
  const double var = (noisy.images.cast<double>().array() - mean).square().mean();
  EXPECT_NEAR(mean, 0.5, 0.003);
  EXPECT_NEAR(std::sqrt(var), 0.1, 0.003);
  // Copies differ from each other; a seed reproduces them.
  EXPECT_NE(noisy.images.topRows(200), noisy.images.middleRows(200, 200));
  EXPECT_EQ(add_gaussian_noise(data, 0.1f, 3, 7).images, noisy.images);
  // Clipped to [0, 1].
  const Dataset loud = add_gaussian_noise(data, 2.f, 1, 1);
  EXPECT_GE(loud.images.minCoeff(), 0.f);
  EXPECT_LE(loud.images.maxCoeff(), 1.f);
}

TEST(Dataset, GaussianSamplerMoments) {
  hepex::Csprng rng(hepex::seed_from_u64(3));
  GaussianSampler g(rng);
  double s1 = 0, s2 = 0, s4 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = g.next();
    s1 += x;
    s2 += x * x;
    s4 += x * x * x * x;
  }
  EXPECT_NEAR(s1 / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.01);
  EXPECT_NEAR(s4 / n, 3.0, 0.06);  // normal kurtosis
}

TEST(Dataset, ResolvesDataDirectories) {
  const fs::path root = fs::temp_directory_path() / "hepex_resolve_test";
  fs::create_directories(root / "mnist");
  setenv("HEPEX_DATA_DIR", root.c_str(), 1);
  EXPECT_EQ(fs::path(resolve_data_dir("mnist")), (root / "mnist").lexically_normal());
  EXPECT_EQ(fs::path(resolve_data_dir(root.string())), root.lexically_normal());
  unsetenv("HEPEX_DATA_DIR");
  try {
    resolve_data_dir((root / "nope").string());
    FAIL();
  } catch (const hepex::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  fs::remove_all(root);
}
