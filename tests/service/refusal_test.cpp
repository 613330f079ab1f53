// What the server refuses: another client's keys or a wrong token, secret-key material, oversized and
// malformed messages — each with its status, and the server still serves correct results afterwards.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/binary.hpp"
#include "service/errors.hpp"
#include "service_test_util.hpp"

namespace hepex::service {
namespace {

using namespace testing;
using grpc::StatusCode;

struct Deployment {
  TempDir d;
  nn::Model m = small_model();
  infer::Plan plan = small_plan(m);
  TestServer srv{m, plan, d / "store"};
  std::unique_ptr<rpc::Inference::Stub> stub = raw_stub(srv.address());
  Credentials a, b;
  Deployment() {
    a = Client(client_options(srv.address(), d / "a")).ensure_keys(plan);
    b = Client(client_options(srv.address(), d / "b")).ensure_keys(plan);
  }
  grpc::Status key_status(const Credentials& c) {
    grpc::ClientContext ctx;
    rpc::KeyStatusRequest req;
    set_credentials(req.mutable_credentials(), c);
    rpc::KeyStatusReply reply;
    return stub->KeyStatus(&ctx, req, &reply);
  }
  grpc::Status upload(const std::vector<std::uint8_t>& body, std::size_t chunk = 1 << 16) {
    grpc::ClientContext ctx;
    rpc::UploadReply reply;
    auto w = stub->UploadKeys(&ctx, &reply);
    rpc::KeyChunk c;
    for (std::size_t i = 0; i < body.size(); i += chunk) {
      c.set_data(body.data() + i, std::min(chunk, body.size() - i));
      if (!w->Write(c)) break;
    }
    w->WritesDone();
    return w->Finish();
  }
  std::size_t stored_key_sets() const {
    return std::size_t(std::distance(fs::directory_iterator(d.path / "store"), fs::directory_iterator{}));
  }
  // A correct inference of A through the raw stub: the server is still healthy.
  void expect_healthy() {
    const auto x = infer::testing::random_inputs(3, 16, 77);
    const auto in = encrypted_input(d / "a", x, 3);
    std::vector<std::uint8_t> out;
    const auto s = raw_infer(*stub, a, 3, in.size(), in, 1 << 16, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LT(max_abs_diff(decrypted_output(d / "a", out, 3), infer::plain_outputs(m, x, 3)), 1e-3);
  }
};

TEST(ServiceRefusal, AnotherClientsKeyIdOrAWrongTokenIsRefused) {
  Deployment dep;
  EXPECT_NE(dep.a.key_id, dep.b.key_id);
  EXPECT_TRUE(dep.key_status(dep.a).ok());
  EXPECT_EQ(dep.key_status({dep.b.key_id, dep.a.token}).error_code(), StatusCode::PERMISSION_DENIED);
  auto off = dep.a.token;
  off[0] ^= 0x80;
  EXPECT_EQ(dep.key_status({dep.a.key_id, off}).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(dep.key_status({dep.a.key_id, {}}).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(dep.key_status({"", {}}).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(dep.key_status({"../" + dep.a.key_id, dep.a.token}).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(dep.key_status({std::string(32, 'f'), dep.a.token}).error_code(), StatusCode::NOT_FOUND);

  // An inference with B's key id and A's token: refused before any input is accepted.
  const auto x = infer::testing::random_inputs(2, 16, 1);
  const auto in_a = encrypted_input(dep.d / "a", x, 2);
  const auto s = raw_infer(*dep.stub, {dep.b.key_id, dep.a.token}, 2, in_a.size(), in_a);
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED) << s.error_message();
  bool logged = false;
  for (const auto& line : dep.srv.lines())
    if (line.rfind("Infer key=" + dep.b.key_id, 0) == 0) {
      logged = true;
      EXPECT_NE(line.find(" in=0B "), std::string::npos) << line;
    }
  EXPECT_TRUE(logged);
  // B's valid credentials with A's ciphertexts: another key set, refused.
  const auto mixed = raw_infer(*dep.stub, dep.b, 2, in_a.size(), in_a);
  EXPECT_EQ(mixed.error_code(), StatusCode::FAILED_PRECONDITION) << mixed.error_message();
  dep.expect_healthy();
}

TEST(ServiceRefusal, SecretKeyMaterialIsNeverAccepted) {
  Deployment dep;
  const auto before = dep.stored_key_sets();
  const auto secret = io::read_file_bytes(dep.d / "a/secret.key");
  const auto s = dep.upload(secret);
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_NE(s.error_message().find("secret key"), std::string::npos) << s.error_message();
  // Refused from its header: the first chunk is enough.
  EXPECT_EQ(dep.upload(std::vector<std::uint8_t>(secret.begin(), secret.begin() + 64)).error_code(),
            StatusCode::PERMISSION_DENIED);
  // A public key is no evaluation key either.
  EXPECT_EQ(dep.upload(io::read_file_bytes(dep.d / "a/public.key")).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(dep.stored_key_sets(), before);
}

TEST(ServiceRefusal, OversizedAndMalformedMessagesAreRefused) {
  Deployment dep;
  const auto before = dep.stored_key_sets();
  const auto keys = io::read_file_bytes(dep.d / "a/eval.keys");
  // One message above the 4 MiB limit: gRPC refuses it.
  EXPECT_EQ(dep.upload(std::vector<std::uint8_t>(5 << 20, 0), 5 << 20).error_code(), StatusCode::RESOURCE_EXHAUSTED);
  // Small messages adding up to more than the plan's keys can be.
  auto huge = keys;
  huge.resize(keys.size() * 3 + (2 << 20));
  EXPECT_EQ(dep.upload(huge, 1 << 20).error_code(), StatusCode::RESOURCE_EXHAUSTED);
  // Garbage, truncated keys, trailing bytes.
  EXPECT_EQ(dep.upload(std::vector<std::uint8_t>(1000, 7)).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(dep.upload(std::vector<std::uint8_t>(keys.begin(), keys.begin() + keys.size() / 2)).error_code(),
            StatusCode::INVALID_ARGUMENT);
  auto trailing = keys;
  trailing.push_back(0);
  EXPECT_EQ(dep.upload(trailing).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(dep.upload({}).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(dep.stored_key_sets(), before);

  const auto x = infer::testing::random_inputs(2, 16, 1);
  const auto in = encrypted_input(dep.d / "a", x, 2);
  {  // data before the InferStart
    grpc::ClientContext ctx;
    auto stream = dep.stub->Infer(&ctx);
    rpc::InferRequest req;
    req.set_data("xyz");
    stream->Write(req);
    stream->WritesDone();
    EXPECT_EQ(stream->Finish().error_code(), StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(raw_infer(*dep.stub, dep.a, 2, std::size_t{1} << 40, in).error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(raw_infer(*dep.stub, dep.a, 2, in.size() - 1, in).error_code(), StatusCode::INVALID_ARGUMENT);  // more than announced
  EXPECT_EQ(raw_infer(*dep.stub, dep.a, 2, in.size() + 1, in).error_code(), StatusCode::INVALID_ARGUMENT);  // fewer
  EXPECT_EQ(raw_infer(*dep.stub, dep.a, 2, in.size(), std::vector<std::uint8_t>(in.size(), 9)).error_code(),
            StatusCode::INVALID_ARGUMENT);
  auto flipped = in;
  flipped[in.size() / 2] ^= 0xff;  // caught by the integrity trailer
  EXPECT_EQ(raw_infer(*dep.stub, dep.a, 2, flipped.size(), flipped).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(raw_infer(*dep.stub, dep.a, 0, in.size(), in).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(raw_infer(*dep.stub, dep.a, dep.plan.batch + 1, in.size(), in).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(raw_infer(*dep.stub, dep.a, 2, 0, {}).error_code(), StatusCode::INVALID_ARGUMENT);
  dep.expect_healthy();
}

}  // namespace
}  // namespace hepex::service
