#include "ckks/ciphertext.hpp"

#include <cmath>
#include <string>

#include "ckks/polyarith.hpp"
#include "util/error.hpp"

namespace hepex::ckks {

Ciphertext::Ciphertext(const CkksContext& ctx, std::size_t size, std::size_t level, double scale, std::size_t slots)
    : level_(level), scale_(scale), slots_(slots), param_hash_(ctx.param_hash()) {
  if (level > ctx.max_level())
    throw InvalidArgument("ciphertext: level " + std::to_string(level) + " exceeds the maximum " +
                          std::to_string(ctx.max_level()));
  if (!(scale > 0) || !std::isfinite(scale)) throw InvalidArgument("ciphertext: scale must be positive and finite");
  check_slot_count(ctx, slots, "ciphertext");
  polys_.reserve(size);
  for (std::size_t i = 0; i < size; ++i) polys_.emplace_back(ctx.n(), level + 1);
}

Ciphertext Ciphertext::from_parts(const CkksContext& ctx, std::vector<RnsPoly> polys, std::size_t level,
                                  double scale, std::size_t slots, std::optional<Seed> c1_seed) {
  if (polys.size() < 2)
    throw InvalidArgument("ciphertext: needs at least 2 polynomials, got " + std::to_string(polys.size()));
  Ciphertext ct(ctx, 0, level, scale, slots);
  for (std::size_t i = 0; i < polys.size(); ++i) {
    const std::string what = "ciphertext polynomial " + std::to_string(i);
    check_poly_shape(ctx, polys[i], level + 1, what);
    check_poly_residues(ctx, polys[i], ctx.level_primes(level), what);
  }
  if (c1_seed && expand_uniform(ctx, *c1_seed, ctx.level_primes(level), 1)[0] != polys[1])
    throw InvalidArgument("ciphertext: c1 does not match its seed");
  ct.polys_ = std::move(polys);
  ct.c1_seed_ = c1_seed;
  return ct;
}

Ciphertext Ciphertext::from_seeded(const CkksContext& ctx, RnsPoly c0, const Seed& c1_seed, std::size_t level,
                                   double scale, std::size_t slots) {
  Ciphertext ct(ctx, 0, level, scale, slots);
  check_poly_shape(ctx, c0, level + 1, "ciphertext polynomial 0");
  check_poly_residues(ctx, c0, ctx.level_primes(level), "ciphertext polynomial 0");
  ct.polys_.push_back(std::move(c0));
  ct.polys_.push_back(std::move(expand_uniform(ctx, c1_seed, ctx.level_primes(level), 1)[0]));
  ct.c1_seed_ = c1_seed;
  return ct;
}

void Ciphertext::set_scale(double scale) {
  if (!(scale > 0) || !std::isfinite(scale)) throw InvalidArgument("ciphertext: scale must be positive and finite");
  scale_ = scale;
}

void Ciphertext::drop_to_level(std::size_t level) {
  if (level > level_)
    throw InvalidArgument("ciphertext: cannot drop from level " + std::to_string(level_) + " up to level " +
                          std::to_string(level));
  if (level == level_) return;
  for (auto& p : polys_) p.truncate(level + 1);
  level_ = level;
  c1_seed_.reset();
}

void Ciphertext::resize(std::size_t size) {
  if (size < polys_.size()) {
    polys_.resize(size);
  } else {
    const std::size_t n = polys_.empty() ? 0 : polys_[0].n();
    while (polys_.size() < size) polys_.emplace_back(n, level_ + 1);
  }
  c1_seed_.reset();
}

}  // namespace hepex::ckks
