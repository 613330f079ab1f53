// Requests that end badly leave the server healthy: a cancelled request, a passed deadline, a connection
// dropped in the middle of a stream; shutdown drains what is in flight and cancels what outlives the grace.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "service/errors.hpp"
#include "service_test_util.hpp"

namespace hepex::service {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using grpc::StatusCode;

// Waits (up to 10 s) until the server reports nothing running or queued.
void expect_idle(Client& c) {
  for (int i = 0; i < 200; ++i) {
    const auto p = c.ping();
    if (p.active == 0 && p.queued == 0) return;
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "the server still has requests running";
}

// Waits (up to 30 s) until the server runs `n` requests: their handlers have started (a call the server has
// not yet picked up would be refused by gRPC itself, not by the code under test).
void wait_active(Client& c, unsigned n) {
  for (int i = 0; i < 600; ++i) {
    if (c.ping().active == n) return;
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "the server never ran " << n << " request(s)";
}

// Opens a TCP connection to the port, sends the HTTP/2 preface and half a frame, and drops it.
void drop_connection_mid_frame(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const std::string half_frame = std::string("\x00\x40\x00\x00\x00\x00\x00\x00\x01", 9) + "abc";  // 16 KiB announced
  EXPECT_GT(::send(fd, preface.data(), preface.size(), MSG_NOSIGNAL), 0);
  EXPECT_GT(::send(fd, half_frame.data(), half_frame.size(), MSG_NOSIGNAL), 0);
  ::close(fd);
}

TEST(ServiceRobustness, CancelledDroppedAndTimedOutRequestsLeaveTheServerHealthy) {
  TempDir d;
  const auto m = small_model();
  const auto plan = small_plan(m);
  TestServer srv(m, plan, d / "store");
  Client client(client_options(srv.address(), d / "keys"));
  const auto creds = client.ensure_keys(plan);
  const auto x = infer::testing::random_inputs(4, 16, 2);
  const auto in = encrypted_input(d / "keys", x, 4);
  auto stub = raw_stub(srv.address());

  {  // cancelled by the client halfway through its input
    grpc::ClientContext ctx;
    auto stream = stub->Infer(&ctx);
    rpc::InferRequest req;
    set_credentials(req.mutable_start()->mutable_credentials(), creds);
    req.mutable_start()->set_count(4);
    req.mutable_start()->set_input_bytes(in.size());
    ASSERT_TRUE(stream->Write(req));
    req.set_data(in.data(), in.size() / 2);
    stream->Write(req);
    wait_active(client, 1);
    ctx.TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), StatusCode::CANCELLED);
  }
  {  // a key upload cancelled halfway
    grpc::ClientContext ctx;
    rpc::UploadReply reply;
    auto w = stub->UploadKeys(&ctx, &reply);
    const auto keys = io::read_file_bytes(d / "keys/eval.keys");
    rpc::KeyChunk c;
    c.set_data(keys.data(), keys.size() / 2);
    w->Write(c);
    wait_active(client, 1);
    ctx.TryCancel();
    EXPECT_EQ(w->Finish().error_code(), StatusCode::CANCELLED);
  }
  expect_idle(client);
  {  // a deadline that passes while the client still owes its input
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 300ms);
    auto stream = stub->Infer(&ctx);
    rpc::InferRequest req;
    set_credentials(req.mutable_start()->mutable_credentials(), creds);
    req.mutable_start()->set_count(4);
    req.mutable_start()->set_input_bytes(in.size());
    stream->Write(req);
    std::this_thread::sleep_for(600ms);
    EXPECT_EQ(stream->Finish().error_code(), StatusCode::DEADLINE_EXCEEDED);
  }
  drop_connection_mid_frame(srv.server->port());
  {  // a whole connection dropped mid-stream: the channel goes away with the call open
    auto channel = grpc::CreateChannel(srv.address(), grpc::InsecureChannelCredentials());
    auto s2 = rpc::Inference::NewStub(channel);
    auto ctx = std::make_unique<grpc::ClientContext>();
    auto stream = s2->Infer(ctx.get());
    rpc::InferRequest req;
    set_credentials(req.mutable_start()->mutable_credentials(), creds);
    req.mutable_start()->set_count(4);
    req.mutable_start()->set_input_bytes(in.size());
    stream->Write(req);
    req.set_data(in.data(), 1000);
    stream->Write(req);
    ctx->TryCancel();
    stream->Finish();
  }
  expect_idle(client);
  const auto r = client.run(x, 4);
  EXPECT_LT(max_abs_diff(r.outputs, infer::plain_outputs(m, x, 4)), 1e-3);
  std::size_t cancelled = 0;
  for (const auto& line : srv.lines()) cancelled += line.find("status=CANCELLED") != std::string::npos;
  EXPECT_GE(cancelled, 2u);
}

