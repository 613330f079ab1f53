#include "study/experiment.hpp"

#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include "prune/masks.hpp"
#include "prune/tiling.hpp"
#include "session/pruning.hpp"
#include "study/dense_baseline.hpp"
#include "study/format.hpp"
#include "study/results_csv.hpp"
#include "study/results_report.hpp"
#include "util/error.hpp"

namespace hepex::study {
namespace fs = std::filesystem;

std::string new_experiment_dir_name() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, "experiment-%Y%m%d-%H%M%S", &utc);
  return buf;
}

MethodSpec parse_method_spec(const std::string& text) {
  const auto slash = text.find('/');
  if (slash != std::string::npos && text.substr(slash) != "/sal")
    throw InvalidArgument("experiment: method '" + text + "': the only suffix is /sal");
  return {prune::parse_method(text.substr(0, slash)), slash != std::string::npos};
}

void check_experiment_config(const ExperimentConfig& config) {
  for (const auto& method : config.methods) parse_method_spec(method);
  for (const auto& tile : config.tiles) prune::parse_tile_shape(tile);
  std::error_code ec;
  if (config.overwrite || !fs::is_directory(config.out_dir, ec) || fs::is_empty(config.out_dir, ec)) return;
  throw InvalidArgument("experiment: output directory '" + config.out_dir +
                        "' is not empty; choose a new --out (the default is a new experiment-<date>-<time>), or add "
                        "--force to replace its results (the dense models cached there are reused)");
}

std::set<std::size_t> rows_to_encrypt(const std::vector<ExperimentRow>& rows, std::size_t first,
                                      const std::vector<double>& bounds) {
  std::set<std::size_t> chosen{first};
  for (double bound : bounds) {
    std::optional<std::size_t> best;
    for (std::size_t i = first + 1; i < rows.size(); ++i)
      if (rows[i].delta_mse <= bound && (!best || rows[i].cost_kept < rows[*best].cost_kept)) best = i;
    if (best) chosen.insert(*best);
  }
  return chosen;
}

namespace {

// Weight tiles of one tile shape, counted plainly and weighted by their layer's HE cost.
class TileCounter {
 public:
  TileCounter(const nn::Model& dense, int t1, int t2)
      : dims_(prune::chain_tile_dims(dense.layers().size(), t1, t2)), costs_(he_tile_costs(dense, t1, t2)) {}
  const std::vector<double>& layer_costs() const { return costs_; }
  // (kept, total) tiles weighted by cost.
  std::pair<double, double> weighted(const nn::Model& model) const {
    const auto per_layer = prune::tiles_per_layer(model, dims_);
    double kept = 0, total = 0;
    for (std::size_t l = 0; l < per_layer.size(); ++l) {
      kept += costs_[l] * static_cast<double>(per_layer[l].kept);
      total += costs_[l] * static_cast<double>(per_layer[l].total);
    }
    return {kept, total};
  }
  const std::vector<prune::TileDims>& dims() const { return dims_; }

