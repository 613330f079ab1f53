// `hepex version`: the build's version and target ISA.
#include <cstdio>

#include "verb.hpp"

namespace {
const hepex::cli::VerbRegistrar reg(1000, [](CLI::App& app) {
  auto* sub = app.add_subcommand("version", "Print the hepex version");
  sub->callback([] { std::printf("hepex 0.1.0 (C++20, x86-64-v3/AVX2)\n"); });
});
}  // namespace
