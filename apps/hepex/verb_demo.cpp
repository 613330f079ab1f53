// `hepex demo`: trains the default autoencoder on MNIST and prints its test MSE. (Temporary: the encrypted
// end-to-end demo replaces it.)
#include <cstdio>
#include <memory>
#include <string>

#include "nn/job.hpp"
#include "util/progress.hpp"
#include "verb.hpp"

namespace {
using namespace hepex::nn;

// The recommended HE-friendly autoencoder and settings (docs/RESULTS.md, "Plaintext training").
TrainJob demo_job() {
  TrainJob job;
  job.arch = "784-256-64-256-784:poly2";
  job.data = "mnist";
  job.val_split = 0.0;
  job.config.epochs = 20;
  job.config.lr = 1e-3f;
  job.config.batch = 128;
  return job;
}

struct DemoOptions {
  TrainJob job = demo_job();
  std::string out;
};

void run(const DemoOptions& o) {
  const bool quiet = hepex::cli::global_options().quiet;
  hepex::ProgressLine progress(stderr, quiet);
  progress.step("demo: training the autoencoder " + o.job.arch + " on MNIST for " + std::to_string(o.job.config.epochs) +
                " epochs...");
  const auto r = run_train_job(o.job, [&](const EpochStats& s) { progress.step(format_epoch(s, o.job.config.epochs, Loss::kMse)); });
  progress.finish();
  std::printf("%s  (%s, %zu epochs)\n", format_eval(r.test, Loss::kMse).c_str(), r.model.arch_string().c_str(),
              r.history.epochs.size());
  if (!o.out.empty()) {
    r.model.save(o.out);
    std::printf("saved %s\n", o.out.c_str());
  }
}

const hepex::cli::VerbRegistrar reg(10, [](CLI::App& app) {
  auto opts = std::make_shared<DemoOptions>();
  auto* sub = app.add_subcommand("demo", "Train the default HE-friendly MNIST autoencoder and print its test MSE");
  sub->footer("Same as: hepex train --arch " + opts->job.arch + " --data mnist --epochs 20 --val-split 0");
  sub->add_option("--epochs", opts->job.config.epochs, "Training epochs")->check(CLI::NonNegativeNumber)->capture_default_str();
  sub->add_option("--data", opts->job.data, "Data set: mnist, fashion-mnist, or a directory")->capture_default_str();
  sub->add_option("--seed", opts->job.seed, "Seed")->capture_default_str();
  sub->add_option("-o,--out", opts->out, "Also save the trained model");
  sub->callback([opts] { run(*opts); });
});
}  // namespace
