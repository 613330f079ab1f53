// Streams: plans, keys, ciphertexts and models read from std::istream and written to std::ostream are the
// same objects as their byte and file forms, and truncated, foreign or oversized streams are refused with an
// error naming the stream, before anything is evaluated.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "../infer/infer_test_util.hpp"
#include "infer/plan.hpp"
#include "io/safe_file.hpp"
#include "io/stream.hpp"
#include "session/client.hpp"
#include "session/model_file.hpp"
#include "session/server.hpp"
#include "../common/temp_dir.hpp"
#include "session_test_util.hpp"

namespace hepex {
namespace {

namespace fs = std::filesystem;
using namespace session_test;

std::istringstream stream_of(const Bytes& b) { return std::istringstream(std::string(b.begin(), b.end())); }
Bytes bytes_of(const std::ostringstream& s) {
  const std::string text = s.str();
  return Bytes(text.begin(), text.end());
}
Bytes first_half(const Bytes& b) { return Bytes(b.begin(), b.begin() + std::ptrdiff_t(b.size() / 2)); }

template <class F>
std::string format_error_of(F&& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no FormatError)";
}

using hepex::test::TempDir;

TEST(Streams, StreamBytesAndFileFormsAgree) {
  TempDir d;
  const auto m = small_model();
  Client client(small_plan(m), kInsecure);
  client.generate_keys(seed_from_u64(1));
  client.save_keys(d / "keys");

  // Plans.
  std::ostringstream plan_out;
  client.plan().write(plan_out);
  EXPECT_EQ(bytes_of(plan_out), client.plan_bytes());
  EXPECT_EQ(bytes_of(plan_out), io::read_file_bytes(d / "keys/plan.json"));
  auto plan_in = stream_of(client.plan_bytes());
  EXPECT_EQ(infer::Plan::read(plan_in, "plan stream").to_text(), client.plan().to_text());

  // Keys: written through write_bytes, read back by the client and the server.
  std::ostringstream eval_out, pub_out, secret_out;
  write_bytes(eval_out, client.eval_keys());
  write_bytes(pub_out, client.public_key());
  write_bytes(secret_out, client.secret_key());
  EXPECT_EQ(bytes_of(eval_out), io::read_file_bytes(d / "keys/eval.keys"));
  EXPECT_EQ(bytes_of(pub_out), io::read_file_bytes(d / "keys/public.key"));
  auto plan_again = stream_of(client.plan_bytes());
  auto secret_in = stream_of(bytes_of(secret_out));
  const Client restored = Client::from_key_streams(plan_again, &secret_in, nullptr, kInsecure);
  EXPECT_EQ(restored.key_set_id(), client.key_set_id());

  Server by_bytes(m, client.plan(), insecure_server()), by_stream(m, client.plan(), insecure_server());
  by_bytes.set_eval_keys(client.eval_keys());
  auto eval_in = stream_of(bytes_of(eval_out));
  by_stream.set_eval_keys(eval_in);

  // Ciphertexts: the same input through bytes, a stream and a file gives the same output bytes (evaluation
  // is deterministic), and those decrypt the same through bytes, a stream and a file.
  const Samples x = random_samples(8, 16, 2);
  std::ostringstream x_out;
  client.encrypt(x, x_out);
  const Bytes x_bytes = bytes_of(x_out);
  io::write_file_atomic(d / "x.ct", x_bytes);
  const Bytes y_bytes = by_bytes.evaluate(x_bytes).output;
  auto x_in = stream_of(x_bytes);
  std::ostringstream y_out;
  const auto report = by_stream.evaluate(x_in, y_out);
  EXPECT_EQ(bytes_of(y_out), y_bytes);
  EXPECT_EQ(report.input_ct_bytes, x_bytes.size());
  EXPECT_EQ(report.output_ct_bytes, y_bytes.size());
  by_bytes.evaluate_file(d / "x.ct", d / "y.ct");
  EXPECT_EQ(io::read_file_bytes(d / "y.ct"), y_bytes);

  auto y_in = stream_of(y_bytes);
  const Samples from_stream = restored.decrypt(y_in, 8);
  EXPECT_EQ(from_stream.values, client.decrypt(y_bytes, 8).values);
  EXPECT_EQ(from_stream.values, client.decrypt_file(d / "y.ct", 8).values);
  const auto plain = infer::plain_outputs(m, x.values, 8);
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_NEAR(from_stream.values[i], plain[i], 1e-4);

  // Models.
  std::ostringstream model_out;
  save_model(m, model_out);
  EXPECT_EQ(bytes_of(model_out), model_file_bytes(m));
  auto model_in = stream_of(bytes_of(model_out));
  EXPECT_EQ(load_model(model_in, "model stream").serialize(), m.serialize());
}

TEST(Streams, TruncatedAndForeignStreamsAreRefusedNamingTheStream) {
  const auto m = small_model();
  Client client(small_plan(m), kInsecure);
  client.generate_keys(seed_from_u64(3));
  Server server(m, client.plan(), insecure_server());
  server.set_eval_keys(client.eval_keys());
  const Bytes x = client.encrypt(random_samples(8, 16, 4));
  const Bytes y = server.evaluate(x).output;

  for (const auto& [what, bytes] : {std::pair<std::string, Bytes>{"eval keys", client.eval_keys()}, {"inputs", x}}) {
    SCOPED_TRACE(what);
    auto half = stream_of(first_half(bytes));
    std::ostringstream out;
    const std::string e = format_error_of([&] {
      if (what == "inputs") server.evaluate(half, out, "x-stream");
      else server.set_eval_keys(half, "x-stream");
    });
    EXPECT_NE(e.find("x-stream"), std::string::npos) << e;
    EXPECT_NE(e.find("truncated"), std::string::npos) << e;
    EXPECT_TRUE(out.str().empty());  // nothing written
  }
  auto y_half = stream_of(first_half(y));
  const std::string e = format_error_of([&] { client.decrypt(y_half, 8, "y-stream"); });
  EXPECT_NE(e.find("y-stream: integrity check failed"), std::string::npos) << e;

  // Shorter than a header, and not a hepex object at all: refused on the first bytes.
  auto tiny = stream_of(Bytes(x.begin(), x.begin() + 10));
  EXPECT_NE(format_error_of([&] { client.decrypt(tiny, 8, "tiny"); }).find("tiny: too short"), std::string::npos);
  std::istringstream foreign(std::string(1000, 'z'));
  EXPECT_NE(format_error_of([&] { server.set_eval_keys(foreign, "foreign"); }).find("foreign: not a hepex file"),
            std::string::npos);

  // A secret key is refused by the server whatever form it comes in.
  auto secret = stream_of(client.secret_key());
  EXPECT_THROW(server.set_eval_keys(secret), SecurityError);

  // Plans and models: truncated text is no plan, truncated bytes no model; limits hold before reading on.
  auto plan_half = stream_of(first_half(client.plan_bytes()));
  EXPECT_NE(format_error_of([&] { infer::Plan::read(plan_half, "plan-stream"); }).find("plan-stream: not JSON"),
            std::string::npos);
  auto model_half = stream_of(first_half(model_file_bytes(m)));
  EXPECT_THROW(load_model(model_half, "model-stream"), FormatError);
  std::istringstream big(std::string(100, 'x'));
  EXPECT_NE(format_error_of([&] { io::read_stream_bytes(big, "big", 64); }).find("big: more than 64 bytes"),
            std::string::npos);
  std::istringstream exact(std::string(64, 'x'));
  EXPECT_EQ(io::read_stream_bytes(exact, "exact", 64).size(), 64u);
}

TEST(Streams, AFailedWriteIsAnIoError) {
  std::ostringstream closed;
  closed.setstate(std::ios::badbit);
  EXPECT_THROW(write_bytes(closed, Bytes{1, 2, 3}, "closed"), IoError);
}

}  // namespace
}  // namespace hepex
