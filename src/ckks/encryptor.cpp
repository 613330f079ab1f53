#include "ckks/encryptor.hpp"

#include "ckks/keyswitch.hpp"
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
  // (b u + e0, a u + e1) modulo Q_l * P, divided by P (ModDown): the noise shrinks to rounding noise.
  const CkksContext& ctx = *ctx_;
  const std::size_t n = ctx.n(), level = pt.level();
  const auto& ext = ctx.ext_primes(level);
  std::vector<Modulus> moduli;
  for (std::size_t g : ext) moduli.push_back(ctx.modulus(g));
  const auto u = sample_ternary(rng_, n);
  const auto e0 = sample_gaussian(rng_, n), e1 = sample_gaussian(rng_, n);
  // Every buffer below is fully written before it is read: no zero-fill.
  RnsPoly pu = RnsPoly::uninitialized(n, ext.size()), c0 = RnsPoly::uninitialized(n, ext.size()),
          c1 = RnsPoly::uninitialized(n, ext.size());
  small_to_rns(u.data(), n, moduli, pu.data());
  small_to_rns(e0.data(), n, moduli, c0.data());
  small_to_rns(e1.data(), n, moduli, c1.data());
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t kk = 0; kk < static_cast<std::ptrdiff_t>(ext.size()); ++kk) {
    const auto k = static_cast<std::size_t>(kk);
    const std::size_t g = ext[k];
    const NttTables& ntt = ctx.ntt(g);
    const Modulus& m = ctx.modulus(g);
    u64 *uk = pu.limb(k), *x0 = c0.limb(k), *x1 = c1.limb(k);
    ntt.forward(uk);
    ntt.forward(x0);
    ntt.forward(x1);
    const u64 *b = pk_->b().limb(g), *a = pk_->a().limb(g);
    const poly::BarrettProduct mul(m);
    for (std::size_t i = 0; i < n; ++i) {
      x0[i] = add_mod(x0[i], mul(b[i], uk[i]), m.value);
      x1[i] = add_mod(x1[i], mul(a[i], uk[i]), m.value);
    }
  }
  Ciphertext ct(ctx, 0, level, pt.scale(), pt.slots());
  auto& polys = ct.mutable_polys();
  polys.resize(2);  // empty; mod_down allocates them unzeroed
  mod_down(ctx, level, c0, polys[0]);
  mod_down(ctx, level, c1, polys[1]);
  poly::add(ctx, ctx.level_primes(level), polys[0].data(), pt.poly().data(), polys[0].data());
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
