// Canonical embedding (full slots) and the samplers at CKKS sizes. Target: embed / embed_inverse at
// n = 2^15 well under 1 ms; sample_uniform a few ms for 2^15 x 20 limbs.
#include <benchmark/benchmark.h>

#include <complex>
#include <vector>

#include "ckks/fft.hpp"
#include "ckks/sampling.hpp"

namespace {

using hepex::ckks::SpecialFft;

std::vector<std::complex<double>> bench_slots(std::size_t s) {
  hepex::Csprng rng(hepex::seed_from_u64(1));
  std::vector<std::complex<double>> z(s);
  for (auto& v : z) v = {rng.next_double(), rng.next_double()};
  return z;
}

void BM_EmbedInverse(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0)), s = n / 2;
  const SpecialFft fft(n);
  const auto z = bench_slots(s);
  std::vector<double> coeffs(n);
  for (auto _ : state) {
    fft.embed_inverse(z.data(), s, coeffs.data());
    benchmark::DoNotOptimize(coeffs.data());
  }
}
BENCHMARK(BM_EmbedInverse)->Arg(1 << 14)->Arg(1 << 15)->Unit(benchmark::kMicrosecond);

void BM_Embed(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0)), s = n / 2;
  const SpecialFft fft(n);
  const auto z = bench_slots(s);
  std::vector<double> coeffs(n);
  fft.embed_inverse(z.data(), s, coeffs.data());
  std::vector<std::complex<double>> out(s);
  for (auto _ : state) {
    fft.embed(coeffs.data(), s, out.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Embed)->Arg(1 << 14)->Arg(1 << 15)->Unit(benchmark::kMicrosecond);

// Moduli shaped like a CKKS chain: 60-bit special/first primes and 40-bit scaling primes (values need
// not be prime for the samplers; what matters is the bit length and the rejection rate).
std::vector<hepex::ckks::Modulus> bench_moduli(std::size_t limbs) {
  std::vector<hepex::ckks::Modulus> m;
  for (std::size_t j = 0; j < limbs; ++j)
    m.emplace_back(j == 0 ? (hepex::ckks::u64{1} << 60) - 93 : (hepex::ckks::u64{1} << 40) - 87 - 2 * j);
  return m;
}

void BM_SampleUniform(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0)), limbs = static_cast<std::size_t>(state.range(1));
  const auto moduli = bench_moduli(limbs);
  std::vector<hepex::ckks::u64> out(n * limbs);
  hepex::Csprng rng(hepex::seed_from_u64(2));
  for (auto _ : state) {
    hepex::ckks::sample_uniform(rng, n, moduli, out.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_SampleUniform)->Args({1 << 14, 8})->Args({1 << 15, 20})->Unit(benchmark::kMicrosecond);

void BM_SampleGaussian(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0)), limbs = static_cast<std::size_t>(state.range(1));
  const auto moduli = bench_moduli(limbs);
  std::vector<hepex::ckks::u64> out(n * limbs);
  hepex::Csprng rng(hepex::seed_from_u64(3));
  for (auto _ : state) {
    const auto e = hepex::ckks::sample_gaussian(rng, n);
    hepex::ckks::small_to_rns(e.data(), n, moduli, out.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_SampleGaussian)->Args({1 << 14, 8})->Unit(benchmark::kMicrosecond);

void BM_SampleTernary(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  hepex::Csprng rng(hepex::seed_from_u64(4));
  for (auto _ : state) benchmark::DoNotOptimize(hepex::ckks::sample_ternary(rng, n).data());
}
BENCHMARK(BM_SampleTernary)->Arg(1 << 14)->Unit(benchmark::kMicrosecond);

}  // namespace
