#pragma once
// KeyGenerator: samples a secret key (or takes an existing one) and derives the public key, the
// relinearization key and Galois keys for the rotation steps asked for (plus conjugation).
// Randomness: an OS-seeded Csprng, or an explicit seed for reproducible tests (never for real keys).
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "ckks/context.hpp"
#include "ckks/keys.hpp"
#include "util/csprng.hpp"

namespace hepex::ckks {

class KeyGenerator {
 public:
  // Fresh secret key from the OS CSPRNG.
  explicit KeyGenerator(std::shared_ptr<const CkksContext> ctx);
  // Deterministic (tests/experiments only): secret key and all errors from Csprng(seed).
  KeyGenerator(std::shared_ptr<const CkksContext> ctx, const Seed& seed);
  // Keys for an existing secret key (errors from the OS CSPRNG).
  KeyGenerator(std::shared_ptr<const CkksContext> ctx, SecretKey secret_key);

  const SecretKey& secret_key() const { return sk_; }

  PublicKey create_public_key();
  RelinKey create_relin_key();
  // A key switching from s' (NTT form over all primes) to s.
  KeySwitchKey create_switch_key(const RnsPoly& s_prime);
  // Keys for the given rotation steps (left rotations; negative = right; taken modulo N/2; duplicates and
  // step 0 ignored) and, if asked, conjugation.
  GaloisKeys create_galois_keys(std::span<const long long> steps, bool conjugation = true);
  // Keys for +-2^i, i < log2(N/2) (every step reachable by composition), plus conjugation.
  GaloisKeys create_power_of_two_galois_keys(bool conjugation = true);
  // Adds the key for one Galois element to an existing set.
  void add_galois_key(GaloisKeys& keys, std::uint64_t galois_element);

 private:
  // Gaussian error over the given primes, NTT form.
  RnsPoly sample_error_ntt(const std::vector<std::size_t>& primes);

  std::shared_ptr<const CkksContext> ctx_;
  Csprng rng_;
  SecretKey sk_;
};

}  // namespace hepex::ckks
