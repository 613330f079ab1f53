#include "ckks/decryptor.hpp"

#include "ckks/polyarith.hpp"
#include "ckks/sampling.hpp"
#include "util/csprng.hpp"
#include "util/error.hpp"

namespace hepex::ckks {

Decryptor::Decryptor(std::shared_ptr<const CkksContext> ctx, SecretKey sk) : ctx_(std::move(ctx)), sk_(std::move(sk)) {
  if (sk_.param_hash() != ctx_->param_hash()) throw MismatchError("decryptor: secret key belongs to other parameters");
}

Plaintext Decryptor::decrypt(const Ciphertext& ct) const {
  const CkksContext& ctx = *ctx_;
  if (ct.empty()) throw InvalidArgument("decryptor: empty ciphertext");
  if (ct.param_hash() != ctx.param_hash()) throw MismatchError("decryptor: ciphertext belongs to other parameters");
  const std::size_t level = ct.level();
  const auto& primes = ctx.level_primes(level);
  // Horner: m = c0 + s (c1 + s (c2 + ...)).
  RnsPoly m = ct.poly(ct.size() - 1).prefix(level + 1);
  for (std::size_t i = ct.size() - 1; i-- > 0;) {
    poly::multiply(ctx, primes, m.data(), sk_.poly().data(), m.data());
    poly::add(ctx, primes, m.data(), ct.poly(i).data(), m.data());
  }
  return Plaintext(ctx, std::move(m), level, ct.scale(), ct.slots());
}

Plaintext Decryptor::decrypt(const Ciphertext& ct, int flood_bits) const {
  if (flood_bits < 0 || flood_bits > 60) throw InvalidArgument("decryptor: flooding of " + std::to_string(flood_bits) + " bits (0 to 60)");
  Plaintext pt = decrypt(ct);
  if (flood_bits == 0) return pt;
  const CkksContext& ctx = *ctx_;
  const auto& primes = ctx.level_primes(pt.level());
  Csprng rng;
  const std::int64_t half = std::int64_t{1} << flood_bits;
  std::vector<std::int64_t> noise(ctx.n());
  for (auto& e : noise) e = std::int64_t(rng.uniform_below(std::uint64_t(2 * half + 1))) - half;
  std::vector<Modulus> moduli;
  for (std::size_t g : primes) moduli.push_back(ctx.modulus(g));
  RnsPoly e = RnsPoly::uninitialized(ctx.n(), primes.size());
  small_to_rns(noise.data(), ctx.n(), moduli, e.data());
  poly::ntt_forward(ctx, primes, e.data());
  RnsPoly m = pt.poly();
  poly::add(ctx, primes, m.data(), e.data(), m.data());
  return Plaintext(ctx, std::move(m), pt.level(), pt.scale(), pt.slots());
}

}  // namespace hepex::ckks
