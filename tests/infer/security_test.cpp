// The client does not trust what the server's side wrote: plans below 128-bit security, plans whose
// permutations or sizes are out of bounds, ciphertexts and keys of another key set, corrupted files,
// output ciphertexts at other levels or scales, decryptions that would hand back garbage; and key
// directories are written safely (no silent replacement of a secret key, owner-only modes).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ckks/decryptor.hpp"
#include "ckks/encoder.hpp"
#include "ckks/polyarith.hpp"
#include "ckks/serialize.hpp"
#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "infer/files.hpp"
#include "infer/keys.hpp"
#include "infer_test_util.hpp"
#include "tile/pack.hpp"

namespace hepex::infer {
namespace {

namespace fs = std::filesystem;
using nn::Activation;
using json = nlohmann::json;
constexpr auto kInsecure = SecurityPolicy::kAllowInsecureForTestsOnly;
constexpr std::size_t kT1 = 2, kT2 = 4;

nn::Model small_model() {
  auto m = testing::random_model({16, 12, 6}, {Activation::square(), Activation::identity()}, 31, 0.3f);
  m.set_input_perm(testing::random_perm(16, 3));
  m.set_output_perm(testing::random_perm(6, 4));
  return m;
}

Plan small_plan(std::size_t batch = 8) {
  PlanOptions o;
  o.ring_degree = 1024;
  o.insecure = true;
  o.max_scale_bits = 36;
  return make_plan(small_model(), kT1, kT2, batch, o);
}

fs::path temp_dir(const std::string& name) {
  const auto d = fs::temp_directory_path() / ("hepex_security_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The plan as the other side could have written it: JSON edited by `change`.
Plan edited(const Plan& plan, const std::function<void(json&)>& change) {
  json j = plan.to_json();
  change(j);
  return Plan::from_json(j, "evil.json");
}

TEST(ClientSecurity, APlanCannotSwitchTheSecurityCheckOff) {
  const Plan plan = small_plan();  // N = 1024 with "secure": false
  ASSERT_FALSE(plan.ckks.secure);
  const auto msg = error_of([&] { plan_context(plan, SecurityPolicy::kRequire128Bit, "p.json"); });
  EXPECT_TRUE(mentions(msg, "p.json") && mentions(msg, "128-bit")) << msg;
  EXPECT_THROW(plan_context(plan), SecurityError);
  // Claiming "secure": true does not help: the bound is checked from the client's own table.
  Plan lying = plan;
  lying.ckks.secure = true;
  EXPECT_THROW(plan_context(lying), SecurityError);
  // Only the caller's own switch admits it, and the verdict says so.
  const auto ctx = plan_context(plan, kInsecure);
  EXPECT_TRUE(mentions(security_verdict(ctx->params()), "INSECURE"));
}

TEST(ClientSecurity, PlansAreValidatedBeforeUse) {
  const Plan plan = small_plan();
  EXPECT_NO_THROW(Plan::from_json(plan.to_json(), "p.json"));
  auto refused = [&](const std::function<void(json&)>& change, const std::string& part) {
    const auto msg = error_of([&] { edited(plan, change); });
    EXPECT_TRUE(mentions(msg, "evil.json") && mentions(msg, part)) << "got: '" << msg << "'";
  };
  // Permutations: a repeated index (it used to write past a buffer) and an index out of range.
  refused([](json& j) { j["output_perm"][1] = j["output_perm"][0]; }, "output_perm");
  refused([](json& j) { j["input_perm"][3] = 1u << 30; }, "input_perm");
  refused([](json& j) { j["input_perm"].erase(0); }, "input_perm");
  // Sizes a plan could ask for.
  refused([](json& j) { j["batch"] = std::uint64_t{1} << 40; }, "batch");
  refused([](json& j) { j["rotation_steps"].push_back(100000); }, "rotation step");
  refused([](json& j) { j["rotation_steps"].push_back(-3); }, "rotation step");
  refused([](json& j) { j["ckks"]["ring_degree"] = 3000; }, "ring degree");
  refused([](json& j) { j["ckks"]["special_bits"] = std::vector<int>(9, 40); }, "special primes");
  refused([](json& j) {
    j["ckks"]["data_bits"] = std::vector<int>(3000, 40);
    j["depth"] = 2999;
  }, "data primes");
  refused([](json& j) { j["ckks"]["data_bits"][0] = 70; }, "bits");
  refused([](json& j) { j["layers"][0]["in"] = 17; }, "layer 0");
  refused([](json& j) { j["key_set"] = "zz"; }, "key_set");
  // Numbers that are no integers of the field's type (2e20 into an int was undefined behaviour, found by
  // the plan fuzzer; -1 into a size wrapped).
  refused([](json& j) { j["version"] = 2.14366e20; }, "\"version\"");
  refused([](json& j) { j["batch"] = -1; }, "\"batch\"");
  refused([](json& j) { j["batch"] = 8.5; }, "\"batch\"");
  refused([](json& j) { j["depth"] = std::int64_t{1} << 40; }, "\"depth\"");
  refused([](json& j) { j["ckks"]["scale_bits"] = 1e300; }, "\"scale_bits\"");
  refused([](json& j) { j["ckks"]["data_bits"][1] = -1e19; }, "\"data_bits\"[1]");
  refused([](json& j) { j["input_perm"][2] = 5e9; }, "\"input_perm\"[2]");
  refused([](json& j) { j["output_perm"][0] = -1; }, "\"output_perm\"[0]");
  refused([](json& j) { j["hoisted_rotations"] = "4"; }, "\"hoisted_rotations\"");
  refused([](json& j) { j["relin_key_level"] = 1e10; }, "\"relin_key_level\"");
  refused([](json& j) { j["layers"][1]["level_in"] = 3.0e12; }, "layer 1: \"level_in\"");
  refused([](json& j) { j["layers"][0]["counts"]["rotate"] = -7; }, "layer 0: \"counts\"");
  // make_plan refuses an absurd batch up front.
  PlanOptions o;
  o.ring_degree = 1024;
  o.insecure = true;
  o.max_scale_bits = 36;
  EXPECT_THROW(make_plan(small_model(), kT1, kT2, std::size_t{1} << 40, o), InvalidArgument);
}

struct Deployment {
  Plan plan = small_plan();
  std::shared_ptr<const ckks::CkksContext> ctx = plan_context(plan, kInsecure);
  backend::CkksKeys keys;
  explicit Deployment(std::uint64_t seed) : keys(generate_keys(ctx, plan, seed_from_u64(seed))) {}
};

TEST(ClientSecurity, KeySetsAreNeverMixed) {
  const auto d = temp_dir("keysets");
  Deployment a(1), b(2);
  ASSERT_NE(a.keys.id, b.keys.id);
  save_key_dir((d / "a").string(), a.plan, a.keys);
  save_key_dir((d / "b").string(), b.plan, b.keys);
  const auto x = testing::random_inputs(8, 16, 7);
  const auto ca = load_client_keys((d / "a").string(), true, kInsecure);
  EXPECT_EQ(ca.keys.id, a.keys.id);
  EXPECT_EQ(ca.plan.key_set, a.keys.id);
  const backend::CkksBackend client_a(ca.ctx, ca.keys);
  const auto xa = (d / "x.ct").string();
  save_ciphertexts(xa, client_a, encrypt_input(client_a, ca.plan, x, 8));

  // The server with b's evaluation keys refuses a's ciphertexts, naming both files.
  const auto eval_b = (d / "b" / "eval.keys").string();
  const backend::CkksBackend server_b(b.ctx, load_eval_keys(*b.ctx, eval_b));
  const auto msg = error_of([&] { load_ciphertexts(xa, server_b, plan_input_shape(b.plan)); });
  EXPECT_TRUE(mentions(msg, xa) && mentions(msg, eval_b) && mentions(msg, "key set")) << msg;
  // b's client refuses them too (decrypting them would give garbage).
  const auto cb = load_client_keys((d / "b").string(), true, kInsecure);
  const backend::CkksBackend client_b(cb.ctx, cb.keys);
  EXPECT_THROW(load_ciphertexts(xa, client_b, plan_input_shape(cb.plan)), MismatchError);
  // A secret key moved into another key set's directory is refused.
  fs::copy_file(d / "b" / "secret.key", d / "a" / "secret.key", fs::copy_options::overwrite_existing);
  EXPECT_THROW(load_client_keys((d / "a").string(), true, kInsecure), MismatchError);
  fs::remove_all(d);
}

TEST(ClientSecurity, AFlippedBitInACiphertextFileIsRefused) {
  const auto d = temp_dir("flip");
  Deployment a(3);
  const backend::CkksBackend client(a.ctx, a.keys);
  const auto path = (d / "x.ct").string();
  save_ciphertexts(path, client, encrypt_input(client, a.plan, testing::random_inputs(8, 16, 8), 8));
  std::vector<char> bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() / 2] ^= 0x04;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
  const auto msg = error_of([&] { load_ciphertexts(path, client, plan_input_shape(a.plan)); });
  EXPECT_TRUE(mentions(msg, path) && mentions(msg, "integrity")) << msg;
  fs::remove_all(d);
}

TEST(ClientSecurity, OutputsAreCheckedBeforeAndAfterDecryption) {
  Deployment a(4), b(5);
  const auto m = small_model();
  const backend::CkksBackend client_a(a.ctx, a.keys), client_b(b.ctx, b.keys);
  const backend::CkksBackend server(a.ctx, server_keys(a.keys));
  const auto x = testing::random_inputs(8, 16, 9);
  Executor ex(server, compile_for(m, a.plan), a.plan.batch, a.plan.weight_mode);
  const auto y = ex.run(encrypt_input(client_a, a.plan, x, 8));
  // The honest output decrypts.
  const auto good = decrypt_output(client_a, a.plan, y, 8);
  const auto want = plain_outputs(m, x, 8);
  for (std::size_t i = 0; i < good.size(); ++i) EXPECT_NEAR(good[i], want[i], 1e-4);

  // Ciphertexts at another level than the plan promises (e.g. the server's chosen fresh encryptions).
  const auto fresh = tile::pack_encrypted(client_a, tile::Tensor(plan_output_shape(a.plan).tensor_dims()),
                                          plan_output_shape(a.plan), client_a.max_level(), client_a.default_scale());
  const auto msg = error_of([&] { decrypt_output(client_a, a.plan, fresh, 8); });
  EXPECT_TRUE(mentions(msg, "level")) << msg;

  // Decrypting with another key set's secret key: garbage, refused by the range check.
  EXPECT_THROW(decrypt_output(client_b, b.plan, y, 8), FormatError);
}

TEST(ClientUpload, SecretKeyEncryptionsAreSeededAndHalfTheSize) {
  const auto d = temp_dir("seeded");
  Deployment a(9);
  auto pub_only = a.keys;
  pub_only.secret.reset();
  const backend::CkksBackend with_secret(a.ctx, a.keys), with_public(a.ctx, pub_only);
  const auto x = testing::random_inputs(8, 16, 10);
  const auto seeded = (d / "s.ct").string(), full = (d / "p.ct").string();
  const auto xs = encrypt_input(with_secret, a.plan, x, 8);
  save_ciphertexts(seeded, with_secret, xs);
  save_ciphertexts(full, with_public, encrypt_input(with_public, a.plan, x, 8));
  const double ratio = double(file_bytes(seeded)) / double(file_bytes(full));
  EXPECT_GT(ratio, 0.45);
  EXPECT_LT(ratio, 0.55);
  // The counted size is the written size.
  std::size_t counted = ckks::kBatchFileOverhead;
  for (const auto& c : xs.tiles()) counted += ckks::batch_body_size(with_secret.unwrap(c));
  EXPECT_EQ(counted, file_bytes(seeded));
  // The seeded file loads and decrypts to the inputs (the executor's input check passes too).
  const auto back = load_ciphertexts(seeded, with_secret, plan_input_shape(a.plan));
  const auto got = tile::unpack(with_secret, back);
  const auto want = input_tensor(a.plan, x, 8);
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.data()[i], want.data()[i], 1e-5);
  fs::remove_all(d);
}

TEST(ClientSecurity, FloodingHidesTheDecryptionNoise) {
  // The IND-CPA-D probe: the ciphertext (0, 1) decrypts to the secret key itself. With flooding the
  // decryption is s + e, e uniform in [-2^b, 2^b]: check the noise's range and spread per coefficient.
  Deployment a(6);
  const auto& ctx = *a.ctx;
  const std::size_t level = ctx.max_level();
  std::vector<ckks::RnsPoly> parts(2, ckks::RnsPoly(ctx.n(), level + 1));
  const auto& primes = ctx.level_primes(level);
  for (std::size_t j = 0; j <= level; ++j) std::fill_n(parts[1].limb(j), ctx.n(), 1);
  ckks::poly::ntt_forward(ctx, primes, parts[1].data());
  const auto probe = ckks::Ciphertext::from_parts(ctx, std::move(parts), level, std::ldexp(1.0, 36), ctx.n() / 2);
  const ckks::Decryptor dec(a.ctx, *a.keys.secret);
  const int bits = 20;
  auto m0 = dec.decrypt(probe).poly(), m1 = dec.decrypt(probe, bits).poly();
  ckks::poly::ntt_inverse(ctx, primes, m0.data());
  ckks::poly::ntt_inverse(ctx, primes, m1.data());
  const auto q = ctx.modulus(0).value;
  double sum_sq = 0;
  for (std::size_t i = 0; i < ctx.n(); ++i) {
    const std::int64_t diff = std::int64_t((m1.limb(0)[i] + q - m0.limb(0)[i]) % q);
    const std::int64_t e = diff > std::int64_t(q / 2) ? diff - std::int64_t(q) : diff;
    ASSERT_LE(std::llabs(e), std::int64_t{1} << bits);
    sum_sq += double(e) * double(e);
  }
  // Uniform on [-2^b, 2^b]: standard deviation 2^b / sqrt(3) (within 10% for 1024 samples).
  const double sd = std::sqrt(sum_sq / double(ctx.n())), expected = std::ldexp(1.0, bits) / std::sqrt(3.0);
  EXPECT_NEAR(sd / expected, 1.0, 0.1);
  EXPECT_THROW(dec.decrypt(probe, 61), InvalidArgument);
}

TEST(ClientSecurity, KeygenNeverReplacesASecretKeySilentlyAndWritesItOwnerOnly) {
  const auto d = temp_dir("keydir");
  const auto dir = (d / "keys").string();
  Deployment a(7), b(8);
  const mode_t old = ::umask(022);
  save_key_dir(dir, a.plan, a.keys);
  ::umask(old);
  struct stat st {};
  ::stat((d / "keys" / "secret.key").c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ::stat(dir.c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const auto msg = error_of([&] { save_key_dir(dir, b.plan, b.keys); });
  EXPECT_TRUE(mentions(msg, "secret.key") && mentions(msg, "--force")) << msg;
  EXPECT_EQ(load_client_keys(dir, true, kInsecure).keys.id, a.keys.id);  // untouched
  save_key_dir(dir, b.plan, b.keys, /*force=*/true);
  EXPECT_EQ(load_client_keys(dir, true, kInsecure).keys.id, b.keys.id);
  fs::remove_all(d);
}

}  // namespace
}  // namespace hepex::infer
