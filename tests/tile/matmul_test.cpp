// Matrix-vector products on tile tensors against plain loops, with random zero tiles, in both orientations;
// operation counts checked against counts derived from the zero-tile pattern.
#include "tile/matmul.hpp"
#include "tile/ops.hpp"
#include "tile/pack.hpp"
#include "tile_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace hepex::tile;
using hepex::backend::Op;

namespace {

// Random m x n matrix; each (tr x tc) block is zero with probability 1/3.
DenseMatrix random_blocky(hepex::Csprng& rng, std::size_t m, std::size_t n, std::size_t tr, std::size_t tc) {
  DenseMatrix w{m, n, std::vector<double>(m * n)};
  for (auto& v : w.data) v = 2 * rng.next_double() - 1;
  for (std::size_t bi = 0; bi < m; bi += tr)
    for (std::size_t bj = 0; bj < n; bj += tc)
      if (rng.uniform_below(3) == 0)
        for (std::size_t i = bi; i < std::min(m, bi + tr); ++i)
          for (std::size_t j = bj; j < std::min(n, bj + tc); ++j) w.data[i * n + j] = 0;
  return w;
}

// y[i][b] = sum_j W[i][j] x[j][b]: the independent reference.
std::vector<double> reference(const DenseMatrix& w, const std::vector<double>& x, std::size_t batch) {
  std::vector<double> y(w.rows * batch, 0.0);
  for (std::size_t i = 0; i < w.rows; ++i)
    for (std::size_t j = 0; j < w.cols; ++j)
      for (std::size_t b = 0; b < batch; ++b) y[i * batch + b] += w(i, j) * x[j * batch + b];
  return y;
}

// Number of (row block, col block) blocks of W with a non-zero, and row blocks with any non-zero,
// where "row" is the output dimension m.
struct ZeroPattern {
  std::size_t present = 0, live_rows = 0;
};
ZeroPattern pattern(const DenseMatrix& w, std::size_t tr, std::size_t tc) {
  ZeroPattern p;
  for (std::size_t bi = 0; bi < w.rows; bi += tr) {
    bool row_live = false;
    for (std::size_t bj = 0; bj < w.cols; bj += tc) {
      bool nz = false;
      for (std::size_t i = bi; i < std::min(w.rows, bi + tr); ++i)
        for (std::size_t j = bj; j < std::min(w.cols, bj + tc); ++j) nz |= w(i, j) != 0;
      p.present += nz;
      row_live |= nz;
    }
    p.live_rows += row_live;
  }
  return p;
}

std::vector<double> random_input(hepex::Csprng& rng, std::size_t n) {
  std::vector<double> x(n);
  for (auto& v : x) v = 2 * rng.next_double() - 1;
  return x;
}

struct Run {
  std::vector<double> y;  // m x batch
  hepex::backend::OpCounts counts;
  std::string shape;
};

Run run(hepex::backend::SimBackend& sim, const DenseMatrix& w, const std::vector<double>& x, std::size_t batch,
        const std::vector<std::size_t>& tiles, Orientation o, BatchLayout layout = BatchLayout::kInner) {
  const auto s = sim.default_scale();
  const auto xs = input_shape(w.cols, batch, tiles, o, layout);
  const auto cx = pack_encrypted(sim, input_tensor(x, w.cols, batch, tiles.size(), o), xs, sim.max_level(), s);
  const auto pw = pack_matrix(sim, w, tiles, o, sim.max_level(), s, layout);
  auto r = matvec(sim, pw, cx, o);
  EXPECT_EQ(r.y.shape(), output_shape(w.rows, batch, tiles, o, layout));
  return {unpack(sim, r.y).data(), r.counts, r.y.shape().to_string()};
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-12) << i;
}

// Every slot of every present tile, replicated copies included, holds its element of `expected`.
void expect_every_copy(hepex::backend::SimBackend& sim, const CipherTileTensor& y, const Tensor& expected) {
  for (std::size_t i = 0; i < y.tile_count(); ++i) {
    if (y.absent(i)) continue;
    for (std::size_t sl = 0; sl < y.shape().slots_per_tile(); ++sl)
      ASSERT_NEAR(sim.peek(y.tile(i))[sl], tile_test::expected_slot(expected, y.shape(), i, sl), 1e-12);
  }
}

}  // namespace

