// The fused layer kernel (Backend::multiply_plain_sums) against its per-tile path (multiply_plain, then
// add, one new ciphertext per operation) on the CKKS backend, at the demo's ring (N = 2^14) and top level
// (9 limbs): `outputs` sums of `terms` products over shared input ciphertexts, as one FC layer's tile rows.
// Arguments: terms, outputs, period (0: random plaintexts held in full; p: slots repeating with period p,
// held compact as the batch-outer layout's weight tiles are), bits of the level primes (40, or 31 as in the
// demo's chain: the narrow kernel). Counters: products per second.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "backend/ckks_backend.hpp"
#include "ckks/keygen.hpp"
#include "util/csprng.hpp"

namespace {

using namespace hepex;
using namespace hepex::backend;

struct Layer {
  std::unique_ptr<CkksBackend> be;
  std::vector<Ciphertext> cts;
  std::vector<Plaintext> pts;
};

Layer make_layer(std::size_t terms, std::size_t outputs, std::size_t period = 0, int prime_bits = 40) {
  const auto ctx = ckks::CkksContext::create(ckks::CkksParameters::create(
      1 << 14, prime_bits + 10, prime_bits, 8, 3, ckks::SecurityLevel::kInsecureForTestsOnly));
  ckks::KeyGenerator keygen(ctx, seed_from_u64(5));
  Layer layer;
  const CkksKeys keys{std::make_shared<const ckks::SecretKey>(keygen.secret_key()), nullptr, nullptr, nullptr};
  layer.be = std::make_unique<CkksBackend>(ctx, keys);
  const CkksBackend& be = *layer.be;
  Csprng rng(seed_from_u64(6));
  std::vector<double> v(be.slot_count());
  auto random_values = [&] {
    for (auto& x : v) x = rng.next_double() - 0.5;
    return v;
  };
  auto weight_values = [&] {
    random_values();
    for (std::size_t i = period; period && i < v.size(); ++i) v[i] = v[i % period];
    return v;
  };
  std::vector<Ciphertext> inputs;
  for (std::size_t k = 0; k < terms; ++k)
    inputs.push_back(be.encrypt(be.encode(random_values(), be.max_level(), be.default_scale())));
  for (std::size_t j = 0; j < outputs; ++j)
    for (std::size_t k = 0; k < terms; ++k) {
      layer.cts.push_back(inputs[k]);
      layer.pts.push_back(be.encode(weight_values(), be.max_level(), be.default_scale()));
    }
  return layer;
}

void report(benchmark::State& state, std::size_t products) {
  state.counters["products/s"] =
      benchmark::Counter(static_cast<double>(products * state.iterations()), benchmark::Counter::kIsRate);
}

void BM_FusedProductSums(benchmark::State& state) {
  const auto terms = static_cast<std::size_t>(state.range(0)), outputs = static_cast<std::size_t>(state.range(1));
  const Layer layer =
      make_layer(terms, outputs, static_cast<std::size_t>(state.range(2)), static_cast<int>(state.range(3)));
  for (auto _ : state) benchmark::DoNotOptimize(layer.be->multiply_plain_sums(layer.cts, layer.pts, terms));
  report(state, terms * outputs);
}

// As the tile layer did before the fused kernel: an OpenMP loop over outputs, each its own products and adds.
void BM_PerTileProductSums(benchmark::State& state) {
  const auto terms = static_cast<std::size_t>(state.range(0)), outputs = static_cast<std::size_t>(state.range(1));
  const Layer layer = make_layer(terms, outputs);
  const CkksBackend& be = *layer.be;
  for (auto _ : state) {
    std::vector<Ciphertext> out(outputs);
#pragma omp parallel for schedule(dynamic)
    for (std::ptrdiff_t j = 0; j < static_cast<std::ptrdiff_t>(outputs); ++j)
      for (std::size_t k = 0; k < terms; ++k) {
        const std::size_t i = static_cast<std::size_t>(j) * terms + k;
        Ciphertext product = be.multiply_plain(layer.cts[i], layer.pts[i]);
        out[j] = out[j].empty() ? product : be.add(out[j], product);
      }
    benchmark::DoNotOptimize(out);
  }
  report(state, terms * outputs);
}

BENCHMARK(BM_FusedProductSums)
    ->Args({16, 8, 0, 40})
    ->Args({48, 4, 0, 40})
    ->Args({16, 8, 0, 31})
    ->Args({16, 8, 32, 40})
    ->Args({48, 4, 32, 40})
    ->Args({196, 32, 32, 40})  // the demo's top layer with the batch outermost
    ->Args({196, 32, 32, 31})  // the same with the demo's 31-bit primes
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PerTileProductSums)->Args({16, 8})->Args({48, 4})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
