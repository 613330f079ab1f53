// `hepex infer`: the server. Reads the model, the plan, the evaluation keys and the encrypted inputs — never
// a secret key — evaluates, writes the encrypted outputs and prints (and optionally saves) the report.
#include <cstdio>
#include <memory>
#include <string>

#include "infer/report.hpp"
#include "io/safe_file.hpp"
#include "security_options.hpp"
#include "session/server.hpp"
#include "util/progress.hpp"
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
  ServerOptions options;
  options.security = cli::security_policy(o.allow_insecure);
  if (o.weights != "plan") options.weights = infer::parse_weight_mode(o.weights);
  options.progress = [&progress](const std::string& text) { progress.step(text); };
  auto server = Server::from_files(o.model, o.plan, std::move(options));
  cli::print_security_verdict(server.context());
  server.load_eval_keys(o.eval_keys);
  auto r = server.evaluate_file(o.input, o.out);
  progress.finish();
  // All or nothing: if the report cannot be written, the output goes too.
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
