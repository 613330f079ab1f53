#pragma once
// Shared set-up for the CKKS engine tests: a small insecure ring (fast), deterministic keys, and the
// plaintext reference helpers every test compares against.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <vector>

#include "ckks/context.hpp"
#include "ckks/decryptor.hpp"
#include "ckks/encoder.hpp"
#include "ckks/encryptor.hpp"
#include "ckks/evaluator.hpp"
#include "ckks/keygen.hpp"
#include "util/csprng.hpp"

namespace hepex::ckks::testing {

using cvec = std::vector<std::complex<double>>;

// Everything one test needs for one parameter set.
struct Engine {
  std::shared_ptr<const CkksContext> ctx;
  std::unique_ptr<KeyGenerator> keygen;
  std::unique_ptr<CkksEncoder> encoder;
  std::unique_ptr<Encryptor> encryptor;
  std::unique_ptr<Decryptor> decryptor;
  std::unique_ptr<Evaluator> evaluator;
  PublicKey pk;
  double scale;

  explicit Engine(const CkksParameters& params, std::uint64_t seed = 1) {
    ctx = CkksContext::create(params);
    keygen = std::make_unique<KeyGenerator>(ctx, seed_from_u64(seed));
    pk = keygen->create_public_key();
    encoder = std::make_unique<CkksEncoder>(ctx);
    encryptor = std::make_unique<Encryptor>(ctx, pk, seed_from_u64(seed + 1000));
    decryptor = std::make_unique<Decryptor>(ctx, keygen->secret_key());
    evaluator = std::make_unique<Evaluator>(ctx);
    scale = params.default_scale();
  }

  Ciphertext encrypt(const cvec& v, std::size_t slots = 0) {
    return encryptor->encrypt(encoder->encode(v, scale, ctx->max_level(), slots));
  }
  cvec decrypt(const Ciphertext& ct) const { return encoder->decode(decryptor->decrypt(ct)); }
};

// N = 2^12 (insecure, tests only): first prime 50 bits, `levels` primes of 40 bits, scale 2^40.
inline CkksParameters small_params(std::size_t levels = 3, std::size_t dnum = 2, std::size_t n = 4096) {
  return CkksParameters::create(n, 50, 40, levels, dnum, SecurityLevel::kInsecureForTestsOnly);
}

inline cvec random_complex(std::size_t count, std::uint64_t seed, double bound = 1.0) {
  Csprng rng(seed_from_u64(seed));
  cvec v(count);
  for (auto& x : v) x = {bound * (2 * rng.next_double() - 1), bound * (2 * rng.next_double() - 1)};
  return v;
}

inline cvec random_real(std::size_t count, std::uint64_t seed, double bound = 1.0) {
  Csprng rng(seed_from_u64(seed));
  cvec v(count);
  for (auto& x : v) x = {bound * (2 * rng.next_double() - 1), 0.0};
  return v;
}

inline double max_error(const cvec& got, const cvec& want) {
  EXPECT_EQ(got.size(), want.size());
  double e = 0;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) e = std::max(e, std::abs(got[i] - want[i]));
  return e;
}

// Left rotation of a slot vector: out[j] = v[(j + k) mod s].
inline cvec rotated(const cvec& v, long long k) {
  const auto s = static_cast<long long>(v.size());
  cvec r(v.size());
  for (long long j = 0; j < s; ++j) r[static_cast<std::size_t>(j)] = v[static_cast<std::size_t>((((j + k) % s) + s) % s)];
  return r;
}

}  // namespace hepex::ckks::testing
