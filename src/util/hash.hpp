#pragma once
// BLAKE2b (libsodium's crypto_generichash): file integrity digests and key-set identities. A cryptographic
// hash, unlike io::fnv1a64, so that two different bodies (or public keys) never share a digest by accident.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace hepex {

// Incremental BLAKE2b with an output of `Bytes` bytes (16..64).
template <std::size_t Bytes>
class Blake2b {
 public:
  using Digest = std::array<std::uint8_t, Bytes>;
  Blake2b();
  void update(const void* data, std::size_t n);
  Digest finish();

 private:
  alignas(64) std::array<std::uint8_t, 384> state_;  // crypto_generichash_state (its size is at most 384)
};

template <std::size_t Bytes>
typename Blake2b<Bytes>::Digest blake2b(std::span<const std::uint8_t> data) {
  Blake2b<Bytes> h;
  h.update(data.data(), data.size());
  return h.finish();
}

// Lower-case hex of a byte string.
std::string to_hex(std::span<const std::uint8_t> bytes);

// Overwrites memory so that secrets do not outlive their owner (sodium_memzero: not optimized away).
void secure_wipe(void* data, std::size_t n);

}  // namespace hepex
