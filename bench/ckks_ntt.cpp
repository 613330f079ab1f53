// NTT and RNS base conversion speed (one thread; NTT args: N and the prime's bits). Reference: Microsoft SEAL
// 4.4 without HEXL, forward lazy NTT of one 60-bit limb: 150 us at N = 2^14, 322 us at N = 2^15 on an AMD EPYC.
#include <benchmark/benchmark.h>

#include <vector>

#include "ckks/ntt.hpp"
#include "ckks/primes.hpp"
#include "ckks/rns.hpp"
#include "util/csprng.hpp"

namespace {

using namespace hepex::ckks;

std::vector<u64> random_residues(std::size_t count, u64 bound, std::uint64_t seed) {
  hepex::Csprng rng(hepex::seed_from_u64(seed));
  std::vector<u64> v(count);
  for (auto& x : v) x = rng.uniform_below(bound);
  return v;
}

enum class NttOp { kForwardLazy, kForward, kInverseLazy, kInverse };

template <NttOp op>
void BM_Ntt(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const Modulus q(generate_ntt_primes(static_cast<int>(state.range(1)), 1, n)[0]);  // 31 bits: 32-bit lanes; 51: doubles; 60: 64-bit lanes
  const NttTables tables(n, q);
  auto a = random_residues(n, q.value, 1);
  for (auto _ : state) {
    // Each variant maps its valid input range into itself, so repeated application stays valid.
    if constexpr (op == NttOp::kForwardLazy) tables.forward_lazy(a.data());
    if constexpr (op == NttOp::kForward) tables.forward(a.data());
    if constexpr (op == NttOp::kInverseLazy) tables.inverse_lazy(a.data());
    if constexpr (op == NttOp::kInverse) tables.inverse(a.data());
    benchmark::DoNotOptimize(a.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Ntt<NttOp::kForwardLazy>)->Name("ntt_forward_lazy")->ArgsProduct({{1 << 13, 1 << 14, 1 << 15, 1 << 16}, {31, 51, 60}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Ntt<NttOp::kForward>)->Name("ntt_forward")->ArgsProduct({{1 << 13, 1 << 14, 1 << 15, 1 << 16}, {31, 51, 60}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Ntt<NttOp::kInverseLazy>)->Name("ntt_inverse_lazy")->ArgsProduct({{1 << 13, 1 << 14, 1 << 15, 1 << 16}, {31, 51, 60}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Ntt<NttOp::kInverse>)->Name("ntt_inverse")->ArgsProduct({{1 << 13, 1 << 14, 1 << 15, 1 << 16}, {31, 51, 60}})->Unit(benchmark::kMicrosecond);

// Fast base conversion at N = 2^14: args are (source primes, target primes).
void BM_BaseConvert(benchmark::State& state) {
  const std::size_t n = 1 << 14;
  const auto from_count = static_cast<std::size_t>(state.range(0)), to_count = static_cast<std::size_t>(state.range(1));
  const auto primes = generate_ntt_primes(60, from_count + to_count, n);
  const RnsBase from(std::vector<u64>(primes.begin(), primes.begin() + from_count));
  const RnsBase to(std::vector<u64>(primes.begin() + from_count, primes.end()));
  const BaseConverter conv(from, to);
  std::vector<u64> in(from_count * n), out(to_count * n);
  for (std::size_t i = 0; i < from_count; ++i) {
    const auto limb = random_residues(n, from[i].value, 2 + i);
    std::copy(limb.begin(), limb.end(), in.begin() + i * n);
  }
  for (auto _ : state) {
    conv.convert(in.data(), out.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BaseConvert)->Name("base_convert_n16384")->Args({4, 5})->Args({7, 2})->Unit(benchmark::kMicrosecond);

}  // namespace
