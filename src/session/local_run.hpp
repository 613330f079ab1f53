#pragma once
// One whole encrypted inference in one process, through the front door: a Client makes keys for the plan
// and encrypts the samples, a Server given only the Client's evaluation-key bytes evaluates the
// ciphertext bytes, the Client decrypts, and the outputs are compared with the plaintext model. The same
// objects and bytes as a deployment, so what `hepex demo` and the pruning studies measure is what a
// client and a server do. The simulator backend runs the same executor on the CKKS twin (no encryption:
// the counts, levels and sizes of the real run).
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "infer/plan.hpp"
#include "infer/report.hpp"
#include "nn/model.hpp"
#include "util/csprng.hpp"

namespace hepex {

enum class LocalBackend { kCkks, kSim };

struct LocalRunOptions {
  LocalBackend backend = LocalBackend::kCkks;
  std::optional<infer::WeightMode> weight_mode;  // default: the plan's choice
  std::optional<Seed> key_seed;                  // reproducible keys (tests and experiments only)
  std::function<void(const std::string&)> progress;  // optional milestones ("generating keys...", ...)
};

struct LocalRun {
  infer::Report report;         // the server's report with the client's times and the errors filled in
  std::vector<double> outputs;  // decrypted outputs: count x output width, original order
};

// samples: count x input width, original order (1 <= count <= plan.batch). The plan's own "secure" flag
// decides whether test parameters are allowed: the caller made the plan (make_plan's `insecure` is set by
// tests only), it is no file from the other side. Throws MismatchError when the model is not the plan's.
LocalRun run_locally(const nn::Model& model, const infer::Plan& plan, const std::vector<double>& samples,
                     std::size_t count, const LocalRunOptions& options = {});

}  // namespace hepex
