#include "infer/run.hpp"

#include <chrono>

#include "backend/ckks_backend.hpp"
#include "backend/sim_backend.hpp"
#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "infer/keys.hpp"
#include "ckks/serialize.hpp"

namespace hepex::infer {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Bytes sent: the file size on the CKKS backend (seeded ciphertexts count half), memory size on the simulator.
std::size_t bytes_of(const backend::Backend& be, const tile::CipherTileTensor& t) {
  if (const auto* ckks = dynamic_cast<const backend::CkksBackend*>(&be)) {
    std::size_t b = ckks::kBatchFileOverhead;
    for (const auto& c : t.tiles())
      if (!c.empty()) b += ckks::batch_body_size(ckks->unwrap(c));
    return b;
  }
  std::size_t b = 0;
  for (const auto& c : t.tiles())
    if (!c.empty()) b += be.byte_size(c);
  return b;
}

// Client encrypts, server evaluates (its own backend, without the secret key), client decrypts.
Report evaluate(const nn::Model& model, const CompiledNetwork& net, const Plan& plan, const backend::Backend& client,
                const backend::Backend& server, const std::vector<double>& samples, std::size_t count, WeightMode mode,
                const RunOptions& o, const std::string& name) {
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  say("encrypting " + std::to_string(count) + " samples");
  double t = now_seconds();
  const auto x = encrypt_input(client, plan, samples, count);
  const double encrypt_s = now_seconds() - t;

  say(std::string("encoding weights (") + weight_mode_name(mode) + ")");
  Executor ex(server, net, plan.batch, mode);
  say("evaluating on the server");
  std::vector<LayerRun> runs;
  const auto y = ex.run(x, &runs, [&](std::size_t l, std::size_t layers) {
    say("evaluating layer " + std::to_string(l + 1) + "/" + std::to_string(layers) + " on the server");
  });

  say("decrypting");
  t = now_seconds();
  const auto out = decrypt_output(client, plan, y, count);
  const double decrypt_s = now_seconds() - t;

  Report r = make_report(plan, runs, name, mode);
  r.samples = count;
  r.preencode_s = ex.preencode_seconds();
  r.encrypt_s = encrypt_s;
  r.decrypt_s = decrypt_s;
  r.resident_model_bytes = ex.resident_plaintext_bytes();
  r.input_ct_bytes = bytes_of(client, x);
  r.output_ct_bytes = bytes_of(client, y);
  fill_errors(r, out, plain_outputs(model, samples, count), samples);
  if (o.outputs) *o.outputs = out;
  return r;
}

}  // namespace

Report run_encrypted(const nn::Model& model, const Plan& plan, const std::vector<double>& samples, std::size_t count,
                     const RunOptions& o) {
  const auto net = compile_for(model, plan);
  check_plan_matches(plan, net, "run_encrypted");
  const WeightMode mode = o.weight_mode.value_or(plan.weight_mode);
  Report r;
  if (o.backend == BackendKind::kSim) {
    backend::SimBackend sim(plan.ckks.sim_params());
    r = evaluate(model, net, plan, sim, sim, samples, count, mode, o, "sim");
    r.eval_key_bytes = plan.eval_key_bytes;
  } else {
    if (o.progress) o.progress("generating keys");
    const double t = now_seconds();
    // In-process: the plan was made by this caller (make_plan with `insecure` set only by tests), so its flag
    // is the caller's own choice, not a file from the other side.
    const auto ctx = plan_context(plan, plan.ckks.secure ? SecurityPolicy::kRequire128Bit
                                                         : SecurityPolicy::kAllowInsecureForTestsOnly);
    const auto keys = generate_keys(ctx, plan, o.key_seed);
    const double keygen_s = now_seconds() - t;
    const backend::CkksBackend client(ctx, {keys.secret, keys.pub, nullptr, nullptr});
    const backend::CkksBackend server(ctx, {nullptr, nullptr, keys.relin, keys.galois});
    r = evaluate(model, net, plan, client, server, samples, count, mode, o, "ckks");
    r.keygen_s = keygen_s;
    r.eval_key_bytes = ckks::to_bytes(*keys.relin).size() + ckks::to_bytes(*keys.galois).size();
  }
  r.peak_rss_bytes = peak_rss_bytes();
  return r;
}

}  // namespace hepex::infer
