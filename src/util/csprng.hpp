#pragma once
// The one randomness interface of hepex. Secrets use system_random() (libsodium's CSPRNG, seeded by the OS);
// a Csprng built from an explicit 32-byte seed is a deterministic ChaCha20 stream: used to regenerate the
// uniform `a` part of seeded ciphertexts/keys, and by tests and training that need reproducible runs.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace hepex {

using Seed = std::array<std::uint8_t, 32>;

class Csprng {
 public:
  // Fresh stream keyed from the operating system's CSPRNG.
  Csprng();
  // Deterministic stream for the given seed.
  explicit Csprng(const Seed& seed);
  // Not copyable nor movable: a copy would repeat the same random bytes. The key and the buffered
  // stream are wiped on destruction.
  Csprng(const Csprng&) = delete;
  Csprng& operator=(const Csprng&) = delete;
  ~Csprng();

  void fill(std::span<std::uint8_t> out);
  std::uint64_t next_u64();
  std::uint32_t next_u32();
  // Uniform in [0, bound), bound > 0, without modulo bias.
  std::uint64_t uniform_below(std::uint64_t bound);
  // Uniform double in [0, 1).
  double next_double();

  const Seed& seed() const { return seed_; }

 private:
  void refill();

  Seed seed_{};
  std::uint64_t nonce_ = 0;  // ChaCha20 block counter space: one nonce per refill
  std::array<std::uint8_t, 4096> buf_{};
  std::size_t pos_ = sizeof(buf_);
};

// A fresh random seed from the OS CSPRNG.
Seed random_seed();
// A seed derived from a small integer (for reproducible experiments and tests; never for keys).
Seed seed_from_u64(std::uint64_t value);

}  // namespace hepex
