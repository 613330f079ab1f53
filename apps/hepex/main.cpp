// hepex command-line interface: thin verbs over the library. Errors (usage errors too) become one line on
// stderr and exit code 1; internal errors exit 2. Under mpirun, a failure rank 0 reported exits the other
// ranks with 1 silently.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "distributed/mpi_world.hpp"
#include "global_hint.hpp"
#include "number_check.hpp"
#include "util/error.hpp"
#include "verb.hpp"
#include "version.hpp"

namespace hepex::cli {
namespace {
std::vector<std::pair<int, AddVerb>>& registry() {
  static std::vector<std::pair<int, AddVerb>> r;
  return r;
}
}  // namespace

VerbRegistrar::VerbRegistrar(int order, AddVerb add) { registry().emplace_back(order, std::move(add)); }

GlobalOptions& global_options() {
  static GlobalOptions g;
  return g;
}

}  // namespace hepex::cli

int main(int argc, char** argv) {
  using namespace hepex::cli;
  CLI::App app{
      "hepex: privacy-preserving neural-network inference under CKKS homomorphic encryption,\n"
      "with HE-aware pruning (prune, permute, expand). Run 'hepex <verb> --help' for a verb's options."};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersionLine);
  app.add_option("--threads", global_options().threads,
                 "Worker threads, before the verb (default: OMP_NUM_THREADS or all cores)")
      ->check(whole_in(0, kMaxThreads));
  app.add_flag("-q,--quiet", global_options().quiet, "Print only results, no progress");
  app.parse_complete_callback([] {
    if (global_options().threads > 0) omp_set_num_threads(global_options().threads);
  });

  auto& verbs = registry();
  std::stable_sort(verbs.begin(), verbs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, add] : verbs) add(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // A usage error: one line and exit code 1, like every other error (plus a hint for the common slip).
    std::fprintf(stderr, "hepex: error: %s (see --help)\n", e.what());
    if (const auto hint = misplaced_global_option_hint(std::vector<std::string>(argv + 1, argv + argc)))
      std::fprintf(stderr, "hepex: hint: %s\n", hint->c_str());
    return 1;
  } catch (const hepex::distributed::PeerError&) {
    return 1;  // another MPI rank failed and printed why: one message for the job, not one per rank
  } catch (const hepex::Error& e) {
    std::fprintf(stderr, "hepex: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hepex: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
