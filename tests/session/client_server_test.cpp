// The front door: Client and Server through byte buffers and files give the plaintext model's outputs
// within CKKS precision, bytes and files are the same objects, the Server refuses a secret key in every
// form, and keys, plans and ciphertexts of the wrong kind are refused naming what is wrong.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "../infer/infer_test_util.hpp"
#include "infer/client.hpp"
#include "infer/plan.hpp"
#include "io/safe_file.hpp"
#include "session/client.hpp"
#include "session/model_file.hpp"
#include "session/server.hpp"
#include "../common/temp_dir.hpp"
#include "session_test_util.hpp"

namespace hepex {
namespace {

namespace fs = std::filesystem;
using nn::Activation;
using namespace session_test;

// The plaintext model's outputs (original order), the reference every encrypted result is held to.
std::vector<double> plain_outputs(const nn::Model& m, const Samples& s) {
  nn::RowMatrix x(Eigen::Index(s.rows), Eigen::Index(s.cols));
  for (std::size_t i = 0; i < s.values.size(); ++i) x.data()[i] = float(s.values[i]);
  const nn::RowMatrix y = m.forward(x);
  return std::vector<double>(y.data(), y.data() + y.size());
}

void expect_near_model(const Samples& got, const nn::Model& m, const Samples& in) {
  const auto want = plain_outputs(m, in);
  ASSERT_EQ(got.rows, in.rows);
  ASSERT_EQ(got.cols, std::size_t(m.output_size()));
  ASSERT_EQ(got.values.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.values[i], want[i], 1e-4) << "value " << i;
}

using hepex::test::TempDir;

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Session, BytesRoundTripMatchesThePlaintextModel) {
  const auto m = small_model();
  Client client(small_plan(m), kInsecure);
  client.generate_keys(seed_from_u64(1));
  Server server(m, infer::Plan::parse(client.plan_bytes(), "plan"), insecure_server());
  server.set_eval_keys(client.eval_keys());
  const auto x = random_samples(5, 16, 2);  // fewer rows than the batch
  const auto result = server.evaluate(client.encrypt(x));
  expect_near_model(client.decrypt(result.output, x.rows), m, x);
  EXPECT_EQ(result.report.output_ct_bytes, result.output.size());
  EXPECT_EQ(result.report.eval_key_bytes, client.eval_keys().size());
  EXPECT_EQ(result.report.layers.size(), 2u);
  // A second evaluation reuses the encoded weights and gives the same function.
  const auto x2 = random_samples(kBatch, 16, 3);
  expect_near_model(client.decrypt(server.evaluate(client.encrypt(x2)).output), m, x2);
}

// Inputs the pruned first layer never reads (whole input tile rows of zero weights) are neither encrypted
// nor sent: the plan names their rows, the file holds the other ciphertexts only, the outputs are the
// model's; a file with every tile (or one short) is refused naming the counts.
TEST(Session, PrunedInputRowsAreNotSent) {
  auto m = small_model();
  auto& W = m.layers()[0].W;  // model order: input tile row r holds model inputs r t1 .. r t1 + t1 - 1
  for (int r : {1, 4, 5})
    for (int j = r * int(kT1); j < (r + 1) * int(kT1); ++j) W.col(j).setZero();
  const infer::Plan plan = small_plan(m);
  EXPECT_EQ(plan.unread_input_rows, (std::vector<std::size_t>{1, 4, 5}));
  const std::size_t per_row = infer::plan_input_shape(plan).tiles_per_row();
  EXPECT_EQ(plan.input_ciphertexts, (16 / kT1 - 3) * per_row);
  Client client(plan, kInsecure);
  client.generate_keys(seed_from_u64(6));
  Server server(m, infer::Plan::parse(client.plan_bytes(), "plan"), insecure_server());
  server.set_eval_keys(client.eval_keys());
  const auto x = random_samples(kBatch, 16, 7);
  const auto input = client.encrypt(x);
  const auto result = server.evaluate(input);
  expect_near_model(client.decrypt(result.output, x.rows), m, x);

  // The same samples under a plan that sends every row: more bytes, refused by this server.
  infer::Plan all = plan;
  all.unread_input_rows.clear();
  Client every(all, kInsecure);
  every.generate_keys(seed_from_u64(6));
  const auto longer = every.encrypt(x);
  EXPECT_GT(longer.size(), input.size() + (3 * per_row - 1) * (input.size() / plan.input_ciphertexts));
  server.set_eval_keys(every.eval_keys());
  EXPECT_NE(error_of([&] { server.evaluate(longer, "x.ct"); }).find("x.ct: " + std::to_string(16 / kT1 * per_row) +
                                                                     " ciphertexts, the plan's tile tensor"),
            std::string::npos);
  // A server whose plan sends every row reads them all (an older plan: the unread tiles are ignored).
  Server reads_all(m, all, insecure_server());
  reads_all.set_eval_keys(every.eval_keys());
  expect_near_model(every.decrypt(reads_all.evaluate(longer).output, x.rows), m, x);
  // A plan that leaves unsent a row the model reads is refused by the server.
  infer::Plan drops = plan;
  drops.unread_input_rows = {0, 1, 4, 5};
  EXPECT_THROW(Server(m, drops, insecure_server()), MismatchError);
}

TEST(Session, FilesAndBytesAreTheSameObjects) {
  TempDir d;
  const auto m = small_model();
  m.save(d / "m.hpx");
  small_plan(m).save(d / "plan.json");
  auto client = Client::from_plan_file(d / "plan.json", kInsecure);
  client.generate_keys(seed_from_u64(4));
  client.save_keys(d / "keys");
  EXPECT_EQ(client.eval_keys(), io::read_file_bytes(d / "keys/eval.keys"));
  EXPECT_EQ(client.public_key(), io::read_file_bytes(d / "keys/public.key"));
  EXPECT_EQ(client.plan_bytes(), io::read_file_bytes(d / "keys/plan.json"));

  // Files in, files out, with a client loaded from the keys directory.
  const auto loaded = Client::load_keys(d / "keys", kInsecure);
  EXPECT_EQ(loaded.key_set_id(), client.key_set_id());
  const auto x = random_samples(kBatch, 16, 5);
  loaded.encrypt_to_file(x, d / "x.ct");
  auto server = Server::from_files(d / "m.hpx", d / "keys/plan.json", insecure_server());
  server.load_eval_keys(d / "keys/eval.keys");
  const auto report = server.evaluate_file(d / "x.ct", d / "y.ct");
  EXPECT_EQ(report.input_ct_bytes, fs::file_size(d / "x.ct"));
  EXPECT_EQ(report.output_ct_bytes, fs::file_size(d / "y.ct"));
  expect_near_model(loaded.decrypt_file(d / "y.ct"), m, x);
  // The file's bytes are valid input bytes, and the output bytes decrypt like the output file.
  const auto y = server.evaluate(io::read_file_bytes(d / "x.ct")).output;
  expect_near_model(client.decrypt(y), m, x);
  // Keys from the file are decoded per layer, keys given as bytes at once: the same outputs bit for bit
  // (and the second evaluation decodes the file's keys again).
  EXPECT_EQ(y, io::read_file_bytes(d / "y.ct"));
  auto from_bytes = Server::from_files(d / "m.hpx", d / "keys/plan.json", insecure_server());
  from_bytes.set_eval_keys(client.eval_keys());
  EXPECT_EQ(from_bytes.evaluate(io::read_file_bytes(d / "x.ct")).output, y);
}

TEST(Session, KeysTravelAsBytes) {
  const auto m = small_model();
  Client owner(small_plan(m), kInsecure);
  owner.generate_keys(seed_from_u64(6));
  const auto restored = Client::from_key_bytes(owner.plan_bytes(), owner.secret_key(), owner.public_key(), kInsecure);
  EXPECT_EQ(restored.key_set_id(), owner.key_set_id());
  const auto public_only = Client::from_key_bytes(owner.plan_bytes(), {}, owner.public_key(), kInsecure);
  EXPECT_FALSE(public_only.has_secret_key());

  Server server(m, owner.plan(), insecure_server());
  server.set_eval_keys(owner.eval_keys());
  const auto x = random_samples(3, 16, 7);
  const auto y = server.evaluate(public_only.encrypt(x)).output;  // public-key encryption
  expect_near_model(restored.decrypt(y, 3), m, x);
  EXPECT_NE(error_of([&] { public_only.decrypt(y); }).find("no secret key"), std::string::npos);
}

TEST(Session, TheServerRefusesASecretKeyInEveryForm) {
  TempDir d;
  const auto m = small_model();
  Client client(small_plan(m), kInsecure);
  client.generate_keys(seed_from_u64(8));
  client.save_keys(d / "keys");
  Server server(m, client.plan(), insecure_server());
  EXPECT_THROW(server.set_eval_keys(client.secret_key(), "sk bytes"), SecurityError);
  EXPECT_NE(error_of([&] { server.set_eval_keys(client.secret_key(), "sk bytes"); }).find("sk bytes is a secret key"),
            std::string::npos);
  EXPECT_THROW(server.load_eval_keys(d / "keys/secret.key"), SecurityError);
  EXPECT_NE(error_of([&] { server.load_eval_keys(d / "keys"); }).find("secret key"), std::string::npos);
  EXPECT_THROW(server.load_eval_keys(d / "keys"), SecurityError);
  EXPECT_FALSE(server.has_eval_keys());
  // Without keys it evaluates nothing; with the right ones it does.
  EXPECT_THROW(server.evaluate(client.encrypt(random_samples(1, 16, 9))), InvalidArgument);
  server.load_eval_keys(d / "keys/eval.keys");
  EXPECT_TRUE(server.has_eval_keys());
}

TEST(Session, RefusesOtherKeySetsModelsAndDamagedBytes) {
  const auto m = small_model();
  Client a(small_plan(m), kInsecure), b(small_plan(m), kInsecure);
  a.generate_keys(seed_from_u64(10));
  b.generate_keys(seed_from_u64(11));
  Server server(m, a.plan(), insecure_server());
  server.set_eval_keys(a.eval_keys());
  const auto x = random_samples(2, 16, 12);
  // Inputs of another keygen: refused naming both key sets.
  EXPECT_NE(error_of([&] { server.evaluate(b.encrypt(x), "b.ct"); }).find("another keygen"), std::string::npos);
  // Another key set's outputs are refused by the client too.
  const auto y = server.evaluate(a.encrypt(x)).output;
  EXPECT_THROW(b.decrypt(y), MismatchError);
  // One flipped bit: the integrity trailer catches it, naming the bytes.
  auto damaged = y;
  damaged[damaged.size() / 2] ^= 1;
  const auto msg = error_of([&] { a.decrypt(damaged, 0, "y.ct"); });
  EXPECT_NE(msg.find("y.ct: integrity check failed"), std::string::npos) << msg;
  // A model the plan was not made for.
  auto other = small_model();
  other.layers()[0].W(0, 0) += 0.5f;
  EXPECT_THROW(Server(other, a.plan(), insecure_server()), MismatchError);
  // Samples of the wrong width or too many rows.
  EXPECT_THROW(a.encrypt(random_samples(2, 15, 1)), MismatchError);
  EXPECT_THROW(a.encrypt(random_samples(kBatch + 1, 16, 1)), InvalidArgument);
}

TEST(Session, PlansBelow128BitsNeedTheTestPolicy) {
  const auto m = small_model();
  EXPECT_THROW(Client(small_plan(m)), SecurityError);
  EXPECT_THROW(Server(m, small_plan(m)), SecurityError);
}

TEST(Session, ModelsLoadFromFilesAndBytesAlike) {
  TempDir d;
  const auto m = small_model();
  m.save(d / "m.hpx");
  save_model(m, d / "m.onnx");
  const auto from_bytes = load_model_bytes(model_file_bytes(m), "m");
  EXPECT_EQ(from_bytes.serialize(), m.serialize());
  EXPECT_EQ(load_model(d / "m.hpx").serialize(), m.serialize());
  // ONNX by extension and by content: the same function as the model.
  const auto x = random_samples(4, 16, 13);
  const auto want = plain_outputs(m, x);
  for (const auto& onnx_model : {load_model(d / "m.onnx"), load_model_bytes(io::read_file_bytes(d / "m.onnx"), "m.onnx")}) {
    const auto got = plain_outputs(onnx_model, x);
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
  }
  EXPECT_THROW(load_model_bytes(Bytes{1, 2, 3}, "junk"), FormatError);
}

}  // namespace
}  // namespace hepex
