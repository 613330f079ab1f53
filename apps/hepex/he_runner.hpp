#pragma once
// Encrypted-inference measurements for the experiment driver. Each run is a separate `hepex demo` process,
// so its peak resident memory is its own (the sweep's process holds the data sets and earlier runs).
#include <cstddef>
#include <string>

#include "experiment.hpp"
#include "nn/model.hpp"

namespace hepex::cli {

// weights: "auto", "pre-encoded" or "on-the-fly" (hepex demo --weights).
HeMeasurement measure_encrypted_inference(const nn::Model& model, const std::string& tile, std::size_t batch,
                                          const std::string& weights);

}  // namespace hepex::cli
