#pragma once
// The human-readable results of a study: results.md (a Markdown table) and, per (architecture, tile),
// two gnuplot plots of delta MSE against the remaining tiles and the remaining HE cost.
#include <string>
#include <vector>

#include "study/experiment_config.hpp"

namespace hepex::study {

// The Markdown table of `rows`.
std::string results_markdown(const std::vector<ExperimentRow>& rows);
// plot_<arch>_<tile>.{dat,gp} in `dir`, rendered to plot_<arch>_<tile>_{tiles,cost}.png by gnuplot when it is
// installed (a warning on stderr otherwise: the .gp files are left for plotting by hand). `bounds` are
// drawn as horizontal lines.
void write_plots(const std::vector<ExperimentRow>& rows, const std::vector<double>& bounds, const std::string& dir);
// results.csv (unless `csv` is false: re-plotting), results.md and the plots in `dir`.
void write_results(const std::vector<ExperimentRow>& rows, const std::vector<double>& bounds, const std::string& dir,
                   bool csv);

}  // namespace hepex::study
