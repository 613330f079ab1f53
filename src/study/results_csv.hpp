#pragma once
// results.csv of a study: one row per point, the columns of write_results_csv's header. scripts/sweep.sh
// and the committed results/ depend on this format: add columns at the end, never rename or reorder.
#include <string>
#include <vector>

#include "study/experiment_config.hpp"

namespace hepex::study {

// The CSV text of `rows` (header line first).
std::string results_csv_text(const std::vector<ExperimentRow>& rows);
// Writes results_csv_text to `path` (atomically: nothing half-written on failure); IoError naming it.
void write_results_csv(const std::vector<ExperimentRow>& rows, const std::string& path);
// Reads a results.csv (the columns by name, so older files with fewer columns load). Throws IoError /
// FormatError naming the file and line. model_path is left empty.
std::vector<ExperimentRow> read_results_csv(const std::string& path);

}  // namespace hepex::study
