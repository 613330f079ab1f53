#include "ckks/encryptor.hpp"

#include "ckks/polyarith.hpp"
#include "ckks/sampling.hpp"
#include "util/error.hpp"

namespace hepex::ckks {
namespace {

Csprng make_rng(const std::optional<Seed>& seed) { return seed ? Csprng(*seed) : Csprng(); }

template <class Int>
RnsPoly small_ntt(const CkksContext& ctx, const std::vector<Int>& coeffs, std::size_t level) {
  RnsPoly p(ctx.n(), level + 1);
  small_to_rns(coeffs.data(), ctx.n(), ctx.level_moduli(level), p.data());
  poly::ntt_forward(ctx, ctx.level_primes(level), p.data());
  return p;
}

void check_plaintext(const CkksContext& ctx, const Plaintext& pt) {
  if (pt.empty()) throw InvalidArgument("encryptor: empty plaintext");
  if (pt.param_hash() != ctx.param_hash()) throw MismatchError("encryptor: plaintext belongs to other parameters");
}

}  // namespace

Encryptor::Encryptor(std::shared_ptr<const CkksContext> ctx, PublicKey pk, std::optional<Seed> seed)
    : ctx_(std::move(ctx)), pk_(std::move(pk)), rng_(make_rng(seed)) {
  if (pk_->param_hash() != ctx_->param_hash()) throw MismatchError("encryptor: public key belongs to other parameters");
}

Encryptor::Encryptor(std::shared_ptr<const CkksContext> ctx, SecretKey sk, std::optional<Seed> seed)
    : ctx_(std::move(ctx)), sk_(std::move(sk)), rng_(make_rng(seed)) {
  if (sk_->param_hash() != ctx_->param_hash()) throw MismatchError("encryptor: secret key belongs to other parameters");
}

Ciphertext Encryptor::encrypt(const Plaintext& pt) {
  check_plaintext(*ctx_, pt);
  return pk_ ? encrypt_public(pt) : encrypt_symmetric(pt);
}

Ciphertext Encryptor::encrypt_public(const Plaintext& pt) {
  const CkksContext& ctx = *ctx_;
  const std::size_t level = pt.level();
  const auto& primes = ctx.level_primes(level);
  const RnsPoly u = small_ntt(ctx, sample_ternary(rng_, ctx.n()), level);
  Ciphertext ct(ctx, 0, level, pt.scale(), pt.slots());
  RnsPoly c0 = small_ntt(ctx, sample_gaussian(rng_, ctx.n()), level);
  RnsPoly c1 = small_ntt(ctx, sample_gaussian(rng_, ctx.n()), level);
  poly::multiply_add(ctx, primes, pk_->b().data(), u.data(), c0.data());
  poly::add(ctx, primes, c0.data(), pt.poly().data(), c0.data());
  poly::multiply_add(ctx, primes, pk_->a().data(), u.data(), c1.data());
  auto& polys = ct.mutable_polys();
  polys.push_back(std::move(c0));
  polys.push_back(std::move(c1));
  return ct;
}

Ciphertext Encryptor::encrypt_symmetric(const Plaintext& pt) {
  const CkksContext& ctx = *ctx_;
  const std::size_t level = pt.level();
  const auto& primes = ctx.level_primes(level);
  Seed seed;
  rng_.fill(seed);
  RnsPoly a = std::move(expand_uniform(ctx, seed, primes, 1)[0]);
  RnsPoly c0 = small_ntt(ctx, sample_gaussian(rng_, ctx.n()), level);
  RnsPoly as(ctx.n(), level + 1);
  poly::multiply(ctx, primes, a.data(), sk_->poly().data(), as.data());
  poly::sub(ctx, primes, c0.data(), as.data(), c0.data());
  poly::add(ctx, primes, c0.data(), pt.poly().data(), c0.data());
  Ciphertext ct(ctx, 0, level, pt.scale(), pt.slots());
  auto& polys = ct.mutable_polys();
  polys.push_back(std::move(c0));
  polys.push_back(std::move(a));
  ct.set_c1_seed(seed);
  return ct;
}

}  // namespace hepex::ckks
