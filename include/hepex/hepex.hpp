#pragma once
// hepex's public API for library users: `#include <hepex/hepex.hpp>` and link hepex::hepex
// (find_package(hepex) after `cmake --install`).
//
//   hepex::Client   keys, encrypt, decrypt (holds the secret key)           session/client.hpp
//   hepex::Server   evaluate encrypted inputs (never takes a secret key)    session/server.hpp
//   in one process  Client + Server together, report and outputs            session/local_run.hpp
//   models          .hpx / .onnx in and out                                 session/model_file.hpp
//   plans           infer::make_plan, infer::Plan                           infer/plan.hpp
//   pruning         prune::prune_model and its options                      prune/pipeline.hpp
//   training        nn::run_train_job, nn::Model                            nn/job.hpp, nn/model.hpp
//   studies         pruning sweeps, baselines, results.csv; model cache     study/experiment.hpp, study/model_cache.hpp
//   errors          hepex::Error and its subclasses                         util/error.hpp
#include "infer/plan.hpp"
#include "infer/report.hpp"
#include "nn/job.hpp"
#include "nn/model.hpp"
#include "onnx/export.hpp"
#include "onnx/import.hpp"
#include "prune/pipeline.hpp"
#include "session/client.hpp"
#include "session/local_run.hpp"
#include "session/model_file.hpp"
#include "session/server.hpp"
#include "study/experiment.hpp"
#include "study/he_measurement.hpp"
#include "study/model_cache.hpp"
#include "study/results_csv.hpp"
#include "util/error.hpp"
