#include "ckks/keygen.hpp"

#include <set>

#include "ckks/galois.hpp"
#include "ckks/polyarith.hpp"
#include "ckks/sampling.hpp"
#include "util/error.hpp"
#include "util/hash.hpp"

namespace hepex::ckks {
namespace {

SecretKey sample_secret(const CkksContext& ctx, Csprng& rng) {
  auto t = sample_ternary(rng, ctx.n());
  RnsPoly s(ctx.n(), ctx.prime_count());
  small_to_rns(t.data(), ctx.n(), ctx.all_moduli(), s.data());
  secure_wipe(t.data(), t.size());
  poly::ntt_forward(ctx, ctx.all_primes(), s.data());
  return SecretKey(ctx, std::move(s));
}

Seed draw_seed(Csprng& rng) {
  Seed s;
  rng.fill(s);
  return s;
}

}  // namespace

KeyGenerator::KeyGenerator(std::shared_ptr<const CkksContext> ctx) : ctx_(std::move(ctx)), rng_() {
  sk_ = sample_secret(*ctx_, rng_);
}

KeyGenerator::KeyGenerator(std::shared_ptr<const CkksContext> ctx, const Seed& seed)
    : ctx_(std::move(ctx)), rng_(seed) {
  sk_ = sample_secret(*ctx_, rng_);
}

KeyGenerator::KeyGenerator(std::shared_ptr<const CkksContext> ctx, SecretKey secret_key)
    : ctx_(std::move(ctx)), rng_(), sk_(std::move(secret_key)) {
  if (sk_.param_hash() != ctx_->param_hash())
    throw MismatchError("key generator: the secret key belongs to other parameters");
}

RnsPoly KeyGenerator::sample_error_ntt(const std::vector<std::size_t>& primes) {
  auto e = sample_gaussian(rng_, ctx_->n());
  std::vector<Modulus> moduli;
  for (std::size_t g : primes) moduli.push_back(ctx_->modulus(g));
  RnsPoly p = RnsPoly::uninitialized(ctx_->n(), primes.size());
  small_to_rns(e.data(), ctx_->n(), moduli, p.data());
  secure_wipe(e.data(), e.size() * sizeof(e[0]));  // the error reveals the secret through b = e - a s
  poly::ntt_forward(*ctx_, primes, p.data());
  return p;
}

PublicKey KeyGenerator::create_public_key() {
  const CkksContext& ctx = *ctx_;
  const auto& primes = ctx.all_primes();
  const Seed seed = draw_seed(rng_);
  PublicKey pk;
  pk.a_ = std::move(expand_uniform(ctx, seed, primes, 1)[0]);
  pk.a_seed_ = seed;
  pk.b_ = sample_error_ntt(primes);  // b = e - a s
  poly::multiply_sub(ctx, primes, pk.a_.data(), sk_.poly().data(), pk.b_.data());
  pk.param_hash_ = ctx.param_hash();
  return pk;
}

KeySwitchKey KeyGenerator::create_switch_key(const RnsPoly& s_prime) {
  const CkksContext& ctx = *ctx_;
  const auto& all = ctx.all_primes();
  const std::size_t n = ctx.n(), top = ctx.max_level(), dnum = ctx.params().dnum();
  const Seed seed = draw_seed(rng_);
  KeySwitchKey key;
  key.a_ = expand_uniform(ctx, seed, all, dnum);
  key.a_seed_ = seed;
  key.param_hash_ = ctx.param_hash();
  key.top_level_ = top;
  // P mod q_i for the gadget term P * s' on the digit's primes.
  std::vector<u64> p_mod(top + 1);
  for (std::size_t i = 0; i <= top; ++i) p_mod[i] = inv_mod(ctx.p_inv()[i], ctx.modulus(i).value);
  for (std::size_t d = 0; d < dnum; ++d) {
    RnsPoly b = sample_error_ntt(all);  // e - a s
    poly::multiply_sub(ctx, all, key.a_[d].data(), sk_.poly().data(), b.data());
    const auto [first, last] = ctx.params().digit_range(top, d);
    for (std::size_t i = first; i < last; ++i) {
      const Modulus& m = ctx.modulus(i);
      const u64 w = p_mod[i], ws = shoup_precompute(w, m.value);
      u64* bl = b.limb(i);
      const u64* sl = s_prime.limb(i);
      for (std::size_t x = 0; x < n; ++x) bl[x] = add_mod(bl[x], mul_shoup(sl[x], w, ws, m.value), m.value);
    }
    key.b_.push_back(std::move(b));
  }
  return key;
}

RelinKey KeyGenerator::create_relin_key() {
  const CkksContext& ctx = *ctx_;
  RnsPoly s2(ctx.n(), ctx.prime_count());
  poly::multiply(ctx, ctx.all_primes(), sk_.poly().data(), sk_.poly().data(), s2.data());
  RelinKey rk{create_switch_key(s2)};
  s2.wipe();
  return rk;
}

void KeyGenerator::add_galois_key(GaloisKeys& keys, std::uint64_t galois_element) {
  const CkksContext& ctx = *ctx_;
  if (keys.param_hash() != ctx.param_hash())
    throw MismatchError("key generator: the Galois key set belongs to other parameters");
  const auto perm = ctx.galois_permutation(galois_element);
  RnsPoly s_auto = RnsPoly::uninitialized(ctx.n(), ctx.prime_count());
  poly::permute(*perm, ctx.prime_count(), sk_.poly().data(), s_auto.data());
  auto key = create_switch_key(s_auto);
  s_auto.wipe();
  keys.insert(galois_element, std::move(key));
}

GaloisKeys KeyGenerator::create_galois_keys(std::span<const long long> steps, bool conjugation) {
  const CkksContext& ctx = *ctx_;
  std::set<std::uint64_t> elements;
  for (long long s : steps) {
    const std::uint64_t g = galois_element_for_step(ctx.n(), s);
    if (g != 1) elements.insert(g);
  }
  if (conjugation) elements.insert(conjugation_element(ctx.n()));
  GaloisKeys keys(ctx.param_hash());
  for (std::uint64_t g : elements) add_galois_key(keys, g);
  return keys;
}

GaloisKeys KeyGenerator::create_power_of_two_galois_keys(bool conjugation) {
  std::vector<long long> steps;
  for (long long s = 1; s < static_cast<long long>(ctx_->n() / 2); s *= 2) {
    steps.push_back(s);
    steps.push_back(-s);
  }
  return create_galois_keys(steps, conjugation);
}

}  // namespace hepex::ckks
