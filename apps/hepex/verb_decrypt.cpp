// `hepex decrypt`: decrypt, unpack and unpermute the server's output into a .npy array (samples x outputs).
#include <cstdio>
#include <memory>
#include <string>

#include "infer/client.hpp"
#include "infer/files.hpp"
#include "infer/keys.hpp"
#include "number_check.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct DecryptOptions {
  std::string keys = "keys", input, out;
  std::size_t count = 0;
};

void run(const DecryptOptions& o) {
  const auto c = infer::load_client_keys(o.keys, true);
  const backend::CkksBackend be(c.ctx, c.keys);
  const std::size_t count = o.count ? o.count : c.plan.batch;
  const auto y = infer::load_ciphertexts(o.input, be, infer::plan_output_shape(c.plan));
  infer::Samples s{infer::decrypt_output(be, c.plan, y, count), count, c.plan.output_size};
  infer::save_npy(o.out, s);
  std::printf("decrypted %zu samples x %zu outputs: %s\n", s.rows, s.cols, o.out.c_str());
}

const cli::VerbRegistrar reg(34, [](CLI::App& app) {
  auto o = std::make_shared<DecryptOptions>();
  auto* sub = app.add_subcommand("decrypt", "Decrypt the server's output into a .npy array (client side)");
  sub->add_option("--keys", o->keys, "Keys directory (plan.json, secret.key)")->capture_default_str();
  sub->add_option("-i,--input", o->input, "Ciphertext file from 'hepex infer'")->required()->check(CLI::ExistingFile);
  sub->add_option("--count", o->count, "Samples to keep (default: the plan's batch)")
      ->check(cli::whole_in(1, cli::kMaxBatch));
  sub->add_option("-o,--out", o->out, ".npy file")->required();
  sub->callback([o] { run(*o); });
});
}  // namespace
