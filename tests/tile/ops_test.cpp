// Tile tensor operations on the simulator against plain loops.
#include "tile/ops.hpp"
#include "tile/pack.hpp"
#include "tile_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace hepex::tile;
using hepex::backend::Op;

namespace {

// Element of a tensor under broadcasting: replicated (size-1) dims read index 0.
double bcast(const Tensor& t, std::size_t i, std::size_t j, std::size_t k) {
  return t(t.rank() > 0 && t.dim(0) == 1 ? 0 : i, t.rank() > 1 && t.dim(1) == 1 ? 0 : j,
           t.rank() > 2 && t.dim(2) == 1 ? 0 : k);
}

// Reference elementwise op over the result dims.
template <class Fn>
Tensor reference(const std::vector<std::size_t>& dims, const Tensor& a, const Tensor& b, Fn fn) {
  Tensor r(dims);
  for (std::size_t i = 0; i < dims[0]; ++i)
    for (std::size_t j = 0; j < dims[1]; ++j)
      for (std::size_t k = 0; k < (dims.size() > 2 ? dims[2] : 1); ++k)
        r(i, j, k) = fn(bcast(a, i, j, k), bcast(b, i, j, k));
  return r;
}

void expect_near(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.dims(), want.dims());
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got.data()[i], want.data()[i], 1e-12) << "element " << i;
}

// Every slot of every tile equals the first-principles layout of `want` under `shape`.
void expect_layout(const hepex::backend::SimBackend& sim, const CipherTileTensor& tt, const Tensor& want) {
  for (std::size_t i = 0; i < tt.tile_count(); ++i) {
    ASSERT_FALSE(tt.absent(i));
    const auto& slots = sim.peek(tt.tile(i));
    for (std::size_t s = 0; s < slots.size(); ++s)
      ASSERT_NEAR(slots[s], tile_test::expected_slot(want, tt.shape(), i, s), 1e-12) << "tile " << i << " slot " << s;
  }
}

struct Ops : ::testing::Test {
  hepex::backend::SimBackend sim = tile_test::make_sim(32);
  hepex::Csprng rng{hepex::seed_from_u64(21)};
  const double s = sim.default_scale();
  const int top = sim.max_level();

  CipherTileTensor enc(const Tensor& t, const char* shape) {
    return pack_encrypted(sim, t, TileTensorShape::parse(shape), top, s);
  }
  Tensor rand(const char* shape) { return tile_test::random_tensor(rng, TileTensorShape::parse(shape).tensor_dims()); }
};

}  // namespace

TEST_F(Ops, ElementwiseWithBroadcastingMatchesLoops) {
  const char* sa = "[*/4, 11/8]";
  const char* sb = "[6/4, 11/8]";
  const auto a = rand(sa), b = rand(sb);
  const auto ca = enc(a, sa), cb = enc(b, sb);
  const auto pb = pack_plain(sim, b, TileTensorShape::parse(sb), top, s);
  const std::vector<std::size_t> dims{6, 11};
  const auto mul = [](double x, double y) { return x * y; };
  const auto plus = [](double x, double y) { return x + y; };

  const auto p = multiply(sim, ca, cb);
  EXPECT_EQ(p.shape().to_string(), "[6/4, 11/8]");
  expect_near(unpack(sim, p), reference(dims, a, b, mul));
  expect_layout(sim, p, reference(dims, a, b, mul));  // zero padding kept: 0 * x
  expect_near(unpack(sim, multiply_plain(sim, ca, pb)), reference(dims, a, b, mul));
  const auto sum = add(sim, ca, cb);
  EXPECT_EQ(sum.shape().to_string(), "[6?/4, 11/8]");  // a's replicated value lands in b's padding rows
  expect_near(unpack(sim, sum), reference(dims, a, b, plus));
  expect_near(unpack(sim, add_plain(sim, ca, pb)), reference(dims, a, b, plus));
  expect_near(unpack(sim, square(sim, cb)), reference(dims, b, b, mul));
}

