#include "service/client.hpp"

#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "hepex.grpc.pb.h"
#include "ckks/serialize.hpp"
#include "io/binary.hpp"
#include "session/client.hpp"
#include "io/safe_file.hpp"
#include "service/chunks.hpp"
#include "service/errors.hpp"
#include "util/hash.hpp"

namespace hepex::service {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

const char* const kRegistrationFile = "service.json";

std::vector<std::uint8_t> from_hex(const std::string& s, const std::string& what) {
  if (s.size() % 2) throw FormatError(what + ": odd number of hex digits");
  std::vector<std::uint8_t> b(s.size() / 2);
  for (std::size_t i = 0; i < b.size(); ++i) {
    unsigned v = 0;
    for (char c : s.substr(2 * i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else throw FormatError(what + ": not hex");
    }
    b[i] = std::uint8_t(v);
  }
  return b;
}

// Two plans are the same deployment when everything but the key set they name agrees.
bool same_plan(const infer::Plan& a, const infer::Plan& b) {
  auto ja = a.to_json(), jb = b.to_json();
  ja.erase("key_set");
  jb.erase("key_set");
  return ja == jb;
}

std::string model_hash_text(const infer::Plan& p) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(p.model_hash));
  return buf;
}

}  // namespace

struct Client::Impl {
  ClientOptions o;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rpc::Inference::Stub> stub;
  std::string who;

