#include "study/results_csv.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "io/safe_file.hpp"
#include "study/format.hpp"
#include "util/error.hpp"

namespace hepex::study {

std::string results_csv_text(const std::vector<ExperimentRow>& rows) {
  std::ostringstream out;
  out << "arch,tile,method,fraction,tiles_kept,tiles_total,cost_kept,cost_total,delta_mse,mse_pruned,mse_dense,"
         "finetune_epochs,finetune_phases,weight_density,he_latency_s,he_peak_rss_bytes,he_model_bytes\n";
  for (const auto& r : rows) {
    out << r.arch << "," << r.tile << "," << r.method << "," << r.fraction << "," << r.tiles_kept << ","
        << r.tiles_total << "," << r.cost_kept << "," << r.cost_total << "," << format_number(r.delta_mse, "%.4e")
        << "," << format_number(r.mse_pruned, "%.6e") << "," << format_number(r.mse_dense, "%.6e") << ","
        << r.finetune_epochs << "," << r.finetune_phases << "," << format_number(r.weight_density, "%.4f") << ",";
    if (r.he)
      out << format_number(r.he->latency_s, "%.3f") << "," << format_number(r.he->peak_rss_bytes, "%.0f") << ","
          << format_number(r.he->model_bytes, "%.0f");
    else
      out << ",,";
    out << "\n";
  }
  return out.str();
}

void write_results_csv(const std::vector<ExperimentRow>& rows, const std::string& path) {
  io::write_file_atomic(path, results_csv_text(rows));
}

namespace {

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();  // getline drops a last empty cell
  return cells;
}

// One data line of the CSV, its cells looked up by column name.
class CsvLine {
 public:
  CsvLine(const std::map<std::string, std::size_t>& columns, std::vector<std::string> cells, std::string where)
      : columns_(columns), cells_(std::move(cells)), where_(std::move(where)) {}
  bool has(const char* name) const { return columns_.count(name) != 0; }
  std::string text(const char* name) const { return has(name) ? cells_[columns_.at(name)] : std::string(); }
  double number(const char* name) const {
    const std::string t = text(name);
    if (t.empty()) return 0.0;
    try {
      return std::stod(t);
    } catch (const std::exception&) {
      throw FormatError(where_ + ": column " + name + ": '" + t + "' is not a number");
    }
  }
  const std::string& where() const { return where_; }

 private:
  const std::map<std::string, std::size_t>& columns_;
  std::vector<std::string> cells_;
  std::string where_;
};

ExperimentRow parse_row(const CsvLine& line) {
  ExperimentRow r;
  r.arch = line.text("arch");
  r.tile = line.text("tile");
  r.method = line.text("method");
  r.fraction = line.number("fraction");
  r.tiles_kept = static_cast<long>(line.number("tiles_kept"));
  r.tiles_total = static_cast<long>(line.number("tiles_total"));
  // Files from before the HE cost weighting: every tile costs one.
  r.cost_kept = line.has("cost_kept") ? line.number("cost_kept") : static_cast<double>(r.tiles_kept);
  r.cost_total = line.has("cost_total") ? line.number("cost_total") : static_cast<double>(r.tiles_total);
  r.delta_mse = line.number("delta_mse");
  r.mse_pruned = line.number("mse_pruned");
  r.mse_dense = line.number("mse_dense");
  r.finetune_epochs = static_cast<int>(line.number("finetune_epochs"));
  r.finetune_phases = static_cast<int>(line.number("finetune_phases"));
  r.weight_density = line.number("weight_density");
  if (!line.text("he_latency_s").empty())
    r.he = HeMeasurement{line.number("he_latency_s"), line.number("he_peak_rss_bytes"), line.number("he_model_bytes")};
  if (r.tiles_total <= 0 || r.cost_total <= 0)
    throw FormatError(line.where() + ": tiles_total and cost_total must be positive");
  return r;
}

}  // namespace

std::vector<ExperimentRow> read_results_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot open for reading");
  std::string line;
  if (!std::getline(in, line)) throw FormatError(path + ": empty, expected a results.csv header");
  const auto header = split_cells(line);
  std::map<std::string, std::size_t> columns;
  for (std::size_t i = 0; i < header.size(); ++i) columns[header[i]] = i;
  for (const char* need : {"arch", "tile", "method", "fraction", "tiles_kept", "tiles_total", "delta_mse"})
    if (!columns.count(need)) throw FormatError(path + ": no column '" + need + "'");
  std::vector<ExperimentRow> rows;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    auto cells = split_cells(line);
    const std::string where = path + ":" + std::to_string(n);
    if (cells.size() != header.size())
      throw FormatError(where + ": " + std::to_string(cells.size()) + " cells, the header has " +
                        std::to_string(header.size()));
    rows.push_back(parse_row(CsvLine(columns, std::move(cells), where)));
  }
  return rows;
}

}  // namespace hepex::study
