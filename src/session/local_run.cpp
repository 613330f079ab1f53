#include "session/local_run.hpp"

#include <chrono>
#include <optional>

#include "backend/sim_backend.hpp"
#include "infer/client.hpp"
#include "infer/compiled.hpp"
#include "infer/executor.hpp"
#include "io/safe_file.hpp"
#include "session/client.hpp"
#include "session/server.hpp"

namespace hepex {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void say(const LocalRunOptions& o, const std::string& text) {
  if (o.progress) o.progress(text);
}

// Client and Server exchanging their files, as in a deployment: the client writes the evaluation keys and its
// encrypted inputs to a private scratch directory, the server reads them from there as it goes (each layer's
// keys as the layer starts, the inputs a part at a time: Server::load_eval_keys, evaluate_file) and writes its
// outputs, which the client decrypts.
LocalRun run_ckks(const nn::Model& model, const infer::Plan& plan, const std::vector<double>& samples,
                  std::size_t count, const LocalRunOptions& o) {
  const auto policy = plan.ckks.secure ? SecurityPolicy::kRequire128Bit : SecurityPolicy::kAllowInsecureForTestsOnly;
  const io::ScratchDirectory dir("hepex-run");
  say(o, "generating keys...");
  double t = now_seconds();
  std::optional<Client> client;
  {
    Client keygen(plan, policy);
    keygen.generate_keys(o.key_seed);
    io::write_file_atomic(dir.file("eval.keys"), keygen.eval_keys());
    client = Client::from_key_bytes(keygen.plan_bytes(), keygen.secret_key(), keygen.public_key(), policy);
  }  // as in a deployment, the client keeps its secret and public keys only
  const double keygen_s = now_seconds() - t;

  ServerOptions so;
  so.security = policy;
  so.weights = o.weight_mode;
  so.progress = o.progress;
  Server server(model, client->plan(), so);
  server.load_eval_keys(dir.file("eval.keys"));

  say(o, "encrypting " + std::to_string(count) + " samples...");
  t = now_seconds();
  client->encrypt_to_file(Samples{samples, count, plan.input_size}, dir.file("x.ct"));
  const double encrypt_s = now_seconds() - t;

  auto report = server.evaluate_file(dir.file("x.ct"), dir.file("y.ct"));

  say(o, "decrypting...");
  t = now_seconds();
  LocalRun run{std::move(report), client->decrypt_file(dir.file("y.ct"), count).values};
  run.report.decrypt_s = now_seconds() - t;
  run.report.keygen_s = keygen_s;
  run.report.encrypt_s = encrypt_s;
  return run;
}

std::size_t tensor_bytes(const backend::Backend& be, const tile::CipherTileTensor& t) {
  std::size_t b = 0;
  for (const auto& c : t.tiles())
    if (!c.empty()) b += be.byte_size(c);
  return b;
}

// The executor on the simulator: one backend plays both sides (it holds no keys).
LocalRun run_sim(const nn::Model& model, const infer::Plan& plan, const std::vector<double>& samples,
                 std::size_t count, const LocalRunOptions& o) {
  const auto net = infer::compile_for(model, plan);
  infer::check_plan_matches(plan, net, "model");
  const auto mode = o.weight_mode.value_or(plan.weight_mode);
  backend::SimBackend sim(plan.ckks.sim_params());
  say(o, "encrypting " + std::to_string(count) + " samples (simulated)...");
  const auto x = infer::encrypt_input(sim, plan, samples, count);
  say(o, std::string("encoding weights (") + infer::weight_mode_name(mode) + ")...");
  infer::Executor ex(sim, net, plan.batch, mode);
  std::vector<infer::LayerRun> runs;
  const auto y = ex.run(x, &runs, [&](std::size_t l, std::size_t layers) {
    say(o, "evaluating layer " + std::to_string(l + 1) + "/" + std::to_string(layers) + "...");
  });
  LocalRun run{infer::make_report(plan, runs, "sim", mode), infer::decrypt_output(sim, plan, y, count)};
  run.report.preencode_s = ex.preencode_seconds();
  run.report.resident_model_bytes = ex.resident_plaintext_bytes();
  run.report.input_ct_bytes = tensor_bytes(sim, x);
  run.report.output_ct_bytes = tensor_bytes(sim, y);
  run.report.eval_key_bytes = plan.eval_key_bytes;
  return run;
}

}  // namespace

LocalRun run_locally(const nn::Model& model, const infer::Plan& plan, const std::vector<double>& samples,
                     std::size_t count, const LocalRunOptions& options) {
  LocalRun run = options.backend == LocalBackend::kSim ? run_sim(model, plan, samples, count, options)
                                                        : run_ckks(model, plan, samples, count, options);
  run.report.samples = count;
  infer::fill_errors(run.report, run.outputs, infer::plain_outputs(model, samples, count), samples);
  run.report.peak_rss_bytes = infer::peak_rss_bytes();
  return run;
}

}  // namespace hepex
