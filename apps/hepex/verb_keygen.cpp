// `hepex keygen`: keys for a plan (client side): secret.key, public.key, eval.keys (relinearization +
// the plan's rotations only) and a copy of the plan, in one directory. The server needs eval.keys only.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "infer/keys.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct KeygenOptions {
  std::string plan, out = "keys";
};

void run(const KeygenOptions& o) {
  const auto plan = infer::Plan::load(o.plan);
  const auto ctx = infer::plan_context(plan);
  infer::save_key_dir(o.out, plan, infer::generate_keys(ctx, plan));
  const std::filesystem::path d(o.out);
  std::printf("keys for N = %zu, %zu rotation steps in %s: secret.key %.1f MB, public.key %.1f MB, eval.keys %.1f MB\n",
              plan.ckks.ring_degree, plan.rotation_steps.size(), o.out.c_str(),
              infer::file_bytes((d / "secret.key").string()) / 1e6, infer::file_bytes((d / "public.key").string()) / 1e6,
              infer::file_bytes((d / "eval.keys").string()) / 1e6);
}

const cli::VerbRegistrar reg(31, [](CLI::App& app) {
  auto o = std::make_shared<KeygenOptions>();
  auto* sub = app.add_subcommand("keygen", "Generate the keys of a plan (client side)");
  sub->add_option("--plan", o->plan, "Plan file")->required()->check(CLI::ExistingFile);
  sub->add_option("-o,--out", o->out, "Keys directory")->capture_default_str();
  sub->callback([o] { run(*o); });
});
}  // namespace
