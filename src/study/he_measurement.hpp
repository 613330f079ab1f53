#pragma once
// The encrypted-inference measurements of a study: latency, peak resident memory and encoded model
// bytes of one run of the model through the front door (session/local_run.hpp).
#include <cstddef>
#include <string>

#include "infer/plan.hpp"
#include "infer/report.hpp"
#include "study/experiment_config.hpp"

namespace hepex::study {

// What a study records of a run's report.
HeMeasurement measurement_of(const infer::Report& report);

// Measures in this process (session/local_run.hpp: keys, encryption, evaluation, decryption) on inputs of
// the model's width; `planner` as `hepex plan`'s options (tests: a small insecure ring). Its peak RSS is the
// whole process's high-water mark (the sweep's data sets and earlier runs included).
// weights: "auto", "pre-encoded" or "on-the-fly" (InvalidArgument otherwise, at once).
HeRunner in_process_runner(const std::string& weights, const infer::PlanOptions& planner = {});

// Measures each run in a child process, so its peak resident memory is its own: `hepex_cli` is the path of
// the hepex binary, run as `hepex -q [--threads N] demo --model M --tile T --count B --report R --weights W`
// on a temporary copy of the model (threads 0: the child's default). Its table goes to /dev/null, its
// errors to stderr; Error when it fails.
HeRunner child_process_runner(const std::string& hepex_cli, const std::string& weights, int threads = 0);

}  // namespace hepex::study
