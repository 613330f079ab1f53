// SimOptions::encode_rounding against the CKKS engine's encoder: the error encoding leaves in the slots
// (its coefficients rounded at the plaintext's scale), in full and compact plaintexts.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backend/ckks_backend.hpp"
#include "backend/sim_backend.hpp"
#include "util/csprng.hpp"

using namespace hepex;
using namespace hepex::backend;

namespace {

std::shared_ptr<const ckks::CkksContext> context() {
  static const auto ctx = ckks::CkksContext::create(
      ckks::CkksParameters::create(4096, 50, 40, 3, 2, ckks::SecurityLevel::kInsecureForTestsOnly));
  return ctx;
}

double rms(const std::vector<double>& e) {
  double s = 0;
  for (double v : e) s += v * v;
  return std::sqrt(s / double(e.size()));
}

std::vector<double> error_of(const Backend& be, const std::vector<double>& values, double scale) {
  auto out = be.decode(be.encode(values, be.max_level(), scale));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] -= values[i];
  return out;
}

}  // namespace

TEST(EncodeRounding, TheSimulatorsErrorIsTheEnginesInFullAndCompactPlaintexts) {
  const CkksBackend engine(context(), {});
  SimOptions rounding;
  rounding.encode_rounding = true;
  const SimBackend sim(sim_params_for(context()->params()), rounding);
  const std::size_t slots = engine.slot_count();
  const double scale = std::ldexp(1.0, 20);  // an error of 1e-6 to 1e-5: far above the decoder's own
  Csprng rng(seed_from_u64(9));
  for (std::size_t period : {slots, std::size_t{32}}) {
    SCOPED_TRACE("period " + std::to_string(period));
    std::vector<double> values(slots);
    for (std::size_t i = 0; i < period; ++i) values[i] = 2 * rng.next_double() - 1;
    for (std::size_t i = period; i < slots; ++i) values[i] = values[i % period];
    const double expected = std::sqrt(double(period) / 6) / scale;
    const auto e_engine = error_of(engine, values, scale), e_sim = error_of(sim, values, scale);
    EXPECT_NEAR(rms(e_engine) / expected, 1.0, 0.2);
    EXPECT_NEAR(rms(e_sim) / expected, 1.0, 0.2);
    // A compact plaintext's error repeats with it, in both.
    for (std::size_t i = period; i < slots; ++i) {
      ASSERT_NEAR(e_engine[i], e_engine[i % period], 1e-12) << i;
      ASSERT_EQ(e_sim[i], e_sim[i % period]) << i;
    }
  }
  // Without the option the simulator encodes exactly.
  const SimBackend exact(sim_params_for(context()->params()));
  std::vector<double> v(slots, 0.3);
  EXPECT_EQ(rms(error_of(exact, v, scale)), 0.0);
}
