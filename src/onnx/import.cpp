#include "onnx/import.hpp"

#include <map>

#include "io/safe_file.hpp"
#include "onnx/ops.hpp"
#include "onnx/proto.hpp"
#include "util/error.hpp"

namespace hepex::onnx {

std::string describe_node(const pb::NodeProto& node, int index) {
  std::string s = "node ";
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string temporaries.
  if (node.name().empty()) s.append("#").append(std::to_string(index));
  else s.append("'").append(node.name()).append("'");
  s.append(" (").append(node.op_type()).append(")");
  if (node.name().empty() && node.output_size() > 0) s += " -> " + node.output(0);
  return s;
}

namespace {
constexpr std::int64_t kMaxFeatureValues = std::int64_t{1} << 24;

pb::ModelProto parse(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.size() > kMaxOnnxBytes) throw FormatError(name + ": larger than 2 GiB, the limit of an ONNX file");
  pb::ModelProto model;
  if (bytes.empty() || !model.ParseFromArray(bytes.data(), int(bytes.size())))
    throw FormatError(name + ": not an ONNX model (the protobuf message is empty, truncated or not ONNX)");
  if (model.ir_version() <= 0 || !model.has_graph())
    throw FormatError(name + ": not an ONNX model (no IR version or no graph)");
  std::int64_t opset = -1;
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  if (opset < 7) throw FormatError(name + ": needs the default ONNX operator set, version 7 or newer");
  return model;
}

// The graph's one data input: float, [batch, d1, ...] with fixed positive d1... .
Data graph_input(const pb::GraphProto& g, const std::map<std::string, Value>& constants, const std::string& name) {
  const pb::ValueInfoProto* input = nullptr;
  for (const auto& v : g.input()) {
    if (constants.count(v.name())) continue;  // IR < 4 lists initializers as inputs too
    if (input) throw FormatError(name + ": the graph has several data inputs; hepex imports one");
    input = &v;
  }
  if (!input) throw FormatError(name + ": the graph has no data input");
  const std::string what = name + ": input '" + input->name() + "'";
  if (!input->type().has_tensor_type()) throw FormatError(what + " is not a tensor");
  const auto& tt = input->type().tensor_type();
  if (tt.elem_type() != pb::TensorProto::FLOAT && tt.elem_type() != pb::TensorProto::DOUBLE)
    throw FormatError(what + " is not float");
  if (!tt.has_shape() || tt.shape().dim_size() < 2)
    throw FormatError(what + " needs a shape [batch, features...] (rank >= 2)");
  Data d;
  std::int64_t n = 1;
  for (int i = 1; i < tt.shape().dim_size(); ++i) {
    const auto& dim = tt.shape().dim(i);
    if (!dim.has_dim_value() || dim.dim_value() <= 0 || dim.dim_value() > kMaxFeatures)
      throw FormatError(what + ": dim " + std::to_string(i) +
                        " must be a fixed size between 1 and 2^20 (only the batch axis may be dynamic)");
    n *= dim.dim_value();
    if (n > kMaxFeatures) throw FormatError(what + ": more than 2^20 features");
    d.dims.push_back(dim.dim_value());
  }
  d.track = input_track(n);
  return d;
}

// Layers exported by hepex record their activation (kind, trainable flag) in the metadata; keep it when the
// graph computes the same polynomial, so that export -> import is exact.
void apply_activation_hints(const pb::ModelProto& m, std::vector<nn::DenseLayer>& layers) {
  for (const auto& p : m.metadata_props()) {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      if (p.key() != "hepex.layer" + std::to_string(l) + ".activation") continue;
      try {
        const auto hint = nn::Activation::parse(p.value());
        auto& act = layers[l].act;
        const auto c = act.coefficients();
        if (hint.kind == nn::ActivationKind::kPoly2 && hint.trainable)  // trained coefficients: the graph's
          act = nn::Activation::poly2(float(c[2]), float(c[1]), float(c[0]), true);
        else if (hint.he_friendly() && hint.coefficients() == c)
          act = hint;
      } catch (const InvalidArgument&) {
        // a foreign or damaged hint: the graph's own polynomial stands
      }
    }
  }
}

