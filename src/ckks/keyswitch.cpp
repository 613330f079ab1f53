#include "ckks/keyswitch.hpp"

#include <cstring>

#include "ckks/polyarith.hpp"

namespace hepex::ckks {

KeySwitchDigits decompose_for_key_switch(const CkksContext& ctx, const RnsPoly& c, std::size_t level) {
  const std::size_t n = ctx.n(), limbs = level + 1;
  const auto& ext = ctx.ext_primes(level);
  const std::size_t e = ext.size();
  const std::size_t count = ctx.params().digit_count(level);

  RnsPoly coeff = c.prefix(limbs);
  poly::ntt_inverse(ctx, ctx.level_primes(level), coeff.data());

  KeySwitchDigits out{level, count, RnsPoly(n, count * e)};
  // ModUp of each digit: conversion into a scratch of the non-digit limbs, then scattered into place;
  // the digit's own limbs are the input's NTT limbs unchanged.
#pragma omp parallel for schedule(dynamic, 1) if (count > 1)
  for (std::ptrdiff_t di = 0; di < static_cast<std::ptrdiff_t>(count); ++di) {
    const auto d = static_cast<std::size_t>(di);
    const auto [first, last] = ctx.params().digit_range(level, d);
    const std::size_t width = last - first;
    RnsPoly scratch(n, e - width);
    if (width == 1) {
      // One-prime digit (SEAL's case): the conversion is exact, the centered residue reduced per target.
      const u64 qd = ctx.modulus(first).value, half = qd / 2;
      const u64* x = coeff.limb(first);
      for (std::size_t j = 0; j < e - width; ++j) {
        const Modulus& m = ctx.modulus(j < first ? j : ext[j + width]);
        const u64 qd_mod = reduce_u64(qd, m);
        u64* y = scratch.limb(j);
        for (std::size_t i = 0; i < n; ++i) {
          const u64 r = reduce_u64(x[i], m);
          y[i] = x[i] > half ? sub_mod(r, qd_mod, m.value) : r;
        }
      }
    } else {
      // Centered digit: convert x + H (H = floor(Q_d/2)) and subtract H again on the targets. Each digit
      // touches only its own limbs of `coeff`, so the digits can run in parallel.
      const auto& half_from = ctx.modup_half_from(level, d);
      const auto& half_to = ctx.modup_half_to(level, d);
      for (std::size_t j = 0; j < width; ++j) {
        const u64 q = ctx.modulus(first + j).value, h = half_from[j];
        u64* x = coeff.limb(first + j);
        for (std::size_t i = 0; i < n; ++i) x[i] = add_mod(x[i], h, q);
      }
      ctx.modup(level, d).convert(coeff.limb(first), scratch.data(), n);
      for (std::size_t j = 0; j < e - width; ++j) {
        const u64 q = ctx.modulus(j < first ? j : ext[j + width]).value, h = half_to[j];
        u64* y = scratch.limb(j);
        for (std::size_t i = 0; i < n; ++i) y[i] = sub_mod(y[i], h, q);
      }
    }
    u64* block = out.data.limb(d * e);
    std::memcpy(block, scratch.data(), first * n * sizeof(u64));
    std::memcpy(block + first * n, c.limb(first), width * n * sizeof(u64));
    std::memcpy(block + last * n, scratch.limb(first), (e - last) * n * sizeof(u64));
  }
  // Forward NTT of every converted limb (all (digit, limb) pairs in parallel).
  const auto total = static_cast<std::ptrdiff_t>(count * e);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::ptrdiff_t t = 0; t < total; ++t) {
    const std::size_t d = static_cast<std::size_t>(t) / e, k = static_cast<std::size_t>(t) % e;
    const auto [first, last] = ctx.params().digit_range(level, d);
    if (k >= first && k < last) continue;
    ctx.ntt(ext[k]).forward(out.data.limb(d * e + k));
  }
  return out;
}