TEST(ServiceRobustness, ShutdownDrainsARequestInFlight) {
  TempDir d;
  const auto m = small_model();
  const auto plan = small_plan(m);
  TestServer srv(m, plan, d / "store");
  Client client(client_options(srv.address(), d / "keys"));
  const auto creds = client.ensure_keys(plan);
  const auto x = infer::testing::random_inputs(5, 16, 9);
  const auto in = encrypted_input(d / "keys", x, 5);
  auto stub = raw_stub(srv.address());

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 60s);
  auto stream = stub->Infer(&ctx);
  rpc::InferRequest req;
  set_credentials(req.mutable_start()->mutable_credentials(), creds);
  req.mutable_start()->set_count(5);
  req.mutable_start()->set_input_bytes(in.size());
  ASSERT_TRUE(stream->Write(req));
  req.set_data(in.data(), in.size() / 2);
  ASSERT_TRUE(stream->Write(req));
  wait_active(client, 1);  // the handler runs: the request is in flight

  std::atomic<bool> stopped{false};
  std::jthread stopper([&] {
    srv.server->shutdown(30s);
    stopped = true;
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(stopped);  // waiting for the request in flight
  {  // a new request is refused meanwhile
    grpc::ClientContext c2;
    rpc::PingReply reply;
    EXPECT_FALSE(raw_stub(srv.address())->Ping(&c2, {}, &reply).ok());
  }
  req.set_data(in.data() + in.size() / 2, in.size() - in.size() / 2);
  ASSERT_TRUE(stream->Write(req));
  stream->WritesDone();
  std::vector<std::uint8_t> out;
  rpc::InferReply reply;
  while (stream->Read(&reply))
    if (reply.has_data()) out.insert(out.end(), reply.data().begin(), reply.data().end());
  const auto status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_LT(max_abs_diff(decrypted_output(d / "keys", out, 5), infer::plain_outputs(m, x, 5)), 1e-3);
  stopper.join();
  EXPECT_TRUE(stopped);
}

TEST(ServiceRobustness, ShutdownCancelsWhatOutlivesTheGrace) {
  TempDir d;
  const auto m = small_model();
  const auto plan = small_plan(m);
  TestServer srv(m, plan, d / "store");
  Client client(client_options(srv.address(), d / "keys"));
  const auto creds = client.ensure_keys(plan);
  auto stub = raw_stub(srv.address());
  grpc::ClientContext ctx;
  auto stream = stub->Infer(&ctx);
  rpc::InferRequest req;
  set_credentials(req.mutable_start()->mutable_credentials(), creds);
  req.mutable_start()->set_count(1);
  req.mutable_start()->set_input_bytes(1000);
  ASSERT_TRUE(stream->Write(req));
  wait_active(client, 1);
  const auto t = std::chrono::steady_clock::now();
  srv.server->shutdown(200ms);  // the client never sends its input
  EXPECT_LT(std::chrono::steady_clock::now() - t, 10s);
  EXPECT_FALSE(stream->Finish().ok());
}

}  // namespace
}  // namespace hepex::service