TEST_F(Ops, BatchBroadcastInThreeDimensions) {
  const char* sw = "[5/2, 6/4, */4]";
  const char* sx = "[*/2, 6/4, 7/4]";
  const auto w = rand(sw), x = rand(sx);
  const auto y = multiply_plain(sim, enc(x, sx), pack_plain(sim, w, TileTensorShape::parse(sw), top, s));
  EXPECT_EQ(y.shape().to_string(), "[5/2, 6/4, 7/4]");
  expect_near(unpack(sim, y), reference({5, 6, 7}, w, x, [](double p, double q) { return p * q; }));
}

TEST_F(Ops, AbsentTilesAreNeverMultipliedAndAddsSkipThem) {
  const char* sw = "[8/4, 16/8]";  // 2 x 2 tiles
  auto w = rand(sw);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 8; ++j) w(i, j) = 0;  // tile (0, 0)
  const auto x = rand("[*/4, 16/8]");
  const auto cx = enc(x, "[*/4, 16/8]");
  sim.reset_counts();
  const auto pw = pack_plain(sim, w, TileTensorShape::parse(sw), top, s);
  const auto y = multiply_plain(sim, cx, pw);
  EXPECT_EQ(sim.counts()[Op::kEncode], 3u);
  EXPECT_EQ(sim.counts()[Op::kMultiplyPlain], 3u);
  EXPECT_TRUE(y.absent(0));
  const auto z = add(sim, y, y);
  EXPECT_EQ(sim.counts()[Op::kAdd], 3u);  // absent + absent stays absent, no add
  EXPECT_TRUE(z.absent(0));
  expect_near(unpack(sim, z), reference({8, 16}, w, x, [](double p, double q) { return 2 * p * q; }));
}

TEST_F(Ops, AddPlainToAnAbsentCiphertextTileIsRefused) {
  const char* sw = "[4/4, 8/8]";
  Tensor zero(TileTensorShape::parse(sw).tensor_dims());
  const auto y = multiply_plain(sim, enc(rand(sw), sw), pack_plain(sim, zero, TileTensorShape::parse(sw), top, s));
  EXPECT_TRUE(y.absent(0));
  EXPECT_THROW(add_plain(sim, y, pack_plain(sim, rand(sw), TileTensorShape::parse(sw), top, s * s)),
               hepex::InvalidArgument);
}

TEST_F(Ops, SumOverEachDimension) {
  const char* shape = "[5/2, 6/4, 3/4]";
  const auto x = rand(shape);
  const auto cx = enc(x, shape);
  const std::size_t tiles = cx.tile_count();  // 3 x 2 x 1
  struct Expect {
    std::size_t dim;
    const char* result;
    std::size_t log2t;
  };
  for (const Expect e : {Expect{0, "[*/2, 6/4, 3/4]", 1}, Expect{1, "[5/2, 1?/4, 3/4]", 2},
                         Expect{2, "[5/2, 6/4, 1?/4]", 2}}) {
    SCOPED_TRACE(e.dim);
    std::vector<std::size_t> dims = x.dims();
    dims[e.dim] = 1;
    Tensor want(dims);
    for (std::size_t i = 0; i < 5; ++i)
      for (std::size_t j = 0; j < 6; ++j)
        for (std::size_t k = 0; k < 3; ++k)
          want(e.dim == 0 ? 0 : i, e.dim == 1 ? 0 : j, e.dim == 2 ? 0 : k) += x(i, j, k);
    sim.reset_counts();
    const auto y = sum_over_dim(sim, cx, e.dim);
    EXPECT_EQ(y.shape().to_string(), e.result);
    expect_near(unpack(sim, y), want);
    const std::size_t out_tiles = y.tile_count(), along = tiles / out_tiles;
    EXPECT_EQ(sim.counts()[Op::kRotate], out_tiles * e.log2t);
    EXPECT_EQ(sim.counts()[Op::kAdd], out_tiles * (along - 1 + e.log2t));
    if (e.dim == 0) expect_layout(sim, y, want);  // replicated: every copy holds the sum
  }
  EXPECT_THROW(sum_over_dim(sim, sum_over_dim(sim, cx, 1), 1), hepex::InvalidArgument);  // unknowns
  EXPECT_THROW(sum_over_dim(sim, sum_over_dim(sim, cx, 0), 0), hepex::InvalidArgument);  // replicated
  EXPECT_THROW(sum_over_dim(sim, cx, 3), hepex::InvalidArgument);
}

