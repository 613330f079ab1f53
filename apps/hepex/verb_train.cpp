// `hepex train`: train a dense autoencoder or classifier on MNIST-style data and save the model file.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "nn/job.hpp"
#include "number_check.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "io/safe_file.hpp"
#include "verb.hpp"

namespace {
using namespace hepex::nn;
namespace cli = hepex::cli;

struct TrainOptions {
  TrainJob job;
  std::string task = "auto";
  std::string optimizer = "adam";
  std::string out;
};

void run(const TrainOptions& o) {
  // Outputs are checked before the work, so a bad path fails in a second, not after it.
  if (!o.out.empty()) hepex::io::check_destination(o.out);
  TrainJob job = o.job;
  // "auto": the widths decide (equal input and output: autoencoder, else classifier), as eval decides.
  job.task = o.task == "auto" ? infer_task(job.arch) : parse_task(o.task);
  job.config.optimizer.kind = o.optimizer == "sgd" ? OptimizerKind::kSgd : OptimizerKind::kAdam;
  const bool quiet = hepex::cli::global_options().quiet;
  hepex::ProgressLine progress(stderr, quiet);
  const Loss loss = loss_for(job.task);
  if (job.task == Task::kAutoencoder && infer_task(job.arch) == Task::kClassifier)
    throw hepex::InvalidArgument("architecture '" + job.arch +
                                 "': an autoencoder needs equal input and output widths (for a classifier: --task "
                                 "classifier, or leave --task out)");
  const std::string data = canonical_data_name(job.data);
  progress.step("training " + job.arch + " (" + task_name(job.task) + ") on " + data + "...");
  const int epochs = job.config.epochs;
  const auto result = run_train_job(
      job, [&](const EpochStats& s) { progress.step(format_epoch(s, epochs, loss)); },
      [&](int epoch, double fraction, double l) { progress.update(format_batch(epoch, epochs, fraction, l)); });
  progress.finish();
  if (result.history.stopped_early)
    std::fprintf(stderr, "stopped early after epoch %zu (best validation epoch %d)\n", result.history.epochs.size(),
                 result.history.best_epoch);
  double seconds = 0;
  for (const auto& e : result.history.epochs) seconds += e.seconds;
  std::printf("%s on %s  (%s, %s, %zu epochs, %.2f s/epoch)\n", format_eval(result.test, loss).c_str(),
              data.c_str(), result.model.arch_string().c_str(), task_name(job.task), result.history.epochs.size(),
              result.history.epochs.empty() ? 0.0 : seconds / double(result.history.epochs.size()));
  if (!o.out.empty()) {
    result.model.save(o.out);
    std::printf("saved %s\n", o.out.c_str());
  }
}

const hepex::cli::VerbRegistrar reg(20, [](CLI::App& app) {
  auto opts = std::make_shared<TrainOptions>();
  auto& j = opts->job;
  auto* sub = app.add_subcommand("train", "Train a dense network (autoencoder or classifier) in the clear");
  sub->footer(
      "Architecture: widths joined by '-', then ':' and the hidden activation (the last layer is linear):\n"
      "  square (x^2), poly2 (a x^2 + b x + c, trained coefficients), poly2@a/b/c (fixed), identity,\n"
      "  relu, sigmoid (plaintext references only: not HE-friendly). Per-layer form: 784-64-784:square,sigmoid\n"
      "Global options go before the verb: hepex --threads 2 --quiet train ...\n"
      "Without ':' the hidden layers use poly2. The model file records the data set (hepex eval defaults to it).\n"
      "Examples: hepex train --arch 784-256-64-256-784:poly2 --data mnist --epochs 20 --out ae.hpx\n"
      "          hepex train --arch 784-128-10 --data fashion --epochs 5 --out clf.hpx   (a classifier)");
  sub->add_option("--arch", j.arch, "Architecture string")->capture_default_str();
  sub->add_option("--data", j.data, std::string("Data set: ") + kDataSetNames + ", or a directory of IDX files (.gz allowed)")
      ->capture_default_str();
  sub->add_option("--task", opts->task,
                  "autoencoder (MSE on the images), classifier (softmax cross-entropy), or auto: autoencoder when "
                  "the input and output widths are equal, else classifier")
      ->check(CLI::IsMember({"auto", "autoencoder", "classifier", "ae", "mlp"}))
      ->capture_default_str();
  sub->add_option("--epochs", j.config.epochs, "Passes over the training set")->check(cli::whole_in(1, cli::kMaxEpochs))->capture_default_str();
  sub->add_option("--lr", j.config.lr, "Learning rate")->check(cli::real_above(0, cli::kMaxLearningRate))->capture_default_str();
  sub->add_option("--batch", j.config.batch, "Minibatch size")->check(cli::whole_in(1, cli::kMaxMinibatch))->capture_default_str();
  sub->add_option("--optimizer", opts->optimizer, "adam, or sgd (with --momentum)")
      ->check(CLI::IsMember({"adam", "sgd"}))
      ->capture_default_str();
  sub->add_option("--momentum", j.config.optimizer.momentum, "SGD momentum")->check(cli::real_in(0, 0.999))->capture_default_str();
  sub->add_option("--lr-decay", j.config.lr_decay, "Multiply the learning rate by this every --decay-every epochs")
      ->check(cli::real_above(0, 1))
      ->capture_default_str();
  sub->add_option("--decay-every", j.config.decay_every, "Epochs between learning-rate decays")
      ->check(cli::whole_in(1, cli::kMaxEpochs))
      ->capture_default_str();
  sub->add_option("--warmup", j.config.warmup_steps, "Linear learning-rate warm-up over this many batches (0 = none)")
      ->check(cli::whole_in(0, 1u << 30))
      ->capture_default_str();
  sub->add_option("--val-split", j.val_split, "Fraction of the training set held out for validation / early stop")
      ->check(cli::real_in(0, 0.9))
      ->capture_default_str();
  sub->add_option("--patience", j.config.patience, "Stop after this many epochs without a better validation loss (0 = never)")
      ->check(cli::whole_in(0, cli::kMaxEpochs))
      ->capture_default_str();
  sub->add_option("--clip-norm", j.config.clip_norm, "Clip the gradient to this global L2 norm (0 = off)")
      ->check(cli::real_in(0, 1e6))
      ->capture_default_str();
  sub->add_option("--noise", j.noise,
                  "Denoising: Gaussian noise sigma added to the inputs (targets stay clean); the model file records "
                  "it, so eval and prune test with the same noise")
      ->check(cli::real_in(0, 10))
      ->capture_default_str();
  sub->add_option("--noise-copies", j.noise_copies, "Denoising: noisy copies of every training image")
      ->check(cli::whole_in(1, 100))
      ->capture_default_str();
  sub->add_option("--seed", j.seed, "Seed of initial weights, split, noise and shuffling")
      ->check(cli::any_seed())
      ->capture_default_str();
  sub->add_option("-o,--out", opts->out, "Write the trained model to this file");
  sub->callback([opts] { run(*opts); });
});
}  // namespace
