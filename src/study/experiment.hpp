#pragma once
// A pruning study (what `hepex experiment` runs): for every architecture, train (or reuse) the dense model;
// for every tile shape x method x fraction, prune and fine-tune; compare with the dense model fine-tuned
// for the same number of epochs; then measure real encrypted inference for the dense model and for the
// best pruned model at each quality bound. Writes results.csv, results.md and gnuplot plots into
// config.out_dir, with the dense and pruned models.
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "study/experiment_config.hpp"

namespace hepex::study {

// Throws InvalidArgument, before any work, for an unknown method or tile shape, and when config.out_dir is
// a non-empty directory and not config.overwrite.
void check_experiment_config(const ExperimentConfig& config);

// The whole sweep; `he_runner` (may be empty) measures the encrypted runs when config.he is set.
std::vector<ExperimentRow> run_experiment(const ExperimentConfig& config, const HeRunner& he_runner);

// The rows of one (arch, tile) group that are run encrypted: `rows[first]` (the dense row) and, for every
// bound, the pruned row of least HE cost (cost_kept) among those after it with delta_mse <= bound.
std::set<std::size_t> rows_to_encrypt(const std::vector<ExperimentRow>& rows, std::size_t first,
                                      const std::vector<double>& bounds);

// Rewrites <out_dir>/results.md and the plots from <out_dir>/results.csv (e.g. several sweeps' CSVs
// concatenated); runs nothing. Throws IoError / FormatError naming the file and line.
std::vector<ExperimentRow> replot_experiment(const std::string& out_dir, const std::vector<double>& bounds);

// Recomputes the dense baselines (mse_dense, delta_mse) of <out_dir>/results.csv with the configured
// fine-tuning and the dense models cached in out_dir (trained by an earlier run with the same settings),
// then rewrites the CSV, table and plots; prunes nothing. For results made before the baseline matched the
// pruned models' phases: a row's phases are its fine-tuning epochs over the epochs per phase.
std::vector<ExperimentRow> rebaseline_experiment(const ExperimentConfig& config);

}  // namespace hepex::study
