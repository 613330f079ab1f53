#include "experiment.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "nn/job.hpp"
#include "prune/tiling.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "prune_options.hpp"
#include "session/pruning.hpp"
#include "verb.hpp"

namespace hepex::cli {
namespace fs = std::filesystem;

namespace {

std::string slug(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

std::string fmt(double v, const char* f = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

void write_csv(const std::vector<ExperimentRow>& rows, const std::string& path) {
  std::ostringstream out;
  out << "arch,tile,method,fraction,tiles_kept,tiles_total,cost_kept,cost_total,delta_mse,mse_pruned,mse_dense,"
         "finetune_epochs,finetune_phases,weight_density,he_latency_s,he_peak_rss_bytes,he_model_bytes\n";
  for (const auto& r : rows) {
    out << r.arch << "," << r.tile << "," << r.method << "," << r.fraction << "," << r.tiles_kept << ","
        << r.tiles_total << "," << r.cost_kept << "," << r.cost_total << "," << fmt(r.delta_mse, "%.4e") << "," << fmt(r.mse_pruned, "%.6e") << ","
        << fmt(r.mse_dense, "%.6e") << "," << r.finetune_epochs << "," << r.finetune_phases << "," << fmt(r.weight_density, "%.4f") << ",";
    if (r.he) out << fmt(r.he->latency_s, "%.3f") << "," << fmt(r.he->peak_rss_bytes, "%.0f") << "," << fmt(r.he->model_bytes, "%.0f");
    else out << ",,";
    out << "\n";
  }
  std::ofstream f(path);
  if (!f) throw IoError(path + ": cannot open for writing");
  f << out.str();
}

void write_markdown(const std::vector<ExperimentRow>& rows, const std::string& path) {
  std::ostringstream out;
  out << "| arch | tile | method | fraction | tiles kept | % of dense | % HE cost | delta MSE | MSE pruned / dense | HE latency (s) | HE peak RSS (MiB) | HE model (MiB) |\n"
         "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows) {
    out << "| " << r.arch << " | " << r.tile << " | " << r.method << " | " << r.fraction << " | " << r.tiles_kept << " / "
        << r.tiles_total << " | " << fmt(100.0 * r.tiles_kept / r.tiles_total, "%.1f") << " | "
        << fmt(100.0 * r.cost_kept / r.cost_total, "%.1f") << " | " << fmt(r.delta_mse, "%+.2e") << " | "
        << fmt(r.mse_pruned, "%.6f") << " / " << fmt(r.mse_dense, "%.6f") << " | ";
    if (r.he)
      out << fmt(r.he->latency_s, "%.2f") << " | " << fmt(r.he->peak_rss_bytes / 1048576.0, "%.0f") << " | "
          << fmt(r.he->model_bytes / 1048576.0, "%.1f") << " |\n";
    else
      out << " |  |  |\n";
  }
  std::ofstream f(path);
  if (!f) throw IoError(path + ": cannot open for writing");
  f << out.str();
}

// Reads a results.csv written by write_csv (the columns by name, so older files with fewer columns load).
std::vector<ExperimentRow> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot open for reading");
  const auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    return cells;
  };
  std::string line;
  if (!std::getline(in, line)) throw FormatError(path + ": empty, expected a results.csv header");
  const auto header = split(line);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* need : {"arch", "tile", "method", "fraction", "tiles_kept", "tiles_total", "delta_mse"})
    if (!col.count(need)) throw FormatError(path + ": no column '" + need + "'");
  std::vector<ExperimentRow> rows;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const auto cells = split(line);
    if (cells.size() != header.size())
      throw FormatError(path + ":" + std::to_string(n) + ": " + std::to_string(cells.size()) + " cells, the header has " +
                        std::to_string(header.size()));
    const auto text = [&](const char* name) { return col.count(name) ? cells[col[name]] : std::string(); };
    const auto number = [&](const char* name) {
      const std::string t = text(name);
      if (t.empty()) return 0.0;
      try {
        return std::stod(t);
      } catch (const std::exception&) {
        throw FormatError(path + ":" + std::to_string(n) + ": column " + name + ": '" + t + "' is not a number");
      }
    };
    ExperimentRow r;
    r.arch = text("arch");
    r.tile = text("tile");
    r.method = text("method");
    r.fraction = number("fraction");
    r.tiles_kept = static_cast<long>(number("tiles_kept"));
    r.tiles_total = static_cast<long>(number("tiles_total"));
    r.cost_kept = col.count("cost_kept") ? number("cost_kept") : static_cast<double>(r.tiles_kept);
    r.cost_total = col.count("cost_total") ? number("cost_total") : static_cast<double>(r.tiles_total);
    r.delta_mse = number("delta_mse");
    r.mse_pruned = number("mse_pruned");
    r.mse_dense = number("mse_dense");
    r.finetune_epochs = static_cast<int>(number("finetune_epochs"));
    r.finetune_phases = static_cast<int>(number("finetune_phases"));
    r.weight_density = number("weight_density");
    if (!text("he_latency_s").empty())
      r.he = HeMeasurement{number("he_latency_s"), number("he_peak_rss_bytes"), number("he_model_bytes")};
    if (r.tiles_total <= 0 || r.cost_total <= 0)
      throw FormatError(path + ":" + std::to_string(n) + ": tiles_total and cost_total must be positive");
    rows.push_back(r);
  }
  return rows;
}

