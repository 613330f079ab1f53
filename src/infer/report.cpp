#include "infer/report.hpp"

#include <omp.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "io/safe_file.hpp"
#include "util/error.hpp"

namespace hepex::infer {

using backend::Op;
using json = nlohmann::json;

std::size_t peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmHWM:  1234 kB"
  return 0;
}

Report make_report(const Plan& plan, const std::vector<LayerRun>& runs, const std::string& backend, WeightMode mode) {
  Report r;
  r.backend = backend;
  r.weight_mode = weight_mode_name(mode);
  r.threads = omp_get_max_threads();
  r.ring_degree = plan.ckks.ring_degree;
  r.batch = plan.batch;
  r.depth = plan.depth;
  r.tile = plan.tile_sizes();
  r.est_latency_s = mode == WeightMode::kPreEncoded ? plan.est_latency_preencoded_s : plan.est_latency_onthefly_s;
  for (std::size_t l = 0; l < runs.size(); ++l) {
    LayerReport lr;
    lr.in = plan.layers[l].in;
    lr.out = plan.layers[l].out;
    lr.transposed = plan.layers[l].transposed;
    lr.tiles_kept = plan.layers[l].tiles_kept;
    lr.tiles_total = plan.layers[l].tiles_total;
    lr.run = runs[l];
    r.latency_s += runs[l].seconds;
    r.model_bytes += runs[l].weight_bytes;
    r.tiles_kept += lr.tiles_kept;
    r.tiles_total += lr.tiles_total;
    r.layers.push_back(lr);
  }
  return r;
}

void fill_errors(Report& r, const std::vector<double>& y, const std::vector<double>& plain, const std::vector<double>& x) {
  if (y.size() != plain.size()) throw MismatchError("report: decrypted and plaintext outputs differ in size");
  double max_abs = 0, se = 0, se_plain_in = 0, se_in = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double d = y[i] - plain[i];
    max_abs = std::max(max_abs, std::abs(d));
    se += d * d;
  }
  r.max_abs_error = max_abs;
  r.mse_vs_plain = y.empty() ? 0 : se / double(y.size());
  if (x.size() == y.size() && !y.empty()) {
    for (std::size_t i = 0; i < y.size(); ++i) {
      se_in += (y[i] - x[i]) * (y[i] - x[i]);
      se_plain_in += (plain[i] - x[i]) * (plain[i] - x[i]);
    }
    r.mse_vs_input = se_in / double(y.size());
    r.plain_mse_vs_input = se_plain_in / double(y.size());
  }
}

