#include "ckks/plaintext.hpp"

#include <cmath>
#include <string>

#include "ckks/polyarith.hpp"
#include "util/error.hpp"

namespace hepex::ckks {

namespace {
void check_level_scale(const CkksContext& ctx, std::size_t level, double scale, const std::string& what) {
  if (level > ctx.max_level())
    throw InvalidArgument(what + ": level " + std::to_string(level) + " exceeds the maximum " +
                          std::to_string(ctx.max_level()));
  if (!(scale > 0) || !std::isfinite(scale)) throw InvalidArgument(what + ": scale must be positive and finite");
}
}  // namespace

Plaintext::Plaintext(const CkksContext& ctx, RnsPoly poly, std::size_t level, double scale, std::size_t slots)
    : poly_(std::move(poly)), level_(level), scale_(scale), slots_(slots), param_hash_(ctx.param_hash()) {
  check_level_scale(ctx, level, scale, "plaintext");
  check_slot_count(ctx, slots, "plaintext");
  check_poly_shape(ctx, poly_, level + 1, "plaintext");
}

Plaintext Plaintext::from_parts(const CkksContext& ctx, RnsPoly poly, std::size_t level, double scale,
                                std::size_t slots) {
  Plaintext pt(ctx, std::move(poly), level, scale, slots);
  check_poly_residues(ctx, pt.poly_, ctx.level_primes(level), "plaintext");
  return pt;
}

void Plaintext::set_scale(double scale) {
  if (!(scale > 0) || !std::isfinite(scale)) throw InvalidArgument("plaintext: scale must be positive and finite");
  scale_ = scale;
}

void Plaintext::drop_to_level(std::size_t level) {
  if (level > level_)
    throw InvalidArgument("plaintext: cannot drop from level " + std::to_string(level_) + " up to level " +
                          std::to_string(level));
  poly_.truncate(level + 1);
  level_ = level;
}

}  // namespace hepex::ckks
