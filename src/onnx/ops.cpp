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

Value reshape(const Data& d, const Constant& shape) {
  if (d.transposed || shape.dims.size() != 1 || shape.size() < 2 || (shape.values[0] != 0 && shape.values[0] != -1))
    throw InvalidArgument("only Reshape to [batch, ...] with the batch as 0 or -1 is supported, not " +
                          shape_text(shape.dims.size() == 1 ? std::vector<std::int64_t>(shape.values.begin(), shape.values.end())
                                                            : shape.dims));
  std::vector<std::int64_t> dims;
  std::int64_t known = 1;
  int infer_at = shape.values[0] == -1 ? -2 : -1;  // -2: the batch already takes the -1
  for (std::size_t j = 1; j < shape.size(); ++j) {
    auto v = std::int64_t(shape.values[j]);
    if (v == 0 && j < d.dims.size() + 1) v = d.dims[j - 1];  // 0 copies the input's dim
    if (v == -1 && infer_at == -1) {
      infer_at = int(j - 1);
    } else if (v <= 0 || v > kMaxFeatures) {
      throw InvalidArgument("Reshape dim " + std::to_string(shape.values[j]) + " is not supported");
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
}  // namespace

bool is_supported_op(const pb::NodeProto& node) {
  static const std::set<std::string> ops{"Gemm", "MatMul",  "Add",       "Sub",      "Mul",     "Div",     "Neg",
                                         "Pow",  "Flatten", "Reshape",   "Transpose", "Identity", "Dropout", "Constant"};
  return (node.domain().empty() || node.domain() == "ai.onnx") && ops.count(node.op_type()) != 0;
}

Value evaluate_node(const pb::NodeProto& node, const std::vector<const Value*>& in) {
  const std::string& op = node.op_type();
  if (op == "Identity") return input(in, 0);
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
    const Constant* shape = as_constant(input(in, 1));
    if (!shape) throw InvalidArgument("the shape of a Reshape must be a constant");
    return reshape(*d, *shape);
  }
  throw InvalidArgument("unsupported operator");
}

}  // namespace hepex::onnx
