// RNS bases, fast base conversion and exact CRT reconstruction.
#include "ckks/rns.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>

namespace hepex::ckks {

namespace {

// Product of all moduli except `skip`, reduced modulo m.
u64 product_mod_except(const std::vector<Modulus>& moduli, std::size_t skip, const Modulus& m) {
  u64 r = 1 % m.value;
  for (std::size_t j = 0; j < moduli.size(); ++j)
    if (j != skip) r = mul_mod(r, reduce_u64(moduli[j].value, m), m);
  return r;
}

// Little-endian multiword helpers for CrtComposer (fixed width, carries beyond it are dropped).
using Words = std::vector<u64>;

// acc += x * y, where acc is at least one word longer than x.
void add_mul_word(u64* acc, std::size_t acc_len, const u64* x, std::size_t x_len, u64 y) {
  u64 carry = 0;
  std::size_t k = 0;
  for (; k < x_len; ++k) {
    const u128 t = static_cast<u128>(x[k]) * y + acc[k] + carry;
    acc[k] = static_cast<u64>(t);
    carry = static_cast<u64>(t >> 64);
  }
  for (; carry != 0 && k < acc_len; ++k) {
    const u64 s = acc[k] + carry;
    carry = s < carry ? 1 : 0;
    acc[k] = s;
  }
}

// a >= b for equal-length numbers.
bool greater_equal(const u64* a, const u64* b, std::size_t len) {
  for (std::size_t k = len; k-- > 0;)
    if (a[k] != b[k]) return a[k] > b[k];
  return true;
}

// a -= b (a >= b), equal lengths.
void subtract(u64* a, const u64* b, std::size_t len) {
  u64 borrow = 0;
  for (std::size_t k = 0; k < len; ++k) {
    const u64 d = a[k] - b[k] - borrow;
    borrow = (a[k] < b[k] || (a[k] == b[k] && borrow)) ? 1 : 0;
    a[k] = d;
  }
}

// Nearest double to the multiword value (round to nearest even; overflows to infinity beyond 2^1024).
double to_double(const u64* x, std::size_t len) {
  std::size_t top = len;
  while (top > 0 && x[top - 1] == 0) --top;
  if (top == 0) return 0.0;
  if (top == 1) return static_cast<double>(x[0]);
  // The top 64 significant bits, with every bit below them folded into a sticky last bit: converting that
  // 64-bit integer rounds exactly like the full value (53 < 63 bits, so the sticky bit only breaks ties).
  const int lead = __builtin_clzll(x[top - 1]);
  u64 head = x[top - 1], sticky = x[top - 2];
  if (lead != 0) {
    head = (x[top - 1] << lead) | (x[top - 2] >> (64 - lead));
    sticky = x[top - 2] << lead;
  }
  for (std::size_t k = 0; k + 2 < top; ++k) sticky |= x[k];
  if (sticky) head |= 1;
  const int shift = static_cast<int>(64 * (top - 1)) - lead;
  return std::ldexp(static_cast<double>(head), shift);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
RnsBase::RnsBase(std::vector<u64> moduli) {
  if (moduli.empty()) throw InvalidArgument("RnsBase: the list of moduli is empty");
  moduli_.reserve(moduli.size());
  for (u64 q : moduli) moduli_.emplace_back(q);
  for (std::size_t i = 0; i < moduli.size(); ++i)
    for (std::size_t j = i + 1; j < moduli.size(); ++j)
      if (std::gcd(moduli[i], moduli[j]) != 1)
        throw InvalidArgument("RnsBase: moduli " + std::to_string(moduli[i]) + " and " + std::to_string(moduli[j]) +
                              " are not coprime");
  punctured_inv_.resize(moduli.size());
  punctured_inv_shoup_.resize(moduli.size());
  for (std::size_t i = 0; i < moduli.size(); ++i) {
    punctured_inv_[i] = inv_mod(product_mod_except(moduli_, i, moduli_[i]), moduli_[i].value);
    punctured_inv_shoup_[i] = shoup_precompute(punctured_inv_[i], moduli_[i].value);
  }
}

std::vector<u64> RnsBase::values() const {
  std::vector<u64> v(moduli_.size());
  for (std::size_t i = 0; i < moduli_.size(); ++i) v[i] = moduli_[i].value;
  return v;
}

// ---------------------------------------------------------------------------------------------------------
BaseConverter::BaseConverter(RnsBase from, RnsBase to) : from_(std::move(from)), to_(std::move(to)) {
  const std::size_t l = from_.size();
  punctured_mod_to_.resize(to_.size() * l);
  for (std::size_t k = 0; k < to_.size(); ++k)
    for (std::size_t i = 0; i < l; ++i) punctured_mod_to_[k * l + i] = product_mod_except(from_.moduli(), i, to_[k]);
  multiples_of_q_to_.resize(to_.size() * (l + 1));
  for (std::size_t k = 0; k < to_.size(); ++k) {
    const u64 q_mod = mul_mod(product_mod_except(from_.moduli(), 0, to_[k]), reduce_u64(from_[0].value, to_[k]), to_[k]);
    for (std::size_t e = 0; e <= l; ++e)
      multiples_of_q_to_[k * (l + 1) + e] = e == 0 ? 0 : add_mod(multiples_of_q_to_[k * (l + 1) + e - 1], q_mod, to_[k].value);
  }
  for (std::size_t i = 0; i < l; ++i) inverse_from_.push_back(1.0 / static_cast<double>(from_[i].value));
}

namespace {

// sum_i y[i * stride] * factors[i] mod p for i < count; products are < 2^122, so 64 fit one 128-bit
// accumulator, and longer sums are folded every 32 terms (key-switching bases are far shorter in practice).
inline u64 dot_mod(const u64* y, std::size_t stride, const u64* factors, std::size_t count, const Modulus& p) {
  constexpr std::size_t kChunk = 32;
  u64 partial = 0;
  while (count > kChunk) {
    u128 acc = 0;
    for (std::size_t i = 0; i < kChunk; ++i) acc += static_cast<u128>(y[i * stride]) * factors[i];
    partial = add_mod(partial, reduce_u128(acc, p), p.value);
    y += kChunk * stride;
    factors += kChunk;
    count -= kChunk;
  }
  u128 acc = 0;
  for (std::size_t i = 0; i < count; ++i) acc += static_cast<u128>(y[i * stride]) * factors[i];
  return add_mod(partial, reduce_u128(acc, p), p.value);
}

// dst[c] = src[c] * w mod q in [0, q) for a fixed w (Shoup), four lanes at a time where AVX2 is available.
void multiply_shoup_row(const u64* src, u64* dst, std::size_t count, u64 w, u64 w_shoup, u64 q) {
  std::size_t c = 0;
#if defined(__AVX2__)
  const avx2::ModulusLanes lanes(q);
  const avx2::ShoupOperand op(_mm256_set1_epi64x(static_cast<long long>(w)),
                              _mm256_set1_epi64x(static_cast<long long>(w_shoup)));
  for (; c + 4 <= count; c += 4)
    avx2::store(dst + c, avx2::fold(avx2::mul_shoup_lazy(avx2::load(src + c), op, lanes), lanes.q, lanes.q_minus_one));
#endif
  for (; c < count; ++c) dst[c] = mul_shoup(src[c], w, w_shoup, q);
}

}  // namespace

void reduce_row(const u64* in, u64* out, std::size_t n, u64 bound, const Modulus& m) {
  const u64 q = m.value;
  if (bound <= q) {
    if (in != out) std::copy(in, in + n, out);
  } else if (bound <= 2 * q) {
    for (std::size_t i = 0; i < n; ++i) out[i] = in[i] >= q ? in[i] - q : in[i];
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = reduce_u64(in[i], m);
  }
}

void centered_reduce_row(const u64* in, u64* out, std::size_t n, u64 from, const Modulus& m) {
  const u64 q = m.value, half = from / 2;
  if (from <= q) {
    // Negative values x - from land in (q - from/2, q) after adding q.
    const u64 shift = q - from;
    for (std::size_t i = 0; i < n; ++i) out[i] = in[i] > half ? in[i] + shift : in[i];
    return;
  }
  const u64 from_mod = reduce_u64(from, m);
  reduce_row(in, out, n, from, m);
  for (std::size_t i = 0; i < n; ++i) {
    const u64 r = out[i];
    out[i] = in[i] > half ? (r >= from_mod ? r - from_mod : r + q - from_mod) : r;
  }
}

void BaseConverter::premultiply(const u64* in, u64* y, std::size_t n) const {
  for (std::size_t i = 0; i < from_.size(); ++i)
    multiply_shoup_row(in + i * n, y + i * n, n, from_.punctured_inv()[i], from_.punctured_inv_shoup()[i],
                       from_[i].value);
}

void BaseConverter::convert_premultiplied(const u64* y, std::size_t target, u64* out, std::size_t n,
                                          const u64* overflow) const {
  const std::size_t l = from_.size();
  const Modulus& p = to_[target];
  if (l == 1) return reduce_row(y, out, n, from_[0].value, p);
  const u64* factors = punctured_mod_to_.data() + target * l;
  const u64* multiples = multiples_of_q_to_.data() + target * (l + 1);  // multiples[0] = 0: the fast conversion
  for (std::size_t c = 0; c < n; ++c)
    out[c] = sub_mod(dot_mod(y + c, n, factors, l, p), multiples[overflow ? overflow[c] : 0], p.value);
}

u64 BaseConverter::overflow_at(const u64* y, std::size_t stride) const {
  // sum_i y_i / q_i = e + x / Q with x / Q in [0, 1); clamped so a rounding at e = l cannot index past the table.
  double s = 0;
  for (std::size_t i = 0; i < from_.size(); ++i) s += static_cast<double>(y[i * stride]) * inverse_from_[i];
  return static_cast<u64>(std::min(std::floor(s), static_cast<double>(from_.size())));
}

void BaseConverter::overflows(const u64* y, u64* e, std::size_t n) const {
  for (std::size_t c = 0; c < n; ++c) e[c] = overflow_at(y + c, n);
}

void BaseConverter::convert(const u64* in, u64* out, std::size_t n) const { convert_blocks(in, out, n, false); }

void BaseConverter::convert_exact(const u64* in, u64* out, std::size_t n) const { convert_blocks(in, out, n, true); }

void BaseConverter::convert_blocks(const u64* in, u64* out, std::size_t n, bool exact) const {
  const std::size_t l = from_.size(), k_count = to_.size();
  // One source modulus: Q/q_0 = 1, so the conversion is a plain reduction (and exact: e = 0).
  if (l == 1) {
    for (std::size_t k = 0; k < k_count; ++k) reduce_row(in, out + k * n, n, from_[0].value, to_[k]);
    return;
  }
  const u64* inv = from_.punctured_inv().data();
  const u64* inv_shoup = from_.punctured_inv_shoup().data();
  // Blocks of coefficients small enough that y_i = [x_i (Q/q_i)^-1]_{q_i} (limb-major, kBlock per limb)
  // stays in L1 while every output limb's dot products read it.
  constexpr std::size_t kBlock = 64;
  std::vector<u64> y(kBlock * l);
  std::array<u64, kBlock> overflow{};  // stays 0 for the fast conversion (multiples[0] = 0)
  for (std::size_t c0 = 0; c0 < n; c0 += kBlock) {
    const std::size_t block = std::min(kBlock, n - c0);
    for (std::size_t i = 0; i < l; ++i)
      multiply_shoup_row(in + i * n + c0, y.data() + i * kBlock, block, inv[i], inv_shoup[i], from_[i].value);
    if (exact)
      for (std::size_t c = 0; c < block; ++c) overflow[c] = overflow_at(y.data() + c, kBlock);
    for (std::size_t k = 0; k < k_count; ++k) {
      const u64* factors = punctured_mod_to_.data() + k * l;
      const u64* multiples = multiples_of_q_to_.data() + k * (l + 1);
      u64* dst = out + k * n + c0;
      for (std::size_t c = 0; c < block; ++c)
        dst[c] = sub_mod(dot_mod(y.data() + c, kBlock, factors, l, to_[k]), multiples[overflow[c]], to_[k].value);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
CrtComposer::CrtComposer(RnsBase base) : base_(std::move(base)) {
  const std::size_t l = base_.size();
  const std::size_t words = l + 1;  // Q < 2^(61 l): l words, plus one for the unreduced sum of l terms < l*Q
  q_words_.assign(words, 0);
  q_words_[0] = 1;
  for (std::size_t i = 0; i < l; ++i) {
    Words next(words, 0);
    add_mul_word(next.data(), words, q_words_.data(), words - 1, base_[i].value);
    q_words_ = std::move(next);
  }
  half_q_words_ = q_words_;
  for (std::size_t k = 0; k < words; ++k)
    half_q_words_[k] = (half_q_words_[k] >> 1) | (k + 1 < words ? half_q_words_[k + 1] << 63 : 0);
  punctured_.assign(l, Words(words, 0));
  for (std::size_t i = 0; i < l; ++i) {
    Words p(words, 0);
    p[0] = 1;
    for (std::size_t j = 0; j < l; ++j) {
      if (j == i) continue;
      Words next(words, 0);
      add_mul_word(next.data(), words, p.data(), words - 1, base_[j].value);
      p = std::move(next);
    }
    punctured_[i] = std::move(p);
  }
}

double CrtComposer::compose_centered(const u64* residues, std::size_t stride) const {
  const std::size_t l = base_.size(), words = q_words_.size();
  // x = sum_i [r_i (Q/q_i)^-1]_{q_i} * (Q/q_i) < l*Q, then reduced to [0, Q) by at most l - 1 subtractions.
  u64 stack_buf[64];
  Words heap_buf;
  u64* x = stack_buf;
  if (2 * words > 64) {
    heap_buf.assign(2 * words, 0);
    x = heap_buf.data();
  } else {
    std::fill(stack_buf, stack_buf + words, 0);
  }
  for (std::size_t i = 0; i < l; ++i) {
    const Modulus& q = base_[i];
    const u64 r = reduce_u64(residues[i * stride], q);
    const u64 y = mul_shoup(r, base_.punctured_inv()[i], base_.punctured_inv_shoup()[i], q.value);
    add_mul_word(x, words, punctured_[i].data(), words - 1, y);
  }
  while (greater_equal(x, q_words_.data(), words)) subtract(x, q_words_.data(), words);
  // Centered: values above floor(Q/2) stand for x - Q.
  if (greater_equal(half_q_words_.data(), x, words)) return to_double(x, words);
  u64* neg = x + words;  // Q - x
  std::copy(q_words_.begin(), q_words_.end(), neg);
  subtract(neg, x, words);
  return -to_double(neg, words);
}

}  // namespace hepex::ckks
