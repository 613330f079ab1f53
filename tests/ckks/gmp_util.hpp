#pragma once
// GMP helpers shared by the tests that use it as an independent big-integer reference.
#include <gmpxx.h>

#include <cstdint>

namespace hepex::ckks::testing {

inline mpz_class to_mpz(std::uint64_t v) {
  mpz_class r;
  mpz_import(r.get_mpz_t(), 1, -1, sizeof(std::uint64_t), 0, 0, &v);
  return r;
}

}  // namespace hepex::ckks::testing
