// Tile tensor shapes: notation, grid indexing and valid-slot masks against brute force.
#include "tile/tile_shape.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

using hepex::tile::TileTensorShape;

TEST(TileShape, ParsesHelayersNotation) {
  const auto s = TileTensorShape::parse("[784/4, 512 / 8, */512]");
  ASSERT_EQ(s.rank(), 3u);
  EXPECT_EQ(s.dim(0).size, 784u);
  EXPECT_EQ(s.dim(0).tile, 4u);
  EXPECT_EQ(s.dim(1).size, 512u);
  EXPECT_TRUE(s.dim(2).replicated);
  EXPECT_EQ(s.dim(2).size, 1u);
  EXPECT_EQ(s.slots_per_tile(), 16384u);
  EXPECT_EQ(s.tile_count(), 196u * 64u);
  const auto u = TileTensorShape::parse("[10?/4,3/8]");
  EXPECT_TRUE(u.dim(0).unknowns);
  EXPECT_TRUE(u.has_unknowns());
  EXPECT_FALSE(s.has_unknowns());
  for (const char* text : {"[784/4, 512/8, */512]", "[10?/4, 3/8]", "[*/4, 1?/8, 512/512]", "[17/32]"})
    EXPECT_EQ(TileTensorShape::parse(text).to_string(), text);
}

TEST(TileShape, RefusesMalformedShapes) {
  for (const char* text : {"[3/3]", "[*/4", "[a/4]", "[]", "[4]", "[1/2, 2/2, 2/2, 2/2]", "[0/4]", "[*?/4]", "[5/0]"})
    EXPECT_THROW(TileTensorShape::parse(text), hepex::InvalidArgument) << text;
  const auto s = TileTensorShape::parse("[5/4, 3/8]");
  EXPECT_THROW(s.require_slots(64, "test"), hepex::MismatchError);
  EXPECT_NO_THROW(s.require_slots(32, "test"));
}

TEST(TileShape, GridIndexingIsRowMajorAndInvertible) {
  const auto s = TileTensorShape::parse("[9/4, */2, 5/4]");
  EXPECT_EQ(s.grid(), (std::vector<std::size_t>{3, 1, 2}));
  EXPECT_EQ(s.tile_count(), 6u);
  std::size_t expected = 0;
  for (std::size_t a = 0; a < 3; ++a)
    for (std::size_t c = 0; c < 2; ++c, ++expected) {
      EXPECT_EQ(s.tile_index({a, 0, c}), expected);
      EXPECT_EQ(s.grid_position(expected), (std::vector<std::size_t>{a, 0, c}));
    }
  // Tile (2, 0, 1): 9 - 8 = 1 valid row, replicated dim full, 5 - 4 = 1 valid column.
  EXPECT_EQ(s.extents(s.tile_index({2, 0, 1})), (std::vector<std::size_t>{1, 2, 1}));
  EXPECT_EQ(s.slot_stride(0), 8u);
  EXPECT_EQ(s.slot_stride(1), 4u);
  EXPECT_EQ(s.slot_stride(2), 1u);
}

TEST(TileShape, ValidSlotsMatchBruteForce) {
  const auto s = TileTensorShape::parse("[3/4, 2/2, 3/4]");
  const std::vector<std::size_t> ext{3, 1, 2};
  const auto valid = hepex::tile::valid_slots(s, ext);
  ASSERT_EQ(valid.size(), 32u);
  for (std::size_t a = 0; a < 4; ++a)
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t c = 0; c < 4; ++c) EXPECT_EQ(valid[a * 8 + b * 4 + c], a < 3 && b < 1 && c < 2);
}

TEST(TileShape, AnOutermostDimensionReordersTheSlots) {
  const auto s = TileTensorShape::parse("[3/4, */2, ^5/8]");
  EXPECT_EQ(s.outer(), 2u);
  EXPECT_EQ(s.to_string(), "[3/4, */2, ^5/8]");
  EXPECT_EQ(s.slot_stride(2), 8u);  // the batch: outermost
  EXPECT_EQ(s.slot_stride(0), 2u);
  EXPECT_EQ(s.slot_stride(1), 1u);
  EXPECT_FALSE(s == TileTensorShape::parse("[3/4, */2, 5/8]"));
  EXPECT_EQ(TileTensorShape::parse("[^3/4, 2/2]"), TileTensorShape::parse("[3/4, 2/2]"));  // 0 is the default
  // Valid slots by brute force in the (c, a, b) order.
  const auto valid = hepex::tile::valid_slots(TileTensorShape::parse("[3/4, 2/2, ^3/4]"), {3, 1, 2});
  for (std::size_t c = 0; c < 4; ++c)
    for (std::size_t a = 0; a < 4; ++a)
      for (std::size_t b = 0; b < 2; ++b) EXPECT_EQ(valid[c * 8 + a * 2 + b], a < 3 && b < 1 && c < 2);
  EXPECT_THROW(TileTensorShape({{4, 4, false, false}}, 1), hepex::InvalidArgument);
}
