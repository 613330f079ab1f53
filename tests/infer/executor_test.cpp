// The executor on the simulator against the plaintext model (double), and the planner's counts, levels
// and rotation steps against what the executor actually does.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "backend/sim_backend.hpp"
#include "ckks/params.hpp"
#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "infer/plan.hpp"
#include "infer/schedule.hpp"
#include "infer/tile_pruning.hpp"
#include "tile/ops.hpp"
#include "infer_test_util.hpp"

namespace hepex::infer {
namespace {

using backend::Op;
using nn::Activation;
using testing::random_model;

constexpr std::size_t kT1 = 2, kT2 = 4, kRing = 128;  // 64 slots: t3 = 8

PlanOptions test_options(std::optional<tile::BatchLayout> layout = tile::BatchLayout::kInner,
                         UnknownsRepair repair = UnknownsRepair::kClearAndDuplicate,
                         std::optional<bool> sum_after_rescale = std::nullopt) {
  PlanOptions o;
  o.ring_degree = kRing;
  o.insecure = true;
  o.batch_layout = layout;
  o.unknowns_repair = {repair};
  o.sum_after_rescale = sum_after_rescale;
  return o;
}
const char* order_name(bool after) { return after ? "sum after the rescale" : "rescale after the sum"; }

// A network of the demo's shape (784-64-32-64-784, poly2), planned at N = 2^14 by the planner's own rules.
nn::Model demo_shaped_model() {
  return random_model({784, 64, 32, 64, 784}, std::vector<Activation>(4, Activation::poly2(0.1f, 0.5f, 0.1f, false)), 3);
}

constexpr tile::BatchLayout kLayouts[] = {tile::BatchLayout::kInner, tile::BatchLayout::kOuter};
const char* layout_name(tile::BatchLayout l) { return l == tile::BatchLayout::kOuter ? "batch outer" : "batch inner"; }
constexpr UnknownsRepair kRepairs[] = {UnknownsRepair::kClearAndDuplicate, UnknownsRepair::kMaskInNextWeights};
const char* repair_name(UnknownsRepair r) {
  return r == UnknownsRepair::kMaskInNextWeights ? "mask in next weights" : "clear and duplicate";
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

struct SimRun {
  std::vector<double> y;
  std::vector<LayerRun> runs;
  std::set<int> steps;
};

SimRun run_on_sim(const nn::Model& m, const Plan& plan, const std::vector<double>& x, std::size_t count, WeightMode mode,
                  std::size_t block_bytes = kOnTheFlyBlockBytes) {
  backend::SimBackend sim(plan.ckks.sim_params());
  const auto net = compile_for(m, plan);
  check_plan_matches(plan, net, "test");
  Executor ex(sim, net, plan.batch, mode, block_bytes);
  const auto ct = encrypt_input(sim, plan, x, count);
  sim.reset_counts();
  SimRun r;
  const auto y = ex.run(ct, &r.runs);
  r.steps = sim.rotation_steps();
  r.y = decrypt_output(sim, plan, y, count);
  return r;
}

TEST(InferExecutor, SimulatorEqualsPlaintextModel) {
  for (bool after : {false, true})
  for (auto repair : kRepairs)
  for (auto layout : kLayouts)
  for (bool permuted : {false, true}) {
    SCOPED_TRACE(std::string(layout_name(layout)) + ", " + repair_name(repair) + ", " + order_name(after));
    auto m = testing::pruned_model_2x4(7);
    if (permuted) {
      m.set_input_perm(testing::random_perm(16, 1));
      m.set_output_perm(testing::random_perm(7, 2));
    }
    const std::size_t batch = 11, count = 10;  // two batch tiles, the second partial; one sample left empty
    const Plan plan = make_plan(m, kT1, kT2, batch, test_options(layout, repair, after));
    EXPECT_EQ(plan.sum_after_rescale, after);
    const auto x = testing::random_inputs(count, 16, 3);
    const auto want = plain_outputs(m, x, count);
    for (auto mode : {WeightMode::kPreEncoded, WeightMode::kOnTheFly}) {
      const auto r = run_on_sim(m, plan, x, count, mode, /*block_bytes=*/1);  // one tile row per block
      EXPECT_LT(max_abs_diff(r.y, want), 1e-9) << "permuted " << permuted << " mode " << weight_mode_name(mode);
    }
    // The float model agrees too (float rounding only).
    nn::RowMatrix xf(count, 16);
    for (std::size_t i = 0; i < x.size(); ++i) xf.data()[i] = float(x[i]);
    const nn::RowMatrix yf = m.forward(xf);
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(want[i], yf.data()[i], 1e-4 * (1 + std::abs(want[i])));
  }
}

TEST(InferExecutor, AffineAndIdentityActivationsCostNoLevel) {
  auto m = random_model({8, 8, 8, 6}, {Activation::poly2(0.f, 0.7f, 0.2f, false), Activation::square(), Activation::identity()}, 5);
  for (auto layout : kLayouts) {
    SCOPED_TRACE(layout_name(layout));
    const Plan plan = make_plan(m, kT1, kT2, 8, test_options(layout));
    // Layer 0: product only (affine folded; with the batch outermost + clear); layer 1: product + clear +
    // square; layer 2: product.
    // Layer 2 (transposed) sums over an inner slot dimension only with the batch outermost: the output clear.
    EXPECT_EQ(plan.depth, layout == tile::BatchLayout::kOuter ? 2 + 3 + 2 : 1 + 3 + 1);
    const auto x = testing::random_inputs(8, 8, 9);
    const auto r = run_on_sim(m, plan, x, 8, WeightMode::kPreEncoded);
    EXPECT_LT(max_abs_diff(r.y, plain_outputs(m, x, 8)), 1e-9);
  }
}

// Every slot of the decrypted outputs is an output value (or a replica, or zero): the last layer's partial
// sums of weight x input products never reach the client. Checked on the simulator (exact values), for a
// last layer that sums over an inner slot dimension (rows, and transposed with the batch outermost) and
// one that does not (transposed, batch inner: a replicated result, nothing to clear).
TEST(InferExecutor, OnlyOutputsReachTheClient) {
  const auto act = Activation::poly2(0.3f, 0.9f, 0.1f, false);
  for (bool after : {false, true})
  for (auto repair : kRepairs)
  for (std::size_t layers : {3, 4})
    for (auto layout : kLayouts) {
      SCOPED_TRACE(std::string(layout_name(layout)) + ", " + std::to_string(layers) + " layers, " + repair_name(repair) +
                   ", " + order_name(after));
      std::vector<int> widths{16, 12, 10, 9, 7};
      widths.resize(layers + 1);
      const auto m = random_model(widths, std::vector<Activation>(layers, act), 11);
      const std::size_t batch = 11, count = 10;
      const Plan plan = make_plan(m, kT1, kT2, batch, test_options(layout, repair, after));
      backend::SimBackend sim(plan.ckks.sim_params());
      const auto net = compile_for(m, plan);
      Executor ex(sim, net, plan.batch, WeightMode::kPreEncoded);
      auto x = testing::random_inputs(count, std::size_t(widths.front()), 3);
      const auto y = ex.run(encrypt_input(sim, plan, x, count));
      x.resize(batch * std::size_t(widths.front()), 0.0);  // the empty batch slot carries f(0)
      const auto outputs = plain_outputs(m, x, batch);
      std::size_t nonzero = 0;
      for (std::size_t i = 0; i < y.tile_count(); ++i) {
        if (y.absent(i)) continue;
        for (double v : sim.decrypt(y.tile(i))) {
          if (std::abs(v) < 1e-9) continue;
          ++nonzero;
          double nearest = std::numeric_limits<double>::infinity();
          for (double o : outputs) nearest = std::min(nearest, std::abs(v - o));
          ASSERT_LT(nearest, 1e-9) << "tile " << i << " hands the client " << v << ", which is no output";
        }
      }
      EXPECT_GE(nonzero, outputs.size() / 2);  // the outputs themselves are there
    }
}

TEST(InferPlanner, CountsLevelsAndRotationStepsMatchTheExecutor) {
  const auto m = testing::pruned_model_2x4(11);
  const std::size_t batch = 11;
  for (bool after : {false, true})
  for (auto repair : kRepairs)
  for (auto layout : kLayouts)
  for (std::size_t hoisted : {1, 2, 4}) {
  SCOPED_TRACE(std::string(layout_name(layout)) + ", hoisted " + std::to_string(hoisted) + ", " + repair_name(repair) +
               ", " + order_name(after));
  PlanOptions options = test_options(layout, repair, after);
  options.hoisted_rotations = hoisted;
  const Plan plan = make_plan(m, kT1, kT2, batch, options);
  EXPECT_EQ(plan.hoisted_rotations, hoisted);
  // On the fly a block per tile row (copies stacked whole), pre-encoded one block (copies made as read).
  for (auto mode : {WeightMode::kOnTheFly, WeightMode::kPreEncoded}) {
  const auto r = run_on_sim(m, plan, testing::random_inputs(batch, 16, 4), batch, mode, 1);
  ASSERT_EQ(r.runs.size(), plan.layers.size());
  for (std::size_t l = 0; l < plan.layers.size(); ++l) {
    auto measured = r.runs[l].counts;
    measured[Op::kEncode] = 0;  // weight, bias and mask encodings are not part of the estimate
    EXPECT_EQ(measured, plan.layers[l].counts) << weight_mode_name(mode) << " layer " << l << ": measured "
                                               << measured.to_string() << " planned " << plan.layers[l].counts.to_string();
    EXPECT_EQ(r.runs[l].level_in, plan.layers[l].level_in);
    EXPECT_EQ(r.runs[l].level_out, plan.layers[l].level_out);
  }
  EXPECT_EQ(plan.layers.back().level_out, 0);  // the chain is exactly as deep as the network
  EXPECT_EQ(std::vector<int>(r.steps.begin(), r.steps.end()), plan.rotation_steps);
  }
  }
}

TEST(InferPlanner, ZeroTilesAreNeitherStoredNorMultiplied) {
  const auto m = testing::pruned_model_2x4(13);
  const Plan plan = make_plan(m, kT1, kT2, 11, test_options());
  // Grids: 12x16 transposed (tiles of 4 rows x 2 columns): 3 x 8; 10x12 rows (2 x 4): 5 x 3;
  // 9x10 transposed: 3 x 5; 7x9 rows: 4 x 3.
  const std::vector<std::size_t> total = {24, 15, 15, 12};
  // Zeroed: 2 tiles; one tile row of 3; one tile + the tile column of layer 1's dead neurons 2, 3 (folded
  // constants: column 1 of 3 tiles); one tile row of 3.
  const std::vector<std::size_t> kept = {22, 12, 11, 9};
  // ct x pt products per batch tile: kept tiles, plus the clear-unknowns masks of layer 1's 4 live rows and
  // the output clear of layer 3's 4 rows (the dead one's trivial ciphertexts too).
  const std::vector<std::size_t> products = {22, 12 + 4, 11, 9 + 4};
  const std::size_t nb = 2;
  for (std::size_t l = 0; l < 4; ++l) {
    EXPECT_EQ(plan.layers[l].tiles_total, total[l]) << l;
    EXPECT_EQ(plan.layers[l].tiles_kept, kept[l]) << l;
    EXPECT_EQ(plan.layers[l].counts[Op::kMultiplyPlain], products[l] * nb) << l;
  }
  EXPECT_EQ(plan.layers[1].dead_tile_rows, 1u);
  EXPECT_EQ(plan.layers[3].dead_tile_rows, 1u);
  EXPECT_TRUE(plan.layers[3].fill_dead_rows);
  EXPECT_EQ(plan.layers[3].counts[Op::kMultiplyConst], nb);  // the dead row's trivial ciphertexts (a > 0: no sign)
}

TEST(InferPlanner, CostFollowsTheTilesKept) {
  auto dense = random_model({32, 16, 32}, {Activation::square(), Activation::identity()}, 23);
  auto pruned = dense;
  const std::size_t zeroed = zero_random_tiles(pruned, kT1, kT2, 0.5, 1);
  const Plan a = make_plan(dense, kT1, kT2, 8, test_options()), b = make_plan(pruned, kT1, kT2, 8, test_options());
  // 16x32 transposed: 4 x 16 tiles; 32x16 rows: 16 x 4 tiles; half of each zeroed.
  EXPECT_EQ(zeroed, 32u + 32u);
  std::size_t kept_a = 0, kept_b = 0, mult_a = 0, mult_b = 0;
  for (std::size_t l = 0; l < 2; ++l) {
    kept_a += a.layers[l].tiles_kept;
    kept_b += b.layers[l].tiles_kept;
    mult_a += a.layers[l].counts[Op::kMultiplyPlain];
    mult_b += b.layers[l].counts[Op::kMultiplyPlain];
  }
  EXPECT_EQ(kept_a, 128u);
  EXPECT_EQ(kept_b, 64u);
  // Besides weight tiles, only the output clear's masks: one per output tile row (16 of 2 rows), pruned or not.
  const std::size_t clear_masks = 16;
  EXPECT_EQ((mult_b - clear_masks) * 2, mult_a - clear_masks);
  // Weight bytes halve; the biases (not pruned) keep the ratio a little above one half.
  const double ratio = double(b.preencoded_weight_bytes) / double(a.preencoded_weight_bytes);
  EXPECT_GT(ratio, 0.5);
  EXPECT_LT(ratio, 0.55);
  const auto x = testing::random_inputs(8, 32, 2);
  EXPECT_LT(max_abs_diff(run_on_sim(pruned, b, x, 8, WeightMode::kPreEncoded).y, plain_outputs(pruned, x, 8)), 1e-9);
}

TEST(InferPlanner, RefusesNonPolynomialActivations) {
  for (auto act : {Activation::relu(), Activation::sigmoid()}) {
    const auto m = random_model({8, 8, 6}, {act, Activation::identity()}, 3);
    try {
      make_plan(m, kT1, kT2, 4, test_options());
      FAIL() << "accepted " << act.format();
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(act.format()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("layer 0"), std::string::npos) << e.what();
    }
  }
}

TEST(InferPlanner, RefusesAModelWhoseOutputIsConstant) {
  auto m = random_model({8, 8, 6}, {Activation::square(), Activation::identity()}, 3);
  m.layers()[0].W.setZero();
  EXPECT_THROW(make_plan(m, kT1, kT2, 4, test_options()), InvalidArgument);
  // A model without layers: refused by name under every repair choice (none, both uniform ones).
  for (auto repair : kRepairs) EXPECT_THROW(make_plan(nn::Model{}, kT1, kT2, 4, test_options({}, repair)), InvalidArgument);
  PlanOptions chosen = test_options();
  chosen.unknowns_repair.clear();
  EXPECT_THROW(make_plan(nn::Model{}, kT1, kT2, 4, chosen), InvalidArgument);
}

// Repairing a hidden layer's unknowns in the next layer's weights: one level less per such layer, the next
// layer multiplies one product tile per output position k of each weight tile whose rows i = k (mod t) hold a
// non-zero weight (counted here from the compiled weights, not from product_weights), and the rotations move
// to the copies (t - 1 per output tile row the next layer reads).
TEST(InferPlanner, MaskInNextWeightsSavesALevelPerRepairedLayer) {
  const auto m = testing::pruned_model_2x4(13);
  const std::size_t batch = 11, nb = 2;
  for (auto layout : kLayouts) {
    SCOPED_TRACE(layout_name(layout));
    const Plan cleared = make_plan(m, kT1, kT2, batch, test_options(layout));
    const Plan folded = make_plan(m, kT1, kT2, batch, test_options(layout, UnknownsRepair::kMaskInNextWeights));
    const auto net = compile_for(m, folded);
    int repaired = 0;
    for (std::size_t l = 0; l < cleared.layers.size(); ++l) {
      EXPECT_EQ(folded.layers[l].unknowns_to_next, cleared.layers[l].clear_and_duplicate) << l;
      EXPECT_FALSE(folded.layers[l].clear_and_duplicate) << l;
      EXPECT_EQ(folded.layers[l].input_copies, l > 0 && folded.layers[l - 1].unknowns_to_next) << l;
      repaired += cleared.layers[l].clear_and_duplicate ? 1 : 0;
    }
    EXPECT_GT(repaired, 0);
    EXPECT_EQ(folded.depth, cleared.depth - repaired);
    for (std::size_t l = 1; l < net.layers.size(); ++l) {
      const CompiledLayer& L = net.layers[l];
      if (!L.input_copies) continue;
      std::size_t tiles = 0;
      for (std::size_t r = 0; r * L.out_tile < L.out(); ++r)
        for (std::size_t c = 0; c * L.in_tile < L.in(); ++c)
          for (std::size_t k = 0; k < L.out_tile; ++k) {
            bool nonzero = false;
            const std::size_t i = r * L.out_tile + k;
            for (std::size_t j = c * L.in_tile; i < L.out() && j < std::min(L.in(), (c + 1) * L.in_tile); ++j)
              nonzero = nonzero || L.weights(i, j) != 0.0;
            tiles += nonzero ? 1 : 0;
          }
      EXPECT_EQ(L.product_tiles_kept(), tiles) << l;
      EXPECT_GT(tiles, L.tiles_kept()) << l;
      // Products: the product tiles, plus the output clear's masks in the last layer.
      const auto& lp = folded.layers[l];
      const std::size_t masks = lp.clear_output ? (L.dead_tile_rows.size() - lp.dead_tile_rows + (lp.fill_dead_rows ? lp.dead_tile_rows : 0)) : 0;
      EXPECT_EQ(lp.counts[Op::kMultiplyPlain], (tiles + masks) * nb) << l;
      // The copies: t - 1 rotations per output tile row of the previous layer that this one reads.
      const CompiledLayer& prev = net.layers[l - 1];
      std::size_t read = 0;
      for (std::size_t r = 0; r < prev.dead_tile_rows.size(); ++r) read += !prev.dead_tile_rows[r] && L.column_read(r) ? 1 : 0;
      const std::uint64_t copies = (prev.in_tile - 1) * read * nb;
      EXPECT_GE(folded.layers[l - 1].counts[Op::kRotate], copies) << l - 1;
    }
  }
}

// A chain whose plaintext levels take narrow primes: 31 bits after every plaintext product whatever the scale,
// the squares' primes at the scale and then widened by the room left (two bits at a time, at most to the first
// prime), so that the weights can be encoded above their prime.
TEST(InferPlanner, PlaintextLevelsTakeNarrowPrimes) {
  using R = Rescale;
  const std::vector<R> levels{R::kAfterPlain, R::kAfterSquare, R::kAfterPlain, R::kAfterSquare, R::kAfterPlain,
                              R::kAfterSquare, R::kAfterPlain, R::kAfterPlain};
  const auto c = choose_ckks(levels, 32, PlanOptions{});
  EXPECT_EQ(c.ring_degree, 16384u);
  EXPECT_EQ(c.scale_bits, 40);
  ASSERT_EQ(c.data_bits.size(), levels.size() + 1);
  EXPECT_EQ(c.data_bits[0], 52);
  int squares = 0;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const int bits = c.data_bits[levels.size() - i];
    if (levels[i] == R::kAfterPlain) {
      EXPECT_EQ(bits, 31) << i;
    } else {
      EXPECT_GE(bits, 40) << i;
      EXPECT_LE(bits, 52) << i;
      EXPECT_EQ((bits - 40) % 2, 0) << i;
      squares = bits;
    }
  }
  // 52 + 5 x 31 + 3 x 52 + 60 = 423 <= 438: the squares grow to the first prime's 52 bits.
  EXPECT_EQ(squares, 52);
  EXPECT_LE(c.total_bits(), 438);
  EXPECT_EQ(c.dnum, levels.size() + 1);  // narrow primes: one per digit
  // Scales up to 2^31 keep every prime narrow and the chain as it was.
  PlanOptions narrow;
  narrow.max_scale_bits = 31;
  const auto n = choose_ckks(levels, 32, narrow);
  EXPECT_EQ(n.data_bits, std::vector<int>({43, 31, 31, 31, 31, 31, 31, 31, 31}));
  narrow.min_scale_bits = 35;
  EXPECT_THROW(choose_ckks(levels, 32, narrow), InvalidArgument);  // the largest below the smallest
}

// Unless told, the rescale goes before the rotate-and-sum where the scale is large enough for the summed noise
// (kSumAfterRescaleMinScaleBits); the rotations then run, and their keys are kept, one level lower.
TEST(InferPlanner, RescalesBeforeTheSumAtLargeScales) {
  const auto m = demo_shaped_model();
  PlanOptions o;
  o.batch_layout = tile::BatchLayout::kOuter;
  const Plan large = make_plan(m, 4, 8, 256, o);
  EXPECT_EQ(large.ckks.scale_bits, 40);
  EXPECT_TRUE(large.sum_after_rescale);
  o.max_scale_bits = 31;
  EXPECT_FALSE(make_plan(m, 4, 8, 256, o).sum_after_rescale);
  o.sum_after_rescale = true;
  EXPECT_TRUE(make_plan(m, 4, 8, 256, o).sum_after_rescale);
  // The same chain and counts either way; the summing rotations' keys one level lower, and the estimate lower.
  o.max_scale_bits = PlanOptions{}.max_scale_bits;
  o.sum_after_rescale = false;
  const Plan before = make_plan(m, 4, 8, 256, o);
  ASSERT_EQ(before.ckks.data_bits, large.ckks.data_bits);
  ASSERT_EQ(before.rotation_steps, large.rotation_steps);
  bool lower = false;
  for (std::size_t i = 0; i < before.rotation_steps.size(); ++i) {
    EXPECT_LE(large.rotation_key_levels[i], before.rotation_key_levels[i]) << before.rotation_steps[i];
    lower = lower || large.rotation_key_levels[i] < before.rotation_key_levels[i];
  }
  EXPECT_TRUE(lower);
  for (std::size_t l = 0; l < before.layers.size(); ++l) EXPECT_EQ(large.layers[l].counts, before.layers[l].counts) << l;
  EXPECT_LT(large.est_latency_s(), before.est_latency_s());
  EXPECT_LT(large.eval_key_bytes, before.eval_key_bytes);
}

// The planner's own choice per layer: among every combination it takes the largest scale, then the lowest
// estimated latency, so neither uniform choice beats it (a demo-shaped network at N = 2^14).
TEST(InferPlanner, ChoosesTheRepairPerLayer) {
  const auto m = demo_shaped_model();
  PlanOptions o;
  o.batch_layout = tile::BatchLayout::kOuter;
  const Plan chosen = make_plan(m, 4, 8, 256, o);
  for (auto repair : kRepairs) {
    o.unknowns_repair = {repair};
    const Plan uniform = make_plan(m, 4, 8, 256, o);
    EXPECT_GE(chosen.ckks.scale_bits, uniform.ckks.scale_bits) << repair_name(repair);
    if (chosen.ckks.scale_bits == uniform.ckks.scale_bits) {  // the precision check may take a slower one
      EXPECT_LE(chosen.est_latency_s(), (1 + o.precision_latency_slack) * uniform.est_latency_s()) << repair_name(repair);
    }
  }
  // Depth 11 (every unknown cleared) only fits 2^31; repairing in the weights buys the scale.
  EXPECT_EQ(chosen.ckks.scale_bits, 40);
}

// The user's repair per hidden layer (`hepex plan --unknowns a,b,c`): each layer with unknowns takes its own
// (a layer without ignores its entry), the depth drops by one per layer repaired in the next weights, and
// every mixed plan computes the plaintext model's outputs on the simulator; a list of another length than the
// hidden layers is refused, and so is a list with anything but the two names.
TEST(InferPlanner, TakesTheUsersRepairPerLayer) {
  using R = UnknownsRepair;
  const auto act = Activation::poly2(0.3f, 0.9f, 0.1f, false);
  const auto m = random_model({16, 12, 8, 12, 7}, {act, act, act, Activation::identity()}, 11);
  const std::size_t hidden = 3, batch = 11, count = 10;
  const auto x = testing::random_inputs(count, 16, 5);
  const auto want = plain_outputs(m, x, count);
  for (auto layout : kLayouts) {
    SCOPED_TRACE(layout_name(layout));
    const Plan cleared = make_plan(m, kT1, kT2, batch, test_options(layout));
    int with_unknowns = 0;
    for (std::size_t l = 0; l < hidden; ++l) with_unknowns += cleared.layers[l].clear_and_duplicate ? 1 : 0;
    // Batch inner, only the layers summed over rows leave unknowns; batch outer, every layer followed by
    // another (so there the mixed patterns differ).
    ASSERT_GE(with_unknowns, layout == tile::BatchLayout::kOuter ? 3 : 1);
    for (unsigned bits = 0; bits < (1u << hidden); ++bits) {
      SCOPED_TRACE("in next weights: mask " + std::to_string(bits));
      PlanOptions o = test_options(layout);
      o.unknowns_repair.clear();
      for (std::size_t l = 0; l < hidden; ++l)
        o.unknowns_repair.push_back((bits >> l) & 1 ? R::kMaskInNextWeights : R::kClearAndDuplicate);
      const Plan p = make_plan(m, kT1, kT2, batch, o);
      int repaired = 0;
      for (std::size_t l = 0; l < hidden; ++l) {
        const bool has = cleared.layers[l].clear_and_duplicate, next = (bits >> l) & 1;
        EXPECT_EQ(p.layers[l].unknowns_to_next, has && next) << l;
        EXPECT_EQ(p.layers[l].clear_and_duplicate, has && !next) << l;
        repaired += has && next ? 1 : 0;
      }
      EXPECT_EQ(p.depth, cleared.depth - repaired);
      EXPECT_LT(max_abs_diff(run_on_sim(m, p, x, count, WeightMode::kPreEncoded).y, want), 1e-9);
    }
  }
  PlanOptions two = test_options();
  two.unknowns_repair = {R::kClearAndDuplicate, R::kMaskInNextWeights};
  EXPECT_THROW(make_plan(m, kT1, kT2, batch, two), InvalidArgument);
  EXPECT_TRUE(parse_unknowns_repair_choice("auto").empty());
  EXPECT_EQ(parse_unknowns_repair_choice("mask-in-next-weights,clear-and-duplicate,mask-in-next-weights"),
            (std::vector<R>{R::kMaskInNextWeights, R::kClearAndDuplicate, R::kMaskInNextWeights}));
  EXPECT_EQ(parse_unknowns_repair_choice("clear-and-duplicate"), std::vector<R>{R::kClearAndDuplicate});
  for (const char* bad : {"", "clear", "mask-in-next-weights,", ",clear-and-duplicate", "auto,auto"})
    EXPECT_THROW(parse_unknowns_repair_choice(bad), InvalidArgument) << bad;
}

// A hidden layer repaired in the next layer's weights leaves its outputs and their in_tile rotated copies in
// memory at once: the peak estimate's working set (beyond weights and keys) holds at least the copies.
TEST(InferPlanner, PeakEstimateCountsTheRotatedCopiesHeld) {
  // Layer 0's 256 outputs: 32 tile rows of 8, 4 copies each, 4 parts of the next layer's sum.
  const auto m = random_model({784, 256, 32, 64, 784}, std::vector<Activation>(4, Activation::poly2(0.1f, 0.5f, 0.1f, false)), 3);
  PlanOptions o;
  o.batch_layout = tile::BatchLayout::kOuter;
  o.unknowns_repair = {UnknownsRepair::kMaskInNextWeights, UnknownsRepair::kClearAndDuplicate,
                       UnknownsRepair::kClearAndDuplicate};
  const Plan p = make_plan(m, 4, 8, 256, o);
  ASSERT_TRUE(p.layers[0].unknowns_to_next);
  const CompiledNetwork net = compile_for(m, p);
  const std::size_t copies = net.layers[0].dead_tile_rows.size() * p.batch_tiles() * net.layers[0].in_tile;
  const std::size_t ct_bytes = 2 * std::size_t(p.layers[0].level_out + 1) * p.ckks.ring_degree * 8;
  // On the fly the next layer reads them once per block: all held at once. Pre-encoded they are made a part
  // at a time as the next layer reads them (Executor::run).
  // (Besides the weights: ciphertexts and the keys of the layer that holds them.)
  const std::size_t held_on_the_fly = p.est_peak_bytes_onthefly - p.onthefly_weight_bytes;
  const std::size_t held_preencoded = p.est_peak_bytes_preencoded - p.preencoded_weight_bytes;
  ASSERT_GT(copies, kInputPartPositions * p.batch_tiles());
  EXPECT_GE(held_on_the_fly, copies * ct_bytes);
  EXPECT_LT(held_preencoded, held_on_the_fly);
}

TEST(InferPlanner, PicksTheSmallestSecureRing) {
  // Chains are (s + 12) + depth * s + special (s + 20, at most 60) bits. Depth 8 at the largest scale, 2^40:
  // 52 + 320 + 60 = 432 <= 438 at N = 16384; depth 9 does not fit 2^40 (472 bits) and drops to 2^36.
  const auto c = choose_ckks(8, 32, PlanOptions{});
  EXPECT_EQ(c.ring_degree, 16384u);
  EXPECT_EQ(c.scale_bits, 40);
  EXPECT_LE(c.total_bits(), 438);
  EXPECT_EQ(c.data_bits.size(), 9u);
  EXPECT_EQ(choose_ckks(9, 32, PlanOptions{}).scale_bits, 36);  // 2^37: 49 + 333 + 57 = 439 > 438
  // depth 3 at N = 8192 (218 bits): (s + 12) + 3 s + (s + 20) <= 218 gives s = 37.
  const auto small = choose_ckks(3, 32, PlanOptions{});
  EXPECT_EQ(small.ring_degree, 8192u);
  EXPECT_EQ(small.scale_bits, 37);
  // More slots than N = 8192 has: the next ring.
  EXPECT_EQ(choose_ckks(3, 8192, PlanOptions{}).ring_degree, 16384u);
  // Room left under the bound buys fewer, wider digits: at N = 2^15 the demo's depth 11 at 2^40 takes
  // 492 + 60 of 881 bits with one prime per digit; two digits of 6 primes (52 + 5 x 40 = 252 bits) need
  // special primes of >= 272 bits: 5 x 55, 767 bits. One digit (P >= 512 bits) would not fit.
  PlanOptions big;
  big.ring_degree = 32768;
  const auto wide = choose_ckks(11, 32, big);
  EXPECT_EQ(wide.scale_bits, 40);
  EXPECT_EQ(wide.dnum, 2u);
  EXPECT_EQ(wide.special_bits, std::vector<int>(5, 55));
  EXPECT_LE(wide.total_bits(), 881);
  const hepex::ckks::CkksParameters params = hepex::ckks::CkksParameters::from_bit_sizes(wide.ring_degree, wide.data_bits,
                                                                           wide.special_bits, wide.dnum);
  EXPECT_EQ(params.dnum(), 2u);  // the engine accepts it as is (P >= every digit, 128-bit)
  // At N = 2^16 one digit would fit the bound (P >= 512 bits) but needs 9 special primes, more than a plan
  // may hold: two digits.
  big.ring_degree = 65536;
  const auto huge = choose_ckks(11, 32, big);
  EXPECT_LE(huge.special_bits.size(), PlanLimits::kMaxSpecialPrimes);
  EXPECT_EQ(huge.dnum, 2u);
  // Where the bound leaves no room for a second special prime, one prime per digit stays.
  EXPECT_EQ(c.dnum, 9u);
}

TEST(InferPlanner, JsonRoundTripAndValidation) {
  auto m = testing::pruned_model_2x4(17);
  m.set_input_perm(testing::random_perm(16, 5));
  const Plan p = make_plan(m, kT1, kT2, 11, test_options());
  const Plan q = Plan::from_json(p.to_json(), "plan");
  EXPECT_EQ(q.to_json(), p.to_json());
  auto j = p.to_json();
  j["tile"] = {2, 4, 16};
  EXPECT_THROW(Plan::from_json(j, "bad.json"), FormatError);
  j = p.to_json();
  j.erase("ckks");
  EXPECT_THROW(Plan::from_json(j, "bad.json"), FormatError);
  // Rotations per hoisted sum: a power of two up to 64; absent (plans before hoisting) means 1.
  for (int bad : {0, 3, 128}) {
    j = p.to_json();
    j["hoisted_rotations"] = bad;
    EXPECT_THROW(Plan::from_json(j, "bad.json"), FormatError) << bad;
  }
  j = p.to_json();
  j.erase("hoisted_rotations");
  EXPECT_EQ(Plan::from_json(j, "old.json").hoisted_rotations, 1u);
  // Where the rescale goes round-trips into the network; plans from before it rescale after the sum.
  for (bool after : {false, true}) {
    const Plan o = make_plan(m, kT1, kT2, 11, test_options(tile::BatchLayout::kInner, UnknownsRepair::kClearAndDuplicate, after));
    const Plan r = Plan::from_json(o.to_json(), "plan");
    EXPECT_EQ(r.sum_after_rescale, after);
    EXPECT_EQ(compile_for(m, r).sum_after_rescale, after);
  }
  j = p.to_json();
  j.erase("sum_after_rescale");
  EXPECT_FALSE(Plan::from_json(j, "old.json").sum_after_rescale);
  j["sum_after_rescale"] = 1;
  EXPECT_THROW(Plan::from_json(j, "bad.json"), FormatError);
  // The repair of the unknowns per layer round-trips and rebuilds the same network; plans from before it
  // have no flags (cleared everywhere).
  const Plan folded = make_plan(m, kT1, kT2, 11, test_options(tile::BatchLayout::kOuter, UnknownsRepair::kMaskInNextWeights));
  const Plan back = Plan::from_json(folded.to_json(), "plan");
  EXPECT_EQ(back.to_json(), folded.to_json());
  EXPECT_EQ(compile_for(m, back).depth(), folded.depth);
  j = folded.to_json();
  for (auto& l : j["layers"]) {
    l.erase("unknowns_to_next");
    l.erase("input_copies");
  }
  EXPECT_NO_THROW(check_plan_matches(folded, compile_for(m, folded), "test"));
  EXPECT_THROW(check_plan_matches(Plan::from_json(j, "old.json"), compile_for(m, Plan::from_json(j, "old.json")), "test"),
               MismatchError);  // the old reading clears: more levels than the plan's depth
  j["layers"][0]["unknowns_to_next"] = "yes";
  EXPECT_THROW(Plan::from_json(j, "bad.json"), FormatError);
  PlanOptions three = test_options();
  three.hoisted_rotations = 3;
  EXPECT_THROW(make_plan(m, kT1, kT2, 11, three), InvalidArgument);
  // Unread input rows: increasing, inside the input's 8 rows, not all of them; absent in older plans.
  j = p.to_json();
  j.erase("unread_input_rows");
  EXPECT_TRUE(Plan::from_json(j, "old.json").unread_input_rows.empty());
  for (const auto& bad : {std::vector<int>{8}, std::vector<int>{3, 2}, std::vector<int>{1, 1}, std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}}) {
    j["unread_input_rows"] = bad;
    EXPECT_THROW(Plan::from_json(j, "bad.json"), FormatError) << bad.size();
  }
  j["unread_input_rows"] = {0, 7};
  EXPECT_EQ(Plan::from_json(j, "ok.json").unread_input_rows, (std::vector<std::size_t>{0, 7}));
}

// The first layer's input tile rows of zero weights are the plan's unread rows: the executor runs without
// their tiles (absent) to the same outputs, and still refuses a missing tile of a row it reads.
TEST(InferExecutor, PrunedInputRowsNeedNoTiles) {
  auto m = testing::pruned_model_2x4(23);
  auto& W = m.layers()[0].W;
  for (int j = 2 * int(kT1); j < 3 * int(kT1); ++j) W.col(j).setZero();  // input tile row 2
  const Plan plan = make_plan(m, kT1, kT2, 11, test_options());
  EXPECT_EQ(plan.unread_input_rows, (std::vector<std::size_t>{2}));
  EXPECT_EQ(unread_input_rows(compile_for(m, plan)), plan.unread_input_rows);
  const auto x = testing::random_inputs(10, 16, 8);
  const auto want = plain_outputs(m, x, 10);
  const auto r = run_on_sim(m, plan, x, 10, WeightMode::kPreEncoded);
  EXPECT_LT(max_abs_diff(r.y, want), 1e-9);
  backend::SimBackend sim(plan.ckks.sim_params());
  Executor ex(sim, compile_for(m, plan), plan.batch, WeightMode::kPreEncoded);
  const auto in = encrypt_input(sim, plan, x, 10);
  const auto sent = plan_input_tiles_sent(plan);
  std::size_t absent = 0;
  for (std::size_t i = 0; i < in.tile_count(); ++i) {
    EXPECT_EQ(in.absent(i), !sent[i]) << i;
    absent += in.absent(i) ? 1 : 0;
  }
  EXPECT_EQ(absent, in.tile_count() - plan.input_ciphertexts);
  std::vector<backend::Ciphertext> tiles(in.tiles().begin(), in.tiles().end());
  tiles[0] = backend::Ciphertext{};  // row 0 is read
  EXPECT_THROW(ex.run(tile::CipherTileTensor(in.shape(), std::move(tiles))), MismatchError);
}

TEST(InferExecutor, RefusesWrongInputsAndOtherModels) {
  const auto m = testing::pruned_model_2x4(19);
  const Plan plan = make_plan(m, kT1, kT2, 11, test_options());
  backend::SimBackend sim(plan.ckks.sim_params());
  const auto net = compile_for(m, plan);
  Executor ex(sim, net, plan.batch, WeightMode::kPreEncoded);
  // Another batch size: another tile shape.
  Plan other = plan;
  other.batch = 20;
  EXPECT_THROW(ex.run(encrypt_input(sim, other, testing::random_inputs(20, 16, 1), 20)), MismatchError);
  // Inputs not at the top level.
  auto ct = encrypt_input(sim, plan, testing::random_inputs(3, 16, 1), 3);
  EXPECT_THROW(ex.run(tile::drop_to_level(sim, ct, sim.max_level() - 1)), MismatchError);
  // Too many samples, wrong widths.
  EXPECT_THROW(encrypt_input(sim, plan, testing::random_inputs(12, 16, 1), 12), InvalidArgument);
  EXPECT_THROW(encrypt_input(sim, plan, testing::random_inputs(3, 15, 1), 3), MismatchError);
  // A plan made for another model.
  EXPECT_THROW(check_plan_matches(plan, compile(testing::pruned_model_2x4(20), kT1, kT2), "test"), MismatchError);
  // Too few levels.
  auto shallow = plan.ckks;
  shallow.data_bits.pop_back();
  backend::SimBackend sim2(shallow.sim_params());
  EXPECT_THROW(Executor(sim2, net, plan.batch, WeightMode::kPreEncoded), MismatchError);
}

}  // namespace
}  // namespace hepex::infer
