#pragma once
// The report of one encrypted inference (what `hepex infer --report` and `hepex demo --report` write; the
// fields are documented in docs/REPORT.md). Per layer: weight tiles kept/total, ct x pt multiplies,
// rotations, rescales, levels, time, weight bytes. Totals: latency, peak resident memory, model, key and
// ciphertext bytes, and the errors against the plaintext model when the outputs were decrypted.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infer/executor.hpp"
#include "infer/plan.hpp"

namespace hepex::infer {

struct LayerReport {
  std::size_t in = 0, out = 0;
  bool transposed = true;
  std::size_t tiles_kept = 0, tiles_total = 0;
  LayerRun run;
};

struct Report {
  std::string backend;  // "ckks" or "sim"
  std::string weight_mode;
  int threads = 1;
  std::size_t ring_degree = 0, batch = 0, samples = 0;
  int depth = 0;
  std::vector<std::size_t> tile;  // t1, t2, t3
  double latency_s = 0;           // server evaluation (after the weights were encoded, if pre-encoded)
  double preencode_s = 0, keygen_s = 0, encrypt_s = 0, decrypt_s = 0;
  std::size_t peak_rss_bytes = 0;
  std::size_t model_bytes = 0;           // encoded weight + bias plaintexts (the whole model, as used)
  std::size_t resident_model_bytes = 0;  // held in memory at once (pre-encoded: all; on-the-fly: biases)
  std::size_t eval_key_bytes = 0;        // eval.keys file (or its in-memory estimate)
  std::size_t input_ct_bytes = 0, output_ct_bytes = 0;  // client -> server, server -> client
  std::size_t tiles_kept = 0, tiles_total = 0;
  double est_latency_s = 0;
  double nan = std::numeric_limits<double>::quiet_NaN();
  double max_abs_error = nan, mse_vs_plain = nan, mse_vs_input = nan, plain_mse_vs_input = nan;
  std::vector<LayerReport> layers;
  // A shared evaluation (infer/distribution.hpp): each process's layer runs, process 0 first (`layers` then
  // hold the counts and weight bytes summed over the processes and process 0's times). Empty in one process.
  std::vector<std::vector<LayerRun>> process_runs;

  nlohmann::json to_json() const;
  std::string format_table() const;
  void save(const std::string& path) const;
};

// Report fields that follow from the plan and the executor's per-layer runs.
Report make_report(const Plan& plan, const std::vector<LayerRun>& runs, const std::string& backend, WeightMode mode);

// Errors of decrypted outputs (original order, count x output width) against the plaintext outputs, and
// the reconstruction MSE against the inputs when the widths agree (autoencoders).
void fill_errors(Report& r, const std::vector<double>& decrypted, const std::vector<double>& plain,
                 const std::vector<double>& inputs);

// Peak resident set size of this process (VmHWM), 0 if unknown.
std::size_t peak_rss_bytes();

}  // namespace hepex::infer
