// `hepex plan`: compile a model for encrypted inference (tile layout, levels, CKKS parameters, rotation
// steps, cost and memory estimates) and write the plan file the client and the server share.

#include <cstdio>
#include <memory>
#include <string>

#include "infer/plan.hpp"
#include "nn/model.hpp"
#include "number_check.hpp"
#include "plan_options.hpp"
#include "prune/tiling.hpp"
#include "model_input.hpp"
#include "util/process.hpp"
#include "util/progress.hpp"
#include "io/safe_file.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct PlanOptionsCli {
  std::string model, tile = "4x8", out, weights = "auto";
  std::size_t batch = 256;
  double memory_gb = 0;  // 0: the planner's default (a quarter of physical memory)
  infer::PlanOptions planner;
};

// A plan the server cannot hold is legal (it may run elsewhere) but must not pass without a word.
void warn_if_too_big(const infer::Plan& plan) {
  const std::size_t peak = plan.weight_mode == infer::WeightMode::kPreEncoded ? plan.est_peak_bytes_preencoded
                                                                              : plan.est_peak_bytes_onthefly;
  const std::size_t ram = physical_memory_bytes();
  if (ram == 0 || peak <= ram) return;
  std::fflush(stdout);  // the plan's table first, when both go to one pipe
  std::fprintf(stderr,
               "hepex: warning: this plan needs an estimated %.1f GB at its peak on the server, more than this "
               "machine's %.1f GB of memory (a smaller --batch%s needs less)\n",
               double(peak) / 1e9, double(ram) / 1e9,
               plan.weight_mode == infer::WeightMode::kPreEncoded ? " or --weights on-the-fly" : "");
}

void run(const PlanOptionsCli& o) {
  io::check_destination(o.out);
  const auto model = hepex::cli::load_model_any(o.model);
  const auto [t1, t2] = prune::parse_tile_shape(o.tile);
  infer::PlanOptions opts = o.planner;
  opts.memory_budget = static_cast<std::size_t>(o.memory_gb * 1e9);
  ProgressLine progress(stderr, cli::global_options().quiet);
  if (opts.precision_check && opts.unknowns_repair.empty())  // seconds for large models: say why
    progress.update("planning: simulating the rounding error of the repair patterns near the fastest "
                    "(--no-precision-check skips it)...");
  auto plan = infer::make_plan(model, std::size_t(t1), std::size_t(t2), o.batch, opts);
  progress.finish();
  if (o.weights != "auto") plan.weight_mode = infer::parse_weight_mode(o.weights);
  std::printf("%s", infer::format_plan(plan).c_str());
  warn_if_too_big(plan);
  plan.save(o.out);
  std::printf("saved %s\n", o.out.c_str());
}

const cli::VerbRegistrar reg(30, [](CLI::App& app) {
  auto o = std::make_shared<PlanOptionsCli>();
  auto* sub = app.add_subcommand("plan", "Plan the encrypted inference of a model (CKKS parameters, levels, rotations, cost)");
  sub->add_option("-m,--model", o->model, "Model file")->required()->check(CLI::ExistingFile);
  sub->add_option("--tile", o->tile, "Tile shape t1xt2 (the batch fills the rest of the slots)")->capture_default_str();
  sub->add_option("--batch", o->batch, "Samples per inference")->check(cli::whole_in(1, cli::kMaxBatch))->capture_default_str();
  sub->add_option("--weights", o->weights, "auto, pre-encoded or on-the-fly")
      ->check(CLI::IsMember({"auto", "pre-encoded", "on-the-fly"}))
      ->capture_default_str();
  sub->add_option("--memory-gb", o->memory_gb, "Memory budget for pre-encoded weights (default: a quarter of RAM)")
      ->check(cli::real_above(0, 1e6));
  cli::add_plan_options(sub, o->planner);
  sub->add_option("-o,--out", o->out, "Plan file (JSON)")->required();
  sub->callback([o] { run(*o); });
});
}  // namespace
