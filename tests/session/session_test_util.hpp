#pragma once
// What the session tests share: a small model as pruning leaves it (permuted input), its plan on the
// insecure test ring, a Server allowed that ring, and seeded samples.
#include <cstddef>
#include <cstdint>

#include "../infer/infer_test_util.hpp"
#include "infer/plan.hpp"
#include "session/client.hpp"
#include "session/server.hpp"

namespace hepex::session_test {

constexpr auto kInsecure = SecurityPolicy::kAllowInsecureForTestsOnly;  // the small test ring only
constexpr std::size_t kT1 = 2, kT2 = 4, kBatch = 8;

// 16-12-6 with a poly2 activation and a permuted input (as pruning leaves it).
inline nn::Model small_model() {
  auto m = infer::testing::random_model({16, 12, 6}, {nn::Activation::poly2(0.3f, 0.9f, 0.1f, false),
                                                      nn::Activation::identity()},
                                        31, 0.3f);
  m.set_input_perm(infer::testing::random_perm(16, 9));
  return m;
}

inline infer::Plan small_plan(const nn::Model& m) {
  infer::PlanOptions o;
  o.ring_degree = 1024;
  o.insecure = true;
  o.max_scale_bits = 36;
  return infer::make_plan(m, kT1, kT2, kBatch, o);
}

inline ServerOptions insecure_server() {
  ServerOptions o;
  o.security = kInsecure;
  return o;
}

inline Samples random_samples(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  return Samples{infer::testing::random_inputs(rows, cols, seed), rows, cols};
}

}  // namespace hepex::session_test
