// `hepex demo`: the whole encrypted pipeline on test images with the default HE-friendly autoencoder (or
// --model): plan, keys, encrypt, server-side evaluation (no secret key), decrypt, and the comparison with
// the plaintext model (and the accuracy, for classifiers). Without --model it trains the default autoencoder
// once and caches it, keyed by everything that determines the trained model.
#include <cstdio>
#include <memory>
#include <string>

#include "data_choice.hpp"
#include "infer/compiled.hpp"
#include "infer/tile_pruning.hpp"
#include "nn/dataset.hpp"
#include "nn/job.hpp"
#include "number_check.hpp"
#include "plan_options.hpp"
#include "prune/tiling.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "model_input.hpp"
#include "io/safe_file.hpp"
#include "session/local_run.hpp"
#include "study/model_cache.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;
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
  std::string data;  // empty: the model's recorded data set (the default model: mnist)
  std::string model, out, report, tile = "4x8", weights = "auto", backend = "ckks";
  std::size_t count = 256, offset = 0;
  double zero_tiles = 0;
  infer::PlanOptions planner;
};

Model default_model(const TrainJob& job, ProgressLine& progress) {
  return study::train_or_load_cached(
      job, [&](const std::string& s) { progress.step("demo: " + s); },
      [&](const EpochStats& s) { progress.step(format_epoch(s, job.config.epochs, loss_for(job.task))); });
}

// Fraction of rows whose largest output is at the label.
double accuracy(const std::vector<double>& outputs, std::size_t width, const std::vector<std::uint8_t>& labels) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double* row = outputs.data() + i * width;
    std::size_t best = 0;
    for (std::size_t j = 1; j < width; ++j)
      if (row[j] > row[best]) best = j;
    right += best == labels[i];
  }
  return labels.empty() ? 0.0 : double(right) / double(labels.size());
}

void run(const DemoOptions& o) {
  // Outputs are checked before the work, so a bad path fails in a second, not after it.
  for (const auto* path : {&o.out, &o.report})
    if (!path->empty()) io::check_destination(*path);
  ProgressLine progress(stderr, cli::global_options().quiet);
  TrainJob job = o.job;
  if (!o.data.empty()) job.data = o.data;
  job.task = infer_task(job.arch);  // the widths decide, as in train
  Model model = o.model.empty() ? default_model(job, progress) : hepex::cli::load_model_any(o.model);
  const std::string data = o.model.empty() ? canonical_data_name(job.data) : cli::data_set_for(model, o.data, o.model);
  const auto [t1, t2] = prune::parse_tile_shape(o.tile);
  if (o.zero_tiles > 0) {
    const auto n = infer::zero_random_tiles(model, std::size_t(t1), std::size_t(t2), o.zero_tiles, job.seed);
    progress.step("demo: zeroed " + std::to_string(n) + " random weight tiles");
  }
  if (!o.out.empty()) model.save(o.out);

  const Dataset test = load_test_data(data, 0.f, job.seed);
  if (o.offset + o.count > std::size_t(test.size()))
    throw InvalidArgument("demo: --offset " + std::to_string(o.offset) + " + --count " + std::to_string(o.count) +
                          " is past the " + std::to_string(test.size()) + " test images of " + data);
  const Dataset part = test.slice(Eigen::Index(o.offset), Eigen::Index(o.count));
  const std::vector<double> images(part.images.data(), part.images.data() + part.images.size());
  auto plan = infer::make_plan(model, std::size_t(t1), std::size_t(t2), o.count, o.planner);
  if (o.weights != "auto") plan.weight_mode = infer::parse_weight_mode(o.weights);
  progress.finish();
  std::printf("%s", infer::format_plan(plan).c_str());

  const bool sim = o.backend == "sim";
  LocalRunOptions ro;
  ro.backend = sim ? LocalBackend::kSim : LocalBackend::kCkks;
  ro.progress = [&](const std::string& s) { progress.step("demo: " + s); };
  const auto [r, outputs] = run_locally(model, plan, images, o.count, ro);
  progress.finish();
  std::printf("\n%s", r.format_table().c_str());
  if (infer_task(model) == Task::kClassifier) {
    const std::size_t width = std::size_t(model.output_size());
    const double decrypted = accuracy(outputs, width, part.labels);
    const double plain = accuracy(infer::plain_outputs(model, images, o.count), width, part.labels);
    std::printf("accuracy on %zu %s test images: %s %.2f%%, plaintext model %.2f%%\n", r.samples, data.c_str(),
                sim ? "simulated" : "decrypted", 100.0 * decrypted, 100.0 * plain);
  }
  if (sim)
    std::printf("demo: %zu %s test images through the simulator (no encryption: counts, levels and sizes of the "
                "real run; server %.1f s)\n",
                r.samples, data.c_str(), r.preencode_s + r.latency_s);
  else
    std::printf("demo: %zu %s test images encrypted end to end (keygen %.1f s, encrypt %.1f s, server %.1f s, "
                "decrypt %.1f s)\n",
                r.samples, data.c_str(), r.keygen_s, r.encrypt_s, r.preencode_s + r.latency_s, r.decrypt_s);
  if (!o.report.empty()) {
    r.save(o.report);
    std::printf("report: %s\n", o.report.c_str());
  }
}

const cli::VerbRegistrar reg(10, [](CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* sub = app.add_subcommand("demo", "Encrypted inference of the default MNIST autoencoder, end to end, vs plaintext");
  sub->footer("Without --model: trains " + o->job.arch + " (hepex train --arch " + o->job.arch +
              " --epochs 20 --val-split 0) once and caches it in $HEPEX_CACHE_DIR or ~/.cache/hepex, keyed by the\n"
              "architecture, data set, epochs, seed, every training setting and the trainer's version.");
  sub->add_option("-m,--model", o->model, "Model file (default: the cached default autoencoder)")->check(CLI::ExistingFile);
  sub->add_option("--count", o->count, "Test images (the batch)")->check(cli::whole_in(1, cli::kMaxBatch))->capture_default_str();
  sub->add_option("--offset", o->offset, "First test image")->check(cli::whole_in(0, UINT32_MAX))->capture_default_str();
  sub->add_option("--tile", o->tile, "Tile shape t1xt2")->capture_default_str();
  sub->add_option("--weights", o->weights, "auto, pre-encoded or on-the-fly")
      ->check(CLI::IsMember({"auto", "pre-encoded", "on-the-fly"}))
      ->capture_default_str();
  sub->add_option("--backend", o->backend, "ckks (real encryption) or sim (the simulator: no encryption)")
      ->check(CLI::IsMember({"ckks", "sim"}))
      ->capture_default_str();
  sub->add_option("--zero-tiles", o->zero_tiles, "Experiment: zero this fraction of random weight tiles first")
      ->check(cli::real_in(0, 0.99));
  cli::add_plan_options(sub, o->planner);
  sub->add_option("--report", o->report, "Write the report as JSON");
  sub->add_option("--arch", o->job.arch, "Architecture of the default model (trained once, cached)")
      ->capture_default_str();
  sub->add_option("--epochs", o->job.config.epochs, "Training epochs of the default model")
      ->check(cli::whole_in(1, cli::kMaxEpochs))
      ->capture_default_str();
  sub->add_option("--data", o->data,
                  std::string("Data set: ") + kDataSetNames +
                      ", or a directory (default: the model's own; for the default model, mnist)");
  sub->add_option("--seed", o->job.seed, "Training seed of the default model")->check(cli::any_seed())->capture_default_str();
  sub->add_option("-o,--out", o->out, "Also save the model used");
  sub->callback([o] { run(*o); });
});
}  // namespace
