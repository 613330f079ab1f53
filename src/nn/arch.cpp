#include "nn/arch.hpp"

#include <charconv>

#include "util/error.hpp"

namespace hepex::nn {
namespace {
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return parts;
    s = s.substr(pos + 1);
  }
}
}  // namespace

// Widths above this are certainly typos (and would allocate gigabytes).
constexpr int kMaxWidth = 1 << 20;

ArchSpec parse_arch(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return InvalidArgument("architecture '" + std::string(text) + "': " + why);
  };
  const auto colon = text.find(':');
  const auto sizes_part = text.substr(0, colon);
  ArchSpec spec;
  for (const auto s : split(sizes_part, '-')) {
    int v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 1 || v > kMaxWidth)
      throw bad("'" + std::string(s) + "' is not a layer width (1.." + std::to_string(kMaxWidth) + ")");
    spec.sizes.push_back(v);
  }
  if (spec.sizes.size() < 2) throw bad("needs at least an input and an output width, e.g. 784-64-784");
  const std::size_t layers = spec.sizes.size() - 1;

  std::vector<Activation> acts;
  try {
    if (colon == std::string_view::npos) {
      acts.assign(layers, Activation::parse("poly2"));  // the HE-friendly default of every verb
      acts.back() = Activation::identity();
    } else {
      const auto names = split(text.substr(colon + 1), ',');
      if (names.size() == 1 && layers > 1) {
        acts.assign(layers, Activation::parse(names[0]));
        acts.back() = Activation::identity();
      } else if (names.size() == layers) {
        for (const auto n : names) acts.push_back(Activation::parse(n));
      } else {
        throw bad("gives " + std::to_string(names.size()) + " activations for " + std::to_string(layers) +
                  " layers (give one for all hidden layers, or one per layer)");
      }
    }
  } catch (const InvalidArgument& e) {
    if (std::string_view(e.what()).starts_with("architecture")) throw;
    throw bad(e.what());
  }
  spec.activations = std::move(acts);
  return spec;
}

std::string format_arch(const ArchSpec& spec) {
  std::string s;
  for (std::size_t i = 0; i < spec.sizes.size(); ++i) {
    if (i) s += '-';
    s += std::to_string(spec.sizes[i]);
  }
  const auto& acts = spec.activations;
  if (acts.empty()) return s;
  bool shared = acts.back() == Activation::identity() && acts.size() > 1;
  for (std::size_t i = 1; shared && i + 1 < acts.size(); ++i) shared = acts[i] == acts[0];
  if (shared) return s + ":" + acts[0].format();
  s += ":";
  for (std::size_t i = 0; i < acts.size(); ++i) {
    if (i) s += ',';
    s += acts[i].format();
  }
  return s;
}

}  // namespace hepex::nn
