#include "study/results_report.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "io/safe_file.hpp"
#include "study/format.hpp"
#include "study/results_csv.hpp"

namespace hepex::study {
namespace fs = std::filesystem;

std::string results_markdown(const std::vector<ExperimentRow>& rows) {
  std::ostringstream out;
  out << "| arch | tile | method | fraction | tiles kept | % of dense | % HE cost | delta MSE | MSE pruned / dense | "
         "HE latency (s) | HE peak RSS (MiB) | HE model (MiB) |\n"
         "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows) {
    out << "| " << r.arch << " | " << r.tile << " | " << r.method << " | " << r.fraction << " | " << r.tiles_kept
        << " / " << r.tiles_total << " | " << format_number(100.0 * r.tiles_kept / r.tiles_total, "%.1f") << " | "
        << format_number(100.0 * r.cost_kept / r.cost_total, "%.1f") << " | " << format_number(r.delta_mse, "%+.2e")
        << " | " << format_number(r.mse_pruned, "%.6f") << " / " << format_number(r.mse_dense, "%.6f") << " | ";
    if (r.he)
      out << format_number(r.he->latency_s, "%.2f") << " | " << format_number(r.he->peak_rss_bytes / 1048576.0, "%.0f")
          << " | " << format_number(r.he->model_bytes / 1048576.0, "%.1f") << " |\n";
    else
      out << " |  |  |\n";
  }
  return out.str();
}

namespace {

using MethodCurves = std::map<std::string, std::vector<const ExperimentRow*>>;

// The deltas drawn: the y axis is logarithmic, so deltas at or below this (negative ones too: the pruned
// model beat the dense one) are drawn at it.
constexpr double kPlotFloor = 1e-6;

// One block per method: tiles %, HE cost %, delta MSE, delta drawn.
std::string plot_data(MethodCurves methods) {
  std::ostringstream dat;
  for (auto& [method, pts] : methods) {
    // By fraction, so a curve made of several runs (grid, refinement) is drawn in order.
    std::stable_sort(pts.begin(), pts.end(),
                     [](const ExperimentRow* a, const ExperimentRow* b) { return a->fraction < b->fraction; });
    dat << "# " << method << ": tiles %, HE cost %, delta MSE, delta drawn\n";
    for (const auto* p : pts)
      dat << 100.0 * p->tiles_kept / p->tiles_total << " " << 100.0 * p->cost_kept / p->cost_total << " "
          << p->delta_mse << " " << std::max(p->delta_mse, kPlotFloor) << "\n";
    dat << "\n\n";
  }
  return dat.str();
}

std::string plot_script(const MethodCurves& methods, const std::vector<double>& bounds, const std::string& arch,
                        const std::string& tile, const std::string& base) {
  const std::string dat_name = fs::path(base + ".dat").filename().string();
  std::ostringstream plot;
  plot << "set terminal pngcairo size 900,600\nset key outside right top\nset grid\nset logscale y\n"
       << "set format y '%.0e'\nset yrange [1e-6:*]\nset ylabel 'delta test MSE vs dense, same epochs (<= 1e-6 drawn "
          "at 1e-6)'\n";
  for (double b : bounds) plot << "set arrow from graph 0, first " << b << " to graph 1, first " << b << " nohead dt 2\n";
  const struct {
    const char* suffix;
    const char* what;
    int column;
  } axes[] = {{"tiles", "remaining weight tiles (% of dense)", 1},
              {"cost", "remaining HE cost: tiles x RNS limbs (% of dense)", 2}};
  for (const auto& axis : axes) {
    plot << "set output '" << fs::path(base + "_" + axis.suffix + ".png").filename().string() << "'\n"
         << "set title 'delta MSE vs " << axis.suffix << ": " << arch << ", tile " << tile << "' noenhanced\n"
         << "set xlabel '" << axis.what << "'\nplot ";
    std::size_t index = 0;
    for (const auto& entry : methods) {
      plot << (index ? ", " : "") << "'" << dat_name << "' index " << index << " using " << axis.column
           << ":4 with linespoints title '" << entry.first << "'";
      ++index;
    }
    plot << "\n";
  }
  return plot.str();
}

}  // namespace

void write_plots(const std::vector<ExperimentRow>& rows, const std::vector<double>& bounds, const std::string& dir) {
  std::map<std::pair<std::string, std::string>, MethodCurves> groups;
  for (const auto& r : rows)
    if (r.method != "dense") groups[{r.arch, r.tile}][r.method].push_back(&r);
  for (const auto& [key, methods] : groups) {
    const std::string base = dir + "/plot_" + slug(key.first) + "_" + key.second;
    io::write_file_atomic(base + ".dat", plot_data(methods));
    io::write_file_atomic(base + ".gp", plot_script(methods, bounds, key.first, key.second, base));
    const std::string cmd = "cd '" + dir + "' && gnuplot '" + fs::path(base + ".gp").filename().string() + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "experiment: gnuplot failed or is missing; %s.gp is left for plotting by hand\n", base.c_str());
  }
}

void write_results(const std::vector<ExperimentRow>& rows, const std::vector<double>& bounds, const std::string& dir,
                   bool csv) {
  if (csv) write_results_csv(rows, dir + "/results.csv");
  io::write_file_atomic(dir + "/results.md", results_markdown(rows));
  write_plots(rows, bounds, dir);
}

}  // namespace hepex::study
