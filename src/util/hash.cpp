#include "util/hash.hpp"

#include <sodium.h>

#include "util/error.hpp"

namespace hepex {

static_assert(sizeof(crypto_generichash_state) <= 384, "Blake2b::state_ is too small for libsodium's state");

template <std::size_t Bytes>
Blake2b<Bytes>::Blake2b() {
  static_assert(Bytes >= crypto_generichash_BYTES_MIN && Bytes <= crypto_generichash_BYTES_MAX);
  if (sodium_init() < 0) throw Error("libsodium: initialisation failed");
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_.data()), nullptr, 0, Bytes);
}

template <std::size_t Bytes>
void Blake2b<Bytes>::update(const void* data, std::size_t n) {
  if (n == 0) return;
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_.data()),
                            static_cast<const unsigned char*>(data), n);
}

template <std::size_t Bytes>
typename Blake2b<Bytes>::Digest Blake2b<Bytes>::finish() {
  Digest d;
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_.data()), d.data(), d.size());
  return d;
}

template class Blake2b<16>;
template class Blake2b<32>;

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * bytes.size());
  for (auto b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

void secure_wipe(void* data, std::size_t n) {
  if (data && n) sodium_memzero(data, n);
}

}  // namespace hepex
