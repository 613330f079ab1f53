#include "global_hint.hpp"

#include <cstddef>

namespace hepex::cli {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

std::optional<std::string> misplaced_global_option_hint(const std::vector<std::string>& args) {
  std::size_t verb = args.size();
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--threads") {
      ++i;  // its value
      continue;
    }
    if (!starts_with(args[i], "-")) {
      verb = i;
      break;
    }
  }
  for (std::size_t i = verb + 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name, moved;  // the option, and the words to move before the verb
    if (a == "--threads") name = a, moved = a + " " + (i + 1 < args.size() ? args[i + 1] : "N");
    else if (starts_with(a, "--threads=")) name = "--threads", moved = a;
    else if (a == "-q" || a == "--quiet") name = moved = a;
    else continue;
    return name + " is a global option: put it before the verb, as in hepex " + moved + " " + args[verb] + " ...";
  }
  return std::nullopt;
}

}  // namespace hepex::cli
