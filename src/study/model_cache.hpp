#pragma once
// Trained models cached across runs (what `hepex demo` trains once), keyed by everything that determines
// the trained model, so another data set, setting or trainer version never reuses a model trained otherwise.
#include <filesystem>
#include <functional>
#include <string>

#include "nn/job.hpp"

namespace hepex::study {

// $HEPEX_CACHE_DIR, else $XDG_CACHE_HOME/hepex, else $HOME/.cache/hepex, else ./.hepex-cache.
std::filesystem::path model_cache_dir();

// <model_cache_dir()>/<prefix>-<arch>-<fingerprint of the whole job (nn::train_job_fingerprint)>.hpx.
std::filesystem::path cached_model_path(const nn::TrainJob& job, const std::string& prefix = "demo");

// The cached model of `job` if present, else trains it (`on_epoch` sees every epoch) and caches it; a cache
// that cannot be written is no error (the model is returned all the same). `say` reports which it was.
nn::Model train_or_load_cached(const nn::TrainJob& job, const std::function<void(const std::string&)>& say = {},
                               const nn::EpochCallback& on_epoch = {}, const std::string& prefix = "demo");

}  // namespace hepex::study