TEST(Matvec, EqualsLoopsWithRandomZeroTilesInBothOrientations) {
  hepex::Csprng rng(hepex::seed_from_u64(8));
  auto sim = tile_test::make_sim(32);
  const std::vector<std::size_t> tiles{4, 2, 4};
  const std::size_t m = 11, n = 13, batch = 6, batch_tiles = 2;
  for (int trial = 0; trial < 5; ++trial) {
    for (Orientation o : {Orientation::kRows, Orientation::kTransposed}) {
      SCOPED_TRACE(o == Orientation::kRows ? "rows" : "transposed");
      // The output dimension m is tiled by t1 (kRows) or t2 (kTransposed).
      const std::size_t tm = o == Orientation::kRows ? tiles[0] : tiles[1];
      const std::size_t tn = o == Orientation::kRows ? tiles[1] : tiles[0];
      const auto w = random_blocky(rng, m, n, tm, tn);
      const auto x = random_input(rng, n * batch);
      const auto r = run(sim, w, x, batch, tiles, o);
      expect_near(r.y, reference(w, x, batch));
      EXPECT_EQ(r.shape, o == Orientation::kRows ? "[11/4, 1?/2, 6/4]" : "[*/4, 11/2, 6/4]");
      const auto p = pattern(w, tm, tn);
      const std::size_t log2t = o == Orientation::kRows ? 1 : 2;  // log2 of the summed tile size
      EXPECT_EQ(r.counts[Op::kMultiplyPlain], p.present * batch_tiles);
      EXPECT_EQ(r.counts[Op::kRotate], p.live_rows * log2t * batch_tiles);
      EXPECT_EQ(r.counts[Op::kAdd], (p.present - p.live_rows + p.live_rows * log2t) * batch_tiles);
      EXPECT_EQ(r.counts[Op::kEncode], 0u);  // weights were packed before: matvec encodes nothing
    }
  }
}

TEST(Matvec, WithoutBatchDimension) {
  hepex::Csprng rng(hepex::seed_from_u64(9));
  auto sim = tile_test::make_sim(32);
  const std::vector<std::size_t> tiles{4, 8};
  for (Orientation o : {Orientation::kRows, Orientation::kTransposed}) {
    const auto w = random_blocky(rng, 9, 20, 4, 8);
    const auto x = random_input(rng, 20);
    expect_near(run(sim, w, x, 1, tiles, o).y, reference(w, x, 1));
  }
}

TEST(Matvec, RotationsDropWhenWholeTileRowsAreZero) {
  hepex::Csprng rng(hepex::seed_from_u64(10));
  auto sim = tile_test::make_sim(32);
  const std::vector<std::size_t> tiles{4, 2, 4};
  for (Orientation o : {Orientation::kRows, Orientation::kTransposed}) {
    const std::size_t tm = o == Orientation::kRows ? tiles[0] : tiles[1];
    DenseMatrix w{8, 8, random_input(rng, 64)};
    const auto x = random_input(rng, 8 * 4);
    const auto dense = run(sim, w, x, 4, tiles, o);
    for (std::size_t i = 0; i < tm; ++i)
      for (std::size_t j = 0; j < 8; ++j) w.data[i * 8 + j] = 0;  // the first output tile row
    const auto pruned = run(sim, w, x, 4, tiles, o);
    expect_near(pruned.y, reference(w, x, 4));
    const std::size_t log2t = o == Orientation::kRows ? 1 : 2;
    EXPECT_EQ(dense.counts[Op::kRotate] - pruned.counts[Op::kRotate], log2t);
    EXPECT_LT(pruned.counts[Op::kMultiplyPlain], dense.counts[Op::kMultiplyPlain]);
  }
}

TEST(Matvec, TwoLayersChainThroughTheAlternatingLayouts) {
  // Layer 1 transposed: x [n/t1, */t2, B/t3] -> h [*/t1, m/t2, B/t3] is layer 2's kRows input as is.
  // Layer 2 kRows: -> y [p/t1, 1?/t2, B/t3]; clear_unknowns + duplicate_over_dim(1) give [p/t1, */t2, B/t3],
  // the transposed input layout of a third layer.
  hepex::Csprng rng(hepex::seed_from_u64(12));
  auto sim = tile_test::make_sim(32);
  const std::vector<std::size_t> tiles{4, 2, 4};
  const std::size_t n = 10, m = 7, p = 5, batch = 3;
  const auto w1 = random_blocky(rng, m, n, 2, 4), w2 = random_blocky(rng, p, m, 4, 2);
  const auto x = random_input(rng, n * batch);
  const double s = sim.default_scale();
  const int top = sim.max_level();
  const auto cx = pack_encrypted(sim, input_tensor(x, n, batch, 3, Orientation::kTransposed),
                                 input_shape(n, batch, tiles, Orientation::kTransposed), top, s);
  auto h = matvec(sim, pack_matrix(sim, w1, tiles, Orientation::kTransposed, top, s), cx, Orientation::kTransposed).y;
  h = rescale(sim, h);
  ASSERT_EQ(h.shape(), input_shape(m, batch, tiles, Orientation::kRows));
  auto y = matvec(sim, pack_matrix(sim, w2, tiles, Orientation::kRows, top - 1, s), h, Orientation::kRows).y;
  y = duplicate_over_dim(sim, clear_unknowns(sim, rescale(sim, y)), 1);
  EXPECT_EQ(y.shape().to_string(), "[5/4, */2, 3/4]");
  EXPECT_EQ(*level_of(sim, y), top - 3);
  const auto want = reference(w2, reference(w1, x, batch), batch);
  expect_near(unpack(sim, y).data(), want);
  expect_every_copy(sim, y, Tensor({p, 1, batch}, want));
}

