// Models: hepex model files (.hpx) and ONNX, loaded from paths or bytes, saved, and run in the clear.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "onnx/export.hpp"
#include "onnx/import.hpp"
#include "session/model_file.hpp"

namespace hepex::python {

namespace {
// The plaintext forward pass on original-order rows (what the encrypted result is compared with).
DoubleArray forward(const nn::Model& model, const DoubleArray& x) {
  const Samples s = to_samples(x, "Model.forward");
  if (s.cols != std::size_t(model.input_size()))
    throw MismatchError("Model.forward: samples have " + std::to_string(s.cols) + " features, the model takes " +
                        std::to_string(model.input_size()));
  nn::RowMatrix in(Eigen::Index(s.rows), Eigen::Index(s.cols));
  for (std::size_t i = 0; i < s.values.size(); ++i) in.data()[i] = float(s.values[i]);
  nn::RowMatrix out;
  {
    py::gil_scoped_release unlocked;
    out = model.forward(in);
  }
  return to_array(Samples{std::vector<double>(out.data(), out.data() + out.size()), std::size_t(out.rows()),
                          std::size_t(out.cols())});
}
}  // namespace

void bind_models(py::module_& m) {
  py::class_<nn::Model>(m, "Model", "A dense network (weights, activations, masks and neuron permutations).")
      .def_property_readonly("arch", &nn::Model::arch_string, "Architecture, e.g. '784-256-784:poly2'")
      .def_property_readonly("input_size", [](const nn::Model& x) { return x.input_size(); })
      .def_property_readonly("output_size", [](const nn::Model& x) { return x.output_size(); })
      .def_property_readonly("parameter_count", &nn::Model::parameter_count)
      .def_property_readonly("data_set", &nn::Model::data_set, "The data set it was trained on ('' if unknown)")
      .def("forward", &forward, py::arg("x"), "Plaintext outputs for rows x (original order), as float64")
      .def("save", [](const nn::Model& x, const std::string& path) { save_model(x, path); }, py::arg("path"),
           "Saves by extension: .onnx exports ONNX, anything else a hepex model file")
      .def("to_bytes", [](const nn::Model& x) { return to_py(model_file_bytes(x)); }, "The hepex model file's bytes")
      .def("to_onnx", [](const nn::Model& x) { return to_py(onnx::export_onnx_bytes(x)); },
           "ONNX bytes (original neuron order; passes onnx.checker)")
      .def("__repr__", [](const nn::Model& x) { return "<hepex.Model " + x.arch_string() + ">"; });

  m.def("load_model", py::overload_cast<const std::string&>(&load_model), py::arg("path"), "A model from a .hpx file or an .onnx file (imported)");
  m.def(
      "load_model_bytes",
      [](const py::object& bytes, const std::string& name) {
        return load_model_bytes(to_bytes(bytes, "load_model_bytes"), name);
      },
      py::arg("data"), py::arg("name") = "model", "A model from the bytes of a .hpx file or of an ONNX file");
  m.def(
      "import_onnx",
      [](const py::object& source) {
        if (py::isinstance<py::str>(source)) return onnx::import_onnx_file(source.cast<std::string>());
        return onnx::import_onnx_bytes(to_bytes(source, "import_onnx"), "ONNX bytes");
      },
      py::arg("source"), "ONNX -> Model, from a path or the file's bytes (refusals name the node)");
  m.def("export_onnx", &onnx::export_onnx_file, py::arg("model"), py::arg("path"), "Model -> ONNX file");
}

}  // namespace hepex::python