// The rotate-and-sum with its first doublings as one hoisted sum (Backend::rotate_sum): the same sums, and the
// counts the planner's schedule assumes: per tile, hoisted - 1 rotations sharing one decomposition, then
// doublings; duplicate_over_dim alike. A count that is not a power of two is refused.
TEST_F(Ops, HoistedRotateAndSumGivesTheSameSumsWithFewerDecompositions) {
  const char* shape = "[5/2, 6/8, 3/2]";
  const auto x = rand(shape);
  const auto cx = enc(x, shape);
  Tensor want({5, 1, 3});
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 6; ++j)
      for (std::size_t k = 0; k < 3; ++k) want(i, 0, k) += x(i, j, k);
  for (const std::size_t hoisted : {1, 2, 4, 8, 16}) {
    SCOPED_TRACE(hoisted);
    sim.reset_counts();
    const auto y = sum_over_dim(sim, cx, 1, hoisted);
    EXPECT_EQ(y.shape().to_string(), "[5/2, 1?/8, 3/2]");
    expect_near(unpack(sim, y), want);
    const std::size_t tiles = y.tile_count(), baby = std::min<std::size_t>(hoisted, 8);
    const std::size_t doublings = baby == 8 ? 0 : baby == 4 ? 1 : baby == 2 ? 2 : 3;
    EXPECT_EQ(sim.counts()[Op::kRotate], tiles * (baby - 1 + doublings));
    EXPECT_EQ(sim.counts()[Op::kDecompose], tiles * ((baby > 1 ? 1 : 0) + doublings));
    EXPECT_EQ(sim.counts()[Op::kHoistedRotate], baby > 1 ? tiles : 0);
    const auto replicated = duplicate_over_dim(sim, clear_unknowns(sim, y), 1, hoisted);
    EXPECT_EQ(replicated.shape().to_string(), "[5/2, */8, 3/2]");
    expect_layout(sim, replicated, want);
  }
  EXPECT_THROW(sum_over_dim(sim, cx, 1, 3), hepex::InvalidArgument);
  EXPECT_THROW(sum_over_dim(sim, cx, 1, 0), hepex::InvalidArgument);
}

TEST_F(Ops, SumOverTheFirstNonTrivialTileDimensionReplicates) {
  const auto shape = TileTensorShape::parse("[3/1, 6/4, 5/8]");
  EXPECT_TRUE(sum_is_replicating(shape, 0));
  EXPECT_TRUE(sum_is_replicating(shape, 1));
  EXPECT_FALSE(sum_is_replicating(shape, 2));
  const auto x = rand("[3/1, 6/4, 5/8]");
  const auto y = sum_over_dim(sim, enc(x, "[3/1, 6/4, 5/8]"), 1);
  EXPECT_EQ(y.shape().to_string(), "[3/1, */4, 5/8]");
  Tensor want({3, 1, 5});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 6; ++j)
      for (std::size_t k = 0; k < 5; ++k) want(i, 0, k) += x(i, j, k);
  expect_layout(sim, y, want);
}

