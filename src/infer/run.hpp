#pragma once
// One call for a whole encrypted inference, client and server in one process: keys for the plan, encrypt
// the samples, evaluate with server-side keys only (no secret key), decrypt, and compare with the
// plaintext model. What the pruning experiments call to measure encrypted latency and memory.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "infer/plan.hpp"
#include "infer/report.hpp"
#include "nn/model.hpp"
#include "util/csprng.hpp"

namespace hepex::infer {

enum class BackendKind { kCkks, kSim };

struct RunOptions {
  BackendKind backend = BackendKind::kCkks;
  std::optional<WeightMode> weight_mode;  // default: the plan's choice
  std::optional<Seed> key_seed;           // reproducible keys (experiments only)
  std::function<void(const std::string&)> progress;  // optional milestones ("keygen", "encrypt", ...)
  std::vector<double>* outputs = nullptr;  // if set: receives the decrypted outputs (count x width, original order)
};

// samples: count x input width, original order (count <= plan.batch). Throws MismatchError when the
// model is not the plan's.
Report run_encrypted(const nn::Model& model, const Plan& plan, const std::vector<double>& samples, std::size_t count,
                     const RunOptions& options = {});

}  // namespace hepex::infer
