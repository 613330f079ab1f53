#include "onnx/export.hpp"

#include <onnx/checker.h>

#include "io/safe_file.hpp"
#include "onnx/import.hpp"
#include "onnx/proto.hpp"
#include "util/error.hpp"

namespace hepex::onnx {

namespace {
// The layers in the user's original neuron order: the input permutation moves the first layer's columns,
// the output permutation the last layer's rows (activations are element-wise, so they commute with it).
std::vector<nn::DenseLayer> original_order_layers(const nn::Model& model) {
  std::vector<nn::DenseLayer> layers = model.layers();
  const auto& in = model.input_perm();
  if (!in.empty()) {
    const nn::Matrix W = layers.front().W;
    for (std::size_t i = 0; i < in.size(); ++i) layers.front().W.col(in[i]) = W.col(Eigen::Index(i));
  }
  const auto& out = model.output_perm();
  if (!out.empty()) {
    auto& last = layers.back();
    const nn::Matrix W = last.W;
    const nn::Vector b = last.b;
    for (std::size_t i = 0; i < out.size(); ++i) {
      last.W.row(out[i]) = W.row(Eigen::Index(i));
      last.b[out[i]] = b[Eigen::Index(i)];
    }
  }
  return layers;
}

void add_initializer(pb::GraphProto& g, const std::string& name, std::vector<std::int64_t> dims, const float* data,
                     std::size_t n) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(pb::TensorProto::FLOAT);
  for (const auto d : dims) t->add_dims(d);
  t->set_raw_data(reinterpret_cast<const char*>(data), n * sizeof(float));  // little-endian, as ONNX requires
}

void add_scalar(pb::GraphProto& g, const std::string& name, float v) { add_initializer(g, name, {}, &v, 1); }

pb::NodeProto* add_node(pb::GraphProto& g, const std::string& op, const std::string& name,
                        std::initializer_list<std::string> inputs, const std::string& output) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

void add_value_info(pb::ValueInfoProto* v, const std::string& name, std::int64_t features) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(pb::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("batch");
  tt->mutable_shape()->add_dim()->set_dim_value(features);
}

// Gemm, then the activation as Mul/Add nodes: z*z, or Horner's (a z + b) z + c as nn::Activation computes it.
// Returns the name of the layer's output.
std::string add_layer(pb::GraphProto& g, std::size_t l, const nn::DenseLayer& layer, const std::string& input,
                      bool last) {
  const std::string p = "layer" + std::to_string(l);
  const auto named = [&](const std::string& step, bool final_step) { return final_step && last ? "output" : p + "." + step; };
  const nn::Matrix W = layer.W;  // column-major; ONNX wants row-major [out, in]
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Wr = W;
  add_initializer(g, p + ".weight", {Wr.rows(), Wr.cols()}, Wr.data(), std::size_t(Wr.size()));
  add_initializer(g, p + ".bias", {layer.b.size()}, layer.b.data(), std::size_t(layer.b.size()));
  const auto kind = layer.act.kind;
  const std::string z = named("gemm", kind == nn::ActivationKind::kIdentity);
  auto* gemm = add_node(g, "Gemm", p + ".gemm", {input, p + ".weight", p + ".bias"}, z);
  auto* transB = gemm->add_attribute();
  transB->set_name("transB");
  transB->set_type(pb::AttributeProto::INT);
  transB->set_i(1);
  switch (kind) {
    case nn::ActivationKind::kIdentity: return z;
    case nn::ActivationKind::kSquare: {
      const std::string out = named("square", true);
      add_node(g, "Mul", p + ".square", {z, z}, out);
      return out;
    }
    case nn::ActivationKind::kPoly2: {
      const auto& c = layer.act.poly;
      add_scalar(g, p + ".poly.a", c[0]);
      add_scalar(g, p + ".poly.b", c[1]);
      add_scalar(g, p + ".poly.c", c[2]);
      add_node(g, "Mul", p + ".poly.mul_a", {z, p + ".poly.a"}, p + ".poly.az");
      add_node(g, "Add", p + ".poly.add_b", {p + ".poly.az", p + ".poly.b"}, p + ".poly.az_b");
      add_node(g, "Mul", p + ".poly.mul_z", {p + ".poly.az_b", z}, p + ".poly.az2_bz");
      const std::string out = named("poly", true);
      add_node(g, "Add", p + ".poly.add_c", {p + ".poly.az2_bz", p + ".poly.c"}, out);
      return out;
    }
    default:
      throw InvalidArgument("export: layer " + std::to_string(l) + " has activation " +
                            nn::activation_name(kind) + ", which is not a polynomial; hepex exports HE-friendly models only");
  }
}
}  // namespace

std::vector<std::uint8_t> export_onnx_bytes(const nn::Model& model) {
  model.validate();
  pb::ModelProto m;
  m.set_ir_version(7);
  m.set_producer_name("hepex");
  m.set_producer_version("0.1.0");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  auto& g = *m.mutable_graph();
  g.set_name("hepex");
  add_value_info(g.add_input(), "input", model.input_size());
  add_value_info(g.add_output(), "output", model.output_size());
  const auto layers = original_order_layers(model);
  std::string value = "input";
  for (std::size_t l = 0; l < layers.size(); ++l) {
    value = add_layer(g, l, layers[l], value, l + 1 == layers.size());
    auto* hint = m.add_metadata_props();
    hint->set_key("hepex.layer" + std::to_string(l) + ".activation");
    hint->set_value(layers[l].act.format());
  }
  try {
    pb::checker::check_model(m);
  } catch (const std::exception& e) {
    throw Error(std::string("export: the ONNX checker refused the exported graph: ") + e.what());
  }
  if (m.ByteSizeLong() > kMaxOnnxBytes) throw InvalidArgument("export: the model is larger than 2 GiB");
  std::vector<std::uint8_t> bytes(m.ByteSizeLong());
  if (!m.SerializeToArray(bytes.data(), int(bytes.size()))) throw Error("export: protobuf serialization failed");
  return bytes;
}

void export_onnx_file(const nn::Model& model, const std::string& path) {
  const auto bytes = export_onnx_bytes(model);
  io::write_file_atomic(path, std::span<const std::uint8_t>(bytes));
}

}  // namespace hepex::onnx
