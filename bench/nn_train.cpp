// Training throughput of the dense trainer: one epoch over 60,000 samples of 784-256-64-256-784 (square,
// Adam, batch 128), and the forward pass alone. MNIST is used when found (./data/mnist, $HEPEX_DATA_DIR, or
// next to the executable's ../data); otherwise random images of the same shape (the cost does not depend on
// the pixel values). Target: under 3 s per epoch on 2 cores (see docs/RESULTS.md).
#include <benchmark/benchmark.h>
#include <omp.h>

#include "nn/dataset.hpp"
#include "nn/trainer.hpp"
#include "util/error.hpp"

namespace {
using namespace hepex::nn;

const Dataset& training_images() {
  static const Dataset data = [] {
    try {
      Dataset d = load_idx_dataset(resolve_data_dir("mnist"), Split::kTrain);
      if (d.size() == 60000) return d;
    } catch (const hepex::Error&) {
    }
    Dataset d;
    d.images = (RowMatrix::Random(60000, 784).array() + 1.f) * 0.5f;
    return d;
  }();
  return data;
}

Model fresh_model(const char* arch) {
  Model m = Model::from_arch(arch);
  hepex::Csprng rng(hepex::seed_from_u64(1));
  m.init_glorot(rng);
  return m;
}

void BM_TrainEpoch(benchmark::State& state, const char* arch) {
  const Dataset& data = training_images();
  TrainConfig cfg;
  cfg.epochs = 1;
  cfg.batch = int(state.range(0));
  Model model = fresh_model(arch);
  for (auto _ : state) train(model, data, {}, cfg);
  state.counters["threads"] = omp_get_max_threads();
  state.counters["samples/s"] = benchmark::Counter(double(data.size()) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Evaluate(benchmark::State& state) {
  const Dataset& data = training_images();
  const Model model = fresh_model("784-256-64-256-784:square");
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(model, data, Loss::kMse));
  state.counters["samples/s"] = benchmark::Counter(double(data.size()) * double(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_TrainEpoch, ae_256_square, "784-256-64-256-784:square")->Arg(128)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(BM_TrainEpoch, ae_256_poly2, "784-256-64-256-784:poly2")->Arg(128)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(BM_TrainEpoch, ae_128_square, "784-128-32-128-784:square")->Arg(128)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_Evaluate)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
