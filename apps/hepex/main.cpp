// hepex command-line interface: thin verbs over the library. Errors become one line on stderr and exit 1.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <vector>

#include "util/error.hpp"
#include "verb.hpp"

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
  app.add_option("--threads", global_options().threads, "Worker threads (default: OMP_NUM_THREADS or all cores)")
      ->check(CLI::NonNegativeNumber);
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
    return app.exit(e);
  } catch (const hepex::Error& e) {
    std::fprintf(stderr, "hepex: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hepex: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
