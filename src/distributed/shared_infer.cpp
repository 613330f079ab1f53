#include "distributed/shared_infer.hpp"

#include <cstdio>
#include <memory>

#include "distributed/mpi_distribution.hpp"
#include "io/safe_file.hpp"
#include "session/model_file.hpp"

namespace hepex::distributed {

namespace {

struct FileBytes {
  Bytes model, plan, eval_keys, input;
};

// Rank 0: every file read and checked as `hepex infer` checks it, and its bytes for the other ranks.
FileBytes read_and_check(const InferFiles& f, ServerOptions options, std::unique_ptr<Server>& server,
                         const std::function<void(const Server&)>& on_loaded) {
  FileBytes b;
  b.plan = io::read_file_bytes(f.plan);
  auto model = load_model(f.model);  // .hpx or .onnx by the path: the others get the hepex file's bytes
  b.model = model_file_bytes(model);
  server = std::make_unique<Server>(std::move(model), infer::Plan::parse(b.plan, f.plan), std::move(options), f.model,
                                    f.plan);
  if (on_loaded) on_loaded(*server);
  b.eval_keys = io::read_file_bytes(f.eval_keys);
  server->set_eval_keys(b.eval_keys, f.eval_keys);
  b.input = io::read_file_bytes(f.input);
  server->check_input(b.input, f.input);
  return b;
}

// Each rank's layer runs on rank 0: process_runs, and the counts and weight bytes summed into the layers.
void collect_runs(const MpiWorld& world, infer::Report& report) {
  std::vector<double> mine;
  for (const auto& layer : report.layers) {
    const auto& run = layer.run;
    mine.insert(mine.end(), {run.seconds, run.gather_seconds, double(run.gather_bytes), double(run.weight_bytes),
                             run.compute_cpu_seconds});
    for (const auto n : run.counts.n) mine.push_back(double(n));
  }
  const auto all = world.gather_to_root(mine);
  if (!world.is_root()) return;
  const std::size_t stride = 5 + backend::kOpKinds;
  report.model_bytes = 0;
  for (std::size_t l = 0; l < report.layers.size(); ++l) {
    auto& total = report.layers[l].run;
    total.weight_bytes = 0;
    total.counts = {};
    for (std::size_t r = 0; r < all.size(); ++r) {
      const double* v = all[r].data() + l * stride;
      infer::LayerRun run = total;
      run.seconds = v[0];
      run.gather_seconds = v[1];
      run.gather_bytes = std::size_t(v[2]);
      run.weight_bytes = std::size_t(v[3]);
      run.compute_cpu_seconds = v[4];
      for (std::size_t k = 0; k < backend::kOpKinds; ++k) run.counts.n[k] = std::uint64_t(v[5 + k]);
      if (report.process_runs.size() <= r) report.process_runs.resize(r + 1);
      report.process_runs[r].push_back(run);
      total.weight_bytes += run.weight_bytes;
      total.counts += run.counts;
    }
    report.model_bytes += total.weight_bytes;
  }
}

}  // namespace

std::optional<Server::Result> evaluate_shared(const MpiWorld& world, const InferFiles& files, ServerOptions options,
                                              const std::function<void(const Server&)>& on_root_loaded) {
  const MpiDistribution distribution(world);
  options.distribution = &distribution;
  if (!world.is_root()) options.progress = {};
  std::unique_ptr<Server> server;
  FileBytes b;
  world.on_root([&] { b = read_and_check(files, options, server, on_root_loaded); });
  for (Bytes* bytes : {&b.model, &b.plan, &b.eval_keys, &b.input}) world.broadcast(*bytes);

  // From here on the ranks run apart between collectives: an error on one must end them all.
  try {
    if (!world.is_root()) {
      server = std::make_unique<Server>(load_model_bytes(b.model, files.model), infer::Plan::parse(b.plan, files.plan),
                                        options, files.model, files.plan);
      server->set_eval_keys(b.eval_keys, files.eval_keys);
    }
    // Rank 0 loaded its copy before the broadcast: start together, so that the first layer's gather time is
    // communication, not the others' loading.
    world.barrier();
    auto result = server->evaluate(b.input, files.input);
    collect_runs(world, result.report);
    if (!world.is_root()) return std::nullopt;
    return result;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hepex: error (rank %zu of %zu): %s\n", world.rank(), world.size(), e.what());
    std::fflush(stderr);
    world.abort(1);
  }
}

}  // namespace hepex::distributed
