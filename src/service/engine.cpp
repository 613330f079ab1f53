#include "service/engine.hpp"

#include <algorithm>

#include "service/errors.hpp"

namespace hepex::service {

io::KeyId declared_key_set(std::span<const std::uint8_t> bytes, const std::string& name) {
  constexpr std::size_t kHeader = 40;
  if (bytes.size() < kHeader) throw FormatError(name + ": too short for a hepex header");
  io::BinaryReader r(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + kHeader), name);
  const auto type = io::declared_object_type(bytes);
  if (!type) throw FormatError(name + ": not a hepex object");
  return r.read_header(*type).key_id;
}

namespace {
hepex::ServerOptions with_policy(infer::SecurityPolicy policy) {
  hepex::ServerOptions o;
  o.security = policy;
  return o;
}
}  // namespace

Engine::Engine(nn::Model model, infer::Plan plan, infer::SecurityPolicy policy)
    : model_(model),
      policy_(policy),
      base_(std::move(model), std::move(plan), with_policy(policy), "the served model", "the served plan") {}

hepex::Server Engine::make_server(const std::function<bool()>& cancelled) const {
  auto o = with_policy(policy_);
  // The session server reports each step (inputs loaded, weights encoded, each layer): a cancelled request
  // stops at the next one.
  o.progress = [cancelled](const std::string& step) {
    if (cancelled && cancelled()) throw Cancelled("inference cancelled (before: " + step + ")");
  };
  return hepex::Server(model_, base_.plan(), std::move(o), "the served model", "the served plan");
}

void Engine::check_keys_header(std::span<const std::uint8_t> prefix, const std::string& name) {
  const auto type = io::declared_object_type(prefix);
  if (!type) throw FormatError(name + ": not a hepex object (no hepex header)");
  if (*type == io::ObjectType::kSecretKey)
    throw AccessDenied(name + ": this is a secret key; a server never accepts one (send eval.keys only)");
  if (*type != io::ObjectType::kEvalKeys)
    throw FormatError(name + ": a " + io::object_type_name(*type) + ", not evaluation keys");
}

io::KeyId Engine::validate_keys(const std::vector<std::uint8_t>& file, const std::string& name) const {
  check_keys_header(file, name);
  auto s = make_server({});
  try {
    s.set_eval_keys(file, name);
  } catch (const FormatError& e) {
    // Keys for another plan are a mismatch the client can mend (new keys), not a malformed message.
    const std::string m = e.what();
    if (m.find("other CKKS parameters") != std::string::npos) throw MismatchError(m);
    throw;
  }
  return declared_key_set(file, name);
}

Engine::Result Engine::evaluate(const std::vector<std::uint8_t>& keys_file, const std::vector<std::uint8_t>& input,
                                std::size_t count, const std::function<bool()>& cancelled) const {
  if (count == 0 || count > plan().batch)
    throw InvalidArgument("count " + std::to_string(count) + " outside [1, " + std::to_string(plan().batch) +
                          "] (the plan's batch)");
  auto s = make_server(cancelled);
  s.set_eval_keys(keys_file, "the stored keys");
  auto r = s.evaluate(input, "input batch");
  r.report.samples = count;
  return {std::move(r.output), std::move(r.report)};
}

std::size_t Engine::key_limit() const {
  // The planner's in-memory size of the keys (expanded) plus headers and slack; seeded files are smaller.
  const auto& p = plan();
  return p.eval_key_bytes + p.eval_key_bytes / 8 + (std::size_t{1} << 20);
}

std::size_t Engine::input_limit() const {
  // Every input ciphertext expanded at the top level, plus per-ciphertext fields, header and trailer.
  const auto& p = plan();
  return p.input_bytes + p.input_ciphertexts * 256 + 4096;
}

std::size_t Engine::evaluation_bytes() const {
  const auto& p = plan();
  return key_limit() +
         (p.weight_mode == infer::WeightMode::kPreEncoded ? p.est_peak_bytes_preencoded : p.est_peak_bytes_onthefly);
}

std::size_t Engine::upload_bytes() const { return 3 * key_limit(); }

}  // namespace hepex::service