namespace {
json number_or_null(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

// Per process and layer: compute and gather time and bytes (docs/REPORT.md); [] in one process.
json processes_json(const std::vector<std::vector<LayerRun>>& processes) {
  json out = json::array();
  for (const auto& runs : processes) {
    json layers = json::array();
    for (const auto& run : runs)
      layers.push_back({{"seconds", run.seconds},
                        {"compute_seconds", run.seconds - run.gather_seconds},
                        {"compute_cpu_seconds", run.compute_cpu_seconds},
                        {"gather_seconds", run.gather_seconds},
                        {"gather_bytes", run.gather_bytes},
                        {"ct_pt_multiplies", run.counts[Op::kMultiplyPlain]},
                        {"rotations", run.counts[Op::kRotate]}});
    out.push_back({{"layers", layers}});
  }
  return out;
}
}  // namespace

json Report::to_json() const {
  json layers_j = json::array();
  for (const auto& l : layers) {
    json counts = json::object();
    for (std::size_t i = 0; i < backend::kOpKinds; ++i)
      if (l.run.counts.n[i]) counts[backend::op_name(static_cast<Op>(i))] = l.run.counts.n[i];
    layers_j.push_back({{"in", l.in},
                        {"out", l.out},
                        {"orientation", l.transposed ? "transposed" : "rows"},
                        {"tiles_kept", l.tiles_kept},
                        {"tiles_total", l.tiles_total},
                        {"ct_pt_multiplies", l.run.counts[Op::kMultiplyPlain]},
                        {"rotations", l.run.counts[Op::kRotate]},
                        {"rescales", l.run.counts[Op::kRescale]},
                        {"level_in", l.run.level_in},
                        {"level_out", l.run.level_out},
                        {"seconds", l.run.seconds},
                        {"weight_bytes", l.run.weight_bytes},
                        {"counts", counts}});
  }
  return {{"backend", backend},
          {"weight_mode", weight_mode},
          {"threads", threads},
          {"ring_degree", ring_degree},
          {"depth", depth},
          {"tile", tile},
          {"batch", batch},
          {"samples", samples},
          {"latency_s", latency_s},
          {"est_latency_s", est_latency_s},
          {"preencode_s", preencode_s},
          {"keygen_s", keygen_s},
          {"encrypt_s", encrypt_s},
          {"decrypt_s", decrypt_s},
          {"peak_rss_bytes", peak_rss_bytes},
          {"model_bytes", model_bytes},
          {"resident_model_bytes", resident_model_bytes},
          {"eval_key_bytes", eval_key_bytes},
          {"input_ct_bytes", input_ct_bytes},
          {"output_ct_bytes", output_ct_bytes},
          {"tiles_kept", tiles_kept},
          {"tiles_total", tiles_total},
          {"max_abs_error", number_or_null(max_abs_error)},
          {"mse_vs_plain", number_or_null(mse_vs_plain)},
          {"mse_vs_input", number_or_null(mse_vs_input)},
          {"plain_mse_vs_input", number_or_null(plain_mse_vs_input)},
          {"layers", layers_j},
          {"processes", processes_json(process_runs)}};
}

std::string Report::format_table() const {
  std::ostringstream o;
  char buf[256];
  o << "layer  in->out     orient  tiles kept/total  ct*pt    rot  rescale  level     time s  weights MB\n";
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const auto& L = layers[l];
    std::snprintf(buf, sizeof buf, "%5zu  %4zu->%-5zu  %-6s  %8zu/%-8zu %6llu %6llu %8llu  %2d -> %-2d %8.2f %11.1f\n", l,
                  L.in, L.out, L.transposed ? "T" : "R", L.tiles_kept, L.tiles_total,
                  (unsigned long long)L.run.counts[Op::kMultiplyPlain], (unsigned long long)L.run.counts[Op::kRotate],
                  (unsigned long long)L.run.counts[Op::kRescale], L.run.level_in, L.run.level_out, L.run.seconds,
                  L.run.weight_bytes / 1e6);
    o << buf;
  }
  std::snprintf(buf, sizeof buf,
                "total: latency %.2f s (estimate %.2f s, %s weights, %d threads, %s backend), tiles %zu/%zu\n"
                "memory: peak RSS %.2f GB, model %.1f MB (resident %.1f MB), eval keys %.1f MB, "
                "ciphertexts in %.1f MB / out %.1f MB\n",
                latency_s, est_latency_s, weight_mode.c_str(), threads, backend.c_str(), tiles_kept, tiles_total,
                peak_rss_bytes / 1e9, model_bytes / 1e6, resident_model_bytes / 1e6, eval_key_bytes / 1e6,
                input_ct_bytes / 1e6, output_ct_bytes / 1e6);
  o << buf;
  if (!std::isnan(max_abs_error)) {
    std::snprintf(buf, sizeof buf, "error vs plaintext model: max abs %.3e, MSE %.3e", max_abs_error, mse_vs_plain);
    o << buf;
    if (!std::isnan(mse_vs_input)) {
      std::snprintf(buf, sizeof buf, "; reconstruction MSE encrypted %.6f, plaintext %.6f (diff %.2e)", mse_vs_input,
                    plain_mse_vs_input, std::abs(mse_vs_input - plain_mse_vs_input));
      o << buf;
    }
    o << '\n';
  }
  for (std::size_t p = 0; p < process_runs.size(); ++p) {
    o << "process " << p << ": compute (CPU) / gather s (gather MB) per layer:";
    for (const auto& run : process_runs[p]) {
      std::snprintf(buf, sizeof buf, "  %.2f (%.2f) / %.2f (%.1f)", run.seconds - run.gather_seconds,
                    run.compute_cpu_seconds, run.gather_seconds, run.gather_bytes / 1e6);
      o << buf;
    }
    o << '\n';
  }
  return o.str();
}

void Report::save(const std::string& path) const { io::write_file_atomic(path, to_json().dump(2) + "\n"); }

}  // namespace hepex::infer
