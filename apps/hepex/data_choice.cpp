#include "data_choice.hpp"

#include <cstdio>

#include "nn/dataset.hpp"
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

std::string data_option_help_for_models() {
  return std::string("Data set: ") + nn::kDataSetNames +
         ", or a directory of IDX files (default: the one the model was trained on, as its file records)";
}

}  // namespace hepex::cli
