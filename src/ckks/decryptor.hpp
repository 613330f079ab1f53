#pragma once
// Decryption: m = c0 + c1 s (+ c2 s^2 for unrelinearized products), in the NTT domain.
#include <memory>

#include "ckks/ciphertext.hpp"
#include "ckks/context.hpp"
#include "ckks/keys.hpp"
#include "ckks/plaintext.hpp"

namespace hepex::ckks {

class Decryptor {
 public:
  Decryptor(std::shared_ptr<const CkksContext> ctx, SecretKey sk);
  Plaintext decrypt(const Ciphertext& ct) const;

 private:
  std::shared_ptr<const CkksContext> ctx_;
  SecretKey sk_;
};

}  // namespace hepex::ckks
