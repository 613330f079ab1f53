// `hepex import`: an ONNX model (e.g. exported by torch.onnx.export) -> a hepex model file. See docs/ONNX.md.
#include <cstdio>
#include <memory>
#include <string>

#include "io/safe_file.hpp"
#include "onnx/import.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct ImportOptions {
  std::string in, out;
};

void run(const ImportOptions& o) {
  io::check_destination(o.out);
  const nn::Model model = onnx::import_onnx_file(o.in);
  std::printf("imported %s: %s, %zu parameters, %s\n", o.in.c_str(), model.arch_string().c_str(),
              model.parameter_count(), model.he_friendly() ? "HE-friendly" : "not HE-friendly");
  model.save(o.out);  // atomic: nothing is left behind on error
  std::printf("saved %s\n", o.out.c_str());
}

const cli::VerbRegistrar reg(22, [](CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  auto* sub = app.add_subcommand("import", "Import an ONNX model (dense layers, polynomial activations) as a hepex model");
  sub->footer(
      "Supported: Gemm, MatMul + Add, Flatten/Reshape to [batch, features], Identity, Dropout, and activations\n"
      "that are polynomials of degree <= 2 (x*x, x**2, a*x*x + b*x + c, ...); a dynamic batch axis.\n"
      "Every verb's -m/--model also takes a .onnx file directly. Details: docs/ONNX.md\n"
      "Example: hepex import model.onnx -o model.hpx");
  sub->add_option("model", o->in, "ONNX file")->required()->check(CLI::ExistingFile);
  sub->add_option("-o,--out", o->out, "Output model file")->required();
  sub->callback([o] { run(*o); });
});
}  // namespace
