// `hepex decrypt`: decrypt, unpack and unpermute the server's output into a .npy array (samples x outputs).
// The server's ciphertexts are checked (key set, level, scale, value range) before anything is written.
#include <cstdio>
#include <memory>
#include <string>

#include "infer/files.hpp"
#include "io/safe_file.hpp"
#include "security_options.hpp"
#include "session/client.hpp"
#include "number_check.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;

struct DecryptOptions {
  std::string keys = "keys", input, out;
  std::size_t count = 0;
  int flood_bits = 0;
  bool allow_insecure = false;
};

void run(const DecryptOptions& o) {
  io::check_destination(o.out);
  auto client = Client::load_keys(o.keys, cli::security_policy(o.allow_insecure), /*need_secret=*/true);
  client.set_decryption_flooding(o.flood_bits);
  const auto s = client.decrypt_file(o.input, o.count);
  infer::save_npy(o.out, s);
  std::printf("decrypted %zu samples x %zu outputs: %s%s\n", s.rows, s.cols, o.out.c_str(),
              o.flood_bits ? (" (flooded with " + std::to_string(o.flood_bits) + "-bit noise)").c_str() : "");
}

const cli::VerbRegistrar reg(34, [](CLI::App& app) {
  auto o = std::make_shared<DecryptOptions>();
  auto* sub = app.add_subcommand("decrypt", "Decrypt the server's output into a .npy array (client side)");
  sub->add_option("--keys", o->keys, "Keys directory (plan.json, secret.key)")->capture_default_str();
  sub->add_option("-i,--input", o->input, "Ciphertext file from 'hepex infer'")->required()->check(CLI::ExistingFile);
  sub->add_option("--count", o->count, "Samples to keep (default: the plan's batch)")
      ->check(cli::whole_in(1, cli::kMaxBatch));
  sub->add_option("-o,--out", o->out, ".npy file")->required();
  sub->add_option("--flood-bits", o->flood_bits,
                  "Add uniform noise of this many bits to each decryption (0-60; use it when the decrypted values "
                  "leave the client: e.g. 20 at scale 2^40 costs 20 bits of precision, see README)")
      ->check(cli::whole_in(0, 60))
      ->capture_default_str();
  cli::add_allow_insecure(sub, o->allow_insecure);
  sub->callback([o] { run(*o); });
});
}  // namespace
