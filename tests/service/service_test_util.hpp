#pragma once
// A small deployment for the service tests: a random 16-8-16 model, a small insecure ring (tests only), a
// server on a free loopback port with its key store in a fresh temporary directory, and raw stubs for the
// messages a well-behaved client never sends.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "hepex.grpc.pb.h"
#include "session/client.hpp"
#include "../infer/infer_test_util.hpp"
#include "infer/compiled.hpp"
#include "infer/plan.hpp"
#include "service/client.hpp"
#include "service/server.hpp"
#include "../common/temp_dir.hpp"

namespace hepex::service::testing {

namespace fs = std::filesystem;
constexpr auto kInsecure = infer::SecurityPolicy::kAllowInsecureForTestsOnly;

inline nn::Model small_model() {
  using nn::Activation;
  auto m = infer::testing::random_model({16, 8, 16}, {Activation::poly2(0.3f, 0.9f, 0.1f, false), Activation::identity()},
                                        21, 0.3f);
  m.set_input_perm(infer::testing::random_perm(16, 8));
  return m;
}

inline infer::Plan small_plan(const nn::Model& m, std::size_t batch = 8) {
  infer::PlanOptions o;
  o.ring_degree = 1024;  // 512 slots
  o.insecure = true;
  o.max_scale_bits = 36;
  return infer::make_plan(m, 4, 4, batch, o);
}

using hepex::test::TempDir;

struct TestServer {
  std::unique_ptr<Server> server;
  std::vector<std::string> log;
  std::mutex log_m;

  TestServer(const nn::Model& m, const infer::Plan& plan, const std::string& store, ServerOptions o = {}) {
    o.store = store;
    o.policy = kInsecure;
    o.threads = 1;
    if (o.listen.empty()) o.listen = "127.0.0.1:0";
    o.log = [this](const std::string& line) {
      std::lock_guard lock(log_m);
      log.push_back(line);
    };
    server = std::make_unique<Server>(m, plan, o);
    server->start();
  }
  std::string address() const { return server->address(); }
  std::vector<std::string> lines() {
    std::lock_guard lock(log_m);
    return log;
  }
};

inline ClientOptions client_options(const std::string& address, const std::string& keys_dir) {
  ClientOptions o;
  o.server = address;
  o.keys_dir = keys_dir;
  o.policy = kInsecure;
  o.timeout_s = 60;
  return o;
}

inline std::unique_ptr<rpc::Inference::Stub> raw_stub(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  return rpc::Inference::NewStub(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

inline void set_credentials(rpc::Credentials* out, const Credentials& c) {
  out->set_key_id(c.key_id);
  out->set_token(c.token.data(), c.token.size());
}

// Largest |a - b| over two equally long vectors.
inline double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

// The input batch bytes a client sends for these samples, encrypted with the keys in `keys_dir`.
inline std::vector<std::uint8_t> encrypted_input(const std::string& keys_dir, const std::vector<double>& x,
                                                 std::size_t count) {
  const auto c = hepex::Client::load_keys(keys_dir, kInsecure, true);
  return c.encrypt({x, count, c.plan().input_size});
}

// Decrypts an output batch with the keys in `keys_dir`.
inline std::vector<double> decrypted_output(const std::string& keys_dir, const std::vector<std::uint8_t>& bytes,
                                            std::size_t count) {
  return hepex::Client::load_keys(keys_dir, kInsecure, true).decrypt(bytes, count).values;
}

// A raw Infer call: an InferStart with these credentials, `count` and `declared` size, then `data` in
// chunks of `chunk` bytes. Returns the status; `output` receives the data bytes sent back.
inline grpc::Status raw_infer(rpc::Inference::Stub& stub, const Credentials& c, std::size_t count, std::size_t declared,
                              const std::vector<std::uint8_t>& data, std::size_t chunk = 1 << 16,
                              std::vector<std::uint8_t>* output = nullptr) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub.Infer(&ctx);
  rpc::InferRequest req;
  set_credentials(req.mutable_start()->mutable_credentials(), c);
  req.mutable_start()->set_count(count);
  req.mutable_start()->set_input_bytes(declared);
  bool open = stream->Write(req);
  for (std::size_t i = 0; open && i < data.size(); i += chunk) {
    req.set_data(data.data() + i, std::min(chunk, data.size() - i));
    open = stream->Write(req);
  }
  stream->WritesDone();
  rpc::InferReply reply;
  while (stream->Read(&reply))
    if (output && reply.has_data()) output->insert(output->end(), reply.data().begin(), reply.data().end());
  return stream->Finish();
}

}  // namespace hepex::service::testing
