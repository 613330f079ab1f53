#include "data_choice.hpp"

#include <cstdio>

#include "nn/dataset.hpp"
#include "nn/job.hpp"
#include "verb.hpp"

namespace hepex::cli {

std::string data_set_for(const nn::Model& model, const std::string& data_option, const std::string& model_name) {
  if (!data_option.empty()) return nn::canonical_data_name(data_option);
  if (!model.data_set().empty()) return model.data_set();
  if (!global_options().quiet)
    std::fprintf(stderr, "note: %s records no training data set (an older file): using mnist; --data chooses\n",
                 model_name.c_str());
  return "mnist";
}

float input_noise_for(const nn::Model& model, float noise_option) {
  if (nn::infer_task(model) != nn::Task::kAutoencoder) return 0.f;
  return noise_option >= 0.f ? noise_option : model.input_noise();
}

std::string noise_option_help_for_models() {
  return "Denoising autoencoders: Gaussian noise sigma on the inputs (targets stay clean); default: the sigma the "
         "model was trained with, as its file records";
}

std::string data_option_help_for_models() {
  return std::string("Data set: ") + nn::kDataSetNames +
         ", or a directory of IDX files (default: the one the model was trained on, as its file records)";
}

}  // namespace hepex::cli
