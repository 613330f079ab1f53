#include "service/engine.hpp"

#include <cstring>

#include "ckks/serialize.hpp"
#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "io/binary.hpp"
#include "service/errors.hpp"

namespace hepex::service {

namespace {
// The object type in the header of a hepex byte string; FormatError unless the magic and version are there.
io::ObjectType object_type(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  if (bytes.size() < Engine::kHeaderPrefix || std::memcmp(bytes.data(), io::kMagic, sizeof(io::kMagic)) != 0)
    throw FormatError(name + ": not a hepex object (bad magic)");
  std::uint32_t type = 0;
  std::memcpy(&type, bytes.data() + sizeof(io::kMagic) + 4, 4);
  return io::ObjectType(type);
}
}  // namespace

Engine::Engine(const nn::Model& model, infer::Plan plan, infer::SecurityPolicy policy)
    : plan_(std::move(plan)), net_(infer::compile(model, plan_.t1, plan_.t2)) {
  infer::check_plan_matches(plan_, net_, "the served model");
  ctx_ = infer::plan_context(plan_, policy, "the served plan");
}

void Engine::check_keys_header(const std::vector<std::uint8_t>& prefix, const std::string& name) {
  const auto type = object_type(prefix, name);
  if (type == io::ObjectType::kSecretKey)
    throw AccessDenied(name + ": this is a secret key; a server never accepts one (send eval.keys only)");
  if (type != io::ObjectType::kEvalKeys)
    throw FormatError(name + ": a " + io::object_type_name(type) + ", not evaluation keys");
}

backend::CkksKeys Engine::parse_keys(std::vector<std::uint8_t> body, const std::string& name) const {
  check_keys_header(body, name);
  try {
    return infer::parse_eval_keys(*ctx_, std::move(body), name);
  } catch (const FormatError& e) {
    // Keys for another plan are a mismatch the client can mend (new keys), not a malformed message.
    const std::string m = e.what();
    if (m.find("other CKKS parameters") != std::string::npos) throw MismatchError(m);
    throw;
  }
}

Engine::Result Engine::evaluate(const backend::CkksKeys& keys, std::vector<std::uint8_t> input, std::size_t count,
                                const std::function<bool()>& cancelled) const {
  if (count == 0 || count > plan_.batch)
    throw InvalidArgument("count " + std::to_string(count) + " outside [1, " + std::to_string(plan_.batch) +
                          "] (the plan's batch)");
  if (!keys.relin || !keys.galois || keys.secret) throw InvalidArgument("evaluate: server-side keys expected");
  const std::size_t input_bytes = input.size();
  const backend::CkksBackend be(ctx_, keys);
  io::Header header;
  auto batch = ckks::parse_ciphertext_batch(*ctx_, std::move(input), "input batch", &header);
  if (header.key_id != keys.id)
    throw MismatchError("input batch: encrypted under key set " + io::key_id_text(header.key_id) +
                        ", the uploaded keys are key set " + io::key_id_text(keys.id));
  const auto shape = infer::plan_input_shape(plan_);
  if (batch.size() != shape.tile_count())
    throw FormatError("input batch: " + std::to_string(batch.size()) + " ciphertexts, the plan's input " +
                      shape.to_string() + " has " + std::to_string(shape.tile_count()));
  const tile::CipherTileTensor x(shape, be.wrap_batch(std::move(batch)));

  infer::Executor ex(be, net_, plan_.batch, plan_.weight_mode);
  std::vector<infer::LayerRun> runs;
  const auto y = ex.run(x, &runs, [&](std::size_t l, std::size_t layers) {
    if (cancelled && cancelled())
      throw Cancelled("inference cancelled before layer " + std::to_string(l + 1) + "/" + std::to_string(layers));
  });

  Result r;
  for (std::size_t i = 0; i < y.tile_count(); ++i)
    if (y.absent(i)) throw Error("evaluate: output tile " + std::to_string(i) + " is absent");
  const auto out = be.unwrap_batch(y.tiles());
  ckks::SaveOptions opts;
  opts.key_id = keys.id;
  r.output = ckks::to_bytes(std::span<const ckks::Ciphertext>(out), opts);
  r.report = infer::make_report(plan_, runs, "ckks", plan_.weight_mode);
  r.report.samples = count;
  r.report.preencode_s = ex.preencode_seconds();
  r.report.resident_model_bytes = ex.resident_plaintext_bytes();
  r.report.input_ct_bytes = input_bytes;
  r.report.output_ct_bytes = r.output.size();
  r.report.peak_rss_bytes = infer::peak_rss_bytes();
  return r;
}

std::size_t Engine::key_limit() const {
  // The planner's in-memory size of the keys (expanded) plus headers and slack; seeded files are smaller.
  return plan_.eval_key_bytes + plan_.eval_key_bytes / 8 + (std::size_t{1} << 20);
}

std::size_t Engine::input_limit() const {
  // Every input ciphertext expanded at the top level, plus per-ciphertext fields and the batch header.
  return plan_.input_bytes + plan_.input_ciphertexts * 256 + 4096;
}

std::size_t Engine::evaluation_bytes() const {
  return plan_.weight_mode == infer::WeightMode::kPreEncoded ? plan_.est_peak_bytes_preencoded
                                                              : plan_.est_peak_bytes_onthefly;
}

std::size_t Engine::upload_bytes() const { return 3 * key_limit(); }

}  // namespace hepex::service
