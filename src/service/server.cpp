#include "service/server.hpp"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>

#include "hepex.grpc.pb.h"
#include "ckks/serialize.hpp"
#include "io/binary.hpp"
#include "io/safe_file.hpp"
#include "service/admission.hpp"
#include "service/chunks.hpp"
#include "service/engine.hpp"
#include "service/errors.hpp"
#include "service/key_store.hpp"
#include "util/hash.hpp"
#include "util/process.hpp"

namespace hepex::service {

namespace {

using Clock = std::chrono::steady_clock;

Credentials credentials_of(const rpc::Credentials& c) {
  return {c.key_id(), std::vector<std::uint8_t>(c.token().begin(), c.token().end())};
}

std::string read_pem(const std::string& path, const char* what) {
  const auto b = io::read_file_bytes(path, std::uint64_t{1} << 20);
  if (b.empty()) throw IoError(path + ": empty " + what);
  return std::string(b.begin(), b.end());
}

// Runs `fn`, turning every exception into the status the client gets.
template <class Fn>
grpc::Status guarded(Fn&& fn) {
  try {
    fn();
    return grpc::Status::OK;
  } catch (const std::exception& e) {
    return to_status(e);
  }
}

}  // namespace

struct Server::Impl final : public rpc::Inference::Service {
  // One log line per request, written when the handler returns: never data, only sizes and the outcome.
  struct RequestLog {
    Impl& impl;
    const char* rpc;
    Clock::time_point start = Clock::now();
    std::string key = "-";
    std::size_t batch = 0, in = 0, out = 0;
    grpc::Status finish(grpc::Status s) {
      char line[512];
      std::snprintf(line, sizeof line, "%s key=%s batch=%zu latency=%.3fs in=%zuB out=%zuB status=%s%s%s", rpc,
                    key.c_str(), batch, std::chrono::duration<double>(Clock::now() - start).count(), in, out,
                    status_code_name(s.error_code()), s.ok() ? "" : " ", s.ok() ? "" : s.error_message().c_str());
      impl.log(line);
      return s;
    }
  };

  ServerOptions o;
  Engine engine;
  KeyStore store;
  Admission admission;
  int threads = 1;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::atomic<bool> draining{false};
  std::mutex shutdown_m;
  std::condition_variable shutdown_cv;
  bool stopped = false;

  Impl(const nn::Model& model, infer::Plan plan, ServerOptions options)
      : o(std::move(options)),
        engine(model, std::move(plan), o.policy),
        store(o.store, o.max_key_sets),
        admission(o.max_active, o.max_queued, o.memory_budget ? o.memory_budget : physical_memory_bytes() / 2) {
    if (o.max_message_bytes == 0) o.max_message_bytes = kMaxMessageBytes;
    threads = o.threads > 0 ? o.threads : std::max(1, omp_get_max_threads() / int(std::max<std::size_t>(1, o.max_active)));
  }

  void log(const std::string& line) {
    if (o.log)
      o.log(line);
    else
      std::fprintf(stderr, "hepex serve: %s\n", line.c_str());
  }

  // The eval.keys file bytes of these credentials (authorized), read from the store.
  std::vector<std::uint8_t> keys_for(const Credentials& c) const {
    const std::string path = store.authorize(c);
    try {
      return io::read_file_bytes(path, engine.key_limit());
    } catch (const Error&) {
      throw Error("key " + c.key_id + ": the stored keys are unreadable");  // no server path in the message
    }
  }

  // The key set of these credentials, from the stored file's header (without reading the whole file).
  std::string key_set_of(const Credentials& c) const {
    const std::string path = store.authorize(c);
    std::vector<std::uint8_t> header(40);
    std::ifstream in(path, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(header.data()), std::streamsize(header.size())))
      throw Error("key " + c.key_id + ": the stored keys are unreadable");
    const auto type = io::declared_object_type(header);
    const auto h = io::BinaryReader(header, "stored keys " + c.key_id).read_header(type.value_or(io::ObjectType::kEvalKeys));
    if (h.param_hash != engine.context().param_hash())
      throw MismatchError("key " + c.key_id + ": the stored keys were made for another plan (upload new keys)");
    return to_hex(h.key_id);
  }

