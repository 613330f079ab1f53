#pragma once
// A hint for the most common command-line slip: a global option (--threads, --quiet) after the verb.
#include <optional>
#include <string>
#include <vector>

namespace hepex::cli {

// args: argv[1..]. When a global option follows the first verb-like word (the first argument that is no
// option nor the value of --threads), returns "--threads is a global option: put it before the verb, as in
// hepex --threads 2 train ..."; otherwise nothing.
std::optional<std::string> misplaced_global_option_hint(const std::vector<std::string>& args);

}  // namespace hepex::cli
