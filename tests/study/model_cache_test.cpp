// The trained-model cache behind `hepex demo`: every setting that changes the trained model changes the
// file, equal jobs share it, $HEPEX_CACHE_DIR (then $XDG_CACHE_HOME, then $HOME) says where it is, and a
// cached model is loaded instead of trained again.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <set>

#include "study/model_cache.hpp"
#include "study_test_util.hpp"

namespace hepex::study {
namespace {

using testing::TempDir;

// Sets an environment variable for the scope of a test, restoring the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ModelCache, EveryTrainingSettingChangesTheFile) {
  const ScopedEnv env("HEPEX_CACHE_DIR", "/cache-here");
  const nn::TrainJob base;
  const std::vector<std::function<void(nn::TrainJob&)>> changes{
      [](nn::TrainJob& j) { j.arch = "784-128-784:poly2"; },
      [](nn::TrainJob& j) { j.data = "fashion-mnist"; },
      [](nn::TrainJob& j) { j.seed = 2; },
      [](nn::TrainJob& j) { j.config.epochs += 1; },
      [](nn::TrainJob& j) { j.config.lr *= 2; },
      [](nn::TrainJob& j) { j.config.batch *= 2; },
      [](nn::TrainJob& j) { j.val_split = 0.0; },
      [](nn::TrainJob& j) { j.noise = 0.1f; },
  };
  std::set<std::filesystem::path> paths{cached_model_path(base)};
  for (std::size_t i = 0; i < changes.size(); ++i) {
    nn::TrainJob job = base;
    changes[i](job);
    EXPECT_TRUE(paths.insert(cached_model_path(job)).second) << "change " << i << " reuses another job's file";
  }
  EXPECT_EQ(cached_model_path(nn::TrainJob{}), cached_model_path(base));  // equal jobs, one file
  EXPECT_NE(cached_model_path(base, "other"), cached_model_path(base));
}

TEST(ModelCache, EnvironmentChoosesTheDirectory) {
  {
    const ScopedEnv cache("HEPEX_CACHE_DIR", "/somewhere/hepex-cache");
    const ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(model_cache_dir(), std::filesystem::path("/somewhere/hepex-cache"));
    EXPECT_EQ(cached_model_path(nn::TrainJob{}).parent_path(), std::filesystem::path("/somewhere/hepex-cache"));
  }
  {
    const ScopedEnv cache("HEPEX_CACHE_DIR", nullptr);
    const ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(model_cache_dir(), std::filesystem::path("/xdg/hepex"));
  }
  {
    const ScopedEnv cache("HEPEX_CACHE_DIR", nullptr);
    const ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    const ScopedEnv home("HOME", "/home/someone");
    EXPECT_EQ(model_cache_dir(), std::filesystem::path("/home/someone/.cache/hepex"));
  }
}

TEST(ModelCache, TrainsOnceThenLoads) {
  HEPEX_NEED_MNIST();
  TempDir dir("cache");
  testing::write_mnist_subset(dir.path / "data", 64, 16);
  const ScopedEnv env("HEPEX_CACHE_DIR", (dir.path / "cache").c_str());
  nn::TrainJob job;
  job.arch = "784-16-784:poly2";
  job.data = (dir.path / "data").string();
  job.config.epochs = 1;
  int epochs = 0;
  std::vector<std::string> said;
  const auto say = [&](const std::string& s) { said.push_back(s); };
  const nn::Model trained = train_or_load_cached(job, say, [&](const nn::EpochStats&) { ++epochs; });
  EXPECT_EQ(epochs, 1);
  ASSERT_TRUE(std::filesystem::exists(cached_model_path(job)));
  const nn::Model loaded = train_or_load_cached(job, say, [&](const nn::EpochStats&) { ++epochs; });
  EXPECT_EQ(epochs, 1);  // not trained again
  ASSERT_EQ(said.size(), 2u);
  EXPECT_NE(said[1].find("using the cached model"), std::string::npos) << said[1];
  EXPECT_EQ(loaded.serialize(), trained.serialize());
}

}  // namespace
}  // namespace hepex::study
