#include "nn/trainer.hpp"

#include <chrono>
#include <cmath>
#include <exception>

#include "nn/gradients.hpp"
#include "util/error.hpp"

namespace hepex::nn {
namespace {

// The data as the layers see it (model order): permuted copies only when the model has permutations.
struct ModelOrderData {
  RowMatrix inputs, targets;  // N x d each; targets empty for classification
  std::vector<std::uint8_t> labels;
};

ModelOrderData to_model_order(const Model& model, const Dataset& data, Loss loss) {
  ModelOrderData out;
  out.inputs = model.permute_input(data.images);
  if (loss == Loss::kMse) {
    out.targets = model.permute_target(data.targets());
  } else {
    out.labels = data.labels;
    if (!model.output_perm().empty()) {
      std::vector<std::uint8_t> position(model.output_perm().size());
      for (std::size_t i = 0; i < position.size(); ++i) position[model.output_perm()[i]] = std::uint8_t(i);
      for (auto& l : out.labels) l = position[l];
    }
  }
  return out;
}

void check_data(const Model& model, const Dataset& data, Loss loss, const char* what) {
  if (data.size() == 0) return;
  if (data.features() != model.input_size())
    throw InvalidArgument(std::string(what) + " data has " + std::to_string(data.features()) +
                          " features, the model's input is " + std::to_string(model.input_size()));
  if (loss == Loss::kMse && data.targets().cols() != model.output_size())
    throw InvalidArgument(std::string(what) + " targets have " + std::to_string(data.targets().cols()) +
                          " features, the model's output is " + std::to_string(model.output_size()) +
                          " (reconstruction needs equal input and output widths)");
  if (loss == Loss::kSoftmaxCrossEntropy) {
    if (Eigen::Index(data.labels.size()) != data.size())
      throw InvalidArgument(std::string(what) + " data has no labels (classification needs them)");
    if (data.num_classes() > model.output_size())
      throw InvalidArgument(std::string(what) + " data has " + std::to_string(data.num_classes()) +
                            " classes, the model has " + std::to_string(model.output_size()) + " outputs");
  }
}

void check_distill(const Model& model, const DistillConfig& d) {
  if (!(d.alpha >= 0.f && d.alpha <= 1.f))
    throw InvalidArgument("distillation weight " + std::to_string(d.alpha) + " must be in [0, 1]");
  if (!(d.temperature > 0.f))
    throw InvalidArgument("distillation temperature " + std::to_string(d.temperature) + " must be positive");
  if (d.teacher && (d.teacher->input_size() != model.input_size() || d.teacher->output_size() != model.output_size()))
    throw MismatchError("distillation: the teacher " + d.teacher->arch_string() + " does not fit the student " +
                        model.arch_string() + " (input and output widths must match)");
}

// The teacher's outputs on the training inputs, in the student's output order (the student may be permuted).
RowMatrix teacher_outputs(const Model& student, const Model& teacher, const RowMatrix& original_inputs) {
  return student.permute_target(teacher.forward(original_inputs));
}

constexpr Eigen::Index kShardSize = 64;

// Per-shard buffers of the training loop.
struct Shard {
  Matrix x, t, soft;
  std::vector<std::uint8_t> labels;
  Backprop backprop;
  std::vector<LayerGradients> grads;
  double loss = 0;  // summed over the shard's samples
};

void add_gradients(std::vector<LayerGradients>& into, const std::vector<LayerGradients>& other) {
  for (std::size_t l = 0; l < into.size(); ++l) {
    into[l].W += other[l].W;
    into[l].b += other[l].b;
    for (int i = 0; i < 3; ++i) into[l].poly[std::size_t(i)] += other[l].poly[std::size_t(i)];
  }
}

// View of N x d row-major data as d x N column-major: sample i is column i.
Eigen::Map<const Matrix> columns(const RowMatrix& m) { return {m.data(), m.cols(), m.rows()}; }

void clip_gradients(std::vector<LayerGradients>& grads, float max_norm) {
  double sq = 0;
  for (const auto& g : grads)
    sq += g.W.cast<double>().squaredNorm() + g.b.cast<double>().squaredNorm() +
          double(g.poly[0]) * g.poly[0] + double(g.poly[1]) * g.poly[1] + double(g.poly[2]) * g.poly[2];
  const double norm = std::sqrt(sq);
  if (norm <= max_norm) return;
  const float s = float(max_norm / norm);
  for (auto& g : grads) {
    g.W *= s;
    g.b *= s;
    for (float& p : g.poly) p *= s;
  }
}

}  // namespace

EvalResult evaluate(const Model& model, const Dataset& data, Loss loss) {
  model.validate();
  check_data(model, data, loss, "evaluation");
  if (data.size() == 0) throw InvalidArgument("evaluation: the data set is empty");
  const ModelOrderData d = to_model_order(model, data, loss);
  keep_eigen_serial();
  // Fixed chunks, evaluated in parallel and summed in order: the result does not depend on the threads.
  constexpr Eigen::Index kChunk = 500;
  const Eigen::Index chunks = (data.size() + kChunk - 1) / kChunk;
  std::vector<double> totals(std::size_t(chunks), 0.0);
  std::vector<std::size_t> correct(std::size_t(chunks), 0);
#pragma omp parallel if (chunks > 1)
  {
    Matrix z, a, t;
#pragma omp for schedule(static)
    for (Eigen::Index c = 0; c < chunks; ++c) {
      const Eigen::Index first = c * kChunk, n = std::min(kChunk, data.size() - first);
      a = columns(d.inputs).middleCols(first, n);
      model.forward_columns(a, z);
      if (loss == Loss::kMse) {
        t = columns(d.targets).middleCols(first, n);
        totals[std::size_t(c)] = mse_loss(a, t, nullptr) * double(n);
      } else {
        const std::span<const std::uint8_t> labels(d.labels.data() + first, std::size_t(n));
        totals[std::size_t(c)] = softmax_cross_entropy(a, labels, nullptr) * double(n);
        correct[std::size_t(c)] = count_correct(a, labels);
      }
    }
  }
  double total = 0;
  std::size_t right = 0;
  for (Eigen::Index c = 0; c < chunks; ++c) {
    total += totals[std::size_t(c)];
    right += correct[std::size_t(c)];
  }
  EvalResult r;
  r.loss = total / double(data.size());
  if (loss == Loss::kMse) r.mse = r.loss;
  else r.accuracy = double(right) / double(data.size());
  return r;
}

History train(Model& model, const Dataset& train_set, const Dataset& val, const TrainConfig& cfg,
              const EpochCallback& on_epoch, const BatchCallback& on_batch) {
  model.validate();
  if (cfg.batch < 1 || cfg.epochs < 0 || cfg.decay_every < 1 || !(cfg.lr > 0.f) || !(cfg.lr_decay > 0.f))
    throw InvalidArgument("training: batch, decay interval and learning rate must be positive");
  if (train_set.size() == 0) throw InvalidArgument("training: the training set is empty");
  check_data(model, train_set, cfg.loss, "training");
  check_data(model, val, cfg.loss, "validation");
  check_distill(model, cfg.distill);
  for (auto& layer : model.layers()) layer.apply_mask();

  const ModelOrderData data = to_model_order(model, train_set, cfg.loss);
  const RowMatrix soft = cfg.distill.active() ? teacher_outputs(model, *cfg.distill.teacher, train_set.images) : RowMatrix{};
  keep_eigen_serial();
  const Eigen::Index n = train_set.size(), d_in = model.input_size(), d_out = model.output_size();
  auto optimizer = make_optimizer(cfg.optimizer, model);
  Csprng rng(seed_from_u64(cfg.seed));
  // A batch is cut into shards of kShardSize samples; shards run in parallel (one serial GEMM chain each)
  // and their gradients are summed in shard order. The cut depends only on the batch size, so results are
  // the same for any thread count, and threads meet twice per batch instead of inside every GEMM.
  const int max_shards = int((cfg.batch + kShardSize - 1) / kShardSize);
  std::vector<Shard> shards(static_cast<std::size_t>(max_shards));

  History history;
  double best_val = std::numeric_limits<double>::infinity();
  Model best_model;
  int since_best = 0;
  long step = 0;
  const Eigen::Index report_every = std::max<Eigen::Index>(1, n / cfg.batch / 50) * cfg.batch;
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const float lr = cfg.lr * std::pow(cfg.lr_decay, float(epoch / cfg.decay_every));
    const auto order = random_permutation(n, rng);
    double loss_sum = 0;
    for (Eigen::Index first = 0; first < n; first += cfg.batch) {
      const Eigen::Index b = std::min<Eigen::Index>(cfg.batch, n - first);
      const int count = int((b + kShardSize - 1) / kShardSize);
      std::exception_ptr failure;
#pragma omp parallel for schedule(static) if (count > 1)
      for (int k = 0; k < count; ++k) {
        try {
          Shard& sh = shards[std::size_t(k)];
          const Eigen::Index lo = first + k * kShardSize, cols = std::min(kShardSize, first + b - lo);
          sh.x.resize(d_in, cols);
          for (Eigen::Index j = 0; j < cols; ++j) sh.x.col(j) = columns(data.inputs).col(order[std::size_t(lo + j)]);
          BatchTarget target;
          if (cfg.loss == Loss::kMse) {
            sh.t.resize(d_out, cols);
            for (Eigen::Index j = 0; j < cols; ++j) sh.t.col(j) = columns(data.targets).col(order[std::size_t(lo + j)]);
            target.values = &sh.t;
          } else {
            sh.labels.resize(std::size_t(cols));
            for (Eigen::Index j = 0; j < cols; ++j) sh.labels[std::size_t(j)] = data.labels[std::size_t(order[std::size_t(lo + j)])];
            target.labels = sh.labels;
          }
          if (cfg.distill.active()) {
            sh.soft.resize(d_out, cols);
            for (Eigen::Index j = 0; j < cols; ++j) sh.soft.col(j) = columns(soft).col(order[std::size_t(lo + j)]);
            target.teacher = &sh.soft;
            target.alpha = cfg.distill.alpha;
            target.temperature = cfg.distill.temperature;
          }
          sh.loss = sh.backprop.run(model, sh.x, cfg.loss, target, sh.grads, float(cols) / float(b)) * double(cols);
        } catch (...) {
#pragma omp critical
          failure = std::current_exception();
        }
      }
      if (failure) std::rethrow_exception(failure);
      double batch_loss = 0;
      for (int k = 0; k < count; ++k) batch_loss += shards[std::size_t(k)].loss;
      if (!std::isfinite(batch_loss))
        throw Error("training diverged in epoch " + std::to_string(epoch + 1) +
                    " (non-finite loss); lower the learning rate or set a gradient clip norm");
      loss_sum += batch_loss;
      auto& grads = shards[0].grads;
      for (int k = 1; k < count; ++k) add_gradients(grads, shards[std::size_t(k)].grads);
      if (cfg.clip_norm > 0.f) clip_gradients(grads, cfg.clip_norm);
      ++step;
      const float warm = cfg.warmup_steps > 0 ? std::min(1.f, float(step) / float(cfg.warmup_steps)) : 1.f;
      optimizer->step(model, grads, lr * warm);
      if (on_batch && (first + b) % report_every == 0)
        on_batch(epoch + 1, double(first + b) / double(n), loss_sum / double(first + b));
    }

    EpochStats s;
    s.epoch = epoch + 1;
    s.lr = lr;
    s.train_loss = loss_sum / double(n);
    if (val.size() > 0) {
      const auto r = evaluate(model, val, cfg.loss);
      s.val_loss = r.loss;
      s.val_accuracy = r.accuracy;
      if (s.val_loss < best_val - cfg.min_delta || history.best_epoch == 0) {
        best_val = s.val_loss;
        s.best = true;
        history.best_epoch = s.epoch;
        since_best = 0;
        if (cfg.restore_best) best_model = model;
      } else {
        ++since_best;
      }
    }
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    history.epochs.push_back(s);
    if (on_epoch) on_epoch(s);
    if (cfg.patience > 0 && since_best >= cfg.patience) {
      history.stopped_early = true;
      break;
    }
  }
  if (cfg.restore_best && history.best_epoch > 0 && history.best_epoch != int(history.epochs.size()))
    model = std::move(best_model);
  return history;
}

}  // namespace hepex::nn
