#include "nn/job.hpp"

#include <cmath>
#include <cstdio>

#include "io/binary.hpp"
#include "util/error.hpp"

namespace hepex::nn {

Task parse_task(const std::string& text) {
  if (text == "autoencoder" || text == "ae") return Task::kAutoencoder;
  if (text == "classifier" || text == "mlp") return Task::kClassifier;
  throw InvalidArgument("unknown task '" + text + "' (expected autoencoder or classifier)");
}

const char* task_name(Task task) { return task == Task::kAutoencoder ? "autoencoder" : "classifier"; }

Loss loss_for(Task task) { return task == Task::kAutoencoder ? Loss::kMse : Loss::kSoftmaxCrossEntropy; }

Task infer_task(const Model& model) {
  return model.input_size() == model.output_size() ? Task::kAutoencoder : Task::kClassifier;
}

Task infer_task(const std::string& arch) {
  const ArchSpec spec = parse_arch(arch);
  return spec.sizes.front() == spec.sizes.back() ? Task::kAutoencoder : Task::kClassifier;
}

std::uint64_t train_job_fingerprint(const TrainJob& job) {
  // A text of every setting (floats in hex, exact), hashed; new settings must be added here.
  const TrainConfig& c = job.config;
  const OptimizerConfig& o = c.optimizer;
  char numbers[512];
  std::snprintf(numbers, sizeof numbers,
                "v%u task%d noise%a copies%d val%a seed%llu opt%d b1%a b2%a eps%a mom%a lr%a batch%d epochs%d "
                "decay%a every%d warmup%d patience%d mindelta%a restore%d clip%a",
                kTrainerVersion, int(job.task), double(job.noise), job.noise_copies, job.val_split,
                static_cast<unsigned long long>(job.seed), int(o.kind), double(o.beta1), double(o.beta2),
                double(o.epsilon), double(o.momentum), double(c.lr), c.batch, c.epochs, double(c.lr_decay),
                c.decay_every, c.warmup_steps, c.patience, double(c.min_delta), int(c.restore_best),
                double(c.clip_norm));
  const std::string text = job.arch + "|" + canonical_data_name(job.data) + "|" + numbers;
  return io::fnv1a64(text.data(), text.size());
}

namespace {
// Distinct noise streams for training and test data of one seed.
constexpr std::uint64_t kTestNoiseSalt = 0x7e57;
}  // namespace

Dataset load_test_data(const std::string& data, float noise, std::uint64_t seed) {
  Dataset test = load_idx_dataset(resolve_data_dir(data), Split::kTest);
  if (noise > 0.f) test = add_gaussian_noise(test, noise, 1, seed ^ kTestNoiseSalt);
  return test;
}

JobData load_job_data(const TrainJob& job) {
  JobData d;
  const std::string dir = resolve_data_dir(job.data);
  auto split = split_train_val(load_idx_dataset(dir, Split::kTrain), job.val_split, job.seed);
  d.train = std::move(split.train);
  d.val = std::move(split.val);
  if (job.noise > 0.f) {
    d.train = add_gaussian_noise(d.train, job.noise, job.noise_copies, job.seed);
    if (d.val.size()) d.val = add_gaussian_noise(d.val, job.noise, 1, job.seed + 1);
  }
  d.test = load_test_data(job.data, job.noise, job.seed);
  return d;
}

TrainJobResult run_train_job(const TrainJob& job, const EpochCallback& on_epoch, const BatchCallback& on_batch) {
  if (job.config.distill.teacher)
    throw InvalidArgument("a training job has no teacher: distillation is for fine-tuning (prune)");
  Model model = Model::from_arch(job.arch);
  if (job.task == Task::kAutoencoder && model.input_size() != model.output_size())
    throw InvalidArgument("architecture '" + job.arch + "': an autoencoder needs equal input and output widths");
  const JobData data = load_job_data(job);
  Csprng init_rng(seed_from_u64(job.seed));
  model.init_glorot(init_rng);
  TrainConfig cfg = job.config;
  cfg.loss = loss_for(job.task);
  cfg.seed = job.seed;
  TrainJobResult r;
  r.history = train(model, data.train, data.val, cfg, on_epoch, on_batch);
  r.test = evaluate(model, data.test, cfg.loss);
  model.set_data_set(canonical_data_name(job.data));
  model.set_input_noise(job.task == Task::kAutoencoder ? job.noise : 0.f);
  r.model = std::move(model);
  return r;
}

std::string format_epoch(const EpochStats& s, int epochs, Loss loss) {
  char buf[256];
  int n = std::snprintf(buf, sizeof(buf), "epoch %d/%d  loss %.6f", s.epoch, epochs, s.train_loss);
  if (!std::isnan(s.val_loss)) n += std::snprintf(buf + n, sizeof(buf) - n, "  val %.6f%s", s.val_loss, s.best ? "*" : "");
  if (loss == Loss::kSoftmaxCrossEntropy && !std::isnan(s.val_accuracy))
    n += std::snprintf(buf + n, sizeof(buf) - n, "  val acc %.2f%%", 100.0 * s.val_accuracy);
  std::snprintf(buf + n, sizeof(buf) - n, "  lr %.2g  %.2f s", s.lr, s.seconds);
  return buf;
}

std::string format_batch(int epoch, int epochs, double fraction, double loss) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "epoch %d/%d  %3.0f%%  loss %.6f", epoch, epochs, 100.0 * fraction, loss);
  return buf;
}

std::string format_eval(const EvalResult& r, Loss loss) {
  char buf[128];
  if (loss == Loss::kMse) std::snprintf(buf, sizeof(buf), "test MSE %.6f", r.mse);
  else std::snprintf(buf, sizeof(buf), "test loss %.4f  accuracy %.2f%%", r.loss, 100.0 * r.accuracy);
  return buf;
}

}  // namespace hepex::nn
