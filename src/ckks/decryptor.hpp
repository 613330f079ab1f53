#pragma once
// Decryption: m = c0 + c1 s (+ c2 s^2 for unrelinearized products), in the NTT domain.
//
// Noise flooding: CKKS decryptions reveal the ciphertext's noise, and with it (given the ciphertext) the
// secret key: an attacker who gets decryptions of ciphertexts it chose (IND-CPA-D; Li-Micciancio 2021)
// can recover s. A decryption that leaves the client can be flooded: uniform noise in [-2^b, 2^b] is added
// to every coefficient of m, which drowns the ciphertext noise when 2^b is far above it, at the cost of
// b - log2(scale) bits of precision.
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
  // With flooding noise of `flood_bits` bits (0: none; at most 60), drawn from the OS CSPRNG.
  Plaintext decrypt(const Ciphertext& ct, int flood_bits) const;

 private:
  std::shared_ptr<const CkksContext> ctx_;
  SecretKey sk_;
};

}  // namespace hepex::ckks