void mod_down(const CkksContext& ctx, std::size_t level, const RnsPoly& x, RnsPoly& out) {
  const std::size_t n = ctx.n(), limbs = level + 1, k = ctx.special_count(), top = ctx.max_level();
  // [x]_P back to coefficients, converted to Q_l, back to NTT.
  // Rounding instead of flooring: floor((x + H) / P) with H = floor(P/2) added to every coefficient.
  // On the special limbs H is added after the inverse NTT; on the data limbs it is folded into the
  // converted correction, (x + H - [x + H]_P) / P = (x - ([x + H]_P - H)) / P.
  const auto& half_p = ctx.half_p();
  RnsPoly special(n, k);
#pragma omp parallel for schedule(static) if (k > 1)
  for (std::ptrdiff_t jj = 0; jj < static_cast<std::ptrdiff_t>(k); ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    const std::size_t g = top + 1 + j;
    const u64 p = ctx.modulus(g).value, h = half_p[g];
    u64* dst = special.limb(j);
    std::memcpy(dst, x.limb(limbs + j), n * sizeof(u64));
    ctx.ntt(g).inverse(dst);
    for (std::size_t i = 0; i < n; ++i) dst[i] = add_mod(dst[i], h, p);
  }
  RnsPoly conv(n, limbs);
  ctx.moddown(level).convert(special.data(), conv.data(), n);
  if (out.n() != n || out.limbs() != limbs) out = RnsPoly(n, limbs);
  const auto& p_inv = ctx.p_inv();
  const auto& p_inv_shoup = ctx.p_inv_shoup();
#pragma omp parallel for schedule(static) if (limbs > 1)
  for (std::ptrdiff_t jj = 0; jj < static_cast<std::ptrdiff_t>(limbs); ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    u64* c = conv.limb(j);
    const u64 q = ctx.modulus(j).value, w = p_inv[j], ws = p_inv_shoup[j], h = half_p[j];
    for (std::size_t i = 0; i < n; ++i) c[i] = sub_mod(c[i], h, q);
    ctx.ntt(j).forward(c);
    const u64* xi = x.limb(j);
    u64* o = out.limb(j);
    for (std::size_t i = 0; i < n; ++i) o[i] = mul_shoup(xi[i] + q - c[i], w, ws, q);
  }
}

void switch_key(const CkksContext& ctx, const KeySwitchDigits& digits, const KeySwitchKey& key,
                const std::vector<std::uint32_t>* perm, RnsPoly& d0, RnsPoly& d1) {
  const std::size_t n = ctx.n(), level = digits.level, count = digits.count;
  const auto& ext = ctx.ext_primes(level);
  const std::size_t e = ext.size();
  RnsPoly acc0(n, e), acc1(n, e);

  // Inner product with lazy 128-bit accumulation: each product is < 2^122, so up to 64 fit; fold every 32.
  constexpr std::size_t kBlock = 256, kFold = 32;
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t kk = 0; kk < static_cast<std::ptrdiff_t>(e); ++kk) {
    const auto k = static_cast<std::size_t>(kk);
    const std::size_t g = ext[k];
    const Modulus& m = ctx.modulus(g);
    u128 s0[kBlock], s1[kBlock];
    for (std::size_t x0 = 0; x0 < n; x0 += kBlock) {
      const std::size_t len = std::min(kBlock, n - x0);
      for (std::size_t i = 0; i < len; ++i) s0[i] = s1[i] = 0;
      for (std::size_t d = 0; d < count; ++d) {
        const u64* dig = digits.data.limb(d * e + k);
        const u64* b = key.b(d).limb(g) + x0;
        const u64* a = key.a(d).limb(g) + x0;
        if (perm) {
          const std::uint32_t* p = perm->data() + x0;
          for (std::size_t i = 0; i < len; ++i) {
            const u64 v = dig[p[i]];
            s0[i] += static_cast<u128>(v) * b[i];
            s1[i] += static_cast<u128>(v) * a[i];
          }
        } else {
          const u64* v = dig + x0;
          for (std::size_t i = 0; i < len; ++i) {
            s0[i] += static_cast<u128>(v[i]) * b[i];
            s1[i] += static_cast<u128>(v[i]) * a[i];
          }
        }
        if ((d + 1) % kFold == 0 && d + 1 < count)
          for (std::size_t i = 0; i < len; ++i) {
            s0[i] = reduce_u128(s0[i], m);
            s1[i] = reduce_u128(s1[i], m);
          }
      }
      u64* o0 = acc0.limb(k) + x0;
      u64* o1 = acc1.limb(k) + x0;
      for (std::size_t i = 0; i < len; ++i) {
        o0[i] = reduce_u128(s0[i], m);
        o1[i] = reduce_u128(s1[i], m);
      }
    }
  }
  mod_down(ctx, level, acc0, d0);
  mod_down(ctx, level, acc1, d1);
}

}  // namespace hepex::ckks
