#pragma once
// Planner options shared by the verbs that plan (`hepex plan`, `hepex demo`): the planner's own messages
// name them (e.g. "a smaller --min-scale-bits"), so every verb that plans must accept them.
#include <string>

#include <CLI/CLI.hpp>

#include "infer/plan.hpp"
#include "number_check.hpp"

namespace hepex::cli {

inline void add_plan_options(CLI::App* sub, infer::PlanOptions& options) {
  sub->add_option("--min-scale-bits", options.min_scale_bits,
                  "Smallest CKKS scale (bits) the planner may choose: smaller fits deeper networks, less precisely")
      ->check(whole_in(20, infer::PlanOptions{}.max_scale_bits))
      ->capture_default_str();
  sub->add_option("--max-scale-bits", options.max_scale_bits,
                  "Largest CKKS scale (bits) the planner may choose: it takes the largest that fits. Scales below "
                  "2^31 keep every prime but the first below 2^31, where the faster 32-bit kernels run (less precisely)")
      ->check(whole_in(20, infer::PlanOptions{}.max_scale_bits))
      ->capture_default_str();
  sub->add_option("--ring-degree", options.ring_degree,
                  "CKKS ring degree N (a power of two, 8192 to 65536); 0: the smallest that fits at 128-bit security. "
                  "A larger ring allows a larger scale (precision) and holds N/2/(t1 t2) batch slots per tile")
      ->check(CLI::IsMember({0, 8192, 16384, 32768, 65536}))
      ->capture_default_str();
  sub->add_option_function<std::string>(
         "--unknowns",
         [&options](const std::string& v) { options.unknowns_repair = infer::parse_unknowns_repair_choice(v); },
         "How a hidden layer's partial sums (the slots beside its outputs) are removed: clear-and-duplicate (a "
         "0/1 mask, one level, then rotations), mask-in-next-weights (no level: the next layer reads rotated "
         "copies and masks them in its weights, for more products), one of the two per hidden layer separated "
         "by commas (e.g. mask-in-next-weights,clear-and-duplicate,mask-in-next-weights; layers without "
         "unknowns ignore theirs), or auto (the planner's choice per layer: the largest scale, then among the "
         "patterns within 10% of the lowest estimated latency the fastest whose simulated rounding error is within "
         "1.5x of the least; see --no-precision-check) [auto]")
      ->check([](const std::string& v) {
        try {
          infer::parse_unknowns_repair_choice(v);
          return std::string();
        } catch (const std::exception& e) {
          return std::string(e.what());
        }
      });
  sub->add_flag(
         "--no-precision-check", [&options](std::int64_t) { options.precision_check = false; },
         "With --unknowns auto: choose the repair pattern by estimated latency alone, without simulating the "
         "near-fastest patterns' rounding error (seconds for large models; the error can differ 7-16x between them)");
  sub->add_option_function<std::string>(
         "--batch-layout",
         [&options](const std::string& v) { options.batch_layout = infer::parse_batch_layout_choice(v); },
         "Where the batch sits in each tile's slots: outer (compact weight plaintexts, one more level per transposed "
         "layer), inner, or auto (outer when it fits the same ring degree) [auto]")
      ->check(CLI::IsMember({"auto", "inner", "outer"}));
  sub->add_option("--hoisted-rotations", options.hoisted_rotations,
                  "Rotations per hoisted sum in each rotate-and-sum (1, 2, 4, ... 64): the sum over k positions shares "
                  "one key-switching decomposition and one ModDown among its k - 1 rotations, for k - 1 Galois keys "
                  "per stride and direction instead of log2(k); 1: doublings only")
      ->check(CLI::IsMember({1, 2, 4, 8, 16, 32, 64}))
      ->capture_default_str();
  sub->add_option_function<std::string>(
         "--sum-after-rescale",
         [&options](const std::string& v) {
           options.sum_after_rescale = v == "auto" ? std::nullopt : std::optional<bool>(v == "yes");
         },
         "Rescale each layer's product sums before their rotate-and-sum: the rotations switch keys one limb lower "
         "(faster), and the sum carries t copies of the rescale's rounding noise (less precise at small scales). "
         "auto: yes when the scale is at least 2^" + std::to_string(infer::kSumAfterRescaleMinScaleBits) + " [auto]")
      ->check(CLI::IsMember({"auto", "yes", "no"}));
}

}  // namespace hepex::cli
