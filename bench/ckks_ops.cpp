// CKKS engine microbenchmarks, one thread, at the two parameter sets SEAL 4.4 is usually quoted for:
//   log N = 14: {60, 40 x 6} + special {60};   log N = 15: {60, 40 x 19} + special {60}
// (one special prime, dnum = number of data primes: SEAL's key switching); the rotate-and-sum benchmarks also
// at the default demo's chain (second argument 31): log N = 14, {43, 31 x 11} + special {51}. Run:
//   bench_ckks_ops --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <omp.h>

#include <map>
#include <memory>
#include <vector>

#include "ckks/decryptor.hpp"
#include "ckks/encoder.hpp"
#include "ckks/encryptor.hpp"
#include "ckks/evaluator.hpp"
#include "ckks/keygen.hpp"

using namespace hepex::ckks;

namespace {

struct Setup {
  std::shared_ptr<const CkksContext> ctx;
  std::unique_ptr<KeyGenerator> keygen;
  std::unique_ptr<CkksEncoder> encoder;
  std::unique_ptr<Encryptor> encryptor;
  std::unique_ptr<Decryptor> decryptor;
  std::unique_ptr<Evaluator> evaluator;
  RelinKey rk;
  GaloisKeys gk;
  std::vector<double> values;
  Plaintext pt;
  Ciphertext a, b;
  double scale = 0;
};

Setup& setup(int log_n, int prime_bits = 40) {
  static std::map<std::pair<int, int>, std::unique_ptr<Setup>> cache;
  auto& s = cache[{log_n, prime_bits}];
  if (s) return *s;
  omp_set_num_threads(1);
  s = std::make_unique<Setup>();
  const bool demo = prime_bits == 31;
  std::vector<int> bits{demo ? 43 : 60};
  bits.insert(bits.end(), demo ? 11 : log_n == 14 ? 6 : 19, prime_bits);
  const auto params = CkksParameters::from_bit_sizes(std::size_t{1} << log_n, bits, {demo ? 51 : 60}, bits.size());
  s->ctx = CkksContext::create(params);
  s->keygen = std::make_unique<KeyGenerator>(s->ctx);
  s->encoder = std::make_unique<CkksEncoder>(s->ctx);
  s->encryptor = std::make_unique<Encryptor>(s->ctx, s->keygen->create_public_key());
  s->decryptor = std::make_unique<Decryptor>(s->ctx, s->keygen->secret_key());
  s->evaluator = std::make_unique<Evaluator>(s->ctx);
  s->rk = s->keygen->create_relin_key();
  s->gk = s->keygen->create_galois_keys(std::vector<long long>{1}, false);
  s->scale = params.default_scale();
  s->values.resize(s->ctx->n() / 2);
  for (std::size_t i = 0; i < s->values.size(); ++i) s->values[i] = std::sin(0.001 * static_cast<double>(i));
  s->pt = s->encoder->encode(s->values, s->scale, s->ctx->max_level());
  s->a = s->encryptor->encrypt(s->pt);
  s->b = s->encryptor->encrypt(s->pt);
  return *s;
}

void BM_Encode(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(s.encoder->encode(s.values, s.scale, s.ctx->max_level()));
}
void BM_EncryptPublic(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(s.encryptor->encrypt(s.pt));
}
void BM_DecryptDecode(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(s.encoder->decode(s.decryptor->decrypt(s.a)));
}
void BM_Add(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  Ciphertext c = s.a;
  for (auto _ : st) s.evaluator->add_inplace(c, s.b);
}
void BM_MultiplyPlain(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(s.evaluator->multiply_plain(s.a, s.pt));
}
void BM_MultiplyRelin(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(s.evaluator->multiply_relin(s.a, s.b, s.rk));
}
void BM_Rescale(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  const Ciphertext prod = s.evaluator->multiply_relin(s.a, s.b, s.rk);
  for (auto _ : st) benchmark::DoNotOptimize(s.evaluator->rescale(prod));
}
void BM_Rotate1(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(s.evaluator->rotate(s.a, 1, s.gk));
}
void BM_HoistedRotate8(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  static std::map<int, GaloisKeys> keys;
  const std::vector<long long> steps{1, 2, 3, 4, 5, 6, 7, 8};
  if (!keys.count(static_cast<int>(st.range(0))))
    keys[static_cast<int>(st.range(0))] = s.keygen->create_galois_keys(steps, false);
  for (auto _ : st) benchmark::DoNotOptimize(s.evaluator->rotate_hoisted(s.a, steps, keys[static_cast<int>(st.range(0))]));
}
// sum_{i < 4} rotate(a, i): two doublings (rotate_and_sum) against one hoisted sum (rotate_sum: one
// decomposition, three inner products, one ModDown).
const GaloisKeys& steps_1_to_3(Setup& s) {
  static std::map<const Setup*, GaloisKeys> keys;
  if (!keys.count(&s)) keys[&s] = s.keygen->create_galois_keys(std::vector<long long>{1, 2, 3}, false);
  return keys[&s];
}
void BM_RotateAndSum4(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  const GaloisKeys& gk = steps_1_to_3(s);
  for (auto _ : st) benchmark::DoNotOptimize(s.evaluator->rotate_and_sum(s.a, 4, 1, gk));
}
// The same with the keys packed as a server holds them (32-bit words for primes below 2^31).
void BM_RotateSum4Packed(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  const GaloisKeys gk = steps_1_to_3(s).packed(*s.ctx);
  const std::vector<long long> steps{0, 1, 2, 3};
  for (auto _ : st) benchmark::DoNotOptimize(s.evaluator->rotate_sum(s.a, steps, gk));
}
void BM_RotateSum4(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  const GaloisKeys& gk = steps_1_to_3(s);
  const std::vector<long long> steps{0, 1, 2, 3};
  for (auto _ : st) benchmark::DoNotOptimize(s.evaluator->rotate_sum(s.a, steps, gk));
}
void BM_GaloisKeygenPowerOfTwo(benchmark::State& st) {
  Setup& s = setup(static_cast<int>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(s.keygen->create_power_of_two_galois_keys(false));
}

}  // namespace

#define HEPEX_CKKS_BENCH(fn) BENCHMARK(fn)->Arg(14)->Arg(15)->Unit(benchmark::kMillisecond)
HEPEX_CKKS_BENCH(BM_Encode);
HEPEX_CKKS_BENCH(BM_EncryptPublic);
HEPEX_CKKS_BENCH(BM_DecryptDecode);
HEPEX_CKKS_BENCH(BM_Add);
HEPEX_CKKS_BENCH(BM_MultiplyPlain);
HEPEX_CKKS_BENCH(BM_MultiplyRelin);
HEPEX_CKKS_BENCH(BM_Rescale);
HEPEX_CKKS_BENCH(BM_Rotate1);
HEPEX_CKKS_BENCH(BM_HoistedRotate8);
BENCHMARK(BM_RotateAndSum4)->Args({14, 40})->Args({15, 40})->Args({14, 31})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RotateSum4)->Args({14, 40})->Args({15, 40})->Args({14, 31})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RotateSum4Packed)->Args({14, 31})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GaloisKeygenPowerOfTwo)->Arg(14)->Arg(15)->Unit(benchmark::kMillisecond)->Iterations(1);