 private:
  std::vector<prune::TileDims> dims_;
  std::vector<double> costs_;
};

// What every point of one architecture shares.
struct ArchSweep {
  const ExperimentConfig& config;
  const std::string& arch;
  const DenseSetup& setup;
  Baselines& baselines;
  ProgressLine& progress;
};

ExperimentRow dense_row(const ArchSweep& s, const std::string& tile, const TileCounter& counter) {
  const auto tiles = prune::total_tiles(s.setup.model, counter.dims());
  ExperimentRow row;
  row.arch = s.arch;
  row.tile = tile;
  row.method = "dense";
  row.tiles_kept = static_cast<long>(tiles.kept);
  row.tiles_total = static_cast<long>(tiles.total);
  std::tie(row.cost_kept, row.cost_total) = counter.weighted(s.setup.model);
  row.mse_pruned = row.mse_dense = s.baselines.after(0);
  row.weight_density = 1.0;
  row.model_path = s.setup.path;
  return row;
}

prune::PruneConfig point_config(const ExperimentConfig& config, const MethodSpec& spec, int t1, int t2,
                                double fraction, const TileCounter& counter) {
  prune::PruneConfig pc = config.prune;
  pc.method = spec.method;
  pc.t1 = t1;
  pc.t2 = t2;
  if (spec.saliency) {
    pc.saliency = true;
    pc.layer_cost = counter.layer_costs();
  }
  pc.fraction = fraction;
  pc.finetune.loss = nn::Loss::kMse;
  return pc;
}

// Prunes and fine-tunes the dense model at one (method, fraction), saves it, and measures it.
ExperimentRow pruned_row(const ArchSweep& s, const std::string& tile, const std::string& method, double fraction,
                         const TileCounter& counter) {
  const auto [t1, t2] = prune::parse_tile_shape(tile);
  const prune::PruneConfig pc = point_config(s.config, parse_method_spec(method), t1, t2, fraction, counter);
  s.progress.step(s.arch + " " + tile + " " + method + " " + format_number(fraction, "%.3g"));
  prune::PruneReport report;
  const nn::Model pruned = prune::prune_model(s.setup.model, s.setup.data.train, s.setup.data.val, pc, report);
  ExperimentRow row;
  row.arch = s.arch;
  row.tile = tile;
  row.method = s.config.tag.empty() ? method : method + "+" + s.config.tag;
  row.fraction = fraction;
  row.tiles_kept = static_cast<long>(report.tiles_kept);
  row.tiles_total = static_cast<long>(report.tiles_total);
  std::tie(row.cost_kept, row.cost_total) = counter.weighted(pruned);
  row.mse_pruned = nn::evaluate(pruned, s.setup.data.test, nn::Loss::kMse).loss;
  row.mse_dense = s.baselines.after(report.finetune_phases);
  row.delta_mse = row.mse_pruned - row.mse_dense;
  row.finetune_epochs = report.finetune_epochs;
  row.finetune_phases = report.finetune_phases;
  row.weight_density = report.weight_density;
  row.model_path = s.config.out_dir + "/pruned_" + slug(s.arch) + "_" + tile + "_" + slug(row.method) + "_" +
                   format_number(fraction, "%.3g") + ".hpx";
  pruned.save(row.model_path);
  s.progress.step("  tiles " + std::to_string(row.tiles_kept) + "/" + std::to_string(row.tiles_total) +
                  "  delta MSE " + format_number(row.delta_mse, "%+.3e"));
  return row;
}

// Encrypted inference for the rows of one (arch, tile) group that rows_to_encrypt chooses.
void measure_encrypted(const ArchSweep& s, const std::string& tile, std::vector<ExperimentRow>& rows,
                       std::size_t first, const HeRunner& he_runner) {
  for (std::size_t i : rows_to_encrypt(rows, first, s.config.bounds)) {
    s.progress.step("encrypted inference: " + rows[i].method + " " + format_number(rows[i].fraction, "%.3g") + " (" +
                    tile + ")");
    rows[i].he = he_runner(nn::Model::load(rows[i].model_path), tile, s.config.he_batch);
  }
}

// The dense row and every (method, fraction) of one tile shape, appended to `rows`.
void sweep_tile(const ArchSweep& s, const std::string& tile, std::vector<ExperimentRow>& rows,
                const HeRunner& he_runner) {
  const auto [t1, t2] = prune::parse_tile_shape(tile);
  const TileCounter counter(s.setup.model, t1, t2);
  const std::size_t first = rows.size();
  rows.push_back(dense_row(s, tile, counter));
  for (const auto& method : s.config.methods)
    for (double fraction : s.config.fractions) rows.push_back(pruned_row(s, tile, method, fraction, counter));
  if (s.config.he && he_runner) measure_encrypted(s, tile, rows, first, he_runner);
}

}  // namespace

std::vector<ExperimentRow> run_experiment(const ExperimentConfig& config, const HeRunner& he_runner) {
  check_experiment_config(config);  // before any training
  fs::create_directories(config.out_dir);
  ProgressLine progress(stderr, config.quiet);
  std::vector<ExperimentRow> rows;
  for (const auto& arch : config.archs) {
    const DenseSetup setup = dense_setup(config, arch, progress);
    Baselines baselines(config, setup.model, setup.data, progress);
    const ArchSweep sweep{config, arch, setup, baselines, progress};
    for (const auto& tile : config.tiles) sweep_tile(sweep, tile, rows, he_runner);
  }
  progress.finish();
  write_results(rows, config.bounds, config.out_dir, /*csv=*/true);
  return rows;
}

std::vector<ExperimentRow> replot_experiment(const std::string& out_dir, const std::vector<double>& bounds) {
  const auto rows = read_results_csv(out_dir + "/results.csv");
  write_results(rows, bounds, out_dir, /*csv=*/false);
  return rows;
}

std::vector<ExperimentRow> rebaseline_experiment(const ExperimentConfig& config) {
  const std::string csv = config.out_dir + "/results.csv";
  auto rows = read_results_csv(csv);
  ProgressLine progress(stderr, config.quiet);
  const int per_phase = config.prune.finetune.epochs;
  std::map<std::string, std::vector<ExperimentRow*>> by_arch;
  for (auto& r : rows) by_arch[r.arch].push_back(&r);
  for (const auto& [arch, arch_rows] : by_arch) {
    const DenseSetup setup = dense_setup(config, arch, progress);
    Baselines baselines(config, setup.model, setup.data, progress);
    for (ExperimentRow* r : arch_rows) {
      if (r->method == "dense") continue;
      if (per_phase <= 0 || r->finetune_epochs % per_phase != 0)
        throw InvalidArgument(csv + ": " + r->method + " " + format_number(r->fraction, "%g") + " was fine-tuned " +
                              std::to_string(r->finetune_epochs) + " epochs, not whole phases of --epochs " +
                              std::to_string(per_phase));
      r->finetune_phases = r->finetune_epochs / per_phase;
      r->mse_dense = baselines.after(r->finetune_phases);
      r->delta_mse = r->mse_pruned - r->mse_dense;
    }
  }
  progress.finish();
  write_results(rows, config.bounds, config.out_dir, /*csv=*/true);
  return rows;
}

}  // namespace hepex::study
