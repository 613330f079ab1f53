#pragma once
// Which data set a verb evaluates a saved model on: --data when given, else the data set the model file
// records, else (older files, which record none) MNIST with a note on stderr. One rule for eval, prune
// and demo.
#include <string>

#include "nn/model.hpp"

namespace hepex::cli {

// Returns the canonical name (nn::canonical_data_name) of the chosen data set.
std::string data_set_for(const nn::Model& model, const std::string& data_option, const std::string& model_name);

// The input noise sigma a verb tests `model` with: --noise when given (>= 0), else the sigma its file records
// (denoising autoencoders); always 0 for classifiers. One rule for eval and prune.
float input_noise_for(const nn::Model& model, float noise_option);
// The help text of --noise for those verbs (the option's "not given" value is negative).
std::string noise_option_help_for_models();

// The help text of --data for verbs that default to the model's data set.
std::string data_option_help_for_models();

}  // namespace hepex::cli