TEST(Matvec, BatchOutermostInBothOrientations) {
  // With the batch outermost both products sum over an inner slot dimension: the results carry unknowns
  // along it, the values at position 0 are the product.
  hepex::Csprng rng(hepex::seed_from_u64(13));
  auto sim = tile_test::make_sim(32);
  const std::vector<std::size_t> tiles{4, 2, 4};
  const std::size_t m = 11, n = 13, batch = 6, batch_tiles = 2;
  for (Orientation o : {Orientation::kRows, Orientation::kTransposed}) {
    SCOPED_TRACE(o == Orientation::kRows ? "rows" : "transposed");
    const std::size_t tm = o == Orientation::kRows ? tiles[0] : tiles[1];
    const std::size_t tn = o == Orientation::kRows ? tiles[1] : tiles[0];
    const auto w = random_blocky(rng, m, n, tm, tn);
    const auto x = random_input(rng, n * batch);
    const auto r = run(sim, w, x, batch, tiles, o, BatchLayout::kOuter);
    expect_near(r.y, reference(w, x, batch));
    EXPECT_EQ(r.shape, o == Orientation::kRows ? "[11/4, 1?/2, ^6/4]" : "[1?/4, 11/2, ^6/4]");
    const auto p = pattern(w, tm, tn);
    const std::size_t log2t = o == Orientation::kRows ? 1 : 2;
    EXPECT_EQ(r.counts[Op::kMultiplyPlain], p.present * batch_tiles);
    EXPECT_EQ(r.counts[Op::kRotate], p.live_rows * log2t * batch_tiles);
  }
}

TEST(Matvec, BatchOutermostChainsThroughClearAndDuplicateInBothOrientations) {
  // x [n/t1, */t2, ^B/t3] -> transposed -> [1?/t1, m/t2, ^B/t3] -> clear, duplicate(0) -> [*/t1, m/t2, ^B/t3]
  // -> rows -> [p/t1, 1?/t2, ^B/t3] -> clear, duplicate(1) -> [p/t1, */t2, ^B/t3]: a third layer's input.
  // Weight tiles repeat with period t1 t2 = 8 (of 32 slots) and are held compact (byte counts).
  hepex::Csprng rng(hepex::seed_from_u64(14));
  auto sim = tile_test::make_sim(32, 5);
  const std::vector<std::size_t> tiles{4, 2, 4};
  const std::size_t n = 10, m = 7, p = 5, batch = 4;
  const auto w1 = random_blocky(rng, m, n, 2, 4), w2 = random_blocky(rng, p, m, 4, 2);
  const auto x = random_input(rng, n * batch);
  const double s = sim.default_scale();
  const int top = sim.max_level();
  const auto outer = BatchLayout::kOuter;
  const auto cx = pack_encrypted(sim, input_tensor(x, n, batch, 3, Orientation::kTransposed),
                                 input_shape(n, batch, tiles, Orientation::kTransposed, outer), top, s);
  const auto pw1 = pack_matrix(sim, w1, tiles, Orientation::kTransposed, top, s, outer);
  for (const auto& t : pw1.tiles())
    if (!t.empty()) EXPECT_EQ(sim.byte_size(t), hepex::backend::compact_plaintext_bytes(top, 8));
  auto h = matvec(sim, pw1, cx, Orientation::kTransposed).y;
  h = duplicate_over_dim(sim, clear_unknowns(sim, rescale(sim, h)), 0);
  ASSERT_EQ(h.shape(), input_shape(m, batch, tiles, Orientation::kRows, outer));
  auto y = matvec(sim, pack_matrix(sim, w2, tiles, Orientation::kRows, top - 2, s, outer), h, Orientation::kRows).y;
  y = duplicate_over_dim(sim, clear_unknowns(sim, rescale(sim, y)), 1);
  EXPECT_EQ(y.shape().to_string(), "[5/4, */2, ^4/4]");
  EXPECT_EQ(*level_of(sim, y), top - 4);
  const auto want = reference(w2, reference(w1, x, batch), batch);
  expect_near(unpack(sim, y).data(), want);
  expect_every_copy(sim, y, Tensor({p, 1, batch}, want));
}
