#include "nn/activation.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "util/error.hpp"

namespace hepex::nn {

const char* activation_name(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kIdentity: return "identity";
    case ActivationKind::kSquare: return "square";
    case ActivationKind::kPoly2: return "poly2";
    case ActivationKind::kRelu: return "relu";
    case ActivationKind::kSigmoid: return "sigmoid";
  }
  return "unknown";
}

bool Activation::he_friendly() const {
  return kind == ActivationKind::kIdentity || kind == ActivationKind::kSquare || kind == ActivationKind::kPoly2;
}

std::array<double, 3> Activation::coefficients() const {
  switch (kind) {
    case ActivationKind::kIdentity: return {0.0, 1.0, 0.0};
    case ActivationKind::kSquare: return {0.0, 0.0, 1.0};
    case ActivationKind::kPoly2: return {double(poly[2]), double(poly[1]), double(poly[0])};
    default: break;
  }
  throw InvalidArgument(std::string("activation ") + activation_name(kind) + " is not a polynomial (not HE-friendly)");
}

int Activation::degree() const {
  const auto c = coefficients();
  return c[2] != 0.0 ? 2 : 1;
}

namespace {
float parse_float(std::string_view s, std::string_view whole) {
  float v = 0.f;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
    throw InvalidArgument("activation '" + std::string(whole) + "': '" + std::string(s) + "' is not a number");
  return v;
}

std::string shortest(float v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}
}  // namespace

Activation Activation::parse(std::string_view text) {
  if (text == "identity" || text == "linear") return identity();
  if (text == "square") return square();
  if (text == "relu") return relu();
  if (text == "sigmoid") return sigmoid();
  if (text == "poly2") return poly2(kDefaultPoly2[0], kDefaultPoly2[1], kDefaultPoly2[2], true);
  if (text.starts_with("poly2@")) {
    std::string_view rest = text.substr(6);
    std::array<float, 3> c{};
    for (int i = 0; i < 3; ++i) {
      const auto slash = rest.find('/');
      if ((i < 2) != (slash != std::string_view::npos))
        throw InvalidArgument("activation '" + std::string(text) + "': expected poly2@a/b/c");
      c[i] = parse_float(rest.substr(0, slash), text);
      rest = i < 2 ? rest.substr(slash + 1) : std::string_view{};
    }
    return poly2(c[0], c[1], c[2], false);
  }
  throw InvalidArgument("unknown activation '" + std::string(text) +
                        "' (expected identity, square, poly2, poly2@a/b/c, relu or sigmoid)");
}

std::string Activation::format() const {
  if (kind == ActivationKind::kPoly2 && !trainable)
    return "poly2@" + shortest(poly[0]) + "/" + shortest(poly[1]) + "/" + shortest(poly[2]);
  return activation_name(kind);
}

float Activation::apply(float x) const {
  switch (kind) {
    case ActivationKind::kIdentity: return x;
    case ActivationKind::kSquare: return x * x;
    case ActivationKind::kPoly2: return (poly[0] * x + poly[1]) * x + poly[2];
    case ActivationKind::kRelu: return x > 0.f ? x : 0.f;
    case ActivationKind::kSigmoid: return 1.f / (1.f + std::exp(-x));
  }
  return x;
}

void Activation::forward(const Matrix& z, Matrix& a) const {
  a.resize(z.rows(), z.cols());
  switch (kind) {
    case ActivationKind::kIdentity: a = z; break;
    case ActivationKind::kSquare: a = z.array().square(); break;
    case ActivationKind::kPoly2: a = (poly[0] * z.array() + poly[1]) * z.array() + poly[2]; break;
    case ActivationKind::kRelu: a = z.array().max(0.f); break;
    case ActivationKind::kSigmoid: a = (1.f + (-z.array()).exp()).inverse(); break;
  }
}

void Activation::backward(const Matrix& z, const Matrix& da, Matrix& dz, std::array<float, 3>* dpoly) const {
  dz.resize(z.rows(), z.cols());
  switch (kind) {
    case ActivationKind::kIdentity: dz = da; break;
    case ActivationKind::kSquare: dz = 2.f * da.array() * z.array(); break;
    case ActivationKind::kPoly2:
      dz = da.array() * (2.f * poly[0] * z.array() + poly[1]);
      if (dpoly) {
        // Accumulate in double: these are sums over a whole batch of activations.
        (*dpoly)[0] += float((da.array() * z.array().square()).cast<double>().sum());
        (*dpoly)[1] += float((da.array() * z.array()).cast<double>().sum());
        (*dpoly)[2] += float(da.cast<double>().sum());
      }
      break;
    case ActivationKind::kRelu: dz = (z.array() > 0.f).select(da, 0.f); break;
    case ActivationKind::kSigmoid: {
      const auto s = (1.f + (-z.array()).exp()).inverse();
      dz = da.array() * s * (1.f - s);
      break;
    }
  }
}

}  // namespace hepex::nn
