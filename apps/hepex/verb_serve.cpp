// `hepex serve`: the gRPC inference service over one model (src/service/server.hpp). Plans the model for the
// tile shape and batch, listens (127.0.0.1 unless --listen says otherwise), keeps clients' evaluation keys
// in --store across restarts, and on SIGTERM or SIGINT stops accepting requests, drains the running ones
// (up to --drain-seconds) and exits 0.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "model_input.hpp"
#include "number_check.hpp"
#include "plan_options.hpp"
#include "prune/tiling.hpp"
#include "security_options.hpp"
#include "service/server.hpp"
#include "verb.hpp"
#include "version.hpp"

namespace {
using namespace hepex;

struct ServeOptions {
  std::string model, tile = "4x8", store, listen, tls_cert, tls_key, weights = "auto";
  std::size_t batch = 256, max_active = 1, max_queued = 4, memory_mb = 0, max_key_sets = 256;
  int port = 50051;
  double drain_seconds = 60;
  bool allow_insecure = false;
  infer::PlanOptions planner;
};

void run(const ServeOptions& o) {
  // Before any thread exists: SIGTERM and SIGINT go to the waiting thread below, never kill a worker.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const auto model = cli::load_model_any(o.model);
  const auto [t1, t2] = prune::parse_tile_shape(o.tile);
  auto plan = infer::make_plan(model, std::size_t(t1), std::size_t(t2), o.batch, o.planner);
  if (o.weights != "auto") plan.weight_mode = infer::parse_weight_mode(o.weights);

  service::ServerOptions so;
  so.listen = o.listen.empty() ? "127.0.0.1:" + std::to_string(o.port) : o.listen;
  so.store = o.store;
  so.tls_cert = o.tls_cert;
  so.tls_key = o.tls_key;
  so.max_active = o.max_active;
  so.max_queued = o.max_queued;
  so.memory_budget = o.memory_mb << 20;
  so.max_key_sets = o.max_key_sets;
  so.policy = cli::security_policy(o.allow_insecure);
  so.threads = cli::global_options().threads;
  so.version = cli::kVersionLine;
  service::Server server(model, plan, so);
  server.start();
  std::printf("hepex serve: listening on %s%s (model %s, tile %zux%zu, batch %zu, N = %zu, %s weights, eval keys "
              "about %.0f MB per client, keys in %s)\n",
              server.address().c_str(), o.tls_cert.empty() ? "" : " with TLS", model.arch_string().c_str(), plan.t1,
              plan.t2, plan.batch, plan.ckks.ring_degree, infer::weight_mode_name(plan.weight_mode),
              plan.eval_key_bytes / 1e6, o.store.c_str());
  std::fflush(stdout);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::printf("hepex serve: %s: draining (up to %.0f s)...\n", sig == SIGTERM ? "SIGTERM" : "SIGINT", o.drain_seconds);
    std::fflush(stdout);
    server.shutdown(std::chrono::milliseconds(static_cast<long long>(o.drain_seconds * 1000)));
  });
  server.wait();
  waiter.join();
  std::printf("hepex serve: stopped\n");
}

const cli::VerbRegistrar reg(36, [](CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  auto* sub = app.add_subcommand("serve", "Serve encrypted inference over gRPC (server side: no secret key)");
  sub->add_option("-m,--model", o->model, "Model file (.hpx or .onnx)")->required()->check(CLI::ExistingFile);
  sub->add_option("--tile", o->tile, "Tile shape t1xt2")->capture_default_str();
  sub->add_option("--batch", o->batch, "Samples per inference")->check(cli::whole_in(1, cli::kMaxBatch))->capture_default_str();
  sub->add_option("--store", o->store, "Directory of the clients' evaluation keys (created 0700; kept across restarts)")
      ->required();
  sub->add_option("--port", o->port, "Port on 127.0.0.1 (0: any free port, printed)")
      ->check(cli::whole_in(0, 65535))
      ->capture_default_str();
  sub->add_option("--listen", o->listen, "HOST:PORT to listen on instead (e.g. 0.0.0.0:50051: every interface)");
  sub->add_option("--tls-cert", o->tls_cert, "TLS certificate (PEM); with --tls-key")->check(CLI::ExistingFile);
  sub->add_option("--tls-key", o->tls_key, "TLS private key (PEM); with --tls-cert")->check(CLI::ExistingFile);
  sub->add_option("--weights", o->weights, "auto, pre-encoded or on-the-fly")
      ->check(CLI::IsMember({"auto", "pre-encoded", "on-the-fly"}))
      ->capture_default_str();
  sub->add_option("--max-active", o->max_active, "Inferences running at once")->check(cli::whole_in(1, 64))->capture_default_str();
  sub->add_option("--max-queued", o->max_queued, "Requests waiting for admission (more: RESOURCE_EXHAUSTED)")
      ->check(cli::whole_in(0, 1024))
      ->capture_default_str();
  sub->add_option("--memory-mb", o->memory_mb, "Memory budget of running requests (default: half of RAM)")
      ->check(cli::whole_in(1, std::uint64_t{1} << 30));
  sub->add_option("--max-key-sets", o->max_key_sets, "Clients' key sets the store may hold (disk: about the eval keys' size each)")
      ->check(cli::whole_in(1, 1u << 20))
      ->capture_default_str();
  sub->add_option("--drain-seconds", o->drain_seconds, "On SIGTERM: how long running requests may finish")
      ->check(cli::real_in(0, 86400))
      ->capture_default_str();
  cli::add_plan_options(sub, o->planner);
  cli::add_allow_insecure(sub, o->allow_insecure);
  sub->callback([o] { run(*o); });
});
}  // namespace
