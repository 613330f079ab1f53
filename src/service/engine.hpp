#pragma once
// What the service evaluates with: the model and the plan, and per request a hepex::Server (session/
// server.hpp, the library's server recipe) given the client's evaluation keys and its input batch, all as
// file bytes (session/bytes.hpp). Never holds a secret key. A fresh session Server per request keeps requests
// independent (no shared executor between key sets) and memory within the planner's per-run estimate.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infer/keys.hpp"
#include "infer/plan.hpp"
#include "infer/report.hpp"
#include "io/binary.hpp"
#include "nn/model.hpp"
#include "session/server.hpp"

namespace hepex::service {

class Engine {
 public:
  // Throws MismatchError unless `model` is the plan's, SecurityError for an insecure plan unless `policy`
  // allows it (tests only).
  Engine(nn::Model model, infer::Plan plan, infer::SecurityPolicy policy);

  const infer::Plan& plan() const { return base_.plan(); }
  const ckks::CkksContext& context() const { return base_.context(); }

  // The header check alone, on the first bytes of a key upload (at least kHeaderPrefix of them), so that a
  // secret key (AccessDenied) or another object (FormatError) is refused before the rest is received.
  static constexpr std::size_t kHeaderPrefix = 16;
  static void check_keys_header(std::span<const std::uint8_t> prefix, const std::string& name);
  // Validates eval.keys file bytes completely against the plan (as hepex::Server::set_eval_keys does);
  // keys for other CKKS parameters are a MismatchError. Returns their key set.
  io::KeyId validate_keys(const std::vector<std::uint8_t>& eval_keys_file, const std::string& name) const;

  struct Result {
    std::vector<std::uint8_t> output;  // the output ciphertext file's bytes
    infer::Report report;
  };
  // `input`: the bytes of an input ciphertext file of the plan's shape under the keys' key set; `count`
  // samples. `cancelled` is polled at each step of the evaluation (Cancelled when true).
  Result evaluate(const std::vector<std::uint8_t>& eval_keys_file, const std::vector<std::uint8_t>& input,
                  std::size_t count, const std::function<bool()>& cancelled = {}) const;

  // Largest accepted payloads: an eval.keys file, an input batch file.
  std::size_t key_limit() const;
  std::size_t input_limit() const;
  // Estimated peak memory of one evaluation (the planner's, for the plan's weight mode, plus the keys' file
  // bytes) and of a key upload.
  std::size_t evaluation_bytes() const;
  std::size_t upload_bytes() const;

 private:
  hepex::Server make_server(const std::function<bool()>& cancelled) const;

  nn::Model model_;
  infer::SecurityPolicy policy_;
  hepex::Server base_;  // no keys: the plan, its parameters and the model check
};

// The key set named in the header of a hepex byte string (FormatError if it has no header).
io::KeyId declared_key_set(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace hepex::service
