#include "study/he_measurement.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "io/safe_file.hpp"
#include "prune/tiling.hpp"
#include "session/local_run.hpp"
#include "util/error.hpp"

extern char** environ;

namespace hepex::study {

HeMeasurement measurement_of(const infer::Report& report) {
  return {report.latency_s, static_cast<double>(report.peak_rss_bytes), static_cast<double>(report.model_bytes)};
}

namespace {
std::optional<infer::WeightMode> weight_mode_choice(const std::string& weights) {
  if (weights == "auto") return std::nullopt;
  return infer::parse_weight_mode(weights);
}

// A study measures cost, not accuracy (CKKS costs do not depend on the values), so the inputs only need the
// model's width: deterministic values in [0, 1].
std::vector<double> measurement_inputs(std::size_t count, std::size_t width) {
  std::vector<double> x(count * width);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>((i * 2654435761u) % 1000) / 999.0;
  return x;
}
}  // namespace

HeRunner in_process_runner(const std::string& weights, const infer::PlanOptions& planner) {
  const auto mode = weight_mode_choice(weights);  // a bad name fails here, before the sweep
  return [mode, planner](const nn::Model& model, const std::string& tile, std::size_t batch) {
    const auto [t1, t2] = prune::parse_tile_shape(tile);
    auto plan = infer::make_plan(model, std::size_t(t1), std::size_t(t2), batch, planner);
    if (mode) plan.weight_mode = *mode;
    LocalRunOptions o;
    o.key_seed = seed_from_u64(1);
    const auto x = measurement_inputs(batch, static_cast<std::size_t>(model.input_size()));
    return measurement_of(run_locally(model, plan, x, batch, o).report);
  };
}

namespace {
// Runs `args` (args[0] the program's name) as `exe`, stdout to /dev/null; true when it exits with 0.
bool run_quietly(const std::string& exe, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw Error("experiment: cannot start the encrypted-inference process " + exe);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

HeRunner child_process_runner(const std::string& hepex_cli, const std::string& weights, int threads) {
  weight_mode_choice(weights);  // a bad name fails here, before the sweep
  return [hepex_cli, weights, threads](const nn::Model& model, const std::string& tile, std::size_t batch) {
    const io::ScratchDirectory dir("hepex-he");
    const std::string model_path = dir.file("model.hpx");
    const std::string report_path = dir.file("report.json");
    model.save(model_path);
    std::vector<std::string> args{"hepex", "-q"};
    if (threads > 0) args.insert(args.end(), {"--threads", std::to_string(threads)});
    args.insert(args.end(), {"demo", "--model", model_path, "--tile", tile, "--count", std::to_string(batch),
                             "--report", report_path, "--weights", weights});
    if (!run_quietly(hepex_cli, args))
      throw Error("experiment: encrypted inference of a " + model.arch_string() + " model failed (see its error above)");
    std::ifstream in(report_path);
    const auto j = nlohmann::json::parse(in);
    return HeMeasurement{j.at("latency_s").get<double>(), j.at("peak_rss_bytes").get<double>(),
                         j.at("model_bytes").get<double>()};
  };
}

}  // namespace hepex::study
