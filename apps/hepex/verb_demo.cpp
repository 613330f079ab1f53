// `hepex demo`: the whole encrypted pipeline on MNIST test images with the default HE-friendly
// autoencoder: plan, keys, encrypt, server-side evaluation (no secret key), decrypt, and the comparison
// with the plaintext model. Without --model it trains the default autoencoder once and caches it.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "infer/files.hpp"
#include "infer/run.hpp"
#include "infer/tile_pruning.hpp"
#include "nn/dataset.hpp"
#include "nn/job.hpp"
#include "prune/tiling.hpp"
#include "util/progress.hpp"
#include "model_input.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;
using namespace hepex::nn;
namespace fs = std::filesystem;

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
  std::string model, out, report, tile = "4x8", weights = "auto", backend = "ckks";
  std::size_t count = 256, offset = 0;
  double zero_tiles = 0;
};

// $HEPEX_CACHE_DIR, else $XDG_CACHE_HOME/hepex, else ~/.cache/hepex, else ./.hepex-cache.
fs::path cache_dir() {
  if (const char* d = std::getenv("HEPEX_CACHE_DIR")) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME")) return fs::path(d) / "hepex";
  if (const char* d = std::getenv("HOME")) return fs::path(d) / ".cache" / "hepex";
  return ".hepex-cache";
}

Model default_model(const DemoOptions& o, ProgressLine& progress) {
  std::string name = o.job.arch + "-e" + std::to_string(o.job.config.epochs) + "-s" + std::to_string(o.job.seed);
  for (char& c : name)
    if (c == ':' || c == '/' || c == '@') c = '_';
  const fs::path path = cache_dir() / ("demo-" + name + ".hpx");
  if (fs::exists(path)) {
    progress.step("demo: using the cached model " + path.string());
    return Model::load(path.string());
  }
  progress.step("demo: training the autoencoder " + o.job.arch + " on MNIST for " +
                std::to_string(o.job.config.epochs) + " epochs (once; cached in " + path.parent_path().string() + ")...");
  const auto r = run_train_job(o.job, [&](const EpochStats& s) { progress.step(format_epoch(s, o.job.config.epochs, Loss::kMse)); });
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (!ec) r.model.save(path.string());
  return r.model;
}

void run(const DemoOptions& o) {
  ProgressLine progress(stderr, cli::global_options().quiet);
  Model model = o.model.empty() ? default_model(o, progress) : hepex::cli::load_model_any(o.model);
  const auto [t1, t2] = prune::parse_tile_shape(o.tile);
  if (o.zero_tiles > 0) {
    const auto n = infer::zero_random_tiles(model, std::size_t(t1), std::size_t(t2), o.zero_tiles, o.job.seed);
    progress.step("demo: zeroed " + std::to_string(n) + " random weight tiles");
  }
  if (!o.out.empty()) model.save(o.out);

  const std::string dir = resolve_data_dir(o.job.data);
  const auto images = infer::load_samples((fs::path(dir) / "t10k-images-idx3-ubyte").string() +
                                              (fs::exists(fs::path(dir) / "t10k-images-idx3-ubyte") ? "" : ".gz"),
                                          o.offset, o.count);
  auto plan = infer::make_plan(model, std::size_t(t1), std::size_t(t2), o.count);
  if (o.weights != "auto") plan.weight_mode = infer::parse_weight_mode(o.weights);
  progress.finish();
  std::printf("%s", infer::format_plan(plan).c_str());

  infer::RunOptions ro;
  ro.backend = o.backend == "sim" ? infer::BackendKind::kSim : infer::BackendKind::kCkks;
  ro.progress = [&](const std::string& s) { progress.step("demo: " + s + "..."); };
  auto r = infer::run_encrypted(model, plan, images.values, images.rows, ro);
  progress.finish();
  std::printf("\n%s", r.format_table().c_str());
  std::printf("demo: %zu MNIST test images encrypted end to end (keygen %.1f s, encrypt %.1f s, server %.1f s, "
              "decrypt %.1f s)\n",
              r.samples, r.keygen_s, r.encrypt_s, r.preencode_s + r.latency_s, r.decrypt_s);
  if (!o.report.empty()) {
    r.save(o.report);
    std::printf("report: %s\n", o.report.c_str());
  }
}

const cli::VerbRegistrar reg(10, [](CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* sub = app.add_subcommand("demo", "Encrypted inference of the default MNIST autoencoder, end to end, vs plaintext");
  sub->footer("Without --model: trains " + o->job.arch + " (hepex train --arch " + o->job.arch +
              " --epochs 20 --val-split 0) once and caches it in $HEPEX_CACHE_DIR or ~/.cache/hepex.");
  sub->add_option("-m,--model", o->model, "Model file (default: the cached default autoencoder)")->check(CLI::ExistingFile);
  sub->add_option("--count", o->count, "Test images (the batch)")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--offset", o->offset, "First test image")->capture_default_str();
  sub->add_option("--tile", o->tile, "Tile shape t1xt2")->capture_default_str();
  sub->add_option("--weights", o->weights, "auto, pre-encoded or on-the-fly")->capture_default_str();
  sub->add_option("--backend", o->backend, "ckks (real encryption) or sim (the simulator)")->capture_default_str();
  sub->add_option("--zero-tiles", o->zero_tiles, "Experiment: zero this fraction of random weight tiles first")
      ->check(CLI::Range(0.0, 0.99));
  sub->add_option("--report", o->report, "Write the report as JSON");
  sub->add_option("--epochs", o->job.config.epochs, "Training epochs of the default model")->capture_default_str();
  sub->add_option("--data", o->job.data, "Data set: mnist, fashion-mnist, or a directory")->capture_default_str();
  sub->add_option("--seed", o->job.seed, "Training seed of the default model")->capture_default_str();
  sub->add_option("-o,--out", o->out, "Also save the model used");
  sub->callback([o] { run(*o); });
});
}  // namespace
