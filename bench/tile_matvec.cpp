// Tile-tensor matrix-vector products on the simulator: the planner's inner loop. Layer 64 x 256 at the
// demo tile shape [4, 8, 512] (16384 slots, batch 512), dense and with a fraction of zero tiles.
#include <benchmark/benchmark.h>

#include "backend/sim_backend.hpp"
#include "tile/matmul.hpp"
#include "tile/pack.hpp"
#include "util/csprng.hpp"

namespace {

using namespace hepex::tile;

constexpr std::size_t kM = 64, kN = 256, kBatch = 512;
const std::vector<std::size_t> kTiles{4, 8, 512};

hepex::backend::SimBackend make_sim() {
  return hepex::backend::SimBackend(hepex::backend::SimParams::from_bits(1 << 15, {60, 40, 40, 40}, 40));
}

// W with each 8 x 4 tile (kTransposed packs W^T as [n/4, m/8]) zero with probability zero_percent / 100.
DenseMatrix weights(hepex::Csprng& rng, int zero_percent) {
  DenseMatrix w{kM, kN, std::vector<double>(kM * kN)};
  for (auto& v : w.data) v = rng.next_double() - 0.5;
  for (std::size_t bi = 0; bi < kM; bi += 8)
    for (std::size_t bj = 0; bj < kN; bj += 4)
      if (rng.uniform_below(100) < static_cast<std::uint64_t>(zero_percent))
        for (std::size_t i = bi; i < bi + 8; ++i)
          for (std::size_t j = bj; j < bj + 4; ++j) w.data[i * kN + j] = 0;
  return w;
}

void BM_MatvecTransposed(benchmark::State& state) {
  auto sim = make_sim();
  hepex::Csprng rng(hepex::seed_from_u64(1));
  const auto o = Orientation::kTransposed;
  const auto w = pack_matrix(sim, weights(rng, static_cast<int>(state.range(0))), kTiles, o, sim.max_level(),
                             sim.default_scale());
  std::vector<double> x(kN * kBatch);
  for (auto& v : x) v = rng.next_double();
  const auto cx = pack_encrypted(sim, input_tensor(x, kN, kBatch, 3, o), input_shape(kN, kBatch, kTiles, o),
                                 sim.max_level(), sim.default_scale());
  hepex::backend::OpCounts counts;
  for (auto _ : state) {
    auto r = matvec(sim, w, cx, o);
    counts = r.counts;
    benchmark::DoNotOptimize(r.y);
  }
  state.counters["weight_tiles"] = static_cast<double>(w.present_count());
  state.counters["ct_pt_mults"] = static_cast<double>(counts[hepex::backend::Op::kMultiplyPlain]);
  state.counters["rotations"] = static_cast<double>(counts[hepex::backend::Op::kRotate]);
}
BENCHMARK(BM_MatvecTransposed)->Arg(0)->Arg(50)->Arg(90)->Unit(benchmark::kMillisecond);

void BM_PackPlain(benchmark::State& state) {
  auto sim = make_sim();
  hepex::Csprng rng(hepex::seed_from_u64(2));
  const auto w = weights(rng, 0);
  for (auto _ : state)
    benchmark::DoNotOptimize(pack_matrix(sim, w, kTiles, Orientation::kRows, sim.max_level(), sim.default_scale()));
}
BENCHMARK(BM_PackPlain)->Unit(benchmark::kMillisecond);

}  // namespace
