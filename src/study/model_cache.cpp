#include "study/model_cache.hpp"

#include <cstdio>
#include <cstdlib>

#include "nn/dataset.hpp"

namespace hepex::study {
namespace fs = std::filesystem;

fs::path model_cache_dir() {
  if (const char* d = std::getenv("HEPEX_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "hepex";
  if (const char* d = std::getenv("HOME"); d && *d) return fs::path(d) / ".cache" / "hepex";
  return ".hepex-cache";
}

fs::path cached_model_path(const nn::TrainJob& job, const std::string& prefix) {
  std::string arch = job.arch;
  for (char& c : arch)
    if (c == ':' || c == '/' || c == '@' || c == ',') c = '_';
  char key[17];
  std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(nn::train_job_fingerprint(job)));
  return model_cache_dir() / (prefix + "-" + arch + "-" + key + ".hpx");
}

nn::Model train_or_load_cached(const nn::TrainJob& job, const std::function<void(const std::string&)>& say,
                               const nn::EpochCallback& on_epoch, const std::string& prefix) {
  const fs::path path = cached_model_path(job, prefix);
  if (fs::exists(path)) {
    if (say) say("using the cached model " + path.string());
    return nn::Model::load(path.string());
  }
  if (say)
    say(std::string("training the ") + nn::task_name(job.task) + " " + job.arch + " on " +
        nn::canonical_data_name(job.data) + " for " + std::to_string(job.config.epochs) + " epochs (once; cached in " +
        path.parent_path().string() + ")...");
  auto model = nn::run_train_job(job, on_epoch).model;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (!ec) model.save(path.string());
  return model;
}

}  // namespace hepex::study
