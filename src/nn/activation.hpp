#pragma once
// Element-wise activations. The HE-friendly ones are polynomials that CKKS evaluates exactly:
//   identity  f(x) = x
//   square    f(x) = x^2
//   poly2     f(x) = a x^2 + b x + c   (coefficients fixed, or trained with the weights)
// relu and sigmoid exist only as plaintext references; he_friendly() is false for them and the HE path
// refuses such models.
#include <array>
#include <string>
#include <string_view>

#include "nn/tensor.hpp"

namespace hepex::nn {

enum class ActivationKind : std::uint32_t { kIdentity = 0, kSquare = 1, kPoly2 = 2, kRelu = 3, kSigmoid = 4 };

struct Activation {
  ActivationKind kind = ActivationKind::kIdentity;
  // poly2 coefficients {a, b, c} of a x^2 + b x + c; ignored by the other kinds.
  std::array<float, 3> poly{0.f, 1.f, 0.f};
  // poly2 only: the trainer updates `poly` together with the weights.
  bool trainable = false;

  static Activation identity() { return {}; }
  static Activation square() { return {ActivationKind::kSquare, {1.f, 0.f, 0.f}, false}; }
  static Activation poly2(float a, float b, float c, bool trainable) {
    return {ActivationKind::kPoly2, {a, b, c}, trainable};
  }
  static Activation relu() { return {ActivationKind::kRelu, {0.f, 1.f, 0.f}, false}; }
  static Activation sigmoid() { return {ActivationKind::kSigmoid, {0.f, 1.f, 0.f}, false}; }

  // True for the polynomial activations an HE evaluator can compute exactly.
  bool he_friendly() const;
  // The polynomial as {c0, c1, c2} (lowest degree first) for identity, square and poly2;
  // throws InvalidArgument for relu/sigmoid.
  std::array<double, 3> coefficients() const;
  // Polynomial degree (1 or 2); throws for the non-polynomial kinds.
  int degree() const;

  // Parses "identity", "square", "poly2" (trainable, default start), "poly2@a/b/c" (fixed coefficients),
  // "relu", "sigmoid". Throws InvalidArgument naming the text.
  static Activation parse(std::string_view text);
  // Inverse of parse (coefficients printed so that parse(format()) is exact).
  std::string format() const;

  // a = f(z), element-wise.
  void forward(const Matrix& z, Matrix& a) const;
  // dz = da * f'(z). If dpoly is non-null (poly2), adds dL/d{a,b,c} summed over all elements.
  void backward(const Matrix& z, const Matrix& da, Matrix& dz, std::array<float, 3>* dpoly) const;
  // f at one point (tests, reference code).
  float apply(float x) const;

  bool operator==(const Activation&) const = default;
};

// Start values of a trainable poly2: 0.5 x^2 + 0.5 x. Close to linear for small inputs, so a deep stack of
// them does not amplify like x^2 does (docs/RESULTS.md, square-net instability), and the slope at 0 keeps
// gradients alive where x^2 alone would vanish; training then chooses the curvature per layer.
inline constexpr std::array<float, 3> kDefaultPoly2{0.5f, 0.5f, 0.f};

const char* activation_name(ActivationKind kind);

}  // namespace hepex::nn
