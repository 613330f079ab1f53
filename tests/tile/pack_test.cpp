// pack/unpack round trips over many shapes, slot layout against a first-principles reference, absent tiles.
#include "tile/pack.hpp"
#include "tile_test_util.hpp"

#include <gtest/gtest.h>

using namespace hepex::tile;
using hepex::backend::Op;

namespace {
struct Case {
  const char* shape;
  std::size_t slots;
};
const Case kCases[] = {
    {"[17/32]", 32},          {"[5/4, 3/8]", 32},         {"[*/4, 11/8]", 32},         {"[9/4, */8]", 32},
    {"[3/2, 5/4, 7/4]", 32},  {"[8/4, 16/8]", 32},        {"[*/2, 13/4, 6/4]", 32},    {"[2/2, */4, 9/4]", 32},
    {"[6?/4, 3/8]", 32},      {"[1/4, 1/8, 512/512]", 16384}, {"[7/4, 9/8, 600/512]", 16384},
};
}  // namespace

TEST(Pack, RoundTripsAndLaysOutSlotsRowMajor) {
  hepex::Csprng rng(hepex::seed_from_u64(3));
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.shape);
    auto sim = tile_test::make_sim(c.slots);
    const auto shape = TileTensorShape::parse(c.shape);
    const auto x = tile_test::random_tensor(rng, shape.tensor_dims());
    const auto ct = pack_encrypted(sim, x, shape, sim.max_level(), sim.default_scale());
    const auto pt = pack_plain(sim, x, shape, sim.max_level(), sim.default_scale());
    EXPECT_EQ(ct.tile_count(), shape.tile_count());
    EXPECT_EQ(unpack(sim, ct).data(), x.data());
    EXPECT_EQ(unpack(sim, pt).data(), x.data());
    for (std::size_t i = 0; i < ct.tile_count(); ++i) {
      const auto& slots = sim.peek(ct.tile(i));
      for (std::size_t s = 0; s < c.slots; ++s)
        ASSERT_EQ(slots[s], tile_test::expected_slot(x, shape, i, s)) << "tile " << i << " slot " << s;
      ASSERT_EQ(sim.level(ct.tile(i)), sim.max_level());
    }
  }
}

TEST(Pack, UnpackIgnoresUnknowns) {
  hepex::Csprng rng(hepex::seed_from_u64(4));
  auto sim = tile_test::make_sim(32);
  const auto shape = TileTensorShape::parse("[6?/4, 3?/8]");
  const auto x = tile_test::random_tensor(rng, shape.tensor_dims());
  std::vector<hepex::backend::Ciphertext> tiles;
  for (std::size_t i = 0; i < shape.tile_count(); ++i) {
    auto slots = tile_slots(x, shape, i);
    const auto map = tile_slot_map(shape, i);
    for (std::size_t s = 0; s < slots.size(); ++s)
      if (map[s] < 0) slots[s] = 100.0 + double(s);  // garbage where the shape says unknown
    tiles.push_back(sim.encrypt(sim.encode(slots, 1, sim.default_scale())));
  }
  EXPECT_EQ(unpack(sim, CipherTileTensor(shape, tiles)).data(), x.data());
}

TEST(Pack, AllZeroPlainTilesAreAbsentAndNeverEncoded) {
  hepex::Csprng rng(hepex::seed_from_u64(5));
  auto sim = tile_test::make_sim(32);
  const auto shape = TileTensorShape::parse("[10/4, 16/8]");  // 3 x 2 tiles
  auto x = tile_test::random_tensor(rng, shape.tensor_dims());
  for (std::size_t i = 4; i < 8; ++i)  // tile row 1 entirely zero
    for (std::size_t j = 0; j < 16; ++j) x(i, j) = 0;
  for (std::size_t i = 8; i < 10; ++i)  // the partial tile (2, 1)
    for (std::size_t j = 8; j < 16; ++j) x(i, j) = 0;
  const auto pt = pack_plain(sim, x, shape, 2, sim.default_scale());
  EXPECT_EQ(pt.present_count(), 3u);
  EXPECT_TRUE(pt.absent(shape.tile_index({1, 0})));
  EXPECT_TRUE(pt.absent(shape.tile_index({1, 1})));
  EXPECT_TRUE(pt.absent(shape.tile_index({2, 1})));
  EXPECT_EQ(sim.counts()[Op::kEncode], 3u);
  EXPECT_EQ(sim.live_plaintext_bytes(), std::int64_t(3 * sim.params().poly_bytes(2)));
  EXPECT_EQ(unpack(sim, pt).data(), x.data());
  sim.reset_counts();
  const auto dense = pack_plain(sim, x, shape, 2, sim.default_scale(), /*skip_zero_tiles=*/false);
  EXPECT_EQ(dense.present_count(), 6u);
  const auto ct = pack_encrypted(sim, x, shape, 2, sim.default_scale());
  EXPECT_EQ(ct.present_count(), 6u);
  EXPECT_EQ(sim.counts()[Op::kEncode], 12u);
  EXPECT_EQ(sim.counts()[Op::kEncrypt], 6u);
}

TEST(Pack, RefusesMismatchedTensorsAndSlotCounts) {
  auto sim = tile_test::make_sim(32);
  const auto shape = TileTensorShape::parse("[5/4, 3/8]");
  EXPECT_THROW(pack_plain(sim, Tensor({5, 4}), shape, 1, sim.default_scale()), hepex::MismatchError);
  EXPECT_THROW(pack_plain(sim, Tensor({5, 3, 1}), shape, 1, sim.default_scale()), hepex::MismatchError);
  auto big = tile_test::make_sim(64);
  EXPECT_THROW(pack_encrypted(big, Tensor({5, 3}), shape, 1, big.default_scale()), hepex::MismatchError);
  EXPECT_THROW(CipherTileTensor(shape, {}), hepex::InvalidArgument);
}
