#include "infer/precision.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "backend/sim_backend.hpp"
#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "tile/pack.hpp"

namespace hepex::infer {

double simulated_rounding_error(const nn::Model& model, const Plan& plan) {
  Plan one_tile = plan;  // the error per input does not depend on how many batch tiles run
  one_tile.batch = std::min(plan.batch, plan.t3);
  const std::size_t count = one_tile.batch;
  std::vector<double> samples(count * plan.input_size);
  std::mt19937_64 inputs(1);  // calibration inputs, not secrets
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (double& v : samples) v = unit(inputs);

  backend::SimOptions noise;
  noise.encode_rounding = true;
  backend::SimBackend sim(plan.ckks.sim_params(), noise);
  const CompiledNetwork net = compile_for(model, one_tile);
  Executor executor(sim, net, one_tile.batch, WeightMode::kOnTheFly);
  // Unpacked without decrypt_output's bound: calibration inputs may drive a model beyond what its plan
  // carries, where the ranking of the plans still holds (the simulator does not wrap around).
  const auto y = output_samples(one_tile, tile::unpack(sim, executor.run(encrypt_input(sim, one_tile, samples, count))),
                                count);
  const auto reference = plain_outputs(model, samples, count);
  double squares = 0;
  for (std::size_t i = 0; i < y.size(); ++i) squares += (y[i] - reference[i]) * (y[i] - reference[i]);
  return std::sqrt(squares / static_cast<double>(y.size()));
}

}  // namespace hepex::infer
