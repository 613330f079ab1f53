// `hepex client`: the client of `hepex serve` (src/service/client.hpp). Gets the plan, makes keys in --keys
// if there are none (the secret key never leaves this machine), uploads the evaluation keys once, encrypts
// the samples, sends them, receives and decrypts the outputs into a .npy file. `--ping` only checks the
// server. On any failure: one message, a non-zero exit and no output file.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "infer/files.hpp"
#include "io/safe_file.hpp"
#include "nn/dataset.hpp"
#include "number_check.hpp"
#include "security_options.hpp"
#include "service/client.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"
#include "verb.hpp"

namespace {
using namespace hepex;
namespace fs = std::filesystem;

struct ClientVerbOptions {
  std::string server, keys = "keys", data, input, out, report, tls_ca;
  std::size_t count = 0, offset = 0;
  double timeout_s = 0;
  bool ping = false, allow_insecure = false;
};

// The test images of a named data set (or a directory of IDX files).
std::string test_images(const std::string& data) {
  const fs::path f = fs::path(nn::resolve_data_dir(data)) / "t10k-images-idx3-ubyte";
  if (fs::exists(f)) return f.string();
  if (fs::exists(f.string() + ".gz")) return f.string() + ".gz";
  throw IoError("--data " + data + ": no " + f.string() + " (or .gz)");
}

void run(const ClientVerbOptions& o) {
  service::ClientOptions co;
  co.server = o.server;
  co.tls_ca = o.tls_ca;
  co.keys_dir = o.keys;
  co.policy = cli::security_policy(o.allow_insecure);
  co.timeout_s = o.timeout_s;
  ProgressLine progress(stderr, cli::global_options().quiet);
  co.progress = [&](const std::string& s) { progress.step("client: " + s + "..."); };
  service::Client client(co);
  if (o.ping) {
    const auto p = client.ping();
    std::printf("%s: %s, %u running, %u queued\n", o.server.c_str(), p.version.c_str(), p.active, p.queued);
    return;
  }
  if (o.out.empty()) throw InvalidArgument("client: -o/--out is required (unless --ping)");
  if (o.data.empty() == o.input.empty()) throw InvalidArgument("client: give exactly one of --data and --input");
  io::check_destination(o.out);
  if (!o.report.empty()) io::check_destination(o.report);

  const auto plan = client.fetch_plan();
  const std::size_t count = o.count ? o.count : plan.batch;
  const auto s = infer::load_samples(o.input.empty() ? test_images(o.data) : o.input, o.offset, count, plan.input_size);
  const auto r = client.run(plan, s.values, s.rows);
  progress.finish();
  // All or nothing: if the report cannot be written, the output goes too.
  infer::save_npy(o.out, {r.outputs, r.count, r.width});
  if (!o.report.empty()) {
    try {
      io::write_file_atomic(o.report, r.report.dump(2) + "\n");
    } catch (...) {
      std::remove(o.out.c_str());
      throw;
    }
  }
  std::printf("client: %zu samples through %s: keys %s%s, encrypt %.2f s, server round trip %.2f s (sent %.1f MB, "
              "received %.1f MB), decrypt %.2f s, total %.2f s\n",
              r.count, o.server.c_str(), r.generated_keys ? "generated" : "reused",
              r.uploaded_keys ? (" and uploaded (" + std::to_string(r.key_bytes_sent / 1000000) + " MB)").c_str() : "",
              r.encrypt_s, r.remote_s, r.input_bytes_sent / 1e6, r.output_bytes_received / 1e6, r.decrypt_s, r.total_s);
  std::printf("wrote %s\n", o.out.c_str());
}

const cli::VerbRegistrar reg(37, [](CLI::App& app) {
  auto o = std::make_shared<ClientVerbOptions>();
  auto* sub = app.add_subcommand("client", "Encrypted inference through a 'hepex serve' server (client side)");
  sub->add_option("--server", o->server, "HOST:PORT of the server")->required();
  sub->add_option("--keys", o->keys, "Keys directory (made if missing; secret.key never leaves it)")->capture_default_str();
  sub->add_option("--data", o->data, std::string("Test images of a data set: ") + nn::kDataSetNames + ", or a directory");
  sub->add_option("-i,--input", o->input, "IDX image file or .npy array")->check(CLI::ExistingFile);
  sub->add_option("--count", o->count, "Samples (default: the plan's batch)")->check(cli::whole_in(1, cli::kMaxBatch));
  sub->add_option("--offset", o->offset, "First sample")->check(cli::whole_in(0, UINT32_MAX))->capture_default_str();
  sub->add_option("-o,--out", o->out, "Decrypted outputs (.npy)");
  sub->add_option("--report", o->report, "Write the server's report with the client's times and bytes as JSON");
  sub->add_flag("--ping", o->ping, "Only check that the server answers");
  sub->add_option("--tls-ca", o->tls_ca, "CA certificate (PEM) of a TLS server")->check(CLI::ExistingFile);
  sub->add_option("--timeout", o->timeout_s, "Deadline of each call in seconds (0: none)")
      ->check(cli::real_in(0, 86400))
      ->capture_default_str();
  cli::add_allow_insecure(sub, o->allow_insecure);
  sub->callback([o] { run(*o); });
});
}  // namespace
