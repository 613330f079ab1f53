#pragma once
// The CKKS canonical embedding ("special FFT"), in the clear, in double precision.
//
// Convention (fixed; the evaluator relies on it): ring degree n, zeta = exp(i*pi/n), a primitive 2n-th root
// of unity. With s slots (s a power of two, 1 <= s <= n/2), slot j of a real polynomial m is
//     z_j = m(zeta^(5^j mod 2n)),            j = 0..s-1.
// For s < n/2 (sparse packing) m lives in the subring Z[X^(n/(2s))], i.e. only coefficients at multiples
// of gap = n/(2s) are non-zero. Hence the automorphism X -> X^(5^k) rotates slots left by k
// (z'_j = z_{j+k mod s}) and X -> X^(2n-1) conjugates every slot.
#include <complex>
#include <cstddef>
#include <vector>

namespace hepex::ckks {

class SpecialFft {
 public:
  explicit SpecialFft(std::size_t n);  // n a power of two, 4 <= n <= 2^17

  std::size_t n() const { return n_; }

  // slots (s values, s a power of two <= n/2) -> the n real coefficients of the unique m in the (sub)ring
  // above with m(zeta^(5^j)) = slots[j] for all j. No scaling or rounding: the caller multiplies by the scale.
  void embed_inverse(const std::complex<double>* slots, std::size_t s, double* coeffs) const;
  // The same as the 2s coefficients of b with m = b(X^(n/2s)) (b[k] = coeffs[k * n/(2s)]): what a compact
  // plaintext keeps, without writing the n - 2s zeros.
  void embed_inverse_subring(const std::complex<double>* slots, std::size_t s, double* b) const;

  // n real coefficients -> s slot values m(zeta^(5^j)), j < s. Coefficients off the subring are ignored
  // consistently with the projection used by embed_inverse (for a subring polynomial this is exact).
  void embed(const double* coeffs, std::size_t s, std::complex<double>* slots) const;

 private:
  std::size_t n_;
  std::vector<std::complex<double>> roots_;   // zeta^k, k = 0..2n-1
  std::vector<std::size_t> rot_group_;        // 5^j mod 2n, j = 0..n/2-1
  // Butterfly twiddles zeta^((5^j mod 4 len) * 2n/(4 len)), j < len/2, for len = 2, 4, ..., n/2 (packed).
  std::vector<std::complex<double>> twiddles_;

  void check_slots(std::size_t s, const char* what) const;
  // The size-s special FFT on the folded vector w (see fft.cpp): w_k -> w(xi^(5^j)), and back up to a factor s.
  void forward(std::complex<double>* w, std::size_t s) const;
  void inverse(std::complex<double>* w, std::size_t s) const;
};

}  // namespace hepex::ckks
