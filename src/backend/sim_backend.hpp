#pragma once
// SimBackend: the planner's and the tests' fast twin of the CKKS backend. Slots are kept in the clear
// (std::vector<double>); levels, scales and ciphertext sizes follow the CKKS evaluator rule for rule (same
// refusals, same error types), every operation is counted (OpCounter rules), and the bytes every live
// plaintext/ciphertext would occupy in RNS-CKKS are tracked (current and peak).
//
// Optional Gaussian noise (off by default) mimics CKKS error: noise_stddev (in slot units) is added to every
// slot at encryption, after each rescale and after each key switch (relinearize, rotation).
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "backend/backend.hpp"
#include "backend/op_counts.hpp"
#include "backend/sim_params.hpp"
#include "util/csprng.hpp"

namespace hepex::backend {

struct SimOptions {
  double noise_stddev = 0;          // 0: exact arithmetic
  // Encoding's rounding: every plaintext's slots get the error of rounding its polynomial's coefficients at
  // its scale (variance p / 6 / scale^2 per slot, p = its period: the slots in full, else the compact
  // period; periodic like the plaintext). Through it, the values a plaintext multiplies by zero (the unknowns
  // a layer repairs in the next layer's weights) reach the outputs: what the planner's precision check
  // (infer/precision.hpp) measures.
  bool encode_rounding = false;
  std::optional<Seed> noise_seed;   // fixed seed for reproducible noise; OS-seeded if unset
};

// Bytes held by live simulator objects (shared with the objects, so it outlives neither).
struct SimMemory {
  std::atomic<std::int64_t> ciphertext_bytes{0};
  std::atomic<std::int64_t> plaintext_bytes{0};
  std::atomic<std::int64_t> peak_bytes{0};  // peak of ciphertext + plaintext bytes
  void add(std::int64_t ct_delta, std::int64_t pt_delta);
};

class SimBackend final : public Backend {
 public:
  explicit SimBackend(SimParams params, SimOptions options = {});

  const SimParams& params() const { return params_; }

  // --- accounting
  OpCounts counts() const { return counter_.snapshot(); }
  std::set<int> rotation_steps() const { return counter_.rotation_steps(); }
  void reset_counts() { counter_.reset(); }
  std::int64_t live_ciphertext_bytes() const { return memory_->ciphertext_bytes.load(); }
  std::int64_t live_plaintext_bytes() const { return memory_->plaintext_bytes.load(); }
  std::int64_t peak_bytes() const { return memory_->peak_bytes.load(); }
  void reset_peak_bytes();  // peak := current

  // The clear slots of a simulated ciphertext (no decrypt counted): for tests and debugging.
  const std::vector<double>& peek(const Ciphertext& ct) const;

  // --- Backend
  std::size_t slot_count() const override { return params_.slot_count(); }
  int max_level() const override { return params_.max_level(); }
  double default_scale() const override { return params_.scale; }
  double modulus_at(int level) const override;

  Plaintext encode(std::span<const double> values, int level, double scale) const override;
  std::vector<double> decode(const Plaintext& pt) const override;
  Ciphertext encrypt(const Plaintext& pt) const override;
  std::vector<double> decrypt(const Ciphertext& ct) const override;

  int level(const Ciphertext& ct) const override;
  double scale(const Ciphertext& ct) const override;
  int size(const Ciphertext& ct) const override;
  int level(const Plaintext& pt) const override;
  double scale(const Plaintext& pt) const override;
  std::size_t byte_size(const Ciphertext& ct) const override;
  std::size_t byte_size(const Plaintext& pt) const override;

  Ciphertext add(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext add_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext sub(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext sub_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext multiply_plain(const Ciphertext& a, const Plaintext& b) const override;
  Ciphertext multiply(const Ciphertext& a, const Ciphertext& b) const override;
  Ciphertext square(const Ciphertext& a) const override;
  Ciphertext relinearize(const Ciphertext& a) const override;
  Ciphertext multiply_const(const Ciphertext& a, double value, double const_scale) const override;
  Ciphertext rescale(const Ciphertext& a) const override;
  Ciphertext drop_to_level(const Ciphertext& a, int level) const override;
  Ciphertext rotate(const Ciphertext& a, int step) const override;
  std::vector<Ciphertext> rotate_many(const Ciphertext& a, std::span<const int> steps) const override;
  std::vector<Ciphertext> multiply_plain_sums(std::span<const Ciphertext> cts, std::span<const Plaintext> pts,
                                              std::size_t terms) const override;

 private:
  struct Ct;
  struct Pt;
  const Ct& ct_of(const Ciphertext& c, const char* who) const;
  const Pt& pt_of(const Plaintext& p, const char* who) const;
  Ciphertext make_ct(std::vector<double> slots, int level, double scale, int size) const;
  void check_scale_fits(double scale, int level, const char* who) const;
  void add_noise(std::vector<double>& slots) const;
  std::vector<double> rotated(const std::vector<double>& in, int step) const;
  Ciphertext combine(const Ciphertext& a, const Ciphertext& b, double sign, Op op, const char* who) const;
  Ciphertext combine_plain(const Ciphertext& a, const Plaintext& b, double sign, Op op, const char* who) const;
  Ciphertext product(const Ct& a, const Ct& b, Op op, const char* who) const;

  SimParams params_;
  SimOptions options_;
  std::vector<double> log2_modulus_prefix_;  // log2(q_0 * ... * q_l)
  mutable OpCounter counter_;
  std::shared_ptr<SimMemory> memory_;
  mutable std::mutex noise_mutex_;
  mutable std::unique_ptr<Csprng> noise_rng_;
};

}  // namespace hepex::backend
