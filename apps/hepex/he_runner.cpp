#include "he_runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/error.hpp"
#include "verb.hpp"

extern char** environ;

namespace hepex::cli {
namespace fs = std::filesystem;

HeMeasurement measure_encrypted_inference(const nn::Model& model, const std::string& tile, std::size_t batch,
                                          const std::string& weights) {
  const fs::path dir = fs::temp_directory_path() / ("hepex-he-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string model_path = (dir / "model.hpx").string();
  const std::string report_path = (dir / "report.json").string();
  model.save(model_path);

  std::vector<std::string> args{"hepex", "-q"};
  if (global_options().threads > 0) args.insert(args.end(), {"--threads", std::to_string(global_options().threads)});
  args.insert(args.end(), {"demo", "--model", model_path, "--tile", tile, "--count", std::to_string(batch), "--report",
                           report_path, "--weights", weights});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The child's table goes to /dev/null (its JSON report is what we read); its errors stay on stderr.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw Error("experiment: cannot start the encrypted-inference process");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fs::remove_all(dir);
    throw Error("experiment: encrypted inference of a " + model.arch_string() + " model failed (see its error above)");
  }
  std::ifstream in(report_path);
  const auto j = nlohmann::json::parse(in);
  HeMeasurement m;
  m.latency_s = j.at("latency_s").get<double>();
  m.peak_rss_bytes = j.at("peak_rss_bytes").get<double>();
  m.model_bytes = j.at("model_bytes").get<double>();
  fs::remove_all(dir);
  return m;
}

}  // namespace hepex::cli
