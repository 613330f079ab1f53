// `hepex infer`: the server. Reads the model, the plan, the evaluation keys and the encrypted inputs — never
// a secret key — evaluates, writes the encrypted outputs and prints (and optionally saves) the report.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "infer/files.hpp"
#include "infer/keys.hpp"
#include "infer/report.hpp"
#include "io/safe_file.hpp"
#include "nn/model.hpp"
#include "security_options.hpp"
#include "util/progress.hpp"
#include "model_input.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct InferOptions {
  std::string model, plan, eval_keys, input, out, report, weights = "plan";
  bool allow_insecure = false;
};

void run(const InferOptions& o) {
  // Every destination is checked before minutes of work; nothing is written unless everything succeeds.
  io::check_destination(o.out);
  if (!o.report.empty()) io::check_destination(o.report);
  ProgressLine progress(stderr, cli::global_options().quiet);
  progress.step("loading the plan and the model...");
  const auto plan = infer::Plan::load(o.plan);
  const auto model = hepex::cli::load_model_any(o.model);
  const auto net = infer::compile_for(model, plan);
  infer::check_plan_matches(plan, net, o.model);
  const auto ctx = infer::plan_context(plan, cli::security_policy(o.allow_insecure), o.plan);
  cli::print_security_verdict(*ctx);
  auto mb = [](const std::string& path) { return " (" + std::to_string(infer::file_bytes(path) >> 20) + " MiB)..."; };
  progress.step("loading the evaluation keys " + o.eval_keys + mb(o.eval_keys));
  const backend::CkksBackend be(ctx, infer::load_eval_keys(*ctx, o.eval_keys));
  progress.step("loading the encrypted inputs " + o.input + mb(o.input));
  const auto x = infer::load_ciphertexts(o.input, be, infer::plan_input_shape(plan));
  const auto mode = o.weights == "plan" ? plan.weight_mode : infer::parse_weight_mode(o.weights);
  progress.step(std::string("encoding weights (") + infer::weight_mode_name(mode) + ")...");
  infer::Executor ex(be, net, plan.batch, mode);
  std::vector<infer::LayerRun> runs;
  const auto y = ex.run(x, &runs, [&](std::size_t l, std::size_t layers) {
    const auto& lp = plan.layers[l];
    progress.step("evaluating layer " + std::to_string(l + 1) + "/" + std::to_string(layers) + " (" +
                  std::to_string(lp.in) + " -> " + std::to_string(lp.out) + ", " + std::to_string(lp.tiles_kept) +
                  " weight tiles)...");
  });
  progress.finish();

  auto r = infer::make_report(plan, runs, "ckks", mode);
  r.preencode_s = ex.preencode_seconds();
  r.resident_model_bytes = ex.resident_plaintext_bytes();
  r.eval_key_bytes = infer::file_bytes(o.eval_keys);
  r.input_ct_bytes = infer::file_bytes(o.input);
  // All or nothing: if the report cannot be written, the output goes too.
  infer::save_ciphertexts(o.out, be, y);
  r.output_ct_bytes = infer::file_bytes(o.out);
  r.peak_rss_bytes = infer::peak_rss_bytes();
  if (!o.report.empty()) {
    try {
      r.save(o.report);
    } catch (...) {
      std::remove(o.out.c_str());
      throw;
    }
  }
  std::printf("%s", r.format_table().c_str());
  std::printf("wrote %s\n", o.out.c_str());
}

const cli::VerbRegistrar reg(33, [](CLI::App& app) {
  auto o = std::make_shared<InferOptions>();
  auto* sub = app.add_subcommand("infer", "Evaluate a model on encrypted inputs (server side: no secret key)");
  sub->add_option("-m,--model", o->model, "Model file")->required()->check(CLI::ExistingFile);
  sub->add_option("--plan", o->plan, "Plan file")->required()->check(CLI::ExistingFile);
  sub->add_option("--eval-keys", o->eval_keys, "eval.keys from 'hepex keygen'")->required()->check(CLI::ExistingFile);
  sub->add_option("-i,--input", o->input, "Encrypted inputs")->required()->check(CLI::ExistingFile);
  sub->add_option("-o,--out", o->out, "Encrypted outputs")->required();
  sub->add_option("--weights", o->weights, "plan (the plan's choice), pre-encoded or on-the-fly")
      ->check(CLI::IsMember({"plan", "pre-encoded", "on-the-fly"}))
      ->capture_default_str();
  sub->add_option("--report", o->report, "Write the report as JSON");
  cli::add_allow_insecure(sub, o->allow_insecure);
  sub->callback([o] { run(*o); });
});
}  // namespace
