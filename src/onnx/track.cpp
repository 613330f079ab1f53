#include "onnx/track.hpp"

#include <cmath>
#include <set>

#include "util/error.hpp"

namespace hepex::onnx {

namespace {
// An activation or scaling applied to the raw input becomes an identity-weight layer; wider inputs are
// refused rather than allocating features^2 weights.
constexpr Index kMaxIdentityLayer = 4096;

std::shared_ptr<const Base> root(std::optional<MatrixD> M, VectorD k, bool has_product) {
  const Index n = k.size();
  return std::make_shared<const Base>(Base{nullptr, std::move(M), VectorD::Ones(n), std::move(k), has_product});
}

Track on_base(std::shared_ptr<const LayerChain> layers, std::shared_ptr<const Base> base) {
  const Index n = base->k.size();
  return Track{std::move(layers), std::move(base), VectorD::Zero(n), VectorD::Ones(n), VectorD::Zero(n)};
}

// An affine value becomes a derived base, so that later polynomials are taken relative to it.
Track fold(Track t) {
  if (!t.is_affine() || ((t.b.array() == 1.0).all() && (t.c.array() == 0.0).all())) return t;
  auto base = std::make_shared<const Base>(Base{t.base, std::nullopt, t.b, t.c, t.base->has_product});
  return on_base(t.layers, std::move(base));
}

// The base as z = diag(s) (M u) + k (M nullopt: u itself).
struct Effective {
  std::optional<MatrixD> M;
  VectorD s, k;
};
Effective effective(const Base& base) {
  std::vector<const Base*> chain;  // iterative: a graph may fold thousands of element-wise ops
  for (const Base* b = &base; b; b = b->parent.get()) chain.push_back(b);
  const Base& r = *chain.back();
  Effective e{r.M, r.s, r.k};
  for (std::size_t i = chain.size() - 1; i-- > 0;) {
    e.k = chain[i]->s.cwiseProduct(e.k) + chain[i]->k;
    e.s = chain[i]->s.cwiseProduct(e.s);
  }
  return e;
}
// The affine value b z + c of t, as an Effective.
Effective effective_value(const Track& t) {
  Effective e = effective(*t.base);
  e.k = t.b.cwiseProduct(e.k) + t.c;
  e.s = t.b.cwiseProduct(e.s);
  return e;
}

MatrixD weights(const Effective& e) {
  if (e.M) return e.s.asDiagonal() * *e.M;
  if (e.s.size() > kMaxIdentityLayer)
    throw InvalidArgument("an activation or scaling on the raw input of " + std::to_string(e.s.size()) +
                          " features would need an identity layer wider than " + std::to_string(kMaxIdentityLayer));
  return MatrixD(e.s.asDiagonal());
}

std::size_t depth(const LayerChain& c) {
  std::size_t n = 1;
  for (const LayerChain* l = c.prev.get(); l; l = l->prev.get()) ++n;
  return n;
}

Track commit(const Track& t, const Effective& e, const nn::Activation& act) {
  nn::DenseLayer layer;
  layer.W = weights(e).cast<float>();
  layer.b = e.k.cast<float>();
  layer.act = act;
  if (!layer.W.allFinite() || !layer.b.allFinite())
    throw InvalidArgument("the folded weights of layer " + std::to_string(t.layers ? depth(*t.layers) : 0) +
                          " overflow float");
  const Index n = layer.W.rows();
  auto chain = std::make_shared<const LayerChain>(LayerChain{t.layers, std::move(layer)});
  return on_base(std::move(chain), root(std::nullopt, VectorD::Zero(n), false));
}

bool close(double x, double y) { return std::abs(x - y) <= 1e-6 * (std::abs(x) + std::abs(y)); }

// a_i z^2 + b_i z + c_i = s_i (A z^2 + B z + C) + d_i with one (A, B, C) for all features: the layer applies
// A z^2 + B z + C, and s, d stay pending as an element-wise affine of its output (folded into what follows).
Track commit_polynomial(const Track& t) {
  const Index n = t.features();
  Index ref = 0;
  while (t.a[ref] == 0.0) ++ref;  // exists: t is not affine
  bool uniform = true;
  for (Index i = 0; i < n; ++i) uniform = uniform && t.a[i] == t.a[ref] && t.b[i] == t.b[ref] && t.c[i] == t.c[ref];
  // Uniform: the polynomial as written. Otherwise the per-feature scale and constant move out: x^2 + B x.
  const double A = uniform ? t.a[ref] : 1.0, B = uniform ? t.b[ref] : t.b[ref] / t.a[ref], C = uniform ? t.c[ref] : 0.0;
  VectorD s(n), d(n);
  for (Index i = 0; i < n; ++i) {
    if (t.a[i] == 0.0 && t.b[i] == 0.0) {
      s[i] = 0.0;
    } else {
      s[i] = t.a[i] / A;
      if (t.a[i] == 0.0 || !close(t.b[i], s[i] * B))
        throw InvalidArgument("the activation differs between features (feature " + std::to_string(ref) + ": " +
                              std::to_string(A) + " x^2 + " + std::to_string(B) + " x, feature " + std::to_string(i) +
                              ": " + std::to_string(t.a[i]) + " x^2 + " + std::to_string(t.b[i]) +
                              " x); hepex applies one polynomial per layer");
    }
    d[i] = t.c[i] - s[i] * C;
  }
  const nn::Activation act = (A == 1.0 && B == 0.0 && C == 0.0)
                                 ? nn::Activation::square()
                                 : nn::Activation::poly2(float(A), float(B), float(C), false);
  Track out = commit(t, effective(*t.base), act);
  out.b = s;
  out.c = d;
  return fold(out);
}

// t as a polynomial of `ancestor` (z_base = s z_parent + k, substituted up the chain).
Track relative_to(Track t, const Base* ancestor) {
  while (t.base.get() != ancestor) {
    const Base& B = *t.base;
    const VectorD a = t.a.cwiseProduct(B.s).cwiseProduct(B.s);
    const VectorD b = 2.0 * t.a.cwiseProduct(B.s).cwiseProduct(B.k) + t.b.cwiseProduct(B.s);
    const VectorD c = t.a.cwiseProduct(B.k).cwiseProduct(B.k) + t.b.cwiseProduct(B.k) + t.c;
    t.a = a;
    t.b = b;
    t.c = c;
    t.base = B.parent;
  }
  return t;
}

// x and y on their nearest common base.
std::pair<Track, Track> common(const Track& x, const Track& y) {
  std::set<const Base*> xs;
  for (const Base* b = x.base.get(); b; b = b->parent.get()) xs.insert(b);
  for (const Base* b = y.base.get(); b; b = b->parent.get())
    if (xs.count(b)) return {relative_to(x, b), relative_to(y, b)};
  throw InvalidArgument("combines two different values of the data path; only a chain of layers is supported");
}
}  // namespace

Track input_track(Index features) { return on_base(nullptr, root(std::nullopt, VectorD::Zero(features), false)); }

Track add_constant(const Track& t, const VectorD& k) {
  Track out = t;
  out.c += k;
  return fold(out);
}

Track mul_constant(const Track& t, const VectorD& k) {
  Track out = t;
  out.a = t.a.cwiseProduct(k);
  out.b = t.b.cwiseProduct(k);
  out.c = t.c.cwiseProduct(k);
  return fold(out);
}

Track add_tracks(const Track& x0, const Track& y0) {
  auto [x, y] = common(x0, y0);
  x.a += y.a;
  x.b += y.b;
  x.c += y.c;
  return fold(x);
}

Track mul_tracks(const Track& x0, const Track& y0) {
  const auto [x, y] = common(x0, y0);
  const VectorD x4 = x.a.cwiseProduct(y.a);
  const VectorD x3 = x.a.cwiseProduct(y.b) + x.b.cwiseProduct(y.a);
  if (!(x4.array() == 0.0).all() || !(x3.array() == 0.0).all())
    throw InvalidArgument("the product is a polynomial of degree > 2; hepex supports activations of degree <= 2");
  Track out = x;
  out.a = x.a.cwiseProduct(y.c) + x.b.cwiseProduct(y.b) + x.c.cwiseProduct(y.a);
  out.b = x.b.cwiseProduct(y.c) + x.c.cwiseProduct(y.b);
  out.c = x.c.cwiseProduct(y.c);
  return fold(out);
}

Track apply_linear(const Track& in, const MatrixD& W, const VectorD& bias) {
  if (W.cols() != in.features())
    throw InvalidArgument("the weights take " + std::to_string(W.cols()) + " features, the value has " +
                          std::to_string(in.features()));
  Track t = in.is_affine() ? in : commit_polynomial(in);
  if (t.base->has_product) t = commit(t, effective_value(t), nn::Activation::identity());
  // Now the value is diag(s) (M u) + k with no product in M: fold it into the new weights.
  const Effective e = effective_value(t);
  const MatrixD Ws = W * e.s.asDiagonal();
  return on_base(t.layers, root(e.M ? MatrixD(Ws * *e.M) : Ws, W * e.k + bias, true));
}

std::vector<nn::DenseLayer> finish(const Track& in) {
  Track t = in.is_affine() ? in : commit_polynomial(in);
  const Effective e = effective_value(t);
  const bool pending = t.base->has_product || e.M || !(e.s.array() == 1.0).all() || !(e.k.array() == 0.0).all();
  if (pending) t = commit(t, e, nn::Activation::identity());
  std::vector<nn::DenseLayer> layers;
  for (const LayerChain* l = t.layers.get(); l; l = l->prev.get()) layers.insert(layers.begin(), l->layer);
  if (layers.empty()) throw InvalidArgument("the graph has no Gemm or MatMul layer");
  return layers;
}

}  // namespace hepex::onnx