  explicit Impl(ClientOptions options) : o(std::move(options)), who("server " + o.server) {
    if (o.server.empty()) throw InvalidArgument("client: no server address (host:port)");
    if (o.chunk_bytes == 0) o.chunk_bytes = kChunkBytes;
    std::shared_ptr<grpc::ChannelCredentials> creds;
    if (!o.tls_ca.empty()) {
      grpc::SslCredentialsOptions ssl;
      const auto pem = io::read_file_bytes(o.tls_ca, std::uint64_t{1} << 20);
      ssl.pem_root_certs.assign(pem.begin(), pem.end());
      creds = grpc::SslCredentials(ssl);
    } else {
      creds = grpc::InsecureChannelCredentials();
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(int(kMaxMessageBytes));
    args.SetMaxSendMessageSize(int(kMaxMessageBytes));
    channel = grpc::CreateCustomChannel(o.server, creds, args);
    stub = rpc::Inference::NewStub(channel);
  }

  void prepare(grpc::ClientContext& ctx) const {
    if (o.timeout_s > 0)
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(o.timeout_s)));
  }
  void say(const std::string& s) const {
    if (o.progress) o.progress(s);
  }
  void check(const grpc::Status& s, const std::string& what) const {
    if (!s.ok()) throw_status(s, who + " (" + what + ")");
  }

  // ---------------------------------------------------------------------------------- registration
  fs::path registration_path() const { return fs::path(o.keys_dir) / kRegistrationFile; }

  json registrations() const {
    const auto p = registration_path();
    if (!fs::exists(p)) return json{{"servers", json::object()}};
    const auto bytes = io::read_file_bytes(p.string(), std::uint64_t{1} << 20);
    auto j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("servers") || !j["servers"].is_object())
      throw FormatError(p.string() + ": not a registration file (delete it: the keys are uploaded again)");
    return j;
  }

  std::optional<Credentials> registered() const {
    const auto j = registrations();
    const auto& servers = j["servers"];
    if (!servers.contains(o.server)) return std::nullopt;
    const auto& e = servers[o.server];
    try {
      Credentials c{e.at("key_id").get<std::string>(), from_hex(e.at("token").get<std::string>(), "token")};
      if (!valid_key_id(c.key_id) || c.token.size() != kTokenBytes) throw FormatError("bad entry");
      return c;
    } catch (const std::exception&) {
      throw FormatError(registration_path().string() + ": malformed entry for " + o.server +
                        " (delete it: the keys are uploaded again)");
    }
  }

  void save_registration(const Credentials& c) const {
    auto j = registrations();
    j["servers"][o.server] = {{"key_id", c.key_id}, {"token", to_hex(c.token)}};
    io::write_file_atomic(registration_path().string(), j.dump(2) + "\n", io::FileMode::kSecret);
  }

  // ----------------------------------------------------------------------------------------- RPCs
  std::string key_status(const Credentials& c) const {
    grpc::ClientContext ctx;
    prepare(ctx);
    rpc::KeyStatusRequest req;
    req.mutable_credentials()->set_key_id(c.key_id);
    req.mutable_credentials()->set_token(c.token.data(), c.token.size());
    rpc::KeyStatusReply reply;
    check(stub->KeyStatus(&ctx, req, &reply), "key status");
    return reply.key_set();
  }

  Credentials upload(const io::KeyId& key_set, ClientRun* run) const {
    const auto body = io::read_file_bytes((fs::path(o.keys_dir) / "eval.keys").string());  // the file's bytes
    say("uploading the evaluation keys (" + std::to_string(body.size() >> 20) + " MiB)");
    const auto t = Clock::now();
    grpc::ClientContext ctx;
    prepare(ctx);
    rpc::UploadReply reply;
    auto writer = stub->UploadKeys(&ctx, &reply);
    rpc::KeyChunk chunk;
    for (const auto part : split_chunks(body, o.chunk_bytes)) {
      chunk.set_data(part.data(), part.size());
      if (!writer->Write(chunk)) break;  // the server ended the call: Finish says why
    }
    writer->WritesDone();
    check(writer->Finish(), "key upload");
    Credentials c{reply.key_id(), std::vector<std::uint8_t>(reply.token().begin(), reply.token().end())};
    if (!valid_key_id(c.key_id) || c.token.size() != kTokenBytes)
      throw FormatError(who + ": malformed credentials in the upload reply");
    if (reply.key_set() != to_hex(key_set))
      throw MismatchError(who + ": stored key set " + reply.key_set() + ", ours is " + to_hex(key_set));
    save_registration(c);
    if (run) {
      run->uploaded_keys = true;
      run->key_bytes_sent += body.size();
      run->upload_s += seconds_since(t);
    }
    return c;
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

PingInfo Client::ping() {
  auto& s = *impl_;
  grpc::ClientContext ctx;
  s.prepare(ctx);
  rpc::PingReply reply;
  s.check(s.stub->Ping(&ctx, rpc::PingRequest{}, &reply), "ping");
  return {reply.version(), reply.active(), reply.queued()};
}

infer::Plan Client::fetch_plan() {
  auto& s = *impl_;
  grpc::ClientContext ctx;
  s.prepare(ctx);
  rpc::PlanReply reply;
  s.check(s.stub->GetPlan(&ctx, rpc::PlanRequest{}, &reply), "plan");
  const std::string name = s.who + " plan";
  const auto& text = reply.plan_json();
  auto plan = infer::Plan::parse({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, name);
  // Our own security check of the parameters the plan implies, whatever the plan says of itself.
  const hepex::Client probe(plan, s.o.policy, name);
  const auto params = ckks::parse_parameters(
      ckks::Bytes(reply.parameters().begin(), reply.parameters().end()), s.who + " parameters",
      s.o.policy == infer::SecurityPolicy::kAllowInsecureForTestsOnly);
  if (params.hash() != probe.context().param_hash())
    throw MismatchError(s.who + ": its CKKS parameters are not those its plan implies");
  return plan;
}

Credentials Client::ensure_keys(const infer::Plan& plan, ClientRun* run) {
  auto& s = *impl_;
  const fs::path dir(s.o.keys_dir);
  if (!fs::exists(dir / "plan.json")) {
    infer::check_key_dir_writable(s.o.keys_dir, false);
    s.say("generating keys in " + s.o.keys_dir);
    const auto t = Clock::now();
    hepex::Client fresh(plan, s.o.policy, s.who + " plan");
    fresh.generate_keys();
    fresh.save_keys(s.o.keys_dir);
    if (run) {
      run->generated_keys = true;
      run->keygen_s = seconds_since(t);
    }
  }
  const auto c = hepex::Client::load_keys(s.o.keys_dir, s.o.policy, true);
  if (!same_plan(c.plan(), plan))
    throw MismatchError("keys directory " + s.o.keys_dir + " was made for another plan than " + s.who + "'s (model " +
                        model_hash_text(c.plan()) + " vs " + model_hash_text(plan) + ", N = " +
                        std::to_string(c.plan().ckks.ring_degree) + " vs " + std::to_string(plan.ckks.ring_degree) +
                        "); use another --keys directory");
  if (const auto reg = s.registered()) {
    try {
      const auto key_set = s.key_status(*reg);
      if (key_set == to_hex(c.key_set_id())) return *reg;
      s.say("the server holds other keys under our key id: uploading ours");
    } catch (const UnknownKeys&) {
      s.say("the server lost our keys: uploading them again");
    }
  }
  return s.upload(c.key_set_id(), run);
}

ClientRun Client::run(const std::vector<double>& samples, std::size_t count) {
  return run(fetch_plan(), samples, count);
}

ClientRun Client::run(const infer::Plan& plan, const std::vector<double>& samples, std::size_t count) {
  auto& s = *impl_;
  ClientRun r;
  const auto t0 = Clock::now();
  if (count == 0 || count > plan.batch)
    throw InvalidArgument("client: " + std::to_string(count) + " samples, the server's plan takes 1 to " +
                          std::to_string(plan.batch));
  if (samples.size() != count * plan.input_size)
    throw InvalidArgument("client: " + std::to_string(samples.size()) + " values for " + std::to_string(count) +
                          " samples of " + std::to_string(plan.input_size) + " features");
  auto creds = ensure_keys(plan, &r);
  const auto keys = hepex::Client::load_keys(s.o.keys_dir, s.o.policy, true);

  s.say("encrypting " + std::to_string(count) + " samples");
  auto t = Clock::now();
  const auto input = keys.encrypt({samples, count, plan.input_size});
  r.encrypt_s = seconds_since(t);

  std::vector<std::uint8_t> output;
  std::string report_json;
  const std::size_t output_limit = plan.output_bytes + plan.output_ciphertexts * 256 + 4096;
  for (int attempt = 0;; ++attempt) {
    s.say("sending " + std::to_string(input.size() >> 20) + " MiB and waiting for the server");
    t = Clock::now();
    grpc::ClientContext ctx;
    s.prepare(ctx);
    auto stream = s.stub->Infer(&ctx);
    rpc::InferRequest req;
    auto* start = req.mutable_start();
    start->mutable_credentials()->set_key_id(creds.key_id);
    start->mutable_credentials()->set_token(creds.token.data(), creds.token.size());
    start->set_count(count);
    start->set_input_bytes(input.size());
    bool open = stream->Write(req);
    for (const auto part : split_chunks(input, s.o.chunk_bytes)) {
      if (!open) break;  // the server ended the call: Finish says why
      req.set_data(part.data(), part.size());
      open = stream->Write(req);
    }
    stream->WritesDone();
    output.clear();
    report_json.clear();
    rpc::InferReply reply;
    bool overflow = false;
    while (stream->Read(&reply)) {
      if (reply.has_data()) {
        if (reply.data().size() > output_limit - output.size()) {
          overflow = true;
          ctx.TryCancel();
          break;
        }
        output.insert(output.end(), reply.data().begin(), reply.data().end());
      } else if (reply.has_report_json()) {
        report_json = reply.report_json();
      }
    }
    const auto status = stream->Finish();
    if (overflow) throw FormatError(s.who + ": more output bytes than the plan's " + std::to_string(output_limit));
    if (status.error_code() == grpc::StatusCode::NOT_FOUND && attempt == 0) {
      s.say("the server lost our keys: uploading them again");
      creds = s.upload(keys.key_set_id(), &r);
      continue;
    }
    s.check(status, "inference");
    r.remote_s = seconds_since(t);
    break;
  }
  r.input_bytes_sent = input.size();
  r.output_bytes_received = output.size();

  s.say("decrypting");
  t = Clock::now();
  auto y = keys.decrypt(output, count, s.who + " output");  // key set, level, scale and range checked
  r.outputs = std::move(y.values);
  r.count = y.rows;
  r.width = y.cols;
  r.decrypt_s = seconds_since(t);
  r.total_s = seconds_since(t0);

  r.report = json::parse(report_json, nullptr, false);
  if (r.report.is_discarded() || !r.report.is_object()) r.report = json::object();
  r.report["client"] = {{"server", s.o.server},
                        {"samples", count},
                        {"generated_keys", r.generated_keys},
                        {"uploaded_keys", r.uploaded_keys},
                        {"keygen_s", r.keygen_s},
                        {"upload_s", r.upload_s},
                        {"encrypt_s", r.encrypt_s},
                        {"remote_s", r.remote_s},
                        {"decrypt_s", r.decrypt_s},
                        {"total_s", r.total_s},
                        {"key_bytes_sent", r.key_bytes_sent},
                        {"input_bytes_sent", r.input_bytes_sent},
                        {"output_bytes_received", r.output_bytes_received}};
  return r;
}

}  // namespace hepex::service
