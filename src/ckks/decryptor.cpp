#include "ckks/decryptor.hpp"

#include "ckks/polyarith.hpp"
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

}  // namespace hepex::ckks
