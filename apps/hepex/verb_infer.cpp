// `hepex infer`: the server. Reads the model, the plan, the evaluation keys and the encrypted inputs — never
// a secret key — evaluates, writes the encrypted outputs and prints (and optionally saves) the report.
// Under mpirun (`mpirun -np K hepex infer ...`) the ranks share the evaluation (distributed/shared_infer.hpp):
// rank 0 reads and writes every file, the others only compute.
#include <cstdio>
#include <memory>
#include <string>

#include "distributed/shared_infer.hpp"
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

ServerOptions server_options(const InferOptions& o, ProgressLine& progress) {
  ServerOptions options;
  options.security = cli::security_policy(o.allow_insecure);
  if (o.weights != "plan") options.weights = infer::parse_weight_mode(o.weights);
  options.progress = [&progress](const std::string& text) { progress.step(text); };
  return options;
}

// All or nothing: if the report cannot be written, the output goes too.
void save_report(const InferOptions& o, const infer::Report& r) {
  if (o.report.empty()) return;
  try {
    r.save(o.report);
  } catch (...) {
    std::remove(o.out.c_str());
    throw;
  }
}

void print_result(const InferOptions& o, const infer::Report& r) {
  std::printf("%s", r.format_table().c_str());
  std::printf("wrote %s\n", o.out.c_str());
}

void run_single(const InferOptions& o) {
  ProgressLine progress(stderr, cli::global_options().quiet);
  progress.step("loading the plan and the model...");
  auto server = Server::from_files(o.model, o.plan, server_options(o, progress));
  cli::print_security_verdict(server.context());
  server.load_eval_keys(o.eval_keys);
  auto r = server.evaluate_file(o.input, o.out);
  progress.finish();
  save_report(o, r);
  print_result(o, r);
}

// Every rank runs this; rank 0 alone checks destinations, reads, writes and prints.
void run_shared(const InferOptions& o) {
  const distributed::MpiWorld world;
  ProgressLine progress(stderr, cli::global_options().quiet || !world.is_root());
  if (world.is_root()) progress.step("loading the plan and the model (" + std::to_string(world.size()) + " MPI ranks)...");
  const auto result = distributed::evaluate_shared(
      world, {o.model, o.plan, o.eval_keys, o.input}, server_options(o, progress), [&o](const Server& server) {
        io::check_destination(o.out);
        if (!o.report.empty()) io::check_destination(o.report);
        cli::print_security_verdict(server.context());
      });
  progress.finish();
  world.on_root([&] {
    io::write_file_atomic(o.out, result->output);
    save_report(o, result->report);
    print_result(o, result->report);
  });
}

void run(const InferOptions& o) {
  // Every destination is checked before minutes of work; nothing is written unless everything succeeds.
  if (distributed::launched_by_mpi()) return run_shared(o);
  io::check_destination(o.out);
  if (!o.report.empty()) io::check_destination(o.report);
  run_single(o);
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