TEST_F(Ops, ClearUnknownsThenDuplicateRestoresAReplicatedLayout) {
  const char* shape = "[5/2, 6/4, 3/4]";
  const auto x = rand(shape);
  const auto summed = sum_over_dim(sim, enc(x, shape), 1);  // [5/2, 1?/4, 3/4]
  Tensor want({5, 1, 3});
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 6; ++j)
      for (std::size_t k = 0; k < 3; ++k) want(i, 0, k) += x(i, j, k);
  sim.reset_counts();
  const auto cleared = clear_unknowns(sim, summed);
  EXPECT_EQ(cleared.shape().to_string(), "[5/2, 1/4, 3/4]");
  EXPECT_EQ(*level_of(sim, cleared), top - 1);
  EXPECT_DOUBLE_EQ(sim.scale(cleared.tile(0)), s);
  EXPECT_EQ(sim.counts()[Op::kMultiplyPlain], cleared.tile_count());
  EXPECT_EQ(sim.counts()[Op::kRescale], cleared.tile_count());
  EXPECT_EQ(sim.counts()[Op::kEncode], 2u);  // full rows tiles and the partial last row tile share masks
  expect_layout(sim, cleared, want);        // zeros where the garbage was

  sim.reset_counts();
  const auto dup = duplicate_over_dim(sim, cleared, 1);
  EXPECT_EQ(dup.shape().to_string(), "[5/2, */4, 3/4]");
  EXPECT_EQ(sim.counts()[Op::kRotate], dup.tile_count() * 2);
  expect_layout(sim, dup, want);
  // The repaired layout is exactly what packing the sum replicated would give.
  const auto packed = enc(want, "[5/2, */4, 3/4]");
  for (std::size_t i = 0; i < dup.tile_count(); ++i)
    for (std::size_t k = 0; k < 32; ++k) ASSERT_NEAR(sim.peek(dup.tile(i))[k], sim.peek(packed.tile(i))[k], 1e-12);

  EXPECT_THROW(duplicate_over_dim(sim, summed, 1), hepex::InvalidArgument);  // unknowns not cleared
  EXPECT_THROW(duplicate_over_dim(sim, cleared, 0), hepex::InvalidArgument);  // size 5, not 1
  const auto none = clear_unknowns(sim, cleared);  // nothing to clear: no level used
  EXPECT_EQ(*level_of(sim, none), top - 1);
}

// The input of a layer that weighs the unknowns by zero: copy k of each tile holds the tile's position-0 values
// at position k (of the summed dimension), stacked at p t + k along the other; one hoisted rotation set per
// tile (t - 1 rotations, one decomposition); positions nobody reads stay absent and are not rotated.
TEST_F(Ops, StackedRotatedCopiesHoldPositionZeroAtEachPosition) {
  const char* shape = "[5/2, 6/4, 3/4]";
  const auto summed = sum_over_dim(sim, enc(rand(shape), shape), 1);  // [5/2, 1?/4, 3/4]
  sim.reset_counts();
  const auto copies = stack_rotated_copies(sim, summed, 1, 0);
  EXPECT_EQ(copies.shape().to_string(), "[24/2, */4, 3/4]");
  EXPECT_EQ(sim.counts()[Op::kRotate], summed.tile_count() * 3);
  EXPECT_EQ(sim.counts()[Op::kDecompose], summed.tile_count());
  EXPECT_EQ(sim.counts()[Op::kHoistedRotate], summed.tile_count());
  const std::size_t stride = summed.shape().slot_stride(1), slots = 32;
  for (std::size_t i = 0; i < copies.tile_count(); ++i) {
    auto pos = copies.shape().grid_position(i);
    const std::size_t k = pos[0] % 4;
    pos[0] /= 4;
    const auto& from = sim.peek(summed.tile(summed.shape().tile_index(pos)));
    const auto& got = sim.peek(copies.tile(i));
    for (std::size_t slot = 0; slot < slots; ++slot)
      if ((slot / stride) % 4 == k) ASSERT_NEAR(got[slot], from[(slot + slots - k * stride) % slots], 1e-12) << i;
  }
  // Only tile position 1 along dim 0 is read: the other positions' copies are absent, and nothing rotated them.
  sim.reset_counts();
  const auto some = stack_rotated_copies(sim, summed, 1, 0, {false, true, false});
  for (std::size_t i = 0; i < some.tile_count(); ++i)
    EXPECT_EQ(some.absent(i), some.shape().grid_position(i)[0] / 4 != 1) << i;
  EXPECT_EQ(sim.counts()[Op::kRotate], summed.tile_count() / 3 * 3);
  EXPECT_THROW(stack_rotated_copies(sim, summed, 0, 0), hepex::InvalidArgument);  // one dimension for both
  EXPECT_THROW(stack_rotated_copies(sim, summed, 0, 1), hepex::InvalidArgument);  // dim 0 holds 5 positions
  EXPECT_THROW(stack_rotated_copies(sim, summed, 1, 0, {true}), hepex::InvalidArgument);  // flags for 3 positions
}

