#pragma once
// CKKS encoder: slot vectors <-> plaintext polynomials through the canonical embedding (fft.hpp).
//
// encode: m = round(scale * embed_inverse(z)) reduced modulo every prime of the level, in NTT form.
// Rounding is exact for any magnitude (values >= 2^62 are decomposed into mantissa * 2^exponent);
// |scale * coefficient| must stay below Q_level / 2 (InvalidArgument otherwise).
// decode: exact centered CRT of every coefficient (CrtComposer), divided by the plaintext's scale, then
// the forward embedding. Slot counts: any power of two up to N/2 ("sparse" below N/2); fewer values
// than slots are padded with zeros.
#include <complex>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "ckks/context.hpp"
#include "ckks/plaintext.hpp"

namespace hepex::ckks {

class CkksEncoder {
 public:
  explicit CkksEncoder(std::shared_ptr<const CkksContext> ctx);

  // slots 0: N/2.
  Plaintext encode(std::span<const std::complex<double>> values, double scale, std::size_t level,
                   std::size_t slots = 0) const;
  Plaintext encode(std::span<const double> values, double scale, std::size_t level, std::size_t slots = 0) const;
  // Every slot equal to `value`.
  Plaintext encode_constant(std::complex<double> value, double scale, std::size_t level, std::size_t slots = 0) const;

  std::vector<std::complex<double>> decode(const Plaintext& pt) const;
  std::vector<double> decode_real(const Plaintext& pt) const;

  const CkksContext& context() const { return *ctx_; }

 private:
  std::shared_ptr<const CkksContext> ctx_;
};

// Rounds `coeffs` (already multiplied by the scale) to integers and writes their residues modulo the
// primes of `level` into `out` (level+1 limbs, coefficient form). Shared by the encoder and the evaluator.
void round_to_rns(const CkksContext& ctx, const double* coeffs, std::size_t level, RnsPoly& out);

// InvalidArgument unless integers of magnitude max_abs fit (centered) modulo Q at `level`.
void check_scaled_fits(const CkksContext& ctx, double max_abs, std::size_t level);

// round(x) mod q, exact for any finite double (also beyond 2^63).
u64 rounded_residue(double x, const Modulus& q);

}  // namespace hepex::ckks
