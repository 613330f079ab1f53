#pragma once
// `openssl speed` for the CKKS engine: median wall-clock times of the basic operations at SEAL's benchmark
// parameters, so that our numbers can be put beside SEAL 4.4.3's (docs/BENCHMARKS.md). The caller picks the
// thread count (OpenMP); the SEAL figures are single-threaded.
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ckks/params.hpp"
#include "ckks/serialize.hpp"

namespace hepex::ckks {

struct SpeedConfig {
  int log_n = 14;          // 14: SEAL's {60, 40 x 6} + {60}; 15: {60, 40 x 19} + {60}
  std::size_t dnum = 0;    // 0: one digit per data prime (SEAL's key switching)
  std::size_t reps = 10;   // timed runs per operation after one warm-up (ntt_forward: at least 100;
                          // galois_keygen_pow2: at most 3, no warm-up)
  bool allow_insecure = false;  // measure even if the chain exceeds the 128-bit bound (cost comparisons only)
};

struct SpeedReport {
  std::size_t n = 0;
  std::vector<int> data_bits, special_bits;
  std::size_t dnum = 0;
  bool secure = true;  // passes the 128-bit classical bound of the HE Standard
  int threads = 1;
  std::size_t reps = 0;
  // One entry per operation, in the order of kSpeedOperations. The minimum is reported beside the median
  // because on a shared machine it is the better estimate of the undisturbed cost.
  struct Timing {
    std::string op;
    double median_us = 0, min_us = 0;
  };
  std::vector<Timing> timings;
  KeySizes sizes;
};

// The operations measured, in report order.
extern const std::vector<std::string> kSpeedOperations;

// The benchmark chain for log_n (14 or 15) and dnum (0: number of data primes): the data primes of SEAL's
// benchmark and the fewest 60-bit special primes whose product covers every key-switching digit.
// Throws SecurityError when the chain exceeds the 128-bit bound and allow_insecure is false.
CkksParameters speed_parameters(int log_n, std::size_t dnum, bool allow_insecure);

// Runs every measurement; `progress` (optional) receives the name of each operation before it is timed.
SpeedReport measure_speed(const SpeedConfig& config, const std::function<void(const std::string&)>& progress = {});

}  // namespace hepex::ckks
