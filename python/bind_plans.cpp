// Plans: what the client and the server agree on (tile layout, CKKS parameters, rotations, cost estimate).
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "infer/plan.hpp"
#include "prune/tiling.hpp"

namespace hepex::python {

void bind_plans(py::module_& m) {
  py::class_<infer::Plan>(m, "Plan", "The plan of an encrypted inference (plan.json); nothing secret in it.")
      .def_readonly("batch", &infer::Plan::batch)
      .def_readonly("input_size", &infer::Plan::input_size)
      .def_readonly("output_size", &infer::Plan::output_size)
      .def_readonly("depth", &infer::Plan::depth)
      .def_readonly("model_arch", &infer::Plan::model_arch)
      .def_property_readonly("tile", [](const infer::Plan& p) { return p.tile_sizes(); }, "[t1, t2, t3]")
      .def_property_readonly("ring_degree", [](const infer::Plan& p) { return p.ckks.ring_degree; })
      .def_property_readonly("secure", [](const infer::Plan& p) { return p.ckks.secure; })
      .def_property_readonly(
          "batch_layout", [](const infer::Plan& p) { return infer::batch_layout_name(p.batch_layout); },
          "'inner' or 'outer': where the batch sits in each tile's slots")
      .def_readonly("hoisted_rotations", &infer::Plan::hoisted_rotations,
                    "rotations per hoisted sum in each rotate-and-sum (`hepex plan --hoisted-rotations`)")
      .def_readonly("sum_after_rescale", &infer::Plan::sum_after_rescale,
                    "whether each layer rescales before its rotate-and-sum (`hepex plan --sum-after-rescale`)")
      .def_property_readonly("est_latency_s", &infer::Plan::est_latency_s)
      .def("summary", &infer::format_plan, "What `hepex plan` prints")
      .def("save", &infer::Plan::save, py::arg("path"))
      .def("to_bytes", [](const infer::Plan& p) { return py::bytes(p.to_text()); }, "plan.json's bytes")
      .def_static("load", &infer::Plan::load, py::arg("path"))
      .def_static(
          "from_bytes",
          [](const py::object& bytes, const std::string& name) {
            const Bytes b = to_bytes(bytes, "Plan.from_bytes");
            return infer::Plan::parse(b, name);
          },
          py::arg("data"), py::arg("name") = "plan")
      .def("__repr__", [](const infer::Plan& p) {
        return "<hepex.Plan " + p.model_arch + " batch " + std::to_string(p.batch) + " N " +
               std::to_string(p.ckks.ring_degree) + ">";
      });

  m.def(
      "make_plan",
      [](const nn::Model& model, const std::string& tile, std::size_t batch, std::size_t ring_degree,
         bool allow_insecure, const std::string& batch_layout, std::size_t hoisted_rotations,
         const std::string& unknowns, int max_scale_bits, std::optional<bool> sum_after_rescale,
         bool precision_check) {
        const auto [t1, t2] = prune::parse_tile_shape(tile);
        infer::PlanOptions options;
        options.ring_degree = ring_degree;
        options.hoisted_rotations = hoisted_rotations;
        options.insecure = allow_insecure;
        options.batch_layout = infer::parse_batch_layout_choice(batch_layout);
        options.unknowns_repair = infer::parse_unknowns_repair_choice(unknowns);
        options.max_scale_bits = max_scale_bits;
        options.sum_after_rescale = sum_after_rescale;
        options.precision_check = precision_check;
        py::gil_scoped_release unlocked;
        return infer::make_plan(model, std::size_t(t1), std::size_t(t2), batch, options);
      },
      py::arg("model"), py::arg("tile") = "4x8", py::arg("batch") = 256, py::arg("ring_degree") = 0,
      py::arg("allow_insecure") = false, py::arg("batch_layout") = "auto",
      py::arg("hoisted_rotations") = infer::PlanOptions{}.hoisted_rotations, py::arg("unknowns") = "auto",
      py::arg("max_scale_bits") = infer::PlanOptions{}.max_scale_bits, py::arg("sum_after_rescale") = py::none(),
      py::arg("precision_check") = true,
      "The plan for a model (as `hepex plan`): ring_degree 0 picks the smallest 128-bit secure ring; "
      "allow_insecure with a small ring_degree is for tests only; batch_layout 'outer' puts the batch outermost "
      "in each tile (compact weight plaintexts, one more level per transposed layer), 'inner' innermost, 'auto' "
      "lets the planner weigh memory and precision (`hepex plan --batch-layout`); hoisted_rotations: rotations per "
      "hoisted sum in each rotate-and-sum (`hepex plan --hoisted-rotations`); unknowns: 'clear-and-duplicate', "
      "'mask-in-next-weights', one of the two per hidden layer separated by commas, or 'auto' (`hepex plan "
      "--unknowns`); max_scale_bits: the largest CKKS scale (bits) "
      "the planner may take (`hepex plan --max-scale-bits`: 31 keeps every plaintext level's prime narrow); "
      "sum_after_rescale: True / False / None (the planner's choice by scale) rescales each layer before its "
      "rotate-and-sum (`hepex plan --sum-after-rescale`); precision_check=False: with unknowns 'auto', the "
      "repair pattern by estimated latency alone (`hepex plan --no-precision-check`)");
}

}  // namespace hepex::python
