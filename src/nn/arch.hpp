#pragma once
// Architecture strings: "784-256-64-256-784:poly2"
//   sizes joined by '-', then ':' and either one activation for every hidden layer (the last layer is
//   linear), or one activation per layer separated by ',' (e.g. "784-10-784:square,sigmoid").
// Without ':' every hidden layer uses poly2 (trained coefficients), the default everywhere. See Activation::parse for the activation names.
#include <string>
#include <string_view>
#include <vector>

#include "nn/activation.hpp"

namespace hepex::nn {

struct ArchSpec {
  std::vector<int> sizes;               // layer widths, input first; at least 2
  std::vector<Activation> activations;  // one per layer (sizes.size() - 1)
};

// Throws InvalidArgument naming the string and the problem.
ArchSpec parse_arch(std::string_view text);
// Short form when the hidden layers share one activation and the last is identity, else the per-layer form.
std::string format_arch(const ArchSpec& spec);

}  // namespace hepex::nn
