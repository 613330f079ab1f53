#pragma once
// The binding files of the Python module, one per part of the API.
#include <pybind11/pybind11.h>

namespace hepex::python {

void bind_models(pybind11::module_& m);   // Model, load_model, import_onnx, ...   (bind_models.cpp)
void bind_plans(pybind11::module_& m);    // Plan, make_plan                       (bind_plans.cpp)
void bind_session(pybind11::module_& m);  // Client, Server                        (bind_session.cpp)
void bind_prune(pybind11::module_& m);    // prune                                 (bind_prune.cpp)

}  // namespace hepex::python
