#pragma once
// Each CLI verb lives in its own file and registers itself here:
//   static const hepex::cli::VerbRegistrar reg(20, [](CLI::App& app) { auto* sub = app.add_subcommand(...); ... });
// The order number fixes where the verb appears in --help.
#include <CLI/CLI.hpp>

#include <functional>

namespace hepex::cli {

using AddVerb = std::function<void(CLI::App&)>;

struct VerbRegistrar {
  VerbRegistrar(int order, AddVerb add);
};

// Options every verb shares (set before any verb callback runs).
struct GlobalOptions {
  int threads = 0;  // 0 = OMP_NUM_THREADS or all cores
  bool quiet = false;
};
GlobalOptions& global_options();

}  // namespace hepex::cli
