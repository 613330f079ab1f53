// `hepex version` (also `hepex --version`): the build's version and target ISA.
#include <cstdio>

#include "verb.hpp"
#include "version.hpp"

namespace {
const hepex::cli::VerbRegistrar reg(1000, [](CLI::App& app) {
  auto* sub = app.add_subcommand("version", "Print the hepex version (also: hepex --version)");
  sub->callback([] { std::printf("%s\n", hepex::cli::kVersionLine); });
});
}  // namespace
