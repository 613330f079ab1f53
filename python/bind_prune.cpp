// Pruning: `hepex prune`'s methods and options (P1..P4E, saliency, cost-aware) on a model, with the data as
// a data set name / IDX directory (like --data) or as NumPy arrays.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "nn/job.hpp"
#include "prune/masks.hpp"
#include "prune/tile_stats.hpp"
#include "prune/tiling.hpp"
#include "session/pruning.hpp"

namespace hepex::python {

namespace {
// Training and validation sets: a data set by name (its training split) or rows given by the caller.
nn::TrainValSplit pruning_data(const nn::Model& dense, const py::object& data, const py::object& labels,
                               double val_split, std::uint64_t seed) {
  if (py::isinstance<py::str>(data)) {
    nn::TrainJob job;
    job.data = data.cast<std::string>();
    job.task = nn::infer_task(dense);
    job.val_split = val_split;
    job.seed = seed;
    auto loaded = nn::load_job_data(job);
    return {std::move(loaded.train), std::move(loaded.val)};
  }
  const Samples s = to_samples(data.cast<DoubleArray>(), "prune(data=...)");
  if (s.cols != std::size_t(dense.input_size()))
    throw MismatchError("prune: data has " + std::to_string(s.cols) + " features, the model takes " +
                        std::to_string(dense.input_size()));
  nn::Dataset d;
  d.images.resize(Eigen::Index(s.rows), Eigen::Index(s.cols));
  for (std::size_t i = 0; i < s.values.size(); ++i) d.images.data()[i] = float(s.values[i]);
  if (!labels.is_none()) {
    const auto l = labels.cast<std::vector<int>>();
    if (l.size() != s.rows)
      throw MismatchError("prune: " + std::to_string(l.size()) + " labels for " + std::to_string(s.rows) + " samples");
    for (int v : l)
      if (v < 0 || v > 255) throw InvalidArgument("prune: label " + std::to_string(v) + " outside 0..255");
    d.labels.assign(l.begin(), l.end());
  } else if (nn::infer_task(dense) == nn::Task::kClassifier) {
    throw InvalidArgument("prune: a classifier (" + dense.arch_string() + ") needs labels");
  }
  return nn::split_train_val(d, val_split, seed);
}
// Caps as `--row-layer-cap` takes them: None (no cap), one number (every layer) or one per layer.
std::vector<double> layer_caps(const py::object& caps) {
  if (caps.is_none()) return {};
  if (py::isinstance<py::float_>(caps) || py::isinstance<py::int_>(caps)) return {caps.cast<double>()};
  return caps.cast<std::vector<double>>();
}
}  // namespace

void bind_prune(py::module_& m) {
  m.def(
      "prune",
      [](const nn::Model& dense, const py::object& data, const py::object& labels, const std::string& method,
         const std::string& tile, double fraction, bool saliency, bool cost_aware, int epochs, double lr,
         double lr_decay, int batch, int steps, double threshold, double row_fraction, const py::object& row_layer_cap,
         const std::string& scope, const std::string& score, double val_split, std::uint64_t seed) {
        prune::PruneConfig c;
        c.method = prune::parse_method(method);
        std::tie(c.t1, c.t2) = prune::parse_tile_shape(tile);
        c.fraction = fraction;
        c.saliency = saliency;
        c.density_threshold = threshold;
        c.row_fraction = row_fraction;
        c.row_layer_cap = layer_caps(row_layer_cap);
        c.steps = steps;
        c.scope = prune::parse_scope(scope);
        c.score = prune::parse_tile_score(score);
        c.finetune.epochs = epochs;
        c.finetune.lr = float(lr);
        c.finetune.lr_decay = float(lr_decay);
        c.finetune.batch = batch;
        const auto split = pruning_data(dense, data, labels, val_split, seed);
        prune::PruneReport report;
        nn::Model pruned;
        {
          py::gil_scoped_release unlocked;
          pruned = prune::prune_model(dense, split.train, split.val, prune_config_for(dense, c, cost_aware, seed), report);
        }
        return py::make_tuple(pruned, to_py(prune_report_json(report)));
      },
      py::arg("model"), py::arg("data"), py::arg("labels") = py::none(), py::arg("method") = "P4E",
      py::arg("tile") = "4x8", py::arg("fraction") = 0.9, py::arg("saliency") = false, py::arg("cost_aware") = false,
      py::arg("epochs") = 3, py::arg("lr") = 1e-3, py::arg("lr_decay") = 1.0, py::arg("batch") = 128,
      py::arg("steps") = 1, py::arg("threshold") = 0.0625, py::arg("row_fraction") = 0.0,
      py::arg("row_layer_cap") = py::none(), py::arg("scope") = "global", py::arg("score") = "l2", py::arg("val_split") = 0.1,
      py::arg("seed") = 1,
      "HE-aware pruning as `hepex prune` (same methods and defaults). data: a data set name or IDX directory "
      "(like --data), or an array of training rows (labels for classifiers). Returns (pruned model, report dict).");
}

}  // namespace hepex::python
