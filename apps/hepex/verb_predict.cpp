// `hepex predict`: the plaintext model's outputs for an input file (IDX images or .npy rows), written as a
// .npy array (samples x outputs, original order), so a client can compare them with `hepex decrypt`'s.
#include <cstdio>
#include <memory>
#include <string>

#include "infer/compiled.hpp"
#include "infer/files.hpp"
#include "nn/job.hpp"
#include "nn/model.hpp"
#include "number_check.hpp"
#include "util/error.hpp"
#include "model_input.hpp"
#include "io/safe_file.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct PredictOptions {
  std::string model, input, out;
  std::size_t count = 0, offset = 0;  // count 0: every sample from offset on
};

void run(const PredictOptions& o) {
  io::check_destination(o.out);
  const auto model = hepex::cli::load_model_any(o.model);
  const auto s = infer::load_samples(o.input, o.offset, o.count);
  if (s.cols != std::size_t(model.input_size()))
    throw InvalidArgument(o.input + ": samples have " + std::to_string(s.cols) + " features, the model " + o.model +
                          " (" + model.arch_string() + ") takes " + std::to_string(model.input_size()));
  const infer::Samples y{infer::plain_outputs(model, s.values, s.rows), s.rows, std::size_t(model.output_size())};
  infer::save_npy(o.out, y);
  std::printf("wrote the plaintext %s outputs of %s for %zu samples of %s: %s (%zu x %zu)\n",
              nn::task_name(nn::infer_task(model)), model.arch_string().c_str(), y.rows, o.input.c_str(),
              o.out.c_str(), y.rows, y.cols);
}

const cli::VerbRegistrar reg(35, [](CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  auto* sub = app.add_subcommand("predict", "Plaintext model outputs for an input file, as .npy (compare with decrypt)");
  sub->footer("Example: hepex predict -m ae.hpx -i data/mnist/t10k-images-idx3-ubyte --count 256 -o plain.npy\n"
              "         (the same rows as 'hepex encrypt ... --count 256', so plain.npy lines up with decrypt's y.npy)");
  sub->add_option("-m,--model", o->model, "Model file")->required()->check(CLI::ExistingFile);
  sub->add_option("-i,--input", o->input, "IDX image file (plain or .gz) or .npy array (rows = samples)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--count", o->count, "Samples (default: all from --offset on)")->check(cli::whole_in(1, UINT32_MAX));
  sub->add_option("--offset", o->offset, "First sample")->check(cli::whole_in(0, UINT32_MAX))->capture_default_str();
  sub->add_option("-o,--out", o->out, ".npy file (samples x outputs, float64)")->required();
  sub->callback([o] { run(*o); });
});
}  // namespace
