#pragma once
// The pruning and fine-tuning options shared by `hepex prune` and `hepex experiment`.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "nn/model.hpp"
#include "prune/pipeline.hpp"

namespace hepex::cli {

struct PruneTextOptions {
  std::string scope = "global", score = "l2";
};

// Adds --scope --score --threshold --steps --rounds --swap-passes --epochs --lr --lr-decay --batch.
void add_prune_options(CLI::App* sub, prune::PruneConfig& config, PruneTextOptions& text);
// Parses the text options into `config` (throws InvalidArgument naming a bad value).
void apply_prune_options(prune::PruneConfig& config, const PruneTextOptions& text);

// The methods that may move the pruning frontier (issue 14): --schedule --layer-cap --distill --temperature.
// (`hepex prune` only for now; the sweep adds them when it reports them.)
struct MethodTextOptions {
  std::string schedule = "linear";
};
void add_method_options(CLI::App* sub, prune::PruneConfig& config, MethodTextOptions& text);
void apply_method_options(prune::PruneConfig& config, const MethodTextOptions& text);

}  // namespace hepex::cli
