#pragma once
// Encryption of plaintexts at their own level, scale and slot count.
// Public key: (c0, c1) = ModDown(b u + e0, a u + e1) + (m, 0): computed modulo Q_l * P with u ternary and
// e0/e1 Gaussian, then divided by P, so only rounding noise remains (as SEAL does).
// Secret key: (c0, c1) = (-a s + e + m, a), a uniform from a fresh 32-byte seed kept in the ciphertext
// (a serializer may store the seed instead of c1).
#include <memory>
#include <optional>

#include "ckks/ciphertext.hpp"
#include "ckks/context.hpp"
#include "ckks/keys.hpp"
#include "ckks/plaintext.hpp"
#include "util/csprng.hpp"

namespace hepex::ckks {

class Encryptor {
 public:
  // `seed`: deterministic randomness for tests only; by default the OS CSPRNG.
  Encryptor(std::shared_ptr<const CkksContext> ctx, PublicKey pk, std::optional<Seed> seed = std::nullopt);
  Encryptor(std::shared_ptr<const CkksContext> ctx, SecretKey sk, std::optional<Seed> seed = std::nullopt);

  Ciphertext encrypt(const Plaintext& pt);

 private:
  Ciphertext encrypt_public(const Plaintext& pt);
  Ciphertext encrypt_symmetric(const Plaintext& pt);

  std::shared_ptr<const CkksContext> ctx_;
  std::optional<PublicKey> pk_;
  std::optional<SecretKey> sk_;
  Csprng rng_;
};

}  // namespace hepex::ckks
