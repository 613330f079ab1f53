#include "util/csprng.hpp"

#include <sodium.h>

#include <cstring>

#include "util/error.hpp"

namespace hepex {
namespace {
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw Error("libsodium: initialisation failed");
}
}  // namespace

Seed random_seed() {
  ensure_sodium();
  Seed s;
  randombytes_buf(s.data(), s.size());
  return s;
}

Seed seed_from_u64(std::uint64_t value) {
  ensure_sodium();
  Seed s{};
  std::uint8_t msg[8];
  for (int i = 0; i < 8; ++i) msg[i] = static_cast<std::uint8_t>(value >> (8 * i));
  static const char kContext[] = "hepex seed from integer";
  crypto_generichash(s.data(), s.size(), msg, sizeof(msg),
                     reinterpret_cast<const unsigned char*>(kContext), sizeof(kContext) - 1);
  return s;
}

Csprng::Csprng() : Csprng(random_seed()) {}

Csprng::Csprng(const Seed& seed) : seed_(seed) { ensure_sodium(); }

Csprng::~Csprng() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(buf_.data(), buf_.size());
}

void Csprng::refill() {
  // ChaCha20 (IETF) keystream: key = seed, 96-bit nonce = refill counter.
  unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<unsigned char>(nonce_ >> (8 * i));
  ++nonce_;
  crypto_stream_chacha20_ietf(buf_.data(), buf_.size(), nonce, seed_.data());
  pos_ = 0;
}

void Csprng::fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    if (pos_ == buf_.size()) refill();
    const std::size_t take = std::min(out.size() - done, buf_.size() - pos_);
    std::memcpy(out.data() + done, buf_.data() + pos_, take);
    pos_ += take;
    done += take;
  }
}

std::uint64_t Csprng::next_u64() {
  std::uint64_t v;
  fill({reinterpret_cast<std::uint8_t*>(&v), sizeof(v)});
  return v;
}

std::uint32_t Csprng::next_u32() {
  std::uint32_t v;
  fill({reinterpret_cast<std::uint8_t*>(&v), sizeof(v)});
  return v;
}

std::uint64_t Csprng::uniform_below(std::uint64_t bound) {
  if (bound == 0) throw InvalidArgument("Csprng::uniform_below: bound must be positive");
  // Rejection sampling: accept v below the largest multiple of bound.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  for (;;) {
    const std::uint64_t v = next_u64();
    if (v < limit) return v % bound;
  }
}

double Csprng::next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

}  // namespace hepex
