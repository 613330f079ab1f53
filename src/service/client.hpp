#pragma once
// `hepex client`: the client side of the service, over hepex::Client (session/client.hpp: keys, encrypt,
// decrypt). Fetches the plan (checked against the client's own security policy), generates keys in the keys
// directory if it has none (the secret key never leaves the client), uploads the evaluation keys once per
// server (again only when the server lost them), encrypts, streams the inputs, receives the outputs and the
// report, decrypts.
//
// The keys directory is infer/keys.hpp's (plan.json, secret.key, public.key, eval.keys) plus service.json
// (mode 0600): per server address, the key id and access token the server issued on upload. Keys made for
// another plan than the server's are refused (MismatchError naming the directory); nothing is replaced.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infer/keys.hpp"
#include "infer/plan.hpp"
#include "service/key_store.hpp"

namespace hepex::service {

struct ClientOptions {
  std::string server;             // host:port
  std::string tls_ca;             // PEM file of the CA of the server's certificate: TLS when given
  std::string keys_dir = "keys";
  infer::SecurityPolicy policy = infer::SecurityPolicy::kRequire128Bit;
  std::size_t chunk_bytes = 0;    // 0: kChunkBytes
  double timeout_s = 0;           // deadline of each call (0: none)
  std::function<void(const std::string&)> progress;
};

struct PingInfo {
  std::string version;
  unsigned active = 0, queued = 0;
};

struct ClientRun {
  std::vector<double> outputs;        // count x output width, original order
  std::size_t count = 0, width = 0;
  nlohmann::json report;              // the server's report, with a "client" section (times, bytes, keys)
  bool generated_keys = false, uploaded_keys = false;
  std::size_t key_bytes_sent = 0, input_bytes_sent = 0, output_bytes_received = 0;
  double keygen_s = 0, upload_s = 0, encrypt_s = 0, remote_s = 0, decrypt_s = 0, total_s = 0;
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  PingInfo ping();
  // The server's plan, validated; its CKKS parameters must be those the plan implies.
  infer::Plan fetch_plan();
  // Keys for the server's plan in the keys directory (generated if absent) and credentials on the server
  // (uploaded if it has none for us, or lost them).
  Credentials ensure_keys(const infer::Plan& plan, ClientRun* run = nullptr);
  // The whole round trip for `count` samples (rows of width plan.input_size, original order).
  ClientRun run(const std::vector<double>& samples, std::size_t count);
  // The same with the plan fetch_plan() returned.
  ClientRun run(const infer::Plan& plan, const std::vector<double>& samples, std::size_t count);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hepex::service
