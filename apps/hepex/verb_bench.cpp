// `hepex bench ckks`: median times of the CKKS operations at SEAL's benchmark parameters, and key sizes
// (like `openssl speed`). One thread unless --threads says otherwise, as the SEAL figures are single-threaded.
#include <omp.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ckks/speed.hpp"
#include "number_check.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "verb.hpp"

namespace {

using hepex::ckks::SpeedConfig;
using hepex::ckks::SpeedReport;

struct BenchCkksOptions {
  SpeedConfig config;
  bool json = false;
};

// "60, 40 x 6": runs of equal sizes collapsed.
std::string bits_text(const std::vector<int>& bits) {
  std::string s;
  for (std::size_t i = 0; i < bits.size();) {
    std::size_t j = i;
    while (j < bits.size() && bits[j] == bits[i]) ++j;
    if (!s.empty()) s += ", ";
    s += std::to_string(bits[i]);
    if (j - i > 1) s += " x " + std::to_string(j - i);
    i = j;
  }
  return s;
}

std::string time_text(double us) {
  char buf[32];
  if (us < 1e3)
    std::snprintf(buf, sizeof(buf), "%8.1f us", us);
  else if (us < 1e6)
    std::snprintf(buf, sizeof(buf), "%8.2f ms", us / 1e3);
  else
    std::snprintf(buf, sizeof(buf), "%8.2f s ", us / 1e6);
  return buf;
}

void print_table(const SpeedReport& r) {
  std::printf("CKKS, N = %zu, data primes {%s}, special primes {%s}, dnum %zu%s\n", r.n, bits_text(r.data_bits).c_str(),
              bits_text(r.special_bits).c_str(), r.dnum, r.secure ? "" : " (NOT 128-bit secure: cost comparison only)");
  std::printf("%d thread%s, median of %zu runs (ntt_forward: at least 100, galois_keygen_pow2: at most 3)\n\n",
              r.threads, r.threads == 1 ? "" : "s", r.reps);
  std::printf("%-22s %12s %12s\n", "operation", "median", "minimum");
  for (const auto& t : r.timings)
    std::printf("%-22s %12s %12s\n", t.op.c_str(), time_text(t.median_us).c_str(), time_text(t.min_us).c_str());
  const auto& s = r.sizes;
  std::printf("\n%-22s %14s %14s\n", "key size (bytes)", "expanded", "seeded");
  std::printf("%-22s %14zu %14zu\n", "public key", s.public_key, s.public_key_seeded);
  std::printf("%-22s %14zu %14zu\n", "relinearization key", s.relin_key, s.relin_key_seeded);
  std::printf("%-22s %14zu %14zu\n", "one Galois key", s.galois_key, s.galois_key_seeded);
}

void print_json(const SpeedReport& r) {
  nlohmann::ordered_json j;
  for (const auto& t : r.timings) j[t.op] = t.median_us;
  for (const auto& t : r.timings) j["minimum"][t.op] = t.min_us;
  j["parameters"] = {{"n", r.n},       {"data_prime_bits", r.data_bits}, {"special_prime_bits", r.special_bits},
                     {"dnum", r.dnum}, {"secure_128", r.secure},         {"threads", r.threads},
                     {"reps", r.reps}};
  const auto& s = r.sizes;
  j["sizes"] = {{"public_key", s.public_key},   {"public_key_seeded", s.public_key_seeded},
                {"relin_key", s.relin_key},     {"relin_key_seeded", s.relin_key_seeded},
                {"galois_key", s.galois_key},   {"galois_key_seeded", s.galois_key_seeded}};
  std::printf("%s\n", j.dump(2).c_str());
}

void run_bench_ckks(const BenchCkksOptions& o) {
  const auto& global = hepex::cli::global_options();
  omp_set_num_threads(global.threads > 0 ? global.threads : 1);
  SpeedReport report;
  {
    hepex::ProgressLine line(stderr, global.quiet);
    try {
      report = hepex::ckks::measure_speed(o.config, [&](const std::string& op) { line.update("bench ckks: " + op); });
    } catch (const hepex::SecurityError& e) {
      throw hepex::SecurityError(std::string(e.what()) +
                                 " (add --allow-insecure to measure these parameters anyway, for cost comparisons)");
    }
  }
  if (o.json)
    print_json(report);
  else
    print_table(report);
}

const hepex::cli::VerbRegistrar reg(900, [](CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Measure the speed of the engine (like 'openssl speed')");
  bench->require_subcommand(1);
  auto opts = std::make_shared<BenchCkksOptions>();
  auto* ckks = bench->add_subcommand(
      "ckks", "CKKS operations at SEAL's benchmark parameters: medians (one thread unless --threads) and key sizes");
  ckks->add_option("--logn", opts->config.log_n, "Ring degree 2^logn: 14 = {60, 40 x 6} + {60}, 15 = {60, 40 x 19} + {60}")
      ->check(CLI::IsMember({14, 15}))
      ->capture_default_str();
  ckks->add_option("--dnum", opts->config.dnum,
                   "Key-switching digits (hybrid key switching; default: one per data prime, as SEAL)")
      ->check(hepex::cli::whole_in(1, 64));
  ckks->add_option("--reps", opts->config.reps, "Timed runs per operation")
      ->check(hepex::cli::whole_in(1, 100000))
      ->capture_default_str();
  ckks->add_flag("--json", opts->json, "Print a JSON object instead of a table");
  ckks->add_flag("--allow-insecure", opts->config.allow_insecure,
                 "Measure even when the chain exceeds the 128-bit bound (small dnum at the same depth)");
  ckks->callback([opts] { run_bench_ckks(*opts); });
});

}  // namespace