  void check_open(const char* what) const {
    if (draining) throw Unavailable(std::string(what) + ": the server is shutting down");
  }

  // ---------------------------------------------------------------------------------------------- RPCs

  grpc::Status Ping(grpc::ServerContext*, const rpc::PingRequest*, rpc::PingReply* reply) override {
    RequestLog rl{*this, "Ping"};
    reply->set_version(o.version);
    reply->set_active(std::uint32_t(admission.active()));
    reply->set_queued(std::uint32_t(admission.queued()));
    return rl.finish(grpc::Status::OK);
  }

  grpc::Status GetPlan(grpc::ServerContext*, const rpc::PlanRequest*, rpc::PlanReply* reply) override {
    RequestLog rl{*this, "GetPlan"};
    return rl.finish(guarded([&] {
      reply->set_plan_json(engine.plan().to_json().dump());
      const auto params = ckks::to_bytes(engine.context().params());
      reply->set_parameters(params.data(), params.size());
      rl.out = reply->ByteSizeLong();
    }));
  }

  grpc::Status UploadKeys(grpc::ServerContext* ctx, grpc::ServerReader<rpc::KeyChunk>* reader,
                          rpc::UploadReply* reply) override {
    RequestLog rl{*this, "UploadKeys"};
    return rl.finish(guarded([&] {
      check_open("key upload");
      const auto ticket = admission.acquire(engine.upload_bytes(), "key upload", [ctx] { return ctx->IsCancelled(); });
      Assembler body(engine.key_limit(), "key upload");
      rpc::KeyChunk chunk;
      bool checked = false;
      while (reader->Read(&chunk)) {
        body.add(chunk.data());
        rl.in = body.size();
        if (!checked && body.size() >= Engine::kHeaderPrefix) {
          Engine::check_keys_header(body.bytes(), "key upload");  // a secret key goes no further
          checked = true;
        }
      }
      if (ctx->IsCancelled()) throw Cancelled("key upload: cancelled by the client");
      if (!checked) Engine::check_keys_header(body.bytes(), "key upload");
      const auto& bytes = body.bytes();
      const auto key_set = engine.validate_keys(bytes, "key upload");
      const Credentials c = store.add(bytes);
      rl.key = c.key_id;
      reply->set_key_id(c.key_id);
      reply->set_token(c.token.data(), c.token.size());
      reply->set_key_set(to_hex(key_set));
      reply->set_bytes(bytes.size());
    }));
  }

  grpc::Status KeyStatus(grpc::ServerContext*, const rpc::KeyStatusRequest* req, rpc::KeyStatusReply* reply) override {
    RequestLog rl{*this, "KeyStatus"};
    return rl.finish(guarded([&] {
      const auto c = credentials_of(req->credentials());
      if (valid_key_id(c.key_id)) rl.key = c.key_id;
      reply->set_key_set(key_set_of(c));
    }));
  }

