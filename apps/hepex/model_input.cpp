#include "model_input.hpp"

#include "session/model_file.hpp"

namespace hepex::cli {

nn::Model load_model_any(const std::string& path) { return load_model(path); }

}  // namespace hepex::cli
