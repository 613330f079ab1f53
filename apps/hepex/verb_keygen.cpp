// `hepex keygen`: keys for a plan (client side): secret.key, public.key, eval.keys (relinearization +
// the plan's rotations only) and a copy of the plan naming the key set, in one directory. The server needs
// eval.keys only.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "infer/keys.hpp"
#include "io/binary.hpp"
#include "security_options.hpp"
#include "session/client.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct KeygenOptions {
  std::string plan, out = "keys";
  bool force = false, allow_insecure = false;
};

void run(const KeygenOptions& o) {
  auto client = Client::from_plan_file(o.plan, cli::security_policy(o.allow_insecure));
  cli::print_security_verdict(client.context());
  infer::check_key_dir_writable(o.out, o.force);  // before the (long) key generation
  client.generate_keys();
  client.save_keys(o.out, o.force);
  const auto& plan = client.plan();
  const std::filesystem::path d(o.out);
  std::printf("keys (key set %s) for N = %zu, %zu rotation steps in %s: secret.key %.1f MB, public.key %.1f MB, "
              "eval.keys %.1f MB\n",
              io::key_id_text(client.key_set_id()).c_str(), plan.ckks.ring_degree, plan.rotation_steps.size(), o.out.c_str(),
              infer::file_bytes((d / "secret.key").string()) / 1e6, infer::file_bytes((d / "public.key").string()) / 1e6,
              infer::file_bytes((d / "eval.keys").string()) / 1e6);
  std::printf("send the server %s only (never secret.key)\n", (d / "eval.keys").string().c_str());
}

const cli::VerbRegistrar reg(31, [](CLI::App& app) {
  auto o = std::make_shared<KeygenOptions>();
  auto* sub = app.add_subcommand("keygen", "Generate the keys of a plan (client side)");
  sub->add_option("--plan", o->plan, "Plan file")->required()->check(CLI::ExistingFile);
  sub->add_option("-o,--out", o->out, "Keys directory (created 0700; secret.key is written 0600)")->capture_default_str();
  sub->add_flag("--force", o->force,
                "Replace an existing secret.key (ciphertexts encrypted under the old key become undecryptable)");
  cli::add_allow_insecure(sub, o->allow_insecure);
  sub->callback([o] { run(*o); });
});
}  // namespace
