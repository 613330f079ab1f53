// TileCodec: a process's tiles survive the trip as bytes exactly (simulator slots; CKKS ciphertext bytes),
// the other processes' tiles are left alone, and bytes that do not hold the expected tiles are refused.
#include <gtest/gtest.h>

#include "backend/ckks_backend.hpp"
#include "backend/sim_backend.hpp"
#include "ckks/serialize.hpp"
#include "distributed/tile_codec.hpp"
#include "infer/client.hpp"
#include "infer/keys.hpp"
#include "../infer/infer_test_util.hpp"

namespace hepex::distributed {
namespace {

infer::Plan small_plan(std::size_t ring) {
  infer::PlanOptions o;
  o.ring_degree = ring;
  o.insecure = true;
  o.max_scale_bits = 36;
  return infer::make_plan(infer::testing::pruned_model_2x4(3), 2, 4, 11, o);
}

// Owners 0, 1, 2, 0, 1, 2, ... and one absent tile owned by part 1.
std::vector<std::size_t> owners(std::size_t n) {
  std::vector<std::size_t> o(n);
  for (std::size_t i = 0; i < n; ++i) o[i] = i % 3;
  return o;
}

TEST(TileCodec, SimulatorTilesRoundTripExactly) {
  const auto plan = small_plan(128);
  backend::SimBackend sim(plan.ckks.sim_params());
  auto tiles = infer::encrypt_input(sim, plan, infer::testing::random_inputs(10, 16, 5), 10).take_tiles();
  tiles[1] = {};
  const tile::CipherTileTensor t(infer::plan_input_shape(plan), tiles);
  const auto owner = owners(t.tile_count());
  const TileCodec codec(sim);
  std::vector<backend::Ciphertext> got(t.tile_count());
  for (std::size_t part = 0; part < 3; ++part) codec.unpack(codec.pack(t, owner, part), owner, part, got, "test");
  for (std::size_t i = 0; i < t.tile_count(); ++i) {
    ASSERT_EQ(got[i].empty(), t.absent(i)) << i;
    if (t.absent(i)) continue;
    EXPECT_EQ(sim.peek(got[i]), sim.peek(t.tile(i))) << i;
    EXPECT_EQ(sim.level(got[i]), sim.level(t.tile(i))) << i;
    EXPECT_EQ(sim.scale(got[i]), sim.scale(t.tile(i))) << i;
  }
}

TEST(TileCodec, CkksTilesRoundTripByteForByte) {
  const auto plan = small_plan(1024);
  const auto ctx = infer::plan_context(plan, infer::SecurityPolicy::kAllowInsecureForTestsOnly);
  const backend::CkksBackend be(ctx, infer::generate_keys(ctx, plan, seed_from_u64(1)));
  const auto t = infer::encrypt_input(be, plan, infer::testing::random_inputs(10, 16, 5), 10);
  const auto owner = owners(t.tile_count());
  const TileCodec codec(be);
  std::vector<backend::Ciphertext> got(t.tile_count());
  codec.unpack(codec.pack(t, owner, 2), owner, 2, got, "test");
  for (std::size_t i = 0; i < t.tile_count(); ++i) {
    ASSERT_EQ(got[i].empty(), owner[i] != 2) << "tile " << i << ": only part 2's tiles are filled in";
    if (owner[i] == 2) EXPECT_EQ(ckks::to_bytes(be.unwrap(got[i])), ckks::to_bytes(be.unwrap(t.tile(i)))) << i;
  }
}

TEST(TileCodec, RefusesBytesThatDoNotHoldTheTiles) {
  const auto plan = small_plan(128);
  backend::SimBackend sim(plan.ckks.sim_params());
  const auto t = infer::encrypt_input(sim, plan, infer::testing::random_inputs(10, 16, 5), 10);
  const auto owner = owners(t.tile_count());
  const TileCodec codec(sim);
  auto bytes = codec.pack(t, owner, 0);
  std::vector<backend::Ciphertext> got(t.tile_count());
  auto truncated = bytes;
  truncated.resize(bytes.size() - 3);
  EXPECT_THROW(codec.unpack(truncated, owner, 0, got, "test"), FormatError);
  EXPECT_THROW(codec.unpack(bytes, owner, 1, got, "test"), FormatError) << "part 1's tiles are not part 0's";
}

}  // namespace
}  // namespace hepex::distributed
