// Encrypted inference on the real CKKS backend (small insecure ring): the server path from files without
// any secret key, and refusals of wrong keys, parameters and shapes. (The whole run against the plaintext
// model: tests/session/local_run_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "ckks/galois.hpp"
#include "ckks/serialize.hpp"
#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "infer/files.hpp"
#include "io/binary.hpp"
#include "infer/keys.hpp"
#include "infer_test_util.hpp"
#include "tile/pack.hpp"

namespace hepex::infer {
namespace {

namespace fs = std::filesystem;
constexpr auto kInsecure = SecurityPolicy::kAllowInsecureForTestsOnly;  // the small test rings
using nn::Activation;

constexpr std::size_t kT1 = 2, kT2 = 4;

// 16-12-10-6 with a zero tile, a fully zero tile row in the hidden layer 1 and in the last layer.
nn::Model small_model() {
  auto m = testing::random_model({16, 12, 10, 6},
                                 {Activation::poly2(0.3f, 0.9f, 0.1f, false), Activation::square(), Activation::identity()},
                                 21, 0.3f);
  testing::zero_tile(m, 0, 1, 2, kT2, kT1);
  testing::zero_tile_row(m, 1, 2, kT1);
  testing::zero_tile_row(m, 2, 1, kT2);  // transposed: tile rows of t2 outputs
  m.set_input_perm(testing::random_perm(16, 8));
  return m;
}

// The Galois element of the plan's first rotation step.
std::uint64_t galois_element_for_step_in(const Plan& plan, const ckks::CkksContext& ctx) {
  return ckks::galois_element_for_step(ctx.n(), plan.rotation_steps.at(0));
}

PlanOptions small_ring() {
  PlanOptions o;
  o.ring_degree = 1024;  // 512 slots: t3 = 64
  o.insecure = true;
  o.max_scale_bits = 36;
  return o;
}

fs::path temp_dir(const std::string& name) {
  const auto d = fs::temp_directory_path() / ("hepex_infer_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(InferCkks, ServerRunsFromFilesWithoutTheSecretKey) {
  const auto m = small_model();
  const Plan plan = make_plan(m, kT1, kT2, 8, small_ring());
  const auto client_dir = temp_dir("client"), server_dir = temp_dir("server");
  {
    const auto ctx = plan_context(plan, kInsecure);
    save_key_dir(client_dir.string(), plan, generate_keys(ctx, plan, seed_from_u64(4)));
  }
  fs::copy_file(client_dir / "eval.keys", server_dir / "eval.keys");
  ASSERT_FALSE(fs::exists(server_dir / "secret.key"));

  // Client: encrypt.
  const auto x = testing::random_inputs(8, 16, 6);
  {
    const auto c = load_client_keys(client_dir.string(), false, kInsecure);
    auto pub_only = c.keys;
    pub_only.secret.reset();  // public-key encryption
    const backend::CkksBackend be(c.ctx, pub_only);
    save_ciphertexts((client_dir / "x.ct").string(), be, encrypt_input(be, c.plan, x, 8));
  }
  // Server: plan + eval keys only.
  {
    const auto ctx = plan_context(plan, kInsecure);
    const backend::CkksBackend be(ctx, load_eval_keys(*ctx, (server_dir / "eval.keys").string()));
    EXPECT_FALSE(be.can_decrypt());
    Executor ex(be, compile_for(m, plan), plan.batch, plan.weight_mode);
    const auto in = load_ciphertexts((client_dir / "x.ct").string(), be, plan_input_shape(plan));
    const auto y = ex.run(in);
    EXPECT_THROW(be.decrypt(y.tile(0)), InvalidArgument);
    save_ciphertexts((server_dir / "y.ct").string(), be, y);
  }
  // Client: decrypt.
  const auto c = load_client_keys(client_dir.string(), true, kInsecure);
  const backend::CkksBackend be(c.ctx, c.keys);
  const auto y = decrypt_output(be, c.plan, load_ciphertexts((server_dir / "y.ct").string(), be, plan_output_shape(c.plan)), 8);
  const auto want = plain_outputs(m, x, 8);
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-4);

  // A keys directory without secret.key cannot decrypt.
  EXPECT_THROW(load_client_keys(server_dir.string(), true, kInsecure), Error);
  fs::remove_all(client_dir);
  fs::remove_all(server_dir);
}

TEST(InferCkks, RefusesWrongKeysParametersAndShapes) {
  const auto m = small_model();
  const Plan plan = make_plan(m, kT1, kT2, 8, small_ring());
  const auto dir = temp_dir("wrong");
  const auto ctx = plan_context(plan, kInsecure);
  const auto keys = generate_keys(ctx, plan, seed_from_u64(5));
  save_eval_keys((dir / "eval.keys").string(), keys);

  // Eval keys of another plan (another depth: other primes).
  auto other_opts = small_ring();
  other_opts.max_scale_bits = 33;
  const Plan other = make_plan(m, kT1, kT2, 8, other_opts);
  const auto other_ctx = plan_context(other, kInsecure);
  EXPECT_THROW(load_eval_keys(*other_ctx, (dir / "eval.keys").string()), FormatError);

  // Ciphertexts of other parameters.
  const backend::CkksBackend client(ctx, {keys.secret, keys.pub, nullptr, nullptr});
  save_ciphertexts((dir / "x.ct").string(), client, encrypt_input(client, plan, testing::random_inputs(8, 16, 1), 8));
  const backend::CkksBackend other_be(other_ctx, {});
  EXPECT_THROW(load_ciphertexts((dir / "x.ct").string(), other_be, plan_input_shape(other)), FormatError);
  // The right parameters, the wrong shape (another batch size).
  Plan bigger = plan;
  bigger.batch = 200;
  EXPECT_THROW(load_ciphertexts((dir / "x.ct").string(), client, plan_input_shape(bigger)), FormatError);

  // Galois keys without the plan's rotations: the server refuses to rotate.
  Plan no_rot = plan;
  no_rot.rotation_steps.clear();
  const auto few = generate_keys(ctx, no_rot, seed_from_u64(6));
  const backend::CkksBackend server(ctx, {nullptr, nullptr, few.relin, few.galois});
  Executor ex(server, compile_for(m, plan), plan.batch, WeightMode::kPreEncoded);
  EXPECT_THROW(ex.run(load_ciphertexts((dir / "x.ct").string(), server, plan_input_shape(plan))), InvalidArgument);
  fs::remove_all(dir);
}

// Keygen trims every key to the highest level the plan uses it at: evaluation with those keys equals the
// plaintext model, and one key trimmed a level lower is refused (up front by check_eval_keys_cover, and by
// the key switch itself) -- the plan's levels are exactly the levels the executor switches keys at.
// Both repairs of the unknowns (the copies' rotations have keys of their own), on a chain whose plaintext
// levels take narrow primes (31 bits below the 36-bit squares).
TEST(InferCkks, KeysAreTrimmedToThePlansLevelsAndNoLower) {
  const auto m = small_model();
  for (bool after : {false, true})
  for (auto repair : {UnknownsRepair::kClearAndDuplicate, UnknownsRepair::kMaskInNextWeights})
  for (auto layout : {tile::BatchLayout::kInner, tile::BatchLayout::kOuter}) {
    SCOPED_TRACE(std::string(layout == tile::BatchLayout::kOuter ? "outer" : "inner") +
                 (repair == UnknownsRepair::kMaskInNextWeights ? ", in next weights" : ", cleared") +
                 (after ? ", sum after the rescale" : ""));
    auto o = small_ring();
    o.batch_layout = layout;
    o.unknowns_repair = {repair};
    o.sum_after_rescale = after;
    const Plan plan = make_plan(m, kT1, kT2, 8, o);
    EXPECT_EQ(plan.ckks.data_bits[1], 31);  // the last layer's weights
    bool in_next = false;
    for (const auto& l : plan.layers) in_next = in_next || l.unknowns_to_next;
    EXPECT_EQ(in_next, repair == UnknownsRepair::kMaskInNextWeights);
    ASSERT_EQ(plan.rotation_key_levels.size(), plan.rotation_steps.size());
    ASSERT_GE(plan.relin_key_level, 0);
    const auto ctx = plan_context(plan, kInsecure);
    const auto keys = generate_keys(ctx, plan, seed_from_u64(7));
    bool some_trimmed = false;
    for (std::size_t i = 0; i < plan.rotation_steps.size(); ++i) {
      const auto& key = keys.galois->at(ckks::galois_element_for_step(ctx->n(), plan.rotation_steps[i]));
      EXPECT_EQ(key.top_level(), std::size_t(plan.rotation_key_levels[i]));
      some_trimmed = some_trimmed || key.top_level() < ctx->max_level();
    }
    EXPECT_TRUE(some_trimmed) << "the last layers rotate below the top level";
    EXPECT_EQ(keys.relin->key.top_level(), std::size_t(plan.relin_key_level));

    const auto x = testing::random_inputs(8, 16, 3);
    const backend::CkksBackend client(ctx, keys);
    const auto in = encrypt_input(client, plan, x, 8);
    const auto net = compile_for(m, plan);
    {
      const backend::CkksBackend server(ctx, server_keys(keys));
      EXPECT_NO_THROW(check_eval_keys_cover(plan, *ctx, server_keys(keys), "eval.keys"));
      const auto y = decrypt_output(client, plan, Executor(server, net, 8, WeightMode::kPreEncoded).run(in), 8);
      const auto want = plain_outputs(m, x, 8);
      for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-4);
    }
    // One key a level lower than the plan says: refused before the run, and by the key switch in it.
    auto lower = [&](std::size_t which) {
      backend::CkksKeys k = server_keys(keys);
      ckks::GaloisKeys galois(ctx->param_hash());
      for (const auto& [g, key] : keys.galois->keys()) galois.insert(g, key);
      const std::uint64_t g = ckks::galois_element_for_step(ctx->n(), plan.rotation_steps[which]);
      galois.insert(g, keys.galois->at(g).trimmed(*ctx, plan.rotation_key_levels[which] - 1));
      k.galois = std::make_shared<const ckks::GaloisKeys>(std::move(galois));
      return k;
    };
    for (std::size_t i = 0; i < plan.rotation_steps.size(); ++i) {
      if (plan.rotation_key_levels[i] == 0) continue;
      const auto k = lower(i);
      EXPECT_THROW(check_eval_keys_cover(plan, *ctx, k, "eval.keys"), MismatchError) << "step " << plan.rotation_steps[i];
      const backend::CkksBackend server(ctx, k);
      EXPECT_THROW(Executor(server, net, 8, WeightMode::kPreEncoded).run(in), MismatchError)
          << "step " << plan.rotation_steps[i] << " is used at level " << plan.rotation_key_levels[i];
    }
  }
}

// The server's first layer takes its inputs part by part from the file's bytes (CiphertextTiles): the
// outputs equal those of the inputs parsed all at once bit for bit, with more input tile rows than one part.
// A small model (more input tile rows than one part), its plan, keys, both sides and an encrypted input file.
struct InputFile {
  nn::Model m;
  Plan plan;
  std::shared_ptr<const ckks::CkksContext> ctx;
  backend::CkksKeys keys;
  backend::CkksBackend client, server;
  std::vector<std::uint8_t> bytes;
  tile::TileTensorShape shape;
  InputFile(std::uint64_t model_seed, std::uint64_t key_seed, std::uint64_t input_seed)
      : m(testing::random_model({80, 12, 6}, {Activation::poly2(0.3f, 0.9f, 0.1f, false), Activation::identity()},
                                model_seed, 0.3f)),
        plan(make_plan(m, kT1, kT2, 8, small_ring())),
        ctx(plan_context(plan, kInsecure)),
        keys(generate_keys(ctx, plan, seed_from_u64(key_seed))),
        client(ctx, keys),
        server(ctx, server_keys(keys)),
        bytes(ciphertexts_file_bytes(client, encrypt_input(client, plan, testing::random_inputs(8, 80, input_seed), 8))),
        shape(plan_input_shape(plan)) {}
};

TEST(InferCkks, InputsParsedPartByPartGiveTheSameOutputs) {
  const InputFile f(23, 9, 2);
  const auto& [m, plan, ctx, keys, client, server, bytes, shape] = f;
  ASSERT_GT(shape.dim(0).tile_count(), kInputPartPositions) << "the first layer needs several parts";

  const Executor ex(server, compile_for(m, plan), plan.batch, WeightMode::kPreEncoded);
  const auto all_at_once = ex.run(parse_ciphertexts(io::unseal(bytes, "x.ct"), "x.ct", server, shape));
  CiphertextTiles tiles(io::unseal(bytes, "x.ct"), "x.ct", server, shape);
  std::size_t most = 0;
  const auto by_parts = ex.run([&](std::size_t first, std::size_t last) {
    most = std::max(most, last - first);
    return tiles.fetch(first, last);
  });
  EXPECT_NO_THROW(tiles.finish());
  EXPECT_LE(most, kInputPartPositions);
  ASSERT_EQ(by_parts.tile_count(), all_at_once.tile_count());
  for (std::size_t i = 0; i < by_parts.tile_count(); ++i) {
    const auto &a = server.unwrap(by_parts.tile(i)), &b = server.unwrap(all_at_once.tile(i));
    for (std::size_t p = 0; p < a.size(); ++p) EXPECT_EQ(a.poly(p), b.poly(p)) << "tile " << i;
  }

  // finish() drops the bytes: nothing is read after it.
  EXPECT_THROW(tiles.fetch(0, 1), InvalidArgument);
  EXPECT_NO_THROW(tiles.finish());

  // Parts out of order parse again from the start; the tiles are the file's.
  CiphertextTiles again(io::unseal(bytes, "x.ct"), "x.ct", server, shape);
  const auto later = again.fetch(3, 5), earlier = again.fetch(0, 1);
  const std::size_t per = shape.tile_count() / shape.dim(0).tile_count();
  EXPECT_TRUE(later.absent(0));
  EXPECT_FALSE(later.absent(3 * per));
  EXPECT_FALSE(earlier.absent(0));
  EXPECT_TRUE(earlier.absent(per));
  // Another key set is refused before anything is parsed; bytes after the last ciphertext, at finish().
  const auto other = generate_keys(ctx, plan, seed_from_u64(10));
  const backend::CkksBackend other_server(ctx, server_keys(other));
  EXPECT_THROW(CiphertextTiles(io::unseal(bytes, "x.ct"), "x.ct", other_server, shape), MismatchError);
  auto longer = io::unseal(bytes, "x.ct");
  longer.push_back(0);
  CiphertextTiles extra(std::move(longer), "x.ct", server, shape);
  EXPECT_THROW(extra.finish(), FormatError);
}

// The same read from disk as the first layer asks (io::open_hepex_file; Server::evaluate_file): the same
// outputs bit for bit, parts out of order read again, a flipped bit refused before anything is parsed, a
// file cut short while it is read refused when the part is read.
TEST(InferCkks, InputsReadFromDiskPartByPartGiveTheSameOutputs) {
  const InputFile f(31, 11, 3);
  const auto& [m, plan, ctx, keys, client, server, bytes, shape] = f;
  const auto dir = std::filesystem::temp_directory_path() / ("hepex_inputs_from_disk_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "x.ct").string();
  io::write_file_atomic(path, bytes);

  const Executor ex(server, compile_for(m, plan), plan.batch, WeightMode::kPreEncoded);
  const auto all_at_once = ex.run(parse_ciphertexts(io::unseal(bytes, "x.ct"), "x.ct", server, shape));
  CiphertextTiles tiles(io::open_hepex_file(path), server, shape);
  const auto from_disk = ex.run([&](std::size_t first, std::size_t last) { return tiles.fetch(first, last); });
  EXPECT_NO_THROW(tiles.finish());
  ASSERT_EQ(from_disk.tile_count(), all_at_once.tile_count());
  for (std::size_t i = 0; i < from_disk.tile_count(); ++i) {
    const auto &a = server.unwrap(from_disk.tile(i)), &b = server.unwrap(all_at_once.tile(i));
    for (std::size_t p = 0; p < a.size(); ++p) EXPECT_EQ(a.poly(p), b.poly(p)) << "tile " << i;
  }

  CiphertextTiles again(io::open_hepex_file(path), server, shape);
  const std::size_t per = shape.tile_count() / shape.dim(0).tile_count();
  const auto later = again.fetch(2, 3), earlier = again.fetch(0, 1);
  const auto in_memory = parse_ciphertexts(io::unseal(bytes, "x.ct"), "x.ct", server, shape);
  EXPECT_EQ(server.unwrap(later.tile(2 * per)).poly(0), server.unwrap(in_memory.tile(2 * per)).poly(0));
  EXPECT_EQ(server.unwrap(earlier.tile(0)).poly(1), server.unwrap(in_memory.tile(0)).poly(1));

  auto flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x04;
  io::write_file_atomic(path, flipped);
  try {
    CiphertextTiles bad(io::open_hepex_file(path), server, shape);
    FAIL() << "a flipped bit was not detected";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("integrity"), std::string::npos) << e.what();
  }

  io::write_file_atomic(path, bytes);
  CiphertextTiles cut(io::open_hepex_file(path), server, shape);
  std::filesystem::resize_file(path, bytes.size() / 2);  // the same file (inode), cut short after the check
  try {
    cut.finish();  // reads every ciphertext
    FAIL() << "a file cut short while read was not refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// The client's input file written part by part: the plan's sent tiles in order (rows the pruned first layer
// never reads left out), each decrypting to its tile of the input tensor; the file parses as the server reads
// it. The batch writer refuses a ciphertext too many, too few, or of other parameters.
TEST(InferCkks, InputFileWrittenPartByPartHoldsTheSentTiles) {
  auto m = testing::random_model({80, 12, 6}, {Activation::poly2(0.3f, 0.9f, 0.1f, false), Activation::identity()},
                                 29, 0.3f);
  for (int j = 6 * int(kT1); j < 8 * int(kT1); ++j) m.layers()[0].W.col(j).setZero();  // rows 6 and 7
  const Plan plan = make_plan(m, kT1, kT2, 8, small_ring());
  ASSERT_EQ(plan.unread_input_rows, (std::vector<std::size_t>{6, 7}));
  const auto shape = plan_input_shape(plan);
  ASSERT_GT(shape.dim(0).tile_count(), kInputPartPositions) << "several parts";
  const auto ctx = plan_context(plan, kInsecure);
  const auto keys = generate_keys(ctx, plan, seed_from_u64(13));
  const backend::CkksBackend client(ctx, keys);
  const auto x = testing::random_inputs(8, 80, 6);
  const auto bytes = encrypted_input_file_bytes(client, plan, x, 8);
  const auto sent = plan_input_tiles_sent(plan);
  const auto tiles = parse_ciphertexts(io::unseal(bytes, "x.ct"), "x.ct", client, shape, sent);
  EXPECT_THROW(parse_ciphertexts(io::unseal(bytes, "x.ct"), "x.ct", client, shape), FormatError);  // every tile expected
  const tile::Tensor want = input_tensor(plan, x, 8);
  const tile::Tensor got = tile::unpack(client, tiles);
  double worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::size_t feature = i / plan.batch;  // model order: row-major features x batch
    const bool unread = feature / kT1 == 6 || feature / kT1 == 7;
    worst = std::max(worst, std::abs(got.data()[i] - (unread ? 0.0 : want.data()[i])));
  }
  EXPECT_LT(worst, 1e-6);
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(tiles.absent(i), !sent[i]) << i;
  // The whole tensor written at once (a library user's encrypt_input): the same layout, given the sent tiles.
  const auto whole = encrypt_input(client, plan, x, 8);
  EXPECT_EQ(ciphertexts_file_bytes(client, whole, sent).size(), bytes.size());
  EXPECT_THROW(ciphertexts_file_bytes(client, whole), InvalidArgument);  // unread rows' tiles are absent

  const auto one = client.unwrap(tiles.tile(0));
  ckks::CiphertextBatchWriter w(*ctx, 1);
  w.add(one);
  EXPECT_THROW(w.add(one), InvalidArgument);
  ckks::CiphertextBatchWriter two(*ctx, 2);
  two.add(one);
  EXPECT_THROW(two.finish(), InvalidArgument);
  EXPECT_EQ(w.finish(), ckks::to_bytes(std::span<const ckks::Ciphertext>(&one, 1)));
  EXPECT_THROW(ckks::CiphertextBatchWriter(*ctx, 0), InvalidArgument);
}

// The rotated copies a layer's outputs need (mask-in-next-weights) made part by part as the next layer reads
// them (one block of weights: pre-encoded) against all stacked first (on the fly, a block per tile row, which
// reads them once per block): bit for bit the same outputs, the same counts per layer.
TEST(InferCkks, CopiesMadeAsTheNextLayerReadsThemGiveTheSameOutputs) {
  const auto m = testing::random_model({24, 80, 40, 6},
                                       {Activation::poly2(0.3f, 0.9f, 0.1f, false), Activation::square(), Activation::identity()},
                                       31, 0.3f);
  PlanOptions o = small_ring();
  o.unknowns_repair = {UnknownsRepair::kMaskInNextWeights, UnknownsRepair::kMaskInNextWeights};
  const Plan plan = make_plan(m, kT1, kT2, 8, o);
  const auto net = compile_for(m, plan);
  ASSERT_TRUE(net.layers[0].unknowns_to_next && net.layers[1].unknowns_to_next);
  // Layer 0's copies span several parts of the next layer's sum.
  ASSERT_GT(net.layers[0].dead_tile_rows.size() * net.layers[0].in_tile, kInputPartPositions);
  const auto ctx = plan_context(plan, kInsecure);
  const auto keys = generate_keys(ctx, plan, seed_from_u64(12));
  const backend::CkksBackend client(ctx, keys), server(ctx, server_keys(keys));
  const auto x = encrypt_input(client, plan, testing::random_inputs(8, 24, 5), 8);
  std::vector<LayerRun> on_read, stacked;
  const auto a = Executor(server, net, plan.batch, WeightMode::kPreEncoded).run(x, &on_read);
  const auto b = Executor(server, net, plan.batch, WeightMode::kOnTheFly, /*block_bytes=*/1).run(x, &stacked);
  ASSERT_EQ(a.tile_count(), b.tile_count());
  for (std::size_t i = 0; i < a.tile_count(); ++i) {
    ASSERT_EQ(a.absent(i), b.absent(i)) << i;
    if (a.absent(i)) continue;
    const auto &ta = server.unwrap(a.tile(i)), &tb = server.unwrap(b.tile(i));
    for (std::size_t p = 0; p < ta.size(); ++p) EXPECT_EQ(ta.poly(p), tb.poly(p)) << "tile " << i;
  }
  ASSERT_EQ(on_read.size(), stacked.size());
  for (std::size_t l = 0; l < on_read.size(); ++l) {
    auto counts = on_read[l].counts, other = stacked[l].counts;
    counts[backend::Op::kEncode] = other[backend::Op::kEncode] = 0;  // on the fly encodes the weights in the layer
    EXPECT_EQ(counts, other) << "layer " << l << ": " << counts.to_string() << " against " << other.to_string();
    EXPECT_EQ(counts, plan.layers[l].counts) << l;
  }
  const auto y = decrypt_output(client, plan, a, 8);
  const auto want = plain_outputs(m, testing::random_inputs(8, 24, 5), 8);
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-4) << i;
}

// Evaluation keys from a file decoded per layer (open_eval_keys, GaloisKeys::hold_only with
// layer_galois_keys before each layer, as the Server does): bit for bit the outputs of the keys decoded
// at once, every key a layer switches with decoded before it starts (none on demand mid-layer), and the
// keys held at a time fewer than all of them. Both repairs: copies made as the next layer reads them, and
// cleared outputs duplicated in the layer.
TEST(InferCkks, KeysDecodedPerLayerGiveTheSameOutputs) {
  const auto m = testing::random_model({24, 80, 40, 6},
                                       {Activation::poly2(0.3f, 0.9f, 0.1f, false), Activation::square(), Activation::identity()},
                                       37, 0.3f);
  const auto dir = temp_dir("keys_per_layer");
  for (auto repair : {UnknownsRepair::kMaskInNextWeights, UnknownsRepair::kClearAndDuplicate}) {
    PlanOptions o = small_ring();
    o.unknowns_repair = {repair, repair};
    const Plan plan = make_plan(m, kT1, kT2, 8, o);
    const auto net = compile_for(m, plan);
    const auto ctx = plan_context(plan, kInsecure);
    const auto keys = generate_keys(ctx, plan, seed_from_u64(13));
    const std::string path = (dir / "eval.keys").string();
    save_eval_keys(path, keys);
    const backend::CkksBackend client(ctx, keys), whole(ctx, server_keys(keys));
    const auto file_keys = open_eval_keys(*ctx, path);
    const ckks::GaloisKeys& galois = *file_keys.galois;
    ASSERT_TRUE(galois.on_demand());
    check_eval_keys_cover(plan, *ctx, file_keys, path);  // from the index: nothing decoded
    EXPECT_EQ(galois.decoded(), 0u);
    const backend::CkksBackend per_layer(ctx, file_keys);

    const auto x = encrypt_input(client, plan, testing::random_inputs(8, 24, 6), 8);
    const auto want = Executor(whole, net, plan.batch, WeightMode::kPreEncoded).run(x);
    const std::string what = repair == UnknownsRepair::kMaskInNextWeights ? "mask in next weights" : "clear and duplicate";
    std::size_t all = 0;
    for (const auto& [g, key] : whole.keys().galois->keys()) all += key.byte_size();
    std::size_t decoded_before_last = 0;
    // Pre-encoded weights: copies made as the next layer reads them; on the fly a block per tile row: in
    // the layer.
    for (const bool pre_encoded : {true, false}) {
      const Executor ex(per_layer, net, plan.batch, pre_encoded ? WeightMode::kPreEncoded : WeightMode::kOnTheFly,
                        pre_encoded ? kOnTheFlyBlockBytes : 1);
      std::vector<bool> on_read(net.layers.size());
      for (std::size_t l = 0; l < on_read.size(); ++l) on_read[l] = ex.copies_on_read(l);
      EXPECT_EQ(on_read[0], pre_encoded && repair == UnknownsRepair::kMaskInNextWeights);
      const auto uses = layer_galois_keys(plan, net, *ctx, on_read);
      std::size_t most_held = 0;
      const auto got = ex.run(x, nullptr, [&](std::size_t l, std::size_t) {
        galois.hold_only(uses.at(l));
        decoded_before_last = galois.decoded();
        most_held = std::max(most_held, galois.held_bytes());
      });
      EXPECT_EQ(galois.decoded(), decoded_before_last) << what << ": a key was decoded mid-layer";
      EXPECT_LT(most_held, all) << what;
      ASSERT_EQ(got.tile_count(), want.tile_count());
      for (std::size_t i = 0; i < got.tile_count(); ++i) {
        if (want.absent(i)) continue;
        const auto &a = per_layer.unwrap(got.tile(i)), &b = whole.unwrap(want.tile(i));
        for (std::size_t p = 0; p < a.size(); ++p) EXPECT_EQ(a.poly(p), b.poly(p)) << what << ", tile " << i;
      }
    }
    // Dropped, a key is decoded again when asked for.
    galois.hold_only({});
    EXPECT_EQ(galois.held_bytes(), 0u);
    const std::uint64_t g = galois_element_for_step_in(plan, *ctx);
    EXPECT_EQ(galois.at(g).top_level(), galois.top_level(g));
    EXPECT_EQ(galois.decoded(), decoded_before_last + 1);
  }
  fs::remove_all(dir);
}

TEST(InferFiles, NpyRoundTripAndRefusals) {
  const auto dir = temp_dir("npy");
  Samples s{{1.5, -2.25, 3.0, 0.125, 7.0, -1.0}, 2, 3};
  save_npy((dir / "a.npy").string(), s);
  const auto back = load_npy((dir / "a.npy").string());
  EXPECT_EQ(back.rows, 2u);
  EXPECT_EQ(back.cols, 3u);
  EXPECT_EQ(back.values, s.values);
  const auto part = load_samples((dir / "a.npy").string(), 1, 1);
  EXPECT_EQ(part.values, std::vector<double>(s.values.begin() + 3, s.values.end()));
  EXPECT_THROW(load_samples((dir / "a.npy").string(), 1, 2), InvalidArgument);
  {
    std::ofstream f(dir / "bad.npy", std::ios::binary);
    f << "not numpy at all";
  }
  EXPECT_THROW(load_npy((dir / "bad.npy").string()), FormatError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hepex::infer
