#pragma once
// Samplers for CKKS keys and noise, all drawn from hepex::Csprng. Outputs are RNS polynomials in
// coefficient form, limb-major (limb j = the same integer polynomial reduced modulo moduli[j]).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ckks/modarith.hpp"
#include "util/csprng.hpp"

namespace hepex::ckks {

inline constexpr double kErrorStdDev = 3.2;        // HE Standard
inline constexpr double kErrorBound = 6 * 3.2;     // tail cut: |e| <= 19

// Uniform ternary coefficients in {-1, 0, 1} (probabilities 1/3 each).
std::vector<std::int8_t> sample_ternary(Csprng& rng, std::size_t n);
// Rounded Gaussian, standard deviation kErrorStdDev, rejected beyond kErrorBound.
std::vector<std::int64_t> sample_gaussian(Csprng& rng, std::size_t n);

// Small signed integer coefficients -> RNS limbs (out has moduli.size() * n words).
void small_to_rns(const std::int8_t* coeffs, std::size_t n, const std::vector<Modulus>& moduli, u64* out);
void small_to_rns(const std::int64_t* coeffs, std::size_t n, const std::vector<Modulus>& moduli, u64* out);

// Independent uniform residues in [0, q_j) for every limb (a uniform element of Z_Q[X]/(X^n+1)).
void sample_uniform(Csprng& rng, std::size_t n, const std::vector<Modulus>& moduli, u64* out);

}  // namespace hepex::ckks