// Two gnuplot PNGs per (arch, tile): delta MSE against remaining tiles and against remaining HE cost (tiles
// weighted by their limbs), one curve per method. The y axis is logarithmic; deltas at or below 1e-6
// (including negative ones: the pruned model beat the dense one) are drawn at 1e-6. Bounds are lines.
void write_plots(const std::vector<ExperimentRow>& rows, const std::vector<double>& bounds, const std::string& dir) {
  constexpr double kFloor = 1e-6;
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::vector<const ExperimentRow*>>> groups;
  for (const auto& r : rows)
    if (r.method != "dense") groups[{r.arch, r.tile}][r.method].push_back(&r);
  for (const auto& [key, methods] : groups) {
    const std::string base = dir + "/plot_" + slug(key.first) + "_" + key.second;
    const std::string dat_name = fs::path(base + ".dat").filename().string();
    std::ostringstream dat, plot;
    for (auto [method, pts] : methods) {
      // By fraction, so a curve made of several runs (grid, refinement) is drawn in order.
      std::stable_sort(pts.begin(), pts.end(), [](const ExperimentRow* a, const ExperimentRow* b) { return a->fraction < b->fraction; });
      dat << "# " << method << ": tiles %, HE cost %, delta MSE, delta drawn\n";
      for (const auto* p : pts)
        dat << 100.0 * p->tiles_kept / p->tiles_total << " " << 100.0 * p->cost_kept / p->cost_total << " "
            << p->delta_mse << " " << std::max(p->delta_mse, kFloor) << "\n";
      dat << "\n\n";
    }
    plot << "set terminal pngcairo size 900,600\nset key outside right top\nset grid\nset logscale y\n"
         << "set format y '%.0e'\nset yrange [1e-6:*]\nset ylabel 'delta test MSE vs dense, same epochs (<= 1e-6 drawn at 1e-6)'\n";
    for (double b : bounds) plot << "set arrow from graph 0, first " << b << " to graph 1, first " << b << " nohead dt 2\n";
    const struct {
      const char* suffix;
      const char* what;
      int column;
    } axes[] = {{"tiles", "remaining weight tiles (% of dense)", 1}, {"cost", "remaining HE cost: tiles x RNS limbs (% of dense)", 2}};
    for (const auto& axis : axes) {
      plot << "set output '" << fs::path(base + "_" + axis.suffix + ".png").filename().string() << "'\n"
           << "set title 'delta MSE vs " << axis.suffix << ": " << key.first << ", tile " << key.second << "' noenhanced\n"
           << "set xlabel '" << axis.what << "'\nplot ";
      std::size_t index = 0;
      for (const auto& entry : methods) {
        plot << (index ? ", " : "") << "'" << dat_name << "' index " << index << " using " << axis.column
             << ":4 with linespoints title '" << entry.first << "'";
        ++index;
      }
      plot << "\n";
    }
    std::ofstream(base + ".dat") << dat.str();
    std::ofstream(base + ".gp") << plot.str();
    const std::string cmd = "cd '" + dir + "' && gnuplot '" + fs::path(base + ".gp").filename().string() + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "experiment: gnuplot failed or is missing; %s.gp is left for plotting by hand\n", base.c_str());
  }
}

// "P3" or "P3/sal" (saliency per HE cost).
struct MethodSpec {
  prune::Method method;
  bool saliency = false;
};
MethodSpec parse_method_spec(const std::string& text) {
  const auto slash = text.find('/');
  if (slash != std::string::npos && text.substr(slash) != "/sal")
    throw InvalidArgument("experiment: method '" + text + "': the only suffix is /sal");
  return {prune::parse_method(text.substr(0, slash)), slash != std::string::npos};
}

}  // namespace

// The data of an architecture and its dense model, trained once and cached in the output directory by
// architecture, epochs, learning-rate decay and seed.
struct DenseSetup {
  nn::JobData data;
  nn::Model model;
  std::string path;
};

