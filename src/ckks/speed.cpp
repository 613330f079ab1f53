#include "ckks/speed.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <complex>
#include <memory>
#include <optional>

#include "ckks/context.hpp"
#include "ckks/decryptor.hpp"
#include "ckks/encoder.hpp"
#include "ckks/encryptor.hpp"
#include "ckks/evaluator.hpp"
#include "ckks/keygen.hpp"
#include "util/csprng.hpp"
#include "util/error.hpp"

namespace hepex::ckks {

const std::vector<std::string> kSpeedOperations = {
    "ntt_forward", "encode", "encrypt_pk", "decrypt_decode", "add",  "multiply_plain",
    "multiply_relin", "rescale", "rotate", "galois_keygen_pow2"};

namespace {

// SEAL's benchmark chains: 60-bit first prime, 40-bit scaling primes, 60-bit special primes.
constexpr int kFirstBits = 60, kScaleBits = 40, kSpecialBits = 60;

std::size_t levels_for(int log_n) {
  if (log_n == 14) return 6;
  if (log_n == 15) return 19;
  throw InvalidArgument("speed: --logn must be 14 or 15 (SEAL's benchmark parameters), got " + std::to_string(log_n));
}

std::vector<int> bit_sizes(const std::vector<u64>& moduli) {
  std::vector<int> bits;
  for (u64 q : moduli) bits.push_back(64 - __builtin_clzll(q));
  return bits;
}

struct MedianMin {
  double median, min;
};

// Median and minimum wall time of `reps` runs of op(), each preceded by an untimed setup() (fresh operands), after
// `warmup` untimed runs.
template <class Setup, class Op>
MedianMin time_us(std::size_t reps, std::size_t warmup, Setup&& setup, Op&& op) {
  using Clock = std::chrono::steady_clock;
  for (std::size_t i = 0; i < warmup; ++i) {
    setup();
    op();
  }
  std::vector<double> us;
  for (std::size_t i = 0; i < reps; ++i) {
    setup();
    const auto t0 = Clock::now();
    op();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  const std::size_t m = us.size() / 2;
  return {us.size() % 2 ? us[m] : 0.5 * (us[m - 1] + us[m]), us.front()};
}

}  // namespace

CkksParameters speed_parameters(int log_n, std::size_t dnum, bool allow_insecure) {
  const std::size_t levels = levels_for(log_n);
  if (dnum == 0) dnum = levels + 1;
  const SecurityLevel security = allow_insecure ? SecurityLevel::kInsecureForTestsOnly : SecurityLevel::kClassical128;
  return CkksParameters::create(std::size_t{1} << log_n, kFirstBits, kScaleBits, levels, dnum, security,
                                kSpecialBits);
}

SpeedReport measure_speed(const SpeedConfig& config, const std::function<void(const std::string&)>& progress) {
  if (config.reps == 0) throw InvalidArgument("speed: the number of repetitions must be at least 1");
  const CkksParameters params = speed_parameters(config.log_n, config.dnum, config.allow_insecure);
  const auto ctx = CkksContext::create(params);
  const std::size_t n = ctx->n(), top = ctx->max_level(), reps = config.reps;
  const double scale = params.default_scale();

  SpeedReport report;
  report.n = n;
  report.data_bits = bit_sizes(params.data_moduli());
  report.special_bits = bit_sizes(params.special_moduli());
  report.dnum = params.dnum();
  report.secure = max_log_qp_128(n) > 0 && params.total_bits() <= max_log_qp_128(n);
  report.threads = omp_get_max_threads();
  report.reps = reps;
  auto record = [&](const std::string& op, MedianMin t) { report.timings.push_back({op, t.median, t.min}); };
  auto announce = [&](const std::string& op) {
    if (progress) progress(op);
  };
  auto nothing = [] {};

  // Keys (not timed, except the power-of-two Galois keys below). Benchmark keys may use fixed seeds.
  announce("keys");
  KeyGenerator keygen(ctx, seed_from_u64(1));
  const PublicKey pk = keygen.create_public_key();
  const RelinKey rk = keygen.create_relin_key();
  const GaloisKeys gk_one = keygen.create_galois_keys(std::vector<long long>{1}, false);
  report.sizes = measure_key_sizes(pk, rk, gk_one);

  CkksEncoder encoder(ctx);
  Encryptor encryptor(ctx, pk, seed_from_u64(2));
  Decryptor decryptor(ctx, keygen.secret_key());
  Evaluator ev(ctx);

  Csprng rng(seed_from_u64(3));
  std::vector<std::complex<double>> values(n / 2);
  for (auto& v : values) v = {2 * rng.next_double() - 1, 2 * rng.next_double() - 1};

  announce("ntt_forward");
  {
    const NttTables& ntt = ctx->ntt(0);
    std::vector<u64> a(n);
    for (auto& x : a) x = rng.uniform_below(ctx->modulus(0).value);
    // SEAL's figure is its lazy forward transform (outputs < 4q, accepted again as input).
    record("ntt_forward", time_us(std::max<std::size_t>(reps, 100), 10, nothing, [&] { ntt.forward_lazy(a.data()); }));
  }

  announce("encode");
  std::optional<Plaintext> pt;
  record("encode", time_us(reps, 1, nothing, [&] { pt.emplace(encoder.encode(values, scale, top)); }));

  announce("encrypt_pk");
  std::optional<Ciphertext> ct;
  record("encrypt_pk", time_us(reps, 1, nothing, [&] { ct.emplace(encryptor.encrypt(*pt)); }));
  const Ciphertext a = *ct, b = encryptor.encrypt(*pt);

  announce("decrypt_decode");
  std::vector<std::complex<double>> decoded;
  record("decrypt_decode", time_us(reps, 1, nothing, [&] { decoded = encoder.decode(decryptor.decrypt(a)); }));

  // In-place operations on a fresh copy each time (the copy is not timed).
  Ciphertext work;
  auto fresh = [&] { work = a; };
  announce("add");
  record("add", time_us(reps, 1, fresh, [&] { ev.add_inplace(work, b); }));
  announce("multiply_plain");
  record("multiply_plain", time_us(reps, 1, fresh, [&] { ev.multiply_plain_inplace(work, *pt); }));
  announce("multiply_relin");
  record("multiply_relin", time_us(reps, 1, nothing, [&] { ct.emplace(ev.multiply_relin(a, b, rk)); }));
  const Ciphertext product = *ct;
  announce("rescale");
  record("rescale", time_us(reps, 1, [&] { work = product; }, [&] { ev.rescale_inplace(work); }));
  announce("rotate");
  record("rotate", time_us(reps, 1, fresh, [&] { ev.rotate_inplace(work, 1, gk_one); }));

  // Seconds per run and gigabytes of keys at N = 2^15: fewer runs, and the previous set is freed untimed.
  announce("galois_keygen_pow2");
  std::optional<GaloisKeys> all_pow2;
  record("galois_keygen_pow2", time_us(std::min<std::size_t>(reps, 3), 0, [&] { all_pow2.reset(); },
                                         [&] { all_pow2.emplace(keygen.create_power_of_two_galois_keys()); }));
  return report;
}

}  // namespace hepex::ckks
