#pragma once
// `hepex serve`: the gRPC inference service (proto/hepex.proto) over one model and plan.
//
//   Ping        liveness, running and queued inferences
//   GetPlan     the plan and its CKKS parameters
//   UploadKeys  client-streamed eval.keys body; stored in the key store (key_store.hpp) under a fresh key
//               id, returned with an access token; a secret key or any other object is refused from its header
//   KeyStatus   whether the keys of these credentials are still here
//   Infer       InferStart (credentials, count, size) + input batch chunks -> output chunks + report
//
// Bounded work (admission.hpp): uploads and inferences are admitted against a queue limit and a memory
// budget from the planner's estimates, else RESOURCE_EXHAUSTED; messages above max_message_bytes and
// payloads above the plan's sizes are refused. Cancellation and deadlines are honoured while queued,
// while receiving and between layers. shutdown() refuses new requests, lets the running and queued ones
// finish for up to the grace period, then cancels them. Each request logs one line (rpc, key id, batch,
// latency, bytes, status), never data.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "infer/keys.hpp"
#include "infer/plan.hpp"
#include "nn/model.hpp"

namespace hepex::service {

struct ServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free port (see Server::port)
  std::string store;                   // key store directory (required)
  std::string tls_cert, tls_key;       // PEM files: TLS when both are given
  std::size_t max_active = 1;          // inferences running at once
  std::size_t max_queued = 4;          // inferences and uploads waiting for admission
  std::size_t memory_budget = 0;       // bytes for running requests; 0: half of physical memory
  std::size_t max_message_bytes = 0;   // 0: kMaxMessageBytes
  std::size_t max_key_sets = 256;      // key sets the store may hold (more uploads: RESOURCE_EXHAUSTED)
  int threads = 0;                     // OpenMP threads per inference; 0: OpenMP's maximum / max_active
  infer::SecurityPolicy policy = infer::SecurityPolicy::kRequire128Bit;
  std::string version = "hepex";       // what Ping answers
  std::function<void(const std::string&)> log;  // one line per request; default: stderr
};

class Server {
 public:
  // Compiles the model for the plan (MismatchError if it is not the plan's), opens the key store.
  Server(const nn::Model& model, infer::Plan plan, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; IoError naming the address when it cannot listen.
  void start();
  int port() const;
  std::string address() const;  // host:port actually bound
  const infer::Plan& plan() const;

  // Stops accepting requests, lets in-flight ones finish for up to `grace`, cancels the rest, and returns
  // when every handler has ended. Idempotent.
  void shutdown(std::chrono::milliseconds grace);
  // Blocks until shutdown() (from another thread) has completed.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepex::service