DenseSetup dense_setup(const ExperimentConfig& config, const std::string& arch, ProgressLine& progress) {
  nn::TrainJob job;
  job.arch = arch;
  job.data = config.data;
  job.seed = config.seed;
  job.config.epochs = config.dense_epochs;
  job.config.lr_decay = config.dense_lr_decay;
  DenseSetup s;
  s.data = nn::load_job_data(job);
  s.path = config.out_dir + "/dense_" + slug(arch) + "_e" + std::to_string(config.dense_epochs) +
           (config.dense_lr_decay != 1.0f ? "_d" + fmt(config.dense_lr_decay, "%g") : "") + "_s" +
           std::to_string(config.seed) + ".hpx";
  if (fs::exists(s.path)) {
    s.model = nn::Model::load(s.path);
    const std::string data = nn::canonical_data_name(config.data);
    if (!s.model.data_set().empty() && s.model.data_set() != data)
      throw InvalidArgument("experiment: the cached dense model " + s.path + " was trained on " + s.model.data_set() +
                            ", not " + data + "; use another --out");
    progress.step("reusing " + s.path);
  } else {
    progress.step("training dense " + arch);
    s.model = nn::run_train_job(job, [&](const nn::EpochStats& e) {
                progress.step("dense " + nn::format_epoch(e, config.dense_epochs, nn::Loss::kMse));
              }).model;
    s.model.save(s.path);
  }
  return s;
}

// Dense baselines: the dense model fine-tuned like a pruned model of k phases, computed once per k.
class Baselines {
 public:
  Baselines(const ExperimentConfig& config, const nn::Model& dense, const nn::JobData& data, ProgressLine& progress)
      : config_(config), dense_(dense), data_(data), progress_(progress) {}
  double after(int phases) {
    if (auto it = cache_.find(phases); it != cache_.end()) return it->second;
    if (phases > 0)
      progress_.step("dense baseline: " + std::to_string(phases) + " x " + std::to_string(config_.prune.finetune.epochs) +
                     " epochs");
    nn::TrainConfig tc = config_.prune.finetune;
    tc.loss = nn::Loss::kMse;
    return cache_[phases] = prune::equally_trained_dense_loss(dense_, data_.train, data_.val, data_.test, tc, phases);
  }

 private:
  const ExperimentConfig& config_;
  const nn::Model& dense_;
  const nn::JobData& data_;
  ProgressLine& progress_;
  std::map<int, double> cache_;
};

// results.csv (unless only re-plotting), results.md and the plots in `dir`.
void write_results(const std::vector<ExperimentRow>& rows, const std::vector<double>& bounds, const std::string& dir,
                   bool csv) {
  if (csv) write_csv(rows, dir + "/results.csv");
  write_markdown(rows, dir + "/results.md");
  write_plots(rows, bounds, dir);
}

std::vector<ExperimentRow> replot_experiment(const std::string& out_dir, const std::vector<double>& bounds) {
  const auto rows = read_csv(out_dir + "/results.csv");
  write_results(rows, bounds, out_dir, /*csv=*/false);
  return rows;
}

