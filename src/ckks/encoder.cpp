#include "ckks/encoder.hpp"

#include <cmath>
#include <string>

#include "ckks/polyarith.hpp"
#include "util/error.hpp"

namespace hepex::ckks {
namespace {

std::size_t resolve_slots(const CkksContext& ctx, std::size_t slots, std::size_t values) {
  if (slots == 0) slots = ctx.n() / 2;
  check_slot_count(ctx, slots, "encoder");
  if (values > slots)
    throw InvalidArgument("encoder: " + std::to_string(values) + " values do not fit in " + std::to_string(slots) +
                          " slots");
  return slots;
}

// x mod q for an integral double x (|x| < 2^62 via int64, larger by mantissa * 2^exponent).
struct ExactInteger {
  bool negative = false;
  u64 mantissa = 0;  // |x| = mantissa * 2^shift
  int shift = 0;
};

ExactInteger split(double x) {
  ExactInteger r;
  r.negative = x < 0;
  const double a = std::fabs(x);
  if (a < 0x1p62) {
    r.mantissa = static_cast<u64>(a);
    return r;
  }
  int e = 0;
  const double f = std::frexp(a, &e);          // a = f * 2^e, f in [0.5, 1)
  r.mantissa = static_cast<u64>(std::ldexp(f, 53));  // exact: 53-bit integer
  r.shift = e - 53;
  return r;
}

u64 residue(const ExactInteger& x, const Modulus& m) {
  u64 r = reduce_u64(x.mantissa, m);
  if (x.shift > 0) r = mul_mod(r, pow_mod(2, static_cast<u64>(x.shift), m), m);
  return x.negative ? neg_mod(r, m.value) : r;
}

}  // namespace

u64 rounded_residue(double x, const Modulus& q) {
  if (!std::isfinite(x)) throw InvalidArgument("encoder: value is not finite (NaN or infinity)");
  return residue(split(std::nearbyint(x)), q);
}

void check_scaled_fits(const CkksContext& ctx, double max_abs, std::size_t level) {
  double log_q = 0;
  for (std::size_t j = 0; j <= level; ++j) log_q += std::log2(static_cast<double>(ctx.modulus(j).value));
  if (max_abs > 0 && std::log2(max_abs) + 1 >= log_q)
    throw InvalidArgument("encoder: scaled value of magnitude 2^" + std::to_string(std::log2(max_abs)) +
                          " does not fit modulo Q at level " + std::to_string(level) + " (2^" +
                          std::to_string(log_q) + "); lower the scale or encode at a higher level");
}

void round_to_rns(const CkksContext& ctx, const double* coeffs, std::size_t level, RnsPoly& out) {
  const std::size_t n = ctx.n(), limbs = level + 1;
  double max_abs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(coeffs[i])) throw InvalidArgument("encoder: value is not finite (NaN or infinity)");
    max_abs = std::max(max_abs, std::fabs(coeffs[i]));
  }
  check_scaled_fits(ctx, max_abs, level);
  if (out.n() != n || out.limbs() != limbs) out = RnsPoly(n, limbs);
  std::vector<ExactInteger> ints(n);
  for (std::size_t i = 0; i < n; ++i) ints[i] = split(std::nearbyint(coeffs[i]));
#pragma omp parallel for schedule(static) if (limbs > 1)
  for (std::ptrdiff_t jj = 0; jj < static_cast<std::ptrdiff_t>(limbs); ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    const Modulus& m = ctx.modulus(j);
    u64* o = out.limb(j);
    for (std::size_t i = 0; i < n; ++i) o[i] = residue(ints[i], m);
  }
}

CkksEncoder::CkksEncoder(std::shared_ptr<const CkksContext> ctx) : ctx_(std::move(ctx)) {}

Plaintext CkksEncoder::encode(std::span<const std::complex<double>> values, double scale, std::size_t level,
                              std::size_t slots) const {
  const CkksContext& ctx = *ctx_;
  slots = resolve_slots(ctx, slots, values.size());
  if (level > ctx.max_level())
    throw InvalidArgument("encoder: level " + std::to_string(level) + " exceeds the maximum " +
                          std::to_string(ctx.max_level()));
  if (!(scale > 0) || !std::isfinite(scale)) throw InvalidArgument("encoder: scale must be positive and finite");
  std::vector<std::complex<double>> z(slots);
  std::copy(values.begin(), values.end(), z.begin());
  std::vector<double> coeffs(ctx.n());
  ctx.fft().embed_inverse(z.data(), slots, coeffs.data());
  for (double& c : coeffs) c *= scale;
  RnsPoly poly;
  round_to_rns(ctx, coeffs.data(), level, poly);
  poly::ntt_forward(ctx, ctx.level_primes(level), poly.data());
  return Plaintext(ctx, std::move(poly), level, scale, slots);
}

Plaintext CkksEncoder::encode(std::span<const double> values, double scale, std::size_t level,
                              std::size_t slots) const {
  std::vector<std::complex<double>> z(values.begin(), values.end());
  return encode(std::span<const std::complex<double>>(z), scale, level, slots);
}

Plaintext CkksEncoder::encode_constant(std::complex<double> value, double scale, std::size_t level,
                                       std::size_t slots) const {
  slots = resolve_slots(*ctx_, slots, 0);
  std::vector<std::complex<double>> z(slots, value);
  return encode(std::span<const std::complex<double>>(z), scale, level, slots);
}

std::vector<std::complex<double>> CkksEncoder::decode(const Plaintext& pt) const {
  const CkksContext& ctx = *ctx_;
  if (pt.param_hash() != ctx.param_hash()) throw MismatchError("decoder: plaintext belongs to other parameters");
  const std::size_t n = ctx.n(), level = pt.level(), slots = pt.slots();
  RnsPoly coeff = pt.poly().prefix(level + 1);
  poly::ntt_inverse(ctx, ctx.level_primes(level), coeff.data());
  // Only the subring coefficients (multiples of gap) carry the slots.
  const std::size_t gap = n / (2 * slots);
  const CrtComposer& crt = ctx.composer(level);
  std::vector<double> real(n, 0.0);
  const double inv_scale = 1.0 / pt.scale();
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(n / gap); ++ii) {
    const std::size_t i = static_cast<std::size_t>(ii) * gap;
    real[i] = crt.compose_centered(coeff.data() + i, n) * inv_scale;
  }
  std::vector<std::complex<double>> z(slots);
  ctx.fft().embed(real.data(), slots, z.data());
  return z;
}

std::vector<double> CkksEncoder::decode_real(const Plaintext& pt) const {
  const auto z = decode(pt);
  std::vector<double> r(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) r[i] = z[i].real();
  return r;
}

}  // namespace hepex::ckks
