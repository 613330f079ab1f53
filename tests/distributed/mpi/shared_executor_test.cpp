// Run as MPI ranks (ctest: mpiexec -n 2). The executor shared through MpiDistribution gives every rank the
// single executor's output bit for bit: on the simulator (slots, levels, scales of every tile) and on real
// CKKS (the output ciphertext file's bytes), in both batch layouts and both weight modes.
#include <gtest/gtest.h>

#include "backend/ckks_backend.hpp"
#include "backend/sim_backend.hpp"
#include "distributed/mpi_distribution.hpp"
#include "infer/client.hpp"
#include "infer/executor.hpp"
#include "infer/files.hpp"
#include "infer/keys.hpp"
#include "io/binary.hpp"
#include "../../infer/infer_test_util.hpp"

namespace hepex::distributed {
namespace {

const MpiWorld* g_world = nullptr;

using infer::Executor;
using infer::WeightMode;

constexpr infer::UnknownsRepair kRepairs[] = {infer::UnknownsRepair::kClearAndDuplicate,
                                               infer::UnknownsRepair::kMaskInNextWeights};

infer::Plan small_plan(tile::BatchLayout layout, std::size_t ring, infer::UnknownsRepair repair) {
  infer::PlanOptions o;
  o.ring_degree = ring;
  o.insecure = true;
  o.max_scale_bits = 36;
  o.batch_layout = layout;
  o.unknowns_repair = {repair};  // each repair: the copies are made by the process that owns the rows
  return infer::make_plan(infer::testing::pruned_model_2x4(11), 2, 4, 11, o);
}

TEST(MpiSharedExecutor, SimulatorTilesEqualOneProcess) {
  const auto m = infer::testing::pruned_model_2x4(11);
  for (auto repair : kRepairs)
  for (auto layout : {tile::BatchLayout::kInner, tile::BatchLayout::kOuter})
    for (auto mode : {WeightMode::kPreEncoded, WeightMode::kOnTheFly}) {
      SCOPED_TRACE(std::string(infer::weight_mode_name(mode)) + (layout == tile::BatchLayout::kOuter ? ", outer" : ", inner") +
                   (repair == infer::UnknownsRepair::kMaskInNextWeights ? ", copies" : ", cleared"));
      const auto plan = small_plan(layout, 128, repair);
      backend::SimBackend sim(plan.ckks.sim_params());  // no noise: every rank encrypts the same inputs
      const auto net = infer::compile_for(m, plan);
      const auto x = infer::encrypt_input(sim, plan, infer::testing::random_inputs(10, 16, 5), 10);
      const auto want = Executor(sim, net, plan.batch, mode, /*block_bytes=*/1).run(x);
      const MpiDistribution d(*g_world);
      std::vector<infer::LayerRun> runs;
      const auto got = Executor(sim, net, plan.batch, mode, /*block_bytes=*/1, &d).run(x, &runs);
      ASSERT_EQ(got.tile_count(), want.tile_count());
      for (std::size_t i = 0; i < want.tile_count(); ++i) {
        ASSERT_EQ(got.absent(i), want.absent(i)) << "tile " << i;
        if (want.absent(i)) continue;
        EXPECT_EQ(sim.level(got.tile(i)), sim.level(want.tile(i))) << "tile " << i;
        EXPECT_EQ(sim.scale(got.tile(i)), sim.scale(want.tile(i))) << "tile " << i;
        EXPECT_EQ(sim.peek(got.tile(i)), sim.peek(want.tile(i))) << "tile " << i;
      }
      for (const auto& run : runs) EXPECT_EQ(run.gather_bytes > 0, g_world->size() > 1);
    }
}

TEST(MpiSharedExecutor, CkksOutputBytesEqualOneProcess) {
  const auto m = infer::testing::pruned_model_2x4(11);
  for (auto repair : kRepairs)
  for (auto layout : {tile::BatchLayout::kInner, tile::BatchLayout::kOuter})
    for (auto mode : {WeightMode::kPreEncoded, WeightMode::kOnTheFly}) {
      SCOPED_TRACE(std::string(infer::weight_mode_name(mode)) + (layout == tile::BatchLayout::kOuter ? ", outer" : ", inner") +
                   (repair == infer::UnknownsRepair::kMaskInNextWeights ? ", copies" : ", cleared"));
      const auto plan = small_plan(layout, 1024, repair);
      const auto ctx = infer::plan_context(plan, infer::SecurityPolicy::kAllowInsecureForTestsOnly);
      const auto keys = infer::generate_keys(ctx, plan, seed_from_u64(4));  // the same keys on every rank
      const backend::CkksBackend client(ctx, keys), server(ctx, infer::server_keys(keys));
      // Encryption is randomized: rank 0 encrypts, every rank evaluates those ciphertexts.
      std::vector<std::uint8_t> input;
      if (g_world->is_root())
        input = infer::ciphertexts_file_bytes(
            client, infer::encrypt_input(client, plan, infer::testing::random_inputs(10, 16, 5), 10));
      g_world->broadcast(input);
      const auto x = infer::parse_ciphertexts(io::unseal(input, "x"), "x", server, infer::plan_input_shape(plan));
      const auto net = infer::compile_for(m, plan);
      const auto want = Executor(server, net, plan.batch, mode).run(x);
      const MpiDistribution d(*g_world);
      const auto got = Executor(server, net, plan.batch, mode, infer::kOnTheFlyBlockBytes, &d).run(x);
      EXPECT_EQ(infer::ciphertexts_file_bytes(server, got), infer::ciphertexts_file_bytes(server, want));
    }
}

}  // namespace
}  // namespace hepex::distributed

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const hepex::distributed::MpiWorld world;
  hepex::distributed::g_world = &world;
  return RUN_ALL_TESTS();  // mpiexec fails when any rank does
}