std::vector<ExperimentRow> rebaseline_experiment(const ExperimentConfig& config) {
  const std::string csv = config.out_dir + "/results.csv";
  auto rows = read_csv(csv);
  ProgressLine progress(stderr, global_options().quiet);
  const int per_phase = config.prune.finetune.epochs;
  std::map<std::string, std::vector<ExperimentRow*>> by_arch;
  for (auto& r : rows) by_arch[r.arch].push_back(&r);
  for (const auto& [arch, arch_rows] : by_arch) {
    const DenseSetup setup = dense_setup(config, arch, progress);
    Baselines baselines(config, setup.model, setup.data, progress);
    for (ExperimentRow* r : arch_rows) {
      if (r->method == "dense") continue;
      if (per_phase <= 0 || r->finetune_epochs % per_phase != 0)
        throw InvalidArgument(csv + ": " + r->method + " " + fmt(r->fraction, "%g") + " was fine-tuned " +
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

std::string new_experiment_dir_name() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, "experiment-%Y%m%d-%H%M%S", &utc);
  return buf;
}

namespace {
void refuse_non_empty_dir(const ExperimentConfig& config) {
  std::error_code ec;
  if (config.overwrite || !fs::is_directory(config.out_dir, ec) || fs::is_empty(config.out_dir, ec)) return;
  throw InvalidArgument("experiment: output directory '" + config.out_dir +
                        "' is not empty; choose a new --out (the default is a new experiment-<date>-<time>), or add "
                        "--force to replace its results (the dense models cached there are reused)");
}
}  // namespace

std::vector<ExperimentRow> run_experiment(const ExperimentConfig& config, const HeRunner& he_runner) {
  for (const auto& method : config.methods) parse_method_spec(method);  // fail before any training
  for (const auto& tile : config.tiles) prune::parse_tile_shape(tile);
  refuse_non_empty_dir(config);
  fs::create_directories(config.out_dir);
  const bool quiet = global_options().quiet;
  ProgressLine progress(stderr, quiet);
  std::vector<ExperimentRow> rows;

  for (const auto& arch : config.archs) {
    const DenseSetup setup = dense_setup(config, arch, progress);
    const nn::JobData& data = setup.data;
    const nn::Model& dense = setup.model;
    const std::string& dense_path = setup.path;
    const nn::Loss loss = nn::Loss::kMse;
    Baselines baselines(config, dense, data, progress);

    for (const auto& tile : config.tiles) {
      const auto [t1, t2] = prune::parse_tile_shape(tile);
      const auto dims = prune::chain_tile_dims(dense.layers().size(), t1, t2);
      const auto dense_tiles = prune::total_tiles(dense, dims);
      const std::vector<double> costs = he_tile_costs(dense, t1, t2);
      const auto weighted = [&](const nn::Model& m) {
        const auto per_layer = prune::tiles_per_layer(m, dims);
        double kept = 0, total = 0;
        for (std::size_t l = 0; l < per_layer.size(); ++l) {
          kept += costs[l] * static_cast<double>(per_layer[l].kept);
          total += costs[l] * static_cast<double>(per_layer[l].total);
        }
        return std::make_pair(kept, total);
      };
      ExperimentRow dense_row;
      dense_row.arch = arch;
      dense_row.tile = tile;
      dense_row.method = "dense";
      dense_row.tiles_kept = static_cast<long>(dense_tiles.kept);
      dense_row.tiles_total = static_cast<long>(dense_tiles.total);
      std::tie(dense_row.cost_kept, dense_row.cost_total) = weighted(dense);
      dense_row.mse_pruned = dense_row.mse_dense = baselines.after(0);
      dense_row.weight_density = 1.0;
      dense_row.model_path = dense_path;
      const std::size_t first = rows.size();
      rows.push_back(dense_row);
      for (const auto& method : config.methods) {
        for (double fraction : config.fractions) {
          prune::PruneConfig pc = config.prune;
          const MethodSpec spec = parse_method_spec(method);
          pc.method = spec.method;
          pc.t1 = t1;
          pc.t2 = t2;
          if (spec.saliency) {
            pc.saliency = true;
            pc.layer_cost = costs;
          }
          pc.fraction = fraction;
          pc.finetune.loss = loss;
          progress.step(arch + " " + tile + " " + method + " " + fmt(fraction, "%.3g"));
          prune::PruneReport report;
          const nn::Model pruned = prune::prune_model(dense, data.train, data.val, pc, report);
          ExperimentRow row;
          row.arch = arch;
          row.tile = tile;
          row.method = config.tag.empty() ? method : method + "+" + config.tag;
          row.fraction = fraction;
          row.tiles_kept = static_cast<long>(report.tiles_kept);
          row.tiles_total = static_cast<long>(report.tiles_total);
          std::tie(row.cost_kept, row.cost_total) = weighted(pruned);
          row.mse_pruned = nn::evaluate(pruned, data.test, loss).loss;
          row.mse_dense = baselines.after(report.finetune_phases);
          row.delta_mse = row.mse_pruned - row.mse_dense;
          row.finetune_epochs = report.finetune_epochs;
          row.finetune_phases = report.finetune_phases;
          row.weight_density = report.weight_density;
          row.model_path = config.out_dir + "/pruned_" + slug(arch) + "_" + tile + "_" + slug(row.method) + "_" + fmt(fraction, "%.3g") + ".hpx";
          pruned.save(row.model_path);
          rows.push_back(row);
          progress.step("  tiles " + std::to_string(row.tiles_kept) + "/" + std::to_string(row.tiles_total) +
                        "  delta MSE " + fmt(row.delta_mse, "%+.3e"));
        }
      }
      // Encrypted inference: the dense model, and the pruned model of least HE cost within each bound.
      if (config.he && he_runner) {
        std::set<std::size_t> to_run{first};
        for (double bound : config.bounds) {
          std::optional<std::size_t> best;
          for (std::size_t i = first + 1; i < rows.size(); ++i)
            if (rows[i].delta_mse <= bound && (!best || rows[i].cost_kept < rows[*best].cost_kept)) best = i;
          if (best) to_run.insert(*best);
        }
        for (std::size_t i : to_run) {
          progress.step("encrypted inference: " + rows[i].method + " " + fmt(rows[i].fraction, "%.3g") + " (" + tile + ")");
          rows[i].he = he_runner(nn::Model::load(rows[i].model_path), tile, config.he_batch);
        }
      }
    }
  }
  progress.finish();
  write_results(rows, config.bounds, config.out_dir, /*csv=*/true);
  return rows;
}

}  // namespace hepex::cli
