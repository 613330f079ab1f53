// `hepex encrypt`: pack (permuted, tiled) and encrypt samples with the public key of a keys directory.
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

struct EncryptOptions {
  std::string keys = "keys", input, out;
  std::size_t count = 0, offset = 0;
};

void run(const EncryptOptions& o) {
  const auto c = infer::load_client_keys(o.keys, false);
  const std::size_t count = o.count ? o.count : c.plan.batch;
  const auto s = infer::load_samples(o.input, o.offset, count);
  // Public-key encryption when the public key is there (the secret key is not needed to encrypt).
  const backend::CkksBackend be(c.ctx, {c.keys.pub ? nullptr : c.keys.secret, c.keys.pub, nullptr, nullptr});
  infer::save_ciphertexts(o.out, be, infer::encrypt_input(be, c.plan, s.values, s.rows));
  std::printf("encrypted %zu samples (%zu features) into %zu ciphertexts: %s (%.1f MB)\n", s.rows, s.cols,
              c.plan.input_ciphertexts, o.out.c_str(), infer::file_bytes(o.out) / 1e6);
}

const cli::VerbRegistrar reg(32, [](CLI::App& app) {
  auto o = std::make_shared<EncryptOptions>();
  auto* sub = app.add_subcommand("encrypt", "Encrypt samples (IDX images or .npy rows) for a plan (client side)");
  sub->add_option("--keys", o->keys, "Keys directory (plan.json, public.key)")->capture_default_str();
  sub->add_option("-i,--input", o->input, "IDX image file or .npy array")->required()->check(CLI::ExistingFile);
  sub->add_option("--count", o->count, "Samples to encrypt (default: the plan's batch)")
      ->check(cli::whole_in(1, cli::kMaxBatch));
  sub->add_option("--offset", o->offset, "First sample")->check(cli::whole_in(0, UINT32_MAX))->capture_default_str();
  sub->add_option("-o,--out", o->out, "Ciphertext file")->required();
  sub->callback([o] { run(*o); });
});
}  // namespace
