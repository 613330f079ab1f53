#include "ckks/evaluator.hpp"

#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "ckks/encoder.hpp"
#include "ckks/galois.hpp"
#include "ckks/keyswitch.hpp"
#include "ckks/polyarith.hpp"
#include "util/error.hpp"

namespace hepex::ckks {
namespace {

bool scales_close(double a, double b) { return std::fabs(a - b) <= Evaluator::kScaleTolerance * std::max(a, b); }

std::string scale_text(double s) { return "2^" + std::to_string(std::log2(s)); }

void check_key_params(const CkksContext& ctx, std::uint64_t hash, const char* what) {
  if (hash != ctx.param_hash())
    throw MismatchError(std::string("evaluator: ") + what + " belongs to other parameters");
}

}  // namespace

Evaluator::Evaluator(std::shared_ptr<const CkksContext> ctx) : ctx_(std::move(ctx)) {}

// ---------------------------------------------------------------------------------------------- checks

void Evaluator::check_ct(const Ciphertext& a, const char* op) const {
  if (a.empty()) throw InvalidArgument(std::string("evaluator ") + op + ": empty ciphertext");
  if (a.param_hash() != ctx_->param_hash())
    throw MismatchError(std::string("evaluator ") + op + ": ciphertext belongs to other parameters");
}

void Evaluator::check_pair(const Ciphertext& a, const Ciphertext& b, const char* op, bool same_scale) const {
  check_ct(a, op);
  check_ct(b, op);
  const std::string where = std::string("evaluator ") + op + ": ";
  if (a.level() != b.level())
    throw MismatchError(where + "levels differ (" + std::to_string(a.level()) + " vs " + std::to_string(b.level()) +
                        "); rescale or drop_to_level first");
  if (a.slots() != b.slots())
    throw MismatchError(where + "slot counts differ (" + std::to_string(a.slots()) + " vs " +
                        std::to_string(b.slots()) + ")");
  if (same_scale && !scales_close(a.scale(), b.scale()))
    throw MismatchError(where + "scales differ (" + scale_text(a.scale()) + " vs " + scale_text(b.scale()) + ")");
}

namespace {
// The checks of a plaintext operand (full or compact) against its ciphertext.
template <class Plain>
void check_plain_operand(const CkksContext& ctx, const Ciphertext& a, const Plain& p, const char* op, bool same_scale) {
  const std::string where = std::string("evaluator ") + op + ": ";
  if (p.empty()) throw InvalidArgument(where + "empty plaintext");
  if (p.param_hash() != ctx.param_hash()) throw MismatchError(where + "plaintext belongs to other parameters");
  if (p.level() < a.level())
    throw MismatchError(where + "plaintext level " + std::to_string(p.level()) + " is below the ciphertext level " +
                        std::to_string(a.level()));
  if (a.slots() != p.slots())
    throw MismatchError(where + "slot counts differ (" + std::to_string(a.slots()) + " vs " +
                        std::to_string(p.slots()) + ")");
  if (same_scale && !scales_close(a.scale(), p.scale()))
    throw MismatchError(where + "scales differ (" + scale_text(a.scale()) + " vs " + scale_text(p.scale()) + ")");
}
}  // namespace

void Evaluator::check_plain(const Ciphertext& a, const Plaintext& p, const char* op, bool same_scale) const {
  check_ct(a, op);
  check_plain_operand(*ctx_, a, p, op, same_scale);
}

void Evaluator::check_compact(const Ciphertext& a, const CompactPlaintext& p, const char* op, bool same_scale) const {
  check_ct(a, op);
  check_plain_operand(*ctx_, a, p, op, same_scale);
}

// -------------------------------------------------------------------------------------------- additive

void Evaluator::add_inplace(Ciphertext& a, const Ciphertext& b) const {
  check_pair(a, b, "add", true);
  const auto& primes = ctx_->level_primes(a.level());
  if (a.size() < b.size()) a.resize(b.size());
  auto& pa = a.mutable_polys();
  for (std::size_t i = 0; i < b.size(); ++i) poly::add(*ctx_, primes, pa[i].data(), b.poly(i).data(), pa[i].data());
}

void Evaluator::sub_inplace(Ciphertext& a, const Ciphertext& b) const {
  check_pair(a, b, "sub", true);
  const auto& primes = ctx_->level_primes(a.level());
  if (a.size() < b.size()) a.resize(b.size());
  auto& pa = a.mutable_polys();
  for (std::size_t i = 0; i < b.size(); ++i) poly::sub(*ctx_, primes, pa[i].data(), b.poly(i).data(), pa[i].data());
}

void Evaluator::negate_inplace(Ciphertext& a) const {
  check_ct(a, "negate");
  const auto& primes = ctx_->level_primes(a.level());
  for (auto& p : a.mutable_polys()) poly::negate(*ctx_, primes, p.data(), p.data());
}

void Evaluator::add_plain_inplace(Ciphertext& a, const Plaintext& p) const {
  check_plain(a, p, "add_plain", true);
  auto& c0 = a.mutable_polys()[0];
  poly::add(*ctx_, ctx_->level_primes(a.level()), c0.data(), p.poly().data(), c0.data());
}

void Evaluator::sub_plain_inplace(Ciphertext& a, const Plaintext& p) const {
  check_plain(a, p, "sub_plain", true);
  auto& c0 = a.mutable_polys()[0];
  poly::sub(*ctx_, ctx_->level_primes(a.level()), c0.data(), p.poly().data(), c0.data());
}

void Evaluator::constant_ntt(std::size_t level, double re, double im, std::vector<u64>& lo,
                             std::vector<u64>& hi) const {
  // X^(n/2) evaluates to w = psi^(n/2) (a square root of -1) at indices i < n/2 and to -w above
  // (the exponent 2*bitrev(i)+1 is 1 mod 4 exactly when i < n/2).
  lo.resize(level + 1);
  hi.resize(level + 1);
  for (std::size_t j = 0; j <= level; ++j) {
    const Modulus& m = ctx_->modulus(j);
    const u64 r = rounded_residue(re, m);
    const u64 i_part = im == 0 ? 0 : mul_mod(rounded_residue(im, m), pow_mod(ctx_->ntt(j).psi(), ctx_->n() / 2, m), m);
    lo[j] = add_mod(r, i_part, m.value);
    hi[j] = sub_mod(r, i_part, m.value);
  }
}

void Evaluator::add_const_inplace(Ciphertext& a, std::complex<double> c) const {
  check_ct(a, "add_const");
  std::vector<u64> lo, hi;
  constant_ntt(a.level(), c.real() * a.scale(), c.imag() * a.scale(), lo, hi);
  const std::size_t n = ctx_->n(), half = n / 2;
  auto& c0 = a.mutable_polys()[0];
  for (std::size_t j = 0; j <= a.level(); ++j) {
    const u64 q = ctx_->modulus(j).value;
    u64* x = c0.limb(j);
    for (std::size_t i = 0; i < half; ++i) x[i] = add_mod(x[i], lo[j], q);
    for (std::size_t i = half; i < n; ++i) x[i] = add_mod(x[i], hi[j], q);
  }
}

Ciphertext Evaluator::add(const Ciphertext& a, const Ciphertext& b) const {
  Ciphertext r = a;
  add_inplace(r, b);
  return r;
}
Ciphertext Evaluator::sub(const Ciphertext& a, const Ciphertext& b) const {
  Ciphertext r = a;
  sub_inplace(r, b);
  return r;
}
Ciphertext Evaluator::negate(const Ciphertext& a) const {
  Ciphertext r = a;
  negate_inplace(r);
  return r;
}
Ciphertext Evaluator::add_plain(const Ciphertext& a, const Plaintext& p) const {
  Ciphertext r = a;
  add_plain_inplace(r, p);
  return r;
}
Ciphertext Evaluator::sub_plain(const Ciphertext& a, const Plaintext& p) const {
  Ciphertext r = a;
  sub_plain_inplace(r, p);
  return r;
}
Ciphertext Evaluator::add_const(const Ciphertext& a, std::complex<double> c) const {
  Ciphertext r = a;
  add_const_inplace(r, c);
  return r;
}

// ---------------------------------------------------------------------------------------- multiplicative

Ciphertext Evaluator::multiply(const Ciphertext& a, const Ciphertext& b) const {
  check_pair(a, b, "multiply", false);
  if (a.size() != 2 || b.size() != 2)
    throw InvalidArgument("evaluator multiply: operands must have 2 polynomials (relinearize first)");
  const CkksContext& ctx = *ctx_;
  const auto& primes = ctx.level_primes(a.level());
  Ciphertext r(ctx, 0, a.level(), a.scale() * b.scale(), a.slots());
  auto& p = r.mutable_polys();
  for (int i = 0; i < 3; ++i) p.push_back(RnsPoly::uninitialized(ctx.n(), a.level() + 1));
  const u64 *a0 = a.poly(0).data(), *a1 = a.poly(1).data(), *b0 = b.poly(0).data(), *b1 = b.poly(1).data();
  poly::multiply_tensor(ctx, primes, a0, a1, b0, b1, p[0].data(), p[1].data(), p[2].data());
  return r;
}

void Evaluator::relinearize_inplace(Ciphertext& a, const RelinKey& rk) const {
  check_ct(a, "relinearize");
  check_key_params(*ctx_, rk.key.param_hash(), "relinearization key");
  if (a.size() == 2) return;
  if (a.size() != 3) throw InvalidArgument("evaluator relinearize: expects 3 polynomials, got " + std::to_string(a.size()));
  const CkksContext& ctx = *ctx_;
  auto& p = a.mutable_polys();
  key_switch(ctx, p[2], a.level(), rk.key, nullptr, p[0], KeySwitchOutput::kAdd, p[1], KeySwitchOutput::kAdd);
  p.resize(2);
}

Ciphertext Evaluator::relinearize(const Ciphertext& a, const RelinKey& rk) const {
  Ciphertext r = a;
  relinearize_inplace(r, rk);
  return r;
}

Ciphertext Evaluator::multiply_relin(const Ciphertext& a, const Ciphertext& b, const RelinKey& rk) const {
  Ciphertext r = multiply(a, b);
  relinearize_inplace(r, rk);
  return r;
}

namespace {

// out_i = c_i * p (Kernel poly::multiply) or out_i += c_i * p (poly::multiply_add) for every polynomial i,
// limb by limb: each plaintext limb is read once for all of them (while it is in cache) instead of once
// per polynomial.
template <class Kernel>
void polys_times_plain(const CkksContext& ctx, std::size_t level, const std::vector<RnsPoly>& in, const RnsPoly& p,
                       std::vector<RnsPoly>& out, Kernel kernel) {
  const std::size_t n = ctx.n(), limbs = level + 1;
  const auto& primes = ctx.level_primes(level);
#pragma omp parallel for schedule(static) if (limbs > 1 && n * limbs * in.size() >= (std::size_t{1} << 17))
  for (std::ptrdiff_t jj = 0; jj < static_cast<std::ptrdiff_t>(limbs); ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    const poly::Primes one(&primes[j], 1);
    for (std::size_t i = 0; i < in.size(); ++i) kernel(ctx, one, in[i].limb(j), p.limb(j), out[i].limb(j));
  }
}

void multiply_polys_by_plain(const CkksContext& ctx, std::size_t level, const std::vector<RnsPoly>& in,
                             const RnsPoly& p, std::vector<RnsPoly>& out) {
  polys_times_plain(ctx, level, in, p, out, poly::multiply);
}

}  // namespace

void Evaluator::multiply_plain_inplace(Ciphertext& a, const Plaintext& p) const {
  check_plain(a, p, "multiply_plain", false);
  auto& polys = a.mutable_polys();
  multiply_polys_by_plain(*ctx_, a.level(), polys, p.poly(), polys);
  a.set_scale(a.scale() * p.scale());
}

Ciphertext Evaluator::multiply_plain(const Ciphertext& a, const Plaintext& p) const {
  Ciphertext r;
  multiply_plain(a, p, r);
  return r;
}

void Evaluator::multiply_plain(const Ciphertext& a, const Plaintext& p, Ciphertext& dest) const {
  if (&dest == &a) return multiply_plain_inplace(dest, p);
  check_plain(a, p, "multiply_plain", false);
  // Products written straight into dest: one pass instead of a copy and an in-place pass. Its buffers are
  // kept when it has a's shape, or more limbs (dropping limbs keeps the allocation).
  const bool reusable = !dest.empty() && dest.param_hash() == a.param_hash() && dest.size() == a.size() &&
                        dest.level() >= a.level();
  if (reusable) {
    dest.drop_to_level(a.level());
    dest.set_scale(a.scale() * p.scale());
    dest.set_slots(a.slots());
  } else {
    dest = Ciphertext(*ctx_, 0, a.level(), a.scale() * p.scale(), a.slots());
    for (std::size_t i = 0; i < a.size(); ++i) dest.mutable_polys().push_back(RnsPoly::uninitialized(ctx_->n(), a.level() + 1));
  }
  multiply_polys_by_plain(*ctx_, a.level(), a.polys(), p.poly(), dest.mutable_polys());
}

void Evaluator::multiply_plain_accumulate(const Ciphertext& a, const Plaintext& p, Ciphertext& acc) const {
  check_plain(a, p, "multiply_plain_accumulate", false);
  check_pair(acc, a, "multiply_plain_accumulate", false);
  if (acc.size() != a.size())
    throw MismatchError("evaluator multiply_plain_accumulate: the accumulator has " + std::to_string(acc.size()) +
                        " polynomials, the product " + std::to_string(a.size()));
  if (!scales_close(acc.scale(), a.scale() * p.scale()))
    throw MismatchError("evaluator multiply_plain_accumulate: scales differ (accumulator " + scale_text(acc.scale()) +
                        ", product " + scale_text(a.scale() * p.scale()) + ")");
  polys_times_plain(*ctx_, a.level(), a.polys(), p.poly(), acc.mutable_polys(), poly::multiply_add);
}

void Evaluator::multiply_const_inplace(Ciphertext& a, std::complex<double> c, double const_scale) const {
  check_ct(a, "multiply_const");
  if (!(const_scale > 0) || !std::isfinite(const_scale))
    throw InvalidArgument("evaluator multiply_const: constant scale must be positive and finite");
  std::vector<u64> lo, hi;
  constant_ntt(a.level(), c.real() * const_scale, c.imag() * const_scale, lo, hi);
  const std::size_t n = ctx_->n(), half = n / 2;
  for (auto& p : a.mutable_polys()) {
    for (std::size_t j = 0; j <= a.level(); ++j) {
      const u64 q = ctx_->modulus(j).value;
      const u64 wl = lo[j], wls = shoup_precompute(wl, q), wh = hi[j], whs = shoup_precompute(wh, q);
      u64* x = p.limb(j);
      for (std::size_t i = 0; i < half; ++i) x[i] = mul_shoup(x[i], wl, wls, q);
      for (std::size_t i = half; i < n; ++i) x[i] = mul_shoup(x[i], wh, whs, q);
    }
  }
  a.set_scale(a.scale() * const_scale);
}

Ciphertext Evaluator::multiply_const(const Ciphertext& a, std::complex<double> c, double const_scale) const {
  Ciphertext r = a;
  multiply_const_inplace(r, c, const_scale);
  return r;
}

void Evaluator::multiply_integer_inplace(Ciphertext& a, long long k) const {
  check_ct(a, "multiply_integer");
  const auto& primes = ctx_->level_primes(a.level());
  const auto residues = poly::signed_residues(*ctx_, primes, k);
  for (auto& p : a.mutable_polys()) poly::multiply_scalar(*ctx_, primes, p.data(), residues, p.data());
}

Ciphertext Evaluator::multiply_integer(const Ciphertext& a, long long k) const {
  Ciphertext r = a;
  multiply_integer_inplace(r, k);
  return r;
}

// -------------------------------------------------------------------------------------------------- levels

void Evaluator::rescale_inplace(Ciphertext& a) const {
  check_ct(a, "rescale");
  const std::size_t level = a.level();
  if (level == 0) throw InvalidArgument("evaluator rescale: the ciphertext is at level 0 (no prime left to drop)");
  const CkksContext& ctx = *ctx_;
  const std::size_t n = ctx.n();
  const Modulus& ql = ctx.modulus(level);
  const u64 half = ql.value / 2;
  const auto& inv = ctx.rescale_inv(level);
  const auto& inv_shoup = ctx.rescale_inv_shoup(level);
  const double ql_value = static_cast<double>(ql.value);
  for (auto& p : a.mutable_polys()) {
    // The last limb in coefficient form, centered, is c mod q_l; (c - [c]_{q_l}) / q_l is c / q_l rounded.
    RnsPoly last(n, 1);
    std::memcpy(last.data(), p.limb(level), n * sizeof(u64));
    ctx.ntt(level).inverse(last.data());
#pragma omp parallel for schedule(static) if (level > 1)
    for (std::ptrdiff_t jj = 0; jj < static_cast<std::ptrdiff_t>(level); ++jj) {
      const auto j = static_cast<std::size_t>(jj);
      const Modulus& m = ctx.modulus(j);
      const u64 q = m.value, ql_mod = reduce_u64(ql.value, m);
      std::vector<u64, AlignedAllocator<u64>> t(n);
      const u64* src = last.data();
      for (std::size_t i = 0; i < n; ++i) {
        const u64 r = reduce_u64(src[i], m);
        t[i] = src[i] > half ? sub_mod(r, ql_mod, q) : r;
      }
      ctx.ntt(j).forward(t.data());
      u64* x = p.limb(j);
      const u64 w = inv[j], ws = inv_shoup[j];
      for (std::size_t i = 0; i < n; ++i) x[i] = mul_shoup(x[i] + q - t[i], w, ws, q);
    }
    p.truncate(level);
  }
  // The polynomials already have `level` limbs; drop_to_level only updates the level bookkeeping.
  a.drop_to_level(level - 1);
  a.set_scale(a.scale() / ql_value);
}

Ciphertext Evaluator::rescale(const Ciphertext& a) const {
  Ciphertext r = a;
  rescale_inplace(r);
  return r;
}

void Evaluator::drop_to_level_inplace(Ciphertext& a, std::size_t level) const {
  check_ct(a, "drop_to_level");
  if (level > a.level())
    throw InvalidArgument("evaluator drop_to_level: target level " + std::to_string(level) + " is above the level " +
                          std::to_string(a.level()));
  a.drop_to_level(level);
}

Ciphertext Evaluator::drop_to_level(const Ciphertext& a, std::size_t level) const {
  Ciphertext r = a;
  drop_to_level_inplace(r, level);
  return r;
}

// --------------------------------------------------------------------------------------------- automorphisms

namespace {

// dest = (perm(c0), unset) at a's level, scale and slots, ready for the key switch to add its first output
// to the former and write the latter. dest's buffers are reused when it has two polynomials at a's level or
// above (dropping limbs keeps the allocation).
void permuted_c0_into(const CkksContext& ctx, const Ciphertext& a, const std::vector<std::uint32_t>& perm,
                      Ciphertext& dest) {
  if (dest.size() == 2 && dest.param_hash() == a.param_hash() && dest.level() >= a.level()) {
    dest.drop_to_level(a.level());
    dest.set_scale(a.scale());
    dest.set_slots(a.slots());
  } else {
    dest = Ciphertext(ctx, 0, a.level(), a.scale(), a.slots());
    dest.mutable_polys().push_back(RnsPoly::uninitialized(ctx.n(), a.level() + 1));
    dest.mutable_polys().push_back(RnsPoly());
  }
  poly::permute(perm, a.level() + 1, a.poly(0).data(), dest.mutable_polys()[0].data());
}

// dest = the automorphism of `a` with its key switch.
void galois_into(const CkksContext& ctx, const Ciphertext& a, const std::vector<std::uint32_t>& perm,
                 const KeySwitchKey& key, Ciphertext& dest) {
  permuted_c0_into(ctx, a, perm, dest);
  auto& p = dest.mutable_polys();
  key_switch(ctx, a.poly(1), a.level(), key, &perm, p[0], KeySwitchOutput::kAdd, p[1], KeySwitchOutput::kOverwrite);
}

// Applies the automorphism given the decomposition of a's c1: (perm(c0) + d0, d1).
Ciphertext galois_from_digits(const CkksContext& ctx, const Ciphertext& a, const KeySwitchDigits& digits,
                              const std::vector<std::uint32_t>& perm, const KeySwitchKey& key) {
  Ciphertext r;
  permuted_c0_into(ctx, a, perm, r);
  auto& p = r.mutable_polys();
  switch_key(ctx, digits, key, &perm, p[0], KeySwitchOutput::kAdd, p[1], KeySwitchOutput::kOverwrite);
  return r;
}

long long normalize_step(long long step, std::size_t slots) {
  const auto s = static_cast<long long>(slots);
  long long k = step % s;
  return k < 0 ? k + s : k;
}

}  // namespace

Ciphertext Evaluator::apply_galois(const Ciphertext& a, std::uint64_t galois_element, const GaloisKeys& gk) const {
  check_ct(a, "rotate");
  check_key_params(*ctx_, gk.param_hash(), "Galois key set");
  if (a.size() != 2) throw InvalidArgument("evaluator rotate: ciphertext must have 2 polynomials (relinearize first)");
  Ciphertext r;
  galois_into(*ctx_, a, *ctx_->galois_permutation(galois_element), gk.at(galois_element, a.level()), r);
  return r;
}

void Evaluator::add_rotated_inplace(Ciphertext& a, long long step, const GaloisKeys& gk) const {
  check_ct(a, "rotate");
  check_key_params(*ctx_, gk.param_hash(), "Galois key set");
  if (a.size() != 2) throw InvalidArgument("evaluator rotate: ciphertext must have 2 polynomials (relinearize first)");
  const auto plan = rotation_plan(step, a.slots(), gk);
  if (plan.size() != 1) return add_inplace(a, rotate(a, step, gk));  // the identity, or composed rotations
  thread_local Ciphertext rotated;  // keeps its buffers from call to call
  galois_into(*ctx_, a, *ctx_->galois_permutation(plan[0]), gk.at(plan[0], a.level()), rotated);
  add_inplace(a, rotated);
}

std::vector<std::uint64_t> Evaluator::rotation_plan(long long step, std::size_t slots, const GaloisKeys& gk) const {
  const std::size_t n = ctx_->n();
  const long long k = normalize_step(step, slots);
  if (k == 0) return {};
  // Equivalent steps modulo the slot count: k and k - slots (a right rotation).
  const long long candidates[2] = {k, k - static_cast<long long>(slots)};
  for (long long c : candidates)
    if (gk.contains(galois_element_for_step(n, c))) return {galois_element_for_step(n, c)};
  std::vector<std::uint64_t> best;
  for (long long c : candidates) {
    std::vector<std::uint64_t> plan;
    bool ok = true;
    for (long long t : non_adjacent_form(c)) {
      const std::uint64_t g = galois_element_for_step(n, t);
      // Multiples of the slot count fix every slot (5 has order `slots` modulo 4*slots): skip them.
      if (g == 1 || t % static_cast<long long>(slots) == 0) continue;
      if (!gk.contains(g)) {
        ok = false;
        break;
      }
      plan.push_back(g);
    }
    if (ok && (best.empty() || plan.size() < best.size())) best = std::move(plan);
  }
  if (best.empty())
    throw InvalidArgument("evaluator rotate: no Galois key for step " + std::to_string(step) +
                          " nor for the power-of-two steps of its non-adjacent form");
  return best;
}

Ciphertext Evaluator::rotate(const Ciphertext& a, long long step, const GaloisKeys& gk) const {
  check_ct(a, "rotate");
  Ciphertext r = a;
  for (std::uint64_t g : rotation_plan(step, a.slots(), gk)) r = apply_galois(r, g, gk);
  return r;
}

void Evaluator::rotate_inplace(Ciphertext& a, long long step, const GaloisKeys& gk) const { a = rotate(a, step, gk); }

Ciphertext Evaluator::conjugate(const Ciphertext& a, const GaloisKeys& gk) const {
  return apply_galois(a, conjugation_element(ctx_->n()), gk);
}

std::vector<Ciphertext> Evaluator::rotate_hoisted(const Ciphertext& a, std::span<const long long> steps,
                                                  const GaloisKeys& gk) const {
  check_ct(a, "rotate_hoisted");
  check_key_params(*ctx_, gk.param_hash(), "Galois key set");
  if (a.size() != 2)
    throw InvalidArgument("evaluator rotate_hoisted: ciphertext must have 2 polynomials (relinearize first)");
  std::vector<Ciphertext> out;
  out.reserve(steps.size());
  std::optional<KeySwitchDigits> digits;  // computed once, on the first step with a direct key
  for (long long step : steps) {
    const auto plan = rotation_plan(step, a.slots(), gk);
    if (plan.empty()) {
      out.push_back(a);
      continue;
    }
    if (plan.size() > 1) {
      out.push_back(rotate(a, step, gk));
      continue;
    }
    if (!digits) digits = decompose_for_key_switch(*ctx_, a.poly(1), a.level());
    out.push_back(galois_from_digits(*ctx_, a, *digits, *ctx_->galois_permutation(plan[0]), gk.at(plan[0], a.level())));
  }
  return out;
}

Ciphertext Evaluator::rotate_sum(const Ciphertext& a, std::span<const long long> steps, const GaloisKeys& gk) const {
  check_ct(a, "rotate_sum");
  check_key_params(*ctx_, gk.param_hash(), "Galois key set");
  if (a.size() != 2) throw InvalidArgument("evaluator rotate_sum: ciphertext must have 2 polynomials (relinearize first)");
  if (steps.empty()) throw InvalidArgument("evaluator rotate_sum: no steps");
  const CkksContext& ctx = *ctx_;
  const std::size_t limbs = a.level() + 1;
  const auto primes = ctx.level_primes(a.level());
  std::size_t identities = 0;
  std::vector<long long> composed;
  std::vector<KeySwitchTerm> terms;
  std::vector<std::shared_ptr<const std::vector<std::uint32_t>>> perms;  // keeps the terms' permutations alive
  for (long long step : steps) {
    const auto plan = rotation_plan(step, a.slots(), gk);
    if (plan.empty()) {
      ++identities;
    } else if (plan.size() > 1) {
      composed.push_back(step);
    } else {
      perms.push_back(ctx.galois_permutation(plan[0]));
      terms.push_back({&gk.at(plan[0], a.level()), perms.back().get()});
    }
  }
  // c0: a's c0 per identity step plus every direct term's permuted c0; c1: a's c1 per identity step; then the
  // direct terms' summed key switch adds to both (or writes c1 when nothing is there yet).
  std::vector<RnsPoly> c(2);
  for (std::size_t i = 0; i < identities; ++i)
    for (std::size_t k = 0; k < 2; ++k) {
      if (i == 0) c[k] = a.poly(k);
      else poly::add(ctx, primes, c[k].data(), a.poly(k).data(), c[k].data());
    }
  thread_local RnsPoly permuted;
  for (std::size_t t = 0; t < terms.size(); ++t) {
    if (identities == 0 && t == 0) {
      c[0] = RnsPoly::uninitialized(ctx.n(), limbs);
      poly::permute(*terms[t].perm, limbs, a.poly(0).data(), c[0].data());
      continue;
    }
    if (permuted.n() != ctx.n() || permuted.limbs() < limbs) permuted = RnsPoly::uninitialized(ctx.n(), limbs);
    poly::permute(*terms[t].perm, limbs, a.poly(0).data(), permuted.data());
    poly::add(ctx, primes, c[0].data(), permuted.data(), c[0].data());
  }
  if (!terms.empty())
    key_switch_sum(ctx, a.poly(1), a.level(), terms, c[0], KeySwitchOutput::kAdd, c[1],
                   identities ? KeySwitchOutput::kAdd : KeySwitchOutput::kOverwrite);
  Ciphertext out;
  if (identities || !terms.empty()) {
    out = Ciphertext(ctx, 0, a.level(), a.scale(), a.slots());
    out.mutable_polys().push_back(std::move(c[0]));
    out.mutable_polys().push_back(std::move(c[1]));
  }
  for (long long step : composed) {
    Ciphertext r = rotate(a, step, gk);
    if (out.size() == 0) out = std::move(r);
    else add_inplace(out, r);
  }
  return out;
}

Ciphertext Evaluator::rotate_and_sum(const Ciphertext& a, std::size_t count, long long stride,
                                     const GaloisKeys& gk) const {
  check_ct(a, "rotate_and_sum");
  if (count == 0 || (count & (count - 1)) != 0)
    throw InvalidArgument("evaluator rotate_and_sum: count " + std::to_string(count) + " must be a power of two");
  Ciphertext acc = a;
  for (std::size_t shift = 1; shift < count; shift *= 2)
    add_inplace(acc, rotate(acc, stride * static_cast<long long>(shift), gk));
  return acc;
}

}  // namespace hepex::ckks
