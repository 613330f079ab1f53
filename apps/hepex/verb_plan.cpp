// `hepex plan`: compile a model for encrypted inference (tile layout, levels, CKKS parameters, rotation
// steps, cost and memory estimates) and write the plan file the client and the server share.
#include <cstdio>
#include <memory>
#include <string>

#include "infer/plan.hpp"
#include "nn/model.hpp"
#include "prune/tiling.hpp"
#include "model_input.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct PlanOptionsCli {
  std::string model, tile = "4x8", out, weights = "auto";
  std::size_t batch = 256;
  double memory_gb = 0;
};

void run(const PlanOptionsCli& o) {
  const auto model = hepex::cli::load_model_any(o.model);
  const auto [t1, t2] = prune::parse_tile_shape(o.tile);
  infer::PlanOptions opts;
  opts.memory_budget = static_cast<std::size_t>(o.memory_gb * 1e9);
  auto plan = infer::make_plan(model, std::size_t(t1), std::size_t(t2), o.batch, opts);
  if (o.weights != "auto") plan.weight_mode = infer::parse_weight_mode(o.weights);
  std::printf("%s", infer::format_plan(plan).c_str());
  plan.save(o.out);
  std::printf("saved %s\n", o.out.c_str());
}

const cli::VerbRegistrar reg(30, [](CLI::App& app) {
  auto o = std::make_shared<PlanOptionsCli>();
  auto* sub = app.add_subcommand("plan", "Plan the encrypted inference of a model (CKKS parameters, levels, rotations, cost)");
  sub->add_option("-m,--model", o->model, "Model file")->required()->check(CLI::ExistingFile);
  sub->add_option("--tile", o->tile, "Tile shape t1xt2 (the batch fills the rest of the slots)")->capture_default_str();
  sub->add_option("--batch", o->batch, "Samples per inference")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--weights", o->weights, "auto, pre-encoded or on-the-fly")->capture_default_str();
  sub->add_option("--memory-gb", o->memory_gb, "Memory budget for pre-encoded weights (default: a quarter of RAM)");
  sub->add_option("-o,--out", o->out, "Plan file (JSON)")->required();
  sub->callback([o] { run(*o); });
});
}  // namespace