  grpc::Status Infer(grpc::ServerContext* ctx, grpc::ServerReaderWriter<rpc::InferReply, rpc::InferRequest>* stream) override {
    RequestLog rl{*this, "Infer"};
    return rl.finish(guarded([&] {
      check_open("inference");
      rpc::InferRequest req;
      if (!stream->Read(&req)) throw InvalidArgument("inference: no request");
      if (!req.has_start()) throw InvalidArgument("inference: the first message must be an InferStart");
      const auto c = credentials_of(req.start().credentials());
      if (valid_key_id(c.key_id)) rl.key = c.key_id;
      const std::size_t count = req.start().count(), declared = req.start().input_bytes();
      rl.batch = count;
      store.authorize(c);  // before a single input byte is accepted
      if (count == 0 || count > engine.plan().batch)
        throw InvalidArgument("inference: count " + std::to_string(count) + " outside [1, " +
                              std::to_string(engine.plan().batch) + "] (the plan's batch)");
      if (declared == 0) throw InvalidArgument("inference: an empty input batch");
      if (declared > engine.input_limit())
        throw Busy("inference: an input batch of " + std::to_string(declared) + " bytes, more than the plan's " +
                   std::to_string(engine.input_limit()));
      const auto cancelled = [ctx] { return ctx->IsCancelled(); };
      const auto ticket = admission.acquire(engine.evaluation_bytes() + declared, "inference", cancelled);
      const auto keys = keys_for(c);

      Assembler input(declared, "inference: the input batch (announced " + std::to_string(declared) + " bytes)");
      input.reserve(declared);
      while (stream->Read(&req)) {
        if (!req.has_data()) throw InvalidArgument("inference: a second InferStart in one request");
        if (req.data().size() > declared - input.size())
          throw InvalidArgument("inference: more input bytes than the " + std::to_string(declared) + " announced");
        input.add(req.data());
        rl.in = input.size();
      }
      if (ctx->IsCancelled()) throw Cancelled("inference: cancelled by the client while sending");
      if (input.size() != declared)
        throw InvalidArgument("inference: " + std::to_string(input.size()) + " of the " + std::to_string(declared) +
                              " announced input bytes received");

      omp_set_num_threads(threads);
      const auto result = engine.evaluate(keys, input.bytes(), count, cancelled);
      rpc::InferReply reply;
      for (const auto part : split_chunks(result.output)) {
        reply.set_data(part.data(), part.size());
        if (!stream->Write(reply)) throw Cancelled("inference: the client went away while receiving");
        rl.out += part.size();
      }
      reply.set_report_json(result.report.to_json().dump());
      if (!stream->Write(reply)) throw Cancelled("inference: the client went away while receiving");
    }));
  }
};

Server::Server(const nn::Model& model, infer::Plan plan, ServerOptions options)
    : impl_(std::make_unique<Impl>(model, std::move(plan), std::move(options))) {}

Server::~Server() { shutdown(std::chrono::milliseconds(0)); }

void Server::start() {
  auto& s = *impl_;
  if (s.server) throw InvalidArgument("server: already started");
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!s.o.tls_cert.empty() || !s.o.tls_key.empty()) {
    if (s.o.tls_cert.empty() || s.o.tls_key.empty())
      throw InvalidArgument("server: TLS needs both a certificate and its private key");
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({read_pem(s.o.tls_key, "private key"), read_pem(s.o.tls_cert, "certificate")});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(s.o.listen, creds, &s.port);
  builder.RegisterService(&s);
  builder.SetMaxReceiveMessageSize(int(std::min<std::size_t>(s.o.max_message_bytes, INT32_MAX)));
  builder.SetMaxSendMessageSize(int(std::min<std::size_t>(s.o.max_message_bytes, INT32_MAX)));
  // Handler threads: the running and queued requests, plus room for pings and refusals.
  grpc::ResourceQuota quota("hepex-serve");
  quota.SetMaxThreads(int(s.o.max_active + s.o.max_queued + 8));
  builder.SetResourceQuota(quota);
  s.server = builder.BuildAndStart();
  if (!s.server || s.port == 0) {
    s.server.reset();
    throw IoError("server: cannot listen on " + s.o.listen);
  }
}

int Server::port() const { return impl_->port; }

std::string Server::address() const {
  const auto& l = impl_->o.listen;
  const auto colon = l.rfind(':');
  return (colon == std::string::npos ? l : l.substr(0, colon)) + ":" + std::to_string(impl_->port);
}

const infer::Plan& Server::plan() const { return impl_->engine.plan(); }

void Server::shutdown(std::chrono::milliseconds grace) {
  auto& s = *impl_;
  std::unique_lock lock(s.shutdown_m);
  if (s.stopped) return;
  s.draining = true;
  s.admission.close();
  if (s.server) s.server->Shutdown(std::chrono::system_clock::now() + grace);
  s.stopped = true;
  s.shutdown_cv.notify_all();
}

void Server::wait() {
  auto& s = *impl_;
  std::unique_lock lock(s.shutdown_m);
  s.shutdown_cv.wait(lock, [&] { return s.stopped; });
}

}  // namespace hepex::service