std::vector<const Value*> node_inputs(const pb::NodeProto& node, const std::map<std::string, Value>& values) {
  std::vector<const Value*> in;
  for (const auto& input_name : node.input()) {
    if (input_name.empty()) {  // an omitted optional input
      in.push_back(nullptr);
      continue;
    }
    const auto it = values.find(input_name);
    if (it == values.end()) throw InvalidArgument("input '" + input_name + "' is not defined before the node");
    in.push_back(&it->second);
  }
  return in;
}

// Every value of the graph, in node order (ONNX graphs are topologically sorted).
std::map<std::string, Value> evaluate_graph(const pb::GraphProto& g, const std::string& name) {
  std::map<std::string, Value> values;
  for (const auto& t : g.initializer())
    values.emplace(t.name(), read_tensor(t, name + ": initializer '" + t.name() + "'"));
  const Data input = graph_input(g, values, name);
  for (const auto& v : g.input())
    if (!values.count(v.name())) values.emplace(v.name(), input);
  // Every data value holds a few vectors of its width: bound their sum before walking.
  std::int64_t budget = kMaxFeatureValues;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& node = g.node(i);
    const std::string where = name + ": " + describe_node(node, i);
    if (!is_supported_op(node))
      throw FormatError(where + ": unsupported operator; hepex imports " + std::string(kSupportedOps));
    try {
      if (node.output_size() < 1) throw InvalidArgument("the node has no output");
      Value out = node.op_type() == "Constant" ? Value{read_constant_node(node, "the constant")}
                                               : evaluate_node(node, node_inputs(node, values));
      if (const Data* d = std::get_if<Data>(&out); d && (budget -= d->track.features()) < 0)
        throw InvalidArgument("the graph computes more than 2^24 feature values; hepex imports small dense networks");
      values.insert_or_assign(node.output(0), std::move(out));
    } catch (const Error& e) {
      throw FormatError(where + ": " + e.what());
    }
  }
  return values;
}

// The graph's one output: the data path, [batch, features] as declared.
const Data& graph_output(const pb::GraphProto& g, const std::map<std::string, Value>& values, const std::string& name) {
  if (g.output_size() != 1) throw FormatError(name + ": the graph must have exactly one output");
  const std::string what = name + ": output '" + g.output(0).name() + "'";
  const auto it = values.find(g.output(0).name());
  const Data* out = it == values.end() ? nullptr : std::get_if<Data>(&it->second);
  if (!out) throw FormatError(what + " is not computed from the input");
  if (!out->is_matrix() || out->transposed)
    throw FormatError(what + " has shape " + shape_text(out->shape()) + "; hepex models output [batch, features]");
  const auto& declared = g.output(0).type().tensor_type().shape();
  if (declared.dim_size() == 2 && declared.dim(1).has_dim_value() && declared.dim(1).dim_value() != out->dims[0])
    throw FormatError(what + " is declared with " + std::to_string(declared.dim(1).dim_value()) +
                      " features, the graph computes " + std::to_string(out->dims[0]));
  return *out;
}

nn::Model to_model(const pb::ModelProto& m, const std::string& name) {
  const auto values = evaluate_graph(m.graph(), name);
  const Data& out = graph_output(m.graph(), values, name);
  nn::Model model;
  try {
    model.layers() = finish(out.track);
    model.validate();
  } catch (const Error& e) {
    throw FormatError(name + ": at output '" + m.graph().output(0).name() + "': " + e.what());
  }
  apply_activation_hints(m, model.layers());
  return model;
}
}  // namespace

nn::Model import_onnx_bytes(std::span<const std::uint8_t> bytes, const std::string& name) {
  return to_model(parse(bytes, name), name);
}

nn::Model import_onnx_file(const std::string& path) {
  const auto bytes = io::read_file_bytes(path, kMaxOnnxBytes);
  return import_onnx_bytes(bytes, path);
}

}  // namespace hepex::onnx
