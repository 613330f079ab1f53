#pragma once
// The server's side of an inference on byte buffers: the model compiled for the plan, the CKKS context the
// plan implies, and evaluate(eval keys, input batch bytes) -> output batch bytes + report. Never holds a
// secret key. (The adapter over infer:: the service runs on; `session::Server` is meant to take its place.)
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/ckks_backend.hpp"
#include "ckks/context.hpp"
#include "infer/compiled.hpp"
#include "infer/keys.hpp"
#include "infer/plan.hpp"
#include "infer/report.hpp"
#include "nn/model.hpp"

namespace hepex::service {

class Engine {
 public:
  // Throws MismatchError unless `model` is the plan's, SecurityError for an insecure plan unless `policy`
  // allows it (tests only).
  Engine(const nn::Model& model, infer::Plan plan, infer::SecurityPolicy policy);

  const infer::Plan& plan() const { return plan_; }
  const std::shared_ptr<const ckks::CkksContext>& context() const { return ctx_; }

  // Evaluation keys from the body of an eval.keys file (no trailer); everything validated against the
  // plan's parameters. A secret key, or any object but evaluation keys, is refused (AccessDenied /
  // FormatError) from its header, before anything else is parsed.
  backend::CkksKeys parse_keys(std::vector<std::uint8_t> body, const std::string& name) const;
  // The header check alone, on the first bytes of a key upload (at least kHeaderPrefix of them), so that a
  // secret key is refused before the rest of it is received.
  static constexpr std::size_t kHeaderPrefix = 16;
  static void check_keys_header(const std::vector<std::uint8_t>& prefix, const std::string& name);

  struct Result {
    std::vector<std::uint8_t> output;  // the output ciphertext batch (no trailer)
    infer::Report report;
  };
  // `input`: a ciphertext batch (no trailer) of the plan's input shape, encrypted under `keys`' key set;
  // `count` samples (<= the plan's batch). `cancelled` is polled before each layer (Cancelled when true).
  Result evaluate(const backend::CkksKeys& keys, std::vector<std::uint8_t> input, std::size_t count,
                  const std::function<bool()>& cancelled = {}) const;

  // Largest accepted payloads: an eval.keys body, an input batch.
  std::size_t key_limit() const;
  std::size_t input_limit() const;
  // Estimated peak memory of one evaluation (the planner's, for the plan's weight mode) and of a key upload.
  std::size_t evaluation_bytes() const;
  std::size_t upload_bytes() const;

 private:
  infer::Plan plan_;
  infer::CompiledNetwork net_;
  std::shared_ptr<const ckks::CkksContext> ctx_;
};

}  // namespace hepex::service