// The copies made part by part (as a consumer summing over the stacked dimension reads them): each part holds
// exactly the whole stack's tiles at its positions and nothing else; parts aligned to the t copies of a tile
// rotate each tile once (the whole stack's counts), a boundary inside a tile's copies splits its rotations.
TEST_F(Ops, StackedCopiesInPartsAreTheWholeStacksTiles) {
  const char* shape = "[5/2, 6/4, 3/4]";
  const auto summed = sum_over_dim(sim, enc(rand(shape), shape), 1);  // [5/2, 1?/4, 3/4]
  const std::vector<bool> read{true, false, true};
  sim.reset_counts();
  const auto whole = stack_rotated_copies(sim, summed, 1, 0, read);
  const auto whole_counts = sim.counts();
  const std::size_t positions = whole.shape().dim(0).tile_count();  // 12
  for (std::size_t part : {1, 3, 4, 5, 8, 12}) {
    SCOPED_TRACE("part " + std::to_string(part));
    std::vector<int> seen(whole.tile_count(), 0);
    sim.reset_counts();
    for (std::size_t first = 0; first < positions; first += part) {
      const std::size_t last = std::min(positions, first + part);
      const auto got = stacked_copies_part(sim, summed, 1, 0, read, first, last);
      ASSERT_EQ(got.shape().to_string(), whole.shape().to_string());
      for (std::size_t i = 0; i < got.tile_count(); ++i) {
        const std::size_t p = got.shape().grid_position(i)[0];
        if (p < first || p >= last || whole.absent(i)) {
          EXPECT_TRUE(got.absent(i)) << i;
          continue;
        }
        ASSERT_FALSE(got.absent(i)) << i;
        ++seen[i];
        EXPECT_EQ(sim.peek(got.tile(i)), sim.peek(whole.tile(i))) << i;
      }
    }
    for (std::size_t i = 0; i < whole.tile_count(); ++i) EXPECT_EQ(seen[i], whole.absent(i) ? 0 : 1) << i;
    EXPECT_EQ(sim.counts()[Op::kRotate], whole_counts[Op::kRotate]);
    if (part % 4 == 0) EXPECT_EQ(sim.counts(), whole_counts);
    else EXPECT_GT(sim.counts()[Op::kDecompose], whole_counts[Op::kDecompose]);
  }
  EXPECT_THROW(stacked_copies_part(sim, summed, 1, 0, read, 5, 4), hepex::InvalidArgument);
  EXPECT_THROW(stacked_copies_part(sim, summed, 1, 0, read, 0, positions + 1), hepex::InvalidArgument);
}

TEST_F(Ops, LevelsMustAgree) {
  const char* shape = "[4/4, 8/8]";
  const auto a = enc(rand(shape), shape);
  const auto b = drop_to_level(sim, a, top - 1);
  EXPECT_THROW(add(sim, a, b), hepex::MismatchError);
  EXPECT_THROW(multiply(sim, a, b), hepex::MismatchError);
  EXPECT_THROW(add(sim, a, enc(rand("[4/4, 16/8]"), "[4/4, 16/8]")), hepex::MismatchError);
  const auto r = rescale(sim, multiply(sim, a, a));
  EXPECT_EQ(*level_of(sim, r), top - 1);
  EXPECT_DOUBLE_EQ(sim.scale(r.tile(0)), s * s / sim.modulus_at(top));
}
