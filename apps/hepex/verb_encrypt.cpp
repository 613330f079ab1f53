// `hepex encrypt`: pack (permuted, tiled) and encrypt samples with the public key of a keys directory.
#include <cstdio>
#include <memory>
#include <string>

#include "infer/files.hpp"
#include "infer/keys.hpp"
#include "io/safe_file.hpp"
#include "security_options.hpp"
#include "session/client.hpp"
#include "number_check.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct EncryptOptions {
  std::string keys = "keys", input, out;
  std::size_t count = 0, offset = 0;
  bool allow_insecure = false;
};

void run(const EncryptOptions& o) {
  io::check_destination(o.out);
  const auto client = Client::load_keys(o.keys, cli::security_policy(o.allow_insecure));
  cli::print_security_verdict(client.context());
  const auto& plan = client.plan();
  const std::size_t count = o.count ? o.count : plan.batch;
  const auto s = infer::load_samples(o.input, o.offset, count, plan.input_size);
  // Secret-key encryption when the secret key is there: seeded ciphertexts, half the upload. The public
  // key alone (a keys directory without secret.key) encrypts too.
  client.encrypt_to_file(s, o.out);
  const bool secret = client.has_secret_key();
  std::printf("encrypted %zu samples (%zu features) into %zu ciphertexts (%s key, %s): %s (%.1f MB)\n", s.rows,
              s.cols, plan.input_ciphertexts, secret ? "secret" : "public", secret ? "seeded" : "not seeded",
              o.out.c_str(), infer::file_bytes(o.out) / 1e6);
  if (!plan.unread_input_rows.empty())
    std::printf("not sent: %zu input tile rows of %zu features the pruned model never reads\n",
                plan.unread_input_rows.size(), plan.t1);
}

const cli::VerbRegistrar reg(32, [](CLI::App& app) {
  auto o = std::make_shared<EncryptOptions>();
  auto* sub = app.add_subcommand("encrypt", "Encrypt samples (IDX images or .npy rows) for a plan (client side)");
  sub->add_option("--keys", o->keys, "Keys directory (plan.json; secret.key for half-size seeded ciphertexts, else public.key)")
      ->capture_default_str();
  sub->add_option("-i,--input", o->input, "IDX image file or .npy array")->required()->check(CLI::ExistingFile);
  sub->add_option("--count", o->count, "Samples to encrypt (default: the plan's batch)")
      ->check(cli::whole_in(1, cli::kMaxBatch));
  sub->add_option("--offset", o->offset, "First sample")->check(cli::whole_in(0, UINT32_MAX))->capture_default_str();
  sub->add_option("-o,--out", o->out, "Ciphertext file")->required();
  cli::add_allow_insecure(sub, o->allow_insecure);
  sub->callback([o] { run(*o); });
});
}  // namespace
