#include "onnx/ops.hpp"

#include <cmath>
#include <set>
#include <string>

#include "onnx/import.hpp"
#include "util/error.hpp"

namespace hepex::onnx {

namespace {
const pb::AttributeProto* find_attribute(const pb::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
std::int64_t int_attribute(const pb::NodeProto& node, const std::string& name, std::int64_t fallback) {
  const auto* a = find_attribute(node, name);
  return a ? a->i() : fallback;
}
double float_attribute(const pb::NodeProto& node, const std::string& name, double fallback) {
  const auto* a = find_attribute(node, name);
  return a ? double(a->f()) : fallback;
}

const Value& input(const std::vector<const Value*>& in, std::size_t i) {
  if (i >= in.size() || !in[i]) throw InvalidArgument("input " + std::to_string(i) + " is missing");
  return *in[i];
}
const Data* as_data(const Value& v) { return std::get_if<Data>(&v); }
const Constant* as_constant(const Value& v) { return std::get_if<Constant>(&v); }

Data with_track(const Data& d, Track t) {
  Data out = d;
  out.track = std::move(t);
  return out;
}

void require_matrix(const Data& d) {
  if (!d.is_matrix())
    throw InvalidArgument("the data has shape " + shape_text(d.shape()) + "; Flatten or Reshape it to [batch, features] first");
}

// Add, Sub, Mul, Div on any mix of data and constants (constants only when both are scalars).
Value elementwise(const std::string& op, const Value& x, const Value& y) {
  const Data* dx = as_data(x);
  const Data* dy = as_data(y);
  if (dx && dy) {
    if (dx->dims != dy->dims || dx->transposed != dy->transposed)
      throw InvalidArgument("operands of shapes " + shape_text(dx->shape()) + " and " + shape_text(dy->shape()) + " differ");
    if (op == "Add") return with_track(*dx, add_tracks(dx->track, dy->track));
    if (op == "Sub") return with_track(*dx, add_tracks(dx->track, mul_constant(dy->track, VectorD::Constant(dy->track.features(), -1.0))));
    if (op == "Mul") return with_track(*dx, mul_tracks(dx->track, dy->track));
    throw InvalidArgument("dividing by a value of the data path is not a polynomial");
  }
  if (!dx && !dy) {
    const auto &cx = std::get<Constant>(x), &cy = std::get<Constant>(y);
    if (!cx.is_scalar() || !cy.is_scalar()) throw InvalidArgument("only scalar constants are folded");
    const double a = cx.values[0], b = cy.values[0];
    const double r = op == "Add" ? a + b : op == "Sub" ? a - b : op == "Mul" ? a * b : a / b;
    if (!std::isfinite(r)) throw InvalidArgument("the constant result is not finite");
    return Constant{cx.dims.size() >= cy.dims.size() ? cx.dims : cy.dims, {r}};
  }
  const Data& d = dx ? *dx : *dy;
  const VectorD k = broadcast_to_features(dx ? std::get<Constant>(y) : std::get<Constant>(x), d);
  const Index n = d.track.features();
  if (op == "Add") return with_track(d, add_constant(d.track, k));
  if (op == "Mul") return with_track(d, mul_constant(d.track, k));
  if (op == "Sub")  // x - k, or k - x
    return dx ? with_track(d, add_constant(d.track, -k))
              : with_track(d, add_constant(mul_constant(d.track, VectorD::Constant(n, -1.0)), k));
  if (!dx) throw InvalidArgument("dividing by a value of the data path is not a polynomial");
  if ((k.array() == 0.0).any()) throw InvalidArgument("division by zero");
  return with_track(d, mul_constant(d.track, k.cwiseInverse()));
}

Value power(const Value& x, const Value& e) {
  const Data* d = as_data(x);
  const Constant* k = as_constant(e);
  if (!d || !k || !k->is_scalar()) throw InvalidArgument("only Pow(data, scalar constant) is supported");
  const double p = k->values[0];
  const Index n = d->track.features();
  if (p == 0.0) return with_track(*d, add_constant(mul_constant(d->track, VectorD::Zero(n)), VectorD::Ones(n)));
  if (p == 1.0) return *d;
  if (p == 2.0) return with_track(*d, mul_tracks(d->track, d->track));
  throw InvalidArgument("exponent " + std::to_string(p) + ": only powers 0, 1 and 2 are supported (degree <= 2)");
}

// Y = alpha op(A) op(B) + beta C with one constant operand; the data is either [batch, n] or [n, batch].
Value gemm(const pb::NodeProto& node, const std::vector<const Value*>& in) {
  const double alpha = float_attribute(node, "alpha", 1.0), beta = float_attribute(node, "beta", 1.0);
  const bool transA = int_attribute(node, "transA", 0) != 0, transB = int_attribute(node, "transB", 0) != 0;
  const Value &A = input(in, 0), &B = input(in, 1);
  const Data* dA = as_data(A);
  const Data* dB = as_data(B);
  if (bool(dA) == bool(dB)) throw InvalidArgument("exactly one operand must be the data, the other constant weights");
  const Data& d = dA ? *dA : *dB;
  require_matrix(d);
  // op(data) must have the batch on the outer side of the product.
  const bool data_ok = dA ? (d.transposed == transA) : (d.transposed != transB);
  if (!data_ok) throw InvalidArgument("the product would run over the batch axis");
  MatrixD W = constant_matrix(std::get<Constant>(dA ? B : A));  // W: out x in, applied as W x
  if (dA ? !transB : transA) W.transposeInPlace();
  W *= alpha;
  Data out;
  out.transposed = !dA;
  out.dims = {W.rows()};
  VectorD bias = VectorD::Zero(W.rows());
  if (in.size() > 2 && in[2]) {
    const Constant* C = as_constant(*in[2]);
    if (!C) throw InvalidArgument("the bias C must be a constant");
    out.track = input_track(W.rows());  // only its width is used for broadcasting
    bias = beta * broadcast_to_features(*C, out);
  }
  out.track = apply_linear(d.track, W, bias);
  return out;
}

Value matmul(const Value& A, const Value& B) {
  const Data* dA = as_data(A);
  const Data* dB = as_data(B);
  if (bool(dA) == bool(dB)) throw InvalidArgument("exactly one operand must be the data, the other constant weights");
  const Data& d = dA ? *dA : *dB;
  require_matrix(d);
  if (dA ? d.transposed : !d.transposed) throw InvalidArgument("the product would run over the batch axis");
  MatrixD W = constant_matrix(std::get<Constant>(dA ? B : A));
  if (dA) W.transposeInPlace();  // x @ B = (B^T x^T)^T
  Data out;
  out.transposed = !dA;
  out.dims = {W.rows()};
  out.track = apply_linear(d.track, W, VectorD::Zero(W.rows()));
  return out;
}

Value flatten(const pb::NodeProto& node, const Data& d) {
  const auto rank = std::int64_t(d.shape().size());
  std::int64_t axis = int_attribute(node, "axis", 1);
  if (axis < 0) axis += rank;
  if (d.transposed || axis != 1) throw InvalidArgument("only Flatten to [batch, features] (axis 1) is supported");
  Data out = d;
  out.dims = {d.track.features()};
  return out;
}

// A shape input (constant, or computed by Shape/Gather/Unsqueeze/Concat) as integers; kBatch kept.
ShapeValue shape_of(const Value& v) {
  if (const ShapeValue* s = std::get_if<ShapeValue>(&v)) return *s;
  const Constant* k = as_constant(v);
  if (!k || k->dims.size() > 1) throw InvalidArgument("a shape must be a 0-D or 1-D integer constant");
  ShapeValue s;
  s.scalar = k->dims.empty();
  for (const double x : k->values) {
    if (x != std::floor(x) || std::abs(x) > double(kMaxFeatures)) throw InvalidArgument("a shape holds a non-integer or huge entry");
    s.v.push_back(std::int64_t(x));
  }
  return s;
}

std::string shape_entries_text(const std::vector<std::int64_t>& v) {
  std::vector<std::int64_t> shown = v;
  for (auto& x : shown)
    if (x == kBatch) x = -1;  // shape_text prints -1 as "batch"
  return shape_text(shown);
}

Value reshape(const Data& d, const ShapeValue& shape) {
  const auto& s = shape.v;
  const bool keeps_batch = s.size() >= 2 && (s[0] == 0 || s[0] == -1 || s[0] == kBatch);
  if (d.transposed || shape.scalar || !keeps_batch)
    throw InvalidArgument("only Reshape to [batch, ...] with the batch as 0, -1 or the input's batch size is supported, not " +
                          shape_entries_text(s));
  std::vector<std::int64_t> dims;
  std::int64_t known = 1;
  int infer_at = s[0] == -1 ? -2 : -1;  // -2: the batch already takes the -1
  for (std::size_t j = 1; j < s.size(); ++j) {
    auto v = s[j];
    if (v == 0 && j < d.dims.size() + 1) v = d.dims[j - 1];  // 0 copies the input's dim
    if (v == -1 && infer_at == -1) {
      infer_at = int(j - 1);
    } else if (v <= 0 || v > kMaxFeatures) {
      throw InvalidArgument("Reshape dim " + shape_entries_text({s[j]}) + " is not supported");
    } else {
      known *= v;
      if (known > kMaxFeatures) throw InvalidArgument("Reshape to more than 2^20 features");
    }
    dims.push_back(v);
  }
  const Index n = d.track.features();
  if (infer_at >= 0) {
    if (n % known != 0) throw InvalidArgument("cannot reshape " + std::to_string(n) + " features");
    dims[std::size_t(infer_at)] = n / known;
  } else if (known != n) {
    throw InvalidArgument("cannot reshape " + std::to_string(n) + " features to " + std::to_string(known));
  }
  Data out = d;
  out.dims = dims;
  return out;
}

Value transpose(const pb::NodeProto& node, const Value& x) {
  const auto* perm = find_attribute(node, "perm");
  const bool swap = !perm || (perm->ints_size() == 2 && perm->ints(0) == 1 && perm->ints(1) == 0);
  if (const Constant* k = as_constant(x)) {
    if (!swap) throw InvalidArgument("only 2-D transposes are supported");
    if (k->is_scalar() && k->dims.size() < 2) return *k;
    const MatrixD m = constant_matrix(*k);  // row-major values of m^T are m's column-major storage
    return Constant{{k->dims[1], k->dims[0]}, std::vector<double>(m.data(), m.data() + m.size())};
  }
  const Data& d = std::get<Data>(x);
  require_matrix(d);
  if (!swap) throw InvalidArgument("only 2-D transposes are supported");
  Data out = d;
  out.transposed = !d.transposed;
  return out;
}
// Shape -> Gather -> Unsqueeze -> Concat: the integer arithmetic PyTorch emits for x.view(x.size(0), -1).
Value shape_op(const pb::NodeProto& node, const std::vector<const Value*>& in) {
  const std::string& op = node.op_type();
  if (op == "Shape") {
    const Data* d = as_data(input(in, 0));
    if (!d || find_attribute(node, "start") || find_attribute(node, "end"))
      throw InvalidArgument("only Shape of the data (whole) is supported");
    auto s = d->shape();
    for (auto& x : s)
      if (x < 0) x = kBatch;
    return ShapeValue{s, false};
  }
  for (const Value* v : in)
    if (v && std::holds_alternative<Data>(*v)) throw InvalidArgument(op + " of the data is not supported (only of shapes)");
  if (op == "Gather") {
    const ShapeValue s = shape_of(input(in, 0)), idx = shape_of(input(in, 1));
    if (s.scalar || int_attribute(node, "axis", 0) != 0) throw InvalidArgument("only Gather along a 1-D shape");
    ShapeValue out{{}, idx.scalar};
    for (auto i : idx.v) {
      if (i < 0) i += std::int64_t(s.v.size());
      if (i < 0 || i >= std::int64_t(s.v.size())) throw InvalidArgument("Gather index out of range");
      out.v.push_back(s.v[std::size_t(i)]);
    }
    return out;
  }
  if (op == "Unsqueeze") {  // axes: an input from opset 13, an attribute before
    const auto* attr = find_attribute(node, "axes");
    const ShapeValue axes = attr ? ShapeValue{{attr->ints().begin(), attr->ints().end()}, false} : shape_of(input(in, 1));
    ShapeValue s = shape_of(input(in, 0));
    if (!s.scalar || axes.v.size() != 1 || (axes.v[0] != 0 && axes.v[0] != -1))
      throw InvalidArgument("only Unsqueeze of a 0-D shape entry to 1-D");
    s.scalar = false;
    return s;
  }
  // Concat
  if (int_attribute(node, "axis", 0) != 0 && int_attribute(node, "axis", 0) != -1)
    throw InvalidArgument("only Concat of 1-D shapes");
  ShapeValue out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const ShapeValue s = shape_of(input(in, i));
    if (s.scalar) throw InvalidArgument("only Concat of 1-D shapes");
    out.v.insert(out.v.end(), s.v.begin(), s.v.end());
  }
  return out;
}

bool is_shape_op(const std::string& op) { return op == "Shape" || op == "Gather" || op == "Unsqueeze" || op == "Concat"; }
}  // namespace

bool is_supported_op(const pb::NodeProto& node) {
  static const std::set<std::string> ops{"Gemm", "MatMul",  "Add",       "Sub",      "Mul",     "Div",     "Neg",
                                         "Pow",  "Flatten", "Reshape",   "Transpose", "Identity", "Dropout", "Constant",
                                         "Shape", "Gather",  "Unsqueeze", "Concat"};
  return (node.domain().empty() || node.domain() == "ai.onnx") && ops.count(node.op_type()) != 0;
}

Value evaluate_node(const pb::NodeProto& node, const std::vector<const Value*>& in) {
  const std::string& op = node.op_type();
  if (op == "Identity") return input(in, 0);
  if (is_shape_op(op)) return shape_op(node, in);
  // Shapes only flow into shape ops and a Reshape's shape input.
  for (std::size_t i = 0; i < in.size(); ++i)
    if (in[i] && std::holds_alternative<ShapeValue>(*in[i]) && !(op == "Reshape" && i == 1))
      throw InvalidArgument("computes with a shape; shapes may only feed Gather, Unsqueeze, Concat and Reshape");
  if (op == "Dropout") {  // inference: the identity, unless training mode is switched on
    if (in.size() > 2 && in[2]) {
      const Constant* t = as_constant(*in[2]);
      if (!t || !t->is_scalar() || t->values[0] != 0.0) throw InvalidArgument("Dropout in training mode");
    }
    return input(in, 0);
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return elementwise(op, input(in, 0), input(in, 1));
  if (op == "Neg") return elementwise("Mul", input(in, 0), Constant{{}, {-1.0}});
  if (op == "Pow") return power(input(in, 0), input(in, 1));
  if (op == "Gemm") return gemm(node, in);
  if (op == "MatMul") return matmul(input(in, 0), input(in, 1));
  if (op == "Transpose") return transpose(node, input(in, 0));
  if (op == "Flatten" || op == "Reshape") {
    const Data* d = as_data(input(in, 0));
    if (!d) throw InvalidArgument(op + " of a constant is not supported");
    if (op == "Flatten") return flatten(node, *d);
    return reshape(*d, shape_of(input(in, 1)));
  }
  throw InvalidArgument("unsupported operator");
}

}  // namespace hepex::onnx
