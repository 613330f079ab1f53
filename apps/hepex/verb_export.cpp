// `hepex export`: a hepex model (pruned or not) -> ONNX, in the user's original neuron order.
#include <cstdio>
#include <memory>
#include <string>

#include "io/safe_file.hpp"
#include "model_input.hpp"
#include "onnx/export.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct ExportOptions {
  std::string model, out;
};

void run(const ExportOptions& o) {
  io::check_destination(o.out);
  const nn::Model model = cli::load_model_any(o.model);
  onnx::export_onnx_file(model, o.out);  // atomic: nothing is left behind on error
  std::printf("exported %s (%s) to %s\n", o.model.c_str(), model.arch_string().c_str(), o.out.c_str());
}

const cli::VerbRegistrar reg(23, [](CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand("export", "Export a model as ONNX (Gemm + polynomial nodes, original neuron order)");
  sub->footer(
      "The pruning permutations are folded into the weights: the ONNX graph computes the model's function on\n"
      "inputs in their original order. Masks are not stored (pruned weights are zeros). Details: docs/ONNX.md\n"
      "Example: hepex export -m pruned.hpx -o pruned.onnx");
  sub->add_option("-m,--model", o->model, "Model file (.hpx, or .onnx)")->required()->check(CLI::ExistingFile);
  sub->add_option("-o,--out", o->out, "Output ONNX file")->required();
  sub->callback([o] { run(*o); });
});
}  // namespace
