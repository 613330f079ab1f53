// Training jobs: the task from the architecture, and the fingerprint that keys cached models (it must change
// with every setting that changes the trained model, and only with those).
#include "nn/job.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "util/error.hpp"

using namespace hepex::nn;

TEST(TrainJob, TaskFollowsTheArchitectureWidths) {
  EXPECT_EQ(infer_task(std::string("784-128-784")), Task::kAutoencoder);
  EXPECT_EQ(infer_task(std::string("784-128-10")), Task::kClassifier);
  EXPECT_THROW(infer_task(std::string("784-x-10")), hepex::InvalidArgument);
}

TEST(TrainJob, FingerprintChangesWithEverySettingThatShapesTheModel) {
  const TrainJob base;
  const std::uint64_t h = train_job_fingerprint(base);
  EXPECT_EQ(train_job_fingerprint(TrainJob{}), h);
  const std::vector<std::pair<const char*, std::function<void(TrainJob&)>>> changes = {
      {"arch", [](TrainJob& j) { j.arch = "784-128-784:poly2"; }},
      {"data", [](TrainJob& j) { j.data = "fashion-mnist"; }},
      {"task", [](TrainJob& j) { j.task = Task::kClassifier; }},
      {"noise", [](TrainJob& j) { j.noise = 0.1f; }},
      {"noise copies", [](TrainJob& j) { j.noise_copies = 2; }},
      {"val split", [](TrainJob& j) { j.val_split = 0.2; }},
      {"seed", [](TrainJob& j) { j.seed = 2; }},
      {"epochs", [](TrainJob& j) { j.config.epochs += 1; }},
      {"lr", [](TrainJob& j) { j.config.lr *= 1.0000001f; }},
      {"batch", [](TrainJob& j) { j.config.batch = 64; }},
      {"lr decay", [](TrainJob& j) { j.config.lr_decay = 0.9f; }},
      {"decay every", [](TrainJob& j) { j.config.decay_every = 2; }},
      {"warmup", [](TrainJob& j) { j.config.warmup_steps = 10; }},
      {"patience", [](TrainJob& j) { j.config.patience = 3; }},
      {"clip", [](TrainJob& j) { j.config.clip_norm = 1.f; }},
      {"optimizer", [](TrainJob& j) { j.config.optimizer.kind = OptimizerKind::kSgd; }},
      {"momentum", [](TrainJob& j) { j.config.optimizer.momentum = 0.5f; }},
  };
  for (const auto& [name, change] : changes) {
    TrainJob j;
    change(j);
    EXPECT_NE(train_job_fingerprint(j), h) << name;
  }
  // Names of one data set are one data set.
  TrainJob a, b;
  a.data = "fashion";
  b.data = "fashion-mnist";
  EXPECT_EQ(train_job_fingerprint(a), train_job_fingerprint(b));
}
