#pragma once
// The planner's precision check: the output error a plan's plaintext rounding causes, simulated.
//
// Encoding rounds a plaintext's coefficients, so every slot of it, zeros included, carries an error of about
// sqrt(p / 6) / scale (p: the slots it repeats over). A zero weight therefore still passes on its input's
// value times that error. Where a layer's unknowns are repaired in the next layer's weights, the next layer
// multiplies the partial sums left in the unknown slots, often far larger than the outputs, by such zeros:
// the repair pattern, not the scale, decides the error (784-512-128-512-784 at one scale: 7-16x between
// patterns, measured encrypted; docs/RESULTS.md, issue 14 part 9). The simulator with encoding's rounding
// (SimOptions::encode_rounding) ranks the patterns as the engine does: within 25% of its errors on the study
// models, within 3x on a small test model (tests/infer/precision_test.cpp).
#include "infer/plan.hpp"
#include "nn/model.hpp"

namespace hepex::infer {

// Root-mean-square output error of `plan` for `model` from encoding's rounding alone, simulated on one
// batch tile (at most plan.t3 inputs) of calibration inputs uniform in [0, 1] (the pixel range of the data
// sets; fixed seeds: the same plan always gets the same number). Seconds for the largest study models (the
// cost of one plaintext evaluation in the simulator, weights encoded block by block).
double simulated_rounding_error(const nn::Model& model, const Plan& plan);

}  // namespace hepex::infer
