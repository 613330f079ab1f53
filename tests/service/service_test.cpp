// The service end to end on loopback: results equal the plaintext model, concurrent clients each get their
// own, keys are uploaded once and survive a restart, lost keys are uploaded again, and bounded work.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "service/errors.hpp"
#include "service_test_util.hpp"

namespace hepex::service {
namespace {

using namespace testing;

TEST(Service, EndToEndEqualsThePlaintextModelAndUploadsKeysOnce) {
  TempDir d;
  const auto m = small_model();
  const auto plan = small_plan(m);
  TestServer srv(m, plan, d / "store");
  Client client(client_options(srv.address(), d / "keys"));
  EXPECT_NE(client.ping().version.find("hepex"), std::string::npos);

  const std::size_t count = 7;
  const auto x = infer::testing::random_inputs(count, 16, 5);
  const auto plain = infer::plain_outputs(m, x, count);
  const auto r = client.run(x, count);
  EXPECT_TRUE(r.generated_keys);
  EXPECT_TRUE(r.uploaded_keys);
  EXPECT_EQ(r.count, count);
  EXPECT_EQ(r.width, 16u);
  const double err = max_abs_diff(r.outputs, plain);
  EXPECT_LT(err, 1e-3);
  EXPECT_GT(err, 0.0);  // really through CKKS
  EXPECT_EQ(r.report.at("samples").get<std::size_t>(), count);
  EXPECT_EQ(r.report.at("layers").size(), 2u);
  EXPECT_EQ(r.report.at("client").at("input_bytes_sent").get<std::size_t>(), r.input_bytes_sent);
  EXPECT_GT(r.key_bytes_sent, 0u);
  EXPECT_GT(r.output_bytes_received, 0u);

  // The second run reuses the keys on both sides.
  const auto x2 = infer::testing::random_inputs(count, 16, 6);
  const auto r2 = client.run(x2, count);
  EXPECT_FALSE(r2.generated_keys);
  EXPECT_FALSE(r2.uploaded_keys);
  EXPECT_EQ(r2.key_bytes_sent, 0u);
  EXPECT_LT(max_abs_diff(r2.outputs, infer::plain_outputs(m, x2, count)), 1e-3);

  // One log line per request: sizes and key id, never data.
  std::size_t uploads = 0, infers = 0;
  for (const auto& line : srv.lines()) {
    uploads += line.rfind("UploadKeys ", 0) == 0;
    if (line.rfind("Infer ", 0) == 0) {
      ++infers;
      EXPECT_NE(line.find("batch=7"), std::string::npos) << line;
      EXPECT_NE(line.find("status=OK"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(uploads, 1u);
  EXPECT_EQ(infers, 2u);
}

TEST(Service, TwoConcurrentClientsEachGetTheirOwnResult) {
  TempDir d;
  const auto m = small_model();
  const auto plan = small_plan(m);
  ServerOptions o;
  o.max_active = 2;
  TestServer srv(m, plan, d / "store", o);
  std::vector<double> out[2];
  std::vector<double> in[2] = {infer::testing::random_inputs(8, 16, 11), infer::testing::random_inputs(5, 16, 12)};
  std::string error[2];
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] {
      try {
        Client c(client_options(srv.address(), d / ("keys" + std::to_string(i))));
        out[i] = c.run(in[i], in[i].size() / 16).outputs;
      } catch (const std::exception& e) {
        error[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(error[i], "") << i;
    EXPECT_LT(max_abs_diff(out[i], infer::plain_outputs(m, in[i], in[i].size() / 16)), 1e-3) << i;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path / "store"), fs::directory_iterator{}), 2);
}

TEST(Service, ARestartedServerStillHasTheKeysAndLostKeysAreUploadedAgain) {
  TempDir d;
  const auto m = small_model();
  const auto plan = small_plan(m);
  const auto x = infer::testing::random_inputs(4, 16, 3);
  std::string address;
  {
    TestServer first(m, plan, d / "store");
    address = first.address();
    EXPECT_TRUE(Client(client_options(address, d / "keys")).run(x, 4).uploaded_keys);
    first.server->shutdown(std::chrono::seconds(5));
  }
  ServerOptions same_port;
  same_port.listen = address;
  auto second = std::make_unique<TestServer>(m, plan, d / "store", same_port);
  const auto r = Client(client_options(address, d / "keys")).run(x, 4);
  EXPECT_FALSE(r.uploaded_keys);  // the restarted server had them
  EXPECT_LT(max_abs_diff(r.outputs, infer::plain_outputs(m, x, 4)), 1e-3);

  // The server loses them (store wiped): the client notices and uploads them again.
  second.reset();
  fs::remove_all(d.path / "store");
  TestServer third(m, plan, d / "store", same_port);
  const auto r3 = Client(client_options(address, d / "keys")).run(x, 4);
  EXPECT_TRUE(r3.uploaded_keys);
  EXPECT_FALSE(r3.generated_keys);
  EXPECT_LT(max_abs_diff(r3.outputs, infer::plain_outputs(m, x, 4)), 1e-3);
}

TEST(Service, KeysOfAnotherPlanAreRefusedWithoutTouchingThem) {
  TempDir d;
  const auto m = small_model();
  TestServer a(m, small_plan(m, 8), d / "store_a");
  TestServer b(m, small_plan(m, 4), d / "store_b");  // another batch: another plan
  Client(client_options(a.address(), d / "keys")).run(infer::testing::random_inputs(2, 16, 1), 2);
  const auto before = fs::last_write_time(d.path / "keys" / "secret.key");
  try {
    Client(client_options(b.address(), d / "keys")).run(infer::testing::random_inputs(2, 16, 1), 2);
    FAIL() << "keys of another plan were used";
  } catch (const MismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("another plan"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::last_write_time(d.path / "keys" / "secret.key"), before);
}

TEST(Service, AMemoryBudgetTooSmallIsResourceExhaustedNotSwapping) {
  TempDir d;
  const auto m = small_model();
  ServerOptions o;
  o.memory_budget = 1 << 10;  // 1 KiB: nothing fits
  TestServer srv(m, small_plan(m), d / "store", o);
  Client c(client_options(srv.address(), d / "keys"));
  try {
    c.run(infer::testing::random_inputs(2, 16, 1), 2);
    FAIL() << "admitted beyond the memory budget";
  } catch (const Busy& e) {
    EXPECT_NE(std::string(e.what()).find("RESOURCE_EXHAUSTED"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("memory budget"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.ping().active, 0u);
}

TEST(Service, TlsWhenConfiguredAndNoPlainTextClientGetsThrough) {
  TempDir d;
  // A self-signed certificate for 127.0.0.1 (Debian's openssl, which ca-certificates pulls in).
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
                          "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" + (d / "key.pem") + "' -out '" +
                          (d / "cert.pem") + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl cannot make a test certificate";
  const auto m = small_model();
  ServerOptions o;
  o.tls_cert = d / "cert.pem";
  o.tls_key = d / "key.pem";
  TestServer srv(m, small_plan(m), d / "store", o);
  auto co = client_options(srv.address(), d / "keys");
  co.tls_ca = d / "cert.pem";
  const auto x = infer::testing::random_inputs(3, 16, 4);
  const auto r = Client(co).run(x, 3);
  EXPECT_LT(max_abs_diff(r.outputs, infer::plain_outputs(m, x, 3)), 1e-3);
  // Without TLS the client cannot talk to it.
  auto plain = client_options(srv.address(), d / "keys");
  plain.timeout_s = 5;
  EXPECT_THROW(Client(plain).ping(), Unavailable);
}

}  // namespace
}  // namespace hepex::service
